// allocation_site.cc — the per-thread current allocation site.
#include "sim/allocation_site.h"

namespace memledger::sim {
namespace {

thread_local const char* t_site = "";

}  // namespace

ScopedAllocationSite::ScopedAllocationSite(const char* name) : outer_(t_site) { t_site = name; }

ScopedAllocationSite::~ScopedAllocationSite() { t_site = outer_; }

const char* CurrentAllocationSite() { return t_site; }

}  // namespace memledger::sim
