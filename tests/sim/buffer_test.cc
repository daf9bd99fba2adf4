// buffer_test.cc — Buffer: RAII release, moves, explicit deallocation, leaks,
// ids, page locations, out of memory. Also Device's region lookup.
#include "sim/buffer.h"

#include <optional>
#include <stdexcept>
#include <utility>

#include <gtest/gtest.h>

namespace memledger::sim {
namespace {

RegionUsage L1Usage(const Device& device) { return device.allocator(MemType::kL1)->usage(); }

TEST(BufferTest, DestructorDeallocates) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  {
    std::optional<Buffer> buffer = Buffer::Allocate(device, MemType::kL1, 3000, 1024);
    ASSERT_TRUE(buffer);
    EXPECT_TRUE(buffer->allocated());
    EXPECT_EQ(buffer->size(), 3000u);
    EXPECT_EQ(L1Usage(device).live_bytes, 4u * 1024) << "hooked: 3 pages, 1 in the fullest of 4 banks, x 4";
  }
  EXPECT_EQ(L1Usage(device).live_allocations, 0u);
  EXPECT_EQ(L1Usage(device).deallocations, 1u);
}

TEST(BufferTest, DeallocateIsIdempotentAndMovesTransferOwnership) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  std::optional<Buffer> a = Buffer::Allocate(device, MemType::kL1, 1024, 1024);
  ASSERT_TRUE(a);
  Buffer b = std::move(*a);
  EXPECT_FALSE(a->allocated());
  EXPECT_TRUE(b.allocated());
  b.Deallocate();
  b.Deallocate();
  EXPECT_EQ(L1Usage(device).deallocations, 1u);

  std::optional<Buffer> c = Buffer::Allocate(device, MemType::kL1, 1024, 1024);
  std::optional<Buffer> d = Buffer::Allocate(device, MemType::kL1, 2048, 1024);
  ASSERT_TRUE(c && d);
  *c = std::move(*d);  // frees what c held
  EXPECT_EQ(L1Usage(device).live_allocations, 1u);
  EXPECT_EQ(c->size(), 2048u);
}

TEST(BufferTest, LeakKeepsTheMemoryAllocated) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  {
    std::optional<Buffer> buffer = Buffer::Allocate(device, MemType::kL1, 4096, 1024);
    ASSERT_TRUE(buffer);
    buffer->Leak();
    EXPECT_FALSE(buffer->allocated());
  }
  EXPECT_EQ(L1Usage(device).live_allocations, 1u);
  EXPECT_EQ(L1Usage(device).live_bytes, 4096u);
}

TEST(BufferTest, IdsAreUniqueAndNonzero) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  std::optional<Buffer> a = Buffer::Allocate(device, MemType::kL1, 1024, 1024);
  std::optional<Buffer> b = Buffer::Allocate(device, MemType::kL1, 1024, 1024);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id(), 0u);
  EXPECT_NE(a->id(), b->id());
  const std::uint64_t address = a->address();
  const std::uint64_t old_id = a->id();
  a->Deallocate();
  std::optional<Buffer> reused = Buffer::Allocate(device, MemType::kL1, 1024, 1024);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->address(), address) << "first fit reuses the address";
  EXPECT_NE(reused->id(), old_id) << "but not the id";
}

TEST(BufferTest, PagesAreInterleavedOverTheBanks) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  std::optional<Buffer> buffer = Buffer::Allocate(device, MemType::kL1, 6 * 1024, 1024);
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->page_location(0).bank, 0u);
  EXPECT_EQ(buffer->page_location(3).bank, 3u);
  EXPECT_EQ(buffer->page_location(5).bank, 1u);
  EXPECT_EQ(buffer->page_location(5).address, buffer->address() + 1024);
}

TEST(BufferTest, OutOfMemoryIsNulloptAndNothingIsCounted) {
  Device device(0, TinyL1Arena(4, 0x4000), {});
  EXPECT_FALSE(Buffer::Allocate(device, MemType::kL1, 4 * 0x4000 + 1, 1024));
  EXPECT_EQ(L1Usage(device).allocations, 0u);
}

TEST(DeviceTest, RegionsFollowTheSpec) {
  Device device(3, WormholeB0(), {});
  EXPECT_EQ(device.id(), 3u);
  EXPECT_EQ(device.spec().name, "sim-wormhole_b0");
  for (const MemType type : {MemType::kDram, MemType::kL1, MemType::kL1Small, MemType::kTrace,
                             MemType::kSystemMemory, MemType::kKernel}) {
    EXPECT_NE(device.allocator(type), nullptr);
  }
  EXPECT_EQ(device.allocator(MemType::kCb), nullptr) << "circular buffers are laid out in L1";
  EXPECT_EQ(device.allocator(MemType::kDram)->region().banks, 12u);
  Device tiny(4, TinyL1Arena(2, 0x1000), {});
  EXPECT_EQ(tiny.allocator(MemType::kDram), nullptr);
  EXPECT_THROW(Buffer::Allocate(tiny, MemType::kDram, 1024, 1024), std::invalid_argument);
}

}  // namespace
}  // namespace memledger::sim
