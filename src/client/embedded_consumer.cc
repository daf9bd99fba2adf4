// embedded_consumer.cc — see embedded_consumer.h.
#include "client/embedded_consumer.h"

#include <unistd.h>

#include <cstdio>
#include <vector>

#include "client/quiet_thread.h"
#include "event/monotonic_clock.h"
#include "ledger/carry_over.h"

namespace memledger {
namespace {
constexpr std::size_t kBatchSlots = 1024;
constexpr auto kIdleSleep = std::chrono::milliseconds(1);
constexpr auto kCaptureFlushInterval = std::chrono::seconds(1);
// At shutdown, how long in-flight hooks get to publish. While the process
// runs, a claimed slot is waited for however long its producer takes: it may
// be stopped (SIGSTOP, a debugger), and then so is this thread.
constexpr auto kShutdownGrace = std::chrono::milliseconds(200);

constinit thread_local bool tls_drain_thread = false;
}  // namespace

EmbeddedConsumer::EmbeddedConsumer(EventRing& ring, std::uint16_t epoch, std::uint32_t pid, std::string comm,
                                   std::unique_ptr<CaptureWriter> capture, std::unique_ptr<LifecycleLogHandle> log,
                                   const Handover* before, std::span<const Event> carried)
    : consumer_(ring, epoch),
      stream_(ledger_.BeginProcess(pid, std::move(comm), getuid()), ProcessRecord::kApply),
      capture_(std::move(capture)),
      log_(std::move(log)) {
  if (log_) {
    stream_.set_observer([this](ProcessIndex process, const Record& record) { log_->Write(ledger_, process, record); });
  }
  if (before != nullptr) {
    ledger_.JoinLate(stream_.process(), *before);
    ApplyCarriedOver(ledger_, stream_.process(), carried);
  }
  thread_ = StartQuietThread([this] { Run(); });
}

EmbeddedConsumer::~EmbeddedConsumer() { Stop(); }

void EmbeddedConsumer::Stop() {
  stop_requested_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

bool EmbeddedConsumer::PauseAtRecordBoundary(std::chrono::milliseconds timeout) {
  std::unique_lock lock(pause_mutex_);
  pause_requested_.store(true, std::memory_order_release);
  const bool paused = pause_done_.wait_for(lock, timeout, [&] { return paused_; });
  if (!paused) {
    pause_requested_.store(false, std::memory_order_release);
    return false;
  }
  lock.unlock();
  thread_.join();
  return true;
}

void EmbeddedConsumer::Resume(std::uint16_t epoch) {
  consumer_.Reown(epoch);
  {
    std::lock_guard lock(pause_mutex_);
    paused_ = false;
    pause_requested_.store(false, std::memory_order_release);
  }
  thread_ = StartQuietThread([this] { Run(); });
}

bool EmbeddedConsumer::OnDrainThread() { return tls_drain_thread; }

bool EmbeddedConsumer::TakePause() {
  if (!pause_requested_.load(std::memory_order_acquire) || stream_.mid_record()) return false;
  std::lock_guard lock(pause_mutex_);
  if (!pause_requested_.load(std::memory_order_relaxed)) return false;  // the pauser gave up
  paused_ = true;
  pause_done_.notify_all();
  return true;
}

void EmbeddedConsumer::Apply(std::span<Event> batch) {
  const std::size_t used = stream_.Apply(ledger_, batch, MonotonicNs());
  if (capture_) {
    capture_->Append(batch.first(used));
    SayIfCaptureFailed();
  }
}

void EmbeddedConsumer::SayIfCaptureFailed() {
  if (!capture_->failed() || capture_failure_said_) return;
  capture_failure_said_ = true;
  std::fprintf(stderr, "memledger: %s; the capture ends there, incomplete, and accounting goes on in this process\n",
               capture_->error().c_str());
}

void EmbeddedConsumer::Run() {
  tls_drain_thread = true;
  std::vector<Event> batch(kBatchSlots);
  auto last_flush = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point stop_seen{};
  while (!stream_.ended() && !consumer_.lost()) {
    const std::size_t n = consumer_.Drain(batch);
    if (n != 0) {
      Apply(std::span(batch).first(n));
      consumer_.MarkProcessed();
    }
    // Between batches, not only when caught up: a busy producer may never let
    // the consumer catch up, and the pause must not wait for that.
    if (TakePause()) return;  // the ring goes on from consumer_.next_seq(), with another consumer
    if (n != 0) continue;
    const auto now = std::chrono::steady_clock::now();
    if (stop_requested_.load(std::memory_order_acquire)) {
      if (consumer_.CaughtUp()) break;
      if (stop_seen == std::chrono::steady_clock::time_point{}) stop_seen = now;
      if (now - stop_seen > kShutdownGrace) consumer_.AbandonPending();
    } else if (capture_ && now - last_flush > kCaptureFlushInterval) {
      capture_->Flush();
      SayIfCaptureFailed();
      last_flush = now;
    }
    consumer_.WaitForData(stop_requested_.load(std::memory_order_relaxed) ? kIdleSleep / 10 : kIdleSleep);
  }
  // Drained strictly in sequence: every gap the assembler saw is an abandoned slot.
  ledger_.CountLost(stream_.process(), consumer_.abandoned_slots());
  ledger_.NoteDropped(stream_.process(), consumer_.dropped());
  if (!stream_.ended()) ledger_.EndProcess(stream_.process(), ProcessState::kExited, 0);
  consumer_.MarkProcessed();
  if (capture_) {
    capture_->Close(&capture_error_);
    SayIfCaptureFailed();
  }
}

}  // namespace memledger
