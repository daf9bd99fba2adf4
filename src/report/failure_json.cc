// failure_json.cc — see failure_json.h.
#include "report/failure_json.h"

#include "report/failure_groups.h"
#include "report/stack_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

using nlohmann::json;


// A site's members: who, where it was made, as the leak sites name it.
json SiteJson(const Ledger& ledger, SiteStacks& stacks, std::uint32_t process, std::uint32_t stack, std::uint32_t tag) {
  const ProcessBooks& books = ledger.processes()[process];
  return {{"pid", books.pid},
          {"tag", ledger.tag_name(process, tag)},
          {"headline", stacks.Headline(stacks.Read(books, stack))},
          {"stack", StackLines(books, stack, stacks.symbols())}};
}

json GroupJson(const Ledger& ledger, SiteStacks& stacks, const FailureGroup& group) {
  const AllocationFailure& f = *group.first;
  json out = SiteJson(ledger, stacks, f.process, f.stack, f.tag);
  out.update({{"count", group.count},
              {"verdict", FailureVerdictName(f.verdict)},
              {"meaning", FailureVerdictMeaning(f.verdict)},
              {"device", f.device},
              {"type", ledger.type_name(f.type)},
              {"space_type", ledger.type_name(f.space_type)},
              {"seq", f.seq},
              {"time_s", FailureSeconds(ledger, f)},
              {"last_seq", group.last_seq},
              {"size", f.size},
              {"smallest_size", group.smallest_size},
              {"largest_size", group.largest_size},
              {"extent", f.extent},
              {"banks", f.banks},
              {"extent_per_bank", f.extent / std::max<std::uint32_t>(f.banks, 1)},
              {"capacity", f.capacity},
              {"live_bytes", f.live_bytes},
              {"has_address_space", f.has_map}});
  if (f.has_map) {
    out.update({{"free_bytes", f.figures.free_bytes},
                {"largest_free_block_bytes", f.figures.largest_free_block},
                {"holes", f.figures.holes}});
  }
  if (f.region_end != 0) out["region_end"] = f.region_end;
  // Each failure of the group as it was judged: its request and the space then.
  json each = json::array();
  for (const AllocationFailure* member : group.members) {
    json one = {{"seq", member->seq}, {"time_s", FailureSeconds(ledger, *member)}, {"size", member->size},
                {"extent", member->extent}};
    if (member->has_map) {
      one.update({{"free_bytes", member->figures.free_bytes},
                  {"largest_free_block_bytes", member->figures.largest_free_block},
                  {"holes", member->figures.holes}});
    }
    each.push_back(std::move(one));
  }
  out["each"] = std::move(each);
  if (f.verdict == FailureVerdict::kFragmented) out["window_start"] = f.window_start;
  json holders = json::array();
  for (const FailureHolder& h : f.holders) {
    json holder = SiteJson(ledger, stacks, h.process, h.stack, h.tag);
    holder.update({{"bytes", h.bytes}, {"buffers", h.buffers}});
    holders.push_back(std::move(holder));
  }
  out["holders"] = std::move(holders);
  out["more_holders"] = f.more_holders;
  json blockers = json::array();
  for (const FailureBlocker& b : f.blockers) {
    json blocker = SiteJson(ledger, stacks, b.block.process, b.block.stack, b.block.tag);
    blocker.update({{"identity", b.block.identity},
                    {"address", b.block.start},
                    {"size", b.block.end - b.block.start},
                    {"alloc_seq", b.block.alloc_seq},
                    {"live_s", Seconds(f.time_ns - std::min(f.time_ns, b.block.alloc_time_ns))},
                    {"mark", b.mark.empty() ? json(nullptr) : json(b.mark)}});
    blockers.push_back(std::move(blocker));
  }
  out["blockers"] = std::move(blockers);
  out["more_blockers"] = f.more_blockers;
  return out;
}

}  // namespace

void ReadFailureSites(const Ledger& ledger, SiteStacks& stacks) {
  for (const FailureGroup& group : GroupFailures(ledger)) {
    const AllocationFailure& f = *group.first;
    stacks.Read(ledger.processes()[f.process], f.stack);
    for (const FailureHolder& h : f.holders) stacks.Read(ledger.processes()[h.process], h.stack);
    for (const FailureBlocker& b : f.blockers) stacks.Read(ledger.processes()[b.block.process], b.block.stack);
  }
}

json AllocationFailuresJson(const Ledger& ledger, SiteStacks& stacks) {
  const auto by_verdict = FailuresByVerdict(ledger);
  json verdicts = json::object();
  std::uint64_t total = 0;
  for (int v = 0; v < kFailureVerdictCount; ++v) {
    verdicts[std::string(FailureVerdictName(static_cast<FailureVerdict>(v)))] = by_verdict[v];
    total += by_verdict[v];
  }
  json counts = json::array();
  for (const auto& [key, count] : ledger.failure_counts()) {
    counts.push_back({{"device", key.device},
                      {"type", ledger.type_name(key.type)},
                      {"verdict", FailureVerdictName(key.verdict)},
                      {"count", count}});
  }
  json failures = json::array();
  for (const FailureGroup& group : GroupFailures(ledger)) failures.push_back(GroupJson(ledger, stacks, group));
  return {{"total", total},
          {"kept", ledger.failures().size()},
          {"by_verdict", std::move(verdicts)},
          {"counts", std::move(counts)},
          {"failures", std::move(failures)}};
}

json FreeSpaceJson(const Ledger& ledger, std::uint16_t device, std::uint16_t type) {
  const FreeSpaceMap* space = ledger.FreeSpace(device, type);
  if (space == nullptr) return nullptr;
  const SpaceFigures& figures = space->Figures();
  return {{"free_bytes", figures.free_bytes},
          {"largest_free_block_bytes", figures.largest_free_block},
          {"holes", figures.holes},
          {"banks", space->geometry().banks}};
}

}  // namespace memledger
