// checkpoint_reply.h — a checkpoint query's answer as its text travels
// (wire_protocol.h frames the text as any query's): made by the server,
// read by the tracked process's library. One header line
//   "memledger.checkpoint-reply/1 STATUS BUFFERS BYTES PEAK JSON_BYTES\n"
// then the JSON (JSON_BYTES bytes: memledger.checkpoint/1, empty when
// counts only or not answered), then the text (the rest). STATUS is
// memledger.h's: 0 answered, MEMLEDGER_E_* otherwise (the text then says
// why, as the server saw it).
//
// The reader takes the text from a server it trusts (trusted_server.h) but
// checks every field: anything else is "not a checkpoint answer".
// Thread-safe: no state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memledger {

struct CheckpointReplyFields {
  int status = 0;
  std::uint64_t buffers = 0;
  std::uint64_t bytes = 0;
  std::uint64_t peak_above_begin = 0;
  std::string json;
  std::string text;
};

std::string EncodeCheckpointReply(const CheckpointReplyFields& reply);
// nullopt when `text` is not one EncodeCheckpointReply made.
std::optional<CheckpointReplyFields> DecodeCheckpointReply(std::string_view text);

}  // namespace memledger
