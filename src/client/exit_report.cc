// exit_report.cc — see exit_report.h.
#include "client/exit_report.h"

#include <cstdio>
#include <string>

#include "report/text_report.h"

namespace memledger {

void PrintExitReport(const EmbeddedConsumer& consumer, const ClientConfig& config) {
  if (!config.exit_report) return;
  const std::string report = TextReport(consumer.ledger());
  std::fputs(report.c_str(), stderr);
  if (const LifecycleLog* log = consumer.log(); log != nullptr) {
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
      std::fprintf(stderr, "memledger: capture written to %s\n", capture->path().c_str());
    }
  }
}

}  // namespace memledger
