// epoll_set.cc — see epoll_set.h.
#include "server/epoll_set.h"

#include <unistd.h>

#include <cerrno>

namespace memledger {

EpollSet::EpollSet() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), create_error_(epoll_fd_ < 0 ? errno : 0) {}

EpollSet::~EpollSet() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::uint64_t EpollSet::Token(int fd) const {
  return (static_cast<std::uint64_t>(generation_[static_cast<std::size_t>(fd)]) << 32) |
         static_cast<std::uint32_t>(fd);
}

void EpollSet::Watch(int fd, std::uint32_t events) {
  if (fd < 0) return;
  const auto index = static_cast<std::size_t>(fd);
  if (generation_.size() <= index) generation_.resize(index + 1, 0);
  generation_[index] = next_generation_;
  next_generation_ = next_generation_ == UINT32_MAX ? 1 : next_generation_ + 1;  // 0 means unwatched
  epoll_event event{};
  event.events = events;
  event.data.u64 = Token(fd);
  // The same file at the same number watched again: its watch is replaced.
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0 && errno == EEXIST) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
  }
}

void EpollSet::Change(int fd, std::uint32_t events) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= generation_.size()) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = Token(fd);
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
}

void EpollSet::Unwatch(int fd) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= generation_.size()) return;
  generation_[static_cast<std::size_t>(fd)] = 0;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

std::size_t EpollSet::Wait(std::span<epoll_event> out, std::chrono::milliseconds timeout) {
  const int n = epoll_wait(epoll_fd_, out.data(), static_cast<int>(out.size()), static_cast<int>(timeout.count()));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

int EpollSet::FdOf(const epoll_event& event) const {
  const auto fd = static_cast<int>(static_cast<std::uint32_t>(event.data.u64));
  const auto generation = static_cast<std::uint32_t>(event.data.u64 >> 32);
  if (fd < 0 || static_cast<std::size_t>(fd) >= generation_.size()) return -1;
  return generation != 0 && generation_[static_cast<std::size_t>(fd)] == generation ? fd : -1;
}

}  // namespace memledger
