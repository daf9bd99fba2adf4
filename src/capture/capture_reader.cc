// capture_reader.cc — see capture_reader.h.
#include "capture/capture_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "capture/capture_format.h"
#include "capture/slot_columns.h"

namespace memledger {

std::unique_ptr<CaptureReader> CaptureReader::Open(const std::string& path, std::string* error) {
  // Non-blocking, then only a regular file: a FIFO or a device given as a
  // capture is refused, never waited on.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    *error = "cannot open capture " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    *error = "cannot read capture " + path + ": not a regular file";
    return nullptr;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  std::FILE* file = fdopen(fd, "rb");
  if (file == nullptr) {
    *error = "cannot open capture " + path + ": " + std::strerror(errno);
    close(fd);
    return nullptr;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(file, &std::fclose);  // until the reader owns it
  CaptureFileHeader header{};
  if (std::fread(&header, sizeof(header), 1, file) != 1 ||
      std::memcmp(header.magic, kCaptureMagic, sizeof(header.magic)) != 0) {
    *error = path + " is not a memledger capture (no capture header)";
    return nullptr;
  }
  if (header.version > kCaptureVersion || header.version == 0) {
    *error = path + " is capture format version " + std::to_string(header.version) + "; this memledger reads up to " +
             std::to_string(kCaptureVersion) + ": use a newer memledger";
    return nullptr;
  }
  const std::uint32_t description_bytes = header.header_bytes - static_cast<std::uint32_t>(sizeof(header));
  if (header.header_bytes < sizeof(header) || header.slot_bytes != kSlotBytes ||
      (header.version == 1 && description_bytes != 0) || description_bytes > kMaxDescriptionBytes) {
    *error = path + " has a corrupt capture header (header or record size is wrong)";
    return nullptr;
  }
  CaptureInfo info;
  info.version = header.version;
  info.pid = header.pid;
  info.comm.assign(header.comm, strnlen(header.comm, sizeof(header.comm)));
  info.start_unix_ns = header.start_unix_ns;
  std::string description(header.version >= 2 ? description_bytes : 0, '\0');
  const bool description_whole = std::fread(description.data(), 1, description.size(), file) == description.size();
  if (description_whole && !description.empty()) {
    std::string problem;
    auto parsed = ParseCaptureDescription(description, &problem);
    if (!parsed) {
      *error = path + " has a corrupt capture header: " + problem;
      return nullptr;
    }
    info.description = std::move(*parsed);
  }
  auto reader =
      std::unique_ptr<CaptureReader>(new CaptureReader(owned.release(), path, static_cast<std::uint64_t>(st.st_size)));
  reader->info_ = std::move(info);
  reader->offset_ = header.header_bytes;
  // Cut inside its description: there is nothing whole to read, and it says so.
  if (!description_whole) {
    reader->offset_ = reader->file_bytes_;
    reader->Fail("the file ends inside its description");
  }
  return reader;
}

CaptureReader::CaptureReader(std::FILE* file, std::string path, std::uint64_t file_bytes)
    : file_(file), path_(std::move(path)), zstd_(ZSTD_createDCtx()), file_bytes_(file_bytes) {}

CaptureReader::~CaptureReader() {
  std::fclose(file_);
  ZSTD_freeDCtx(zstd_);
}

bool CaptureReader::Fail(std::string problem) {
  problem_ = "capture " + path_ + " is cut or damaged at byte " + std::to_string(offset_) + " of " +
             std::to_string(file_bytes_) + " (after " + std::to_string(chunks_) + " whole chunks): " + problem +
             "; everything before it was read";
  return false;
}

bool CaptureReader::NextChunk(std::vector<Event>* slots, std::uint32_t* flags) {
  if (ReadChunk(slots, flags)) return true;
  slots->clear();
  return false;
}

bool CaptureReader::ReadChunk(std::vector<Event>* slots, std::uint32_t* flags) {
  if (!problem_.empty()) return false;
  ChunkHeader header{};
  const std::size_t got = std::fread(&header, 1, sizeof(header), file_);
  if (got == 0 && std::feof(file_)) return false;  // a clean end
  if (got != sizeof(header)) return Fail("a chunk header is incomplete");
  if (header.magic != kChunkMagic) return Fail("bad chunk magic");
  if (header.flags == kChunkWriteFailed && info_.version >= 2 && header.slot_count == 0) {
    write_error_ = header.reserved != 0 ? static_cast<int>(header.reserved) : EIO;
    return Fail(std::string("its writer could not write the rest (") + std::strerror(write_error_) + ")");
  }
  const bool columns = header.codec == kCodecColumns && info_.version >= kFirstVersionWithColumns;
  if (header.codec != kCodecZstd && !columns) return Fail("unknown chunk codec " + std::to_string(header.codec));
  if ((header.flags & ~kKnownChunkFlags) != 0 || (info_.version == 1 && header.flags != 0)) {
    return Fail("unknown chunk flags " + std::to_string(header.flags));
  }
  if (header.slot_count == 0 || header.slot_count > kMaxChunkSlots ||
      header.compressed_bytes > kMaxChunkCompressedBytes) {
    return Fail("chunk sizes out of range");
  }
  compressed_.resize(header.compressed_bytes);
  const std::size_t body = std::fread(compressed_.data(), 1, compressed_.size(), file_);
  if (body != compressed_.size()) {
    return Fail("a chunk of " + std::to_string(header.slot_count) + " records is incomplete (" + std::to_string(body) +
                " of " + std::to_string(header.compressed_bytes) + " bytes)");
  }
  // Sized, not cleared first: a buffer of the last chunk's size (a full one's,
  // mostly) is not zeroed again only to be written over.
  slots->resize(header.slot_count);
  const std::size_t raw_bytes = slots->size() * sizeof(Event);
  if (columns) columns_.resize(raw_bytes);
  void* into = columns ? static_cast<void*>(columns_.data()) : static_cast<void*>(slots->data());
  const std::size_t n = ZSTD_decompressDCtx(zstd_, into, raw_bytes, compressed_.data(), compressed_.size());
  if (ZSTD_isError(n) || n != raw_bytes) {
    return Fail(std::string("a chunk does not decompress (") +
                (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size") + ")");
  }
  if (columns) ColumnsToSlots(columns_, *slots);
  if ((header.flags & kChunkCarriedOver) == 0 && !FollowsInSequence(header, *slots)) return false;
  offset_ += sizeof(header) + header.compressed_bytes;
  if (flags != nullptr) *flags = header.flags;
  ++chunks_;
  return true;
}

bool CaptureReader::FollowsInSequence(const ChunkHeader& header, const std::vector<Event>& slots) {
  const std::uint64_t first = header.first_seq;
  if (first == 0 || slots.front().seq != first) return Fail("a chunk's first record is not the one its header names");
  if (next_seq_ == 0) {
    missing_at_start_ = first - 1;
  } else if (first < next_seq_) {
    return Fail("a chunk out of order (records from " + std::to_string(first) + " after record " +
                std::to_string(next_seq_ - 1) + ")");
  } else if (first > next_seq_) {
    return Fail("records " + std::to_string(next_seq_) + " to " + std::to_string(first - 1) +
                " are missing (a lost chunk)");
  }
  // Slots inside a chunk may skip sequence numbers (abandoned by the consumer, counted by the replay).
  next_seq_ = std::max(slots.back().seq, first + slots.size() - 1) + 1;
  return true;
}

}  // namespace memledger
