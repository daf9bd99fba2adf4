// process_table.cc — see process_table.h.
#include "process_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <tuple>

#include "report/printable_text.h"
#include "report/text_report.h"
#include "summary_view.h"
#include "text_columns.h"

namespace memledger {
namespace {

constexpr int kMinCommandColumns = 23;  // columns are dropped until the command has this many
constexpr int kBytesColumns = 10;       // "1023.9 MiB"
constexpr int kMaxTypeColumns = 16;     // a pool's name is cut past this
constexpr std::size_t kMostTypes = 8;   // type columns at most (the total counts every type)

// Which column goes first when the width is short: the highest rank.
constexpr int kNeverDropped = 0;  // pid, device, total (and the command, which takes what is left)
constexpr int kDropState = 1;
constexpr int kDropLeaked = 2;
constexpr int kDropTypes = 3;  // plus the type's place in report order: the last type first
constexpr int kDropEvents = 1 << 20;
constexpr int kDropUid = kDropEvents + 1;

// A process on one device it uses.
struct Row {
  std::uint64_t pid = 0;
  std::string uid;  // "-": unknown
  std::string state;
  std::optional<std::uint64_t> device;  // none: the process uses no device
  nlohmann::json types = nlohmann::json::object();  // what it holds there, by type
  std::uint64_t total = 0;
  std::uint64_t leaked = 0;  // by the process, on all its devices
  std::uint64_t events = 0;
  std::string command;  // printable
};

struct Column {
  std::string title;
  int width;
  bool left;  // aligned left (text), else right (numbers)
  int drop_rank;  // the highest goes first (kNeverDropped: stays)
  std::function<std::string(const Row&)> cell;
};

std::vector<Row> RowsOf(const nlohmann::json& summary) {
  std::vector<Row> rows;
  for (const auto& process : summary["processes"]) {
    Row row;
    row.pid = process["pid"].get<std::uint64_t>();
    const auto& uid = process.value("uid", nlohmann::json());
    row.uid = uid.is_number() ? std::to_string(uid.get<std::uint64_t>()) : "-";
    row.state = PrintableText(process.value("state", ""));
    row.leaked = process.value("leaked_bytes", std::uint64_t{0});
    row.events = process.value("events", std::uint64_t{0});
    const std::string command = process.value("command", "");
    row.command = command.empty() ? "[" + PrintableText(process.value("comm", "")) + "]" : PrintableText(command);
    const auto& devices = process.value("devices", nlohmann::json::array());
    if (devices.empty()) rows.push_back(row);
    for (const auto& device : devices) {
      Row on_device = row;
      on_device.device = device["device"].get<std::uint64_t>();
      on_device.types = device.value("types", nlohmann::json::object());
      on_device.total = LiveBytes(on_device.types);
      rows.push_back(std::move(on_device));
    }
  }
  return rows;
}

void Sort(std::vector<Row>& rows, RowOrder order) {
  // No device sorts after every device.
  const auto device = [](const Row& row) { return row.device.value_or(UINT64_MAX); };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    switch (order) {
      case RowOrder::kMemory:
        return std::tuple(b.total, a.pid, device(a)) < std::tuple(a.total, b.pid, device(b));
      case RowOrder::kDevice:
        return std::tuple(device(a), b.total, a.pid) < std::tuple(device(b), a.total, b.pid);
      case RowOrder::kLeaked:
        return std::tuple(b.leaked, b.total, a.pid, device(a)) < std::tuple(a.leaked, a.total, b.pid, device(b));
      case RowOrder::kPid:
        return std::tuple(a.pid, device(a)) < std::tuple(b.pid, device(b));
    }
    return false;
  });
}

// The memory types some row holds, in the text report's order device by
// device: the first kMostTypes.
std::vector<std::string> HeldTypes(const nlohmann::json& summary, const std::vector<Row>& rows) {
  std::vector<std::string> types;
  for (const auto& device : summary["devices"]) {
    for (const std::string& type : TypesInReportOrder(device)) {
      const bool held = std::any_of(rows.begin(), rows.end(), [&](const Row& row) { return row.types.contains(type); });
      if (held && std::find(types.begin(), types.end(), type) == types.end()) types.push_back(type);
      if (types.size() == kMostTypes) return types;
    }
  }
  return types;
}

std::string Bytes(std::uint64_t bytes) { return bytes == 0 ? "-" : FormatBytes(bytes); }

std::vector<Column> AllColumns(const std::vector<std::string>& types) {
  std::vector<Column> columns = {
      {"pid", 7, false, kNeverDropped, [](const Row& r) { return std::to_string(r.pid); }},
      {"uid", 6, false, kDropUid, [](const Row& r) { return r.uid; }},
      {"state", 8, true, kDropState, [](const Row& r) { return r.state; }},
      {"device", 6, false, kNeverDropped, [](const Row& r) { return r.device ? std::to_string(*r.device) : "-"; }},
  };
  int drop_rank = kDropTypes;
  for (const std::string& type : types) {
    const std::string title = PrintableText(type);
    columns.push_back({title, std::clamp(Columns(title), kBytesColumns, kMaxTypeColumns), false, drop_rank++,
                       [type](const Row& r) {
                         return Bytes(r.types.contains(type) ? r.types[type].value("live_bytes", std::uint64_t{0}) : 0);
                       }});
  }
  columns.push_back({"total", kBytesColumns, false, kNeverDropped, [](const Row& r) { return FormatBytes(r.total); }});
  columns.push_back({"leaked", kBytesColumns, false, kDropLeaked, [](const Row& r) { return FormatBytes(r.leaked); }});
  columns.push_back({"events", 10, false, kDropEvents, [](const Row& r) { return std::to_string(r.events); }});
  return columns;
}

// " " then each cell, one space apart: the columns before the command.
int LineColumns(const std::vector<Column>& columns) {
  int n = 1;
  for (const Column& column : columns) n += column.width + 1;
  return n;
}

// `command` in `width` columns (-1: any): whole when it fits, else without
// its program's directory ("memledger-sim llm ..."), cut and marked.
std::string CommandCell(const std::string& command, int width, bool utf8) {
  if (width < 0 || Columns(command) <= width) return command;
  const std::size_t program_end = std::min(command.find(' '), command.size());
  const std::size_t directory_end = command.rfind('/', program_end);
  const std::string shorter = directory_end == std::string::npos ? command : command.substr(directory_end + 1);
  return FitMarked(shorter, width, utf8);
}

std::string Cell(const std::string& text, int width, bool left) {
  const std::string fitted = Fit(text, width);
  const auto pad = std::string(static_cast<std::size_t>(width - Columns(fitted)), ' ');
  return left ? fitted + pad : pad + fitted;
}

}  // namespace

std::string_view RowOrderName(RowOrder order) {
  switch (order) {
    case RowOrder::kMemory: return "memory";
    case RowOrder::kDevice: return "device";
    case RowOrder::kLeaked: return "leaked";
    case RowOrder::kPid: return "pid";
  }
  return "?";
}

ProcessTable RenderProcessTable(const nlohmann::json& summary, RowOrder order, int width, bool utf8) {
  std::vector<Row> rows = RowsOf(summary);
  Sort(rows, order);
  std::vector<Column> columns = AllColumns(HeldTypes(summary, rows));
  // Dropped, the highest rank first, until the command has its columns (or
  // only the pid, device and total are left).
  while (width > 0 && LineColumns(columns) + kMinCommandColumns > width) {
    const auto drop = std::max_element(columns.begin(), columns.end(),
                                       [](const Column& a, const Column& b) { return a.drop_rank < b.drop_rank; });
    if (drop->drop_rank == kNeverDropped) break;
    columns.erase(drop);
  }
  const int command_width = width > 0 ? std::max(width - LineColumns(columns), 0) : -1;  // -1: whole
  const auto line = [&](const std::function<std::string(const Column&)>& cell, const std::string& command) {
    std::string text = " ";
    for (const Column& column : columns) text += Cell(cell(column), column.width, column.left) + " ";
    text += CommandCell(command, command_width, utf8);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return width > 0 ? Fit(text, width) : text;
  };
  ProcessTable table;
  table.header = line([](const Column& column) { return column.title; }, "command");
  for (const Row& row : rows) table.rows.push_back(line([&](const Column& column) { return column.cell(row); }, row.command));
  return table;
}

}  // namespace memledger
