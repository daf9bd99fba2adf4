// merged_sites.h — allocation sites as a report lists them: the books' and
// the analysis's sites (keyed by process, device, type, tag and stack id)
// gathered into one site per SiteStack identity (site_stack.h), each with
// its places (process, device, type, tag) and their amounts, so that the
// same code leaking on two devices is one site with two places. Buffers
// without a stack are a site per place.
//
// Not thread-safe (it reads through one SiteStacks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

// Where some of a site's buffers are and how much: `device` and `type`
// ledger-wide, `tag` the process's own id.
struct SitePlace {
  std::uint32_t process = 0;
  std::size_t device = 0;
  std::size_t type = 0;
  std::uint32_t tag = 0;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

struct MergedSite {
  const SiteStack* stack = nullptr;
  std::uint32_t process = 0;  // of `stack` (the first place's process)
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
  std::vector<SitePlace> places;  // largest first
};

enum class SiteOrder { kBytes, kBuffers };

class SiteMerger {
 public:
  SiteMerger(const Ledger& ledger, SiteStacks& stacks) : ledger_(ledger), stacks_(stacks) {}
  // Adds `place`'s amounts to the site of `stack` (of place.process).
  void Add(std::uint32_t stack, const SitePlace& place);
  // The sites, largest first by `order` (then by the other amount, then
  // headline text), their places likewise; the merger is empty after.
  std::vector<MergedSite> Take(SiteOrder order);

 private:
  const Ledger& ledger_;
  SiteStacks& stacks_;
  std::vector<MergedSite> sites_;
  absl::flat_hash_map<std::string, std::size_t> index_;  // identity -> sites_
};

// "device 0 DRAM, tag weights" (", pid N" when `with_pid`), as PlaceLabel.
std::string SitePlaceLabel(const Ledger& ledger, const SitePlace& place, bool with_pid);

}  // namespace memledger
