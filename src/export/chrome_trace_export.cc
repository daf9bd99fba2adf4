// chrome_trace_export.cc — see chrome_trace_export.h.
#include "export/chrome_trace_export.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "event/json_text.h"

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

}  // namespace

ReplayResult ExportChromeTrace(const std::string& capture, std::ostream& out) {
  Ledger ledger;
  EventWriter writer(out);
  out << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[";
  std::uint64_t first_ns = 0;
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
  auto micros = [&](std::uint64_t ns) { return static_cast<double>(ns - first_ns) / 1000.0; };
  auto sample = [&](std::pair<std::uint16_t, std::uint16_t> key, std::uint64_t ns, std::uint64_t bytes) {
    writer.Write(fmt::format(R"({{"name":{},"ph":"C","ts":{:.3f},"pid":{},"args":{{"bytes":{}}}}})",
                             Quoted(fmt::format("device {} {}", key.first, ledger.type_name(key.second))),
                             micros(ns), pid, bytes));
  };
  auto counter = [&](std::pair<std::uint16_t, std::uint16_t> key, const Series& s) {
    if (s.pending_max > s.pending_bytes) sample(key, s.pending_ns, s.pending_max);
    sample(key, s.pending_ns, s.pending_bytes);
  };

  ReplayResult result = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    const Event& e = record.event;
    if (first_ns == 0) first_ns = e.time_ns;
    const ProcessBooks& books = ledger.process(process);
    pid = books.pid;
    if (record.kind() == EventKind::kMark) {
      writer.Write(fmt::format(R"({{"name":{},"ph":"i","s":"g","ts":{:.3f},"pid":{}}})", Quoted(record.payload),
                               micros(e.time_ns), pid));
    }
    for (int kind = 0; kind < kAnomalyCount; ++kind) {
      if (books.anomalies[kind] == seen[kind]) continue;
      writer.Write(fmt::format(R"({{"name":{},"ph":"i","s":"p","ts":{:.3f},"pid":{},"args":{{"count":{}}}}})",
                               Quoted(AnomalyName(static_cast<Anomaly>(kind))), micros(e.time_ns), pid,
                               books.anomalies[kind] - seen[kind]));
      seen[kind] = books.anomalies[kind];
    }
    if (!IsBufferEvent(record.kind()) || e.device >= kMaxDevices || e.type >= MEMLEDGER_MAX_TYPES) return;
    const std::uint16_t type = books.type_map[e.type];
    const std::uint16_t device = ledger.DeviceOf(process, e.device);  // ledger-wide (device_table.h)
    const TypeCounterTable* types = device == kNoDevice ? nullptr : books.device(device);
    if (type >= ledger.type_count() || types == nullptr) return;
    const auto key = std::make_pair(device, type);
    Series& s = series[key];
    const std::uint64_t bytes = (*types)[type].live_bytes;
    if (s.pending && s.pending_ns == e.time_ns) {
      s.pending_bytes = bytes;
      s.pending_max = std::max(s.pending_max, bytes);
      return;
    }
    if (s.pending) counter(key, s);
    s = {e.time_ns, bytes, bytes, true};
  }});
  for (const auto& [key, s] : series) {
    if (s.pending) counter(key, s);
  }
  if (result.opened) {
    writer.Write(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":{}}}}})", pid,
                             Quoted(result.info.comm)));
  }
  out << "\n]}\n";
  return result;
}

}  // namespace memledger
