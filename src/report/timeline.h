// timeline.h — what the HTML report draws, as plain data: every change of a
// process's live bytes over time (one per buffer event), the series and
// allocation sites those changes belong to, and the report's findings (peaks
// with what was live then, leaks, anomalies, marks). Filled from a replay
// (report/timeline_recorder.h); written out by WriteHtmlReport (html_report.h).
//
// Times are nanoseconds since the capture's first record. Indexes into
// `series` and `sites` are dense (0..size-1). Plain values: no thread-safety
// of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace memledger {

// One stacked area of the chart: a device's live bytes of one memory type
// under one tag (tag "" when the buffers had none).
struct TimelineSeries {
  std::uint16_t device = 0;
  std::string device_name;  // as the process named it, with " uid X" when known; "device N" when unnamed
  std::string type;         // "DRAM", "L1", ... or a pool's name
  std::string tag;
};

// An allocation site: its symbolized stack, innermost frame first ("function
// at file:line" or module+offset). Empty frames: allocated with no stack.
// A site's stack as the text report shows it (folded: site_stack.h) and its
// headline.
struct TimelineSite {
  std::vector<std::string> frames;
  std::string headline{};
};

// A buffer became live (delta > 0) or stopped being live (delta < 0: freed,
// or leaked when its device closed or its process ended).
struct TimelineChange {
  std::uint64_t time_ns;
  std::int64_t delta_bytes;
  std::uint32_t series;  // index into Timeline::series
  std::uint32_t site;    // index into Timeline::sites
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

struct TimelineLeak {
  std::uint16_t device = 0;
  std::string device_name;
  std::string type;
  std::string tag;
  std::uint32_t site = 0;
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

struct TimelineMark {
  std::uint64_t time_ns = 0;
  std::string label;
};

struct Timeline {
  std::string title;         // e.g. "memledger-sim (pid 1234) — llm.mlcap"
  std::string problem;       // what was cut from the capture; empty: whole
  std::uint64_t duration_ns = 0;
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
  std::vector<TimelineMark> marks;
};

}  // namespace memledger
