// replayed_capture.h — a gtest fixture's base for the tests that check what
// a tracked test program booked: the books of its capture, replayed, with
// look-ups by device and type.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "analysis/replay.h"

namespace memledger {

class ReplayedCapture : public ::testing::Test {
 protected:
  // `writer`: the ctest that writes the capture, named when it is missing.
  void Replay(const char* path, const char* writer) {
    result_ = ReplayCapture(path, ledger_);
    ASSERT_TRUE(result_.opened) << result_.error << " (run the ctest " << writer << " first)";
  }
  const ProcessBooks& books() const { return ledger_.process(result_.process); }
  std::uint16_t PoolType(const std::string& name) const {
    for (std::size_t t = 0; t < ledger_.type_count(); ++t) {
      if (ledger_.type_name(t) == name) return static_cast<std::uint16_t>(t);
    }
    ADD_FAILURE() << "no type named " << name;
    return 0;
  }
  const TypeCounters& Counters(std::uint16_t device, std::uint16_t type) const {
    return ledger_.devices().at(device).types[type];
  }
  // The capture is whole, and the program `comm` exited 0 with nothing lost.
  void ExpectWholeAndExited(const std::string& comm) const {
    EXPECT_EQ(result_.problem, "");
    EXPECT_TRUE(result_.clean_end) << "the library's exit must write the process-end record";
    EXPECT_EQ(result_.stream_errors.total(), 0u);
    EXPECT_EQ(books().state, ProcessState::kExited);
    EXPECT_EQ(books().exit_status, 0);
    EXPECT_EQ(books().dropped_events, 0u);
    EXPECT_EQ(books().lost_slots, 0u);
    EXPECT_EQ(books().comm, comm);
    EXPECT_EQ(books().pid, result_.info.pid);
    EXPECT_NE(books().pid, 0u);
    EXPECT_EQ(ledger_.Validate(), std::nullopt);
  }

  Ledger ledger_;
  ReplayResult result_;
};

}  // namespace memledger
