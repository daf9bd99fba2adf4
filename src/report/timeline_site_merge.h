// timeline_site_merge.h — one site per stack identity in a Timeline, as the
// text report merges them (merged_sites.h): stacks that show the same frames
// (site_stack.h: return addresses within one line, frames below the depth,
// another process) are one site, so the page never lists two rows with one
// headline and one stack. Rewrites every site index (changes, peaks, leaks,
// anomalies, top sites, growth, failures) and sums the entries that become equal.
#pragma once

#include <string>
#include <vector>

#include "report/timeline.h"

namespace memledger {

// `identities[i]`: site i's identity ("": a site of its own). Sites are
// kept in first-seen order; site 0 stays site 0.
void MergeSitesByIdentity(Timeline& timeline, const std::vector<std::string>& identities);

}  // namespace memledger
