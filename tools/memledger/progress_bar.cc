// progress_bar.cc — see progress_bar.h.
#include "progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "report/text_report.h"

namespace memledger {
namespace {
constexpr int kWidth = 30;
constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr double kEstimateAfterSeconds = 1.0;
}  // namespace

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputs("\r\033[K", stderr);
}

void ProgressBar::Update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_ || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  const int filled = static_cast<int>(fraction * kWidth);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  // What is left at the pace so far, once there is a pace to speak of.
  char left[32] = "";
  if (seconds >= kEstimateAfterSeconds && fraction > 0.01 && fraction < 1.0) {
    std::snprintf(left, sizeof(left), ", ~%.0f s left", seconds * (1.0 - fraction) / fraction);
  }
  std::fprintf(stderr, "\r\033[K%s [%.*s%*s] %3d%% %s of %s, %.1f s%s", label_.c_str(), filled,
               "##############################", kWidth - filled, "", static_cast<int>(fraction * 100),
               FormatBytes(done).c_str(), FormatBytes(total).c_str(), seconds, left);
  drawn_ = true;
}

}  // namespace memledger
