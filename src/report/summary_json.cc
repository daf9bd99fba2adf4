// summary_json.cc — see summary_json.h.
#include "report/summary_json.h"

#include "event/json_text.h"
#include "ledger/process_devices.h"
#include "report/anomaly_facts.h"
#include "report/device_types.h"
#include "report/failure_json.h"
#include "report/leak_sites.h"
#include "report/site_stack.h"
#include "report/stack_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {
constexpr std::size_t kMaxAnomalySitesShown = 100;
}  // namespace

nlohmann::json Summary(const Ledger& ledger, StackSymbols* symbols_or_null) {
  Symbolizer fresh;
  SiteStacks stacks(symbols_or_null != nullptr ? *symbols_or_null : fresh, StackOptions{});
  // Every site read before any is named: each headline distinct.
  for (const LeakSite& site : SortedLeakSites(ledger)) stacks.Read(ledger.processes()[site.key.process], site.key.stack);
  for (const AnomalySite& site : SortedAnomalySites(ledger)) {
    stacks.Read(ledger.processes()[site.key.process], site.key.stack);
    stacks.Read(ledger.processes()[site.key.process], site.key.alloc_stack);
    for (const AnomalyEvent& event : FactsOf(ledger, site).events) {
      stacks.Read(ledger.processes()[site.key.process], event.stack);
    }
  }
  ReadFailureSites(ledger, stacks);
  return Summary(ledger, stacks);
}

namespace {

nlohmann::json BufferJson(const Ledger& ledger, std::uint32_t process, const AnomalyBuffer& buffer) {
  nlohmann::json out = {{"identity", buffer.identity}, {"address", buffer.address}, {"size", buffer.size},
                        {"tag", ledger.tag_name(process, buffer.tag)}};
  if (buffer.alloc_seq != 0) out["alloc_seq"] = buffer.alloc_seq;
  return out;
}

// An anomaly site's first anomaly: its buffers, and its events with their stacks.
nlohmann::json AnomalyExampleJson(const Ledger& ledger, const AnomalySite& site, SiteStacks& stacks) {
  const AnomalyExample& x = site.example;
  const ProcessBooks& books = ledger.processes()[site.key.process];
  const AnomalyFacts facts = FactsOf(ledger, site);
  nlohmann::json out = {{"what", facts.what},
                        {"seq", x.seq},
                        {"device", x.device == kNoDevice ? nlohmann::json() : nlohmann::json(x.device)},
                        {"type", x.type < ledger.type_count() ? nlohmann::json(ledger.type_name(x.type)) : nlohmann::json()},
                        {"class", BufferClassName(x.cls)},
                        {"buffer", BufferJson(ledger, site.key.process, x.buffer)}};
  if (x.other.size != 0) out["other"] = BufferJson(ledger, site.key.process, x.other);
  if (x.overlapped_by != 0) out["overlapped_by"] = x.overlapped_by;
  nlohmann::json events = nlohmann::json::array();
  for (const AnomalyEvent& event : facts.events) {
    nlohmann::json e = {{"role", event.role}, {"seq", event.seq}};
    if (event.stack != 0) {
      e["headline"] = stacks.Headline(stacks.Read(books, event.stack));
      e["stack"] = StackLines(books, event.stack, stacks.symbols());
    }
    events.push_back(std::move(e));
  }
  out["events"] = std::move(events);
  return out;
}

}  // namespace

nlohmann::json Summary(const Ledger& ledger, SiteStacks& stacks) {
  using nlohmann::json;
  StackSymbols& symbols = stacks.symbols();
  const auto headline = [&](const ProcessBooks& books, std::uint32_t stack) {
    return stacks.Headline(stacks.Read(books, stack));
  };
  json out;
  out["schema"] = "memledger.summary/1";
  out["events"] = ledger.events();

  std::uint64_t dropped = 0, lost = 0;
  json processes = json::array();
  for (const ProcessBooks& p : ledger.processes()) {
    dropped += p.dropped_events;
    lost += p.lost_slots;
    // The devices it uses — has open, or holds memory on — and what it holds
    // there now per type, by ledger-wide device, with its own number for it.
    json holds = json::array();
    for (const ProcessDevice& use : DevicesOf(p)) {
      json used = json::object();
      if (const TypeCounterTable* types = p.device(use.device)) {
        for (const auto& [t, c] : *types) {
          if (c.live_buffers == 0) continue;
          used[ledger.type_name(t)] = {{"live_bytes", c.live_bytes}, {"live_buffers", c.live_buffers}};
        }
      }
      if (!use.open && used.empty()) continue;
      holds.push_back({{"device", use.device}, {"local", use.local}, {"open", use.open}, {"types", std::move(used)}});
    }
    json row = {{"pid", p.pid},
                {"uid", p.uid ? json(*p.uid) : json(nullptr)},
                {"comm", p.comm},
                {"state", ProcessStateName(p.state)},
                {"events", p.events},
                {"leaked_buffers", p.leaked_buffers},
                {"leaked_bytes", p.leaked_bytes},
                {"devices", std::move(holds)}};
    row["books_complete"] = p.complete();
    if (p.alloc_failures != 0) row["alloc_failures"] = p.alloc_failures;
    if (p.pools_merged != 0) row["pools_merged"] = p.pools_merged;
    if (p.handover.joined_late || p.handover.handovers != 0) {  // begun late, or rejoined after a gap
      row["handover"] = {{"handovers", p.handover.handovers},
                         {"records_elsewhere", p.handover.records_elsewhere},
                         {"carried_buffers", p.handover.carried_buffers},
                         {"carried_bytes", p.handover.carried_bytes},
                         {"missed_frees", p.handover.missed_frees}};
    }
    processes.push_back(std::move(row));
  }
  out["dropped_events"] = dropped;
  out["lost_records"] = lost;
  out["processes"] = std::move(processes);

  json devices = json::array();
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen) continue;
    json capacity = json::object(), types = json::object();
    for (const auto& [t, bytes] : device.capacity) {
      if (bytes != 0) capacity[ledger.type_name(t)] = bytes;
    }
    for (const std::size_t t : ListedTypes(device)) {
      const TypeCounters& c = device.types[t];
      const json space = FreeSpaceJson(ledger, static_cast<std::uint16_t>(d), static_cast<std::uint16_t>(t));
      json& row = types[ledger.type_name(t)];
      row = {{"live_bytes", c.live_bytes}, {"live_buffers", c.live_buffers}, {"peak_bytes", c.peak_bytes},
             {"allocs", c.allocs},         {"frees", c.frees},               {"leaked_bytes", c.leaked_bytes},
             {"leaked_buffers", c.leaked_buffers}};
      if (!space.is_null()) row.update(space);
    }
    json row = {{"device", d},
                {"name", device.name},
                {"uid", device.uid.empty() ? json(nullptr) : json(device.uid)},
                {"conflicts", device.conflicts},
                {"capacity", capacity},
                {"types", types}};
    if (!device.space_problem.empty()) row["space_problem"] = device.space_problem;
    devices.push_back(std::move(row));
  }
  out["devices"] = std::move(devices);

  json anomalies = json::object();
  const AnomalyCounts counts = ledger.anomalies();
  for (int i = 0; i < kAnomalyCount; ++i) anomalies[std::string(AnomalyName(static_cast<Anomaly>(i)))] = counts[i];
  out["anomalies"] = std::move(anomalies);

  std::uint64_t leaked_buffers = 0, leaked_bytes = 0;
  json sites = json::array();
  for (const LeakSite& site : SortedLeakSites(ledger)) {
    leaked_buffers += site.totals.buffers;
    leaked_bytes += site.totals.bytes;
    sites.push_back({{"buffers", site.totals.buffers},
                     {"bytes", site.totals.bytes},
                     {"pid", ledger.processes()[site.key.process].pid},
                     {"device", site.key.device},
                     {"type", ledger.type_name(site.key.type)},
                     {"tag", ledger.tag_name(site.key.process, site.key.tag)},
                     {"headline", headline(ledger.processes()[site.key.process], site.key.stack)},
                     {"stack", StackLines(ledger.processes()[site.key.process], site.key.stack, symbols)}});
  }
  out["leaks"] = {{"buffers", leaked_buffers}, {"bytes", leaked_bytes}, {"sites", std::move(sites)}};

  json anomaly_sites = json::array();
  const auto all_anomaly_sites = SortedAnomalySites(ledger);
  for (std::size_t i = 0; i < std::min(all_anomaly_sites.size(), kMaxAnomalySitesShown); ++i) {
    const AnomalySite& site = all_anomaly_sites[i];
    const ProcessBooks& books = ledger.processes()[site.key.process];
    anomaly_sites.push_back({{"kind", AnomalyName(site.key.kind)},
                             {"count", site.count},
                             {"pid", books.pid},
                             {"headline", headline(books, site.key.stack)},
                             {"stack", StackLines(books, site.key.stack, symbols)},
                             {"allocated_at", StackLines(books, site.key.alloc_stack, symbols)},
                             {"first", AnomalyExampleJson(ledger, site, stacks)}});
  }
  out["anomaly_sites"] = std::move(anomaly_sites);
  out["allocation_failures"] = AllocationFailuresJson(ledger, stacks);
  return out;
}

std::string SummaryJson(const Ledger& ledger, StackSymbols* symbols) { return JsonText(Summary(ledger, symbols), 2); }

}  // namespace memledger
