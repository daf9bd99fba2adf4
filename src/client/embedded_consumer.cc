// embedded_consumer.cc — see embedded_consumer.h.
#include "client/embedded_consumer.h"

#include "event/monotonic_clock.h"

#include <vector>

namespace memledger {
namespace {
constexpr std::size_t kBatchSlots = 1024;
constexpr auto kIdleSleep = std::chrono::milliseconds(1);
constexpr auto kCaptureFlushInterval = std::chrono::seconds(1);
// A slot claimed but unpublished this long is given up (its producer stopped mid-hook).
constexpr auto kStuckSlotTimeout = std::chrono::seconds(10);
// At shutdown, how long in-flight hooks get to publish.
constexpr auto kShutdownGrace = std::chrono::milliseconds(200);
}  // namespace

EmbeddedConsumer::EmbeddedConsumer(EventRing& ring, std::uint32_t pid, std::string comm,
                                   std::unique_ptr<CaptureWriter> capture)
    : consumer_(ring, kStuckSlotTimeout),
      stream_(ledger_.BeginProcess(pid, std::move(comm)), ProcessRecord::kApply),
      capture_(std::move(capture)),
      thread_([this] { Run(); }) {}

EmbeddedConsumer::~EmbeddedConsumer() { Stop(); }

void EmbeddedConsumer::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void EmbeddedConsumer::Apply(std::span<Event> batch) {
  const std::size_t used = stream_.Apply(ledger_, batch, MonotonicNs());
  if (capture_) capture_->Append(batch.first(used));
}

void EmbeddedConsumer::Run() {
  std::vector<Event> batch(kBatchSlots);
  auto last_flush = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stop_seen{};
  while (!stream_.ended()) {
    const std::size_t n = consumer_.Drain(batch);
    if (n != 0) {
      Apply(std::span(batch).first(n));
      consumer_.MarkProcessed();
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (stop_requested_.load(std::memory_order_acquire)) {
      if (consumer_.CaughtUp()) break;
      if (stop_seen == std::chrono::steady_clock::time_point{}) stop_seen = now;
      if (now - stop_seen > kShutdownGrace) consumer_.AbandonPending();
    } else if (capture_ && now - last_flush > kCaptureFlushInterval) {
      capture_->Flush();
      last_flush = now;
    }
    consumer_.WaitForData(stop_requested_.load(std::memory_order_relaxed) ? kIdleSleep / 10 : kIdleSleep);
  }
  // Drained strictly in sequence: every gap the assembler saw is an abandoned slot.
  ledger_.CountLost(stream_.process(), consumer_.abandoned_slots());
  if (!stream_.ended()) ledger_.EndProcess(stream_.process(), ProcessState::kExited, 0);
  consumer_.MarkProcessed();
  if (capture_) capture_->Close(&capture_error_);
}

}  // namespace memledger
