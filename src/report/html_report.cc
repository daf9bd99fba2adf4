// html_report.cc — see html_report.h. Owns the page's data encoding: the
// meta JSON (escaped for a <script> block), the change columns (varints,
// gzip, base64, streamed so a 10M-change timeline never sits in memory
// twice), and filling the page template (src/report/html/page.html).
//
// Addresses, for the map (src/report/html/spacemap.js): a fifth column holds
// one value per change of a series whose device x type declared an address
// space (or is placed within one: circular buffers in L1), and none for the
// other series, so a capture without spaces makes the page it made before
// (the column is empty). An address aligned to its space's unit (bank-local
// alignment x banks, from the base) is 2 x the zig-zag difference of its
// unit number from the previous aligned address's in that space; any other
// is 2 x the zig-zag of its offset from the base, + 1. The spaces' geometry
// and the failures (the changes before each, where its request would have
// gone) are in the meta. Measured on `make demo` (llm, 2 devices, 3 leaks;
// every type there declares a space): build/demo.html went from 455,389 to
// 593,033 bytes (+30%): the address column is 107 KB of it (2.77 MB of
// varints for 1.67M changes before gzip; byte differences instead of units
// made 144 KB), the viewer's code 28 KB, the meta 3 KB.
#include "report/html_report.h"

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>
#include <unordered_map>

#include "report/html/assets.h"

namespace memledger {
namespace {

// zlib level 3: on the 10M-change test timeline (tests/report) it makes
// 23.1 MB of gzip in 1.1 s where level 6 makes 22.6 MB in 3.9 s and level 1
// 24.1 MB in 1.0 s. The varint columns leave deflate little to find beyond
// Huffman coding; higher levels cost time the page would not notice.
constexpr int kDeflateLevel = 3;
constexpr std::size_t kChunkChanges = 1 << 16;
constexpr std::int64_t kLargestSize = std::int64_t{1} << 53;  // the page's doubles hold sizes exactly below it
// Spaces ending past this are left off the page: an offset or a difference
// of offsets below it, zig-zagged and doubled, stays below 2^53, which the
// page's doubles hold.
constexpr std::uint64_t kLargestSpaceEnd = std::uint64_t{1} << 50;

// The length of the valid UTF-8 sequence at s[i], or 0 when there is none
// (overlong forms, surrogates and code points past U+10FFFF are invalid).
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(s[i + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = code << 6 | (next & 0x3F);
  }
  constexpr std::array<std::uint32_t, 5> kSmallest = {0, 0, 0x80, 0x800, 0x10000};
  if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return length;
}

// A JSON string that is also safe inside <script>: no '<', '>' or '&' (so no
// "</script>" or "<!--"), no raw control characters, invalid UTF-8 replaced.
void AppendJsonString(std::string& out, std::string_view s) {
  constexpr std::string_view kHex = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else if (c >= 0x80) {
      const std::size_t length = Utf8Length(s, i);
      if (length == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      out.append(s.substr(i, length));
      i += length;
      continue;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

// Text for an element's content or an attribute value.
std::string HtmlText(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\0': out += "\uFFFD"; break;
      default: {
        const std::size_t length = Utf8Length(s, i);
        out += length == 0 ? std::string_view("\uFFFD") : s.substr(i, length);
        i += length == 0 ? 1 : length;
        continue;
      }
    }
    ++i;
  }
  return out;
}

bool Validate(const Timeline& timeline, std::string* error) {
  const auto fail = [&](std::string what) {
    *error = "the timeline is inconsistent, no HTML written: " + std::move(what);
    return false;
  };
  const std::size_t series = timeline.series.size();
  const std::size_t sites = timeline.sites.size();
  std::uint64_t previous_time = 0;
  for (std::size_t i = 0; i < timeline.changes.size(); ++i) {
    const TimelineChange& change = timeline.changes[i];
    const std::string at = "change " + std::to_string(i) + ": ";
    if (change.series >= series) {
      return fail(at + "series " + std::to_string(change.series) + " of " + std::to_string(series));
    }
    if (change.site >= sites) return fail(at + "site " + std::to_string(change.site) + " of " + std::to_string(sites));
    if (change.delta_bytes <= -kLargestSize || change.delta_bytes >= kLargestSize) {
      return fail(at + "size " + std::to_string(change.delta_bytes) + " is beyond 2^53 bytes");
    }
    if (change.time_ns < previous_time) {
      return fail(at + "time " + std::to_string(change.time_ns) + " ns is before the previous change's " +
                  std::to_string(previous_time) + " ns");
    }
    previous_time = change.time_ns;
  }
  const auto site_ok = [&](std::uint32_t site) { return site < sites; };
  for (const TimelinePeak& peak : timeline.peaks) {
    for (const TimelineSiteBytes& site : peak.sites) {
      if (!site_ok(site.site)) {
        return fail("a peak's site " + std::to_string(site.site) + " of " + std::to_string(sites));
      }
    }
  }
  for (const TimelineLeak& leak : timeline.leaks) {
    if (!site_ok(leak.place.site)) {
      return fail("a leak's site " + std::to_string(leak.place.site) + " of " + std::to_string(sites));
    }
  }
  for (const TimelineAnomaly& anomaly : timeline.anomalies) {
    if (!site_ok(anomaly.site) || !site_ok(anomaly.alloc_site)) {
      return fail("an anomaly's site " + std::to_string(std::max(anomaly.site, anomaly.alloc_site)) + " of " +
                  std::to_string(sites));
    }
  }
  for (const auto* top : {&timeline.top_by_bytes, &timeline.top_by_count}) {
    for (const TimelineSiteTotal& total : *top) {
      if (!site_ok(total.place.site)) {
        return fail("a top site's site " + std::to_string(total.place.site) + " of " + std::to_string(sites));
      }
    }
  }
  for (const TimelineGrowth& growth : timeline.growth) {
    if (!site_ok(growth.place.site)) {
      return fail("a growing site's site " + std::to_string(growth.place.site) + " of " + std::to_string(sites));
    }
  }
  for (const TimelineFailure& failure : timeline.failures) {
    if (!site_ok(failure.site)) {
      return fail("failure " + std::to_string(failure.number) + "'s site " + std::to_string(failure.site) + " of " +
                  std::to_string(sites));
    }
    if (failure.change > timeline.changes.size()) {
      return fail("failure " + std::to_string(failure.number) + " comes after change " +
                  std::to_string(failure.change) + " of " + std::to_string(timeline.changes.size()));
    }
  }
  if (timeline.detail && !site_ok(timeline.detail->coarse_site)) {
    return fail("the coarse series' site " + std::to_string(timeline.detail->coarse_site) + " of " +
                std::to_string(sites));
  }
  return true;
}

// The address spaces the page carries, and per series the one its changes'
// addresses are written for.
struct PageSpaces {
  std::vector<const TimelineSpace*> spaces;
  std::vector<std::int32_t> of_series;  // index into spaces; -1: no address column value
  // Per space, its host's: where addresses are counted from and clamped, and the unit they are counted in.
  std::vector<std::uint64_t> bases;
  std::vector<std::uint64_t> ends;
  std::vector<std::uint64_t> units;
};

PageSpaces ChoosePageSpaces(const Timeline& timeline) {
  PageSpaces page;
  for (const TimelineSpace& space : timeline.spaces) {
    const TimelineSpace* host = &space;
    if (!space.within.empty()) {
      const auto found = std::ranges::find_if(timeline.spaces, [&](const TimelineSpace& s) {
        return s.device == space.device && s.type == space.within && s.within.empty();
      });
      host = found == timeline.spaces.end() ? nullptr : &*found;
    }
    if (host == nullptr || host->size == 0 || host->base + host->size > kLargestSpaceEnd) continue;
    page.spaces.push_back(&space);
    page.bases.push_back(host->base);
    page.ends.push_back(host->base + host->size);
    page.units.push_back(std::uint64_t{std::max<std::uint32_t>(host->alignment, 1)} *
                         std::max<std::uint32_t>(host->banks, 1));
  }
  for (const TimelineSeries& series : timeline.series) {
    const auto found = std::ranges::find_if(page.spaces, [&](const TimelineSpace* s) {
      return s->device == series.device && s->type == series.type;
    });
    page.of_series.push_back(found == page.spaces.end() || !series.in_maps
                                 ? -1
                                 : static_cast<std::int32_t>(found - page.spaces.begin()));
  }
  return page;
}

// The change columns, in page order. Each value is one LEB128 varint; the
// address column has one for the changes of series with a space only.
enum class Column { kTimeDelta, kSeries, kSite, kSizeCode, kAddress };
constexpr std::array<Column, 5> kColumns = {Column::kTimeDelta, Column::kSeries, Column::kSite, Column::kSizeCode,
                                            Column::kAddress};
constexpr std::array<std::string_view, 5> kColumnNames = {"time_delta", "series", "site", "size_code", "address"};

// Sizes repeat per site (the same tensor shapes; a free repeats its
// allocation's size), so each site keeps kRecentSizes slots of sizes: a size
// in one of them is written as the slot's number, else as kRecentSizes + size
// and it takes the site's next slot in turn; doubled, plus 1 for a free. On
// the test timeline the sizes take 4 MB of gzip instead of 17 MB as zigzag
// deltas. (Move-to-front lists compress a quarter better but take the page
// three times as long to decode: 180 ms against 65 ms for 10M changes.)
constexpr std::size_t kRecentSizes = 8;

// A column's values, in change order.
class ColumnValues {
 public:
  ColumnValues(Column column, const Timeline& timeline, const PageSpaces& spaces)
      : column_(column),
        changes_(timeline.changes),
        spaces_(spaces),
        slots_(column == Column::kSizeCode ? timeline.sites.size() : 0),
        previous_(column == Column::kAddress ? spaces.spaces.size() : 0, 0) {}

  // The next change's value; nullopt when its column has none for it.
  std::optional<std::uint64_t> Next() {
    const TimelineChange& change = changes_[next_++];
    switch (column_) {
      case Column::kTimeDelta: return change.time_ns - (next_ == 1 ? 0 : changes_[next_ - 2].time_ns);
      case Column::kSeries: return change.series;
      case Column::kSite: return change.site;
      case Column::kSizeCode: return SizeCode(change);
      case Column::kAddress: return AddressCode(change);
    }
    return 0;
  }

 private:
  struct Slots {
    std::array<std::uint64_t, kRecentSizes> sizes{};  // 0: empty
    std::size_t next = 0;                             // the slot the next new size takes
  };

  std::uint64_t SizeCode(const TimelineChange& change) {
    Slots& slots = slots_[change.site];
    const std::uint64_t size =
        static_cast<std::uint64_t>(change.delta_bytes < 0 ? -change.delta_bytes : change.delta_bytes);
    const auto found = std::ranges::find(slots.sizes, size);
    std::uint64_t code = static_cast<std::uint64_t>(found - slots.sizes.begin());
    if (found == slots.sizes.end()) {
      code = kRecentSizes + size;
      slots.sizes[slots.next] = size;
      slots.next = (slots.next + 1) % kRecentSizes;
    }
    return code * 2 + (change.delta_bytes < 0 ? 1 : 0);
  }

  // An address as the file comment says; addresses past the space's end
  // are clamped to it (their blocks are off the map).
  std::optional<std::uint64_t> AddressCode(const TimelineChange& change) {
    const std::int32_t space = spaces_.of_series[change.series];
    if (space < 0) return std::nullopt;
    const auto zigzag = [](std::int64_t v) {
      return static_cast<std::uint64_t>(v) << 1 ^ static_cast<std::uint64_t>(v >> 63);
    };
    const std::int64_t offset = static_cast<std::int64_t>(std::min(change.address, spaces_.ends[space])) -
                                static_cast<std::int64_t>(spaces_.bases[space]);
    const auto unit = static_cast<std::int64_t>(spaces_.units[space]);
    if (offset % unit != 0) return zigzag(offset) * 2 + 1;
    const std::int64_t delta = offset / unit - previous_[space];
    previous_[space] = offset / unit;
    return zigzag(delta) * 2;
  }

  Column column_;
  const std::vector<TimelineChange>& changes_;
  const PageSpaces& spaces_;
  std::size_t next_ = 0;
  std::vector<Slots> slots_;  // per site
  std::vector<std::int64_t> previous_;  // per page space: the unit number of the last aligned address
};

std::size_t VarintBytes(std::uint64_t value) { return value == 0 ? 1 : (std::bit_width(value) + 6) / 7; }

std::uint64_t ColumnBytes(Column column, const Timeline& timeline, const PageSpaces& spaces) {
  ColumnValues values(column, timeline, spaces);
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < timeline.changes.size(); ++i) {
    if (const auto value = values.Next()) bytes += VarintBytes(*value);
  }
  return bytes;
}

// Deflates what it is given as one gzip member and writes it to `out` as
// base64, without line breaks, as it goes.
class GzipBase64Writer {
 public:
  explicit GzipBase64Writer(std::ostream& out) : out_(out) {
    ok_ = deflateInit2(&stream_, kDeflateLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~GzipBase64Writer() { deflateEnd(&stream_); }
  GzipBase64Writer(const GzipBase64Writer&) = delete;
  GzipBase64Writer& operator=(const GzipBase64Writer&) = delete;

  bool Write(std::string_view bytes) {
    stream_.next_in = reinterpret_cast<const Bytef*>(bytes.data());
    stream_.avail_in = static_cast<uInt>(bytes.size());
    return Deflate(Z_NO_FLUSH);
  }
  // Ends the gzip member and writes the last base64 quantum.
  bool Finish() {
    if (!Deflate(Z_FINISH)) return false;
    EncodeBase64(true);
    out_.write(text_.data(), static_cast<std::streamsize>(text_.size()));
    return ok_ && out_.good();
  }

 private:
  bool Deflate(int flush) {
    while (ok_) {
      stream_.next_out = deflated_.data() + pending_;
      stream_.avail_out = static_cast<uInt>(deflated_.size() - pending_);
      const int status = deflate(&stream_, flush);
      if (status == Z_STREAM_ERROR) ok_ = false;
      pending_ = deflated_.size() - stream_.avail_out;
      EncodeBase64(false);
      if (!out_.write(text_.data(), static_cast<std::streamsize>(text_.size()))) ok_ = false;
      text_.clear();
      if (flush == Z_FINISH ? status == Z_STREAM_END : stream_.avail_out != 0) break;
    }
    return ok_;
  }
  // Encodes the whole 3-byte groups of deflated_ (all of it when `last`),
  // keeping the rest for the next call.
  void EncodeBase64(bool last) {
    constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const std::size_t whole = pending_ / 3 * 3;
    for (std::size_t i = 0; i < whole; i += 3) {
      const std::uint32_t group = deflated_[i] << 16 | deflated_[i + 1] << 8 | deflated_[i + 2];
      for (int shift = 18; shift >= 0; shift -= 6) text_ += kAlphabet[group >> shift & 0x3F];
    }
    std::size_t rest = pending_ - whole;
    if (last && rest > 0) {
      const std::uint32_t group = deflated_[whole] << 16 | (rest == 2 ? deflated_[whole + 1] << 8 : 0);
      text_ += kAlphabet[group >> 18 & 0x3F];
      text_ += kAlphabet[group >> 12 & 0x3F];
      text_ += rest == 2 ? kAlphabet[group >> 6 & 0x3F] : '=';
      text_ += '=';
      rest = 0;
    }
    for (std::size_t i = 0; i < rest; ++i) deflated_[i] = deflated_[whole + i];
    pending_ = rest;
  }

  std::ostream& out_;
  z_stream stream_{};
  bool ok_ = false;
  std::array<unsigned char, 1 << 16> deflated_{};
  std::size_t pending_ = 0;  // bytes of deflated_ not yet base64-encoded
  std::string text_;
};

bool WriteChanges(const Timeline& timeline, const PageSpaces& spaces, std::ostream& out) {
  GzipBase64Writer writer(out);
  std::string varints;
  const std::size_t count = timeline.changes.size();
  for (const Column column : kColumns) {
    ColumnValues values(column, timeline, spaces);
    for (std::size_t begin = 0; begin < count; begin += kChunkChanges) {
      varints.clear();
      for (std::size_t i = begin; i < std::min(count, begin + kChunkChanges); ++i) {
        const auto next = values.Next();
        if (!next) continue;
        std::uint64_t value = *next;
        for (; value >= 0x80; value >>= 7) varints += static_cast<char>((value & 0x7F) | 0x80);
        varints += static_cast<char>(value);
      }
      if (!writer.Write(varints)) return false;
    }
  }
  return writer.Finish();
}

// Small JSON writing helpers: `out` grows; the caller places the commas.
void AppendNumber(std::string& out, std::uint64_t value) { out += std::to_string(value); }
void AppendField(std::string& out, std::string_view name, std::string_view value) {
  AppendJsonString(out, name);
  out += ':';
  AppendJsonString(out, value);
  out += ',';
}
void AppendField(std::string& out, std::string_view name, std::uint64_t value) {
  AppendJsonString(out, name);
  out += ':';
  AppendNumber(out, value);
  out += ',';
}
// A finding's place, as members of its object.
void AppendPlace(std::string& out, const TimelinePlace& place) {
  AppendField(out, "device", place.device);
  AppendField(out, "device_name", place.device_name);
  AppendField(out, "type", place.type);
  AppendField(out, "tag", place.tag);
  AppendField(out, "site", place.site);
}
// Ends an object or array whose last member left a trailing comma.
void Close(std::string& out, char bracket) {
  if (out.back() == ',') out.pop_back();
  out += bracket;
}
template <typename T, typename Fn>
void AppendArray(std::string& out, std::string_view name, const std::vector<T>& items, Fn&& item) {
  AppendJsonString(out, name);
  out += ":[";
  for (const T& value : items) {
    item(value);
    out += ',';
  }
  Close(out, ']');
  out += ',';
}

// Everything but the changes; frames are a string table shared by the sites.
std::string MetaJson(const Timeline& timeline, const PageSpaces& spaces) {
  std::string out = "{";
  AppendField(out, "format", "memledger.timeline/1");
  AppendField(out, "title", timeline.title);
  AppendField(out, "problem", timeline.problem);
  AppendField(out, "duration_ns", timeline.duration_ns);
  AppendField(out, "since_ns", timeline.since_ns);
  AppendField(out, "events", timeline.events);
  out += "\"live_at_end\":{";
  AppendField(out, "buffers", timeline.live_at_end_buffers);
  AppendField(out, "bytes", timeline.live_at_end_bytes);
  Close(out, '}');
  out += ',';

  out += "\"changes\":{";
  AppendField(out, "count", timeline.changes.size());
  AppendField(out, "encoding", "gzip, base64; columns of LEB128 varints");
  AppendField(out, "recent_sizes", kRecentSizes);
  out += "\"columns\":[";
  for (std::size_t c = 0; c < kColumns.size(); ++c) {
    out += '{';
    AppendField(out, "name", kColumnNames[c]);
    AppendField(out, "bytes", ColumnBytes(kColumns[c], timeline, spaces));
    Close(out, '}');
    out += ',';
  }
  Close(out, ']');
  out += "},";

  std::size_t series_index = 0;
  AppendArray(out, "series", timeline.series, [&](const TimelineSeries& series) {
    out += '{';
    AppendField(out, "device", series.device);
    AppendField(out, "device_name", series.device_name);
    AppendField(out, "type", series.type);
    AppendField(out, "tag", series.tag);
    const std::int32_t space = spaces.of_series[series_index++];
    if (space >= 0) AppendField(out, "space", static_cast<std::uint64_t>(space));
    if (series.coarse) out += "\"coarse\":true,";
    Close(out, '}');
  });
  std::size_t space_index = 0;
  AppendArray(out, "spaces", spaces.spaces, [&](const TimelineSpace* space) {
    out += '{';
    AppendField(out, "device", space->device);
    AppendField(out, "device_name", space->device_name);
    AppendField(out, "type", space->type);
    AppendField(out, "within", space->within);
    AppendField(out, "base", space->base);
    AppendField(out, "size", space->size);
    AppendField(out, "banks", space->banks);
    AppendField(out, "granule", space->granule);
    AppendField(out, "address_base", spaces.bases[space_index]);
    AppendField(out, "address_unit", spaces.units[space_index++]);
    Close(out, '}');
  });
  AppendArray(out, "failures", timeline.failures, [&](const TimelineFailure& failure) {
    out += '{';
    AppendField(out, "number", failure.number);
    AppendField(out, "seq", failure.seq);
    AppendField(out, "time_ns", failure.time_ns);
    AppendField(out, "change", failure.change);
    AppendField(out, "device", failure.device);
    AppendField(out, "device_name", failure.device_name);
    AppendField(out, "type", failure.type);
    AppendField(out, "space_type", failure.space_type);
    AppendField(out, "verdict", failure.verdict);
    AppendField(out, "size", failure.size);
    AppendField(out, "extent", failure.extent);
    AppendField(out, "site", failure.site);
    AppendField(out, "tag", failure.tag);
    AppendField(out, "banks", failure.banks);
    if (failure.has_map) {
      AppendField(out, "free_bytes", failure.free_bytes);
      AppendField(out, "holes", failure.holes);
      AppendField(out, "largest_free_block", failure.largest_free_block);
    }
    if (failure.place) {
      out += "\"place\":{";
      AppendField(out, "start", failure.place->start);
      AppendField(out, "end", failure.place->end);
      AppendField(out, "drawn_end", failure.place->drawn_end);
      out += failure.place->region ? "\"region\":true" : "\"region\":false";
      out += "},";
    }
    if (!failure.in_detail) out += "\"in_detail\":false,";
    Close(out, '}');
  });

  // "sites" and "boxes": per site, its stack lines and its flame graph
  // boxes as indexes into "frames", the strings of both.
  std::unordered_map<std::string_view, std::size_t> frame_ids;
  std::vector<std::string_view> frames;
  const auto frame_lists = [&](std::string_view name, auto lines_of) {
    std::string lists = "\"" + std::string(name) + "\":[";
    for (const TimelineSite& site : timeline.sites) {
      lists += '[';
      for (const std::string& frame : lines_of(site)) {
        const auto [it, added] = frame_ids.try_emplace(frame, frames.size());
        if (added) frames.push_back(frame);
        AppendNumber(lists, it->second);
        lists += ',';
      }
      Close(lists, ']');
      lists += ',';
    }
    Close(lists, ']');
    return lists;
  };
  const std::string sites = frame_lists("sites", [](const TimelineSite& site) -> auto& { return site.frames; });
  const std::string boxes = frame_lists("boxes", [](const TimelineSite& site) -> auto& { return site.boxes; });
  AppendArray(out, "frames", frames, [&](std::string_view frame) { AppendJsonString(out, frame); });
  out += sites;
  out += ',';
  out += boxes;
  out += ',';
  AppendArray(out, "headlines", timeline.sites, [&](const TimelineSite& site) { AppendJsonString(out, site.headline); });

  const auto site_bytes = [&](const TimelineSiteBytes& site) {
    out += '{';
    AppendField(out, "site", site.site);
    AppendField(out, "tag", site.tag);
    AppendField(out, "bytes", site.bytes);
    AppendField(out, "buffers", site.buffers);
    Close(out, '}');
  };
  const auto tag_bytes = [&](const TimelineTagBytes& tag) {
    out += '{';
    AppendField(out, "tag", tag.tag);
    AppendField(out, "bytes", tag.bytes);
    AppendField(out, "buffers", tag.buffers);
    Close(out, '}');
  };
  AppendArray(out, "peaks", timeline.peaks, [&](const TimelinePeak& peak) {
    out += '{';
    AppendField(out, "device", peak.device);
    AppendField(out, "device_name", peak.device_name);
    AppendField(out, "type", peak.type);
    AppendField(out, "bytes", peak.bytes);
    AppendField(out, "time_ns", peak.time_ns);
    AppendField(out, "capacity", peak.capacity);
    AppendArray(out, "sites", peak.sites, site_bytes);
    AppendArray(out, "tags", peak.tags, tag_bytes);
    Close(out, '}');
  });
  AppendArray(out, "leaks", timeline.leaks, [&](const TimelineLeak& leak) {
    out += '{';
    AppendPlace(out, leak.place);
    AppendField(out, "bytes", leak.bytes);
    AppendField(out, "buffers", leak.buffers);
    Close(out, '}');
  });
  AppendArray(out, "anomalies", timeline.anomalies, [&](const TimelineAnomaly& anomaly) {
    out += '{';
    AppendField(out, "kind", anomaly.kind);
    AppendField(out, "count", anomaly.count);
    AppendField(out, "site", anomaly.site);
    AppendField(out, "alloc_site", anomaly.alloc_site);
    AppendField(out, "first", anomaly.first);
    Close(out, '}');
  });
  const auto site_total = [&](const TimelineSiteTotal& total) {
    out += '{';
    AppendPlace(out, total.place);
    AppendField(out, "bytes", total.bytes);
    AppendField(out, "allocations", total.allocations);
    Close(out, '}');
  };
  AppendArray(out, "top_by_bytes", timeline.top_by_bytes, site_total);
  AppendArray(out, "top_by_count", timeline.top_by_count, site_total);
  AppendArray(out, "growth", timeline.growth, [&](const TimelineGrowth& growth) {
    out += '{';
    AppendPlace(out, growth.place);
    AppendField(out, "first_bytes", growth.first_bytes);
    AppendField(out, "last_bytes", growth.last_bytes);
    AppendField(out, "rises", growth.rises);
    AppendField(out, "intervals", growth.intervals);
    Close(out, '}');
  });
  AppendArray(out, "marks", timeline.marks, [&](const TimelineMark& mark) {
    out += '{';
    AppendField(out, "time_ns", mark.time_ns);
    AppendField(out, "label", mark.label);
    Close(out, '}');
  });
  if (const auto& detail = timeline.detail) {
    out += "\"detail\":{";
    AppendField(out, "changes_total", detail->changes_total);
    AppendField(out, "bucket_ns", detail->bucket_ns);
    AppendField(out, "coarse_site", detail->coarse_site);
    AppendArray(out, "windows", detail->windows, [&](const TimelineWindow& window) {
      out += '{';
      AppendField(out, "begin_ns", window.begin_ns);
      AppendField(out, "end_ns", window.end_ns);
      AppendField(out, "why", window.why);
      Close(out, '}');
    });
    Close(out, '}');
    out += ',';
  }
  Close(out, '}');
  return out;
}

std::string ProblemHtml(std::string_view problem) {
  if (problem.empty()) return {};
  return "<p class=\"problem\" role=\"alert\"><strong>Incomplete capture:</strong> " + HtmlText(problem) + "</p>";
}

}  // namespace

bool WriteHtmlReport(const Timeline& timeline, std::ostream& out, std::string* error) {
  if (!Validate(timeline, error)) return false;
  const PageSpaces spaces = ChoosePageSpaces(timeline);
  // The page template's {{name}} markers, filled in order.
  const std::string_view page = html_assets::kPageHtml;
  for (std::size_t at = 0; at < page.size();) {
    const std::size_t open = page.find("{{", at);
    out << page.substr(at, open - at);
    if (open == std::string_view::npos) break;
    const std::size_t close = page.find("}}", open);
    if (close == std::string_view::npos) {
      *error = "the page template has an unclosed {{ marker";
      return false;
    }
    const std::string_view name = page.substr(open + 2, close - open - 2);
    if (name == "title") {
      out << HtmlText(timeline.title.empty() ? "memledger timeline" : timeline.title);
    } else if (name == "problem") {
      out << ProblemHtml(timeline.problem);
    } else if (name == "css") {
      out << html_assets::kViewerCss;
    } else if (name == "js") {
      out << html_assets::kViewerJs;
    } else if (name == "changes") {
      if (!WriteChanges(timeline, spaces, out)) {
        *error = "could not compress the timeline's changes (zlib) or write them";
        return false;
      }
    } else if (name == "meta") {
      out << MetaJson(timeline, spaces);
    } else {
      *error = "the page template has an unknown marker {{" + std::string(name) + "}}";
      return false;
    }
    at = close + 2;
  }
  if (!out.good()) {
    *error = "could not write the HTML report (the output stream failed)";
    return false;
  }
  return true;
}

}  // namespace memledger
