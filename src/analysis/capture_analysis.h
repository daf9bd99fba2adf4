// capture_analysis.h — memory over time, computed in one pass while a
// capture replays: per process × device × memory type the peak of live bytes,
// when it was first reached and what was live at that instant (by allocation
// site and tag); what each allocation site allocated (bytes, count); and the
// sites whose live bytes rise from mark to mark (the leak-per-step pattern) —
// all within a time window.
//
// It follows the books as a BufferListener, so it keeps no live table of its
// own: what was live at a peak is what was freed after it having been
// allocated before it, plus what is still live at the end. Times are
// nanoseconds since the first record.
//
// Attached with one call: ReplayAnalyzed(path, ledger, analysis) (below).
//
// Not thread-safe: the replaying thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "analysis/replay.h"
#include "ledger/buffer_listener.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"

namespace memledger {

// Nanoseconds since the capture's first record; either end may be open.
struct AnalysisWindow {
  std::optional<std::uint64_t> since_ns;
  std::optional<std::uint64_t> until_ns;
};

// Live bytes of one process on one device in one ledger-wide memory type.
struct SeriesKey {
  std::uint32_t process = 0;
  std::uint16_t device = 0;  // the process's own number for it (SeriesDevice: the ledger-wide one)
  std::uint16_t type = 0;
  bool operator==(const SeriesKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SeriesKey& k) {
    return H::combine(std::move(h), k.process, k.device, k.type);
  }
};

// The ledger-wide device of `series` (device_table.h), as the ledger maps
// the process's number at the end of the replay.
inline std::uint16_t SeriesDevice(const Ledger& ledger, const SeriesKey& series) {
  const std::uint16_t device = ledger.DeviceOf(static_cast<ProcessIndex>(series.process), series.device);
  return device == kNoDevice ? series.device : device;
}

// An allocation site: where (series), what for (tag) and from where (stack).
struct SiteKey {
  SeriesKey series;
  std::uint32_t tag = 0;
  std::uint32_t stack = 0;
  bool operator==(const SiteKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SiteKey& k) {
    return H::combine(std::move(h), k.series, k.tag, k.stack);
  }
};

struct SiteAmount {
  SiteKey site;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

struct SeriesPeak {
  SeriesKey series;
  std::uint64_t bytes = 0;
  std::uint64_t time_ns = 0;  // first reached (the window's start when it held from there)
  std::uint64_t seq = 0;      // the record that reached it
  std::vector<SiteAmount> live;  // what was live then, by site, largest first
};

struct TagAmount {
  std::uint32_t tag = 0;  // the process's tag id (0: none)
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

// What was live at `peak`, summed by tag, largest first.
std::vector<TagAmount> LiveByTag(const SeriesPeak& peak);

// A site whose live bytes never fell from one mark to the next and rose at
// least kMinGrowthRises times.
struct SiteGrowth {
  SiteKey site;
  std::uint64_t first_bytes = 0;  // at the first mark it was seen at
  std::uint64_t last_bytes = 0;   // at the last mark
  std::uint32_t rises = 0;
  std::uint32_t intervals = 0;    // mark-to-mark intervals it was seen over
};

class CaptureAnalysis final : public BufferListener {
 public:
  static constexpr std::uint32_t kMinGrowthRises = 3;

  explicit CaptureAnalysis(AnalysisWindow window = {});

  // For ReplayOptions: marks and times (observer), the window (stop_before).
  ProcessStream::Observer Observer();
  ProcessStream::StopBefore StopBefore();

  void OnLive(const LiveKey& key, const LiveBuffer& buffer) override;
  void OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) override;

  // --- results, once the replay is done ---
  // Every series that held anything in the window, by process, device, type.
  // `ledger` is the one replayed into (for buffers still live at the end).
  std::vector<SeriesPeak> Peaks(const Ledger& ledger) const;
  // Sites by what they allocated in the window: the `n` largest by bytes, or by count.
  std::vector<SiteAmount> TopByBytes(std::size_t n) const;
  std::vector<SiteAmount> TopByCount(std::size_t n) const;
  // Growing sites, the fastest (bytes per interval) first.
  std::vector<SiteGrowth> Growth() const;

  std::uint64_t first_time_ns() const { return origin_ns_; }  // absolute (CLOCK_MONOTONIC)
  std::uint64_t duration_ns() const { return last_ns_; }      // of what was replayed
  std::uint64_t marks_in_window() const { return marks_in_window_; }
  const AnalysisWindow& window() const { return window_; }

 private:
  struct Series {
    std::uint64_t live = 0;
    std::uint64_t peak = 0;
    std::uint64_t peak_seq = 0;
    std::uint64_t peak_time_ns = 0;
    std::uint32_t epoch = 0;  // bumps at every new peak: older freed-since-peak amounts are void
    bool has_peak = false;
  };
  struct Site {
    std::uint64_t live_bytes = 0;
    std::uint64_t live_buffers = 0;
    std::uint64_t alloc_bytes = 0;  // in the window
    std::uint64_t allocs = 0;
    // Allocated before its series' current peak and freed since: live at the peak.
    std::uint64_t freed_since_peak_bytes = 0;
    std::uint64_t freed_since_peak_buffers = 0;
    std::uint32_t freed_since_peak_epoch = 0;
    // Live bytes at marks.
    std::uint64_t first_mark_bytes = 0;
    std::uint64_t last_mark_bytes = 0;
    std::uint32_t marks = 0;
    std::uint32_t rises = 0;
    std::uint32_t falls = 0;
  };

  bool BeforeRecord(const Record& record);
  void AfterRecord(const Record& record);
  void OpenWindow();
  Series& SeriesOf(const SeriesKey& key);
  Site& SiteOf(const SiteKey& key);
  void SnapshotAtMark();
  std::vector<SiteAmount> Top(std::size_t n, bool by_bytes) const;

  AnalysisWindow window_;
  bool window_open_;
  std::uint64_t origin_ns_ = 0;
  std::uint64_t now_ns_ = 0;   // of the record being applied, since the origin
  std::uint64_t last_ns_ = 0;
  std::uint64_t last_seq_ = 0;  // of the last record applied
  std::uint64_t marks_in_window_ = 0;
  absl::flat_hash_map<SeriesKey, Series> series_;
  absl::flat_hash_map<SiteKey, Site> sites_;
  // Streams repeat one site event after event: the last one looked up.
  SiteKey last_site_key_{};
  Site* last_site_ = nullptr;
  SeriesKey last_series_key_{};
  Series* last_series_ = nullptr;
};

// Replays the capture in `files` (one file, or segments of one run) into
// `ledger` (ReplayCapture) with `analysis` following the
// books, its window applied, and `also` (when given: another listener, e.g.
// the HTML timeline) told of every change after it; `progress` as
// ReplayOptions'. The ledger has no listener after.
ReplayResult ReplayAnalyzed(std::span<const std::string> files, Ledger& ledger, CaptureAnalysis& analysis,
                            BufferListener* also = nullptr,
                            std::function<void(std::uint64_t bytes_read, std::uint64_t file_bytes)> progress = {});
inline ReplayResult ReplayAnalyzed(const std::string& path, Ledger& ledger, CaptureAnalysis& analysis,
                                   BufferListener* also = nullptr,
                                   std::function<void(std::uint64_t bytes_read, std::uint64_t file_bytes)> progress = {}) {
  return ReplayAnalyzed(std::span(&path, 1), ledger, analysis, also, std::move(progress));
}

}  // namespace memledger
