// ledger.cc — the accounting rules (see ledger.h and docs/architecture.md,
// "Ordering and identity").
//
// Overlap classification: when an ALLOC intersects a live buffer A of the same
// process, device and type, A is marked. If A's FREE then arrives within
// kLateFreeWindow events of that ALLOC, the overlap was the integrator's free
// hook running after the address went back to the allocator: late_free_hook.
// If A is freed much later, replaced, or leaks, the two buffers really
// overlapped: overlap.
#include "ledger/ledger.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <tuple>

#include "event/buffer_memory_type.h"

namespace memledger {
namespace {
// Debug builds check the invariants at every state transition that settles
// books, while the ledger is small enough for an O(live) walk each time.
void CheckInvariants([[maybe_unused]] const Ledger& ledger) {
#ifndef NDEBUG
  constexpr std::size_t kMaxLiveToValidate = 1 << 16;
  if (ledger.live_buffer_count() > kMaxLiveToValidate) return;
  if (const auto violation = ledger.Validate()) {
    std::fprintf(stderr, "memledger: ledger invariant broken: %s\n", violation->c_str());
    std::abort();
  }
#endif
}

constexpr std::uint64_t kLateFreeWindow = 1 << 16;  // events
constexpr std::uint64_t kMaxBufferBytes = 1ULL << 48;  // 256 TiB
constexpr std::size_t kMaxMarksPerProcess = 1 << 20;
constexpr std::size_t kMaxStacksPerProcess = 1 << 20;
constexpr std::size_t kMaxModulesPerProcess = 1 << 12;
constexpr std::size_t kMaxLanguageFramesPerProcess = 1 << 18;  // of at most 2 KiB of text each
constexpr std::size_t kMaxSkipFramesPerProcess = 64;

// `buffer` (of `identity`) as an anomaly names it.
AnomalyBuffer Named(std::uint64_t identity, const LiveBuffer& buffer) {
  return AnomalyBuffer{identity, buffer.address, buffer.size, buffer.seq, buffer.stack, buffer.tag};
}

// An anomaly's facts so far: the event that showed it (`seq`, at `time_ns`), on `device` (ledger-wide) and `type`.
AnomalyExample ExampleAt(std::uint64_t seq, std::uint64_t time_ns, std::uint16_t device, std::uint16_t type,
                         BufferClass cls) {
  AnomalyExample example;
  example.seq = seq;
  example.time_ns = time_ns;
  example.device = device;
  example.type = type;
  example.cls = cls;
  return example;
}

std::uint64_t AddressIndexKey(std::uint32_t process, std::uint16_t device, std::uint16_t type) {
  return (static_cast<std::uint64_t>(process) << 32) | (static_cast<std::uint64_t>(device) << 16) | type;
}
std::uint64_t EndOf(std::uint64_t address, std::uint64_t size) {
  return address + size < address ? std::numeric_limits<std::uint64_t>::max() : address + size;
}
// Names the ledger keeps are valid UTF-8 of at most 256 bytes (record.h).
std::string BoundedName(std::string_view payload) { return DecodeName(payload); }

// Address 0 with an identity of its own means "no address" (a kernel known by
// its program id, say): such a buffer cannot overlap and is not indexed.
bool HasAddress(const LiveKey& key, const LiveBuffer& buffer) { return buffer.address != 0 || key.identity == 0; }
// In a declared space that begins at 0, address 0 is an address like any.
bool InMap(const LiveKey& key, const LiveBuffer& buffer, const FreeSpaceMap& map) {
  return HasAddress(key, buffer) || map.geometry().base == 0;
}

// Answers AddressIndex's question for the index of (key's process, device,
// class, type): is `identity` live there at `address`?
auto LiveIn(LiveTable& live, LiveKey key) {
  return [&live, key](std::uint64_t identity, std::uint64_t address) -> LiveBuffer* {
    const auto it = live.find(LiveKey{key.process, key.device, key.cls, key.type, identity});
    if (it == live.end() || it->second.address != address) return nullptr;
    return &it->second;
  };
}
}  // namespace

std::string_view AnomalyName(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kUnknownFree: return "unknown_free";
    case Anomaly::kDoubleFree: return "double_free";
    case Anomaly::kDoubleAlloc: return "double_alloc";
    case Anomaly::kOverlap: return "overlap";
    case Anomaly::kLateFreeHook: return "late_free_hook";
    case Anomaly::kInvalidEvent: return "invalid_events";
    case Anomaly::kDeviceConflict: return "device_conflict";
    case Anomaly::kOutsideAddressSpace: return "outside_address_space";
  }
  return "unknown";
}

std::string_view ProcessStateName(ProcessState state) {
  switch (state) {
    case ProcessState::kRunning: return "running";
    case ProcessState::kExited: return "exited";
    case ProcessState::kKilled: return "killed";
    case ProcessState::kReleased: return "released";
  }
  return "unknown";
}

Ledger::Ledger(std::size_t recent_free_log2) : recent_frees_(recent_free_log2) {
  for (int t = 0; t < kBuiltinTypeCount; ++t) AddTypeName(std::string(BuiltinTypeName(static_cast<std::uint8_t>(t))));
}

ProcessIndex Ledger::BeginProcess(std::uint32_t pid, std::string comm, std::optional<std::uint32_t> uid) {
  ProcessBooks books;
  books.pid = pid;
  books.uid = uid;
  books.comm = DecodeName(comm);
  books.type_map.fill(kNoType);
  for (int t = 0; t < kBuiltinTypeCount; ++t) books.type_map[t] = static_cast<std::uint16_t>(t);
  processes_.push_back(std::move(books));
  places_.emplace_back();
  return static_cast<ProcessIndex>(processes_.size() - 1);
}

void Ledger::JoinLate(ProcessIndex process, const Handover& before) {
  Handover& handover = processes_[static_cast<std::uint32_t>(process)].handover;
  handover.joined_late = true;
  handover.handovers += before.handovers;
  handover.records_elsewhere += before.records_elsewhere;
  handover.missed_frees += before.missed_frees;
}

void Ledger::ReleaseProcess(ProcessIndex process) {
  ProcessBooks& books = processes_[static_cast<std::uint32_t>(process)];
  if (books.state == ProcessState::kRunning) books.state = ProcessState::kReleased;
  // Its checkpoints go with its stream: a query of them here would miss what the other consumer books.
  DropCheckpoints(static_cast<std::uint32_t>(process));
  books.first_seq = 0;  // a stretch ends: the checkpoints of the next are known from its first record
}

void Ledger::Skip(ProcessIndex process, const Record& record) {
  ProcessBooks& books = processes_[static_cast<std::uint32_t>(process)];
  if (books.first_seq == 0) books.first_seq = record.event.seq;
}

void Ledger::EndReleased(ProcessIndex process) {
  if (processes_[static_cast<std::uint32_t>(process)].state != ProcessState::kReleased) return;
  ReleaseLive(static_cast<std::uint32_t>(process), std::nullopt, ReleaseAs::kAccountedElsewhere);
}

bool Ledger::Rejoin(ProcessIndex process, const Handover& gap) {
  ProcessBooks& books = processes_[static_cast<std::uint32_t>(process)];
  if (books.state != ProcessState::kReleased) return false;
  books.state = ProcessState::kRunning;
  books.handover.handovers = std::max(books.handover.handovers, gap.handovers);
  books.handover.records_elsewhere += gap.records_elsewhere;
  books.handover.missed_frees += gap.missed_frees;
  return true;
}

void Ledger::ApplyCarriedAlloc(ProcessIndex process, const Record& record) {
  const auto p = static_cast<std::uint32_t>(process);
  ProcessBooks& books = processes_[p];
  const std::size_t live_before = live_count_;
  const Event& e = record.event;
  const KindRow& row = KindRowOf(record.kind());
  if (row.life != BufferLife::kBegins) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  OnAlloc(books, p, e, row.cls);
  if (live_count_ == live_before) return;  // refused as invalid, or replaced a live one
  ++books.handover.carried_buffers;
  books.handover.carried_bytes += e.size;
}

void Ledger::Apply(ProcessIndex process, const Record& record) {
  const auto p = static_cast<std::uint32_t>(process);
  ProcessBooks& books = processes_[p];
  ++events_;
  ++books.events;
  const Event& e = record.event;
  if (books.first_seq == 0) books.first_seq = e.seq;  // carried-over names have none (0)
  applying_time_ns_ = e.time_ns;
  if (origin_ns_ == 0) origin_ns_ = e.time_ns;
  // A buffer event by its row (event_kind.h); the other kinds by their own.
  switch (const KindRow& row = KindRowOf(record.kind()); row.life) {
    case BufferLife::kBegins: OnAlloc(books, p, e, row.cls); return;
    case BufferLife::kEnds: OnFree(books, p, e, row.cls); return;
    case BufferLife::kNone: break;
  }
  switch (record.kind()) {
    case EventKind::kDeviceOpen: OnDeviceOpen(books, p, record); break;
    case EventKind::kDeviceClose:
      if (e.device >= kMaxDevices) {
        Count(books, Anomaly::kInvalidEvent);
        break;
      }
      CloseDevice(books, p, e.device);
      CheckInvariants(*this);
      break;
    case EventKind::kTag: books.tag_names[e.tag] = BoundedName(record.payload); break;
    case EventKind::kMark:
      if (books.marks.size() < kMaxMarksPerProcess) books.marks.emplace_back(e.time_ns, BoundedName(record.payload));
      break;
    case EventKind::kPool: OnPool(books, record); break;
    case EventKind::kStack: OnStack(books, record); break;
    case EventKind::kLanguageFrame: OnLanguageFrame(books, record); break;
    case EventKind::kAllocFailed: OnAllocFailed(books, p, e); break;
    case EventKind::kCheckpoint: OnCheckpoint(books, p, e.seq); break;
    case EventKind::kCheckpointEnd: OnCheckpointEnd(books, p, e.buffer_id); break;
    case EventKind::kSkipFrames:
      // Kept as sent (a report compiles them; one RE2 refuses is left out
      // there); the same pattern twice once.
      if (std::string pattern = BoundedName(record.payload);
          !pattern.empty() && books.skip_frames.size() < kMaxSkipFramesPerProcess &&
          std::find(books.skip_frames.begin(), books.skip_frames.end(), pattern) == books.skip_frames.end()) {
        books.skip_frames.push_back(std::move(pattern));
      }
      break;
    case EventKind::kModule:
      if (auto module = DecodeModule(record.payload); module && books.modules.size() < kMaxModulesPerProcess) {
        books.modules.push_back(std::move(*module));
      } else {
        Count(books, Anomaly::kInvalidEvent);
      }
      break;
    case EventKind::kProcess:
      books.pid = static_cast<std::uint32_t>(e.buffer_id);
      if (e.size != 0 && e.size - 1 <= std::numeric_limits<std::uint32_t>::max()) {
        books.uid = static_cast<std::uint32_t>(e.size - 1);
      }
      if (!record.payload.empty()) books.comm = BoundedName(record.payload);
      break;
    case EventKind::kProcessEnd:
      books.dropped_events += e.size;
      books.lost_slots += e.address;
      EndProcess(process, e.type == static_cast<std::uint8_t>(ProcessState::kKilled) ? ProcessState::kKilled
                                                                                     : ProcessState::kExited,
                 static_cast<std::int64_t>(e.buffer_id));
      break;
    case EventKind::kInvalid:
    default: Count(books, Anomaly::kInvalidEvent); break;
  }
}

std::optional<std::uint16_t> Ledger::LedgerType(const ProcessBooks& books, std::uint8_t local_type) const {
  if (local_type >= MEMLEDGER_MAX_TYPES || books.type_map[local_type] == kNoType) return std::nullopt;
  return books.type_map[local_type];
}

TypeCounters& Ledger::ProcessCounters(ProcessBooks& books, std::uint16_t device, std::uint16_t type) {
  if (books.devices.size() <= device) books.devices.resize(device + 1);
  auto& counters = books.devices[device];
  if (!counters) counters = std::make_unique<TypeCounterTable>();
  return counters->At(type);
}

std::uint16_t Ledger::DeviceFor(ProcessBooks& books, std::uint16_t local) {
  if (books.device_ids.size() <= local) books.device_ids.resize(local + 1, kNoDevice);
  std::uint16_t& id = books.device_ids[local];
  if (id == kNoDevice) id = *devices_.Find({}, local);  // a number always finds its device
  return id;
}

std::optional<std::uint16_t> Ledger::BindOpened(ProcessBooks& books, std::uint32_t process, std::uint16_t local,
                                                std::string_view uid) {
  auto named = devices_.Find(uid, local);
  if (!named) {  // a new uid with the table full: the device of its number
    Count(books, Anomaly::kInvalidEvent);
    named = devices_.Find({}, local);
  }
  if (books.device_ids.size() <= local) books.device_ids.resize(local + 1, kNoDevice);
  std::uint16_t& bound = books.device_ids[local];
  if (bound != kNoDevice && bound != *named) {
    // Used before (without an open, or closed since) as another device. Its
    // accounts point at that device's counters: they go, unless buffers
    // booked there are still live (allocated before the open named the
    // device), which stay where they were booked.
    const LiveTable* live = LiveTableOf(process, local);
    if (live != nullptr && !live->empty()) {
      Count(books, Anomaly::kDeviceConflict);
      ++devices_[bound].conflicts;
      return std::nullopt;
    }
    if (local < places_[process].size()) places_[process][local].reset();
    last_account_ = nullptr;
  }
  bound = *named;
  return bound;
}

Ledger::Account& Ledger::AccountFor(std::uint32_t process, std::uint16_t device, std::uint8_t local_type,
                                    BufferClass cls) {
  // Streams repeat the same account event after event: remember the last one.
  const std::uint64_t key = (std::uint64_t{process} << 32) | (std::uint64_t{device} << 16) |
                            (std::uint64_t{local_type} << 8) | static_cast<std::uint8_t>(cls);
  if (key == last_account_key_ && last_account_ != nullptr) return *last_account_;
  Place& place = PlaceOf(process, device);
  const std::size_t slot = local_type * kBufferClassCount + static_cast<std::size_t>(cls);
  auto& account = place.accounts[slot];
  if (!account) {
    ProcessBooks& books = processes_[process];
    const std::uint16_t id = DeviceFor(books, device);
    const std::uint16_t type = books.type_map[local_type];  // mapped, and for good (OnPool)
    account.reset(new Account{&ProcessCounters(books, id, type), &devices_[id].types.At(type), &place.live, type, id,
                              {}, nullptr, true});
    SetSpace(place, slot);
  }
  last_account_key_ = key;
  last_account_ = account.get();
  return *account;
}

void Ledger::OnAlloc(ProcessBooks& books, std::uint32_t process, const Event& e, BufferClass cls) {
  const std::uint8_t local_type = BufferMemoryType(cls, e.type);
  if (!LedgerType(books, local_type) || e.size == 0 || e.size > kMaxBufferBytes || e.device >= kMaxDevices) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  Account& account = AccountFor(process, e.device, local_type, cls);
  // A size that would overflow the device's total is corrupt input: counting
  // it would break the books for everyone.
  if (account.device_counters->live_bytes + e.size < e.size) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  const LiveKey key{process, e.device, cls, local_type, e.buffer_id != 0 ? e.buffer_id : e.address};
  const LiveBuffer buffer{.address = e.address, .size = e.size, .seq = e.seq, .time_ns = e.time_ns, .stack = e.stack,
                          .tag = e.tag, .first_overlap_after = 0, .type = account.type, .overlapped_by = 0,
                          .overlapped_older = 0, .met_at_reindex = 0};
  auto [it, inserted] = account.live->try_emplace(key, buffer);
  if (inserted) {
    ++live_count_;
  } else {
    const LiveBuffer& replaced = it->second;  // a lambda cannot name a structured binding (clang 14)
    Count(books, AnomalySiteKey{process, Anomaly::kDoubleAlloc, e.stack, replaced.stack}, 1, [&] {
      AnomalyExample example = ExampleAt(e.seq, e.time_ns, account.device, account.type, cls);
      example.buffer = Named(key.identity, replaced);
      example.other = Named(key.identity, buffer);
      return example;
    });
    Release(books, key, it->second, ReleaseAs::kReplaced, e.seq, e.stack);
    it->second = buffer;
  }
  account.process_counters->Add(e.size);
  account.device_counters->Add(e.size);
  if (account.overlaps_count && HasAddress(key, it->second)) IndexAndMarkOverlaps(account, key, it->second);
  if (account.space != nullptr) Occupy(books, key, it->second, account);
  if (listener_ != nullptr) listener_->OnLive(key, it->second);
  if (CheckpointBooks* checkpoints = ArmedCheckpoints(process)) checkpoints->OnAlloc(e.seq, key);
}

void Ledger::Occupy(ProcessBooks& books, const LiveKey& key, const LiveBuffer& buffer, const Account& account) {
  FreeSpaceMap& map = *account.space;
  if (!InMap(key, buffer, map) || map.Occupy(buffer.address, EndOf(buffer.address, buffer.size))) return;
  Count(books, AnomalySiteKey{key.process, Anomaly::kOutsideAddressSpace, buffer.stack, buffer.stack}, 1, [&] {
    AnomalyExample example = ExampleAt(buffer.seq, buffer.time_ns, account.device, buffer.type, key.cls);
    example.buffer = Named(key.identity, buffer);
    return example;
  });
}

void Ledger::SetSpace(Place& place, std::size_t slot) {
  Account& account = *place.accounts[slot];
  const AddressSpaces& spaces = devices_.devices()[account.device].spaces;
  account.space = place.in_maps ? spaces.MapOf(account.type) : nullptr;
  // Circular buffers placed within L1 take turns in one region: their ranges overlap by design.
  const bool overlaps_count = !spaces.PlacedWithin(account.type);
  if (overlaps_count == account.overlaps_count) return;
  account.overlaps_count = overlaps_count;
  Reindex(place, slot);
}

void Ledger::Reindex(Place& place, std::size_t slot) {
  Account& account = *place.accounts[slot];
  account.index = AddressIndex{};
  if (!account.overlaps_count) return;
  const auto type = static_cast<std::uint8_t>(slot / kBufferClassCount);  // the process's own
  const auto cls = static_cast<BufferClass>(slot % kBufferClassCount);
  std::vector<std::pair<const LiveKey*, LiveBuffer*>> buffers;
  for (auto& [key, buffer] : place.live) {
    if (key.type == type && key.cls == cls && HasAddress(key, buffer)) buffers.emplace_back(&key, &buffer);
  }
  // By address, so the marks do not depend on the table's hash order: a
  // buffer that starts before the furthest end so far lies partly inside an
  // earlier one (the one-neighbour rule of Insert would not tell, when a
  // smaller buffer sits between them): it and the one reaching furthest are
  // marked. Every entry unmarked then starts past every live range before
  // it, so none left stale lies inside a live range.
  std::sort(buffers.begin(), buffers.end(), [](const auto& a, const auto& b) {
    return std::tie(a.second->address, a.first->identity) < std::tie(b.second->address, b.first->identity);
  });
  std::uint64_t reach = 0;  // every buffer ends past 0: `reaching` is set once reach is
  LiveBuffer* reaching = nullptr;
  for (const auto& [key, buffer] : buffers) {
    const std::uint64_t end = EndOf(buffer->address, buffer->size);
    if (buffer->address < reach) {
      buffer->met_at_reindex = true;
      reaching->met_at_reindex = true;
    }
    account.index.Insert(buffer->address, end, key->identity, LiveIn(place.live, *key),
                         [](std::uint64_t, LiveBuffer&) {});  // marked above
    if (end > reach) {
      reach = end;
      reaching = buffer;
    }
  }
}

void Ledger::IndexAndMarkOverlaps(Account& account, const LiveKey& key, LiveBuffer& buffer) {
  auto mark = [&](std::uint64_t identity, LiveBuffer& older) {
    buffer.overlapped_older = true;
    if (older.overlapped_by == 0) {
      overlap_partners_.insert_or_assign(LiveKey{key.process, key.device, key.cls, key.type, identity},
                                         Named(key.identity, buffer));
      older.first_overlap_after = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(buffer.seq - older.seq, std::numeric_limits<std::uint32_t>::max()));
    }
    if (older.overlapped_by != LiveBuffer::kMaxOverlappedBy) ++older.overlapped_by;
  };
  account.index.Insert(buffer.address, EndOf(buffer.address, buffer.size), key.identity,
                       LiveIn(*account.live, key), mark);
}

void Ledger::OnFree(ProcessBooks& books, std::uint32_t process, const Event& e, BufferClass cls) {
  if (e.device >= kMaxDevices) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  const LiveKey key{process, e.device, cls, BufferMemoryType(cls, e.type), e.buffer_id != 0 ? e.buffer_id : e.address};
  const std::size_t hash = LiveKeyHash{}(key);
  LiveTable* live = LiveTableOf(process, e.device);
  const auto it = live != nullptr ? live->find(key, hash) : LiveTable::iterator{};
  if (live == nullptr || it == live->end()) [[unlikely]] {
    OnUnmatchedFree(books, key, hash, e);
    return;
  }
  FreeLive(books, *live, it, hash, e);
}

[[gnu::always_inline]] inline void Ledger::FreeLive(ProcessBooks& books, LiveTable& live, LiveTable::iterator it,
                                                    std::size_t hash, const Event& e) {
  const LiveKey key = it->first;
  recent_frees_.Remember(key, hash, it->second, e.seq, e.stack);
  Release(books, key, it->second, ReleaseAs::kFreed, e.seq, e.stack);
  live.erase(it);
  --live_count_;
}

void Ledger::OnUnmatchedFree(ProcessBooks& books, const LiveKey& key, std::size_t hash, const Event& e) {
  const std::uint16_t device = key.device < books.device_ids.size() ? books.device_ids[key.device] : kNoDevice;
  if (const FreedBuffer* freed = recent_frees_.Find(key, hash)) {
    Count(books, AnomalySiteKey{key.process, Anomaly::kDoubleFree, e.stack, freed->alloc_stack}, 1, [&] {
      AnomalyExample example = ExampleAt(e.seq, e.time_ns, device, freed->type, key.cls);
      example.buffer = AnomalyBuffer{key.identity,     freed->address,     freed->size,
                                     freed->alloc_seq, freed->alloc_stack, freed->tag};
      example.first_free_seq = freed->free_seq;
      example.first_free_stack = freed->free_stack;
      return example;
    });
    return;
  }
  // Not in its own type: a free whose type is wrong or missing (see the
  // identity rule in live_buffers.h) frees its identity in another type.
  if (LiveTable* live = LiveTableOf(key.process, key.device)) {
    if (const auto it = FindInAnotherType(*places_[key.process][key.device], key); it != live->end()) {
      const LiveBuffer freed = it->second;
      FreeLive(books, *live, it, LiveKeyHash{}(it->first), e);
      recent_frees_.Remember(key, hash, freed, e.seq, e.stack);  // the same free again is a double free too
      return;
    }
  }
  if (books.handover.joined_late) {
    ++books.handover.missed_frees;  // most likely allocated before these books began
    if (books.carry_back.size() < kMaxUnmatchedFrees) books.carry_back.push_back(e);
  } else {
    Count(books, AnomalySiteKey{key.process, Anomaly::kUnknownFree, e.stack, 0}, 1, [&] {
      AnomalyExample example = ExampleAt(e.seq, e.time_ns, device, LedgerType(books, key.type).value_or(kNoType), key.cls);
      example.buffer.identity = key.identity;
      example.buffer.address = e.address;
      example.buffer.tag = e.tag;
      return example;
    });
  }
}

LiveTable::iterator Ledger::FindInAnotherType(Place& place, const LiveKey& key) {
  const auto cls = static_cast<std::size_t>(key.cls);
  for (std::size_t type = 0; type < MEMLEDGER_MAX_TYPES; ++type) {
    if (type == key.type || !place.accounts[type * kBufferClassCount + cls]) continue;  // never held one
    LiveKey other = key;
    other.type = static_cast<std::uint8_t>(type);
    if (const auto it = place.live.find(other); it != place.live.end()) return it;
  }
  return place.live.end();
}

template <typename Example>
void Ledger::Count(ProcessBooks& books, const AnomalySiteKey& site, std::uint64_t n, Example&& example) {
  books.anomalies[static_cast<int>(site.kind)] += n;
  if (auto it = anomaly_sites_.find(site); it != anomaly_sites_.end()) {
    it->second.count += n;
  } else if (anomaly_sites_.size() < kMaxAnomalySites) {
    anomaly_sites_.emplace(site, AnomalySiteTotals{n, example()});
  }
}

void Ledger::Release(ProcessBooks& books, const LiveKey& key, const LiveBuffer& buffer, ReleaseAs how,
                     std::uint64_t seq, std::uint32_t stack) {
  if (listener_ != nullptr) listener_->OnGone(key, buffer, how, applying_time_ns_);
  if (CheckpointBooks* checkpoints = ArmedCheckpoints(key.process)) checkpoints->OnRelease(buffer.seq);
  Account& account = AccountFor(key.process, key.device, key.type, key.cls);
  TypeCounters& mine = *account.process_counters;
  TypeCounters& all = *account.device_counters;
  mine.Remove(buffer.size);
  all.Remove(buffer.size);
  if (how == ReleaseAs::kFreed) {
    ++mine.frees;
    ++all.frees;
  } else if (how == ReleaseAs::kLeaked) {
    ++mine.leaked_buffers;
    ++all.leaked_buffers;
    mine.leaked_bytes += buffer.size;
    all.leaked_bytes += buffer.size;
    ++books.leaked_buffers;
    books.leaked_bytes += buffer.size;
    LeakSiteTotals& site = leak_sites_[LeakSiteKey{account.device, buffer.type, buffer.tag, buffer.stack, key.process}];
    ++site.buffers;
    site.bytes += buffer.size;
  }
  if (account.space != nullptr && InMap(key, buffer, *account.space)) {
    account.space->Release(buffer.address, EndOf(buffer.address, buffer.size));
  }
  if (account.overlaps_count && HasAddress(key, buffer)) {
    if (buffer.in_overlap()) {
      account.index.Erase(buffer.address, key.identity);
    } else {
      account.index.Released();
    }
  }
  // Its overlaps are counted when it is freed or leaked here; of one
  // accounted elsewhere this ledger cannot tell which it was.
  if (buffer.overlapped_by != 0) {
    auto partner = overlap_partners_.extract(key);
    if (how != ReleaseAs::kAccountedElsewhere) {
      const bool late_free =
          how == ReleaseAs::kFreed && seq - (buffer.seq + buffer.first_overlap_after) <= kLateFreeWindow;
      const AnomalySiteKey site{key.process, late_free ? Anomaly::kLateFreeHook : Anomaly::kOverlap, stack,
                                buffer.stack};
      Count(books, site, buffer.overlapped_by, [&] {
        AnomalyExample example = ExampleAt(seq, applying_time_ns_, account.device, account.type, key.cls);
        example.buffer = Named(key.identity, buffer);
        if (partner) example.other = partner.mapped();
        example.overlapped_by = buffer.overlapped_by;
        return example;
      });
    }
  }
}

void Ledger::ReleaseLive(std::uint32_t process, std::optional<std::uint16_t> device, ReleaseAs how) {
  auto& places = places_[process];
  std::vector<std::pair<std::uint64_t, LiveKey>> leaked;  // (seq, key)
  for (std::size_t d = 0; d < places.size(); ++d) {
    if (!places[d] || (device && d != *device)) continue;
    for (const auto& [key, buffer] : places[d]->live) leaked.emplace_back(buffer.seq, key);
  }
  // Oldest first, so that the books do not depend on hash order.
  std::sort(leaked.begin(), leaked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  ProcessBooks& books = processes_[process];
  for (const auto& [seq, key] : leaked) {
    LiveTable& live = places[key.device]->live;
    auto it = live.find(key);
    Release(books, key, it->second, how, 0, 0);
    live.erase(it);
    --live_count_;
  }
}

Ledger::Place& Ledger::PlaceOf(std::uint32_t process, std::uint16_t device) {
  auto& places = places_[process];
  if (places.size() <= device) places.resize(device + 1);
  if (!places[device]) places[device] = std::make_unique<Place>();
  return *places[device];
}

LiveTable* Ledger::LiveTableOf(std::uint32_t process, std::uint16_t device) const {
  const auto& places = places_[process];
  return device < places.size() && places[device] ? &places[device]->live : nullptr;
}

void Ledger::OnDeviceOpen(ProcessBooks& books, std::uint32_t process, const Record& r) {
  const auto description = DecodeDeviceDescription(r.payload);
  const std::uint16_t local = r.event.device;
  if (!description || local >= kMaxDevices) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  // Reopening closes it first: for this process, whatever other processes did.
  if (books.open_devices.contains(local)) CloseDevice(books, process, local);
  const auto id = BindOpened(books, process, local, description->uid);
  books.open_devices[local] = std::string(r.payload);
  DeviceBooks& device = devices_[id ? *id : books.device_ids[local]];
  const bool held_by_others = device.openers != 0;
  ++device.openers;
  device.open = true;
  if (!id) return;  // open where its buffers are; described nothing it could adopt
  if (!held_by_others) {
    device.name.clear();
    device.capacity.clear();
  }
  // The description in the device's ledger-wide types; a conflict is a name
  // or a capacity both know and differ on.
  TypeTable<std::uint64_t> capacity;
  for (const memledger_capacity& cap : description->capacities) {
    if (const auto type = LedgerType(books, cap.type)) capacity.At(*type) = cap.bytes;
  }
  const std::string name = BoundedName(description->name);
  bool conflict = !device.name.empty() && !name.empty() && name != device.name;
  for (const auto& [t, bytes] : capacity) {
    conflict |= device.capacity[t] != 0 && bytes != 0 && bytes != device.capacity[t];
  }
  std::string problem;
  const std::vector<DeclaredSpace> spaces = SpacesOf(process, *description, &problem);
  const auto by_type = [](std::vector<DeclaredSpace> v) {
    std::sort(v.begin(), v.end(), [](const DeclaredSpace& a, const DeclaredSpace& b) { return a.type < b.type; });
    return v;
  };
  const bool adopt_spaces = !held_by_others || (device.spaces.empty() && !spaces.empty());
  conflict |= !adopt_spaces && !spaces.empty() && by_type(spaces) != by_type(device.spaces.declared());
  if (conflict) {
    Count(books, Anomaly::kDeviceConflict);
    ++device.conflicts;
    // Its addresses are the device's only as far as it described the spaces as the device has them.
    PlaceInMaps(process, local, spaces.empty() || by_type(spaces) == by_type(device.spaces.declared()));
    return;
  }
  PlaceInMaps(process, local, true);
  if (device.name.empty()) device.name = name;
  for (const auto& [t, bytes] : capacity) {
    if (bytes != 0 && device.capacity[t] == 0) device.capacity.At(static_cast<std::uint16_t>(t)) = bytes;
  }
  if (!problem.empty()) Count(books, Anomaly::kInvalidEvent);
  if (adopt_spaces) {
    device.space_problem = problem;
    AdoptSpaces(*id, spaces);
  } else if (device.space_problem.empty()) {
    device.space_problem = problem;
  }
}

std::vector<DeclaredSpace> Ledger::SpacesOf(std::uint32_t process, const DeviceDescription& description,
                                            std::string* problem) const {
  const ProcessBooks& books = processes_[process];
  std::vector<DeclaredSpace> spaces;
  for (const memledger_address_space& space : description.address_spaces) {
    const auto type = LedgerType(books, space.type);
    const auto within = LedgerType(books, space.within);
    std::string why = SpaceProblem(space);
    if (why.empty() && (!type || !within)) why = "a memory type it has not registered";
    if (!why.empty()) {
      if (problem->empty()) {
        *problem = "the address space of " + local_type_name(static_cast<ProcessIndex>(process), space.type) +
                   " was refused: " + why;
      }
      continue;
    }
    const SpaceGeometry geometry{space.base, space.size, std::max<std::uint32_t>(space.banks, 1),
                                 std::max<std::uint32_t>(space.alignment, 1)};
    spaces.push_back(DeclaredSpace{*type, *within, *type == *within ? geometry : SpaceGeometry{}});
  }
  return spaces;
}

void Ledger::AdoptSpaces(std::uint16_t device, const std::vector<DeclaredSpace>& spaces) {
  DeviceBooks& books = devices_[device];
  std::string why;
  books.spaces.Declare(spaces, type_names_, &why);
  // Accounts keep their space's map: every account on the device looks again.
  for (auto& places : places_) {
    for (auto& place : places) {
      if (!place) continue;
      for (std::size_t slot = 0; slot < place->accounts.size(); ++slot) {
        if (place->accounts[slot] && place->accounts[slot]->device == device) SetSpace(*place, slot);
      }
    }
  }
  if (!why.empty() && books.space_problem.empty()) books.space_problem = "an address space was refused: " + why;
  RebuildMaps(device);
}

void Ledger::RebuildMaps(std::uint16_t device) {
  const AddressSpaces& spaces = devices_[device].spaces;
  for (const DeclaredSpace& space : spaces.declared()) {
    if (FreeSpaceMap* map = spaces.MapOf(space.type); map != nullptr && space.within == space.type) {
      Rebuild(device, space.type, *map);
    }
  }
}

void Ledger::PlaceInMaps(std::uint32_t process, std::uint16_t local, bool in_maps) {
  Place& place = PlaceOf(process, local);
  if (place.in_maps == in_maps) return;
  place.in_maps = in_maps;
  for (std::size_t slot = 0; slot < place.accounts.size(); ++slot) {
    if (place.accounts[slot]) SetSpace(place, slot);
  }
  // Buffers it allocated before the open are in the maps, or left out, as the others' are.
  if (!place.live.empty()) RebuildMaps(DeviceOf(static_cast<ProcessIndex>(process), local));
}

std::vector<SpaceBlock> Ledger::BlocksOf(std::uint16_t device, std::uint16_t type, const FreeSpaceMap* map) const {
  std::vector<SpaceBlock> blocks;
  // Only the places (process, its number) that stand for `device`: other devices' buffers are not walked.
  for (std::uint32_t p = 0; p < places_.size(); ++p) {
    for (std::size_t local = 0; local < places_[p].size(); ++local) {
      if (!places_[p][local] || DeviceOf(static_cast<ProcessIndex>(p), static_cast<std::uint16_t>(local)) != device ||
          (map != nullptr && !places_[p][local]->in_maps)) {
        continue;
      }
      for (const auto& [key, buffer] : places_[p][local]->live) {
        if (buffer.type != type || (map != nullptr && !InMap(key, buffer, *map))) continue;
        blocks.push_back(SpaceBlock{buffer.address, EndOf(buffer.address, buffer.size), key.process, key.identity,
                                    buffer.seq, buffer.time_ns, buffer.stack, buffer.tag});
      }
    }
  }
  std::sort(blocks.begin(), blocks.end(), [](const SpaceBlock& a, const SpaceBlock& b) {
    return std::tie(a.start, a.end, a.process, a.identity) < std::tie(b.start, b.end, b.process, b.identity);
  });
  return blocks;
}

void Ledger::Rebuild(std::uint16_t device, std::uint16_t type, FreeSpaceMap& map) const {
  map.Clear();
  for (const SpaceBlock& block : BlocksOf(device, type, &map)) map.Occupy(block.start, block.end);
}

const FreeSpaceMap* Ledger::FreeSpace(std::uint16_t device, std::uint16_t type) const {
  if (device >= devices().size()) return nullptr;
  FreeSpaceMap* map = devices()[device].spaces.MapOf(type);
  if (map != nullptr && map->stale()) Rebuild(device, type, *map);
  return map;
}

void Ledger::OnAllocFailed(ProcessBooks& books, std::uint32_t process, const Event& e) {
  const auto type = LedgerType(books, e.type);
  if (!type || e.device >= kMaxDevices || e.size == 0 || e.size > kMaxBufferBytes) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  // A failure on a device the process has not opened is booked all the same
  // (nothing lost) and counted: its hook names the wrong device.
  if (!books.open_devices.contains(e.device)) Count(books, Anomaly::kInvalidEvent);
  const std::uint16_t device = DeviceFor(books, e.device);
  const DeviceBooks& on = devices_[device];
  AllocationFailure failure;
  failure.seq = e.seq;
  failure.time_ns = e.time_ns;
  failure.process = process;
  failure.device = device;
  failure.type = *type;
  failure.space_type = on.spaces.PlacedWithin(*type).value_or(*type);
  failure.stack = e.stack;
  failure.tag = e.tag;
  failure.size = e.size;
  failure.extent = e.address != 0 ? e.address : e.size;
  failure.capacity = on.capacity[*type];
  failure.live_bytes = on.types[*type].live_bytes;
  const FreeSpaceMap* map = FreeSpace(device, failure.space_type);
  if (map != nullptr) {
    failure.has_map = true;
    failure.figures = map->Figures();
    failure.banks = map->geometry().banks;
    if (failure.space_type != *type) failure.region_end = EndOf(map->geometry().base, failure.extent);
  }
  failure.verdict = Judge(failure, map);
  ++books.alloc_failures;
  ++failure_counts_[FailureCountKey{device, *type, failure.verdict}];
  if (failures_.size() >= kMaxFailures) return;  // counted; the first ones keep their facts
  // Explained once per site: a storm of one site's failures costs a walk of
  // the live buffers once, not per failure (reports show a site's first).
  const std::tuple<std::uint32_t, std::uint16_t, std::uint16_t, FailureVerdict, std::uint32_t, std::uint32_t> site{
      process, device, *type, failure.verdict, failure.stack, failure.tag};
  if (!explained_sites_.insert(site).second) {
    failures_.push_back(std::move(failure));
    return;
  }
  Explain(failure, map, BlocksOf(device, failure.space_type, map));
  for (FailureBlocker& blocker : failure.blockers) {
    // The mark its process set last before it was allocated: since when it lives.
    const auto& marks = processes_[blocker.block.process].marks;
    const auto after = std::upper_bound(marks.begin(), marks.end(), blocker.block.alloc_time_ns,
                                        [](std::uint64_t t, const auto& mark) { return t < mark.first; });
    if (after != marks.begin()) blocker.mark = std::prev(after)->second;
  }
  failures_.push_back(std::move(failure));
}

void Ledger::OnCheckpoint(ProcessBooks& books, std::uint32_t process, std::uint64_t seq) {
  if (checkpoints_.size() <= process) checkpoints_.resize(process + 1);
  std::unique_ptr<CheckpointBooks>& checkpoints = checkpoints_[process];
  if (!checkpoints) checkpoints = std::make_unique<CheckpointBooks>();
  if (checkpoints->Begin(seq, books.devices)) return;
  Count(books, Anomaly::kInvalidEvent);  // too many open, or out of order
  if (checkpoints->empty()) checkpoints.reset();
}

void Ledger::OnCheckpointEnd(ProcessBooks& books, std::uint32_t process, std::uint64_t seq) {
  CheckpointBooks* checkpoints = ArmedCheckpoints(process);
  if (checkpoints == nullptr || !checkpoints->End(seq, books.devices)) {
    // One begun before these books' stretch began part-way was never
    // theirs: not invalid (a stream's first record is 1: books that saw it
    // judge every end).
    if (books.first_seq > 1 && seq < books.first_seq) return;
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  if (checkpoints->empty()) DropCheckpoints(process);  // back to costing nothing
}

std::optional<CheckpointView> Ledger::Since(ProcessIndex process, std::uint64_t checkpoint,
                                            std::span<const SeqRange> exclude) const {
  const auto p = static_cast<std::uint32_t>(process);
  const CheckpointBooks* checkpoints = ArmedCheckpoints(p);
  if (checkpoints == nullptr || !checkpoints->IsOpen(checkpoint)) return std::nullopt;
  CheckpointView view;
  view.checkpoint = checkpoint;
  for (const CheckpointBooks::Young& entry : checkpoints->LiveSince(checkpoint)) {
    if (std::ranges::any_of(exclude, [&](const SeqRange& r) { return r.contains(entry.seq); })) continue;
    // Always found (Validate checks); a lookup that cannot throw all the same, in a server's books too.
    const LiveTable* live = LiveTableOf(p, entry.key.device);
    const auto it = live->find(entry.key);
    if (it != live->end()) view.live.emplace_back(entry.key, it->second);
  }
  view.peaks = checkpoints->PeaksSince(checkpoint, processes_[p].devices);
  return view;
}

void Ledger::CloseDevice(ProcessBooks& books, std::uint32_t process, std::uint16_t device) {
  if (books.handover.joined_late) {
    // Oldest first, as ReleaseLive books them; the books before hold the rest.
    std::vector<std::pair<std::uint64_t, Event>> leaking;  // (seq, alloc record)
    if (const LiveTable* live = LiveTableOf(process, device)) {
      for (const auto& [key, buffer] : *live) leaking.emplace_back(buffer.seq, AllocRecordOf(key, buffer));
    }
    std::sort(leaking.begin(), leaking.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [seq, alloc] : leaking) books.carry_back.push_back(alloc);
    Event close{};
    close.kind = static_cast<std::uint8_t>(EventKind::kDeviceClose);
    close.device = device;
    close.time_ns = applying_time_ns_;
    books.carry_back.push_back(close);
  }
  ReleaseLive(process, device, ReleaseAs::kLeaked);
  CloseFor(books, device);
}

Event Ledger::AllocRecordOf(const LiveKey& key, const LiveBuffer& buffer) const {
  Event e{};
  e.kind = static_cast<std::uint8_t>(LifeKindOf(key.cls, BufferLife::kBegins));
  e.type = key.type;
  e.device = key.device;
  e.buffer_id = key.identity;
  e.address = buffer.address;
  e.size = buffer.size;
  e.time_ns = buffer.time_ns;
  e.tag = buffer.tag;
  e.stack = buffer.stack;
  return e;
}

void Ledger::CloseFor(ProcessBooks& books, std::uint16_t device) {
  if (books.open_devices.erase(device) == 0) return;
  DeviceBooks& books_of_device = devices_[books.device_ids[device]];
  books_of_device.open = --books_of_device.openers != 0;
}

void Ledger::OnStack(ProcessBooks& books, const Record& r) {
  auto frames = DecodeStack(r.payload);
  if (!frames || r.event.stack == 0 || books.stacks.size() >= kMaxStacksPerProcess) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  books.stacks[r.event.stack] = std::move(*frames);
}

void Ledger::OnLanguageFrame(ProcessBooks& books, const Record& r) {
  auto frame = DecodeLanguageFrame(r.payload);
  if (!frame || !IsLanguageFrame(r.event.address) || books.language_frames.size() >= kMaxLanguageFramesPerProcess) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  books.language_frames[r.event.address] = std::move(*frame);
}

void Ledger::OnPool(ProcessBooks& books, const Record& r) {
  const std::uint8_t local = r.event.type;
  if (local < MEMLEDGER_FIRST_POOL || local >= MEMLEDGER_MAX_TYPES || r.payload.empty()) {
    Count(books, Anomaly::kInvalidEvent);
    return;
  }
  const std::string name = BoundedName(r.payload);
  const auto known = type_index_.find(name);
  if (books.type_map[local] != kNoType) {
    // A pool id keeps the type of its first name (its accounts book there;
    // the client never renames one): the same again changes nothing, another
    // name is invalid. A pool merged into kOtherPoolsName may be named again.
    const std::uint16_t mapped = books.type_map[local];
    const bool same =
        known != type_index_.end() ? known->second == mapped : type_names_[mapped] == kOtherPoolsName;
    if (!same) Count(books, Anomaly::kInvalidEvent);
    return;
  }
  if (known != type_index_.end()) {
    books.type_map[local] = known->second;
  } else if (type_names_.size() < kMaxTypeNames - 1) {
    books.type_map[local] = AddTypeName(name);
  } else {
    // The last name is kept for the pools that come after all others are
    // taken: their buffers are booked there, exactly, and the process is told
    // how many of its pools were merged.
    std::string other_pools(kOtherPoolsName);
    const auto other = type_index_.find(other_pools);
    books.type_map[local] = other != type_index_.end() ? other->second : AddTypeName(std::move(other_pools));
    ++books.pools_merged;
  }
}

std::uint16_t Ledger::AddTypeName(std::string name) {
  const auto type = static_cast<std::uint16_t>(type_names_.size());
  type_index_.emplace(name, type);
  type_names_.push_back(std::move(name));
  return type;
}

void Ledger::EndProcess(ProcessIndex process, ProcessState state, std::int64_t exit_status) {
  ProcessBooks& books = processes_[static_cast<std::uint32_t>(process)];
  if (books.state != ProcessState::kRunning) return;
  ReleaseLive(static_cast<std::uint32_t>(process), std::nullopt, ReleaseAs::kLeaked);
  while (!books.open_devices.empty()) CloseFor(books, books.open_devices.begin()->first);
  DropCheckpoints(static_cast<std::uint32_t>(process));
  books.state = state;
  books.exit_status = exit_status;
  CheckInvariants(*this);
}

std::string Ledger::local_type_name(ProcessIndex process, std::uint8_t local_type) const {
  const auto type = LedgerType(processes_[static_cast<std::uint32_t>(process)], local_type);
  return type && *type < type_names_.size() ? type_names_[*type] : "type" + std::to_string(local_type);
}

void Ledger::CountLost(ProcessIndex process, std::uint64_t slots) {
  processes_[static_cast<std::uint32_t>(process)].lost_slots += slots;
}

void Ledger::NoteDropped(ProcessIndex process, std::uint64_t total) {
  std::uint64_t& dropped = processes_[static_cast<std::uint32_t>(process)].dropped_events;
  dropped = std::max(dropped, total);
}

AnomalyCounts Ledger::anomalies() const {
  AnomalyCounts total{};
  for (const ProcessBooks& books : processes_) {
    for (int i = 0; i < kAnomalyCount; ++i) total[i] += books.anomalies[i];
  }
  return total;
}

std::string_view Ledger::tag_name(std::uint32_t process, std::uint32_t tag) const {
  if (tag == 0 || process >= processes_.size()) return {};
  const auto& names = processes_[process].tag_names;
  const auto it = names.find(tag);
  return it == names.end() ? std::string_view{} : std::string_view(it->second);
}

std::optional<std::string> Ledger::Validate() const {
  // live bytes and buffers per (process, device, type) = the live table's sums.
  absl::flat_hash_map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> sums;
  std::size_t live_count = 0;
  std::size_t overlapped = 0;  // live buffers a newer one overlaps
  bool types_mapped = true;
  ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) {
    overlapped += buffer.overlapped_by != 0;
    const std::uint16_t device = DeviceOf(static_cast<ProcessIndex>(key.process), key.device);
    auto& [bytes, count] = sums[AddressIndexKey(key.process, device, buffer.type)];
    bytes += buffer.size;
    ++count;
    ++live_count;
    types_mapped &= key.type < MEMLEDGER_MAX_TYPES && processes_[key.process].type_map[key.type] == buffer.type;
  });
  if (live_count != live_count_) return "the live count is off";
  if (overlap_partners_.size() > overlapped) return "an overlap's other buffer outlived the overlap";
  if (!types_mapped) return "a live buffer's type is not its process's mapping of its own type";
  std::vector<TypeCounterTable> device_sums(devices().size());
  std::size_t sums_matched = 0;  // every sum must meet its counters
  for (std::uint32_t p = 0; p < processes_.size(); ++p) {
    for (std::size_t d = 0; d < processes_[p].devices.size(); ++d) {
      const TypeCounterTable* counters = processes_[p].device(d);
      if (counters == nullptr) continue;
      for (const auto& [t, c] : *counters) {
        const auto it = sums.find(AddressIndexKey(p, static_cast<std::uint16_t>(d), static_cast<std::uint16_t>(t)));
        sums_matched += it != sums.end();
        const auto expected = it == sums.end() ? std::pair<std::uint64_t, std::uint64_t>{0, 0} : it->second;
        if (c.live_bytes != expected.first || c.live_buffers != expected.second) {
          return "process " + std::to_string(p) + " device " + std::to_string(d) + " type " + std::to_string(t) +
                 ": counters say " + std::to_string(c.live_bytes) + " bytes in " + std::to_string(c.live_buffers) +
                 " buffers, the live table " + std::to_string(expected.first) + " in " +
                 std::to_string(expected.second);
        }
        if (c.peak_bytes < c.live_bytes) return "peak below live bytes";
        device_sums[d].At(static_cast<std::uint16_t>(t)).live_bytes += c.live_bytes;
        device_sums[d].At(static_cast<std::uint16_t>(t)).allocs += c.allocs;
      }
    }
  }
  if (sums_matched != sums.size()) return "live buffers in a type with no counters";
  // Every live buffer has exactly one live entry in its address index, if its
  // account keeps one (its overlaps count); other accounts' indexes are empty.
  absl::flat_hash_map<std::pair<std::uint64_t, BufferClass>, std::size_t> live_per_index;
  ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) {
    if (HasAddress(key, buffer)) ++live_per_index[{AddressIndexKey(key.process, key.device, key.type), key.cls}];
  });
  for (std::uint32_t p = 0; p < places_.size(); ++p) {
    for (std::size_t d = 0; d < places_[p].size(); ++d) {
      if (!places_[p][d]) continue;
      const LiveTable& live = places_[p][d]->live;
      for (std::size_t slot = 0; slot < places_[p][d]->accounts.size(); ++slot) {
        const Account* account = places_[p][d]->accounts[slot].get();
        if (account == nullptr) continue;
        const AddressIndex* index = &account->index;
        const auto type = static_cast<std::uint8_t>(slot / kBufferClassCount);  // the process's own
        const auto cls = static_cast<BufferClass>(slot % kBufferClassCount);
        const auto device = static_cast<std::uint16_t>(d);
        const std::size_t entries = index->CountLive([&](std::uint64_t identity, std::uint64_t address) {
          const auto it = live.find(LiveKey{p, device, cls, type, identity});
          return it != live.end() && it->second.address == address;
        });
        const auto expected = live_per_index.find({AddressIndexKey(p, device, type), cls});
        const std::size_t want =
            expected == live_per_index.end() || !account->overlaps_count ? 0 : expected->second;
        if (entries != want || index->live() != want) {
          return "process " + std::to_string(p) + " device " + std::to_string(d) + " type " + std::to_string(type) +
                 ": the address index holds " + std::to_string(entries) + " live entries and counts " +
                 std::to_string(index->live()) + ", the live table " + std::to_string(want);
        }
      }
    }
  }
  // A process's young log: its live entries are live buffers of their seq, counted right.
  for (std::uint32_t p = 0; p < checkpoints_.size(); ++p) {
    const CheckpointBooks* checkpoints = checkpoints_[p].get();
    if (checkpoints == nullptr) continue;
    if (checkpoints->empty()) return "process " + std::to_string(p) + ": checkpoint books with none open";
    std::size_t live_entries = 0;
    for (const CheckpointBooks::Young& entry : checkpoints->LiveSince(checkpoints->oldest())) {
      ++live_entries;
      const LiveTable* live = LiveTableOf(p, entry.key.device);
      const auto it = live == nullptr ? LiveTable::const_iterator{} : live->find(entry.key);
      if (live == nullptr || it == live->end() || it->second.seq != entry.seq) {
        return "process " + std::to_string(p) + ": a live young entry (seq " + std::to_string(entry.seq) +
               ") is no live buffer";
      }
    }
    if (live_entries != checkpoints->young_live()) return "process " + std::to_string(p) + ": young live miscounted";
  }
  // Every own-space map that is not stale holds what its places in the maps have live.
  for (std::size_t d = 0; d < devices().size(); ++d) {
    const AddressSpaces& spaces = devices()[d].spaces;
    for (const DeclaredSpace& space : spaces.declared()) {
      const FreeSpaceMap* map = spaces.MapOf(space.type);
      if (map == nullptr || space.within != space.type || map->stale()) continue;
      FreeSpaceMap rebuilt(map->geometry());
      for (const SpaceBlock& block : BlocksOf(static_cast<std::uint16_t>(d), space.type, map)) {
        rebuilt.Occupy(block.start, block.end);
      }
      if (rebuilt.Holes(SIZE_MAX) != map->Holes(SIZE_MAX)) {
        return "device " + std::to_string(d) + " type " + std::to_string(space.type) +
               ": its map differs from its live buffers";
      }
    }
  }
  for (std::size_t d = 0; d < devices().size(); ++d) {
    // Both ways: a type either side has must match the other's.
    const TypeCounterTable& totals = devices()[d].types;
    for (const TypeCounterTable* side : std::array<const TypeCounterTable*, 2>{&totals, &device_sums[d]}) {
      for (const auto& [t, counters] : *side) {
        if (totals[t].live_bytes != device_sums[d][t].live_bytes || totals[t].allocs != device_sums[d][t].allocs) {
          return "device " + std::to_string(d) + " type " + std::to_string(t) +
                 ": totals differ from the processes' sum";
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace memledger
