// top_view.cc — see top_view.h.
#include "top_view.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/printable_text.h"
#include "report/text_report.h"
#include "summary_view.h"
#include "text_columns.h"

namespace memledger {
namespace {
constexpr std::size_t kHistory = 600;  // samples kept per device: a minute at the default interval
constexpr int kTypeColumns = 13;        // a memory type's name in its bar row
constexpr int kFewestProcessRows = 5;   // bars only when the table still gets this many (or all its rows)
constexpr int kFewestSamples = 8;       // a history narrower is not drawn
constexpr int kByteColumns = 10;        // FormatBytes's widest ("1023.9 KiB")

// "  max free 6.0 KiB" after a type's bar: its largest free block ("—" without an address space).
std::string LargestFreeText(const std::string& bytes) { return "  max free " + bytes; }

std::string Bar(double fraction, int width) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width + 0.5);
  return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

double Fullness(std::uint64_t used, std::uint64_t capacity) {
  return capacity == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(capacity);
}

// "CB 9.4%": a type's use of its capacity, or its bytes when it declares none.
std::string TypeUse(const std::string& type, std::uint64_t used, std::uint64_t capacity) {
  if (capacity == 0) return fmt::format("{} {}", PrintableText(type), FormatBytes(used));
  return fmt::format("{} {:.1f}%", PrintableText(type), Fullness(used, capacity) * 100);
}

std::string Span(TopView::Clock::duration span) {
  const double seconds = std::chrono::duration<double>(span).count();
  return seconds < 60 ? fmt::format("{:.1f} s", seconds) : fmt::format("{:.1f} min", seconds / 60);
}

std::string Keys() {
  std::string keys = "keys:";
  for (const TopKey& key : kTopKeys) keys += fmt::format(" {:c} {} ", static_cast<char>(key.key), RowOrderName(key.order));
  return keys + " q quit";
}
}  // namespace

void TopView::Update(const nlohmann::json& summary, Clock::time_point now) {
  summary_ = summary;
  updated_ = now;
  for (const auto& device : summary_["devices"]) {
    auto& history = history_[device["device"].get<std::uint64_t>()];
    history.push_back({now, LiveBytes(device["types"])});
    if (history.size() > kHistory) history.pop_front();
  }
}

std::string TopView::History(const std::deque<Sample>& history, int width) const {
  static const char* const kBlocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static const char kAscii[] = " .:-=+*#%";
  // The scale of the samples from `from` on: their top value, and the time they span.
  const auto scale = [&](std::size_t from) {
    std::uint64_t top = 0;
    for (std::size_t i = from; i < history.size(); ++i) top = std::max(top, history[i].live_bytes);
    return std::pair(top, fmt::format("0{}{}, last {}", utf8_ ? "–" : "-", FormatBytes(top),
                                      Span(updated_ - history[from].time)));
  };
  // Room for the samples once "live " and the widest label (the whole history's) are placed.
  const int room = width - Columns("live ") - 1 - Columns(scale(0).second);
  if (room < kFewestSamples) return {};
  const std::size_t from = history.size() - std::min(history.size(), static_cast<std::size_t>(room));
  const auto [top, label] = scale(from);
  std::string spark;
  for (std::size_t i = from; i < history.size(); ++i) {
    // Drawn from 0 to the top value shown; anything held shows.
    const std::uint64_t bytes = history[i].live_bytes;
    const int level = top == 0 ? 0 : std::max(bytes == 0 ? 0 : 1, static_cast<int>(8.0 * static_cast<double>(bytes) / static_cast<double>(top) + 0.5));
    if (utf8_) {
      spark += kBlocks[level];
    } else {
      spark += kAscii[level];
    }
  }
  return fmt::format("live {} {}", spark, label);
}

std::vector<std::string> TopView::Render(int width, int height) const {
  std::vector<std::string> lines;
  auto add = [&](const std::string& line) { lines.push_back(Fit(line, width)); };
  if (summary_.is_null()) {
    add("memledger top: waiting for the server...");
    lines.resize(std::min<std::size_t>(lines.size(), static_cast<std::size_t>(std::max(height, 0))));
    return lines;
  }
  // The title: the sort order always, the counts when they fit.
  const std::string title = "memledger top — " + CountProcesses(summary_["processes"].size());
  const std::string counts = fmt::format(", {}, {} dropped", Count(summary_.value("events", std::uint64_t{0}), "event"),
                                         summary_.value("dropped_events", 0));
  const std::string sorted = fmt::format("   sort: {}", RowOrderName(order_));
  add(Columns(title + counts + sorted) <= width ? title + counts + sorted : title + sorted);

  const ProcessTable table = RenderProcessTable(summary_, order_, width, utf8_);
  constexpr int kFooterRows = 2;  // the counters, the keys
  // A device's heading with its history, then its types one per line with a
  // bar, when the process table still gets its rows below; else each device
  // on one line.
  const auto& devices = summary_["devices"];
  int full_rows = 0;
  for (const auto& device : devices) full_rows += 1 + static_cast<int>(device["types"].size());
  const int table_rows = std::min(static_cast<int>(table.rows.size()), kFewestProcessRows);
  const bool full = 1 + full_rows + 2 + table_rows + kFooterRows <= height;
  // A type's largest free block beside its bar when any device declared an address space.
  bool with_spaces = false;
  for (const auto& device : devices) {
    for (const auto& [type, counters] : device["types"].items()) with_spaces |= counters.contains("largest_free_block_bytes");
  }
  const int space_columns = with_spaces ? Columns(LargestFreeText("")) + kByteColumns : 0;
  const int bar_width = std::clamp(width - 50 - space_columns, 10, 40);
  for (const auto& device : devices) {
    const std::vector<std::string> types = TypesInReportOrder(device);
    const auto& capacities = device.value("capacity", nlohmann::json::object());
    if (!full) {
      std::string line = DeviceHeading(device) + " ";
      for (const std::string& type : types) {
        const std::string use = TypeUse(type, device["types"][type].value("live_bytes", std::uint64_t{0}),
                                        capacities.value(type, std::uint64_t{0}));
        if (Columns(line) + 1 + Columns(use) > width) break;  // whole types only
        line += " " + use;
      }
      add(line);
      continue;
    }
    // The heading, then its history in the columns it leaves.
    std::string heading = DeviceHeading(device);
    if (const auto it = history_.find(device["device"].get<std::uint64_t>()); it != history_.end()) {
      const std::string history = History(it->second, width - Columns(heading) - 2);
      if (!history.empty()) heading += "  " + history;
    }
    add(heading);
    for (const std::string& type : types) {
      const std::uint64_t used = device["types"][type].value("live_bytes", std::uint64_t{0});
      const std::uint64_t capacity = capacities.value(type, std::uint64_t{0});
      const std::string capacity_text = capacity == 0 ? std::string("-") : FormatBytes(capacity);
      std::string row = fmt::format("  {:<{}} {} {:>6} {:>10} / ", Fit(PrintableText(type), kTypeColumns), kTypeColumns,
                                    Bar(Fullness(used, capacity), bar_width),
                                    capacity == 0 ? std::string("-") : fmt::format("{:.1f}%", Fullness(used, capacity) * 100),
                                    FormatBytes(used));
      if (with_spaces) {
        row += fmt::format("{:<{}}{}", capacity_text, kByteColumns,
                           LargestFreeText(LargestFree(device["types"][type], utf8_ ? "\u2014" : "-")));
      } else {
        row += capacity_text;
      }
      add(row);
    }
  }
  add("");
  add(table.header);
  // The rows that fit above the footer; the rest are counted in it.
  const std::size_t room = static_cast<std::size_t>(std::max(height - kFooterRows - static_cast<int>(lines.size()), 0));
  const std::size_t shown = std::min(table.rows.size(), room);
  for (std::size_t i = 0; i < shown; ++i) add(table.rows[i]);
  lines.resize(std::min<std::size_t>(lines.size(), static_cast<std::size_t>(std::max(height - kFooterRows, 0))));

  std::string anomalies;
  for (const auto& [kind, count] : summary_["anomalies"].items()) {
    if (count.get<std::uint64_t>() != 0) anomalies += fmt::format(" {} {}", kind, count.get<std::uint64_t>());
  }
  std::string failures;
  const nlohmann::json by_verdict = summary_.value("allocation_failures", nlohmann::json::object()).value("by_verdict", nlohmann::json::object());
  for (const auto& [verdict, count] : by_verdict.items()) {
    if (count.get<std::uint64_t>() != 0) failures += fmt::format(" {} {}", verdict, count.get<std::uint64_t>());
  }
  std::string counters = fmt::format("{}leaks: {}, {}   anomalies:{}",
                                     failures.empty() ? "" : "failures:" + failures + "   ",
                                     Count(summary_["leaks"].value("buffers", std::uint64_t{0}), "buffer"),
                                     FormatBytes(summary_["leaks"].value("bytes", std::uint64_t{0})),
                                     anomalies.empty() ? " none" : anomalies);
  if (shown < table.rows.size()) counters = fmt::format("{}   {}", Count(table.rows.size() - shown, "more row"), counters);
  // The footer at the bottom.
  if (static_cast<int>(lines.size()) + kFooterRows <= height) {
    lines.resize(static_cast<std::size_t>(height - kFooterRows));
    add(counters);
    add(Keys());
  }
  return lines;
}

}  // namespace memledger
