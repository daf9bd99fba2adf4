// csv_export.cc — see csv_export.h.
#include "export/csv_export.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "export/buffer_place.h"
#include "export/stack_headlines.h"
#include "ledger/buffer_listener.h"
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

// The size of the buffer the record being applied freed, told by the books.
class FreedSize final : public BufferListener {
 public:
  void OnLive(const LiveKey&, const LiveBuffer&) override {}
  void OnGone(const LiveKey&, const LiveBuffer& buffer, BufferGone how, std::uint64_t) override {
    if (how == BufferGone::kFreed) size_ = buffer.size;
  }
  // The size freed since the last Take, if a buffer was.
  std::optional<std::uint64_t> Take() { return std::exchange(size_, std::nullopt); }

 private:
  std::optional<std::uint64_t> size_;
};

}  // namespace

ExportResult ExportCsv(const std::vector<std::string>& capture, const ReportScope& scope, const StackOptions& stacks,
                       std::ostream& out) {
  ExportResult result;
  Ledger described;  // the first replay: every stack the process described
  result.replay = ReplayCapture(capture, described);
  if (!result.replay.opened) return result;  // nothing written, not even the header
  out << "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack,site\n";
  const StackHeadlines headlines(described.process(result.replay.process), stacks);

  Ledger ledger;
  FreedSize freed;
  ledger.set_listener(&freed);
  std::string line;
  result.replay = ReplayCapture(capture, ledger, {.observer = [&](ProcessIndex process, const Record& record) {
    const std::optional<std::uint64_t> freed_size = freed.Take();
    if (!IsBufferEvent(record.kind())) return;
    const Event& e = record.event;
    if (!scope.whole()) {
      const std::optional<BufferPlace> place = PlaceOf(ledger, process, e);
      if (!place || !scope.Shows(ledger, place->device, place->type)) return;
    }
    const bool ends = KindRowOf(record.kind()).life == BufferLife::kEnds;
    line = fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", e.seq, e.time_ns, KindName(record.kind()), e.device,
                       CsvField(ledger.local_type_name(process, e.type)), e.buffer_id, e.address,
                       ends ? freed_size.value_or(e.size) : e.size, e.thread,
                       CsvField(ledger.tag_name(static_cast<std::uint32_t>(process), e.tag)), e.stack,
                       CsvField(headlines.Of(e.stack)));
    out << line;
  }});
  ledger.set_listener(nullptr);
  if (result.replay.opened) {
    result.notes = ExportNotes(ledger, result.replay.process, scope, "the site column is empty");
  }
  return result;
}

}  // namespace memledger
