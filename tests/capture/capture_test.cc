// capture_test.cc — the capture file: writer and reader round trip over
// several zstd chunks, a file cut anywhere keeps exactly its whole chunks and
// says where it was cut, damaged chunks stop the reader with a clear problem,
// and headers this build does not understand are refused; a writer that
// cannot write all ends the file at its last whole chunk and says why
// (src/capture/capture_writer.h, capture_reader.h, capture_format.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "capture/capture_format.h"
#include "capture_test_util.h"

namespace memledger {
namespace {

using capture_test::HeaderOf;
using capture_test::kTestPid;
using capture_test::kTestStartNs;
using capture_test::ReadBytes;
using capture_test::ScratchDir;
using capture_test::WriteBytes;
using capture_test::WriteCapture;

// Slots whose contents are hard to compress, so chunks have some size.
std::vector<Event> NoisySlots(std::size_t n) {
  std::vector<Event> slots(n);
  std::uint64_t rng = 99;
  for (std::size_t i = 0; i < n; ++i) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    slots[i].seq = i + 1;
    slots[i].kind = static_cast<std::uint8_t>(EventKind::kAlloc);
    slots[i].address = rng;
    slots[i].buffer_id = rng >> 17;
    slots[i].size = (rng >> 40) & 0xffff;
  }
  return slots;
}

struct ReadBack {
  bool opened = false;
  std::string error;
  std::string problem;
  std::vector<Event> slots;
  std::vector<std::uint64_t> chunk_ends;  // file offset after each whole chunk
  std::vector<std::size_t> chunk_slots;   // slots in each whole chunk
  CaptureInfo info;
};
ReadBack ReadCapture(const std::string& path) {
  ReadBack out;
  auto reader = CaptureReader::Open(path, &out.error);
  if (!reader) return out;
  out.opened = true;
  out.info = reader->info();
  std::vector<Event> chunk;
  while (reader->NextChunk(&chunk)) {
    out.slots.insert(out.slots.end(), chunk.begin(), chunk.end());
    out.chunk_ends.push_back(reader->bytes_read());
    out.chunk_slots.push_back(chunk.size());
  }
  EXPECT_EQ(reader->chunks_read(), out.chunk_ends.size());
  out.problem = reader->problem();
  return out;
}

bool SameSlots(const std::vector<Event>& a, const std::vector<Event>& b, std::size_t n) {
  if (n == 0) return true;  // memcmp must not see the null data() of an empty vector
  return a.size() >= n && b.size() >= n && std::memcmp(a.data(), b.data(), n * sizeof(Event)) == 0;
}

TEST(Capture, RoundTripsSeveralChunks) {
  ScratchDir dir;
  const std::string path = dir.File("round.mlcap");
  const std::size_t total = 200000;
  std::vector<Event> slots(total);
  for (std::size_t i = 0; i < total; ++i) {
    slots[i].seq = i + 1;
    slots[i].address = 0x1000 * i;
    slots[i].size = i % 4096;
    slots[i].kind = static_cast<std::uint8_t>(1 + i % kLastEventKind);
  }
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, {}}, &error);
  ASSERT_NE(writer, nullptr) << error;
  for (std::size_t at = 0; at < total; at += 1000) {
    writer->Append(std::span<const Event>(slots).subspan(at, std::min<std::size_t>(1000, total - at)));
    if (at == 70000) {
      ASSERT_TRUE(writer->Flush());  // after 71000 slots: ends a chunk early
    }
  }
  ASSERT_TRUE(writer->Close(&error)) << error;
  EXPECT_EQ(writer->bytes_written(), std::filesystem::file_size(path));

  const ReadBack back = ReadCapture(path);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_EQ(back.problem, "");
  ASSERT_EQ(back.slots.size(), total);
  EXPECT_TRUE(SameSlots(back.slots, slots, total));
  // 65536 (full), 5464 (flushed at 71000), 65536 (full), 63464 at Close.
  EXPECT_EQ(back.chunk_slots, (std::vector<std::size_t>{65536, 5464, 65536, 63464}));
  EXPECT_EQ(back.chunk_ends.back(), std::filesystem::file_size(path));
  EXPECT_EQ(back.info.version, kCaptureVersion);
  EXPECT_EQ(back.info.pid, kTestPid);
  EXPECT_EQ(back.info.comm, "trainer");
  EXPECT_EQ(back.info.start_unix_ns, kTestStartNs);
}

TEST(Capture, EmptyCaptureIsWholeAndHoldsNoChunks) {
  ScratchDir dir;
  const std::string path = dir.File("empty.mlcap");
  const std::uint64_t bytes = WriteCapture(path, {});
  EXPECT_EQ(bytes, HeaderOf(path).header_bytes);
  EXPECT_GT(bytes, sizeof(CaptureFileHeader)) << "a version 2 file describes itself";
  const ReadBack back = ReadCapture(path);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_TRUE(back.slots.empty());
  EXPECT_EQ(back.problem, "");
}

TEST(Capture, LongProcessNameIsCutToFitTheHeader) {
  ScratchDir dir;
  const std::string path = dir.File("comm.mlcap");
  WriteCapture(path, NoisySlots(3), 0, std::string(100, 'c'));
  const ReadBack back = ReadCapture(path);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_EQ(back.info.comm, std::string(31, 'c'));
}

TEST(Capture, FlushedChunkIsReadableWhileTheWriterIsStillOpen) {
  ScratchDir dir;
  const std::string path = dir.File("live.mlcap");
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, {}}, &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::vector<Event> slots = NoisySlots(10);
  writer->Append(slots);
  ASSERT_TRUE(writer->Flush());
  writer->Append(NoisySlots(5));  // in memory only: a crash now loses just these
  const ReadBack back = ReadCapture(path);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_EQ(back.problem, "");
  ASSERT_EQ(back.slots.size(), 10u);
  EXPECT_TRUE(SameSlots(back.slots, slots, 10));
}

TEST(Capture, WriterReportsAPathItCannotCreate) {
  ScratchDir dir;
  std::string error;
  const std::string path = dir.File("no/such/dir/x.mlcap");
  EXPECT_EQ(CaptureWriter::Open(path, CaptureStart{1, "x", 0, {}}, &error), nullptr);
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

// --- a writer that cannot write all (a full disk) -------------------------------

// The file may grow to `limit` bytes (RLIMIT_FSIZE; writes past it fail with
// EFBIG as a full disk fails with ENOSPC) while this object lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t limit) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = signal(SIGXFSZ, SIG_IGN);
    const rlimit lowered{limit, saved_.rlim_max};
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &lowered), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  sighandler_t previous_ = SIG_DFL;
};

TEST(Capture, FailedWriteEndsTheFileAtItsLastWholeChunkAndSaysWhy) {
  ScratchDir dir;
  const std::string path = dir.File("full.mlcap");
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, {}}, &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::vector<Event> first = NoisySlots(100);
  writer->Append(first);
  ASSERT_TRUE(writer->Flush());
  const std::uint64_t whole = writer->bytes_written();
  {
    // Room for half of the next chunk and more than the marker's 32 bytes.
    FileSizeLimit limit(whole + 2000);
    std::vector<Event> more = NoisySlots(300);
    for (std::size_t i = 0; i < more.size(); ++i) more[i].seq = first.size() + i + 1;
    writer->Append(more);
    EXPECT_FALSE(writer->Flush());
    EXPECT_TRUE(writer->failed());
    EXPECT_EQ(writer->error(), "cannot write capture file " + path + ": " + std::strerror(EFBIG));
    writer->Append(NoisySlots(10));  // nothing more is written
    EXPECT_FALSE(writer->Close(&error));
  }
  EXPECT_NE(error.find(std::strerror(EFBIG)), std::string::npos) << error;
  EXPECT_EQ(std::filesystem::file_size(path), whole + sizeof(ChunkHeader)) << "the whole chunks and the marker";

  std::string open_error;
  auto reader = CaptureReader::Open(path, &open_error);
  ASSERT_NE(reader, nullptr) << open_error;
  std::vector<Event> chunk;
  ASSERT_TRUE(reader->NextChunk(&chunk));
  EXPECT_TRUE(SameSlots(chunk, first, first.size()));
  EXPECT_FALSE(reader->NextChunk(&chunk));
  EXPECT_EQ(reader->write_error(), EFBIG);
  EXPECT_NE(reader->problem().find(std::string("its writer could not write the rest (") + std::strerror(EFBIG) + ")"),
            std::string::npos)
      << reader->problem();
}

TEST(Capture, FailedWriteWithoutRoomForTheMarkerEndsAtAWholeChunk) {
  ScratchDir dir;
  const std::string path = dir.File("full.mlcap");
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, {}}, &error);
  ASSERT_NE(writer, nullptr) << error;
  const std::uint64_t whole = writer->bytes_written();
  {
    FileSizeLimit limit(whole + 16);
    writer->Append(NoisySlots(300));
    EXPECT_FALSE(writer->Flush());
    EXPECT_FALSE(writer->Close(&error));
  }
  EXPECT_EQ(std::filesystem::file_size(path), whole);
  const ReadBack back = ReadCapture(path);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_TRUE(back.slots.empty());
}

TEST(Capture, HeaderThatCannotBeWrittenLeavesAnEmptyFile) {
  ScratchDir dir;
  const std::string path = dir.File("full.mlcap");
  std::string error;
  {
    FileSizeLimit limit(100);  // less than the header and its description
    EXPECT_EQ(CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, {}}, &error), nullptr);
  }
  EXPECT_EQ(error, "cannot write capture file " + path + ": " + std::strerror(EFBIG));
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
}

// --- cut files ------------------------------------------------------------------

// Cuts a six-chunk capture every 997 bytes (and at, just before and just after
// every chunk boundary): the reader must return exactly the whole chunks
// before the cut and, unless the cut falls on a boundary, say where it is.
TEST(Capture, FileCutAnywhereKeepsItsWholeChunksAndSaysWhere) {
  ScratchDir dir;
  const std::string whole_path = dir.File("whole.mlcap");
  const std::string cut_path = dir.File("cut.mlcap");
  const std::size_t chunk_slots = 1500;
  const std::vector<Event> slots = NoisySlots(6 * chunk_slots);
  WriteCapture(whole_path, slots, chunk_slots);
  const std::string bytes = ReadBytes(whole_path);
  const ReadBack whole = ReadCapture(whole_path);
  ASSERT_EQ(whole.problem, "");
  ASSERT_EQ(whole.chunk_ends.size(), 6u);
  ASSERT_EQ(whole.chunk_ends.back(), bytes.size());

  std::vector<std::size_t> cuts;
  for (std::size_t cut = 0; cut < bytes.size(); cut += 997) cuts.push_back(cut);
  for (const std::uint64_t end : whole.chunk_ends) {
    cuts.insert(cuts.end(), {end - 1, end, std::min<std::size_t>(end + 1, bytes.size())});
  }
  const std::uint64_t header_end = HeaderOf(whole_path).header_bytes;  // the fixed header and the description
  cuts.insert(cuts.end(), {sizeof(CaptureFileHeader) - 1, sizeof(CaptureFileHeader), header_end - 1, header_end,
                           header_end + sizeof(ChunkHeader) - 1});

  for (const std::size_t cut : cuts) {
    SCOPED_TRACE("cut at byte " + std::to_string(cut) + " of " + std::to_string(bytes.size()));
    WriteBytes(cut_path, std::string_view(bytes).substr(0, cut));
    const ReadBack back = ReadCapture(cut_path);
    if (cut < sizeof(CaptureFileHeader)) {
      EXPECT_FALSE(back.opened);
      EXPECT_NE(back.error.find("not a memledger capture"), std::string::npos) << back.error;
      continue;
    }
    ASSERT_TRUE(back.opened) << back.error;
    if (cut < header_end) {
      EXPECT_TRUE(back.slots.empty());
      EXPECT_NE(back.problem.find("ends inside its description"), std::string::npos) << back.problem;
      continue;
    }
    std::size_t whole_chunks = 0;
    std::uint64_t last_end = header_end;
    while (whole_chunks < whole.chunk_ends.size() && whole.chunk_ends[whole_chunks] <= cut) {
      last_end = whole.chunk_ends[whole_chunks++];
    }
    ASSERT_EQ(back.chunk_ends.size(), whole_chunks);
    ASSERT_EQ(back.slots.size(), whole_chunks * chunk_slots);
    EXPECT_TRUE(SameSlots(back.slots, slots, back.slots.size()));
    if (cut == last_end) {
      EXPECT_EQ(back.problem, "") << "a cut on a chunk boundary looks like a whole file";
    } else {
      EXPECT_NE(back.problem.find("cut or damaged at byte " + std::to_string(last_end) + " of " + std::to_string(cut)),
                std::string::npos)
          << back.problem;
      EXPECT_NE(back.problem.find("incomplete"), std::string::npos) << back.problem;
    }
  }
}

// --- damaged chunks -----------------------------------------------------------

class DamagedCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteCapture(path_, slots_, 100);  // three chunks
    bytes_ = ReadBytes(path_);
    const ReadBack whole = ReadCapture(path_);
    ASSERT_EQ(whole.chunk_ends.size(), 3u);
    second_chunk_ = whole.chunk_ends[0];
  }
  // The second chunk's header, to edit.
  ChunkHeader SecondChunkHeader() const {
    ChunkHeader header;
    std::memcpy(&header, bytes_.data() + second_chunk_, sizeof(header));
    return header;
  }
  void SetSecondChunkHeader(const ChunkHeader& header) {
    std::memcpy(bytes_.data() + second_chunk_, &header, sizeof(header));
  }
  // Writes the edited bytes, reads them and expects the first chunk only.
  std::string ProblemReadingFirstChunkOnly() {
    WriteBytes(path_, bytes_);
    const ReadBack back = ReadCapture(path_);
    EXPECT_TRUE(back.opened) << back.error;
    EXPECT_EQ(back.slots.size(), 100u);
    EXPECT_TRUE(SameSlots(back.slots, slots_, back.slots.size()));
    EXPECT_NE(back.problem.find("at byte " + std::to_string(second_chunk_)), std::string::npos) << back.problem;
    return back.problem;
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("damaged.mlcap");
  const std::vector<Event> slots_ = NoisySlots(300);
  std::string bytes_;
  std::size_t second_chunk_ = 0;
};

TEST_F(DamagedCapture, CorruptCompressedBytesStopTheReader) {
  bytes_[second_chunk_ + sizeof(ChunkHeader) + SecondChunkHeader().compressed_bytes / 2] ^= 0x5a;
  EXPECT_NE(ProblemReadingFirstChunkOnly().find("does not decompress"), std::string::npos);
}

TEST_F(DamagedCapture, BadChunkMagicStopsTheReader) {
  ChunkHeader header = SecondChunkHeader();
  header.magic = 0x12345678;
  SetSecondChunkHeader(header);
  EXPECT_NE(ProblemReadingFirstChunkOnly().find("bad chunk magic"), std::string::npos);
}

TEST_F(DamagedCapture, UnknownCodecStopsTheReader) {
  ChunkHeader header = SecondChunkHeader();
  header.codec = 7;
  SetSecondChunkHeader(header);
  EXPECT_NE(ProblemReadingFirstChunkOnly().find("unknown chunk codec 7"), std::string::npos);
}

TEST_F(DamagedCapture, ChunksAreWrittenAsColumns) {
  EXPECT_EQ(SecondChunkHeader().codec, kCodecColumns);
}

// Columns came with version 3: a file that says it is older cannot hold them.
TEST_F(DamagedCapture, ColumnsInAVersion2FileStopTheReader) {
  CaptureFileHeader file;
  std::memcpy(&file, bytes_.data(), sizeof(file));
  file.version = 2;
  std::memcpy(bytes_.data(), &file, sizeof(file));
  WriteBytes(path_, bytes_);
  const ReadBack back = ReadCapture(path_);
  EXPECT_TRUE(back.opened) << back.error;
  EXPECT_TRUE(back.slots.empty());
  EXPECT_NE(back.problem.find("unknown chunk codec 2"), std::string::npos) << back.problem;
}

TEST_F(DamagedCapture, ChunkSizesOutOfRangeStopTheReader) {
  const ChunkHeader original = SecondChunkHeader();
  for (const auto& [slot_count, compressed_bytes] :
       {std::pair{0u, original.compressed_bytes}, std::pair{kMaxChunkSlots + 1, original.compressed_bytes},
        std::pair{original.slot_count, kMaxChunkCompressedBytes + 1}}) {
    SCOPED_TRACE(std::to_string(slot_count) + " slots in " + std::to_string(compressed_bytes) + " bytes");
    ChunkHeader header = original;
    header.slot_count = slot_count;
    header.compressed_bytes = compressed_bytes;
    SetSecondChunkHeader(header);
    EXPECT_NE(ProblemReadingFirstChunkOnly().find("out of range"), std::string::npos);
  }
}

TEST_F(DamagedCapture, SlotCountThatDisagreesWithTheFrameStopsTheReader) {
  ChunkHeader header = SecondChunkHeader();
  header.slot_count += 1;
  SetSecondChunkHeader(header);
  EXPECT_NE(ProblemReadingFirstChunkOnly().find("does not decompress"), std::string::npos);
}

// --- files that are not captures this build reads ----------------------------

CaptureFileHeader ValidHeader() {
  CaptureFileHeader header{};
  std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
  header.version = kCaptureVersion;
  header.header_bytes = sizeof(CaptureFileHeader);
  header.slot_bytes = kSlotBytes;
  return header;
}

std::string OpenError(const std::string& path, std::string_view bytes) {
  WriteBytes(path, bytes);
  std::string error;
  EXPECT_EQ(CaptureReader::Open(path, &error), nullptr);
  return error;
}

std::string AsBytes(const CaptureFileHeader& header) {
  return std::string(reinterpret_cast<const char*>(&header), sizeof(header));
}

TEST(CaptureOpen, HandBuiltHeaderIsAccepted) {
  ScratchDir dir;
  const std::string path = dir.File("hand.mlcap");
  WriteBytes(path, AsBytes(ValidHeader()));
  std::string error;
  EXPECT_NE(CaptureReader::Open(path, &error), nullptr) << error;
}

TEST(CaptureOpen, GarbageIsNotACapture) {
  ScratchDir dir;
  const std::string path = dir.File("garbage.mlcap");
  EXPECT_NE(OpenError(path, std::string(4096, '\x7f')).find("is not a memledger capture"), std::string::npos);
  EXPECT_NE(OpenError(path, "").find("is not a memledger capture"), std::string::npos);
  CaptureFileHeader header = ValidHeader();
  header.magic[7] = 'X';
  EXPECT_NE(OpenError(path, AsBytes(header)).find("is not a memledger capture"), std::string::npos);
}

TEST(CaptureOpen, MissingFileIsReported) {
  ScratchDir dir;
  const std::string path = dir.File("missing.mlcap");
  std::string error;
  EXPECT_EQ(CaptureReader::Open(path, &error), nullptr);
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

TEST(CaptureOpen, NewerVersionIsRefusedWithAClearMessage) {
  ScratchDir dir;
  const std::string path = dir.File("newer.mlcap");
  CaptureFileHeader header = ValidHeader();
  header.version = kCaptureVersion + 1;
  const std::string error = OpenError(path, AsBytes(header));
  EXPECT_NE(error.find("version " + std::to_string(kCaptureVersion + 1)), std::string::npos) << error;
  EXPECT_NE(error.find("newer memledger"), std::string::npos) << error;
  header.version = 0;
  EXPECT_NE(OpenError(path, AsBytes(header)).find("version 0"), std::string::npos);
}

TEST(CaptureOpen, WrongHeaderOrSlotSizeIsCorrupt) {
  ScratchDir dir;
  const std::string path = dir.File("sizes.mlcap");
  CaptureFileHeader header = ValidHeader();
  header.header_bytes = 32;
  EXPECT_NE(OpenError(path, AsBytes(header)).find("corrupt capture header"), std::string::npos);
  header.header_bytes = sizeof(header) + kMaxDescriptionBytes + 1;
  EXPECT_NE(OpenError(path, AsBytes(header)).find("corrupt capture header"), std::string::npos);
  header = ValidHeader();
  header.slot_bytes = 32;
  EXPECT_NE(OpenError(path, AsBytes(header)).find("corrupt capture header"), std::string::npos);
}

TEST(CaptureOpen, BadDescriptionIsCorruptAndSaysWhy) {
  ScratchDir dir;
  const std::string path = dir.File("description.mlcap");
  const auto with_description = [](std::string_view description) {
    CaptureFileHeader header = ValidHeader();
    header.header_bytes = static_cast<std::uint32_t>(sizeof(header) + description.size());
    return AsBytes(header) + std::string(description);
  };
  EXPECT_NE(OpenError(path, with_description("[1,2]")).find("is not a JSON object"), std::string::npos);
  EXPECT_NE(OpenError(path, with_description("{\"writer\":\"printer\"}")).find("unknown writer"), std::string::npos);
  EXPECT_NE(OpenError(path, with_description("{\"uid\":\"root\"}")).find("bad member"), std::string::npos);
  EXPECT_NE(OpenError(path, with_description("{\"handover\":{\"handovers\":1}}")).find("bad member"),
            std::string::npos);
  EXPECT_NE(OpenError(path, with_description("{\"segment\":{\"index\":2,\"run_start_unix_ns\":1}}")).find("bad member"),
            std::string::npos)
      << "a later segment names its first record and the one before";
  EXPECT_NE(OpenError(path, with_description("{\"segment\":{\"index\":0,\"run_start_unix_ns\":1}}")).find("segment 0"),
            std::string::npos);
}

TEST(CaptureOpen, FileCutInsideItsDescriptionOpensWithNothingWholeAndSaysSo) {
  ScratchDir dir;
  const std::string whole = dir.File("whole.mlcap");
  WriteCapture(whole, {});
  const std::string bytes = ReadBytes(whole);
  const std::string cut = dir.File("cut.mlcap");
  WriteBytes(cut, std::string_view(bytes).substr(0, sizeof(CaptureFileHeader) + 10));
  const ReadBack back = ReadCapture(cut);
  ASSERT_TRUE(back.opened) << back.error;
  EXPECT_TRUE(back.slots.empty());
  EXPECT_NE(back.problem.find("ends inside its description"), std::string::npos) << back.problem;
}

TEST(CaptureOpen, DescriptionSaysWhoWroteTheFileAndTheRecordLayout) {
  ScratchDir dir;
  const std::string path = dir.File("server.mlcap");
  CaptureDescription description = LocalCaptureDescription(CaptureWriterKind::kServer);
  description.uid = 1234;
  description.handover = Handover{.joined_late = true, .handovers = 2, .records_elsewhere = 77, .missed_frees = 5};
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, "trainer", kTestStartNs, description}, &error);
  ASSERT_NE(writer, nullptr) << error;
  ASSERT_TRUE(writer->Close(&error)) << error;
  auto reader = CaptureReader::Open(path, &error);
  ASSERT_NE(reader, nullptr) << error;
  const CaptureDescription& read = reader->info().description;
  EXPECT_EQ(read.writer, CaptureWriterKind::kServer);
  EXPECT_EQ(read.uid, 1234u);
  EXPECT_EQ(read.producer, description.producer);
  EXPECT_NE(read.producer.find("memledger "), std::string::npos);
  ASSERT_TRUE(read.handover.has_value());
  EXPECT_EQ(read.handover->handovers, 2u);
  EXPECT_EQ(read.handover->records_elsewhere, 77u);
  EXPECT_EQ(read.handover->missed_frees, 5u);
  // The layout a tool without memledger's headers reads records by.
  const std::string text = ReadBytes(path).substr(sizeof(CaptureFileHeader));
  for (const char* expected : {"\"schema\":\"memledger.capture/2\"", "\"name\":\"seq\"", "\"offset\":56",
                               "\"14\":\"STACK\"", "\"0\":\"DRAM\""}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  }
}

TEST(CaptureOpen, ASegmentSaysWhichOfItsRunItIs) {
  ScratchDir dir;
  CaptureStart start{kTestPid, "trainer", kTestStartNs, {}};
  const std::string first = FirstSegment(start, dir.File("run.mlcap"), {.max_bytes = 1 << 20, .max_ns = 0, .keep = 4});
  EXPECT_EQ(first, dir.File("run.1.mlcap"));
  EXPECT_EQ(start.segments.pattern, dir.File("run.%n.mlcap"));
  EXPECT_EQ(start.segments.bounds.keep, 4u);
  start.description.segment = CaptureSegment{.index = 3, .run_start_unix_ns = kTestStartNs - 5, .first_seq = 1234,
                                             .previous = "run.2.mlcap"};
  std::string error;
  auto writer = CaptureWriter::Open(first, start, &error);
  ASSERT_NE(writer, nullptr) << error;
  ASSERT_TRUE(writer->Close(&error)) << error;
  auto reader = CaptureReader::Open(first, &error);
  ASSERT_NE(reader, nullptr) << error;
  EXPECT_EQ(reader->info().description.segment, start.description.segment);

  CaptureStart whole{kTestPid, "trainer", kTestStartNs, {}};
  EXPECT_EQ(FirstSegment(whole, "run.mlcap", {}), "run.mlcap") << "no bound: one file";
  EXPECT_FALSE(whole.description.segment.has_value());
}

TEST(SegmentNames, TheIndexGoesWhereThePatternSaysOrBeforeTheExtension) {
  EXPECT_EQ(SegmentPattern("run.mlcap"), "run.%n.mlcap");
  EXPECT_EQ(SegmentPattern("/tmp/x/run.mlcap"), "/tmp/x/run.%n.mlcap");
  EXPECT_EQ(SegmentPattern("run-%n.cap"), "run-%n.cap");
  EXPECT_EQ(SegmentPattern("trace"), "trace.%n");
  EXPECT_EQ(SegmentPattern("/tmp/.mlcap"), "/tmp/.mlcap.%n");
  EXPECT_EQ(SegmentPath("run.%n.mlcap", 12), "run.12.mlcap");
  EXPECT_EQ(SegmentPath("%n/%n.mlcap", 3), "%n/3.mlcap") << "a directory's %n is its name";
  EXPECT_EQ(SegmentPattern("/data/%n/caps/run.mlcap"), "/data/%n/caps/run.%n.mlcap");
  EXPECT_EQ(SegmentPath("/data/%n/caps/run.%n.mlcap", 4), "/data/%n/caps/run.4.mlcap");
  EXPECT_EQ(SegmentPath("100%.mlcap", 3), "100%.mlcap");
}

}  // namespace
}  // namespace memledger
