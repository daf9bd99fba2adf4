// chunk_prefetcher.cc — see chunk_prefetcher.h.
#include "capture/chunk_prefetcher.h"

#include <exception>
#include <utility>

namespace memledger {

ChunkPrefetcher::ChunkPrefetcher(std::unique_ptr<CaptureReader> reader)
    : info_(reader->info()), file_bytes_(reader->file_bytes()), reader_(std::move(reader)), thread_([this] { Run(); }) {}

ChunkPrefetcher::~ChunkPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ChunkPrefetcher::Run() {
  for (;;) {
    Chunk chunk;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stop_ || ready_.size() < kDepth; });
      if (stop_) return;
      if (!spare_.empty()) {
        chunk = std::move(spare_.back());
        spare_.pop_back();
      }
    }
    bool read = false;
    std::string failure;
    try {
      read = reader_->NextChunk(&chunk.slots, &chunk.flags);
      chunk.bytes_read = reader_->bytes_read();
      chunk.missing_at_start = reader_->missing_at_start();
    } catch (const std::exception& e) {  // out of memory: the end, said, not a terminate on this thread
      failure = std::string("reading the capture failed: ") + e.what();
    }
    {
      std::lock_guard lock(mutex_);
      if (read) {
        ready_.push_back(std::move(chunk));
      } else {
        at_end_ = true;
        end_problem_ = failure.empty() ? reader_->problem() : failure;
        end_write_error_ = reader_->write_error();
      }
    }
    changed_.notify_all();
    if (!read) return;
  }
}

ChunkPrefetcher::Chunk* ChunkPrefetcher::Next() {
  if (ended_) return nullptr;
  std::unique_lock lock(mutex_);
  if (holds_taken_) spare_.push_back(std::move(taken_));
  holds_taken_ = false;
  changed_.wait(lock, [this] { return !ready_.empty() || at_end_; });
  if (ready_.empty()) {
    ended_ = true;
    problem_ = end_problem_;
    write_error_ = end_write_error_;
    return nullptr;
  }
  taken_ = std::move(ready_.front());
  ready_.pop_front();
  holds_taken_ = true;
  lock.unlock();
  changed_.notify_all();  // room for one more
  return &taken_;
}

}  // namespace memledger
