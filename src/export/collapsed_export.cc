// collapsed_export.cc — see collapsed_export.h.
#include "export/collapsed_export.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <vector>

#include "report/printable_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

// Live bytes of the process on ledger-wide `device`, all types together.
std::uint64_t DeviceLiveBytes(const ProcessBooks& books, std::size_t device) {
  const TypeCounterTable* types = books.device(device);
  std::uint64_t bytes = 0;
  if (types != nullptr) {
    for (const auto& [type, c] : *types) bytes += c.live_bytes;
  }
  return bytes;
}

// The number of records applied when the process's total live bytes were
// highest (the first time), or 0 when it never held anything.
std::uint64_t RecordsAtPeak(const std::string& capture, ReplayResult* result) {
  Ledger ledger;
  std::vector<std::uint64_t> per_device;
  std::uint64_t total = 0, peak = 0, records = 0, at_peak = 0;
  *result = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    ++records;
    if (!IsBufferEvent(record.kind()) || record.event.device >= kMaxDevices) return;
    const std::uint16_t device = ledger.DeviceOf(process, record.event.device);  // ledger-wide (device_table.h)
    if (device == kNoDevice) return;
    if (per_device.size() <= device) per_device.resize(device + 1);
    const std::uint64_t now = DeviceLiveBytes(ledger.process(process), device);
    total = total - per_device[device] + now;
    per_device[device] = now;
    if (total > peak) {
      peak = total;
      at_peak = records;
    }
  }});
  return at_peak;
}

std::string Collapsed(const ProcessBooks& books, std::uint32_t stack, SiteStacks& stacks) {
  const std::vector<std::string> frames = stacks.Boxes(stacks.Read(books, stack));
  if (frames.empty()) return "[no stack]";
  std::string line;
  for (auto frame = frames.rbegin(); frame != frames.rend(); ++frame) {
    std::string text = PrintableText(*frame);  // one line per stack
    std::replace(text.begin(), text.end(), ';', ',');  // ';' separates frames
    if (!line.empty()) line += ';';
    line += text;
  }
  return line;
}

void Write(const ProcessBooks& books, const absl::flat_hash_map<std::uint32_t, std::uint64_t>& bytes_by_stack,
           const StackOptions& options, std::ostream& out) {
  std::vector<std::pair<std::uint32_t, std::uint64_t>> sorted(bytes_by_stack.begin(), bytes_by_stack.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, options);
  for (const auto& [stack, bytes] : sorted) out << Collapsed(books, stack, stacks) << ' ' << bytes << '\n';
}

}  // namespace

ReplayResult ExportCollapsed(const std::string& capture, CollapsedAt at, const StackOptions& stacks,
                             std::ostream& out) {
  absl::flat_hash_map<std::uint32_t, std::uint64_t> bytes_by_stack;
  Ledger ledger;
  ReplayResult result;
  if (at == CollapsedAt::kEnd) {
    result = ReplayCapture(capture, ledger);
    if (!result.opened) return result;
    for (const auto& [key, totals] : ledger.leak_sites()) bytes_by_stack[key.stack] += totals.bytes;
    // A process running when the capture ends still holds its buffers.
    ledger.ForEachLive([&](const LiveKey&, const LiveBuffer& buffer) { bytes_by_stack[buffer.stack] += buffer.size; });
  } else {
    const std::uint64_t at_peak = RecordsAtPeak(capture, &result);
    if (!result.opened) return result;
    std::uint64_t records = 0;
    result = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex, const Record&) {
      if (++records != at_peak) return;
      ledger.ForEachLive([&](const LiveKey&, const LiveBuffer& buffer) { bytes_by_stack[buffer.stack] += buffer.size; });
    }});
  }
  if (result.opened) Write(ledger.process(result.process), bytes_by_stack, stacks, out);
  return result;
}

}  // namespace memledger
