// client_session.cc — see client_session.h.
#include "server/client_session.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace memledger {

ClientSession::ClientSession(int control_fd, int pidfd, EpollSet& epoll, pid_t pid, uid_t uid,
                             std::unique_ptr<EventRing> ring, std::uint16_t epoch, ProcessIndex process,
                             std::unique_ptr<CaptureWriter> capture)
    : control_fd_(control_fd),
      pidfd_(pidfd),
      epoll_(epoll),
      pid_(pid),
      uid_(uid),
      ring_(std::move(ring)),
      // The process is who SO_PEERCRED says, not who its stream claims to be.
      drain_(*ring_, epoch, process, ProcessRecord::kIgnore, std::move(capture)) {}

ClientSession::~ClientSession() {
  close(control_fd_);
  if (pidfd_ >= 0) close(pidfd_);
}

bool ClientSession::ProcessGone() const {
  if (pidfd_ < 0) return true;
  pollfd exited{pidfd_, POLLIN, 0};
  return poll(&exited, 1, 0) > 0;
}

bool ClientSession::OnReadable(Ledger&, const Services&) {
  if (ProcessGone()) return false;
  epoll_.Unwatch(control_fd_);
  return true;
}

std::optional<Session::End> ClientSession::Drain(Ledger& ledger, std::size_t budget) {
  drain_.Drain(ledger, budget);
  // Damaged first: a faulted ring reads as zeros, whose epoch is no consumer's.
  if (ring_->damaged()) return End::kRingDamaged;
  if (drain_.consumer().lost()) return End::kReleased;  // the process took its ring back
  return std::nullopt;
}

void ClientSession::FlushCaptureIfDue(std::chrono::steady_clock::time_point now) {
  drain_.FlushCaptureIfDue(now);
  if (const std::string error = drain_.TakeSegmentError(); !error.empty()) {
    std::fprintf(stderr, "memledger serve: pid %d: %s\n", pid_, error.c_str());
  }
}

void ClientSession::Finish(Ledger& ledger, End how, LogLimiter&) {
  if (how == End::kRingDamaged) {
    std::fprintf(stderr, "memledger serve: pid %d damaged its ring (its shared memory faulted); its books end here\n",
                 pid_);
  }
  // Everything published before the exit is in shared memory: take it all
  // (as long as the ring is this server's).
  if (how != End::kRingDamaged && how != End::kReleased) {
    while (drain_.Drain(ledger, RingDrain::kBatchSlots) != 0) {
    }
  }
  // Only a process whose connection is over is gone; one the server stops
  // draining (it stops, or the ring faulted) may live on.
  RingDrain::End ending = how == End::kConnectionOver ? RingDrain::End::kKilled : RingDrain::End::kAbandoned;
  if (how == End::kReleased || (how != End::kRingDamaged && drain_.consumer().lost())) {
    ending = RingDrain::End::kReleased;
  } else if (how == End::kConnectionOver && !drain_.stream().ended()) {
    drain_.consumer().AbandonPending();
    while (drain_.Drain(ledger, RingDrain::kBatchSlots) != 0) {
    }
  }
  std::string error;
  if (!drain_.Finish(ledger, ending, &error)) std::fprintf(stderr, "memledger serve: pid %d: %s\n", pid_, error.c_str());
  if (const std::string seam = drain_.TakeSegmentError(); !seam.empty()) {
    std::fprintf(stderr, "memledger serve: pid %d: %s\n", pid_, seam.c_str());
  }
}

double ClientSession::ring_fill() const {
  const std::uint64_t head = ring_->header().head.load(std::memory_order_acquire);
  const std::uint64_t next = drain_.consumer().next_seq();
  const std::uint64_t backlog = head > next ? std::min(head - next, ring_->capacity()) : 0;
  return static_cast<double>(backlog) / static_cast<double>(ring_->capacity());
}

}  // namespace memledger
