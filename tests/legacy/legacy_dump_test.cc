// legacy_dump_test.cc — the listing DUMP_REMAINING and DUMP_KERNELS print
// (src/legacy/legacy_dump.h): every remaining buffer with its id, size and
// pid, grouped by device and memory type, and a bound on its length.
#include "legacy/legacy_dump.h"

#include <gtest/gtest.h>

#include <string>

namespace memledger::legacy {
namespace {

HeldBy Held(pid_t pid, std::uint16_t device, std::uint8_t type, std::uint64_t id, std::uint64_t size,
            std::uint64_t references = 1) {
  return HeldBy{pid, HeldBuffer{device, EventKind::kAlloc, type, id, size, references}};
}

TEST(LegacyDump, ListsEachRemainingBufferWithItsIdSizeAndPid) {
  const std::string text = FormatDump("DUMP_REMAINING", 77,
                                      {Held(11, 1, MEMLEDGER_DRAM, 0x3000, 300), Held(10, 0, MEMLEDGER_L1, 0x2000, 200, 3),
                                       Held(10, 0, MEMLEDGER_DRAM, 0x1000, 100)},
                                      100);
  EXPECT_EQ(text,
            "DUMP_REMAINING from pid 77: 3 buffers (600 bytes) held by legacy clients\n"
            "  device 0 DRAM:\n"
            "    0x1000: 100 bytes, pid 10\n"
            "  device 0 L1:\n"
            "    0x2000: 200 bytes, pid 10, 3 references\n"
            "  device 1 DRAM:\n"
            "    0x3000: 300 bytes, pid 11\n");
}

TEST(LegacyDump, NothingRemaining) {
  EXPECT_EQ(FormatDump("DUMP_KERNELS", 5, {}, 100), "DUMP_KERNELS from pid 5: 0 buffers (0 bytes) held by legacy clients\n");
}

TEST(LegacyDump, PastTheLimitOneLineSaysWhatIsLeft) {
  std::vector<HeldBy> held;
  for (std::uint64_t i = 0; i < 10; ++i) held.push_back(Held(1, 0, MEMLEDGER_L1, 0x100 * i, 10));
  const std::string text = FormatDump("DUMP_REMAINING", 1, held, 4);
  EXPECT_NE(text.find("    0x300: 10 bytes, pid 1\n"), std::string::npos);
  EXPECT_EQ(text.find("0x400:"), std::string::npos);
  EXPECT_NE(text.find("... and 6 more buffers (60 bytes), not listed"), std::string::npos);
}

}  // namespace
}  // namespace memledger::legacy
