// timeline_recorder.h — fills a Timeline (timeline.h) from a replay: every
// change of live bytes as the books make it (a BufferListener), then the
// names, symbolized sites and findings once the replay is done; and, for
// each allocation failure the ledger books, how many changes came before it.
//
// Memory: 32 bytes per buffer event (the changes, with their addresses),
// plus one entry per series, per stack and per failure.
//
// Not thread-safe: the replaying thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>

#include "analysis/capture_analysis.h"
#include "ledger/buffer_listener.h"
#include "ledger/ledger.h"
#include "report/timeline.h"
#include "report/site_stack.h"

namespace memledger {

class TimelineRecorder final : public BufferListener {
 public:
  // `analysis` replays alongside and gives the time origin and the peaks;
  // `ledger` is the one replayed into (its failures are counted as they
  // come). Both must outlive the recorder.
  TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger);

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
  void Add(const LiveKey& key, const LiveBuffer& buffer, std::uint64_t time_ns, std::int64_t delta);
  std::uint32_t SiteIndex(std::uint32_t process, std::uint32_t stack);

  const CaptureAnalysis& analysis_;
  const Ledger& ledger_;
  Timeline timeline_;
  std::vector<std::uint64_t> failure_changes_;  // per failure booked, the changes before it
  absl::flat_hash_map<SeriesKey, std::uint32_t> series_;
  std::vector<SeriesKey> series_keys_;  // by index
  // (process, stack) -> site index; index 0 is "no stack".
  absl::flat_hash_map<std::uint64_t, std::uint32_t> sites_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> site_keys_;  // by index: (process, stack)
  std::uint64_t last_time_ns_ = 0;
};

}  // namespace memledger
