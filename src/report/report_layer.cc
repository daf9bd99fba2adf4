// report_layer.cc — see report_layer.h: the table over text_report.h and
// lifecycle_log.h, each entry a wall no exception passes.
#include "report/report_layer.h"

#include <exception>
#include <mutex>

#include "report/checkpoint_report.h"
#include "report/lifecycle_log.h"
#include "report/text_report.h"
#include "symbolize/symbolizer.h"

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

bool MakeCheckpointReport(const Ledger& ledger, ProcessIndex process, const CheckpointView& view, std::size_t max_sites,
                          CheckpointAnswer* answer, std::string* error) noexcept {
  // One symbolizer for the process's life, so that each module is read once
  // however many checkpoints are asked about; never freed (a query may run
  // while the process exits).
  static std::mutex mutex;
  static Symbolizer* symbolizer = nullptr;
  try {
    std::lock_guard lock(mutex);
    if (symbolizer == nullptr) symbolizer = new Symbolizer();
    SiteStacks stacks(*symbolizer, StackOptions{});
    *answer = CheckpointReport(ledger, process, view, stacks, max_sites);
    return true;
  } catch (...) {
    SayWhatFailed("making the checkpoint's report failed", error);
    return false;
  }
}

constexpr ReportLayer kLayer{MakeTextReport, OpenLog, WriteLog, CloseLog, MakeCheckpointReport};

}  // namespace
}  // namespace memledger

extern "C" const memledger::ReportLayer* memledger_report_layer(const memledger::ReportLayerKey* wanted,
                                                                memledger::ReportLayerKey* offered) noexcept {
  *offered = memledger::ReportLayerKeyOf(MEMLEDGER_VERSION);
  return *wanted == *offered ? &memledger::kLayer : nullptr;
}
