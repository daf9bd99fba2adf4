// embedded_consumer.cc — see embedded_consumer.h.
#include "client/embedded_consumer.h"

#include <unistd.h>

#include <cstdio>

#include "client/quiet_thread.h"
#include "ledger/carry_over.h"

namespace memledger {
namespace {
constexpr auto kIdleSleep = std::chrono::milliseconds(1);
// At shutdown, how long in-flight hooks get to publish. While the process
// runs, a claimed slot is waited for however long its producer takes: it may
// be stopped (SIGSTOP, a debugger), and then so is this thread.
constexpr auto kShutdownGrace = std::chrono::milliseconds(200);

constinit thread_local bool tls_drain_thread = false;
}  // namespace

EmbeddedConsumer::EmbeddedConsumer(EventRing& ring, std::uint16_t epoch, std::uint32_t pid, std::string comm,
                                   std::unique_ptr<CaptureWriter> capture, std::unique_ptr<LifecycleLogHandle> log,
                                   const Handover* before, std::span<const Event> carried)
    : drain_(ring, epoch, ledger_.BeginProcess(pid, std::move(comm), getuid()), ProcessRecord::kApply,
             std::move(capture)),
      log_(std::move(log)) {
  if (log_) {
    drain_.stream().set_observer(
        [this](ProcessIndex process, const Record& record) { log_->Write(ledger_, process, record); });
  }
  if (before != nullptr) {
    ledger_.JoinLate(process(), *before);
    ApplyCarriedOver(ledger_, process(), carried);
  }
  thread_ = StartQuietThread(kConsumerThreadName, [this] { Run(); });
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
  drain_.consumer().Reown(epoch);
  {
    std::lock_guard lock(pause_mutex_);
    paused_ = false;
    pause_requested_.store(false, std::memory_order_release);
  }
  thread_ = StartQuietThread(kConsumerThreadName, [this] { Run(); });
}

bool EmbeddedConsumer::OnDrainThread() { return tls_drain_thread; }

bool EmbeddedConsumer::TakePause() {
  if (!pause_requested_.load(std::memory_order_acquire) || drain_.stream().mid_record()) return false;
  std::lock_guard lock(pause_mutex_);
  if (!pause_requested_.load(std::memory_order_relaxed)) return false;  // the pauser gave up
  paused_ = true;
  pause_done_.notify_all();
  return true;
}

void EmbeddedConsumer::SayIfCaptureFailed() {
  if (const std::string error = drain_.TakeSegmentError(); !error.empty()) {
    std::fprintf(stderr, "memledger: %s\n", error.c_str());
  }
  const CaptureWriter* capture = drain_.capture();
  if (capture == nullptr || !capture->failed() || capture_failure_said_) return;
  capture_failure_said_ = true;
  std::fprintf(stderr, "memledger: %s; the capture ends there, incomplete, and accounting goes on in this process\n",
               capture->error().c_str());
}

void EmbeddedConsumer::Run() {
  tls_drain_thread = true;
  RingConsumer& consumer = drain_.consumer();
  std::chrono::steady_clock::time_point stop_seen{};
  while (!drain_.stream().ended() && !consumer.lost()) {
    std::size_t n;
    {
      std::lock_guard lock(ledger_mutex_);
      n = drain_.DrainBatch(ledger_);
    }
    if (n != 0) SayIfCaptureFailed();
    // Between batches, not only when caught up: a busy producer may never let
    // the consumer catch up, and the pause must not wait for that.
    if (TakePause()) return;  // the ring goes on from consumer.next_seq(), with another consumer
    if (n != 0) continue;
    const auto now = std::chrono::steady_clock::now();
    if (stop_requested_.load(std::memory_order_acquire)) {
      if (consumer.CaughtUp()) break;
      if (stop_seen == std::chrono::steady_clock::time_point{}) stop_seen = now;
      if (now - stop_seen > kShutdownGrace) consumer.AbandonPending();
    } else {
      drain_.FlushCaptureIfDue(now);
      SayIfCaptureFailed();
    }
    consumer.WaitForData(stop_requested_.load(std::memory_order_relaxed) ? kIdleSleep / 10 : kIdleSleep);
  }
  {
    std::lock_guard lock(ledger_mutex_);
    drain_.Finish(ledger_, RingDrain::End::kExited, &capture_error_);
  }
  SayIfCaptureFailed();
}

}  // namespace memledger
