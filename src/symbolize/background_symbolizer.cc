// background_symbolizer.cc — see background_symbolizer.h.
#include "symbolize/background_symbolizer.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <absl/hash/hash.h>

#include <cstring>
#include <memory>

#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

void AppendBytes(std::string& key, const void* data, std::size_t n) {
  key.append(static_cast<const char*>(data), n);
}

// Everything the frames depend on: the reader, the module map (by a hash of
// it: a process's map is described once and keys many stacks), the stack.
std::string KeyOf(std::span<const ModuleDescription> modules, std::span<const std::uint64_t> stack,
                  std::optional<uid_t> reader) {
  std::string map;
  for (const ModuleDescription& m : modules) {
    const std::uint64_t words[5] = {m.base, m.start, m.end, m.build_id.size(), m.path.size()};
    AppendBytes(map, words, sizeof(words));
    map += m.build_id;
    map += m.path;
  }
  std::string key;
  const std::int64_t who = reader ? static_cast<std::int64_t>(*reader) : -1;
  const std::uint64_t map_hash[2] = {modules.size(), absl::HashOf(map)};
  AppendBytes(key, &who, sizeof(who));
  AppendBytes(key, map_hash, sizeof(map_hash));
  AppendBytes(key, stack.data(), stack.size_bytes());
  return key;
}

}  // namespace

BackgroundSymbolizer::BackgroundSymbolizer() : ready_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

BackgroundSymbolizer::~BackgroundSymbolizer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
  if (ready_fd_ >= 0) close(ready_fd_);
}

std::optional<std::vector<SymbolizedFrame>> BackgroundSymbolizer::Frames(std::span<const ModuleDescription> modules,
                                                                         std::span<const std::uint64_t> stack,
                                                                         std::optional<uid_t> reader) {
  std::string key = KeyOf(modules, stack, reader);
  {
    std::lock_guard lock(mutex_);
    if (const auto it = known_.find(key); it != known_.end()) return it->second;
    ++misses_;
    if (asked_.contains(key) || queue_.size() >= kMaxQueued) return std::nullopt;
    asked_.insert(key);
    queue_.push_back(Request{std::move(key), {modules.begin(), modules.end()}, {stack.begin(), stack.end()}, reader});
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
  wake_.notify_one();
  return std::nullopt;
}

void BackgroundSymbolizer::TakeReady() {
  std::uint64_t count;
  while (read(ready_fd_, &count, sizeof(count)) == static_cast<ssize_t>(sizeof(count))) {
  }
}

bool BackgroundSymbolizer::idle() const {
  std::lock_guard lock(mutex_);
  return queue_.empty() && reading_ == 0;
}

void BackgroundSymbolizer::Work() {
  auto symbolizer = std::make_unique<Symbolizer>();
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Request request = std::move(queue_.front());
    queue_.pop_front();
    ++reading_;
    if (known_.size() >= kMaxKnown) {  // start afresh: bounded memory
      known_.clear();
      symbolizer = std::make_unique<Symbolizer>();
    }
    lock.unlock();
    std::vector<SymbolizedFrame> frames = symbolizer->Symbolize(request.modules, request.stack, request.reader);
    lock.lock();
    --reading_;
    asked_.erase(request.key);
    known_.insert_or_assign(std::move(request.key), std::move(frames));
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = write(ready_fd_, &one, sizeof(one));
  }
}

}  // namespace memledger
