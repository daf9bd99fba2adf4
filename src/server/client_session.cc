// client_session.cc — see client_session.h.
#include "server/client_session.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>

namespace memledger {
namespace {
constexpr std::size_t kBatchSlots = 1024;
// A slot claimed but unpublished this long is given up; a crashed process's
// half-written slot is given up at once when it is finished.
constexpr auto kStuckSlotTimeout = std::chrono::seconds(2);

std::uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}
}  // namespace

ClientSession::ClientSession(int control_fd, int pidfd, pid_t pid, uid_t uid, std::unique_ptr<EventRing> ring,
                             ProcessIndex process)
    : control_fd_(control_fd),
      pidfd_(pidfd),
      pid_(pid),
      uid_(uid),
      ring_(std::move(ring)),
      consumer_(*ring_, kStuckSlotTimeout),
      process_(process),
      batch_(kBatchSlots) {}

ClientSession::~ClientSession() {
  close(control_fd_);
  if (pidfd_ >= 0) close(pidfd_);
}

std::size_t ClientSession::Drain(Ledger& ledger, std::size_t budget) {
  std::size_t drained = 0;
  while (drained < budget && !ended_) {
    const std::size_t n = consumer_.Drain(std::span(batch_).first(std::min(batch_.size(), budget - drained)));
    if (n == 0) break;
    const std::uint64_t now = MonotonicNs();
    for (std::size_t i = 0; i < n && !ended_; ++i) {
      Event& slot = batch_[i];
      if (!assembler_.mid_record()) slot.time_ns = now;
      const auto record = assembler_.Push(slot);
      if (!record) continue;
      // The process's identity is the server's knowledge, not the record's claim.
      if (record->kind() == EventKind::kProcess) continue;
      ++events_;
      ledger.Apply(process_, *record);
      ended_ = record->kind() == EventKind::kProcessEnd;
    }
    drained += n;
    consumer_.MarkProcessed();
  }
  return drained;
}

void ClientSession::Finish(Ledger& ledger) {
  // Everything published before the exit is in shared memory: take it all.
  while (!ended_ && Drain(ledger, kBatchSlots) != 0) {
  }
  if (!ended_) {
    consumer_.AbandonPending();
    while (!ended_ && Drain(ledger, kBatchSlots) != 0) {
    }
  }
  ledger.CountLost(process_, consumer_.abandoned_slots());
  if (!ended_) ledger.EndProcess(process_, ProcessState::kKilled, -1);
}

std::uint64_t ClientSession::backlog() const {
  const std::uint64_t head = ring_->header().head.load(std::memory_order_acquire);
  const std::uint64_t next = consumer_.next_seq();
  return head > next ? std::min(head - next, ring_->capacity()) : 0;
}

std::uint64_t ClientSession::dropped() const { return ring_->header().dropped.load(std::memory_order_relaxed); }

}  // namespace memledger
