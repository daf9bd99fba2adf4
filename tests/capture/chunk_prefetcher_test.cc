// chunk_prefetcher_test.cc — a capture read ahead on a thread of its own
// (src/capture/chunk_prefetcher.h) gives exactly what a CaptureReader gives,
// chunk by chunk with what the reader said then, and at the end its
// problem; it may be dropped at any point, the thread waiting or reading.
// Run under ThreadSanitizer in CI (label concurrency).
#include "capture/chunk_prefetcher.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "capture_test_util.h"

namespace memledger {
namespace {

using capture_test::ReadBytes;
using capture_test::ScratchDir;
using capture_test::SlotStream;
using capture_test::WriteBytes;
using capture_test::WriteCapture;

// `chunks` chunks of 100 allocs each (names with payloads among them).
std::vector<Event> Slots(int chunks) {
  SlotStream stream;
  for (int i = 0; i < chunks * 100; ++i) {
    Event e{};
    e.buffer_id = static_cast<std::uint64_t>(i) + 1;
    e.size = 64;
    if (i % 37 == 0) {
      stream.Add(EventKind::kTag, e, "tag " + std::to_string(i));
    } else {
      stream.Add(EventKind::kAlloc, e);
    }
  }
  return stream.slots();
}

struct Read {
  std::vector<std::vector<Event>> chunks;
  std::vector<std::uint32_t> flags;
  std::vector<std::uint64_t> bytes_read;
  std::vector<std::uint64_t> missing;
  std::string problem;
};

Read ByReader(const std::string& path) {
  Read read;
  std::string error;
  auto reader = CaptureReader::Open(path, &error);
  EXPECT_NE(reader, nullptr) << error;
  std::vector<Event> slots;
  std::uint32_t flags = 0;
  while (reader && reader->NextChunk(&slots, &flags)) {
    read.chunks.push_back(slots);
    read.flags.push_back(flags);
    read.bytes_read.push_back(reader->bytes_read());
    read.missing.push_back(reader->missing_at_start());
  }
  if (reader) read.problem = reader->problem();
  return read;
}

Read ByPrefetcher(const std::string& path) {
  Read read;
  std::string error;
  auto reader = CaptureReader::Open(path, &error);
  EXPECT_NE(reader, nullptr) << error;
  if (!reader) return read;
  ChunkPrefetcher prefetcher(std::move(reader));
  while (ChunkPrefetcher::Chunk* chunk = prefetcher.Next()) {
    EXPECT_FALSE(prefetcher.ended());
    read.chunks.push_back(chunk->slots);
    read.flags.push_back(chunk->flags);
    read.bytes_read.push_back(chunk->bytes_read);
    read.missing.push_back(chunk->missing_at_start);
  }
  EXPECT_TRUE(prefetcher.ended());
  EXPECT_EQ(prefetcher.Next(), nullptr) << "the end stays the end";
  read.problem = prefetcher.problem();
  return read;
}

void ExpectSame(const Read& got, const Read& want) {
  ASSERT_EQ(got.chunks.size(), want.chunks.size());
  for (std::size_t i = 0; i < want.chunks.size(); ++i) {
    ASSERT_EQ(got.chunks[i].size(), want.chunks[i].size()) << "chunk " << i;
    EXPECT_EQ(std::memcmp(got.chunks[i].data(), want.chunks[i].data(), want.chunks[i].size() * sizeof(Event)), 0)
        << "chunk " << i;
  }
  EXPECT_EQ(got.flags, want.flags);
  EXPECT_EQ(got.bytes_read, want.bytes_read);
  EXPECT_EQ(got.missing, want.missing);
  EXPECT_EQ(got.problem, want.problem);
}

TEST(ChunkPrefetcher, GivesWhatTheReaderGivesChunkByChunk) {
  ScratchDir dir;
  const std::string path = dir.File("many.mlcap");
  WriteCapture(path, Slots(40), 100);  // 40 chunks: ten times the depth
  const Read want = ByReader(path);
  ASSERT_GE(want.chunks.size(), 40u);
  EXPECT_EQ(want.problem, "");
  ExpectSame(ByPrefetcher(path), want);
}

TEST(ChunkPrefetcher, ACutFileGivesEveryWholeChunkThenItsProblem) {
  ScratchDir dir;
  const std::string path = dir.File("cut.mlcap");
  WriteCapture(path, Slots(12), 100);
  const std::string bytes = ReadBytes(path);
  WriteBytes(path, std::string_view(bytes).substr(0, bytes.size() * 2 / 3));
  const Read want = ByReader(path);
  ASSERT_NE(want.problem, "");
  ASSERT_GE(want.chunks.size(), 4u);
  ExpectSame(ByPrefetcher(path), want);
}

TEST(ChunkPrefetcher, ItsBooksBeginWithTheCarriedOverChunkFlagged) {
  ScratchDir dir;
  const std::string path = dir.File("carried.mlcap");
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{capture_test::kTestPid, "trainer", capture_test::kTestStartNs, {}},
                                    &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::vector<Event> carried = Slots(1);
  writer->AppendCarriedOver(carried);
  writer->Append(Slots(3));
  ASSERT_TRUE(writer->Close(&error)) << error;
  const Read got = ByPrefetcher(path);
  ASSERT_GE(got.flags.size(), 2u);
  EXPECT_EQ(got.flags.front(), kChunkCarriedOver);
  EXPECT_EQ(got.flags.back(), 0u);
  ExpectSame(got, ByReader(path));
}

TEST(ChunkPrefetcher, MayBeDroppedAtAnyPoint) {
  ScratchDir dir;
  const std::string path = dir.File("dropped.mlcap");
  WriteCapture(path, Slots(30), 100);
  for (int taken = 0; taken <= 12; ++taken) {
    std::string error;
    ChunkPrefetcher prefetcher(CaptureReader::Open(path, &error));
    for (int i = 0; i < taken; ++i) ASSERT_NE(prefetcher.Next(), nullptr);
    EXPECT_FALSE(prefetcher.ended());
    EXPECT_EQ(prefetcher.problem(), "") << "nothing said before the end";
  }  // each destroyed while its thread waits for room, or reads
}

}  // namespace
}  // namespace memledger
