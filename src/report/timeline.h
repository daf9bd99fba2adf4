// timeline.h — what the HTML report draws, as plain data: every change of a
// process's live bytes over time (one per buffer event), the series and
// allocation sites those changes belong to, and the report's findings (peaks
// with what was live then, leaks, anomalies, marks), the declared address
// spaces and the allocation failures. Filled from a replay
// (report/timeline_recorder.h); written out by WriteHtmlReport (html_report.h).
//
// Times are nanoseconds since the capture's first record. Indexes into
// `series` and `sites` are dense (0..size-1). Plain values: no thread-safety
// of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "report/failure_place.h"

namespace memledger {

// One stacked area of the chart: a device's live bytes of one memory type
// under one tag (tag "" when the buffers had none).
struct TimelineSeries {
  std::uint16_t device = 0;
  std::string device_name;  // as the process named it, with " uid X" when known; "device N" when unnamed
  std::string type;         // "DRAM", "L1", ... or a pool's name
  std::string tag;
  bool in_maps = true;  // its buffers are in its device's address-space maps (Ledger::InMaps)
  // A bounded page's stand-in for a series between its detail windows
  // (TimelineDetail): its changes carry the series' live bytes as they were
  // at the changes the page shows, with no site or address of their own.
  bool coarse = false;
};

// An allocation site: its stack as the text report shows it, a line each,
// innermost first (SiteStacks::Lines: numbered frames, runs that belong to
// nobody folded), its headline, and its flame graph boxes, innermost first
// (SiteStacks::Boxes). Empty frames: allocated with no stack.
struct TimelineSite {
  std::vector<std::string> frames;
  std::string headline{};
  std::vector<std::string> boxes{};
};

// A buffer became live (delta > 0) or stopped being live (delta < 0: freed,
// or leaked when its device closed or its process ended).
struct TimelineChange {
  std::uint64_t time_ns;
  std::int64_t delta_bytes;
  std::uint32_t series;  // index into Timeline::series
  std::uint32_t site;    // index into Timeline::sites
  std::uint64_t address = 0;  // the buffer's (the page keeps it for series with an address space)
};

// An address space a device declared (memledger_address_space), or a type
// placed within another's (`within`: circular buffers in L1), which has no
// geometry of its own: its host's is used.
struct TimelineSpace {
  std::uint16_t device = 0;  // ledger-wide, as TimelineSeries::device
  std::string device_name;
  std::string type;
  std::string within;  // "" for a space of its own
  std::uint64_t base = 0;
  std::uint64_t size = 0;
  std::uint32_t banks = 1;
  std::uint32_t alignment = 1;  // bank-local
  std::uint64_t granule = 1;    // what the ledger's map counts in (free_space_map.h)
};

// An allocation failure as the ledger booked it (ledger/allocation_failure.h):
// the request, the verdict and the space's figures then, the changes before
// it (the books it saw), and where the request would have gone.
struct TimelineFailure {
  std::uint64_t number = 0;  // 1 for the capture's first (as `--map DEVICE:TYPE@failure:N` counts)
  std::uint64_t seq = 0;
  std::uint64_t time_ns = 0;
  std::uint64_t change = 0;  // changes[0, change) came before it
  std::uint16_t device = 0;
  std::string device_name;
  std::string type;        // the request's
  std::string space_type;  // where it was judged (L1 for circular buffers)
  std::string verdict;     // FailureVerdictName
  std::uint64_t size = 0;
  std::uint64_t extent = 0;
  std::uint32_t site = 0;  // index into Timeline::sites: where it was requested
  std::string tag;
  bool has_map = false;
  std::uint32_t banks = 1;
  std::uint64_t free_bytes = 0;  // has_map only, as the ledger's map counted then
  std::uint64_t holes = 0;
  std::uint64_t largest_free_block = 0;
  std::optional<FailurePlace> place;
  // On a bounded page, false when it falls between detail windows: the
  // changes before it are not kept, so the page has no map of it.
  bool in_detail = true;
};

struct TimelineSiteBytes {
  std::uint32_t site = 0;
  std::string tag;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

struct TimelineTagBytes {
  std::string tag;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

// The highest live bytes of one device × memory type, the first time it was
// reached, and what was live at that instant (largest first).
struct TimelinePeak {
  std::uint16_t device = 0;
  std::string device_name;
  std::string type;
  std::uint64_t bytes = 0;
  std::uint64_t time_ns = 0;
  std::uint64_t capacity = 0;  // 0: unknown
  std::vector<TimelineSiteBytes> sites;
  std::vector<TimelineTagBytes> tags;
};

// Where a finding's buffers are: device, memory type, tag, and the site
// (an index into Timeline::sites) — what leaks, top sites and growth share.
struct TimelinePlace {
  std::uint16_t device = 0;
  std::string device_name;
  std::string type;
  std::string tag;
  std::uint32_t site = 0;
  friend bool operator<(const TimelinePlace& a, const TimelinePlace& b) {
    return std::tie(a.device, a.type, a.tag, a.site) < std::tie(b.device, b.type, b.tag, b.site);
  }
};

struct TimelineLeak {
  TimelinePlace place;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

struct TimelineAnomaly {
  std::string kind;  // "double_free", "late_free_hook", ...
  std::uint64_t count = 0;
  std::uint32_t site = 0;        // the stack of the event that showed it
  std::uint32_t alloc_site = 0;  // the allocation stack of the buffer involved
  std::string first;             // the first anomaly's facts (anomaly_facts.h AnomalyFacts::what)
};

// What one site allocated in one device × memory type under one tag, over
// the window (the text report's top sites).
struct TimelineSiteTotal {
  TimelinePlace place;
  std::uint64_t bytes = 0;
  std::uint64_t allocations = 0;
};

// A site whose live bytes never fell from one mark to the next
// (analysis/capture_analysis.h SiteGrowth).
struct TimelineGrowth {
  TimelinePlace place;
  std::uint64_t first_bytes = 0;  // at the first mark it was seen at
  std::uint64_t last_bytes = 0;   // at the last mark
  std::uint32_t rises = 0;
  std::uint32_t intervals = 0;
};

struct TimelineMark {
  std::uint64_t time_ns = 0;
  std::string label;
};

// What a bounded page kept of a history longer than its budget of changes
// (report/timeline_plan.h): every change inside its windows; elsewhere each
// pool's series at the changes that took the pool's total to its lowest and
// highest in each bucket of `bucket_ns`, and at the bucket's last change (on
// coarse series, under `coarse_site`).
struct TimelineWindow {
  std::uint64_t begin_ns = 0;  // the detail begins with what was live here
  std::uint64_t end_ns = 0;
  std::string why;
};
struct TimelineDetail {
  std::uint64_t changes_total = 0;  // in the whole history
  std::uint64_t bucket_ns = 0;
  std::uint32_t coarse_site = 0;
  std::vector<TimelineWindow> windows;
};

struct Timeline {
  std::string title;         // e.g. "memledger-sim (pid 1234) — llm.mlcap"
  std::string problem;       // what was cut from the capture; empty: whole
  std::uint64_t duration_ns = 0;
  // The report's window starts here (--since; 0 without it): the page
  // shows [since_ns, duration_ns], and what was live before only as the
  // level each series starts it at. --until ends the replay: duration_ns.
  std::uint64_t since_ns = 0;
  std::uint64_t events = 0;  // records in the capture (all kinds)
  // Held, not leaked, by the process where the books end when it was still
  // running then (a capture without its end record, or --until).
  std::uint64_t live_at_end_buffers = 0;
  std::uint64_t live_at_end_bytes = 0;
  std::vector<TimelineSeries> series;
  std::vector<TimelineSite> sites;  // sites[0]: no stack
  std::vector<TimelineChange> changes;  // in time order
  std::vector<TimelinePeak> peaks;
  std::vector<TimelineLeak> leaks;
  std::vector<TimelineAnomaly> anomalies;
  std::vector<TimelineSiteTotal> top_by_bytes;  // largest first
  std::vector<TimelineSiteTotal> top_by_count;  // most allocations first
  std::vector<TimelineGrowth> growth;           // fastest first
  std::vector<TimelineMark> marks;
  std::vector<TimelineSpace> spaces;
  std::vector<TimelineFailure> failures;  // in the order they were booked
  std::optional<TimelineDetail> detail;   // set: a bounded page
};

}  // namespace memledger
