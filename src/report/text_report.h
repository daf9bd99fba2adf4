// text_report.h — the human-readable usage summary and leak report, as
// printed at exit in embedded mode and by `memledger run` and `memledger report`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"
#include "report/merged_sites.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

// "0 B", "1.5 KiB", "12.0 GiB".
std::string FormatBytes(std::uint64_t bytes);
// Nanoseconds as seconds, as the reports print and the JSON gives times.
inline double Seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }
// Usage per device and type, anomalies (by site, with stacks), then leaks by
// site (merged_sites.h), largest first, with their allocation stacks as
// `stacks` shows them. A site's headline is distinct from every other's
// that `stacks` has read: a report rendered twice with one SiteStacks (the
// first time to read them all) names each site the same in every section.
// `running` is what a process still running where the books end is called
// (a replayed capture without its end record: "running when the capture ends").
// Only the devices, types and sites `scope` shows.
std::string TextReport(const Ledger& ledger, SiteStacks& stacks, std::string_view running = "running",
                       const ReportScope& scope = {});
// TextReport with the default stack options, rendered twice as above.
std::string TextReport(const Ledger& ledger);
// Only the leaks by site (`memledger report --leaks`).
std::string LeakReport(const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope = {});

// What the text reports share: "1 buffer", "3 sites"; a stack's lines
// indented under its site; a merged site: "  AMOUNT: headline", its places
// (one on a line of its own; several each with its amount) and its stack —
// one line, "  AMOUNT: place", for a site without a stack; after a list of
// sites, a line saying how to record stacks when some had none; each line
// after `indent` when a section nests its sites deeper. A report
// prints each site's stack once (SiteStacks::ShowsStackHere), where the site
// first appears; later its headline ends with kStackAbove.
inline constexpr std::string_view kStackAbove = " (stack above)";
std::string Count(std::uint64_t n, std::string_view noun);
// What a device described otherwise by `conflicts` opens says, in the report
// and in `memledger status` alike (one line, or two when `mapped`: it has
// address-space maps, which the other descriptions' buffers stay out of; no
// newline at the end). Each line fits 79 columns.
std::string DeviceConflictLine(std::uint64_t conflicts, bool mapped);
void AppendStack(std::string& out, const SiteStacks& stacks, const SiteStack& stack, std::string_view indent = "");
void AppendSite(std::string& out, const Ledger& ledger, SiteStacks& stacks, const MergedSite& site,
                std::string_view amount, bool with_pid, std::string_view indent = "");
void AppendNoStacksHint(std::string& out, const std::vector<MergedSite>& sites);

}  // namespace memledger
