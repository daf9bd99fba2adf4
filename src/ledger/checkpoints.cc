// checkpoints.cc — see checkpoints.h.
#include "ledger/checkpoints.h"

#include <algorithm>

namespace memledger {
namespace {

std::uint32_t SpanKey(std::size_t device, std::size_t type) {
  return static_cast<std::uint32_t>(device << 16 | type);
}

// Calls f(span key, counters) for every (device, type) the process has counters of.
template <typename Tables, typename F>
void ForEachCounter(Tables& tables, F&& f) {
  for (std::size_t d = 0; d < tables.size(); ++d) {
    if (!tables[d]) continue;
    for (auto& [type, counters] : *tables[d]) f(SpanKey(d, type), counters);
  }
}

}  // namespace

std::vector<CheckpointBooks::Segment>::const_iterator CheckpointBooks::Find(std::uint64_t seq) const {
  const auto it = std::lower_bound(open_.begin(), open_.end(), seq,
                                   [](const Segment& s, std::uint64_t v) { return s.seq < v; });
  return it != open_.end() && it->seq == seq ? it : open_.end();
}

bool CheckpointBooks::IsOpen(std::uint64_t seq) const { return Find(seq) != open_.end(); }

bool CheckpointBooks::Begin(std::uint64_t seq, ProcessCounterTables& counters) {
  if (open_.size() >= kMaxOpen || (!open_.empty() && seq <= open_.back().seq)) return false;
  Segment next{seq, {}};
  ForEachCounter(counters, [&](std::uint32_t key, TypeCounters& c) {
    if (!open_.empty()) open_.back().spans[key].max_to_next = c.window_peak;
    if (c.live_bytes != 0) next.spans[key].at_begin = c.live_bytes;
    c.window_peak = c.live_bytes;
  });
  open_.push_back(std::move(next));
  return true;
}

bool CheckpointBooks::End(std::uint64_t seq, ProcessCounterTables& counters) {
  const auto found = Find(seq);
  if (found == open_.end()) return false;
  const auto index = static_cast<std::size_t>(found - open_.begin());
  if (index > 0) {
    // The one before covers this one's span from now on.
    Segment& before = open_[index - 1];
    if (index + 1 < open_.size()) {
      for (const auto& [key, span] : found->spans) {
        Span& into = before.spans[key];
        into.max_to_next = std::max(into.max_to_next, span.max_to_next);
      }
    } else {
      // It was the newest: the window peaks run from the one before's begin again.
      ForEachCounter(counters, [&](std::uint32_t key, TypeCounters& c) {
        if (const auto it = before.spans.find(key); it != before.spans.end()) {
          c.window_peak = std::max(c.window_peak, it->second.max_to_next);
        }
      });
    }
  }
  open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(index));
  if (open_.empty()) {
    ClearLog();
  } else if (index == 0) {
    // Entries older than the oldest open checkpoint are no one's now.
    const auto first = std::lower_bound(seqs_.begin(), seqs_.end(), open_.front().seq) - seqs_.begin();
    young_live_ -= static_cast<std::size_t>(std::count_if(log_.begin(), log_.begin() + first,
                                                          [](const Entry& e) { return e.live; }));
    log_.erase(log_.begin(), log_.begin() + first);
    seqs_.erase(seqs_.begin(), seqs_.begin() + first);
  }
  return true;
}

void CheckpointBooks::OnAlloc(std::uint64_t seq, const LiveKey& key) {
  // Only after the newest checkpoint and in seq order (a carried-over
  // buffer's seq is its own stream's: not this log's).
  if (open_.empty() || seq <= open_.back().seq || (!seqs_.empty() && seq <= seqs_.back())) return;
  if (log_.size() >= 2 * young_live_ + kLogSlack) {  // the dead go, both columns in step
    std::size_t kept = 0;
    for (std::size_t i = 0; i < log_.size(); ++i) {
      if (!log_[i].live) continue;
      seqs_[kept] = seqs_[i];
      log_[kept++] = log_[i];
    }
    seqs_.resize(kept);
    log_.resize(kept);
  }
  log_.push_back(Entry{key, true});
  seqs_.push_back(seq);
  ++young_live_;
}

void CheckpointBooks::OnRelease(std::uint64_t seq) {
  if (seqs_.empty() || seq < seqs_.front() || seq > seqs_.back()) return;
  const std::size_t at = Locate(seq);
  if (seqs_[at] != seq) return;
  Entry& entry = log_[at];
  if (!entry.live) return;
  entry.live = false;
  if (--young_live_ == 0) ClearLog();  // every entry is dead
}

std::size_t CheckpointBooks::Locate(std::uint64_t seq) const {
  // Seqs grow by about the same step from entry to entry (a record each, the
  // allocations among them spread out): start where that puts `seq`, then
  // gallop outwards to two entries around it and search between them.
  const std::size_t n = seqs_.size();
  const std::uint64_t span = seqs_.back() - seqs_.front();
  std::size_t guess = span == 0 ? 0
                                : static_cast<std::size_t>(static_cast<double>(seq - seqs_.front()) /
                                                           static_cast<double>(span) * static_cast<double>(n - 1));
  guess = std::min(guess, n - 1);
  std::size_t lo = 0;
  std::size_t hi = 0;
  std::size_t bound = 1;
  if (seqs_[guess] < seq) {  // after guess: [guess + bound/2] < seq <= [guess + bound] (or the end)
    while (guess + bound < n && seqs_[guess + bound] < seq) bound *= 2;
    lo = guess + bound / 2 + 1;
    hi = std::min(n, guess + bound + 1);
  } else {  // at or before guess: [guess - bound] < seq <= [guess - bound/2] (or the start)
    while (bound <= guess && seqs_[guess - bound] >= seq) bound *= 2;
    lo = bound <= guess ? guess - bound + 1 : 0;
    hi = guess - bound / 2 + 1;
  }
  return static_cast<std::size_t>(std::lower_bound(seqs_.begin() + static_cast<std::ptrdiff_t>(lo),
                                                   seqs_.begin() + static_cast<std::ptrdiff_t>(hi), seq) -
                                  seqs_.begin());
}

void CheckpointBooks::ClearLog() {
  log_.clear();
  seqs_.clear();
  young_live_ = 0;
}

std::vector<CheckpointBooks::Young> CheckpointBooks::LiveSince(std::uint64_t seq) const {
  std::vector<Young> out;
  if (young_live_ == 0 || !IsOpen(seq)) return out;
  for (auto i = static_cast<std::size_t>(std::upper_bound(seqs_.begin(), seqs_.end(), seq) - seqs_.begin());
       i < seqs_.size(); ++i) {
    if (log_[i].live) out.push_back(Young{seqs_[i], log_[i].key});
  }
  return out;
}

std::vector<CheckpointPeak> CheckpointBooks::PeaksSince(std::uint64_t seq,
                                                        const ProcessCounterTables& counters) const {
  std::vector<CheckpointPeak> out;
  const auto found = Find(seq);
  if (found == open_.end()) return out;
  ForEachCounter(counters, [&](std::uint32_t key, const TypeCounters& c) {
    CheckpointPeak peak{static_cast<std::uint16_t>(key >> 16), static_cast<std::uint16_t>(key & 0xffff), 0,
                        c.window_peak, c.live_bytes};
    for (auto it = found; it != open_.end(); ++it) {
      const auto span = it->spans.find(key);
      if (span == it->spans.end()) continue;
      if (it == found) peak.at_begin = span->second.at_begin;
      if (it + 1 != open_.end()) peak.peak = std::max(peak.peak, span->second.max_to_next);
    }
    peak.peak = std::max({peak.peak, peak.at_begin, peak.now});
    if (peak.peak != 0) out.push_back(peak);
  });
  return out;
}

}  // namespace memledger
