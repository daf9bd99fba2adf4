// slot_stream_fuzzer.cc — a hostile slot stream (what a ring or a capture
// file delivers) through RecordAssembler into the Ledger: no crash, no hang,
// and the ledger's invariants hold afterwards.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "event/record.h"
#include "ledger/ledger.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  Ledger ledger(8);
  const ProcessIndex process = ledger.BeginProcess(1, "fuzz");
  const ProcessIndex other = ledger.BeginProcess(2, "bystander");
  RecordAssembler assembler;
  for (std::size_t at = 0; at + sizeof(Event) <= size; at += sizeof(Event)) {
    Event slot;
    std::memcpy(&slot, data + at, sizeof(slot));
    // Keep sequence numbers mostly in order so records get through, and
    // device ids mostly small: a high id makes the ledger build books for
    // every device below it, which is right once per process but would make
    // most runs measure that.
    if ((slot.reserved & 1) == 0) slot.seq = assembler.next_seq() == 0 ? 1 : assembler.next_seq();
    if ((slot.reserved & 4) == 0) slot.device %= 16;
    if (const auto record = assembler.Push(slot)) ledger.Apply((slot.reserved & 2) ? other : process, *record);
  }
  ledger.EndProcess(process, ProcessState::kKilled, -1);
  if (const auto violation = ledger.Validate()) {
    std::fprintf(stderr, "ledger invariant broken: %s\n", violation->c_str());
    std::abort();
  }
  return 0;
}
