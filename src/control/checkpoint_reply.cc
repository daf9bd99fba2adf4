// checkpoint_reply.cc — see checkpoint_reply.h.
#include "control/checkpoint_reply.h"

#include <fmt/format.h>

#include <charconv>

namespace memledger {
namespace {

constexpr std::string_view kSchema = "memledger.checkpoint-reply/1";

// The next space- or end-delimited field of `line` as a number; advances it.
template <typename T>
bool TakeNumber(std::string_view& line, T* value) {
  const std::size_t end = line.find(' ');
  const std::string_view field = line.substr(0, end);
  const auto [ptr, error] = std::from_chars(field.data(), field.data() + field.size(), *value);
  if (error != std::errc() || ptr != field.data() + field.size() || field.empty()) return false;
  line.remove_prefix(end == std::string_view::npos ? line.size() : end + 1);
  return true;
}

}  // namespace

std::string EncodeCheckpointReply(const CheckpointReplyFields& reply) {
  return fmt::format("{} {} {} {} {} {}\n{}{}", kSchema, reply.status, reply.buffers, reply.bytes,
                     reply.peak_above_begin, reply.json.size(), reply.json, reply.text);
}

std::optional<CheckpointReplyFields> DecodeCheckpointReply(std::string_view text) {
  const std::size_t newline = text.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(0, newline);
  if (!line.starts_with(kSchema) || line.size() <= kSchema.size() || line[kSchema.size()] != ' ') return std::nullopt;
  line.remove_prefix(kSchema.size() + 1);
  CheckpointReplyFields reply;
  std::uint64_t json_bytes = 0;
  if (!TakeNumber(line, &reply.status) || !TakeNumber(line, &reply.buffers) || !TakeNumber(line, &reply.bytes) ||
      !TakeNumber(line, &reply.peak_above_begin) || !TakeNumber(line, &json_bytes) || !line.empty()) {
    return std::nullopt;
  }
  const std::string_view rest = text.substr(newline + 1);
  if (json_bytes > rest.size()) return std::nullopt;
  reply.json = rest.substr(0, json_bytes);
  reply.text = rest.substr(json_bytes);
  return reply;
}

}  // namespace memledger
