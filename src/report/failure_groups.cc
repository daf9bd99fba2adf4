// failure_groups.cc — see failure_groups.h.
#include "report/failure_groups.h"

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "report/text_report.h"

namespace memledger {
namespace {

bool InScope(const Ledger& ledger, const ReportScope& scope, std::uint16_t device, std::uint16_t type,
             std::uint16_t space_type) {
  return scope.Shows(ledger, device, type) || scope.Shows(ledger, device, space_type);
}

// "(1.5 KiB per bank)" when banked.
std::string PerBank(std::uint64_t bytes, std::uint32_t banks) {
  return banks > 1 ? fmt::format(" ({} per bank)", FormatBytes(bytes / banks)) : "";
}

}  // namespace

std::vector<FailureGroup> GroupFailures(const Ledger& ledger, const ReportScope& scope) {
  using Key = std::tuple<std::uint32_t, std::uint16_t, std::uint16_t, FailureVerdict, std::uint32_t, std::uint32_t>;
  absl::flat_hash_map<Key, std::size_t> index;
  std::vector<FailureGroup> groups;
  for (const AllocationFailure& failure : ledger.failures()) {
    if (!InScope(ledger, scope, failure.device, failure.type, failure.space_type)) continue;
    const Key key{failure.process, failure.device, failure.type, failure.verdict, failure.stack, failure.tag};
    const auto [it, added] = index.try_emplace(key, groups.size());
    if (added) groups.push_back(FailureGroup{&failure, 0, failure.size, failure.size, 0, {}});
    FailureGroup& group = groups[it->second];
    ++group.count;
    group.members.push_back(&failure);
    group.smallest_size = std::min(group.smallest_size, failure.size);
    group.largest_size = std::max(group.largest_size, failure.size);
    group.last_seq = failure.seq;
  }
  return groups;
}

std::array<std::uint64_t, kFailureVerdictCount> FailuresByVerdict(const Ledger& ledger, const ReportScope& scope) {
  std::array<std::uint64_t, kFailureVerdictCount> counts{};
  for (const auto& [key, count] : ledger.failure_counts()) {
    // A type placed within another's space (CB in L1) is judged there: shown with it.
    const auto within = ledger.devices()[key.device].spaces.PlacedWithin(key.type);
    if (InScope(ledger, scope, key.device, key.type, within.value_or(key.type))) {
      counts[static_cast<int>(key.verdict)] += count;
    }
  }
  return counts;
}

double FailureSeconds(const Ledger& ledger, const AllocationFailure& failure) {
  return static_cast<double>(failure.time_ns - std::min(failure.time_ns, ledger.origin_ns())) / 1e9;
}

std::string BankedBytes(std::uint64_t bytes, std::uint32_t banks) {
  if (banks <= 1) return FormatBytes(bytes);
  return fmt::format("{} across {} banks, {} per bank", FormatBytes(bytes), banks, FormatBytes(bytes / banks));
}

std::string FiguresText(const SpaceFigures& figures, std::uint32_t banks) {
  return fmt::format("{}{} free in {}, the largest block {}{}", FormatBytes(figures.free_bytes),
                     PerBank(figures.free_bytes, banks), Count(figures.holes, "hole"),
                     FormatBytes(figures.largest_free_block), PerBank(figures.largest_free_block, banks));
}

}  // namespace memledger
