// chrome_trace_export.cc — see chrome_trace_export.h.
#include "export/chrome_trace_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "event/json_text.h"
#include "export/buffer_lifetimes.h"
#include "export/buffer_place.h"
#include "export/stack_headlines.h"
#include "report/anomaly_facts.h"
#include "report/leak_sites.h"
#include "report/names.h"
#include "report/text_report.h"

namespace memledger {
namespace {

// `text` as a JSON string; ill-formed UTF-8 (a mark comes straight from its record) as U+FFFD.
std::string Quoted(std::string_view text) { return JsonText(nlohmann::json(std::string(text))); }

// Writes events as elements of one JSON array, comma-separated.
class EventWriter {
 public:
  explicit EventWriter(std::ostream& out) : out_(out) {}
  void Write(const std::string& event) {
    out_ << (first_ ? "\n" : ",\n") << event;
    first_ = false;
  }

 private:
  std::ostream& out_;
  bool first_ = true;
};

// The trace's times: microseconds from the capture's first record (an
// earlier one, a buffer's carried over from before it, at 0).
struct TraceClock {
  std::uint64_t first_ns = 0;
  double Micros(std::uint64_t ns) const { return ns <= first_ns ? 0.0 : static_cast<double>(ns - first_ns) / 1000.0; }
};

// Kinds the ledger counts without a site (ledger.h anomaly_sites()).
bool CountedWithoutSite(Anomaly kind) { return kind == Anomaly::kInvalidEvent || kind == Anomaly::kDeviceConflict; }

void WriteLifetimes(const Ledger& ledger, ProcessIndex process, const std::vector<BufferLifetime>& lifetimes,
                    const StackHeadlines& headlines, const TraceClock& clock, EventWriter& writer) {
  const std::uint32_t pid = ledger.process(process).pid;
  for (const BufferLifetime& buffer : lifetimes) {
    const std::string& site = headlines.Of(buffer.stack);
    const std::string name =
        site.empty() ? fmt::format("{} {}", ledger.type_name(buffer.type), FormatBytes(buffer.size)) : site;
    nlohmann::json args = {{"device", DeviceLabel(ledger, buffer.device)},
                           {"type", ledger.type_name(buffer.type)},
                           {"address", fmt::format("{:#x}", buffer.address)},
                           {"size", buffer.size},
                           {"buffer", fmt::format("{} {}", BufferClassName(buffer.cls), buffer.identity)}};
    if (const std::string_view tag = ledger.tag_name(static_cast<std::uint32_t>(process), buffer.tag); !tag.empty()) {
      args["tag"] = std::string(tag);
    }
    if (!site.empty()) args["site"] = site;
    const std::string common = fmt::format(R"("name":{},"cat":"buffer","id":"{:#x}","pid":{})", Quoted(name),
                                           buffer.seq, pid);
    writer.Write(fmt::format(R"({{{},"ph":"b","ts":{:.3f},"args":{}}})", common, clock.Micros(buffer.begin_ns),
                             JsonText(args)));
    writer.Write(fmt::format(R"({{{},"ph":"e","ts":{:.3f},"args":{{"end":{}}}}})", common,
                             clock.Micros(buffer.end_ns), Quoted(EndName(buffer.end))));
  }
}

// An instant per anomaly site at its first anomaly, with the facts; then,
// in a whole trace, what the sites leave out (beyond the ledger's bound)
// per kind at `last_ns`.
void WriteAnomalySites(const Ledger& ledger, ProcessIndex process, const ReportScope& scope,
                       const StackHeadlines& headlines, const TraceClock& clock, std::uint64_t last_ns,
                       EventWriter& writer) {
  const ProcessBooks& books = ledger.process(process);
  AnomalyCounts by_site{};
  for (const AnomalySite& site : SortedAnomalySites(ledger)) {
    by_site[static_cast<int>(site.key.kind)] += site.count;
    if (!scope.whole() && (site.example.type == kNoType || !scope.Shows(ledger, site.example.device,
                                                                        site.example.type))) {
      continue;
    }
    const AnomalyFacts facts = FactsOf(ledger, site);
    nlohmann::json events = nlohmann::json::array();
    for (const AnomalyEvent& event : facts.events) {
      nlohmann::json e = {{"event", event.role}};
      if (event.seq != 0) e["seq"] = event.seq;
      if (const std::string& at = headlines.Of(event.stack); !at.empty()) e["site"] = at;
      events.push_back(std::move(e));
    }
    nlohmann::json args = {{"count", site.count},
                           {"what", (site.count > 1 ? "the first: " : "") + facts.what},
                           {"events", std::move(events)},
                           {"meaning", std::string(AnomalyMeaning(site.key.kind))}};
    if (const std::string& at = headlines.Of(site.key.stack); !at.empty()) args["site"] = at;
    writer.Write(fmt::format(R"({{"name":{},"cat":"anomaly","ph":"i","s":"p","ts":{:.3f},"pid":{},"args":{}}})",
                             Quoted(AnomalyName(site.key.kind)), clock.Micros(site.example.time_ns), books.pid,
                             JsonText(args)));
  }
  if (!scope.whole()) return;
  for (int kind = 0; kind < kAnomalyCount; ++kind) {
    if (CountedWithoutSite(static_cast<Anomaly>(kind)) || books.anomalies[kind] <= by_site[kind]) continue;
    const nlohmann::json args = {
        {"count", books.anomalies[kind] - by_site[kind]},
        {"what", fmt::format("anomalies beyond the books' first {} sites: counted, without their facts",
                             Ledger::kMaxAnomalySites)}};
    writer.Write(fmt::format(R"({{"name":{},"cat":"anomaly","ph":"i","s":"p","ts":{:.3f},"pid":{},"args":{}}})",
                             Quoted(AnomalyName(static_cast<Anomaly>(kind))), clock.Micros(last_ns), books.pid,
                             JsonText(args)));
  }
}

}  // namespace

ExportResult ExportChromeTrace(const std::vector<std::string>& capture, const ReportScope& scope,
                               const StackOptions& stacks, std::size_t max_slices, std::ostream& out) {
  Ledger ledger;
  BufferLifetimes lifetimes(ledger, scope, max_slices);
  ledger.set_listener(&lifetimes);
  EventWriter writer(out);
  // Written with the first record (or after a replay of none): a capture
  // that cannot be read writes nothing at all.
  bool begun = false;
  const auto begin = [&] {
    if (!begun) out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
    begun = true;
  };
  TraceClock clock;
  std::uint64_t last_ns = 0;
  std::uint32_t pid = 0;
  // Per (device, ledger type): the sample not yet written — its time, its
  // bytes after the last record at that time and the highest in between.
  // Records have distinct times (ledger/drain_times.h); in an older capture
  // a drained batch shares one, and its highest value is written before its
  // last, at that time, so that the counters reach every peak.
  struct Series {
    std::uint64_t pending_ns = 0;
    std::uint64_t pending_bytes = 0;
    std::uint64_t pending_max = 0;
    bool pending = false;
  };
  std::map<std::pair<std::uint16_t, std::uint16_t>, Series> series;
  AnomalyCounts seen{};
  auto sample = [&](std::pair<std::uint16_t, std::uint16_t> key, std::uint64_t ns, std::uint64_t bytes) {
    writer.Write(fmt::format(R"({{"name":{},"ph":"C","ts":{:.3f},"pid":{},"args":{{"bytes":{}}}}})",
                             Quoted(fmt::format("device {} {}", key.first, ledger.type_name(key.second))),
                             clock.Micros(ns), pid, bytes));
  };
  auto counter = [&](std::pair<std::uint16_t, std::uint16_t> key, const Series& s) {
    if (s.pending_max > s.pending_bytes) sample(key, s.pending_ns, s.pending_max);
    sample(key, s.pending_ns, s.pending_bytes);
  };

  ExportResult result;
  result.replay = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    begin();
    const Event& e = record.event;
    if (clock.first_ns == 0) clock.first_ns = e.time_ns;
    last_ns = std::max(last_ns, e.time_ns);
    const ProcessBooks& books = ledger.process(process);
    pid = books.pid;
    if (record.kind() == EventKind::kMark) {
      writer.Write(fmt::format(R"({{"name":{},"ph":"i","s":"g","ts":{:.3f},"pid":{}}})", Quoted(record.payload),
                               clock.Micros(e.time_ns), pid));
    }
    // Each kind's count so far as a counter ("anomalies": when they came);
    // the kinds without sites as instants too. Neither has a place.
    for (int kind = 0; kind < kAnomalyCount && scope.whole(); ++kind) {
      if (books.anomalies[kind] == seen[kind]) continue;
      const auto anomaly = static_cast<Anomaly>(kind);
      writer.Write(fmt::format(R"({{"name":"anomalies","ph":"C","ts":{:.3f},"pid":{},"args":{{{}:{}}}}})",
                               clock.Micros(e.time_ns), pid, Quoted(AnomalyName(anomaly)), books.anomalies[kind]));
      if (CountedWithoutSite(anomaly)) {
        writer.Write(fmt::format(
            R"({{"name":{},"cat":"anomaly","ph":"i","s":"p","ts":{:.3f},"pid":{},"args":{{"count":{},"meaning":{}}}}})",
            Quoted(AnomalyName(anomaly)), clock.Micros(e.time_ns), pid, books.anomalies[kind] - seen[kind],
            Quoted(AnomalyMeaning(anomaly))));
      }
      seen[kind] = books.anomalies[kind];
    }
    if (!IsBufferEvent(record.kind())) return;
    const std::optional<BufferPlace> place = PlaceOf(ledger, process, e);
    const TypeCounterTable* types = place ? books.device(place->device) : nullptr;
    if (types == nullptr || !scope.Shows(ledger, place->device, place->type)) return;
    const auto key = std::make_pair(place->device, place->type);
    Series& s = series[key];
    const std::uint64_t bytes = (*types)[place->type].live_bytes;
    if (s.pending && s.pending_ns == e.time_ns) {
      s.pending_bytes = bytes;
      s.pending_max = std::max(s.pending_max, bytes);
      return;
    }
    if (s.pending) counter(key, s);
    s = {e.time_ns, bytes, bytes, true};
  }});
  ledger.set_listener(nullptr);
  if (!result.replay.opened) return result;
  begin();
  for (const auto& [key, s] : series) {
    if (s.pending) counter(key, s);
  }
  const ProcessIndex process = result.replay.process;
  const StackHeadlines headlines(ledger.process(process), stacks);
  const std::vector<BufferLifetime> kept = lifetimes.Finish(last_ns);
  const std::uint64_t slices = kept.size();
  WriteLifetimes(ledger, process, kept, headlines, clock, writer);
  WriteAnomalySites(ledger, process, scope, headlines, clock, last_ns, writer);
  writer.Write(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":{}}}}})", pid,
                           Quoted(result.replay.info.comm)));
  result.notes = ExportNotes(ledger, process, scope, "buffer slices are named by type and size, not by site");
  if (lifetimes.left_out() != 0) {
    result.notes.push_back(fmt::format("{} buffer lifetimes left out of the trace: it shows the {} largest "
                                       "(--max-slices {})",
                                       lifetimes.left_out(), slices, max_slices));
  }
  out << fmt::format("\n],\"metadata\":{{\"memledger_buffer_slices\":{{\"written\":{},\"left_out\":{},"
                     "\"max_slices\":{}}}}}}}\n",
                     slices, lifetimes.left_out(), max_slices);
  return result;
}

}  // namespace memledger
