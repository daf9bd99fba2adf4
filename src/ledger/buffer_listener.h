// buffer_listener.h — an observer of the live set: told every time a buffer
// becomes live or stops being live, with the buffer as the books hold it
// (size, ledger-wide type, tag, stack, the seq and time of its alloc). The
// reports over time (peaks, what was live then, growth, the timeline) follow
// the books through it instead of keeping a second live table.
//
// Called on the thread applying records, in the middle of Ledger::Apply:
// implementations must not call back into the ledger's mutators.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "ledger/live_buffers.h"

namespace memledger {

// Why a buffer stopped being live.
enum class BufferGone : std::uint8_t {
  kFreed,     // its free
  kLeaked,    // its device closed or its process ended with it live
  kReplaced,  // a second alloc of the same identity (a double alloc)
  kAccountedElsewhere,  // its process took its ring to another consumer and ended there
};

class BufferListener {
 public:
  virtual ~BufferListener() = default;
  // `buffer` became live (an alloc, or carried over from another ledger).
  virtual void OnLive(const LiveKey& key, const LiveBuffer& buffer) = 0;
  // `buffer` stopped being live at the record stamped `time_ns` (the last
  // record applied, for leaks at a process end the ledger was told of).
  virtual void OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) = 0;
};

// Tells several listeners (not owned), in the order given.
class BufferListenerFanout final : public BufferListener {
 public:
  BufferListenerFanout(std::initializer_list<BufferListener*> listeners) : listeners_(listeners) {}
  void OnLive(const LiveKey& key, const LiveBuffer& buffer) override {
    for (BufferListener* listener : listeners_) listener->OnLive(key, buffer);
  }
  void OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone how, std::uint64_t time_ns) override {
    for (BufferListener* listener : listeners_) listener->OnGone(key, buffer, how, time_ns);
  }

 private:
  std::vector<BufferListener*> listeners_;
};

}  // namespace memledger
