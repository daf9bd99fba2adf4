// write_synthetic_html.cc — the Chromium test's page maker: writes the HTML
// report of a synthetic timeline (synthetic_timeline.h) and, beside it, what
// the page must show (JSON: changes, marks, devices, each device's and each
// device × type's highest live bytes and tags, the top sites and growth
// listed, a busy instant), and says how long the writer took.
//   write_synthetic_html --changes 10000000 --out t.html --expect t.json [--hostile] [--problem TEXT]
//   write_synthetic_html --empty --out t.html --expect t.json     (a capture with no buffer events)
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "report/html_report.h"
#include "synthetic_timeline.h"

namespace {

int Usage() {
  std::cerr << "usage: write_synthetic_html (--changes N | --empty) --out PAGE.html --expect EXPECT.json [--hostile] "
               "[--problem TEXT]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace memledger;
  report_test::SyntheticOptions options;
  std::string out_path, expect_path;
  bool empty = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--changes" && has_value) {
      options.changes = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--out" && has_value) {
      out_path = argv[++i];
    } else if (arg == "--expect" && has_value) {
      expect_path = argv[++i];
    } else if (arg == "--problem" && has_value) {
      options.problem = argv[++i];
    } else if (arg == "--empty") {
      empty = true;
    } else if (arg == "--hostile") {
      options.hostile_names = true;
    } else {
      return Usage();
    }
  }
  if (out_path.empty() || expect_path.empty()) return Usage();

  const auto start = std::chrono::steady_clock::now();
  Timeline timeline;
  if (empty) {
    timeline.title = "an idle program (pid 7) — empty.mlcap";
    timeline.problem = options.problem;
  } else {
    timeline = report_test::SyntheticTimeline(options);
  }
  const auto made = std::chrono::steady_clock::now();
  std::ofstream out(out_path, std::ios::binary);
  std::string error;
  if (!WriteHtmlReport(timeline, out, &error)) {
    std::cerr << "write_synthetic_html: " << error << "\n";
    return 1;
  }
  out.close();
  const auto written = std::chrono::steady_clock::now();
  const auto ms = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };

  const std::size_t busy = timeline.changes.size() * 3 / 4;
  const std::uint64_t busy_ns = timeline.changes.empty() ? 0 : timeline.changes[busy].time_ns;
  nlohmann::json expect = {{"changes", timeline.changes.size()},
                           {"marks", timeline.marks.size()},
                           {"sites", timeline.sites.size()},
                           {"series", timeline.series.size()},
                           {"peaks", timeline.peaks.size()},
                           {"leaks", timeline.leaks.size()},
                           {"title", timeline.title},
                           {"problem", timeline.problem},
                           {"end_ns", timeline.duration_ns},
                           {"busy_ns", busy_ns},  // an instant in the thick of the decode steps
                           {"top_by_bytes", timeline.top_by_bytes.size()},
                           {"top_by_count", timeline.top_by_count.size()},
                           {"growth", timeline.growth.size()},
                           {"max_live", nlohmann::json::object()},
                           {"pools", nlohmann::json::array()}};
  for (const auto& [device, bytes] : report_test::MaxLivePerDevice(timeline)) {
    expect["max_live"][std::to_string(device)] = bytes;
  }
  for (const auto& [pool, bytes] : report_test::MaxLivePerPool(timeline)) {
    nlohmann::json tags = nlohmann::json::array();
    for (const TimelineSeries& series : timeline.series) {
      if (series.device == pool.first && series.type == pool.second) tags.push_back(series.tag);
    }
    expect["pools"].push_back({{"device", pool.first}, {"type", pool.second}, {"max_live", bytes}, {"tags", tags}});
  }
  std::ofstream(expect_path) << expect.dump(2) << "\n";
  std::cout << "write_synthetic_html: " << timeline.changes.size() << " changes, " << timeline.marks.size()
            << " marks, " << timeline.sites.size() << " sites; made in " << static_cast<int>(ms(start, made))
            << " ms, HTML written in " << static_cast<int>(ms(made, written)) << " ms: " << out_path << " ("
            << std::filesystem::file_size(out_path) / 1000 << " kB)\n";
  return 0;
}
