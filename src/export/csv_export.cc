// csv_export.cc — see csv_export.h.
#include "export/csv_export.h"

#include <fmt/format.h>

#include "report/printable_text.h"

namespace memledger {
namespace {
// A name as a CSV field: PrintableText (no line breaks or controls left), then
// quoted as RFC 4180 says when it holds a comma or a quote (quotes doubled).
std::string CsvField(std::string_view name) {
  const std::string text = PrintableText(name);
  if (text.find_first_of(",\"") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}
}  // namespace

ReplayResult ExportCsv(const std::string& capture, std::ostream& out) {
  out << "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack\n";
  Ledger ledger;
  std::string line;
  return ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    if (!IsBufferEvent(record.kind())) return;
    const Event& e = record.event;
    line = fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", e.seq, e.time_ns, KindName(record.kind()), e.device,
                       CsvField(ledger.local_type_name(process, e.type)), e.buffer_id, e.address, e.size, e.thread,
                       CsvField(ledger.tag_name(static_cast<std::uint32_t>(process), e.tag)), e.stack);
    out << line;
  }});
}

}  // namespace memledger
