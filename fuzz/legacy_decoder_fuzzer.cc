// legacy_decoder_fuzzer.cc — arbitrary bytes from a hostile legacy client
// through LegacyDecoder (one generation, or told per message), the old
// tracker's reference counting and the reply encoders: no crash, no hang;
// every byte is either in a message handed back (accepted and then valid, or
// refused and counted) or in the cut tail EndOfStream counts, and an accepted
// message survives re-encoding unchanged.
//
// Input: the first byte picks the decoder: (byte % 4) < 3 one generation
// (that one), with the direction (byte / 4) % 2; 3 a listener's, telling
// generations apart (fallback (byte / 4) % 3). The rest is the stream, fed in
// chunks whose sizes the stream's own bytes choose, so partial reads are
// fuzzed too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "legacy/legacy_decoder.h"
#include "legacy/legacy_event.h"
#include "legacy/legacy_references.h"

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
  const bool detecting = data[0] % 4 == 3;
  const auto direction = (data[0] / 4) % 2 == 0 || detecting ? Direction::kToServer : Direction::kToClient;
  LegacyDecoder decoder = detecting ? LegacyDecoder::Detecting(static_cast<LegacyVersion>((data[0] / 4) % 3))
                                    : LegacyDecoder(static_cast<LegacyVersion>(data[0] % 4), direction);
  LegacyReferences references;
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  std::uint64_t returned = 0;
  std::uint64_t returned_bytes = 0;
  for (std::size_t at = 0; at < stream.size();) {
    const std::size_t chunk = std::min<std::size_t>(stream[at] % 211 + 1, stream.size() - at);
    decoder.Feed(stream.subspan(at, chunk));
    at += chunk;
    while (const auto decoded = decoder.Next()) {
      ++returned;
      returned_bytes += MessageBytes(decoded->version);
      if (!decoded->accepted()) continue;
      const LegacyMessage& message = decoded->message;
      const LegacyVersion version = decoded->version;
      const auto type = static_cast<std::uint8_t>(message.type);
      if (!IsDefinedIn(version, type)) Fail("accepted a type the generation does not define");
      if (DecodeUnchecked(version, Encode(version, message).view()) != message) Fail("re-encoding changed a message");
      if (const auto event = ToEvent(message)) {
        if (event->device >= kMaxDevices) Fail("event on a device out of range");
        if (event->type >= kBuiltinTypeCount) Fail("event with a memory type that is not built in");
        if (event->buffer_id != message.buffer_id || event->address != 0) Fail("the legacy id is not an identity");
        if (const auto booked = references.Book(message); booked && booked->address != 0) Fail("booked an address");
      } else if (message.type == MessageType::kQuery) {
        if (EncodeQueryReply(version, message.device_id, TypeTotals{}).size != MessageBytes(version)) {
          Fail("QUERY reply of the wrong size");
        }
      } else if (message.type == MessageType::kDeviceInfoQuery) {
        const auto reply = message.device_id == -1 ? EncodeDeviceCountReply(version, 1)
                                                   : EncodeDeviceInfoReply(version, message.device_id, {});
        if (!reply || reply->size != MessageBytes(version)) Fail("no DEVICE_INFO reply in a generation that has it");
      }
    }
  }
  if (returned != decoder.accepted() + decoder.errors().total()) Fail("a message was neither accepted nor counted");
  if (returned_bytes + decoder.EndOfStream() != stream.size()) Fail("bytes neither in a message nor in the cut tail");
  return 0;
}
