// failure_json.h — the summary JSON's "allocation_failures" section and each
// device × type's free-space members (docs/architecture.md, "Summary JSON"):
// counts by verdict and by device × type × verdict, and the failure groups
// (failure_groups.h) with every fact the text report shows — request,
// figures, verdict and meaning, the request's site, holders by site,
// blockers with their marks — sites as the summary's leak sites are
// ("headline" and whole "stack").
//
// Not thread-safe (it reads through one SiteStacks).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

// Reads every site the section names, before any is named (summary_json.h).
void ReadFailureSites(const Ledger& ledger, SiteStacks& stacks);
nlohmann::json AllocationFailuresJson(const Ledger& ledger, SiteStacks& stacks);
// {"free_bytes", "largest_free_block_bytes", "holes", "banks"} of
// ledger-wide `type`'s space on `device`; null when it declared none.
nlohmann::json FreeSpaceJson(const Ledger& ledger, std::uint16_t device, std::uint16_t type);

}  // namespace memledger
