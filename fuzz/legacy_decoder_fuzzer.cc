// legacy_decoder_fuzzer.cc — arbitrary bytes from a hostile legacy client
// through LegacyDecoder, ToEvent and the reply encoders: no crash, no hang;
// every whole message is either accepted (and then valid) or counted, and an
// accepted message survives re-encoding unchanged.
//
// Input: the first byte picks the generation (byte % 3) and the direction
// ((byte / 3) % 2); the rest is the stream, fed in chunks whose sizes the
// stream's own bytes choose, so partial reads are fuzzed too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "legacy/legacy_decoder.h"
#include "legacy/legacy_event.h"

namespace {

void Fail(const char* what) {
  std::fprintf(stderr, "legacy decoder fuzzer: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  using namespace memledger::legacy;
  if (size == 0) return 0;
  const auto version = static_cast<LegacyVersion>(data[0] % kLegacyVersionCount);
  const auto direction = (data[0] / kLegacyVersionCount) % 2 == 0 ? Direction::kToServer : Direction::kToClient;
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  LegacyDecoder decoder(version, direction);
  std::uint64_t returned = 0;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t chunk = std::min<std::size_t>(stream[at] % 211 + 1, stream.size() - at);
    decoder.Feed(stream.subspan(at, chunk));
    at += chunk;
    while (const auto message = decoder.Next()) {
      ++returned;
      const auto type = static_cast<std::uint8_t>(message->type);
      if (!IsDefinedIn(version, type)) Fail("accepted a type the generation does not define");
      if (DecodeUnchecked(version, Encode(version, *message).view()) != *message) Fail("re-encoding changed a message");
      if (const auto event = ToEvent(*message)) {
        if (event->device >= kMaxDevices) Fail("event on a device out of range");
        if (event->type >= kBuiltinTypeCount) Fail("event with a memory type that is not built in");
        // Buffers and CBs: the legacy id is the address. Kernels: it is a program id.
        const bool kernel = event->type == MEMLEDGER_KERNEL;
        const std::uint64_t identity = kernel ? event->buffer_id : event->address;
        if (identity != message->buffer_id || (kernel ? event->address : event->buffer_id) != 0) {
          Fail("the legacy id is not where its kind says");
        }
      } else if (message->type == MessageType::kQuery) {
        if (EncodeQueryReply(version, message->device_id, TypeTotals{}).size != MessageBytes(version)) {
          Fail("QUERY reply of the wrong size");
        }
      } else if (message->type == MessageType::kDeviceInfoQuery) {
        const auto reply = message->device_id == -1 ? EncodeDeviceCountReply(version, 1)
                                                    : EncodeDeviceInfoReply(version, message->device_id, {});
        if (!reply || reply->size != MessageBytes(version)) Fail("no DEVICE_INFO reply in a generation that has it");
      }
    }
  }
  const std::size_t whole = stream.size() / MessageBytes(version);
  if (returned != decoder.accepted() || decoder.accepted() + decoder.errors().total() != whole) {
    Fail("a whole message was neither accepted nor counted");
  }
  if (decoder.EndOfStream() != stream.size() % MessageBytes(version)) Fail("wrong length of the truncated message");
  return 0;
}
