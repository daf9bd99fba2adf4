// embedded_consumer.h — the in-process consumer used when no server is
// reachable: one thread drains this process's ring into a Ledger and streams
// the slots into a capture file (when one is configured). A capture that
// cannot be written (a full disk) is said on stderr at once, one line, and
// ends there; the books go on whole in the ledger here.
//
// It may start part-way through the ring (its server went away: a takeover)
// and may hand the ring back part-way (its server returned): it pauses at a
// record boundary, with everything drained applied, so that the next
// consumer starts at the ring's tail on a whole record.
//
// Thread-safety: constructed, paused, resumed and stopped by one thread at a
// time (the client serializes them); the drain thread is the only one
// writing the ledger and the capture while it runs, and it holds
// ledger_mutex_ around each batch it applies, so that WithLedger may read
// the ledger from any thread between two batches (a checkpoint's query).
// ledger() may be read once Stop() or a successful PauseAtRecordBoundary()
// has returned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "capture/capture_writer.h"
#include "client/lifecycle_log_handle.h"
#include "consumer/ring_drain.h"
#include "ledger/ledger.h"

namespace memledger {

class EmbeddedConsumer {
 public:
  // Starts the drain thread at the ring's tail, as the owner of `epoch`
  // (ring_ownership.h: the caller took the ring). `ring` must outlive this
  // object. `capture` and `log` may be null. A consumer taking over a ring
  // another consumer drained passes `before`, what was accounted elsewhere
  // (Ledger::JoinLate), and `carried`, the names and buffers its books
  // begin with (carry_over.h); else the books begin with the ring.
  EmbeddedConsumer(EventRing& ring, std::uint16_t epoch, std::uint32_t pid, std::string comm,
                   std::unique_ptr<CaptureWriter> capture, std::unique_ptr<LifecycleLogHandle> log = nullptr,
                   const Handover* before = nullptr, std::span<const Event> carried = {});
  ~EmbeddedConsumer();
  EmbeddedConsumer(const EmbeddedConsumer&) = delete;
  EmbeddedConsumer& operator=(const EmbeddedConsumer&) = delete;

  // Drains until the process-end record (or, failing that, everything
  // published), then ends the thread and the process's books. Idempotent.
  void Stop();
  // Ends the drain thread at the next record boundary, everything it drained
  // applied, without ending the process (what is published after stays in
  // the ring for the next consumer): true when paused within `timeout`,
  // false (and draining goes on) when a record stayed half-published that long.
  bool PauseAtRecordBoundary(std::chrono::milliseconds timeout);
  // Restarts draining after a pause, as the owner of `epoch` (the ring was
  // offered and taken back: no one drained it meanwhile).
  void Resume(std::uint16_t epoch);

  const Ledger& ledger() const { return ledger_; }
  // f(ledger, process()) between two of the drain thread's batches, or after
  // it stopped: from any thread; the drain waits until f returns.
  template <typename F>
  decltype(auto) WithLedger(F&& f) {
    std::lock_guard lock(ledger_mutex_);
    return f(static_cast<const Ledger&>(ledger_), process());
  }
  ProcessIndex process() const { return drain_.stream().process(); }
  // Records applied from the ring (not counting the takeover's).
  std::uint64_t records() const { return drain_.stream().records(); }
  // Set after Stop() when the capture could not be written completely
  // (already said on stderr when it happened).
  const std::string& capture_error() const { return capture_error_; }
  const CaptureWriter* capture() const { return drain_.capture(); }
  const LifecycleLogHandle* log() const { return log_.get(); }
  // True on a drain thread of any EmbeddedConsumer.
  static bool OnDrainThread();

 private:
  void Run();
  // In the drain thread, when it has caught up: true when a pause was asked for and is taken.
  bool TakePause();
  // In the drain thread: the first time the capture fails, one line on stderr;
  // what went wrong at a seam of its segments, when it did.
  void SayIfCaptureFailed();

  std::mutex ledger_mutex_;  // held by the drain thread around each batch; by WithLedger
  Ledger ledger_;
  RingDrain drain_;  // after ledger_: it begins the process's books there
  std::unique_ptr<LifecycleLogHandle> log_;
  std::string capture_error_;
  bool capture_failure_said_ = false;  // drain thread only
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> pause_requested_{false};
  std::mutex pause_mutex_;  // guards paused_ and the pause_requested_ decision
  std::condition_variable pause_done_;
  bool paused_ = false;
  std::thread thread_;
};

}  // namespace memledger
