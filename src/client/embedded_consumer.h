// embedded_consumer.h — the in-process consumer used when no server is
// reachable: one thread drains this process's ring into a Ledger and streams
// the slots into a capture file (when one is configured).
//
// Thread-safety: constructed and stopped by one thread; the drain thread is
// the only one touching the ledger and the capture until Stop() returns, after
// which ledger() may be read by the caller.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "capture/capture_writer.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"
#include "ring/ring_consumer.h"

namespace memledger {

class EmbeddedConsumer {
 public:
  // Starts the drain thread. `ring` must outlive this object. `capture` may be null.
  EmbeddedConsumer(EventRing& ring, std::uint32_t pid, std::string comm, std::unique_ptr<CaptureWriter> capture);
  ~EmbeddedConsumer();
  EmbeddedConsumer(const EmbeddedConsumer&) = delete;
  EmbeddedConsumer& operator=(const EmbeddedConsumer&) = delete;

  // Drains until the process-end record (or, failing that, everything
  // published), then ends the thread. Idempotent.
  void Stop();
  // Valid after Stop().
  const Ledger& ledger() const { return ledger_; }
  // Set after Stop() when the capture could not be written completely.
  const std::string& capture_error() const { return capture_error_; }
  const CaptureWriter* capture() const { return capture_.get(); }
  bool OnDrainThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  void Run();
  // Applies a drained batch and appends what it used to the capture.
  void Apply(std::span<Event> batch);

  RingConsumer consumer_;
  Ledger ledger_;
  ProcessStream stream_;
  std::unique_ptr<CaptureWriter> capture_;
  std::string capture_error_;
  std::atomic<bool> stop_requested_{false};
  std::thread thread_;
};

}  // namespace memledger
