// html_report_test.cc — WriteHtmlReport: the page is whole (three script
// blocks, no marker left, nothing fetched), its changes decode back to the
// timeline's exactly (base64, gzip, varint columns, as the viewer reads
// them; addresses for the series with an address space only, none without
// spaces), the spaces and failures are in the meta, hostile names stay text, an empty timeline and a cut capture's
// problem are shown, an inconsistent timeline or a failed stream is refused.
#include "report/html_report.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "synthetic_timeline.h"

namespace memledger {
namespace {

Timeline Synthetic(std::size_t changes) {
  report_test::SyntheticOptions options;
  options.changes = changes;
  return report_test::SyntheticTimeline(options);
}

std::string Page(const Timeline& timeline) {
  std::ostringstream out;
  std::string error;
  EXPECT_TRUE(WriteHtmlReport(timeline, out, &error)) << error;
  return out.str();
}

std::size_t Count(std::string_view text, std::string_view what) {
  std::size_t count = 0;
  for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// The text of the element that starts with `open` (up to its "</script>").
std::string Block(const std::string& page, std::string_view open) {
  const std::size_t start = page.find(open);
  if (start == std::string::npos) return {};
  const std::size_t begin = start + open.size();
  return page.substr(begin, page.find("</script>", begin) - begin);
}

nlohmann::json Meta(const std::string& page) {
  return nlohmann::json::parse(Block(page, "<script type=\"application/json\" id=\"ml-meta\">"));
}

std::string Base64Decode(std::string_view text) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const std::size_t value = kAlphabet.find(c);
    EXPECT_NE(value, std::string_view::npos) << "not base64: " << c;
    bits = bits << 6 | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>(bits >> count & 0xFF);
    }
  }
  return out;
}

std::string Gunzip(const std::string& in) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  stream.avail_in = static_cast<uInt>(in.size());
  std::string out;
  int status = Z_OK;
  while (status == Z_OK) {
    char buffer[1 << 16];
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  EXPECT_EQ(status, Z_STREAM_END) << "the changes are not one whole gzip member";
  inflateEnd(&stream);
  return out;
}

// The page's changes, decoded as the viewer decodes them (data.js): size
// codes through each site's slots of recent sizes.
std::vector<TimelineChange> Changes(const std::string& page) {
  const nlohmann::json meta = Meta(page);
  const std::string bytes =
      Gunzip(Base64Decode(Block(page, "<script type=\"application/octet-stream\" id=\"ml-changes\">")));
  const std::size_t count = meta["changes"]["count"];
  const std::size_t recent_sizes = meta["changes"]["recent_sizes"];
  std::vector<std::vector<std::uint64_t>> slots(meta["sites"].size(), std::vector<std::uint64_t>(recent_sizes));
  std::vector<std::size_t> next_slot(meta["sites"].size());
  std::vector<std::int64_t> unit_number(meta["spaces"].size());
  std::vector<TimelineChange> changes(count);
  std::size_t at = 0;
  for (const nlohmann::json& column : meta["changes"]["columns"]) {
    const std::size_t end = at + column["bytes"].get<std::size_t>();
    const std::string name = column["name"];
    for (std::size_t i = 0; i < count; ++i) {
      // Series come first: their column is before the addresses'.
      const nlohmann::json& series = meta["series"][changes[i].series];
      if (name == "address" && !series.contains("space")) continue;
      std::uint64_t value = 0;
      for (int shift = 0; at < end; shift += 7) {
        const auto byte = static_cast<unsigned char>(bytes[at++]);
        value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if (byte < 0x80) break;
      }
      if (name == "time_delta") changes[i].time_ns = value + (i == 0 ? 0 : changes[i - 1].time_ns);
      if (name == "series") changes[i].series = static_cast<std::uint32_t>(value);
      if (name == "site") changes[i].site = static_cast<std::uint32_t>(value);
      if (name == "size_code") {  // sites come first: their column is before this one
        const std::uint32_t site = changes[i].site;
        const std::uint64_t slot = value / 2;
        const std::uint64_t size = slot < recent_sizes ? slots[site][slot] : slot - recent_sizes;
        if (slot >= recent_sizes) {
          slots[site][next_slot[site]] = size;
          next_slot[site] = (next_slot[site] + 1) % recent_sizes;
        }
        changes[i].delta_bytes = value % 2 ? -static_cast<std::int64_t>(size) : static_cast<std::int64_t>(size);
      }
      if (name == "address") {  // unit numbers' zig-zag differences per space, or offsets
        const std::size_t space = series["space"];
        const std::uint64_t base = meta["spaces"][space]["address_base"];
        const std::int64_t unit = meta["spaces"][space]["address_unit"];
        const std::uint64_t zigzag = value / 2;
        const std::int64_t signed_value = zigzag % 2 ? -static_cast<std::int64_t>((zigzag + 1) / 2)
                                                     : static_cast<std::int64_t>(zigzag / 2);
        if (value % 2) {
          changes[i].address = base + static_cast<std::uint64_t>(signed_value);
        } else {
          unit_number[space] += signed_value;
          changes[i].address = base + static_cast<std::uint64_t>(unit_number[space] * unit);
        }
      }
    }
    EXPECT_EQ(at, end) << "column " << column["name"];
  }
  EXPECT_EQ(at, bytes.size());
  return changes;
}

void ExpectSameChanges(const std::vector<TimelineChange>& got, const std::vector<TimelineChange>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i].time_ns, want[i].time_ns) << "change " << i;
    ASSERT_EQ(got[i].delta_bytes, want[i].delta_bytes) << "change " << i;
    ASSERT_EQ(got[i].series, want[i].series) << "change " << i;
    ASSERT_EQ(got[i].site, want[i].site) << "change " << i;
  }
}

TEST(HtmlReport, PageIsWholeAndNeedsNothingElse) {
  const std::string page = Page(Synthetic(20'000));
  EXPECT_TRUE(page.starts_with("<!DOCTYPE html>"));
  EXPECT_EQ(Count(page, "<script"), 3u) << "the changes, the meta JSON and the viewer";
  EXPECT_EQ(Count(page, "</script>"), 3u);
  EXPECT_EQ(Count(page, "{{"), 0u) << "a template marker was left";
  EXPECT_EQ(Count(page, "<style>"), 1u);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos) << "the CSP forbids fetching anything";
  for (const std::string_view remote : {"src=\"http", "href=\"http", "src=\"//", "@import", "url(http"}) {
    EXPECT_EQ(page.find(remote), std::string::npos) << remote;
  }
  EXPECT_NE(page.find("class TimelineViewer"), std::string::npos) << "the viewer's scripts are inline";
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

TEST(HtmlReport, ChangesAndFindingsRoundTrip) {
  const Timeline timeline = Synthetic(50'000);
  const std::string page = Page(timeline);
  ExpectSameChanges(Changes(page), timeline.changes);

  const nlohmann::json meta = Meta(page);
  EXPECT_EQ(meta["format"], "memledger.timeline/1");
  EXPECT_EQ(meta["title"], timeline.title);
  EXPECT_EQ(meta["duration_ns"], timeline.duration_ns);
  ASSERT_EQ(meta["series"].size(), timeline.series.size());
  EXPECT_EQ(meta["series"][1]["type"], timeline.series[1].type);
  EXPECT_EQ(meta["series"][1]["tag"], timeline.series[1].tag);
  ASSERT_EQ(meta["sites"].size(), timeline.sites.size());
  EXPECT_TRUE(meta["sites"][0].empty()) << "site 0: no stack";
  for (std::size_t site = 0; site < timeline.sites.size(); ++site) {
    std::vector<std::string> frames;
    for (const auto& frame : meta["sites"][site]) frames.push_back(meta["frames"][frame.get<std::size_t>()]);
    ASSERT_EQ(frames, timeline.sites[site].frames) << "site " << site;
    std::vector<std::string> boxes;
    for (const auto& box : meta["boxes"][site]) boxes.push_back(meta["frames"][box.get<std::size_t>()]);
    ASSERT_EQ(boxes, timeline.sites[site].boxes) << "site " << site;
    ASSERT_EQ(meta["headlines"][site], timeline.sites[site].headline) << "site " << site;
  }
  EXPECT_LT(meta["frames"].size(), 300u * 6) << "frames shared by sites are written once";
  ASSERT_EQ(meta["peaks"].size(), timeline.peaks.size());
  EXPECT_EQ(meta["peaks"][0]["bytes"], timeline.peaks[0].bytes);
  EXPECT_EQ(meta["peaks"][0]["sites"].size(), timeline.peaks[0].sites.size());
  EXPECT_EQ(meta["leaks"].size(), timeline.leaks.size());
  EXPECT_EQ(meta["anomalies"][0]["kind"], timeline.anomalies[0].kind);
  EXPECT_EQ(meta["marks"].size(), timeline.marks.size());
  EXPECT_EQ(meta["marks"][1]["label"], timeline.marks[1].label);
  ASSERT_FALSE(timeline.top_by_bytes.empty());
  ASSERT_EQ(meta["top_by_bytes"].size(), timeline.top_by_bytes.size());
  EXPECT_EQ(meta["top_by_bytes"][0]["bytes"], timeline.top_by_bytes[0].bytes);
  EXPECT_EQ(meta["top_by_bytes"][0]["site"], timeline.top_by_bytes[0].place.site);
  EXPECT_EQ(meta["top_by_bytes"][0]["type"], timeline.top_by_bytes[0].place.type);
  ASSERT_EQ(meta["top_by_count"].size(), timeline.top_by_count.size());
  EXPECT_EQ(meta["top_by_count"][0]["allocations"], timeline.top_by_count[0].allocations);
  ASSERT_FALSE(timeline.growth.empty());
  ASSERT_EQ(meta["growth"].size(), timeline.growth.size());
  EXPECT_EQ(meta["growth"][0]["last_bytes"], timeline.growth[0].last_bytes);
  EXPECT_EQ(meta["growth"][0]["intervals"], timeline.growth[0].intervals);
}

TEST(HtmlReport, WithoutSpacesNoAddressIsWritten) {
  const Timeline timeline = Synthetic(20'000);
  ASSERT_TRUE(timeline.spaces.empty());
  const nlohmann::json meta = Meta(Page(timeline));
  ASSERT_EQ(meta["changes"]["columns"].size(), 5u);
  EXPECT_EQ(meta["changes"]["columns"][4]["name"], "address");
  EXPECT_EQ(meta["changes"]["columns"][4]["bytes"], 0) << "a page without spaces does not grow";
  EXPECT_TRUE(meta["spaces"].empty());
  EXPECT_TRUE(meta["failures"].empty());
  for (const auto& series : meta["series"]) EXPECT_FALSE(series.contains("space"));
}

// Device 0 declares DRAM (banked) and L1, CB placed within L1; TRACE has no
// space; device 1 declares a DRAM space the page cannot carry (past 2^52).
Timeline WithSpaces() {
  Timeline timeline;
  timeline.sites.resize(3);
  timeline.series = {{0, "d0", "DRAM", ""}, {0, "d0", "L1", "t"}, {0, "d0", "CB", ""}, {0, "d0", "TRACE", ""},
                     {1, "d1", "DRAM", ""}, {0, "d0", "L1", ""}};
  timeline.spaces = {{0, "d0", "DRAM", "", 0x1000'0000, 0x4000'0000, 12, 32, 384},
                     {0, "d0", "L1", "", 0x20000, 0x100000, 64, 32, 2048},
                     {0, "d0", "CB", "L1", 0, 0, 1, 1, 1},
                     {1, "d1", "DRAM", "", std::uint64_t{1} << 50, 0x1000, 1, 32, 32}};
  std::uint64_t time = 0;
  const auto change = [&](std::uint32_t series, std::int64_t delta, std::uint64_t address) {
    timeline.changes.push_back({time += 7, delta, series, series % 3, address});
  };
  change(0, 4096, 0x1000'0000);
  change(1, 2048, 0x100000);
  change(2, 64, 0x20000);
  change(3, 100, 0xdead'beef'0000);          // no space: no address written
  change(5, 512, 0x13'0000);                 // past L1's end: written as the end
  change(1, 1024, 0x10000);                  // below its base: kept
  change(4, 32, (std::uint64_t{1} << 50) + 64);  // a space left off the page
  change(0, 100, 0x1000'0000 + 384 * 5 + 7);  // not aligned to the unit (32 x 12)
  change(0, 100, 0x1000'0000 + 384 * 9);
  change(0, -4096, 0x1000'0000);
  change(2, -64, 0x20000);
  change(0, 1 << 20, 0x3fff'0000);
  timeline.failures.push_back({.number = 1, .seq = 99, .time_ns = 30, .change = 4, .device = 0, .device_name = "d0",
                               .type = "CB", .space_type = "L1", .verdict = "cb_clash", .size = 4096,
                               .extent = 4096, .site = 2, .tag = "", .has_map = true, .banks = 64,
                               .free_bytes = 1000, .holes = 2, .largest_free_block = 600,
                               .place = FailurePlace{0x20000, 0x140000, 0x120000, true}});
  return timeline;
}

TEST(HtmlReport, AddressesOfSeriesWithASpaceRoundTrip) {
  const Timeline timeline = WithSpaces();
  const std::string page = Page(timeline);
  const nlohmann::json meta = Meta(page);
  ASSERT_EQ(meta["spaces"].size(), 3u) << "the space past 2^50 is left off";
  EXPECT_EQ(meta["spaces"][0]["type"], "DRAM");
  EXPECT_EQ(meta["spaces"][0]["banks"], 12);
  EXPECT_EQ(meta["spaces"][0]["granule"], 384);
  EXPECT_EQ(meta["spaces"][1]["base"], 0x20000);
  EXPECT_EQ(meta["spaces"][2]["within"], "L1");
  EXPECT_EQ(meta["spaces"][0]["address_unit"], 384);
  EXPECT_EQ(meta["spaces"][2]["address_unit"], 2048) << "placed within L1: L1's unit";
  EXPECT_EQ(meta["spaces"][2]["address_base"], 0x20000);
  const std::vector<int> space_of = {0, 1, 2, -1, -1, 1};
  for (std::size_t s = 0; s < space_of.size(); ++s) {
    if (space_of[s] < 0) {
      EXPECT_FALSE(meta["series"][s].contains("space")) << "series " << s;
    } else {
      EXPECT_EQ(meta["series"][s]["space"], space_of[s]) << "series " << s;
    }
  }
  const std::vector<TimelineChange> got = Changes(page);
  ExpectSameChanges(got, timeline.changes);
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::uint32_t series = timeline.changes[i].series;
    const std::uint64_t want = space_of[series] < 0 ? 0
                               : series == 5        ? 0x120000  // clamped to L1's end
                                                    : timeline.changes[i].address;
    EXPECT_EQ(got[i].address, want) << "change " << i;
  }
  ASSERT_EQ(meta["failures"].size(), 1u);
  const nlohmann::json& failure = meta["failures"][0];
  EXPECT_EQ(failure["number"], 1);
  EXPECT_EQ(failure["change"], 4);
  EXPECT_EQ(failure["verdict"], "cb_clash");
  EXPECT_EQ(failure["space_type"], "L1");
  EXPECT_EQ(failure["free_bytes"], 1000);
  EXPECT_EQ(failure["largest_free_block"], 600);
  EXPECT_EQ(failure["place"]["end"], 0x140000);
  EXPECT_EQ(failure["place"]["drawn_end"], 0x120000);
  EXPECT_EQ(failure["place"]["region"], true);
}

TEST(HtmlReport, ExtremeValuesRoundTrip) {
  Timeline timeline;
  timeline.series.resize(300);
  timeline.sites.resize(70'000);
  timeline.changes = {{.time_ns = 0, .delta_bytes = 1, .series = 0, .site = 0},
                      {.time_ns = 1ull << 40, .delta_bytes = 1ll << 50, .series = 299, .site = 69'999},
                      {.time_ns = 1ull << 40, .delta_bytes = -(1ll << 50), .series = 299, .site = 69'999},
                      {.time_ns = (1ull << 52) + 3, .delta_bytes = -1, .series = 128, .site = 16'384},
                      {.time_ns = (1ull << 52) + 4, .delta_bytes = (1ll << 53) - 1, .series = 1, .site = 1}};
  // A site's slots of sizes: ten distinct sizes go round its eight slots; the first two come back as new.
  for (std::int64_t size = 1; size <= 10; ++size) {
    timeline.changes.push_back(
        {.time_ns = timeline.changes.back().time_ns + 1, .delta_bytes = size, .series = 2, .site = 2});
  }
  for (std::int64_t size = 10; size >= 1; --size) {
    timeline.changes.push_back(
        {.time_ns = timeline.changes.back().time_ns + 1, .delta_bytes = -size, .series = 2, .site = 2});
  }
  ExpectSameChanges(Changes(Page(timeline)), timeline.changes);
}

TEST(HtmlReport, HostileNamesStayText) {
  report_test::SyntheticOptions options;
  options.changes = 20'000;
  options.hostile_names = true;
  options.problem = "cut </script><script>alert(5)</script>";
  Timeline timeline = report_test::SyntheticTimeline(options);
  timeline.title += " \xff\xfe broken UTF-8, a line separator \xe2\x80\xa8 <!-- and a comment";
  timeline.anomalies.push_back({.kind = "<img src=x onerror=alert(6)>", .count = 1, .site = 0, .alloc_site = 0,
                                .first = "buffer 1 on device 0 DRAM, tag <b onclick=alert(7)>: freed twice"});
  timeline.series[0].type = "DRAM</script>";
  const std::string page = Page(timeline);

  EXPECT_EQ(Count(page, "</script"), 3u) << "a name closed a script block";
  EXPECT_EQ(Count(page, "<script"), 3u) << "a name opened a script block";
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(page.find("<b "), std::string::npos);
  EXPECT_EQ(Count(page, "<!--"), 1u) << "only the template's own comment";
  const std::string meta_text = Block(page, "<script type=\"application/json\" id=\"ml-meta\">");
  EXPECT_EQ(meta_text.find('<'), std::string::npos) << "'<' in a script block is written \\u003c";
  EXPECT_EQ(meta_text.find('>'), std::string::npos);

  const nlohmann::json meta = Meta(page);  // parses: valid UTF-8 JSON
  bool found_tag = false;
  for (const auto& series : meta["series"]) found_tag |= series["tag"] == report_test::kHostileTag;
  EXPECT_TRUE(found_tag) << "the hostile tag comes through unchanged";
  EXPECT_EQ(meta["series"][0]["type"], "DRAM</script>");
  EXPECT_EQ(meta["problem"], options.problem);
  const std::string title = meta["title"];
  EXPECT_NE(title.find(" \xef\xbf\xbd\xef\xbf\xbd broken UTF-8"), std::string::npos) << "invalid bytes become U+FFFD";
  EXPECT_NE(title.find("\xe2\x80\xa8"), std::string::npos);
  EXPECT_NE(page.find("<title>llm &lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("<strong>Incomplete capture:</strong> cut &lt;/script&gt;&lt;script&gt;alert(5)"),
            std::string::npos);
}

TEST(HtmlReport, EmptyTimelineIsAPage) {
  const std::string page = Page(Timeline{});
  EXPECT_TRUE(Changes(page).empty());
  const nlohmann::json meta = Meta(page);
  EXPECT_EQ(meta["changes"]["count"], 0);
  EXPECT_TRUE(meta["series"].empty());
  EXPECT_TRUE(meta["peaks"].empty());
  EXPECT_NE(page.find("<title>memledger timeline — memledger</title>"), std::string::npos);
  EXPECT_EQ(page.find("Incomplete capture"), std::string::npos);
}

TEST(HtmlReport, CutCaptureShowsItsProblemFirst) {
  Timeline timeline = Synthetic(1'000);
  timeline.problem = "cut at byte 1234: 2 chunks (131072 records) after it are missing";
  const std::string page = Page(timeline);
  const std::size_t banner = page.find(
      "<p class=\"problem\" role=\"alert\"><strong>Incomplete capture:</strong> cut at byte 1234: 2 chunks (131072 "
      "records) after it are missing</p>");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, page.find("id=\"charts\"")) << "the problem comes before the charts";
  EXPECT_EQ(Meta(page)["problem"], timeline.problem);
}

TEST(HtmlReport, RefusesAnInconsistentTimeline) {
  const Timeline good = Synthetic(1'000);
  const auto refused = [](const Timeline& timeline) {
    std::ostringstream out;
    std::string error;
    EXPECT_FALSE(WriteHtmlReport(timeline, out, &error));
    EXPECT_TRUE(out.str().empty()) << "nothing is written";
    return error;
  };
  Timeline bad = good;
  bad.changes[10].series = static_cast<std::uint32_t>(bad.series.size());
  EXPECT_NE(refused(bad).find("change 10: series"), std::string::npos);
  bad = good;
  bad.changes[11].site = 1'000'000;
  EXPECT_NE(refused(bad).find("change 11: site 1000000"), std::string::npos);
  bad = good;
  bad.changes[12].time_ns = bad.changes[11].time_ns - 1;
  EXPECT_NE(refused(bad).find("change 12: time"), std::string::npos);
  bad = good;
  bad.changes[13].delta_bytes = -(std::int64_t{1} << 53);
  EXPECT_NE(refused(bad).find("change 13: size -9007199254740992 is beyond 2^53 bytes"), std::string::npos);
  bad = good;
  bad.leaks[0].place.site = 1'000'000;
  EXPECT_NE(refused(bad).find("a leak's site"), std::string::npos);
  bad = good;
  bad.peaks[0].sites[0].site = 1'000'000;
  EXPECT_NE(refused(bad).find("a peak's site"), std::string::npos);
  bad = good;
  bad.anomalies[0].alloc_site = 1'000'000;
  EXPECT_NE(refused(bad).find("an anomaly's site"), std::string::npos);
  bad = good;
  bad.top_by_count[0].place.site = 1'000'000;
  EXPECT_NE(refused(bad).find("a top site's site"), std::string::npos);
  bad = good;
  bad.growth.emplace_back().place.site = 1'000'000;
  EXPECT_NE(refused(bad).find("a growing site's site"), std::string::npos);
  bad = WithSpaces();
  bad.failures[0].change = bad.changes.size() + 1;
  EXPECT_NE(refused(bad).find("failure 1 comes after change 13 of 12"), std::string::npos);
  bad = WithSpaces();
  bad.failures[0].site = 1'000'000;
  EXPECT_NE(refused(bad).find("failure 1's site 1000000"), std::string::npos);
}

TEST(HtmlReport, ReportsAFailedStream) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  std::string error;
  EXPECT_FALSE(WriteHtmlReport(Synthetic(1'000), out, &error));
  EXPECT_NE(error.find("could not"), std::string::npos) << error;
}

}  // namespace
}  // namespace memledger
