// report_command.cc — see report_command.h.
#include "report_command.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "event/json_text.h"
#include "map_command.h"
#include "output_file.h"
#include "progress_bar.h"
#include "report/capture_report_json.h"
#include "report/html_report.h"
#include "report/leak_sites.h"
#include "report/over_time_report.h"
#include "report/text_report.h"
#include "report/timeline_recorder.h"
#include "event/quantity_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

// The window's end in nanoseconds (CLI11 checked the text already).
std::optional<std::uint64_t> Nanoseconds(const std::string& time) {
  if (time.empty()) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(ParseSeconds(time).value_or(0) * 1e9));
}

// What the books hold where they end, when the capture ends before the process did.
std::string LiveAtEndText(const Ledger& ledger) {
  const LeakSiteTotals live = LiveAtEnd(ledger);
  return fmt::format("live at end of capture: {} buffers, {} (the process was running when the capture ends: "
                     "not leaks)\n", live.buffers, FormatBytes(live.bytes));
}

// The capture's files as a title says them: its file's name, or the first
// and last segments'.
std::string CaptureName(const std::vector<std::string>& files) {
  const auto name = [](const std::string& path) { return std::filesystem::path(path).filename().string(); };
  if (files.empty()) return {};
  return files.size() == 1 ? name(files.front()) : name(files.front()) + " … " + name(files.back());
}

// Which segments of a run cut into several the books are of, and how they
// began when not with the run's first.
std::string SegmentsText(const Ledger& ledger, const ReplayResult& replay) {
  if (!replay.first_segment) return {};
  const CaptureSegment& first = *replay.first_segment;
  std::string text =
      first.index == replay.last_segment
          ? fmt::format("memledger: the capture is segment {} of a run cut into segments", first.index)
          : fmt::format("memledger: the capture is segments {} to {} of a run cut into segments, read as one history",
                        first.index, replay.last_segment);
  if (first.index > 1) {
    const Handover& carried = ledger.process(replay.process).handover;
    text += fmt::format("; its books begin at record {} with what was live then carried over ({} buffers, {}) — "
                        "the segments before hold the run's earlier history",
                        first.first_seq, carried.carried_buffers, FormatBytes(carried.carried_bytes));
  }
  return text + "\n";
}

bool WriteHtml(const std::string& path, const Timeline& timeline) {
  OutputFile file(path);
  std::string error;
  if (file.ok() && !WriteHtmlReport(timeline, file.stream(), &error)) {
    std::fprintf(stderr, "memledger report: cannot write %s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  if (!file.Commit()) {
    std::fprintf(stderr, "memledger report: %s\n", file.error().c_str());
    return false;
  }
  return true;
}

}  // namespace

int ReportCommand(const ReportOptions& options) {
  if (!options.map.empty()) {
    std::string why;
    const auto request = ParseMapRequest(options.map, &why);
    if (!request) {
      std::fprintf(stderr, "memledger report: --map %s: %s\n", options.map.c_str(), why.c_str());
      return 2;
    }
    return MapCommand(options.capture, *request, options.stacks);
  }
  const AnalysisWindow window{Nanoseconds(options.since), Nanoseconds(options.until)};
  if (window.since_ns && window.until_ns && *window.since_ns > *window.until_ns) {
    std::fprintf(stderr, "memledger report: --since (%s) is after --until (%s)\n", options.since.c_str(),
                 options.until.c_str());
    return 2;
  }
  auto ledger = std::make_unique<Ledger>();
  auto analysis = std::make_unique<CaptureAnalysis>(window);
  // The HTML timeline records every change beside the analysis (while the
  // page's budget lasts).
  std::unique_ptr<TimelineRecorder> timeline;
  if (!options.html.empty()) timeline = std::make_unique<TimelineRecorder>(*analysis, *ledger, options.html_changes);
  const auto read = [&](const std::string& what, Ledger& books, CaptureAnalysis& over_time, BufferListener* also) {
    ProgressBar progress(what);
    return ReplayAnalyzed(options.capture, books, over_time, also,
                          [&](std::uint64_t done, std::uint64_t total) { progress.Update(done, total); });
  };
  const std::string name =
      options.capture.size() == 1 ? CaptureName(options.capture) : std::to_string(options.capture.size()) + " segments";
  ReplayResult replay = read("reading " + name, *ledger, *analysis, timeline.get());
  if (!replay.opened) {
    std::fprintf(stderr, "memledger report: %s\n", replay.error.c_str());
    return 1;
  }
  if (timeline && timeline->bounded()) {
    // Too many changes for one page: a second reading keeps what the first
    // one planned (detail windows, each pool's lowest and highest), into
    // books of its own (the same books: the replay is the same).
    auto second_ledger = std::make_unique<Ledger>();
    auto second_analysis = std::make_unique<CaptureAnalysis>(window);
    timeline = std::make_unique<TimelineRecorder>(*second_analysis, *second_ledger, *timeline);
    analysis.reset();  // the first books are not needed any more: never two in memory
    ledger.reset();
    replay = read("reading " + name + " again for the page", *second_ledger, *second_analysis, timeline.get());
    if (!replay.opened) {
      std::fprintf(stderr, "memledger report: %s\n", replay.error.c_str());
      return 1;
    }
    ledger = std::move(second_ledger);
    analysis = std::move(second_analysis);
  }
  // A cut or damaged file still reports what is whole, and says so.
  if (!replay.problem.empty()) std::fprintf(stderr, "memledger report: %s\n", replay.problem.c_str());

  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, options.stacks);
  for (const std::string& error : stacks.pattern_errors()) {
    std::fprintf(stderr, "memledger report: --skip-frames %s (left out)\n", error.c_str());
  }
  if (timeline) {
    const std::string title =
        fmt::format("{} (pid {}) — {}", replay.info.comm, replay.info.pid, CaptureName(replay.files));
    if (!WriteHtml(options.html, timeline->Finish(*ledger, title, replay.problem, stacks))) return 1;
    // The page is what was asked for: its path, and no text report beside
    // it. --json or --leaks print theirs too (then the path goes to stderr,
    // unless -o takes the report to its file).
    const bool page_only = !options.json && !options.leaks_only && options.output.empty();
    std::fprintf(page_only || !options.output.empty() ? stdout : stderr,
                 "memledger report: HTML timeline written to %s\n", options.html.c_str());
    if (page_only) {
      std::fflush(stdout);
      return ApplyGate(options.fail_on, *ledger, "memledger report");
    }
  }
  // Rendered twice: the first reads every site the report lists, so that the
  // second names each site the same in every section, apart from all others.
  const bool running_at_end = RunningAtEnd(*ledger, replay);
  const auto render = [&]() -> std::string {
    stacks.ForgetShown();
    if (options.json) return JsonText(CaptureReportJson(replay, *ledger, *analysis, stacks), 2) + "\n";
    if (options.leaks_only) return LeakReport(*ledger, stacks, options.scope);
    // In this order: a site's stack is printed where it first appears.
    std::string text =
        TextReport(*ledger, stacks, running_at_end ? "running when the capture ends" : "running", options.scope);
    return text + OverTimeText(*ledger, *analysis, stacks, options.scope);
  };
  render();
  std::string text = render();
  if (!options.json && running_at_end) text += LiveAtEndText(*ledger);
  if (!options.json) text += SegmentsText(*ledger, replay);
  if (!options.json && !options.leaks_only && replay.stopped) {
    text += fmt::format("the books end at --until: {} buffers were still live then (not counted as leaks)\n",
                        ledger->live_buffer_count());
  }
  if (!options.output.empty()) {
    OutputFile file(options.output);
    if (file.ok()) file.stream() << text;
    if (!file.Commit()) {
      std::fprintf(stderr, "memledger report: %s\n", file.error().c_str());
      return 1;
    }
    std::printf("memledger report: report written to %s\n", options.output.c_str());
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);  // the report before the gate's lines, on a terminal
  return ApplyGate(options.fail_on, *ledger, "memledger report");
}

}  // namespace memledger
