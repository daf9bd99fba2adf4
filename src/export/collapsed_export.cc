// collapsed_export.cc — see collapsed_export.h.
#include "export/collapsed_export.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

#include "report/names.h"
#include "report/printable_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

// A frame's text as one collapsed frame: one line, no ';' (it separates frames).
std::string FrameText(std::string_view frame) {
  std::string text = PrintableText(frame);
  std::replace(text.begin(), text.end(), ';', ',');
  return text;
}

// Live bytes of the process on ledger-wide `device`, of the types `scope` shows.
std::uint64_t DeviceLiveBytes(const Ledger& ledger, const ProcessBooks& books, std::uint16_t device,
                              const ReportScope& scope) {
  const TypeCounterTable* types = books.device(device);
  std::uint64_t bytes = 0;
  if (types != nullptr) {
    for (const auto& [type, c] : *types) {
      if (scope.Shows(ledger, device, type)) bytes += c.live_bytes;
    }
  }
  return bytes;
}

// The number of records applied when the process's live bytes in `scope`
// were highest (the first time), or 0 when it never held anything there.
std::uint64_t RecordsAtPeak(const std::vector<std::string>& capture, const ReportScope& scope, ReplayResult* result) {
  Ledger ledger;
  std::vector<std::uint64_t> per_device;
  std::uint64_t total = 0, peak = 0, records = 0, at_peak = 0;
  *result = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    ++records;
    if (!IsBufferEvent(record.kind()) || record.event.device >= kMaxDevices) return;
    const std::uint16_t device = ledger.DeviceOf(process, record.event.device);  // ledger-wide (device_table.h)
    if (device == kNoDevice) return;
    if (per_device.size() <= device) per_device.resize(device + 1);
    const std::uint64_t now = DeviceLiveBytes(ledger, ledger.process(process), device, scope);
    total = total - per_device[device] + now;
    per_device[device] = now;
    if (total > peak) {
      peak = total;
      at_peak = records;
    }
  }});
  return at_peak;
}

// Bytes by (ledger-wide device, ledger-wide type, stack).
using PlaceStack = std::tuple<std::uint16_t, std::uint16_t, std::uint32_t>;
using BytesByPlaceStack = absl::flat_hash_map<PlaceStack, std::uint64_t>;

// Adds every live buffer of `process` that `scope` shows.
void AddLive(const Ledger& ledger, ProcessIndex process, const ReportScope& scope, BytesByPlaceStack& bytes) {
  ledger.ForEachLiveOf(process, [&](const LiveKey& key, const LiveBuffer& buffer) {
    const std::uint16_t device = ledger.DeviceOf(process, key.device);
    if (device != kNoDevice && scope.Shows(ledger, device, buffer.type)) {
      bytes[{device, buffer.type, buffer.stack}] += buffer.size;
    }
  });
}

// Writes a line per (device, type, stack as shown): stacks that show the
// same frames (return addresses within one line) are one line, as they are
// one site in the text report.
void Write(const Ledger& ledger, const ProcessBooks& books, const BytesByPlaceStack& bytes_by_place_stack,
           const StackOptions& options, std::ostream& out) {
  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, options);
  // (device, type, frames below them) -> bytes
  std::map<std::tuple<std::uint16_t, std::uint16_t, std::string>, std::uint64_t> bytes_by_line;
  for (const auto& [place_stack, bytes] : bytes_by_place_stack) {
    const auto& [device, type, stack] = place_stack;
    const std::vector<std::string> frames = stacks.Boxes(stacks.Read(books, stack));
    std::string below = frames.empty() ? "[no stack]" : "";
    for (auto frame = frames.rbegin(); frame != frames.rend(); ++frame) {
      below += (below.empty() ? "" : ";") + FrameText(*frame);
    }
    bytes_by_line[{device, type, below}] += bytes;
  }
  std::vector<std::pair<std::tuple<std::uint16_t, std::uint16_t, std::string>, std::uint64_t>> sorted(
      bytes_by_line.begin(), bytes_by_line.end());
  // By device and type (as the map has them), then largest first.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    const auto a_place = std::make_pair(std::get<0>(a.first), std::get<1>(a.first));
    const auto b_place = std::make_pair(std::get<0>(b.first), std::get<1>(b.first));
    return a_place != b_place ? a_place < b_place : a.second > b.second;
  });
  for (const auto& [line, bytes] : sorted) {
    const auto& [device, type, below] = line;
    out << FrameText(DeviceLabel(ledger, device)) << ';' << FrameText(ledger.type_name(type)) << ';' << below << ' '
        << bytes << '\n';
  }
}

}  // namespace

ExportResult ExportCollapsed(const std::vector<std::string>& capture, CollapsedAt at, const ReportScope& scope,
                             const StackOptions& stacks, std::ostream& out) {
  BytesByPlaceStack bytes_by_place_stack;
  Ledger ledger;
  ExportResult result;
  if (at == CollapsedAt::kEnd) {
    result.replay = ReplayCapture(capture, ledger);
    if (!result.replay.opened) return result;
    for (const auto& [key, totals] : ledger.leak_sites()) {
      if (scope.Shows(ledger, key.device, key.type)) {
        bytes_by_place_stack[{static_cast<std::uint16_t>(key.device), key.type, key.stack}] += totals.bytes;
      }
    }
    // A process running when the capture ends still holds its buffers.
    AddLive(ledger, result.replay.process, scope, bytes_by_place_stack);
  } else {
    const std::uint64_t at_peak = RecordsAtPeak(capture, scope, &result.replay);
    if (!result.replay.opened) return result;
    std::uint64_t records = 0;
    result.replay = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record&) {
      if (++records == at_peak) AddLive(ledger, process, scope, bytes_by_place_stack);
    }});
  }
  if (!result.replay.opened) return result;
  const ProcessBooks& books = ledger.process(result.replay.process);
  Write(ledger, books, bytes_by_place_stack, stacks, out);
  result.notes = ExportNotes(ledger, result.replay.process, scope,
                             "every stack is \"[no stack]\" under its device and memory type");
  return result;
}

}  // namespace memledger
