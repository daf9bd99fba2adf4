// client_session.cc — see client_session.h.
#include "server/client_session.h"

#include "event/monotonic_clock.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace memledger {
namespace {
constexpr std::size_t kBatchSlots = 1024;
constexpr auto kCaptureFlushInterval = std::chrono::seconds(1);
}  // namespace

ClientSession::ClientSession(int control_fd, int pidfd, pid_t pid, uid_t uid, std::unique_ptr<EventRing> ring,
                             std::uint16_t epoch, ProcessIndex process, std::unique_ptr<CaptureWriter> capture)
    : control_fd_(control_fd),
      pidfd_(pidfd),
      pid_(pid),
      uid_(uid),
      ring_(std::move(ring)),
      consumer_(*ring_, epoch),
      // The process is who SO_PEERCRED says, not who its stream claims to be.
      stream_(process, ProcessRecord::kIgnore),
      batch_(kBatchSlots),
      capture_(std::move(capture)) {}

ClientSession::~ClientSession() {
  close(control_fd_);
  if (pidfd_ >= 0) close(pidfd_);
}

std::size_t ClientSession::Drain(Ledger& ledger, std::size_t budget) {
  std::size_t drained = 0;
  while (drained < budget && !stream_.ended()) {
    const std::size_t n = consumer_.Drain(std::span(batch_).first(std::min(batch_.size(), budget - drained)));
    if (n == 0) break;
    const std::size_t used = stream_.Apply(ledger, std::span(batch_).first(n), MonotonicNs());
    if (capture_) capture_->Append(std::span(batch_).first(used));
    drained += n;
    consumer_.MarkProcessed();
  }
  return drained;
}

bool ClientSession::ProcessGone() const {
  if (pidfd_ < 0) return true;
  pollfd exited{pidfd_, POLLIN, 0};
  return poll(&exited, 1, 0) > 0;
}

void ClientSession::Finish(Ledger& ledger, End how) {
  if (how == End::kRingDamaged) {
    std::fprintf(stderr, "memledger serve: pid %d damaged its ring (its shared memory faulted); its books end here\n",
                 pid_);
  }
  // Everything published before the exit is in shared memory: take it all
  // (as long as the ring is this server's).
  while (how != End::kRingDamaged && how != End::kReleased && !stream_.ended() && Drain(ledger, kBatchSlots) != 0) {
  }
  if (how == End::kReleased || released()) {
    ledger.ReleaseProcess(stream_.process());
    CloseCapture();
    return;
  }
  if (how == End::kProcessGone && !stream_.ended()) {
    consumer_.AbandonPending();
    while (!stream_.ended() && Drain(ledger, kBatchSlots) != 0) {
    }
  }
  ledger.CountLost(stream_.process(), consumer_.abandoned_slots());
  ledger.NoteDropped(stream_.process(), dropped());
  if (!stream_.ended()) ledger.EndProcess(stream_.process(), ProcessState::kKilled, -1);
  CloseCapture();
}

void ClientSession::CloseCapture() {
  if (!capture_) return;
  std::string error;
  if (!capture_->Close(&error)) std::fprintf(stderr, "memledger serve: pid %d: %s\n", pid_, error.c_str());
  capture_.reset();
}

void ClientSession::FlushCaptureIfDue(std::chrono::steady_clock::time_point now) {
  if (!capture_ || now - last_flush_ < kCaptureFlushInterval) return;
  last_flush_ = now;
  capture_->Flush();
}

std::uint64_t ClientSession::backlog() const {
  const std::uint64_t head = ring_->header().head.load(std::memory_order_acquire);
  const std::uint64_t next = consumer_.next_seq();
  return head > next ? std::min(head - next, ring_->capacity()) : 0;
}

std::uint64_t ClientSession::dropped() const { return consumer_.dropped(); }

}  // namespace memledger
