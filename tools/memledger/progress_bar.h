// progress_bar.h — a progress bar on stderr for long reads, drawn only when
// stderr is a terminal (never into a log or a pipe), redrawn at most every
// 100 ms and erased when done; after a second, with the time left at the
// pace so far.
//
// Not thread-safe: one reading thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace memledger {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // erases the bar
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(std::uint64_t done, std::uint64_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace memledger
