// hostile_ring_fuzzer.cc — the server's side of a ring written by a hostile
// process: header words (head, tail, dropped) and every slot come from the
// fuzzer, and ClientSession drains and finishes it as the server does. No
// crash, no hang, the ledger's invariants hold, and a bystander process's
// books are untouched. What the session applies also goes to a capture
// writer (as under `serve --capture`), into /dev/null.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/ledger.h"
#include "server/client_session.h"

namespace {
constexpr std::uint64_t kSlots = 1024;  // the smallest ring: every slot is reachable
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  std::string error;
  auto ring = EventRing::Create(kSlots, OnFull::kBlock, &error);
  if (!ring) return 0;
  // Header words first (24 bytes), then slots.
  auto take = [&](void* out, std::size_t n) {
    const std::size_t k = std::min(n, size);
    std::memset(out, 0, n);
    std::memcpy(out, data, k);
    data += k;
    size -= k;
  };
  std::uint64_t head, tail, dropped;
  take(&head, sizeof(head));
  take(&tail, sizeof(tail));
  take(&dropped, sizeof(dropped));
  RingHeader& header = ring->header();
  header.head.store(head);
  header.tail.store(tail);
  header.dropped.store(dropped);
  for (std::uint64_t i = 0; i < kSlots && size > 0; ++i) {
    Event slot;
    take(&slot, sizeof(slot));
    // Half the time, make the slot look published for the seq the consumer expects next.
    if ((slot.reserved & 1) != 0) slot.seq = tail + i;
    // Device ids mostly small (a high id builds books for every device below it).
    if ((slot.reserved & 4) == 0) slot.device %= 16;
    RingSlot& target = ring->slot_at(tail + i);
    std::memcpy(target.body, reinterpret_cast<const unsigned char*>(&slot) + sizeof(std::uint64_t), sizeof(target.body));
    target.seq.store(slot.seq);
  }

  Ledger ledger(8);
  const ProcessIndex bystander = ledger.BeginProcess(1, "bystander");
  Event alloc{};
  alloc.seq = 1;
  alloc.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  alloc.buffer_id = 7;
  alloc.size = 4096;
  ledger.Apply(bystander, Record{alloc, {}});

  const ProcessIndex hostile = ledger.BeginProcess(2, "hostile");
  auto capture = CaptureWriter::Open("/dev/null", CaptureStart{2, "hostile", 0, {}}, &error);
  ClientSession session(dup(STDERR_FILENO), -1, 2, 0, std::move(ring), hostile, std::move(capture));
  session.Drain(ledger, 1 << 20);
  session.Finish(ledger);

  const ProcessBooks& books = ledger.process(bystander);
  const TypeCounterArray* counters = books.device(0);
  if (counters == nullptr || (*counters)[MEMLEDGER_DRAM].live_bytes != 4096 || books.leaked_buffers != 0) {
    std::fprintf(stderr, "a hostile ring changed another process's books\n");
    std::abort();
  }
  if (const auto violation = ledger.Validate()) {
    std::fprintf(stderr, "ledger invariant broken: %s\n", violation->c_str());
    std::abort();
  }
  return 0;
}
