// carry_over_test.cc — handing a process's books from one ledger to another
// part-way (src/ledger/carry_over.h) and books that begin part-way
// (Ledger::JoinLate): what is carried is booked exactly, frees of buffers from
// before are counted as missed, not flagged, and a hostile carried stream can
// only add invalid events to its own process.
#include "ledger/carry_over.h"

#include <gtest/gtest.h>

#include <cstring>

#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

constexpr std::uint8_t kScratchPool = MEMLEDGER_FIRST_POOL;

class CarryOverTest : public LedgerTest {
 protected:
  // What a client declares before any buffer: a pool, a tag, an open device.
  static std::vector<Event> Names() {
    std::vector<Event> slots;
    Event pool{};
    pool.kind = static_cast<std::uint8_t>(EventKind::kPool);
    pool.type = kScratchPool;
    AppendRecord(slots, pool, "scratch");
    Event tag{};
    tag.kind = static_cast<std::uint8_t>(EventKind::kTag);
    tag.tag = 3;
    AppendRecord(slots, tag, "kv_cache");
    Event open{};
    open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
    open.device = 1;
    AppendRecord(slots, open, EncodeDeviceDescription({"n300", {{MEMLEDGER_DRAM, 1 << 30}}}));
    return slots;
  }

  // Process `p` of ledger_ holds one buffer of every kind of identity.
  void HoldOneOfEach(ProcessIndex p) {
    Pool(p, kScratchPool, "scratch");
    Tag(p, 3, "kv_cache");
    DeviceOpen(p, 1, "n300", {{MEMLEDGER_DRAM, 1 << 30}});
    Alloc(p, Buf{.device = 1, .type = MEMLEDGER_DRAM, .id = 11, .address = 0x1000, .size = 4096, .tag = 3});
    Alloc(p, Buf{.device = 1, .type = MEMLEDGER_L1, .id = 0, .address = 0x2000, .size = 256});  // by address
    Alloc(p, Buf{.device = 1, .type = kScratchPool, .id = 12, .address = 0x9000, .size = 512});
    Hook(p, EventKind::kCbAlloc, Buf{.device = 1, .type = MEMLEDGER_CB, .id = 5, .address = 0x3000, .size = 128});
    Hook(p, EventKind::kKernelLoad, Buf{.device = 1, .type = MEMLEDGER_KERNEL, .id = 77, .address = 0, .size = 64});
    Alloc(p, Buf{.device = 1, .type = MEMLEDGER_DRAM, .id = 13, .address = 0x8000, .size = 100});
    Free(p, Buf{.device = 1, .type = MEMLEDGER_DRAM, .id = 13, .address = 0x8000});
  }

  // A process of ledger_ holding one of each, handed to `to` as a process whose
  // books begin part-way after `before`.
  ProcessIndex HandOver(Ledger& to, const Handover& before) {
    const ProcessIndex from = Begin();
    HoldOneOfEach(from);
    std::vector<Event> carried = Names();
    AppendLiveBuffers(ledger_, from, carried);
    const ProcessIndex p = to.BeginProcess(1000, "app");
    to.JoinLate(p, before);
    ApplyCarriedOver(to, p, carried);
    return p;
  }
};

TEST_F(CarryOverTest, WhatIsCarriedIsBookedExactlyAndFreesCleanly) {
  Ledger to;
  const ProcessIndex p = HandOver(to, Handover{.handovers = 2, .records_elsewhere = 10, .missed_frees = 1});
  ASSERT_EQ(to.Validate(), std::nullopt);

  const ProcessBooks& books = to.process(p);
  EXPECT_EQ(books.handover.carried_buffers, 5u);
  EXPECT_EQ(books.handover.carried_bytes, 4096u + 256 + 512 + 128 + 64);
  EXPECT_EQ(books.handover.handovers, 2u);
  EXPECT_EQ(books.handover.records_elsewhere, 10u);
  EXPECT_EQ(books.events, 3u) << "names are records; carried buffers are not events";
  EXPECT_EQ(to.devices()[1].name, "n300");
  EXPECT_EQ(to.devices()[1].capacity[MEMLEDGER_DRAM], 1u << 30);
  for (std::uint16_t type = 0; type < to.type_count(); ++type) {
    EXPECT_EQ(to.devices()[1].types[type].live_bytes, All(1, type).live_bytes) << to.type_name(type);
    EXPECT_EQ(to.devices()[1].types[type].live_buffers, All(1, type).live_buffers) << to.type_name(type);
  }
  EXPECT_EQ(to.type_name(to.process(p).type_map[kScratchPool]), "scratch");

  // The process frees everything it holds, by the identities it used: the
  // receiving books match every free.
  auto free = [&](EventKind kind, std::uint8_t type, std::uint64_t id, std::uint64_t address) {
    Event e{};
    e.seq = 100;
    e.kind = static_cast<std::uint8_t>(kind);
    e.device = 1;
    e.type = type;
    e.buffer_id = id;
    e.address = address;
    to.Apply(p, Record{e, {}});
  };
  free(EventKind::kFree, MEMLEDGER_DRAM, 11, 0x1000);
  free(EventKind::kFree, MEMLEDGER_L1, 0, 0x2000);
  free(EventKind::kFree, kScratchPool, 12, 0x9000);
  free(EventKind::kCbFree, MEMLEDGER_CB, 5, 0x3000);
  free(EventKind::kKernelUnload, MEMLEDGER_KERNEL, 77, 0);
  EXPECT_EQ(to.live_buffer_count(), 0u);
  EXPECT_EQ(to.Validate(), std::nullopt);
  for (const std::uint64_t n : books.anomalies) EXPECT_EQ(n, 0u);
  EXPECT_EQ(books.handover.missed_frees, 1u) << "only the count handed over";

  // A buffer from before the books began: missed, not an anomaly; freed
  // again right after: that one is a double free.
  free(EventKind::kFree, MEMLEDGER_DRAM, 999, 0x7000);
  EXPECT_EQ(books.handover.missed_frees, 2u);
  EXPECT_EQ(books.anomalies[static_cast<int>(Anomaly::kUnknownFree)], 0u);
  free(EventKind::kFree, MEMLEDGER_DRAM, 11, 0x1000);
  EXPECT_EQ(books.anomalies[static_cast<int>(Anomaly::kDoubleFree)], 1u);
}

TEST_F(CarryOverTest, CarriedTagsAndLeaksKeepTheirSite) {
  Ledger to;
  const ProcessIndex p = HandOver(to, {});
  to.EndProcess(p, ProcessState::kKilled, -1);
  EXPECT_EQ(to.process(p).leaked_buffers, 5u);
  bool kv_cache_site = false;
  for (const auto& [key, totals] : to.leak_sites()) {
    if (to.tag_name(key.process, key.tag) == "kv_cache") kv_cache_site = totals.bytes == 4096 && totals.buffers == 1;
  }
  EXPECT_TRUE(kv_cache_site);
}

TEST_F(CarryOverTest, CarriedStacksKeepTheirLanguageFrames) {
  std::vector<Event> carried;
  Event frame{};
  frame.kind = static_cast<std::uint8_t>(EventKind::kLanguageFrame);
  frame.address = LanguageFrameValue(4);
  AppendRecord(carried, frame, EncodeLanguageFrame({"leak_cache", "/app/train.py", 12}));
  Event stack{};
  stack.kind = static_cast<std::uint8_t>(EventKind::kStack);
  stack.stack = 2;
  const std::uint64_t frames[] = {0x401000, LanguageFrameValue(4)};
  AppendRecord(carried, stack, EncodeStack(frames));
  Event alloc{};
  alloc.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  alloc.buffer_id = 1;
  alloc.address = 0x1000;
  alloc.size = 64;
  alloc.stack = 2;
  AppendRecord(carried, alloc);
  Ledger to;
  const ProcessIndex p = to.BeginProcess(1000, "python3");
  to.JoinLate(p, {});
  ApplyCarriedOver(to, p, carried);
  to.EndProcess(p, ProcessState::kExited, 0);
  const ProcessBooks& books = to.process(p);
  EXPECT_EQ(books.language_frames.at(LanguageFrameValue(4)).function, "leak_cache");
  ASSERT_EQ(to.leak_sites().size(), 1u);
  EXPECT_EQ(books.stacks.at(to.leak_sites().begin()->first.stack).back(), LanguageFrameValue(4));
  for (const std::uint64_t n : books.anomalies) EXPECT_EQ(n, 0u);
}

TEST_F(CarryOverTest, BooksFromTheStartStillFlagUnknownFrees) {
  const ProcessIndex p = Begin();
  Free(p, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 5});
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 1u);
  EXPECT_EQ(ledger_.process(p).handover.missed_frees, 0u);
  EXPECT_FALSE(ledger_.process(p).handover.joined_late);
}

TEST_F(CarryOverTest, AHostileCarriedStreamOnlyAddsInvalidEventsToItsOwnProcess) {
  const ProcessIndex bystander = Begin(1, "bystander");
  Alloc(bystander, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 64});
  const ProcessIndex p = Begin(2, "hostile");
  std::vector<Event> carried;
  Event e{};
  e.kind = static_cast<std::uint8_t>(EventKind::kProcessEnd);  // would end the process
  AppendRecord(carried, e);
  e.kind = static_cast<std::uint8_t>(EventKind::kFree);  // skipped: only a rejoining server matches carried frees
  e.buffer_id = 1;
  AppendRecord(carried, e);
  e.kind = static_cast<std::uint8_t>(EventKind::kDeviceClose);  // taken: closes its own process's device only
  AppendRecord(carried, e);
  e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);  // zero size: invalid
  AppendRecord(carried, e);
  Event orphan{};
  orphan.seq = carried.back().seq + 5;  // a gap in the framing
  orphan.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  orphan.size = 8;
  orphan.buffer_id = 9;
  carried.push_back(orphan);
  EXPECT_EQ(ApplyCarriedOver(ledger_, p, carried), 1u) << "one carried free";
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kRunning);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u);
  EXPECT_EQ(ledger_.process(p).lost_slots, 4u);
  EXPECT_EQ(ledger_.process(p).handover.carried_buffers, 1u);
  EXPECT_EQ(Mine(bystander, 0, MEMLEDGER_DRAM).live_buffers, 1u);
  EXPECT_EQ(AllAnomalies(bystander), 0u);
}


// A released process that ends without handing its ring back: its books
// elsewhere saw its frees and its end, so what these books still hold of it
// leaves the device's live totals — neither freed nor leaked here.
TEST_F(CarryOverTest, AReleasedProcessThatEndsElsewhereLeavesTheLiveTotals) {
  const ProcessIndex p = Begin(1000, "app");
  const ProcessIndex bystander = Begin(2000, "other");
  Alloc(p, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 64});
  Alloc(p, Buf{.device = 0, .type = MEMLEDGER_L1, .id = 2, .address = 0x1000, .size = 32});
  Alloc(bystander, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 1, .address = 0x8000, .size = 16});
  ledger_.EndReleased(p);  // not released: nothing happens
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 80u);

  ledger_.ReleaseProcess(p);
  ledger_.EndReleased(p);
  ASSERT_EQ(ledger_.Validate(), std::nullopt);
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kReleased);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).frees, 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 16u) << "the bystander's buffer stays";
  EXPECT_EQ(All(0, MEMLEDGER_L1).live_bytes, 0u);
  EXPECT_EQ(ledger_.live_buffer_count(), 1u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

// The server released a process whose ring the process took back (it had
// stopped draining); the process accounted meanwhile in books begun late, and
// hands the ring back: the rejoined books go on exactly — the frees of the
// server's buffers matched, what was allocated meanwhile carried over.
TEST_F(CarryOverTest, ARejoinedProcessMatchesTheFreesOfItsOwnBuffers) {
  const ProcessIndex p = Begin(1000, "app");
  Alloc(p, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 64});
  Alloc(p, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 2, .address = 0x2000, .size = 32});
  ledger_.ReleaseProcess(p);
  ledger_.EndProcess(p, ProcessState::kKilled, -1);
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kReleased) << "a released process is not ended";
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 0u);

  Ledger interim;
  const ProcessIndex q = interim.BeginProcess(1000, "app");
  interim.JoinLate(q, Handover{.handovers = 1});
  Event free{};
  free.seq = 1;
  free.kind = static_cast<std::uint8_t>(EventKind::kFree);
  free.buffer_id = 1;
  interim.Apply(q, Record{free, {}});
  Event alloc{};
  alloc.seq = 2;
  alloc.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  alloc.buffer_id = 3;
  alloc.address = 0x3000;
  alloc.size = 16;
  interim.Apply(q, Record{alloc, {}});
  std::vector<Event> carried;
  AppendCarryBack(interim, q, carried);
  AppendLiveBuffers(interim, q, carried);

  EXPECT_EQ(ApplyCarriedOver(ledger_, p, carried, CarriedFrees::kMatch), 1u);
  ASSERT_TRUE(ledger_.Rejoin(p, Handover{.handovers = 2, .records_elsewhere = 2}));
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kRunning);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_buffers, 2u) << "buffer 1 freed, 2 kept, 3 carried";
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 48u);
  EXPECT_EQ(ledger_.process(p).handover.handovers, 2u);
  EXPECT_EQ(ledger_.process(p).handover.missed_frees, 0u);
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

// A device closed while the process accounted in itself: the close leaked
// buffers there — some the interim books held, some the server held — and
// the device was opened again. Handed back as the client hands it (names,
// what the interim books settled, the devices open now, the live buffers),
// the rejoined books equal books that saw the whole stream: every leak
// booked, the device open, no anomaly. (Before, only live buffers and
// unmatched frees travelled: the leaks booked in the process were lost.)
TEST_F(CarryOverTest, ARejoinedProcessKeepsTheLeaksOfADeviceClosedMeanwhile) {
  using Step = std::pair<Event, std::string>;
  auto hook = [](EventKind kind, const Buf& b) { return Step{HookEvent(kind, b), {}}; };
  auto named = [](EventKind kind, std::uint8_t type, std::uint32_t tag, std::string payload) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(kind);
    e.type = type;
    e.tag = tag;
    return Step{e, std::move(payload)};
  };
  const std::string n300 = EncodeDeviceDescription({"n300", {{MEMLEDGER_DRAM, 1 << 30}}});
  const std::vector<Step> served = {
      named(EventKind::kPool, kScratchPool, 0, "scratch"),
      named(EventKind::kTag, 0, 3, "kv_cache"),
      named(EventKind::kDeviceOpen, 0, 0, n300),
      hook(EventKind::kAlloc, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 64, .tag = 3}),
      hook(EventKind::kAlloc, {.type = MEMLEDGER_L1, .id = 2, .address = 0x2000, .size = 32}),
      hook(EventKind::kAlloc, {.type = MEMLEDGER_L1, .id = 0, .address = 0x5000, .size = 128}),
  };
  const std::vector<Step> meanwhile = {
      hook(EventKind::kFree, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000}),
      hook(EventKind::kFree, {.type = MEMLEDGER_L1, .id = 0, .address = 0x5000}),
      hook(EventKind::kAlloc, {.type = MEMLEDGER_L1, .id = 0, .address = 0x5000, .size = 256}),  // the address again
      hook(EventKind::kAlloc, {.type = kScratchPool, .id = 3, .address = 0x9000, .size = 16, .tag = 3}),
      hook(EventKind::kDeviceClose, {}),
      named(EventKind::kDeviceOpen, 0, 0, n300),
      hook(EventKind::kAlloc, {.type = MEMLEDGER_DRAM, .id = 4, .address = 0x1000, .size = 8}),
  };
  const std::vector<Step> after = {hook(EventKind::kFree, {.type = MEMLEDGER_DRAM, .id = 4, .address = 0x1000})};
  auto play = [](Ledger& ledger, ProcessIndex p, std::uint64_t& seq, const std::vector<Step>& steps) {
    for (const auto& [event, payload] : steps) {
      Event e = event;
      e.seq = ++seq;
      e.payload_bytes = static_cast<std::uint32_t>(payload.size());
      ledger.Apply(p, Record{e, payload});
    }
  };

  // The truth: books that saw the whole stream.
  Ledger whole;
  const ProcessIndex w = whole.BeginProcess(1000, "app");
  std::uint64_t whole_seq = 0;
  play(whole, w, whole_seq, served);
  play(whole, w, whole_seq, meanwhile);

  // The server's books, released at the stall.
  const ProcessIndex p = Begin(1000, "app");
  std::uint64_t seq = 0;
  play(ledger_, p, seq, served);
  ledger_.ReleaseProcess(p);
  // The process's books meanwhile, begun with its names (TakeRingBack).
  Ledger interim;
  const ProcessIndex q = interim.BeginProcess(1000, "app");
  interim.JoinLate(q, Handover{.handovers = 1});
  std::vector<Event> names;
  for (const Step& step : {served[0], served[1]}) AppendRecord(names, step.first, step.second);
  std::vector<Event> taken = names;
  AppendRecord(taken, served[2].first, served[2].second);
  ApplyCarriedOver(interim, q, taken);
  play(interim, q, seq, meanwhile);
  EXPECT_EQ(interim.process(q).leaked_buffers, 2u) << "the close leaked what the interim books held there";

  // Handed back (HandRingBack's order) and rejoined.
  std::vector<Event> carried = names;
  AppendCarryBack(interim, q, carried);
  AppendRecord(carried, served[2].first, served[2].second);  // the device, open again
  AppendLiveBuffers(interim, q, carried);
  EXPECT_EQ(ApplyCarriedOver(ledger_, p, carried, CarriedFrees::kMatch), 2u);
  ASSERT_TRUE(ledger_.Rejoin(p, Handover{.handovers = 2, .records_elsewhere = meanwhile.size()}));
  ASSERT_EQ(ledger_.Validate(), std::nullopt);
  EXPECT_TRUE(ledger_.process(p).open_devices.contains(0)) << "closed and opened again meanwhile";
  EXPECT_EQ(ledger_.live_buffer_count(), whole.live_buffer_count());
  play(ledger_, p, seq, after);
  play(whole, w, whole_seq, after);
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  whole.EndProcess(w, ProcessState::kExited, 0);

  const ProcessBooks& books = ledger_.process(p);
  EXPECT_EQ(books.leaked_buffers, whole.process(w).leaked_buffers);
  EXPECT_EQ(books.leaked_bytes, whole.process(w).leaked_bytes);
  EXPECT_EQ(books.leaked_buffers, 3u) << "buffer 2 (the server's), 0x5000 and 3 (the process's)";
  EXPECT_EQ(books.leaked_bytes, 32u + 256 + 16);
  for (std::uint16_t type = 0; type < ledger_.type_count(); ++type) {
    EXPECT_EQ(All(0, type).leaked_bytes, whole.devices()[0].types[type].leaked_bytes) << ledger_.type_name(type);
    EXPECT_EQ(All(0, type).leaked_buffers, whole.devices()[0].types[type].leaked_buffers) << ledger_.type_name(type);
  }
  std::uint64_t kv_cache_leaks = 0;
  for (const auto& [key, totals] : ledger_.leak_sites()) {
    if (ledger_.tag_name(key.process, key.tag) == "kv_cache") kv_cache_leaks += totals.bytes;
  }
  EXPECT_EQ(kv_cache_leaks, 16u) << "a leak keeps its tag across the handback";
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(books.handover.missed_frees, 0u);
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

// A later segment of a capture begins with the books' names as records
// (AppendDeclaredNames): replayed into other books they define the same
// names, the devices open now opened as described, and the carried buffers
// book in their pools, with their tags and stacks.
TEST_F(CarryOverTest, TheBooksOwnNamesDefineEverythingAgainElsewhere) {
  const ProcessIndex p = Begin();
  HoldOneOfEach(p);
  Event module{};
  module.kind = static_cast<std::uint8_t>(EventKind::kModule);
  Apply(p, module, EncodeModule({.base = 0, .start = 0x400000, .end = 0x480000, .build_id = "id", .path = "/bin/app"}));
  Event frame{};
  frame.kind = static_cast<std::uint8_t>(EventKind::kLanguageFrame);
  frame.address = LanguageFrameValue(9);
  Apply(p, frame, EncodeLanguageFrame({"Model.forward", "model.py", 12}));
  for (std::uint32_t id : {7u, 2u}) {
    Event stack{};
    stack.kind = static_cast<std::uint8_t>(EventKind::kStack);
    stack.stack = id;
    const std::vector<std::uint64_t> frames = {0x401000 + id, LanguageFrameValue(9)};
    Apply(p, stack, EncodeStack(frames));
  }
  Event skip{};
  skip.kind = static_cast<std::uint8_t>(EventKind::kSkipFrames);
  Apply(p, skip, "^tt::alloc");
  Tag(p, 1, "weights");
  DeviceOpen(p, 0, "n150", {{MEMLEDGER_DRAM, 1 << 20}});
  DeviceOpen(p, 2, "gone", {{MEMLEDGER_DRAM, 1 << 20}});
  DeviceClose(p, 2);
  Alloc(p, Buf{.device = 0, .type = MEMLEDGER_DRAM, .id = 40, .address = 0x40, .size = 64, .tag = 1, .stack = 7});

  std::vector<Event> carried;
  AppendDeclaredNames(ledger_, p, carried);
  std::vector<Event> again;
  AppendDeclaredNames(ledger_, p, again);
  EXPECT_EQ(std::memcmp(carried.data(), again.data(), carried.size() * sizeof(Event)), 0) << "the same every time";
  AppendLiveBuffers(ledger_, p, carried);
  Ledger other;
  const ProcessIndex q = other.BeginProcess(1000, "app");
  ApplyCarriedOver(other, q, carried);

  const ProcessBooks& from = ledger_.process(p);
  const ProcessBooks& to = other.process(q);
  EXPECT_EQ(to.anomalies, AnomalyCounts{}) << "every record of the stream was taken";
  EXPECT_EQ(to.lost_slots, 0u);
  EXPECT_EQ(to.modules.size(), 1u);
  EXPECT_EQ(to.modules[0].path, "/bin/app");
  EXPECT_EQ(to.language_frames, from.language_frames);
  EXPECT_EQ(to.stacks, from.stacks);
  EXPECT_EQ(to.skip_frames, from.skip_frames);
  EXPECT_EQ(to.tag_names, from.tag_names);
  EXPECT_EQ(to.open_devices, from.open_devices) << "devices 0 and 1 open, as last described; 2 closed";
  EXPECT_EQ(other.local_type_name(q, kScratchPool), "scratch");
  EXPECT_EQ(other.devices()[other.DeviceOf(q, 0)].name, "n150");
  EXPECT_EQ(to.handover.carried_buffers, 6u);
  EXPECT_EQ(other.live_buffer_count(), ledger_.live_buffer_count());
  std::uint64_t weights_bytes = 0;
  other.ForEachLiveOf(q, [&](const LiveKey&, const LiveBuffer& buffer) {
    if (other.tag_name(0, buffer.tag) == "weights" && buffer.stack == 7) weights_bytes += buffer.size;
  });
  EXPECT_EQ(weights_bytes, 64u);
}

}  // namespace
}  // namespace memledger::ledger_test
