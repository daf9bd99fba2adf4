// hostile_ring_fuzzer.cc — the server's side of a ring written by a hostile
// process: the memfd's seals, a resize after the handshake, header words
// (head, tail, dropped, the lanes' tails), every shared slot and every lane
// slot come from the fuzzer, and
// ClientSession drains and finishes it as the server does. A memfd without
// both size seals is refused at attach; a sealed one cannot be resized; no
// crash (the server's SIGBUS guard is installed, as in the server), no hang,
// the ledger's invariants hold, and a bystander process's books are
// untouched. What the session applies also goes to a capture writer (as
// under `serve --capture`), into /dev/null.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ledger/ledger.h"
#include "ring/ring_fault_guard.h"
#include "server/client_session.h"
#include "server/epoll_set.h"

namespace {
constexpr std::uint64_t kSlots = 1024;  // the smallest ring: every slot is reachable

// A valid ring made by hand in a fresh memfd, with only `seals` added (the
// library adds F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL); -1 on failure.
int HandMadeRing(int seals) {
  using namespace memledger;
  const int fd = memfd_create("fuzzed-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  RingHeader header{};
  header.magic = kRingMagic;
  header.layout_version = kRingLayoutVersion;
  header.slot_bytes = kSlotBytes;
  header.capacity = kSlots;
  header.lane_capacity = DefaultLaneCapacity(kSlots);
  header.head.store(1);
  header.tail.store(1);
  header.processed.store(1);
  if (ftruncate(fd, static_cast<off_t>(RingBytes(kSlots))) != 0 ||
      pwrite(fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)) ||
      (seals != 0 && fcntl(fd, F_ADD_SEALS, seals) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace memledger;
  InstallRingFaultGuard();
  // The memfd's seals and a resize (9 bytes), header words (24 bytes), then slots.
  auto take = [&](void* out, std::size_t n) {
    const std::size_t k = std::min(n, size);
    std::memset(out, 0, n);
    std::memcpy(out, data, k);
    data += k;
    size -= k;
  };
  std::uint8_t shape;
  std::uint64_t resize_to;
  take(&shape, sizeof(shape));
  take(&resize_to, sizeof(resize_to));
  const int size_seals = ((shape & 1) != 0 ? F_SEAL_SHRINK : 0) | ((shape & 2) != 0 ? F_SEAL_GROW : 0);
  const int memfd = HandMadeRing(size_seals | ((shape & 4) != 0 ? F_SEAL_SEAL : 0));
  if (memfd < 0) return 0;
  std::string error;
  auto ring = EventRing::Attach(memfd, &error);
  const bool sealed = size_seals == (F_SEAL_SHRINK | F_SEAL_GROW);
  if ((ring != nullptr) != sealed) {
    std::fprintf(stderr, "a ring that can be resized was attached, or a sealed one refused: %s\n", error.c_str());
    std::abort();
  }
  if (!ring) {
    close(memfd);
    return 0;
  }
  // The hostile client resizes its memfd after the handshake: the seals hold.
  if ((shape & 8) != 0 && ftruncate(memfd, static_cast<off_t>(resize_to % (2 * RingBytes(kSlots)))) == 0 &&
      static_cast<std::uint64_t>(lseek(memfd, 0, SEEK_END)) != RingBytes(kSlots)) {
    std::fprintf(stderr, "a sealed ring was resized\n");
    std::abort();
  }
  close(memfd);
  std::uint64_t head, tail, dropped;
  take(&head, sizeof(head));
  take(&tail, sizeof(tail));
  take(&dropped, sizeof(dropped));
  RingHeader& header = ring->header();
  header.head.store(head);
  header.tail.store(tail);
  header.dropped.store(dropped);
  std::uint64_t lane_tails[kRingLanes];
  take(lane_tails, sizeof(lane_tails));
  for (std::uint32_t l = 0; l < kRingLanes; ++l) {
    // Half the time a plausible tail (lane positions start at 1), else anything.
    if ((lane_tails[l] & 1) != 0) lane_tails[l] = 1 + (lane_tails[l] >> 1) % (4 * ring->lane_capacity());
    header.lanes[l].next.store(lane_tails[l]);
  }
  // Lane slots and shared slots interleaved, so that short inputs reach both.
  for (std::uint64_t i = 0; i < kSlots && size > 0; ++i) {
    Event slot;
    take(&slot, sizeof(slot));
    // Device ids mostly small (a high id builds books for every device below it).
    if ((slot.reserved & 4) == 0) slot.device %= 16;
    const std::uint32_t l = static_cast<std::uint32_t>(i % (kRingLanes + 1));
    if (l == kRingLanes) {
      // Half the time, make the slot look published for a seq the consumer expects soon.
      if ((slot.reserved & 1) != 0) slot.seq = tail + i;
      RingSlot& target = ring->slot_at(tail + i);
      StoreSlotWords(target, slot);
      target.seq.store(slot.seq);
    } else {
      // A lane record: half the time published at the lane's next positions,
      // carrying a seq the consumer expects soon (in its time field).
      const std::uint64_t position = header.lanes[l].next.load() + i / (kRingLanes + 1);
      if ((slot.reserved & 1) != 0) {
        slot.seq = position;
        slot.time_ns = tail + i;
      }
      RingSlot& target = ring->lane_slot_at(l, position);
      StoreSlotWords(target, slot);
      target.seq.store(slot.seq);
    }
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
  const std::uint16_t epoch = TailEpoch(ring->header().tail.load());  // the fuzzed tail names the owner
  static EpollSet epoll;  // the session's control socket is never watched here
  ClientSession session(dup(STDERR_FILENO), -1, epoll, 2, 0, std::move(ring), epoch, hostile, std::move(capture));
  session.Drain(ledger, 1 << 20);
  LogLimiter log(20, std::chrono::seconds(1));
  session.Finish(ledger, Session::End::kConnectionOver, log);

  const ProcessBooks& books = ledger.process(bystander);
  const TypeCounterTable* counters = books.device(0);
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
