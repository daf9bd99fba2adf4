// failure_report.cc — see failure_report.h.
#include "report/failure_report.h"

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <tuple>

#include "report/failure_groups.h"
#include "report/merged_sites.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

constexpr std::string_view kIndent = "    ";  // a group's sites, under its facts

template <typename... Args>
void AppendLine(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

std::string Duration(std::uint64_t ns) {
  if (ns < 1'000'000) return fmt::format("{:.1f} us", static_cast<double>(ns) / 1e3);
  if (ns < 1'000'000'000) return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6);
  return fmt::format("{:.2f} s", static_cast<double>(ns) / 1e9);
}

// "fragmented 1000, cb_clash 1".
std::string VerdictCounts(const std::array<std::uint64_t, kFailureVerdictCount>& counts) {
  std::string listed;
  for (int v = 0; v < kFailureVerdictCount; ++v) {
    if (counts[v] == 0) continue;
    listed += fmt::format("{}{} {}", listed.empty() ? "" : ", ", FailureVerdictName(static_cast<FailureVerdict>(v)),
                          counts[v]);
  }
  return listed;
}

// The request: "24.0 KiB across 4 banks, 6.0 KiB per bank" (and the sizes
// of a group whose requests differ; a CB clash's region end).
std::string RequestText(const FailureGroup& group) {
  const AllocationFailure& f = *group.first;
  std::string text = BankedBytes(f.extent, f.banks);
  if (f.extent != f.size) text = fmt::format("{} (a footprint of {})", FormatBytes(f.size), text);
  if (group.smallest_size != group.largest_size) {
    text += fmt::format("; requests of {} to {}", FormatBytes(group.smallest_size), FormatBytes(group.largest_size));
  }
  return text;
}

// What the space held then: its figures, or the books' totals without a
// map; the requested type's live bytes (and capacity), named when it is
// placed within the space (CB in L1).
std::string SpaceText(const Ledger& ledger, const AllocationFailure& f) {
  std::string text = f.has_map ? FiguresText(f.figures, f.banks) : "no address space declared: no map of its holes";
  text += "; ";
  if (f.type != f.space_type) text += fmt::format("{} ", PrintableText(ledger.type_name(f.type)));
  text += fmt::format("{} live", FormatBytes(f.live_bytes));
  if (f.capacity != 0) text += fmt::format(" of {}", FormatBytes(f.capacity));
  return text;
}

void AppendRequestedAt(std::string& out, const Ledger& ledger, SiteStacks& stacks, const AllocationFailure& f) {
  const SiteStack& stack = stacks.Read(ledger.processes()[f.process], f.stack);
  const std::string_view tag = ledger.tag_name(f.process, f.tag);
  const std::string tagged = tag.empty() ? "" : fmt::format(" (tag {})", PrintableText(tag));
  if (stack.frames.empty()) {
    AppendLine(out, "    requested{} without a stack (MEMLEDGER_STACKS=1 records where)", tagged);
    return;
  }
  const bool here = stacks.ShowsStackHere(stack);
  AppendLine(out, "    requested at: {}{}{}", PrintableText(stacks.Headline(stack)), tagged, here ? "" : kStackAbove);
  if (here) AppendStack(out, stacks, stack);
}

void AppendHolders(std::string& out, const Ledger& ledger, SiteStacks& stacks, const AllocationFailure& f) {
  if (f.holders.empty()) {
    AppendLine(out, "    held by: nothing the books see");
    return;
  }
  SiteMerger merger(ledger, stacks);
  for (const FailureHolder& h : f.holders) {
    merger.Add(h.stack, SitePlace{h.process, f.device, f.space_type, h.tag, h.bytes, h.buffers});
  }
  AppendLine(out, "    held by (the largest sites{}):",
             f.more_holders != 0 ? fmt::format("; {} more", Count(f.more_holders, "site")) : "");
  for (const MergedSite& site : merger.Take(SiteOrder::kBytes)) {
    AppendSite(out, ledger, stacks, site, fmt::format("{} in {}", FormatBytes(site.bytes), Count(site.buffers, "buffer")),
               /*with_pid=*/true, kIndent);
  }
}

// The blockers by site and the mark each came after: their bytes, the
// lowest address, and the longest any had been live.
void AppendBlockers(std::string& out, const Ledger& ledger, SiteStacks& stacks, const AllocationFailure& f) {
  if (f.blockers.empty()) return;
  struct BlockerSite {
    const FailureBlocker* first;
    std::uint64_t bytes = 0;
    std::uint64_t buffers = 0;
    std::uint64_t longest_live_ns = 0;
  };
  std::vector<BlockerSite> sites;
  absl::flat_hash_map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::string>, std::size_t> index;
  for (const FailureBlocker& b : f.blockers) {
    const auto [it, added] = index.try_emplace(std::tuple(b.block.process, b.block.stack, b.block.tag, b.mark),
                                               sites.size());
    if (added) sites.push_back(BlockerSite{&b});
    BlockerSite& site = sites[it->second];
    site.bytes += b.block.end - b.block.start;
    ++site.buffers;
    site.longest_live_ns = std::max(site.longest_live_ns, f.time_ns - std::min(f.time_ns, b.block.alloc_time_ns));
  }
  const std::uint64_t shown_buffers = f.blockers.size();
  if (f.verdict == FailureVerdict::kCbClash) {
    AppendLine(out, "    the circular buffers would end at {:#x}, over {} below it (those that outlived their use?):",
               f.region_end, Count(shown_buffers + f.more_blockers, "live L1 buffer"));
  } else {
    AppendLine(out, "    split by {} inside the cheapest {} window, [{:#x}, {:#x}) (freeing them makes room):",
               Count(shown_buffers + f.more_blockers, "buffer"), FormatBytes(f.extent), f.window_start,
               f.window_start + f.extent);
  }
  for (const BlockerSite& site : sites) {
    const SpaceBlock& block = site.first->block;
    const ProcessBooks& books = ledger.processes()[block.process];
    const SiteStack& stack = stacks.Read(books, block.stack);
    const std::string_view tag = ledger.tag_name(block.process, block.tag);
    const std::string since = site.first->mark.empty() ? "before any mark"
                                                       : fmt::format("since mark \"{}\"", PrintableText(site.first->mark));
    const bool here = !stack.frames.empty() && stacks.ShowsStackHere(stack);
    AppendLine(out, "      {} in {} from {:#x}, live {}{}, {}: {}{}{}", FormatBytes(site.bytes),
               Count(site.buffers, "buffer"), block.start, site.buffers > 1 ? "up to " : "",
               Duration(site.longest_live_ns), since, PrintableText(stacks.Headline(stack)),
               tag.empty() ? "" : fmt::format(", tag {}", PrintableText(tag)),
               fmt::format(", pid {}{}", books.pid, here || stack.frames.empty() ? "" : kStackAbove));
    if (here) AppendStack(out, stacks, stack, kIndent);
  }
  if (f.more_blockers != 0) AppendLine(out, "      \u2026 {} (summary JSON: more_blockers)", Count(f.more_blockers, "more buffer"));
}

}  // namespace

void AppendAllocationFailures(std::string& out, const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope) {
  const auto counts = FailuresByVerdict(ledger, scope);
  std::uint64_t total = 0;
  for (const std::uint64_t n : counts) total += n;
  if (total == 0) return;
  const std::vector<FailureGroup> groups = GroupFailures(ledger, scope);
  std::uint64_t kept = 0;
  for (const FailureGroup& group : groups) kept += group.count;
  AppendLine(out, "allocation failures: {} ({}){}", total, VerdictCounts(counts),
             kept < total ? fmt::format("; the first {} kept with their facts", kept) : "");
  for (std::size_t i = 0; i < std::min(groups.size(), scope.top); ++i) {
    const FailureGroup& group = groups[i];
    const AllocationFailure& f = *group.first;
    const ProcessBooks& books = ledger.processes()[f.process];
    const std::string times = group.count > 1 ? fmt::format(" x{}", group.count) : "";
    AppendLine(out, "  {}{}: {} of {} on {}, pid {}, {}at {:.3f} s (seq {})", FailureVerdictName(f.verdict), times,
               RequestText(group), PrintableText(ledger.type_name(f.type)), PrintableText(DeviceLabel(ledger, f.device)),
               books.pid, group.count > 1 ? "first " : "", FailureSeconds(ledger, f),
               f.seq);
    AppendLine(out, "    {}", FailureVerdictMeaning(f.verdict));
    AppendLine(out, "    {} then: {}", PrintableText(ledger.type_name(f.space_type)), SpaceText(ledger, f));
    AppendRequestedAt(out, ledger, stacks, f);
    AppendBlockers(out, ledger, stacks, f);
    AppendHolders(out, ledger, stacks, f);
  }
  if (groups.size() > scope.top) {
    AppendLine(out, "  \u2026 {} (summary JSON: allocation_failures)", Count(groups.size() - scope.top, "more failure group"));
  }
}

}  // namespace memledger
