// report_layer.h — what the tracked process's library needs of report/,
// analysis/ and symbolize/ — the exit report and the lifecycle log — as one
// table of functions behind one C-linkage entry point, so that
// libmemledger.so carries none of those layers (nor libdw, and libelf, zlib,
// bzip2 under it): it loads libmemledger_report.so, which holds them,
// only when a report or a log is to be written (client/report_layer_loader.h),
// while libmemledger.a links them directly.
//
// The two sides pass each other C++ objects (a Ledger, a Record, strings), so
// they must be the same build: the caller says what it is (ReportLayerKey)
// and the layer answers with the table only when it is the same. No
// exception crosses: each function catches what its layer throws and says it.
//
// Thread-safety: the table is immutable. A LifecycleLog is used by one thread
// at a time (the consumer's); text_report and checkpoint_report may run on
// any thread (the latter's symbolizer, kept for the process's life so that
// a test suite's thousands of queries read each module once, is its own
// lock's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "event/record.h"
#include "ledger/ledger.h"

namespace memledger {

class LifecycleLog;

// A checkpoint's answer (checkpoint_report.h), in the two forms a leak gate
// uses: JSON (memledger.checkpoint/1) and a short text.
struct CheckpointAnswer {
  std::string json;
  std::string text;
};

// What the two sides must share to hand each other these objects. Plain
// data, fixed layout: it is read before the sides are known to agree. A
// newer key grows at the end and raises abi.
struct ReportLayerKey {
  std::uint32_t abi;           // kReportLayerAbi
  std::uint32_t ledger_bytes;  // sizeof(Ledger)
  std::uint32_t books_bytes;   // sizeof(ProcessBooks)
  std::uint32_t record_bytes;  // sizeof(Record)
  char version[16];            // the project's version, NUL-padded

  friend bool operator==(const ReportLayerKey&, const ReportLayerKey&) = default;
};
static_assert(sizeof(ReportLayerKey) == 32);

inline constexpr std::uint32_t kReportLayerAbi = 2;

// The key of code compiled from these headers, of the project's `version`
// (each side passes its build's MEMLEDGER_VERSION).
inline ReportLayerKey ReportLayerKeyOf(std::string_view version) {
  ReportLayerKey key{kReportLayerAbi, sizeof(Ledger), sizeof(ProcessBooks), sizeof(Record), {}};
  version.copy(key.version, sizeof(key.version) - 1);
  return key;
}

struct ReportLayer {
  // The exit report's books: report/text_report.h's TextReport(ledger) into
  // *report. False, and *error, when making it failed.
  bool (*text_report)(const Ledger& ledger, std::string* report, std::string* error) noexcept;
  // report/lifecycle_log.h: null and *error when `path` cannot be written.
  LifecycleLog* (*open_log)(const std::string& path, std::string* error) noexcept;
  // A line for `record` if it is a buffer event; a failure costs the line only.
  void (*write_log)(LifecycleLog& log, const Ledger& ledger, ProcessIndex process, const Record& record) noexcept;
  void (*close_log)(LifecycleLog* log) noexcept;
  // report/checkpoint_report.h's CheckpointReport into *answer, with at most
  // `max_sites` sites in its text. False, and *error, when making it failed.
  bool (*checkpoint_report)(const Ledger& ledger, ProcessIndex process, const CheckpointView& view,
                            std::size_t max_sites, CheckpointAnswer* answer, std::string* error) noexcept;
};

}  // namespace memledger

// The entry point, and the only symbol libmemledger_report.so exports: the
// layer's table when `wanted` is its own key, else null. It always fills
// *offered with its own key, so that a refusal can name both sides.
extern "C" const memledger::ReportLayer* memledger_report_layer(const memledger::ReportLayerKey* wanted,
                                                                memledger::ReportLayerKey* offered) noexcept;
