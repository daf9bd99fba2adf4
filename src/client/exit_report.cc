// exit_report.cc — see exit_report.h.
#include "client/exit_report.h"

#include <cinttypes>
#include <cstdio>
#include <string>

#include "client/report_layer_loader.h"
#include "control/server_query.h"
#include "control/socket_path.h"

namespace memledger {
namespace {

constexpr auto kOwnBooksWait = std::chrono::seconds(1);

// Without the report layer: what went wrong, then each process's totals.
void PrintBooksInShort(const Ledger& ledger, const std::string& why) {
  std::fprintf(stderr,
               "memledger: no full exit report: the report layer did not load (%s; it belongs in memledger/ "
               "beside libmemledger.so); the books in short:\n",
               why.c_str());
  for (const ProcessBooks& p : ledger.processes()) {
    std::uint64_t anomalies = 0;
    for (const std::uint64_t count : p.anomalies) anomalies += count;
    const std::string_view state = ProcessStateName(p.state);
    std::fprintf(stderr,
                 "memledger: pid %" PRIu32 " %.*s: %" PRIu64 " events, %" PRIu64 " buffers leaked (%" PRIu64
                 " bytes), %" PRIu64 " anomalies\n",
                 p.pid, static_cast<int>(state.size()), state.data(), p.events, p.leaked_buffers, p.leaked_bytes,
                 anomalies);
  }
}

// Where the capture went: its file, or its segments (those kept).
std::string CaptureFilesText(const CaptureWriter& capture) {
  const CaptureStart& start = capture.start();
  if (!start.description.segment) return capture.path();
  const std::uint32_t last = start.description.segment->index;
  const SegmentBounds& bounds = start.segments.bounds;
  const std::uint32_t first = bounds.keep != 0 && last > bounds.keep ? last - bounds.keep + 1 : 1;
  if (first == last) return capture.path();
  const std::string count = std::to_string(last - first + 1);
  return SegmentPath(start.segments.pattern, first) + " to " + capture.path() + " (" + count + " segments" +
         (first == 1 ? "" : ", the last " + count + " of " + std::to_string(last)) +
         ": `memledger report` them together for the whole run)";
}

}  // namespace

void PrintExitReport(const EmbeddedConsumer& consumer, const ClientConfig& config) {
  if (!config.exit_report) return;
  std::string why;
  std::string report;
  const ReportLayer* layer = ReportLayerOrNull(&why);
  if (layer != nullptr && layer->text_report(consumer.ledger(), &report, &why)) {
    std::fputs(report.c_str(), stderr);
  } else {
    PrintBooksInShort(consumer.ledger(), why);
  }
  if (const LifecycleLogHandle* log = consumer.log(); log != nullptr) {
    std::fprintf(stderr, "memledger: lifecycle log written to %s\n", log->path().c_str());
  }
  // A failed capture was said when it failed; here, beside the books, which
  // file they are not whole in. Under `memledger run` the run names the files.
  if (const CaptureWriter* capture = consumer.capture(); capture != nullptr) {
    const std::string file = config.output_placed_by_run ? std::string() : " " + capture->path();
    if (!consumer.capture_error().empty()) {
      std::fprintf(stderr, "memledger: the capture%s is incomplete (writing it failed); these books are whole\n",
                   file.c_str());
    } else if (!config.output_placed_by_run) {
      std::fprintf(stderr, "memledger: capture written to %s\n", CaptureFilesText(*capture).c_str());
    }
  }
}

void PrintServerExitLine(const ClientConfig& config, const std::string& socket_path, std::uint32_t pid,
                         bool taken_in) {
  if (!config.exit_report) return;
  const std::string status =
      socket_path == DefaultSocketPath() ? "memledger status" : "memledger status --socket " + socket_path;
  if (!taken_in) {
    std::fprintf(stderr,
                 "memledger: pid %u exited; the server at %s had not taken in all its records (is it stopped?): "
                 "`%s` shows its books\n",
                 pid, socket_path.c_str(), status.c_str());
    return;
  }
  std::string error;
  const auto line = Query(socket_path, QueryKind::kOwnBooksLine, kOwnBooksWait, &error);
  if (!line) {
    std::fprintf(stderr, "memledger: pid %u exited; its books are in the server at %s (%s): `%s` shows them\n", pid,
                 socket_path.c_str(), error.c_str(), status.c_str());
    return;
  }
  std::fprintf(stderr, "memledger: %s; its books are in the server: `%s` shows them\n", line->c_str(), status.c_str());
}

}  // namespace memledger
