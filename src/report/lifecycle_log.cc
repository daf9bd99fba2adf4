// lifecycle_log.cc — see lifecycle_log.h.
#include "report/lifecycle_log.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <iterator>

#include "report/printable_text.h"
#include "report/stack_text.h"

namespace memledger {

std::unique_ptr<LifecycleLog> LifecycleLog::Open(const std::string& path, std::string* error) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    *error = "cannot write the lifecycle log " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<LifecycleLog>(new LifecycleLog(file, path));
}

LifecycleLog::~LifecycleLog() { std::fclose(file_); }

const std::string& LifecycleLog::StackText(const ProcessBooks& books, std::uint32_t stack) {
  auto [it, inserted] = stack_text_.try_emplace(stack);
  if (inserted) {
    const auto lines = StackLines(books, stack, symbolizer_);
    for (std::size_t i = 0; i < lines.size(); ++i) it->second += (i == 0 ? " at " : " <- ") + PrintableText(lines[i]);
  }
  if (it->second.empty() && !books.stacks.contains(stack)) {
    stack_text_.erase(it);  // described later by another thread: look again next time
    static const std::string kNotYet = " (stack not described yet)";
    return kNotYet;
  }
  return it->second;
}

void LifecycleLog::Write(const Ledger& ledger, ProcessIndex process, const Record& record) {
  const Event& e = record.event;
  if (!IsBufferEvent(record.kind())) return;
  if (first_ns_ == 0) first_ns_ = e.time_ns;
  const ProcessBooks& books = ledger.process(process);
  std::string line = fmt::format("{:.6f} {} dev {} {} id {:#x} addr {:#x} size {} tid {}",
                                 static_cast<double>(e.time_ns - first_ns_) / 1e9, KindName(record.kind()), e.device,
                                 PrintableText(ledger.local_type_name(process, e.type)), e.buffer_id, e.address, e.size, e.thread);
  if (const std::string_view tag = ledger.tag_name(static_cast<std::uint32_t>(process), e.tag); !tag.empty()) {
    fmt::format_to(std::back_inserter(line), " tag {}", PrintableText(tag));
  }
  if (e.stack != 0) line += StackText(books, e.stack);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
}

}  // namespace memledger
