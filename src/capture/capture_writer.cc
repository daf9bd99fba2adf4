// capture_writer.cc — see capture_writer.h.
#include "capture/capture_writer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/capture_format.h"
#include "capture/slot_columns.h"

namespace memledger {
namespace {

// Writes all of `bytes` at `offset`; false with errno set when it cannot.
bool WriteAllAt(int fd, const char* bytes, std::size_t size, std::uint64_t offset) {
  while (size != 0) {
    const ssize_t n = pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      return false;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

std::string WriteError(const std::string& path, int error) {
  return "cannot write capture file " + path + ": " + std::strerror(error);
}
}  // namespace

std::string FirstSegment(CaptureStart& start, const std::string& path, const SegmentBounds& bounds) {
  if (!bounds.rotates()) return path;
  start.segments = SegmentPlan{bounds, SegmentPattern(path)};
  start.description.segment = CaptureSegment{.index = 1, .run_start_unix_ns = start.start_unix_ns, .first_seq = 0, .previous = {}};
  return SegmentPath(start.segments.pattern, 1);
}

std::unique_ptr<CaptureWriter> CaptureWriter::Open(const std::string& path, const CaptureStart& start,
                                                   std::string* error) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    *error = "cannot create capture file " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  const std::string description = DescribeCapture(start.description);
  CaptureFileHeader header{};
  std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
  header.version = kCaptureVersion;
  header.header_bytes = static_cast<std::uint32_t>(sizeof(CaptureFileHeader) + description.size());
  header.slot_bytes = kSlotBytes;
  header.pid = start.pid;
  header.start_unix_ns = start.start_unix_ns;
  std::strncpy(header.comm, start.comm.c_str(), sizeof(header.comm) - 1);
  std::string head(reinterpret_cast<const char*>(&header), sizeof(header));
  head += description;
  // Written at once: a file whose writer dies right after still opens.
  if (!WriteAllAt(fd, head.data(), head.size(), 0)) {
    *error = WriteError(path, errno);
    [[maybe_unused]] const int ignored = ftruncate(fd, 0);  // nothing half-written is left to misread
    close(fd);
    return nullptr;
  }
  auto writer = std::unique_ptr<CaptureWriter>(new CaptureWriter(fd, path, start));
  writer->bytes_written_ = head.size();
  return writer;
}

CaptureWriter::CaptureWriter(int fd, std::string path, CaptureStart start)
    : fd_(fd), path_(std::move(path)), start_(std::move(start)), zstd_(ZSTD_createCCtx()) {
  // pending_ grows with the chunk (to kMaxChunkSlots): a writer of a short
  // stream — a server's many small sessions — keeps only what it holds.
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, kCaptureZstdLevel);
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);
}

CaptureWriter::~CaptureWriter() {
  std::string ignored;
  Close(&ignored);
  ZSTD_freeCCtx(zstd_);
}

void CaptureWriter::Append(std::span<const Event> slots) {
  if (failed()) return;
  for (const Event& slot : slots) {
    pending_.push_back(slot);
    if (pending_.size() == kMaxChunkSlots && !WriteChunk()) return;
  }
}

void CaptureWriter::AppendCarriedOver(std::span<const Event> slots) {
  WriteChunk();
  for (std::size_t at = 0; at < slots.size() && !failed(); at += kMaxChunkSlots) {
    const auto part = slots.subspan(at, std::min<std::size_t>(kMaxChunkSlots, slots.size() - at));
    pending_.assign(part.begin(), part.end());
    WriteChunk(kChunkCarriedOver);
  }
}

bool CaptureWriter::WriteChunk(std::uint32_t flags) {
  if (failed() || fd_ < 0) pending_.clear();
  if (pending_.empty()) return !failed();
  const std::size_t raw_bytes = pending_.size() * sizeof(Event);
  columns_.resize(raw_bytes);
  SlotsToColumns(pending_, columns_);
  compressed_.resize(sizeof(ChunkHeader) + ZSTD_compressBound(raw_bytes));
  const std::size_t n = ZSTD_compress2(zstd_, compressed_.data() + sizeof(ChunkHeader),
                                       compressed_.size() - sizeof(ChunkHeader), columns_.data(), raw_bytes);
  const std::uint64_t first_seq = pending_.front().seq;
  if (ZSTD_isError(n) || n > kMaxChunkCompressedBytes) {
    Fail(ENOMEM, first_seq);
    return false;
  }
  const ChunkHeader header{kChunkMagic, kCodecColumns, static_cast<std::uint32_t>(n),
                           static_cast<std::uint32_t>(pending_.size()), first_seq, flags, 0};
  std::memcpy(compressed_.data(), &header, sizeof(header));
  pending_.clear();
  if (!WriteAllAt(fd_, compressed_.data(), sizeof(header) + n, bytes_written_)) {
    Fail(errno, first_seq);
    return false;
  }
  bytes_written_ += sizeof(header) + n;
  return true;
}

void CaptureWriter::Fail(int error, std::uint64_t first_missing_seq) {
  error_ = WriteError(path_, error);
  // What a failed write left past the last whole chunk goes; the space it
  // frees is what the marker needs.
  if (ftruncate(fd_, static_cast<off_t>(bytes_written_)) != 0) return;
  const ChunkHeader marker{kChunkMagic, kCodecZstd, 0, 0, first_missing_seq, kChunkWriteFailed,
                           static_cast<std::uint32_t>(error)};
  if (!WriteAllAt(fd_, reinterpret_cast<const char*>(&marker), sizeof(marker), bytes_written_)) {
    [[maybe_unused]] const int ignored = ftruncate(fd_, static_cast<off_t>(bytes_written_));
  }
}

bool CaptureWriter::Flush() { return WriteChunk(); }

bool CaptureWriter::Close(std::string* error) {
  if (fd_ >= 0) {
    WriteChunk();
    if (close(fd_) != 0 && !failed()) error_ = WriteError(path_, errno);
    fd_ = -1;
  }
  if (failed()) *error = error_ + "; the file ends where writing failed";
  return !failed();
}

}  // namespace memledger
