// capture_writer.cc — see capture_writer.h.
#include "capture/capture_writer.h"

#include <zstd.h>

#include <cerrno>
#include <cstring>

#include "capture/capture_format.h"

namespace memledger {
namespace {
constexpr int kZstdLevel = 3;
}

std::unique_ptr<CaptureWriter> CaptureWriter::Open(const std::string& path, std::uint32_t pid, const std::string& comm,
                                                   std::uint64_t start_unix_ns, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "wbe");
  if (file == nullptr) {
    *error = "cannot create capture file " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  CaptureFileHeader header{};
  std::memcpy(header.magic, kCaptureMagic, sizeof(header.magic));
  header.version = kCaptureVersion;
  header.header_bytes = sizeof(CaptureFileHeader);
  header.slot_bytes = kSlotBytes;
  header.pid = pid;
  header.start_unix_ns = start_unix_ns;
  std::strncpy(header.comm, comm.c_str(), sizeof(header.comm) - 1);
  if (std::fwrite(&header, sizeof(header), 1, file) != 1) {
    *error = "cannot write capture file " + path + ": " + std::strerror(errno);
    std::fclose(file);
    return nullptr;
  }
  auto writer = std::unique_ptr<CaptureWriter>(new CaptureWriter(file, path));
  writer->bytes_written_ = sizeof(header);
  return writer;
}

CaptureWriter::CaptureWriter(std::FILE* file, std::string path)
    : file_(file), path_(std::move(path)), zstd_(ZSTD_createCCtx()) {
  pending_.reserve(kMaxChunkSlots);
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

bool CaptureWriter::WriteChunk() {
  if (pending_.empty() || file_ == nullptr) return !failed_;
  const std::size_t raw_bytes = pending_.size() * sizeof(Event);
  compressed_.resize(ZSTD_compressBound(raw_bytes));
  const std::size_t n = ZSTD_compress2(zstd_, compressed_.data(), compressed_.size(), pending_.data(), raw_bytes);
  if (ZSTD_isError(n) || n > kMaxChunkCompressedBytes) {
    failed_ = true;
    return false;
  }
  const ChunkHeader header{kChunkMagic, kCodecZstd, static_cast<std::uint32_t>(n),
                           static_cast<std::uint32_t>(pending_.size()), pending_.front().seq, 0};
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
