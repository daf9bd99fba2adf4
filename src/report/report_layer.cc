// report_layer.cc — see report_layer.h: the table over text_report.h and
// lifecycle_log.h, each entry a wall no exception passes.
#include "report/report_layer.h"

#include <exception>

#include "report/lifecycle_log.h"
#include "report/text_report.h"

namespace memledger {
namespace {

// In a catch block: *error says what `doing` met. Empty when even that
// cannot be said (no memory left for the words).
void SayWhatFailed(const char* doing, std::string* error) noexcept {
  try {
    try {
      throw;
    } catch (const std::exception& e) {
      *error = std::string(doing) + ": " + e.what();
    } catch (...) {
      *error = std::string(doing) + ": an unknown exception";
    }
  } catch (...) {
    error->clear();
  }
}

bool MakeTextReport(const Ledger& ledger, std::string* report, std::string* error) noexcept {
  try {
    *report = TextReport(ledger);
    return true;
  } catch (...) {
    SayWhatFailed("making the report failed", error);
    return false;
  }
}

LifecycleLog* OpenLog(const std::string& path, std::string* error) noexcept {
  try {
    return LifecycleLog::Open(path, error).release();
  } catch (...) {
    SayWhatFailed("opening the lifecycle log failed", error);
    return nullptr;
  }
}

void WriteLog(LifecycleLog& log, const Ledger& ledger, ProcessIndex process, const Record& record) noexcept {
  try {
    log.Write(ledger, process, record);
  } catch (...) {
    // Out of memory mid-line: the line is lost, the books are not.
  }
}

void CloseLog(LifecycleLog* log) noexcept { delete log; }

constexpr ReportLayer kLayer{MakeTextReport, OpenLog, WriteLog, CloseLog};

}  // namespace
}  // namespace memledger

extern "C" const memledger::ReportLayer* memledger_report_layer(const memledger::ReportLayerKey* wanted,
                                                                memledger::ReportLayerKey* offered) noexcept {
  *offered = memledger::ReportLayerKeyOf(MEMLEDGER_VERSION);
  return *wanted == *offered ? &memledger::kLayer : nullptr;
}
