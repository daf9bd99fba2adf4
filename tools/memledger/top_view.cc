// top_view.cc — see top_view.h.
#include "top_view.h"

#include <fmt/format.h>

#include <algorithm>

#include "report/printable_text.h"
#include "report/text_report.h"
#include "summary_view.h"

namespace memledger {
namespace {
constexpr std::size_t kHistory = 120;  // samples kept per device

// Display width of a string that is ASCII except for whole UTF-8 sequences
// (names go through PrintableText first).
int Columns(const std::string& s) {
  int n = 0;
  for (const unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Cuts `s` to `width` display columns.
std::string Fit(const std::string& s, int width) {
  if (Columns(s) <= width) return s;
  std::string out;
  int n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80 && ++n > width) break;
    out += s[i];
  }
  return out;
}

std::string Bar(double fraction, int width) {
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * width + 0.5);
  return "[" + std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

std::string Sparkline(const std::deque<double>& history, int width, bool utf8) {
  static const char* const kBlocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static const char kAscii[] = " .:-=+*#%";
  std::string out;
  const std::size_t n = std::min<std::size_t>(history.size(), static_cast<std::size_t>(std::max(width, 0)));
  for (std::size_t i = history.size() - n; i < history.size(); ++i) {
    const int level = static_cast<int>(std::clamp(history[i], 0.0, 1.0) * 8 + 0.5);
    if (utf8) {
      out += kBlocks[level];
    } else {
      out += kAscii[level];
    }
  }
  return out;
}

std::uint64_t ProcessBytes(const nlohmann::json& process, const char* only_type) {
  std::uint64_t total = 0;
  for (const auto& device : process.value("devices", nlohmann::json::array())) {
    for (const auto& [type, counters] : device["types"].items()) {
      if (only_type == nullptr || type == only_type) total += counters.value("live_bytes", std::uint64_t{0});
    }
  }
  return total;
}
}  // namespace

void TopView::Update(const nlohmann::json& summary) {
  summary_ = summary;
  for (const auto& device : summary_["devices"]) {
    std::uint64_t used = 0, capacity = 0;
    for (const auto& [type, counters] : device["types"].items()) used += counters.value("live_bytes", std::uint64_t{0});
    for (const auto& [type, bytes] : device["capacity"].items()) capacity += bytes.get<std::uint64_t>();
    auto& history = history_[device["device"].get<int>()];
    history.push_back(capacity == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(capacity));
    if (history.size() > kHistory) history.pop_front();
  }
}

namespace {
// "CB 9.4%": a type's use of its capacity, or its bytes when it declares none.
std::string TypeUse(const std::string& type, std::uint64_t used, std::uint64_t capacity) {
  if (capacity == 0) return fmt::format("{} {}", PrintableText(type), FormatBytes(used));
  return fmt::format("{} {:.1f}%", PrintableText(type), static_cast<double>(used) * 100 / static_cast<double>(capacity));
}
double Fullness(std::uint64_t used, std::uint64_t capacity) {
  return capacity == 0 ? 0.0 : static_cast<double>(used) / static_cast<double>(capacity);
}
}  // namespace

std::vector<std::string> WrapText(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::string rest = text;
  while (width > 0 && Columns(rest) > width) {
    std::string head = Fit(rest, width);
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos && space > 0) head.resize(space);
    lines.push_back(head);
    rest = rest.substr(head.size() + (rest.size() > head.size() && rest[head.size()] == ' ' ? 1 : 0));
  }
  lines.push_back(rest);
  return lines;
}

std::vector<std::string> TopView::Render(int width, int height) const {
  std::vector<std::string> lines;
  auto add = [&](const std::string& line) {
    if (static_cast<int>(lines.size()) < height) lines.push_back(Fit(line, width));
  };
  if (summary_.is_null()) {
    add("memledger top: waiting for the server...");
    return lines;
  }
  const char* sort_name = sort_ == TopSort::kDeviceMemory ? "device memory" : sort_ == TopSort::kL1 ? "L1" : "pid";
  const std::string title = fmt::format("memledger top — {} processes, {} events, {} dropped",
                                        summary_["processes"].size(), summary_.value("events", 0),
                                        summary_.value("dropped_events", 0));
  const std::string sorted = fmt::format("   sort: {}", sort_name);
  add(Columns(title + sorted) <= width ? title + sorted : title);

  // A device's types one per line with a bar when the processes still get
  // rows below; else each device on one line, its fullest types first.
  const auto& devices = summary_["devices"];
  const int process_rows = static_cast<int>(std::min<std::size_t>(summary_["processes"].size(), 5));
  int full_rows = 0;
  for (const auto& device : devices) full_rows += 1 + static_cast<int>(device["types"].size());
  const bool full = 1 + full_rows + 2 + process_rows + 1 <= height;
  const int bar_width = std::clamp(width - 50, 10, 40);
  for (const auto& device : devices) {
    const int id = device["device"].get<int>();
    if (!full) {
      std::vector<std::pair<double, std::string>> uses;
      for (const auto& [type, counters] : device["types"].items()) {
        const std::uint64_t used = counters.value("live_bytes", std::uint64_t{0});
        const std::uint64_t capacity = device["capacity"].value(type, std::uint64_t{0});
        uses.emplace_back(Fullness(used, capacity), TypeUse(type, used, capacity));
      }
      std::stable_sort(uses.begin(), uses.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      std::string line = DeviceHeading(device) + " ";
      for (const auto& [fraction, use] : uses) {
        if (Columns(line) + 1 + Columns(use) > width) break;  // whole types only
        line += " " + use;
      }
      add(line);
      continue;
    }
    std::string spark;
    if (const auto it = history_.find(id); it != history_.end()) spark = Sparkline(it->second, width - 30, utf8_);
    add(fmt::format("{}  {}", DeviceHeading(device), spark));
    for (const auto& [type, counters] : device["types"].items()) {
      const std::uint64_t used = counters.value("live_bytes", std::uint64_t{0});
      const std::uint64_t capacity = device["capacity"].value(type, std::uint64_t{0});
      add(fmt::format("  {:<13} {} {:>6} {:>10} / {}", PrintableText(type), Bar(Fullness(used, capacity), bar_width),
                      capacity == 0 ? std::string("-") : fmt::format("{:.1f}%", Fullness(used, capacity) * 100),
                      FormatBytes(used), capacity == 0 ? std::string("-") : FormatBytes(capacity)));
    }
  }
  std::vector<const nlohmann::json*> processes;
  for (const auto& p : summary_["processes"]) processes.push_back(&p);
  std::stable_sort(processes.begin(), processes.end(), [&](const nlohmann::json* a, const nlohmann::json* b) {
    switch (sort_) {
      case TopSort::kDeviceMemory: return ProcessBytes(*a, nullptr) > ProcessBytes(*b, nullptr);
      case TopSort::kL1: return ProcessBytes(*a, "L1") > ProcessBytes(*b, "L1");
      case TopSort::kPid: return (*a)["pid"].get<std::uint64_t>() < (*b)["pid"].get<std::uint64_t>();
    }
    return false;
  });
  // 79 columns: pids up to 4,194,304 (Linux's most) fit in 7.
  constexpr const char* kRow = " {:>7} {:<16} {:<8} {:<8} {:>11} {:>11} {:>11}";
  add("");
  add(fmt::format(kRow, "pid", "process", "state", "devices", "device mem", "L1", "leaked"));
  // Leave the last line for the counters.
  std::size_t shown = 0;
  for (const nlohmann::json* p : processes) {
    if (static_cast<int>(lines.size()) >= height - 1) break;
    ++shown;
    add(fmt::format(kRow, (*p)["pid"].get<std::uint64_t>(), Fit(PrintableText((*p)["comm"].get<std::string>()), 16),
                    (*p)["state"].get<std::string>(), Fit(DeviceColumn(*p), 8), FormatBytes(ProcessBytes(*p, nullptr)),
                    FormatBytes(ProcessBytes(*p, "L1")), FormatBytes((*p)["leaked_bytes"].get<std::uint64_t>())));
  }
  std::string anomalies;
  for (const auto& [kind, count] : summary_["anomalies"].items()) {
    if (count.get<std::uint64_t>() != 0) anomalies += fmt::format(" {} {}", kind, count.get<std::uint64_t>());
  }
  lines.resize(std::min<std::size_t>(lines.size(), static_cast<std::size_t>(std::max(height - 1, 0))));
  std::string footer = fmt::format("leaks: {} buffers, {}   anomalies:{}", summary_["leaks"].value("buffers", 0),
                                   FormatBytes(summary_["leaks"].value("bytes", std::uint64_t{0})),
                                   anomalies.empty() ? " none" : anomalies);
  if (shown < processes.size()) footer = fmt::format("{} more processes   {}", processes.size() - shown, footer);
  const std::string keys = "keys: d l p sort, q quit";
  if (Columns(footer) + 3 + Columns(keys) <= width) {
    footer += std::string(static_cast<std::size_t>(width - Columns(footer) - Columns(keys)), ' ') + keys;
  }
  add(footer);
  return lines;
}

}  // namespace memledger
