// event_ring_test.cc — EventRing creation and attachment (validation of the
// shared header, a hostile peer's memfd), claiming and publishing, and the
// drop policy, all from one thread (src/ring/event_ring.h).
#include "ring/event_ring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "ring/ring_consumer.h"
#include "ring_test_util.h"

namespace memledger {
namespace {

using ring_test::IsStamped;
using ring_test::MakeRing;
using ring_test::PublishStamped;
using ring_test::Stamped;

// --- Create -------------------------------------------------------------------

TEST(EventRingCreate, RejectsCapacitiesThatAreNotAPowerOfTwoInRange) {
  for (const std::uint64_t capacity :
       {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}, std::uint64_t{1025}, kMinRingSlots / 2,
        kMaxRingSlots * 2, kMaxRingSlots + 1024, ~std::uint64_t{0}}) {
    std::string error;
    EXPECT_EQ(EventRing::Create(capacity, OnFull::kBlock, &error), nullptr) << capacity;
    EXPECT_NE(error.find("power of two"), std::string::npos) << capacity << ": " << error;
  }
}

TEST(EventRingCreate, WritesAValidHeader) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kDrop);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->capacity(), kMinRingSlots);
  EXPECT_EQ(ring->policy(), OnFull::kDrop);
  const RingHeader& header = ring->header();
  EXPECT_EQ(header.magic, kRingMagic);
  EXPECT_EQ(header.layout_version, kRingLayoutVersion);
  EXPECT_EQ(header.slot_bytes, kSlotBytes);
  EXPECT_EQ(header.capacity, kMinRingSlots);
  EXPECT_EQ(header.lane_capacity, DefaultLaneCapacity(kMinRingSlots));
  for (const LaneTail& lane : header.lanes) EXPECT_EQ(lane.next.load(), 1u) << "lane positions start at 1";
  EXPECT_EQ(header.on_full, static_cast<std::uint32_t>(OnFull::kDrop));
  EXPECT_EQ(header.producer_pid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(header.head.load(), 1u) << "sequence numbers start at 1";
  EXPECT_EQ(header.tail.load(), 1u);
  EXPECT_EQ(header.dropped.load(), 0u);
  EXPECT_EQ(lseek(ring->fd(), 0, SEEK_END), static_cast<off_t>(RingBytes(kMinRingSlots)));
}

TEST(EventRingCreate, SizeOfTheMemfdIsSealed) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  EXPECT_NE(ftruncate(ring->fd(), 4096), 0) << "a producer could shrink the ring under the consumer";
}

TEST(EventRingCreate, EveryPageIsFaultedInBeforeAnyHookRuns) {
  // Hooks must not take the ring's page faults one by one while the program
  // runs: Create populates the mapping (MADV_POPULATE_WRITE, Linux 5.14).
  constexpr std::uint64_t kSlots = 1 << 14;  // 1 MiB: 256 pages
  void* probe = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(probe, MAP_FAILED);
  const bool kernel_populates = madvise(probe, 4096, MADV_POPULATE_WRITE) == 0;
  munmap(probe, 4096);
  if (!kernel_populates) GTEST_SKIP() << "this kernel has no MADV_POPULATE_WRITE (Linux 5.14): rings fault in as they fill";
  auto ring = MakeRing(kSlots);
  ASSERT_NE(ring, nullptr);
  const long page = sysconf(_SC_PAGESIZE);
  const std::size_t pages = (RingBytes(kSlots) + page - 1) / page;
  std::vector<unsigned char> resident(pages);
  ASSERT_EQ(mincore(&ring->header(), RingBytes(kSlots), resident.data()), 0);
  std::size_t in = 0;
  for (const unsigned char flags : resident) in += flags & 1;
  EXPECT_EQ(in, pages) << "pages of the ring not yet in memory: only the header page was written";
}

// --- Claim / Publish --------------------------------------------------------

TEST(EventRingClaim, HandsOutConsecutiveSequenceNumbers) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->Claim(1), 1u);
  EXPECT_EQ(ring->Claim(3), 2u);
  EXPECT_EQ(ring->Claim(1), 5u);
  EXPECT_EQ(ring->header().head.load(), 6u);
}

TEST(EventRingPublish, CopiesEverythingButSeqAndThenPublishesSeq) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  const std::uint64_t seq = ring->Claim(1);
  EXPECT_NE(ring->slot_at(seq).seq.load(), seq) << "not published yet";
  Event event = Stamped(42);
  event.seq = 999;  // ignored: the ring writes the claimed seq
  ring->Publish(seq, event);
  EXPECT_EQ(ring->slot_at(seq).seq.load(), seq);
  Event stored;
  std::memcpy(static_cast<void*>(&stored), static_cast<const void*>(&ring->slot_at(seq)), sizeof(stored));
  EXPECT_EQ(stored.seq, seq);
  EXPECT_TRUE(IsStamped(stored, 42));
}

// --- Drop policy ------------------------------------------------------------

TEST(EventRingDropPolicy, FullRingRefusesAndCountsWithoutBlocking) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kDrop);
  ASSERT_NE(ring, nullptr);
  for (std::uint64_t i = 0; i < kMinRingSlots; ++i) ASSERT_EQ(PublishStamped(*ring, i), i + 1);
  // Full: a test that hangs here has a producer that blocks under kDrop.
  EXPECT_EQ(ring->Claim(1), 0u);
  EXPECT_EQ(ring->Claim(5), 0u);
  EXPECT_EQ(ring->header().dropped.load(), 2u);
  EXPECT_EQ(ring->header().head.load(), kMinRingSlots + 1) << "a refused claim must not take sequence numbers";

  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(kMinRingSlots);
  ASSERT_EQ(consumer.Drain(std::span(out).first(10)), 10u);
  // Ten slots free again: a claim of 10 fits, one more does not.
  EXPECT_EQ(ring->Claim(10), kMinRingSlots + 1);
  EXPECT_EQ(ring->Claim(1), 0u);
  EXPECT_EQ(ring->header().dropped.load(), 3u);
}

TEST(EventRingDropPolicy, MultiSlotClaimThatDoesNotFitIsRefusedWhole) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kDrop);
  ASSERT_NE(ring, nullptr);
  ASSERT_EQ(ring->Claim(kMinRingSlots - 2), 1u);
  EXPECT_EQ(ring->Claim(3), 0u);
  EXPECT_EQ(ring->Claim(2), kMinRingSlots - 1);
  EXPECT_EQ(ring->header().dropped.load(), 1u);
}

TEST(EventRingBlockPolicy, NeverDropsWhileThereIsSpace) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  for (std::uint64_t i = 0; i < kMinRingSlots; ++i) ASSERT_EQ(PublishStamped(*ring, i), i + 1);
  EXPECT_EQ(ring->header().dropped.load(), 0u);
}

// --- Attach -----------------------------------------------------------------

constexpr int kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;

// A memfd of `bytes` holding `header` at offset 0, built by hand as a hostile
// or confused peer would, with `seals` added.
class HandBuiltRing {
 public:
  HandBuiltRing(std::size_t bytes, const std::function<void(RingHeader&)>& edit, int seals = kSizeSeals) {
    fd_ = memfd_create("hand-built-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(ftruncate(fd_, static_cast<off_t>(bytes)), 0);
    RingHeader header{};
    header.magic = kRingMagic;
    header.layout_version = kRingLayoutVersion;
    header.slot_bytes = kSlotBytes;
    header.capacity = kMinRingSlots;
    header.lane_capacity = DefaultLaneCapacity(kMinRingSlots);
    header.on_full = static_cast<std::uint32_t>(OnFull::kDrop);
    header.head.store(1);
    header.tail.store(1);
    edit(header);
    const std::size_t n = std::min(sizeof(header), bytes);
    EXPECT_EQ(pwrite(fd_, &header, n, 0), static_cast<ssize_t>(n));
    if (seals != 0) {
      EXPECT_EQ(fcntl(fd_, F_ADD_SEALS, seals), 0);
    }
  }
  ~HandBuiltRing() { close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

TEST(EventRingAttach, AcceptsAHandBuiltValidRing) {
  HandBuiltRing memfd(RingBytes(kMinRingSlots), [](RingHeader&) {});
  std::string error;
  auto ring = EventRing::Attach(memfd.fd(), &error);
  ASSERT_NE(ring, nullptr) << error;
  EXPECT_EQ(ring->capacity(), kMinRingSlots);
  EXPECT_EQ(ring->policy(), OnFull::kDrop) << "the policy comes from the header";
  EXPECT_NE(ring->fd(), memfd.fd()) << "Attach keeps its own dup of the fd";
}

struct BadRing {
  const char* what;
  std::size_t bytes;
  std::function<void(RingHeader&)> edit;
  const char* error_mentions;
};

TEST(EventRingAttach, RejectsWhatIsNotAValidRing) {
  const std::size_t ring_bytes = RingBytes(kMinRingSlots);
  const BadRing cases[] = {
      {"smaller than a header", 100, [](RingHeader&) {}, "smaller than a ring header"},
      {"empty", 0, [](RingHeader&) {}, "smaller than a ring header"},
      {"all zeros", ring_bytes, [](RingHeader& h) { std::memset(static_cast<void*>(&h), 0, 64); }, "bad magic"},
      {"wrong magic", ring_bytes, [](RingHeader& h) { h.magic ^= 1; }, "bad magic"},
      {"newer layout", ring_bytes, [](RingHeader& h) { h.layout_version = kRingLayoutVersion + 1; }, "reads version 3"},
      {"other slot size", ring_bytes, [](RingHeader& h) { h.slot_bytes = 128; }, "128-byte slots"},
      {"capacity not a power of two", RingBytes(1000), [](RingHeader& h) { h.capacity = 1000; }, "corrupt"},
      {"capacity below the minimum", RingBytes(512), [](RingHeader& h) { h.capacity = 512; }, "corrupt"},
      {"capacity above the memfd", ring_bytes, [](RingHeader& h) { h.capacity = 2 * kMinRingSlots; }, "corrupt"},
      {"memfd larger than the capacity", ring_bytes + 4096, [](RingHeader&) {}, "corrupt"},
      {"capacity that overflows the size", ring_bytes,
       [](RingHeader& h) { h.capacity = std::uint64_t{1} << 63; }, "corrupt"},
      {"unknown policy", ring_bytes, [](RingHeader& h) { h.on_full = 2; }, "corrupt"},
      {"lanes not a power of two", ring_bytes, [](RingHeader& h) { h.lane_capacity = 100; }, "corrupt"},
      {"lanes larger than an eighth of the ring", RingBytes(kMinRingSlots, kMinRingSlots / 4),
       [](RingHeader& h) { h.lane_capacity = kMinRingSlots / 4; }, "corrupt"},
      {"lanes below the minimum", RingBytes(kMinRingSlots, kMinLaneSlots / 2),
       [](RingHeader& h) { h.lane_capacity = kMinLaneSlots / 2; }, "corrupt"},
      {"lanes that do not match the memfd", ring_bytes, [](RingHeader& h) { h.lane_capacity = kMinLaneSlots / 2; },
       "corrupt"},
      {"lanes that overflow the size", ring_bytes, [](RingHeader& h) { h.lane_capacity = std::uint64_t{1} << 62; },
       "corrupt"},
  };
  for (const BadRing& bad : cases) {
    SCOPED_TRACE(bad.what);
    HandBuiltRing memfd(bad.bytes, bad.edit);
    std::string error;
    EXPECT_EQ(EventRing::Attach(memfd.fd(), &error), nullptr);
    EXPECT_NE(error.find(bad.error_mentions), std::string::npos) << error;
  }
}

// A ring whose size could change would fault under the server's mapping
// (SIGBUS): only a memfd sealed against shrinking and growing is accepted.
TEST(EventRingAttach, RejectsAMemfdThatCanBeResized) {
  const std::size_t ring_bytes = RingBytes(kMinRingSlots);
  for (const int seals : {0, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE | F_SEAL_GROW}) {
    SCOPED_TRACE(seals);
    HandBuiltRing memfd(ring_bytes, [](RingHeader&) {}, seals);
    std::string error;
    EXPECT_EQ(EventRing::Attach(memfd.fd(), &error), nullptr);
    EXPECT_NE(error.find("not sealed against resizing"), std::string::npos) << error;
  }
  HandBuiltRing sealed(ring_bytes, [](RingHeader&) {}, kSizeSeals | F_SEAL_SEAL);
  std::string error;
  EXPECT_NE(EventRing::Attach(sealed.fd(), &error), nullptr) << error;
}

TEST(EventRingAttach, RejectsARegularFile) {
  char path[] = "/tmp/memledger-ring-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  std::vector<char> bytes(RingBytes(kMinRingSlots));
  ASSERT_EQ(pread(ring->fd(), bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  std::string error;
  EXPECT_EQ(EventRing::Attach(fd, &error), nullptr);
  EXPECT_NE(error.find("memfd"), std::string::npos) << error;  // not one, or (tmpfs) one without seals
  close(fd);
}

TEST(EventRingAttach, RejectsBadFileDescriptors) {
  std::string error;
  EXPECT_EQ(EventRing::Attach(-1, &error), nullptr);
  EXPECT_FALSE(error.empty());

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  error.clear();
  EXPECT_EQ(EventRing::Attach(pipe_fds[0], &error), nullptr);
  EXPECT_FALSE(error.empty());
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST(EventRingAttach, SharesMemoryWithTheCreatorAndOutlivesIt) {
  auto creator = MakeRing(kMinRingSlots);
  ASSERT_NE(creator, nullptr);
  std::string error;
  auto attached = EventRing::Attach(creator->fd(), &error);
  ASSERT_NE(attached, nullptr) << error;
  EXPECT_EQ(attached->policy(), OnFull::kBlock);

  // Produce through one mapping, consume through the other.
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_EQ(PublishStamped(*attached, i), i + 1);
  EXPECT_EQ(creator->header().head.load(), 11u);
  creator.reset();  // the attached ring holds its own fd and mapping

  RingConsumer consumer = ring_test::ConsumerOf(*attached);
  std::vector<Event> out(16);
  ASSERT_EQ(consumer.Drain(out), 10u);
  for (std::uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(out[i].seq, i + 1);
    EXPECT_TRUE(IsStamped(out[i], i)) << i;
  }
}

}  // namespace
}  // namespace memledger
