// epoll_set.h — EpollSet: the server loop's epoll set, which never hands an
// event to a file the event was not for.
//
// The loop reads a batch of events and handles them in turn; handling one
// may close descriptors and open others (a session ends, a Hello brings a
// ring, a pidfd is opened), and the kernel gives a new file the lowest free
// number. An event later in the same batch for a closed descriptor would
// then name a new file: a live process's pidfd would read as its exit.
// So each Watch gives the descriptor a new generation, carried in the
// event; an event whose generation is not its descriptor's current one is
// stale and is dropped (FdOf returns -1).
//
// Invariant kept by its user: a descriptor gets a role in the loop (a key
// of one of its tables) only when it is watched anew, or while it keeps the
// open file it was watched for and is handled for its own event; a role
// given outside its own event (a Hello answered between two sessions'
// drains) is given with a new watch.
//
// Not thread-safe: owned and used by the server's loop thread.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace memledger {

class EpollSet {
 public:
  EpollSet();  // epoll_create1; when that fails, fd() is -1, error() its errno, and Wait returns 0
  ~EpollSet();
  EpollSet(const EpollSet&) = delete;
  EpollSet& operator=(const EpollSet&) = delete;

  // Watches `fd` for `events` under a new generation; its number may be
  // watched again at once after a close. (The kernel keys a watch by open
  // file and number: closing the number's last reference to the file takes
  // the watch out of its set; a file still open elsewhere — a dup, a fork —
  // stays in it, and its events, of an old generation, are dropped. The
  // server never dups nor forks a watched descriptor.)
  void Watch(int fd, std::uint32_t events = EPOLLIN | EPOLLRDHUP);
  // Changes what `fd` (watched) is watched for; its generation stays.
  void Change(int fd, std::uint32_t events);
  // Stops watching `fd` (still open): its events still in a batch are stale.
  void Unwatch(int fd);

  // Waits at most `timeout` for events; returns how many of `out` it filled.
  std::size_t Wait(std::span<epoll_event> out, std::chrono::milliseconds timeout);
  // The descriptor `event` (from Wait) is for, or -1 when it is stale: the
  // descriptor was unwatched, or watched anew, since the batch was read.
  int FdOf(const epoll_event& event) const;

  int fd() const { return epoll_fd_; }
  int error() const { return create_error_; }

 private:
  std::uint64_t Token(int fd) const;

  int epoll_fd_;
  int create_error_;
  std::uint32_t next_generation_ = 1;
  std::vector<std::uint32_t> generation_;  // by descriptor; 0: not watched
};

}  // namespace memledger
