// top_view.h — what `memledger top` shows, as lines of text for a terminal of
// a given size: a title with the sort order; per device its heading with a
// history sparkline of its live bytes, labelled with its scale (its top
// value and the time it spans), and a usage bar per memory type (in the
// text report's order) — or, when that would leave the processes too few
// rows, a line per device with its types; then the process table (process_table.h: a row per process
// and device, columns dropped, never rows, to fit the width); then leak and
// anomaly counters and, on the last line, the keys.
// Pure: no terminal and no clock here (Update is told the time), so it is
// tested without either.
//
// Not thread-safe: one UI thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process_table.h"

namespace memledger {

// What top's keys do: each sorts the process table by something else.
struct TopKey {
  int key;
  RowOrder order;
};
inline constexpr TopKey kTopKeys[] = {
    {'m', RowOrder::kMemory}, {'d', RowOrder::kDevice}, {'l', RowOrder::kLeaked}, {'p', RowOrder::kPid}};

class TopView {
 public:
  using Clock = std::chrono::steady_clock;
  explicit TopView(bool utf8) : utf8_(utf8) {}
  // A new snapshot (the summary JSON of `memledger status --json`), taken at `now`.
  void Update(const nlohmann::json& summary, Clock::time_point now);
  void SetOrder(RowOrder order) { order_ = order; }
  RowOrder order() const { return order_; }
  // At most `height` lines, none wider than `width` columns; the keys on the
  // last line of the `height`.
  std::vector<std::string> Render(int width, int height) const;

 private:
  struct Sample {
    Clock::time_point time;
    std::uint64_t live_bytes;  // all the device's types together
  };
  // A device's history in at most `width` columns: "live", its latest
  // samples as a sparkline, and the scale it is drawn to; empty when too
  // few samples would fit.
  std::string History(const std::deque<Sample>& history, int width) const;

  nlohmann::json summary_;
  Clock::time_point updated_;
  std::map<std::uint64_t, std::deque<Sample>> history_;  // per device, oldest first
  RowOrder order_ = RowOrder::kMemory;
  bool utf8_;
};

}  // namespace memledger
