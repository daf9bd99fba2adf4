// top_view.h — what `memledger top` shows, as lines of text for a terminal of
// a given size: per device a usage bar per memory type and a history
// sparkline (or, when that would leave the processes too few rows, a line
// per device with its fullest types first), then the processes (sortable),
// then leak and anomaly counters and the keys.
// Pure: no terminal here, so it is tested without one.
//
// Not thread-safe: one UI thread.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memledger {

enum class TopSort { kDeviceMemory, kL1, kPid };

// `text` in lines of at most `width` columns, broken at spaces where it can.
std::vector<std::string> WrapText(const std::string& text, int width);

class TopView {
 public:
  explicit TopView(bool utf8) : utf8_(utf8) {}
  // A new snapshot (the summary JSON of `memledger status --json`).
  void Update(const nlohmann::json& summary);
  void SetSort(TopSort sort) { sort_ = sort; }
  TopSort sort() const { return sort_; }
  // At most `height` lines, none wider than `width` columns.
  std::vector<std::string> Render(int width, int height) const;

 private:
  nlohmann::json summary_;
  std::map<int, std::deque<double>> history_;  // per device: used fraction of all capacity, oldest first
  TopSort sort_ = TopSort::kDeviceMemory;
  bool utf8_;
};

}  // namespace memledger
