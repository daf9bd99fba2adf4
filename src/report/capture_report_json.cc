// capture_report_json.cc — see capture_report_json.h.
#include "report/capture_report_json.h"

#include "report/leak_sites.h"
#include "report/over_time_report.h"
#include "report/summary_json.h"

namespace memledger {
namespace {

// What the JSON says about the file itself.
nlohmann::json CaptureSection(const ReplayResult& replay, const Ledger& ledger) {
  const LeakSiteTotals live = LiveAtEnd(ledger);
  nlohmann::json section = {{"path", replay.files.empty() ? std::string() : replay.files.front()},
          {"version", replay.info.version},
          {"writer", replay.info.description.writer == CaptureWriterKind::kServer ? "server" : "embedded"},
          {"pid", replay.info.pid},
          {"comm", replay.info.comm},
          {"records", replay.records},
          {"clean_end", replay.clean_end},
          {"stopped_at_until", replay.stopped},
          {"running_at_end", RunningAtEnd(ledger, replay)},
          {"live_at_end", {{"buffers", live.buffers}, {"bytes", live.bytes}}},
          {"problem", replay.problem}};
  if (const auto& first = replay.first_segment) {
    section["files"] = replay.files;
    section["segments"] = {{"first", first->index},
                           {"last", replay.last_segment},
                           {"first_seq", first->first_seq},
                           {"run_start_unix_ns", first->run_start_unix_ns}};
  }
  return section;
}

}  // namespace

bool RunningAtEnd(const Ledger& ledger, const ReplayResult& replay) {
  return !replay.stopped && ledger.process(replay.process).state == ProcessState::kRunning;
}

nlohmann::json CaptureReportJson(const ReplayResult& replay, const Ledger& ledger, const CaptureAnalysis& analysis,
                                 SiteStacks& stacks) {
  nlohmann::json report = Summary(ledger, stacks);
  report.update(OverTimeSections(ledger, analysis, stacks));
  report["capture"] = CaptureSection(replay, ledger);
  return report;
}

}  // namespace memledger
