// epoll_set_test.cc — EpollSet never hands an event to a file it was not for.
#include "server/epoll_set.h"

#include <unistd.h>

#include <array>

#include <gtest/gtest.h>

namespace memledger {
namespace {

struct Pipe {
  Pipe() { EXPECT_EQ(pipe(fds.data()), 0); }
  ~Pipe() {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  void Say() { ASSERT_EQ(write(fds[1], "x", 1), 1); }
  void CloseReadEnd() {
    close(fds[0]);
    fds[0] = -1;
  }
  int read_end() const { return fds[0]; }
  std::array<int, 2> fds{-1, -1};
};

// One event, read from `set` (the test fails when there is not exactly one).
epoll_event OneEvent(EpollSet& set) {
  std::array<epoll_event, 4> events{};
  EXPECT_EQ(set.Wait(events, std::chrono::milliseconds(1000)), 1u);
  return events[0];
}

// A pipe watched in a set, and the event its first byte made (read from
// the set as a batch of one, not yet handled).
class AWatchedPipe : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(set_.fd(), 0);
    set_.Watch(pipe_.read_end());
    pipe_.Say();
    batch_event_ = OneEvent(set_);
  }

  EpollSet set_;
  Pipe pipe_;
  epoll_event batch_event_{};
};

TEST_F(AWatchedPipe, AnEventNamesTheDescriptorItWasFor) { EXPECT_EQ(set_.FdOf(batch_event_), pipe_.read_end()); }

// The server's case: handling one event of a batch ends a session (its
// pidfd closed) and begins another, whose pidfd takes the freed number; an
// event of the same batch for the closed pidfd must not end the new session.
TEST_F(AWatchedPipe, AnEventForAClosedDescriptorIsStaleOnceItsNumberIsWatchedAgain) {
  const int number = pipe_.read_end();
  pipe_.CloseReadEnd();
  Pipe new_file;  // the lowest free number: the one just closed
  ASSERT_EQ(new_file.read_end(), number);
  set_.Watch(new_file.read_end());
  EXPECT_EQ(set_.FdOf(batch_event_), -1);
  new_file.Say();
  EXPECT_EQ(set_.FdOf(OneEvent(set_)), number);  // the new file's own events are its
}

TEST_F(AWatchedPipe, AnUnwatchedDescriptorsEventsAreStale) {
  set_.Unwatch(pipe_.read_end());
  EXPECT_EQ(set_.FdOf(batch_event_), -1);
  std::array<epoll_event, 4> events{};
  EXPECT_EQ(set_.Wait(events, std::chrono::milliseconds(0)), 0u);  // and no more come
}

TEST_F(AWatchedPipe, ChangingWhatIsWatchedKeepsTheDescriptorsEvents) {
  set_.Change(pipe_.read_end(), EPOLLIN | EPOLLRDHUP | EPOLLET);
  EXPECT_EQ(set_.FdOf(batch_event_), pipe_.read_end());
}

TEST_F(AWatchedPipe, WatchingAWatchedDescriptorAgainMakesItsOlderEventsStale) {
  set_.Watch(pipe_.read_end());  // already in the kernel's set: replaced, not refused
  EXPECT_EQ(set_.FdOf(batch_event_), -1);
  EXPECT_EQ(set_.FdOf(OneEvent(set_)), pipe_.read_end());
}

TEST(EpollSet, EventsItNeverMadeAreStale) {
  EpollSet set;
  epoll_event forged{};
  forged.data.u64 = 5;  // generation 0: never given
  EXPECT_EQ(set.FdOf(forged), -1);
  forged.data.u64 = (std::uint64_t{7} << 32) | 100000;  // a number never watched
  EXPECT_EQ(set.FdOf(forged), -1);
}

}  // namespace
}  // namespace memledger
