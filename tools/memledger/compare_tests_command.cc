// compare_tests_command.cc — see compare_tests_command.h.
#include "compare_tests_command.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "fail_on.h"
#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

using nlohmann::json;

constexpr std::string_view kSchema = "memledger.tests/1";

// One test's record: what compare-tests reads of it.
struct TestRecord {
  std::string verdict;
  std::uint64_t leaked_buffers = 0;
  std::uint64_t leaked_bytes = 0;
  std::uint64_t peak = 0;
  std::string first_site;  // the largest leak site's headline, or ""
};

std::uint64_t Unsigned(const json& value) { return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0; }

// The records of `path` by node id; nullopt and *error when it is not a memledger.tests/1 document.
std::optional<std::map<std::string, TestRecord>> ReadRecords(const std::string& path, std::string* error) {
  struct stat file{};
  if (stat(path.c_str(), &file) != 0) {
    *error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  if (!S_ISREG(file.st_mode)) {  // a FIFO would block the read until a writer came
    *error = fmt::format("{} is not a regular file", path);
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    *error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  const json document = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    *error = fmt::format("{} is not JSON", path);
    return std::nullopt;
  }
  if (!document.is_object() || !document.contains("schema") || document["schema"] != kSchema ||
      !document.contains("tests") || !document["tests"].is_array()) {
    *error = fmt::format("{} is not a {} document (pytest --memledger-json writes one)", path, kSchema);
    return std::nullopt;
  }
  std::map<std::string, TestRecord> records;
  for (const json& test : document["tests"]) {
    if (!test.is_object() || !test.contains("nodeid") || !test["nodeid"].is_string()) continue;
    TestRecord record;
    if (test.contains("verdict") && test["verdict"].is_string()) record.verdict = test["verdict"];
    if (test.contains("peak_above_begin")) record.peak = Unsigned(test["peak_above_begin"]);
    if (test.contains("leaks") && test["leaks"].is_object()) {
      const json& leaks = test["leaks"];
      record.leaked_buffers = leaks.contains("buffers") ? Unsigned(leaks["buffers"]) : 0;
      record.leaked_bytes = leaks.contains("bytes") ? Unsigned(leaks["bytes"]) : 0;
      if (leaks.contains("sites") && leaks["sites"].is_array() && !leaks["sites"].empty() &&
          leaks["sites"][0].is_object() && leaks["sites"][0].contains("headline") &&
          leaks["sites"][0]["headline"].is_string()) {
        record.first_site = leaks["sites"][0]["headline"];
      }
    }
    records[test["nodeid"]] = std::move(record);
  }
  return records;
}

std::string Signed(std::uint64_t before, std::uint64_t after) {
  return after >= before ? "+" + FormatBytes(after - before) : "-" + FormatBytes(before - after);
}

}  // namespace

int CompareTestsCommand(const CompareTestsOptions& options) {
  std::string error;
  const auto before = ReadRecords(options.before, &error);
  const auto after = before ? ReadRecords(options.after, &error) : std::nullopt;
  if (!after) {
    std::fprintf(stderr, "memledger compare-tests: %s\n", PrintableText(error).c_str());
    return 1;
  }
  std::vector<std::string> leak_lines, peak_lines;
  std::size_t grown = 0;  // tests whose leaks or peak grew
  std::size_t common = 0, only_after = 0;
  for (const auto& [node, now] : *after) {
    const auto then = before->find(node);
    if (then == before->end()) {
      ++only_after;
      if (now.leaked_buffers != 0) {
        ++grown;
        leak_lines.push_back(fmt::format("  {} (new): {} live, {}{}", PrintableText(node),
                                         memledger::Count(now.leaked_buffers, "buffer"), FormatBytes(now.leaked_bytes),
                                         now.first_site.empty() ? "" : ", at " + PrintableText(now.first_site)));
      }
      continue;
    }
    ++common;
    const TestRecord& was = then->second;
    const std::size_t lines_before = leak_lines.size() + peak_lines.size();
    if (now.leaked_buffers > was.leaked_buffers || now.leaked_bytes > was.leaked_bytes) {
      leak_lines.push_back(fmt::format("  {}: {} \u2192 {} live ({}){}", PrintableText(node),
                                       memledger::Count(was.leaked_buffers, "buffer"),
                                       memledger::Count(now.leaked_buffers, "buffer"),
                                       Signed(was.leaked_bytes, now.leaked_bytes),
                                       now.first_site.empty() ? "" : ", at " + PrintableText(now.first_site)));
    }
    const double allowed = static_cast<double>(was.peak) * (1 + options.tolerance_percent / 100);
    if (now.peak > was.peak && static_cast<double>(now.peak) > allowed) {
      const std::string percent =
          was.peak == 0 ? "new" : fmt::format("+{:.0f}%", 100.0 * static_cast<double>(now.peak - was.peak) /
                                                              static_cast<double>(was.peak));
      peak_lines.push_back(fmt::format("  {}: {} \u2192 {} ({}, {})", PrintableText(node), FormatBytes(was.peak),
                                       FormatBytes(now.peak), Signed(was.peak, now.peak), percent));
    }
    if (leak_lines.size() + peak_lines.size() != lines_before) ++grown;
  }
  const std::size_t only_before = before->size() - common;
  std::printf("%s", fmt::format("memledger compare-tests: {} in both{}{}\n", memledger::Count(common, "test"),
                                only_after ? fmt::format(", {} only in {}", only_after, options.after) : "",
                                only_before ? fmt::format(", {} only in {}", only_before, options.before) : "")
                        .c_str());
  if (leak_lines.empty() && peak_lines.empty()) {
    std::printf("nothing grew: no test leaves more live, no device peak above a test's start is higher%s\n",
                options.tolerance_percent > 0 ? fmt::format(" by more than {}%", options.tolerance_percent).c_str() : "");
    return 0;
  }
  if (!leak_lines.empty()) {
    std::printf("leaks grew in %s:\n", memledger::Count(leak_lines.size(), "test").c_str());
    for (const std::string& line : leak_lines) std::printf("%s\n", line.c_str());
  }
  if (!peak_lines.empty()) {
    std::printf("device peaks above the test's start grew in %s:\n", memledger::Count(peak_lines.size(), "test").c_str());
    for (const std::string& line : peak_lines) std::printf("%s\n", line.c_str());
  }
  if (!options.fail_on_growth) return 0;
  std::fprintf(stderr, "memledger compare-tests: --fail-on growth: %s grew; exit status %d\n",
               memledger::Count(grown, "test").c_str(), kFailOnExitStatus);
  return kFailOnExitStatus;
}

}  // namespace memledger
