// capture_writer.cc — see capture_writer.h.
#include "capture/capture_writer.h"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/capture_format.h"

namespace memledger {
namespace {
constexpr int kZstdLevel = 3;
}

std::unique_ptr<CaptureWriter> CaptureWriter::Open(const std::string& path, const CaptureStart& start,
                                                   std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "wbe");
  if (file == nullptr) {
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
  if (std::fwrite(&header, sizeof(header), 1, file) != 1 ||
      std::fwrite(description.data(), 1, description.size(), file) != description.size() ||
      std::fflush(file) != 0) {  // a file whose writer dies at once still opens
    *error = "cannot write capture file " + path + ": " + std::strerror(errno);
    std::fclose(file);
    return nullptr;
  }
  auto writer = std::unique_ptr<CaptureWriter>(new CaptureWriter(file, path));
  writer->bytes_written_ = header.header_bytes;
  return writer;
}

CaptureWriter::CaptureWriter(std::FILE* file, std::string path)
    : file_(file), path_(std::move(path)), zstd_(ZSTD_createCCtx()) {
  // pending_ grows with the chunk (to kMaxChunkSlots): a writer of a short
  // stream — a server's many small sessions — keeps only what it holds.
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(zstd_, ZSTD_c_checksumFlag, 1);
}

CaptureWriter::~CaptureWriter() {
  std::string ignored;
  Close(&ignored);
  ZSTD_freeCCtx(zstd_);
}

void CaptureWriter::Append(std::span<const Event> slots) {
  for (const Event& slot : slots) {
    pending_.push_back(slot);
    if (pending_.size() == kMaxChunkSlots) WriteChunk();
  }
}

void CaptureWriter::AppendCarriedOver(std::span<const Event> slots) {
  WriteChunk();
  for (std::size_t at = 0; at < slots.size(); at += kMaxChunkSlots) {
    const auto part = slots.subspan(at, std::min<std::size_t>(kMaxChunkSlots, slots.size() - at));
    pending_.assign(part.begin(), part.end());
    WriteChunk(kChunkCarriedOver);
  }
}

bool CaptureWriter::WriteChunk(std::uint32_t flags) {
  if (pending_.empty() || file_ == nullptr) return !failed_;
  const std::size_t raw_bytes = pending_.size() * sizeof(Event);
  compressed_.resize(ZSTD_compressBound(raw_bytes));
  const std::size_t n = ZSTD_compress2(zstd_, compressed_.data(), compressed_.size(), pending_.data(), raw_bytes);
  if (ZSTD_isError(n) || n > kMaxChunkCompressedBytes) {
    failed_ = true;
    return false;
  }
  const ChunkHeader header{kChunkMagic, kCodecZstd, static_cast<std::uint32_t>(n),
                           static_cast<std::uint32_t>(pending_.size()), pending_.front().seq, flags, 0};
  if (std::fwrite(&header, sizeof(header), 1, file_) != 1 || std::fwrite(compressed_.data(), 1, n, file_) != n) {
    failed_ = true;
  }
  bytes_written_ += sizeof(header) + n;
  pending_.clear();
  return !failed_;
}

bool CaptureWriter::Flush() {
  WriteChunk();
  if (file_ != nullptr && std::fflush(file_) != 0) failed_ = true;
  return !failed_;
}

bool CaptureWriter::Close(std::string* error) {
  if (file_ == nullptr) return !failed_;
  Flush();
  if (std::fclose(file_) != 0) failed_ = true;
  file_ = nullptr;
  if (failed_) *error = "writing capture file " + path_ + " failed: the file may be incomplete";
  return !failed_;
}

}  // namespace memledger
