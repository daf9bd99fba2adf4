// timeline_recorder.h — fills a Timeline (timeline.h) from a replay: every
// change of live bytes as the books make it (a BufferListener), then the
// names, symbolized sites and findings once the replay is done; and, for
// each allocation failure the ledger books, how many changes came before it.
//
// A history of more changes than the page's budget makes a bounded page in
// two replays: the first (a recorder made with a budget) keeps changes only
// while they fit, and always a TimelinePlan (timeline_plan.h); when they did
// not fit, bounded() is true, and a recorder made from it reads the capture
// again into new books: it keeps every change inside the plan's detail
// windows — each beginning with every buffer live then, and ending with its
// last instant — and elsewhere only the changes the plan shows, as coarse
// series: half the budget each (the buckets widen, and windows that would
// not fit are left coarse).
//
// With --since (the analysis' window) the page begins with what was live
// then, at that instant: the changes before are neither kept nor counted.
//
// Memory: 32 bytes per change kept (at most the budget, plus the windows'
// live buffers), a TimelinePlan (pools × its buckets), plus one entry per
// series, per stack and per failure.
//
// Not thread-safe: the replaying thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "analysis/capture_analysis.h"
#include "ledger/buffer_listener.h"
#include "ledger/ledger.h"
#include "report/site_stack.h"
#include "report/timeline.h"
#include "report/timeline_plan.h"

namespace memledger {

class TimelineRecorder final : public BufferListener {
 public:
  // `analysis` replays alongside and gives the time origin and the peaks;
  // `ledger` is the one replayed into (its failures are counted as they
  // come). Both must outlive the recorder.
  TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger, std::uint64_t budget = kDefaultBudget);
  // The second replay of a bounded page: the same capture, replayed into a
  // new `ledger` and `analysis`, kept as `first` (bounded, its ledger still
  // alive) planned it; half the budget goes to the detail windows.
  TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger, const TimelineRecorder& first);

  // Changes a page keeps whole: ~30 MB of page at worst, drawn in ~1 s.
  static constexpr std::uint64_t kDefaultBudget = 4'000'000;

  // More changes came than the budget: a second replay must make the page.
  bool bounded() const { return bounded_; }

  void OnLive(const LiveKey& key, const LiveBuffer& buffer) override;
  void OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) override;

  // The timeline of what was replayed into `ledger`; `title` and `problem`
  // (what was cut) as the report shows them. Leaves the recorder empty.
  Timeline Finish(const Ledger& ledger, std::string title, std::string problem, SiteStacks& stacks);

 private:
  struct SeriesKey {
    std::uint32_t process;
    std::uint16_t device;
    std::uint16_t type;  // ledger-wide
    std::uint32_t tag;
    bool operator==(const SeriesKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const SeriesKey& k) {
      return H::combine(std::move(h), k.process, k.device, k.type, k.tag);
    }
  };
  void Add(const LiveKey& key, const LiveBuffer& buffer, std::uint64_t time_ns, std::int64_t delta, bool gone);
  std::uint32_t SeriesIndex(const LiveKey& key, const LiveBuffer& buffer);
  std::uint32_t SiteIndex(std::uint32_t process, std::uint32_t stack);
  // The second replay: pool `pool`'s series on their coarse stand-ins as they are now.
  void ShowPool(std::uint32_t pool);
  // The ledger's live buffers but `left_out` (the one a change being told
  // is taking or letting go, as the page has it), in allocation order.
  std::vector<std::pair<LiveKey, const LiveBuffer*>> LiveBut(const LiveKey* left_out) const;
  // Those as changes of `sign` (+1: a window begins with them).
  void EmitLive(int sign, const LiveKey* left_out);
  // The page begins at --since with what was live then (nothing without --since).
  void BeginWithLive(const LiveKey* left_out);
  // Counts the failures booked since the last change: how many changes the
  // page keeps before each, and whether its map is kept.
  void NoteFailures();
  // The second replay: every series' coarse stand-in to its live bytes.
  void ShowCoarse();
  void EnterWindow(const LiveKey* left_out);
  // The window ends (at its last change's instant), or goes on as the next
  // one when that began meanwhile.
  void CloseWindow(const LiveKey* left_out);
  void Emit(std::uint32_t series, std::uint32_t site, std::int64_t delta, std::uint64_t address = 0);
  // "DRAM of device 0 (…)" for each pool, by number.
  std::vector<std::string> PoolNames() const;

  const CaptureAnalysis& analysis_;
  const Ledger& ledger_;
  Timeline timeline_;
  std::uint64_t budget_;
  std::uint64_t since_ns_;  // the report's window's start (--since), 0 without
  bool bounded_ = false;
  bool begun_ = false;      // BeginWithLive ran (at the first change on the page, or at Finish)
  std::uint64_t seen_ = 0;  // changes told of so far
  TimelinePlan plan_;       // the first replay's
  std::vector<std::uint64_t> failure_changes_;  // per failure booked, the changes kept before it
  std::vector<bool> failure_in_detail_;
  absl::flat_hash_map<SeriesKey, std::uint32_t> series_;
  std::vector<SeriesKey> series_keys_;  // by index
  std::vector<std::uint16_t> series_devices_;  // by series: its ledger-wide device, as bound when it began
  std::vector<std::uint32_t> series_pool_;  // by series: its pool (process, device, type), numbered as they come
  absl::flat_hash_map<std::uint64_t, std::uint32_t> pools_;
  std::vector<std::vector<std::uint32_t>> pool_series_;  // by pool
  // The second replay (detail_ set): the plan's windows and shown changes,
  // each series' live bytes and what its coarse stand-in shows of them.
  struct Detail {
    std::vector<DetailWindow> windows;
    std::size_t window = 0;  // the next or current one
    bool inside = false;
    bool closing = false;  // inside, past its last change: it ends with the instant
    std::vector<std::vector<std::uint64_t>> shown;  // by pool
    std::vector<std::size_t> next_shown;            // by pool
    std::vector<std::int64_t> live;                 // by series
    std::vector<std::int64_t> coarse;               // by series
    std::uint32_t coarse_site = 0;
    std::uint64_t changes_total = 0;
    std::uint64_t bucket_ns = 0;
    std::vector<TimelineWindow> times;  // of the windows entered
    std::uint64_t window_changes = 0;   // kept in windows closed so far
    std::uint64_t entered_at = 0;       // changes kept when the current one began
  };
  // A pointer, not an optional: clang 14 judges a nested struct with member
  // initializers not default-constructible inside its enclosing class.
  std::unique_ptr<Detail> detail_;
  // (process, stack) -> site index; index 0 is "no stack".
  absl::flat_hash_map<std::uint64_t, std::uint32_t> sites_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> site_keys_;  // by index: (process, stack)
  std::uint64_t last_time_ns_ = 0;
};

}  // namespace memledger
