// capture_test_util.h — shared by the capture tests: a scratch directory per
// test, a builder of slot streams (records framed as the ring frames them),
// and writing/reading whole capture files.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "capture/capture_format.h"
#include "capture/capture_reader.h"
#include "capture/capture_writer.h"
#include "event/record.h"

namespace memledger::capture_test {

// A fresh directory, removed with its contents when the test ends.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "memledger-capture-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Slots of consecutive records, numbered from 1 as a ring numbers them.
class SlotStream {
 public:
  // Appends a record of `kind` with the other fields of `fields` and its
  // payload in continuation slots; returns the header's seq.
  std::uint64_t Add(EventKind kind, Event fields = {}, std::string_view payload = {}) {
    fields.seq = next_seq_++;
    fields.kind = static_cast<std::uint8_t>(kind);
    fields.payload_bytes = static_cast<std::uint32_t>(payload.size());
    slots_.push_back(fields);
    std::vector<Event> continuation(ContinuationSlots(fields.payload_bytes));
    PackPayload(payload, continuation);
    for (Event& slot : continuation) {
      slot.seq = next_seq_++;
      slots_.push_back(slot);
    }
    return fields.seq;
  }
  // The next record is numbered as if `n` slots were lost before it.
  void Skip(std::uint64_t n) { next_seq_ += n; }
  const std::vector<Event>& slots() const { return slots_; }

 private:
  std::vector<Event> slots_;
  std::uint64_t next_seq_ = 1;
};

inline constexpr std::uint32_t kTestPid = 4242;
inline constexpr std::uint64_t kTestStartNs = 1'700'000'000'000'000'000ULL;

// Writes `slots` to `path`, ending a chunk after every `chunk_slots` (and at
// the writer's own limit). Returns the bytes written.
inline std::uint64_t WriteCapture(const std::string& path, const std::vector<Event>& slots,
                                  std::size_t chunk_slots = 0, const std::string& comm = "trainer") {
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kTestPid, comm, kTestStartNs, {}}, &error);
  EXPECT_NE(writer, nullptr) << error;
  if (!writer) return 0;
  const std::span<const Event> all(slots);
  for (std::size_t at = 0; at < slots.size();) {
    const std::size_t n = chunk_slots == 0 ? slots.size() - at : std::min(chunk_slots, slots.size() - at);
    writer->Append(all.subspan(at, n));
    if (chunk_slots != 0) {
      EXPECT_TRUE(writer->Flush());
    }
    at += n;
  }
  EXPECT_TRUE(writer->Close(&error)) << error;
  return writer->bytes_written();
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
// The fixed header at the start of a capture file.
inline CaptureFileHeader HeaderOf(const std::string& path) {
  CaptureFileHeader header{};
  const std::string bytes = ReadBytes(path);
  if (bytes.size() >= sizeof(header)) std::memcpy(&header, bytes.data(), sizeof(header));
  return header;
}
inline void WriteBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace memledger::capture_test
