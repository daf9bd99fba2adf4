// buffer_lifetimes.cc — see buffer_lifetimes.h.
#include "export/buffer_lifetimes.h"

#include <algorithm>

namespace memledger {
namespace {

// The heap's order: the front is the smallest buffer, the latest of equals.
bool MoreWorthKeeping(const BufferLifetime& a, const BufferLifetime& b) {
  return a.size != b.size ? a.size > b.size : a.seq < b.seq;
}

}  // namespace

BufferLifetimes::BufferLifetimes(const Ledger& ledger, const ReportScope& scope, std::size_t max)
    : ledger_(ledger), scope_(scope), max_(max) {}

void BufferLifetimes::OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) {
  Keep(key, buffer, how, time_ns);
}

void BufferLifetimes::Keep(const LiveKey& key, const LiveBuffer& buffer, std::optional<BufferGone> how,
                           std::uint64_t end_ns) {
  const std::uint16_t device = ledger_.DeviceOf(static_cast<ProcessIndex>(key.process), key.device);
  if (device == kNoDevice || !scope_.Shows(ledger_, device, buffer.type)) return;
  const BufferLifetime lifetime{buffer.seq, buffer.time_ns, std::max(end_ns, buffer.time_ns),
                                key.identity, buffer.address, buffer.size, buffer.stack, buffer.tag,
                                device, buffer.type, key.cls, how};
  if (kept_.size() < max_) {
    kept_.push_back(lifetime);
    std::push_heap(kept_.begin(), kept_.end(), MoreWorthKeeping);
    return;
  }
  ++left_out_;
  if (max_ == 0 || !MoreWorthKeeping(lifetime, kept_.front())) return;
  std::pop_heap(kept_.begin(), kept_.end(), MoreWorthKeeping);
  kept_.back() = lifetime;
  std::push_heap(kept_.begin(), kept_.end(), MoreWorthKeeping);
}

std::vector<BufferLifetime> BufferLifetimes::Finish(std::uint64_t last_ns) {
  ledger_.ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) { Keep(key, buffer, std::nullopt, last_ns); });
  std::vector<BufferLifetime> kept = std::move(kept_);
  kept_.clear();
  std::sort(kept.begin(), kept.end(), [](const BufferLifetime& a, const BufferLifetime& b) { return a.seq < b.seq; });
  return kept;
}

std::string_view EndName(std::optional<BufferGone> end) {
  if (!end) return "live at the end of the capture";
  switch (*end) {
    case BufferGone::kFreed: return "freed";
    case BufferGone::kLeaked: return "leaked";
    case BufferGone::kReplaced: return "replaced by a double alloc";
    case BufferGone::kAccountedElsewhere: return "accounted by another consumer";
  }
  return "";
}

}  // namespace memledger
