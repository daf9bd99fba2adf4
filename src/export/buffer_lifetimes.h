// buffer_lifetimes.h — the buffers' lifetimes a Chrome trace shows as
// slices, from the books as they go (a BufferListener): each from its alloc
// to the record that ended it (its free; its process's end or its device's
// close, leaked; a double alloc replacing it), or to the capture's last
// record when it is still live there. Only the devices and types a scope
// shows; at most `max` lifetimes, the largest buffers (then the earliest),
// the rest counted as left out: a huge capture's trace stays openable.
//
// Not thread-safe: on the thread replaying the capture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ledger/buffer_listener.h"
#include "ledger/ledger.h"
#include "report/report_scope.h"

namespace memledger {

struct BufferLifetime {
  std::uint64_t seq;       // of its alloc: unique in its process, the slice's id
  std::uint64_t begin_ns;  // of its alloc
  std::uint64_t end_ns;    // of the record that ended it, or the capture's last
  std::uint64_t identity;  // its buffer id, or its address when it has none
  std::uint64_t address;
  std::uint64_t size;
  std::uint32_t stack;     // of its alloc
  std::uint32_t tag;
  std::uint16_t device;    // ledger-wide
  std::uint16_t type;      // ledger-wide
  BufferClass cls;
  std::optional<BufferGone> end;  // nullopt: still live at the capture's end
};

class BufferLifetimes final : public BufferListener {
 public:
  BufferLifetimes(const Ledger& ledger, const ReportScope& scope, std::size_t max);

  void OnLive(const LiveKey&, const LiveBuffer&) override {}
  void OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) override;
  // Once the replay is done: the buffers still live end at `last_ns`.
  // Returns the lifetimes kept, by alloc (seq).
  std::vector<BufferLifetime> Finish(std::uint64_t last_ns);
  // Lifetimes not kept (beyond `max`).
  std::uint64_t left_out() const { return left_out_; }

 private:
  void Keep(const LiveKey& key, const LiveBuffer& buffer, std::optional<BufferGone> how, std::uint64_t end_ns);

  const Ledger& ledger_;
  const ReportScope& scope_;
  std::size_t max_;
  std::vector<BufferLifetime> kept_;  // a heap: its front the least worth keeping
  std::uint64_t left_out_ = 0;
};

// "freed", "leaked", "replaced by a double alloc", "accounted by another
// consumer", "live at the end of the capture".
std::string_view EndName(std::optional<BufferGone> end);

}  // namespace memledger
