// ledger.h — the ledger: pure accounting of device memory from ordered event
// streams, one per process. No threads, clocks or I/O: the server, the
// embedded consumer and the offline report replay events through this same
// code, and a recorded stream always gives the same books.
//
// Input contract: each process's records arrive in its sequence order (the
// ring and the capture file guarantee it). Anything else in a record may be
// wrong or hostile; wrong input becomes a counted anomaly, never a crash.
//
// Not thread-safe: one thread applies records and reads views at a time.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "event/handover.h"
#include "event/record.h"
#include "ledger/accounting.h"
#include "ledger/address_index.h"
#include "ledger/allocation_failure.h"
#include "ledger/buffer_listener.h"
#include "ledger/checkpoints.h"
#include "ledger/device_table.h"
#include "ledger/live_buffers.h"

namespace memledger {

// A process's index in the ledger (not its pid: pids are reused).
enum class ProcessIndex : std::uint32_t {};

struct ProcessBooks {
  std::uint32_t pid = 0;
  std::optional<std::uint32_t> uid;  // unknown for a capture read offline
  std::string comm;
  ProcessState state = ProcessState::kRunning;
  std::int64_t exit_status = 0;
  std::uint64_t events = 0;
  // The sequence number of the first stream record of these books' current
  // stretch (0: none yet; a release ends a stretch, and the first record
  // after it begins the next). Every checkpoint begun from it on is known
  // here; above 1, the books began part-way (a later segment read alone, a
  // server's books after a restart, a process's books after it took its
  // ring back and handed it back) and do not judge the end of one begun
  // before it.
  std::uint64_t first_seq = 0;
  std::uint64_t dropped_events = 0;  // refused by a full ring (MEMLEDGER_ON_FULL=drop)
  std::uint64_t lost_slots = 0;      // abandoned by the consumer or cut from a capture
  std::uint64_t leaked_buffers = 0;
  std::uint64_t leaked_bytes = 0;
  std::uint64_t alloc_failures = 0;  // ALLOC_FAILED records booked
  AnomalyCounts anomalies{};
  Handover handover;
  // Per ledger-wide device (null: never used): the counters of the
  // ledger-wide types used there (sparse). Sized on demand.
  std::vector<std::unique_ptr<TypeCounterTable>> devices;
  // The process's own device numbers -> ledger-wide devices (device_table.h;
  // kNoDevice: not used yet). Bound at the number's first use, rebound by an
  // open that names another device while the process holds nothing there.
  std::vector<std::uint16_t> device_ids;
  // No record of the process was refused or lost, and its stream did not go
  // to another consumer: its leaks and anomalies are facts. Otherwise a
  // refused free reads as a leak and a reused address as an overlap, and
  // reports say the verdicts are unverified; released books stop where the
  // stream left them, and its end (its leaks) is in the other consumer's.
  bool complete() const { return dropped_events == 0 && lost_slots == 0 && state != ProcessState::kReleased; }
  // This process's counters on ledger-wide `device`, or nullptr.
  const TypeCounterTable* device(std::size_t device) const {
    return device < devices.size() ? devices[device].get() : nullptr;
  }
  // Process-local names: tag ids, pool types (local type -> ledger type).
  absl::flat_hash_map<std::uint32_t, std::string> tag_names;
  // kNoType: not registered. A local type's entry, once set, never changes.
  std::array<std::uint16_t, MEMLEDGER_MAX_TYPES> type_map{};
  std::vector<std::pair<std::uint64_t, std::string>> marks;  // (time_ns, label)
  // What the process described for symbolizing its stacks later: frames by
  // stack id (STACK records), the objects they are in (MODULE records), and
  // the text of its language frames by value (LANGUAGE_FRAME records).
  absl::flat_hash_map<std::uint32_t, std::vector<std::uint64_t>> stacks;
  std::vector<ModuleDescription> modules;
  absl::flat_hash_map<std::uint64_t, LanguageFrame> language_frames;
  // Patterns (RE2) of the frames of its allocator, which reports fold
  // (SKIP_FRAMES records; report/frame_roles.h).
  std::vector<std::string> skip_frames;
  // Its device numbers it opened and has not closed since, each with its
  // last open's DEVICE_OPEN payload (a later segment of its capture opens
  // it again: carry_over.h). At most kMaxDevices, each payload at most
  // kMaxPayloadBytes.
  std::map<std::uint16_t, std::string> open_devices;
  // Pools this process named after the ledger-wide table of type names was
  // full (Ledger::kMaxTypeNames): booked under the one shared type
  // kOtherPoolsName, nothing lost.
  std::uint32_t pools_merged = 0;
  // Books begun part-way: what they settled on their own that the books they
  // came after must be told when the stream goes back there (carry_over.h),
  // in stream order: the frees counted in handover.missed_frees, as received
  // (kept while this holds fewer than Ledger::kMaxUnmatchedFrees records),
  // and every device close (a reopen closes too), as a DEVICE_CLOSE record
  // after an alloc record (AllocRecordOf) for each buffer it leaked here.
  // A close is always kept: its buffers were live entries a moment before.
  std::vector<Event> carry_back;
};

// The ledger-wide type that pools share once every other type name is
// taken: a server sees many processes' pool names, and a hostile process
// tree must not grow the table without bound.
inline constexpr std::string_view kOtherPoolsName = "(other pools)";

class Ledger {
 public:
  // 2^recent_free_log2 freed identities are remembered to tell a double free
  // from an unknown one.
  explicit Ledger(std::size_t recent_free_log2 = 12);

  ProcessIndex BeginProcess(std::uint32_t pid, std::string comm, std::optional<std::uint32_t> uid = std::nullopt);
  // These books begin part-way through the process's stream: from now on a
  // free of a buffer they never saw allocated counts as a missed free (its
  // alloc came before them), not as an unknown_free anomaly. `before` says
  // what other consumers accounted; its carried and missed counts add up.
  void JoinLate(ProcessIndex process, const Handover& before);
  // Applies one of the process's records, in its stream order.
  void Apply(ProcessIndex process, const Record& record);
  // A record of the process's stream these books do not apply (the PROCESS
  // record a server takes from SO_PEERCRED instead): where their stretch
  // begins counts it all the same (ProcessBooks::first_seq).
  void Skip(ProcessIndex process, const Record& record);
  // Applies an alloc (of any class) handed over from another ledger (see
  // carry_over.h): booked like any alloc, counted as carried over, not as an event.
  void ApplyCarriedAlloc(ProcessIndex process, const Record& record);
  // Its stream went to another consumer part-way: these books stop here
  // (released), and what it holds is not leaked.
  void ReleaseProcess(ProcessIndex process);
  // A released process's stream comes back after `gap` (what was accounted
  // elsewhere meanwhile): its books go on. False when it was not released.
  bool Rejoin(ProcessIndex process, const Handover& gap);
  // A released process ended without handing its ring back: its end (and
  // its frees meanwhile) were booked by the consumer it took the ring to.
  // What these books still hold of it leaves the live totals, neither freed
  // nor leaked; the process stays released. No-op unless it is released.
  void EndReleased(ProcessIndex process);
  static constexpr std::size_t kMaxUnmatchedFrees = std::size_t{1} << 20;
  // `buffer` (live in `key.process`) as the alloc record that made it: the
  // process's own type number, its tag and stack ids, its address, size and
  // identity (the id, or the address when the id was 0: a ledger derives the
  // same identity from either). What carry_over.h hands to other books.
  Event AllocRecordOf(const LiveKey& key, const LiveBuffer& buffer) const;
  // The process is gone: what it still holds becomes its leaks.
  void EndProcess(ProcessIndex process, ProcessState state, std::int64_t exit_status);
  // Counts slots lost upstream (abandoned in the ring, cut from a file).
  void CountLost(ProcessIndex process, std::uint64_t slots);
  // The producer's own count of records its full ring refused (the ring
  // header's, read when the stream ends): the books count at least that many,
  // even when the end record that carries the count was refused too.
  void NoteDropped(ProcessIndex process, std::uint64_t total);
  // Tells `listener` (not owned; null: none) of every buffer that becomes or
  // stops being live from now on.
  void set_listener(BufferListener* listener) { listener_ = listener; }

  // --- views ---
  std::uint64_t events() const { return events_; }
  // By ledger-wide device id (device_table.h).
  const std::deque<DeviceBooks>& devices() const { return devices_.devices(); }
  // The ledger-wide device `process`'s own device number `local` stands for;
  // kNoDevice when the process has not used that number.
  std::uint16_t DeviceOf(ProcessIndex process, std::uint16_t local) const {
    const auto& ids = processes_[static_cast<std::uint32_t>(process)].device_ids;
    return local < ids.size() ? ids[local] : kNoDevice;
  }
  const std::vector<ProcessBooks>& processes() const { return processes_; }
  const ProcessBooks& process(ProcessIndex p) const { return processes_[static_cast<std::uint32_t>(p)]; }
  AnomalyCounts anomalies() const;
  const absl::flat_hash_map<LeakSiteKey, LeakSiteTotals>& leak_sites() const { return leak_sites_; }
  // Anomalies by site (process, kind, stacks: both 0 when recorded without
  // stacks), each with its count and its first anomaly's facts (at most
  // kMaxAnomalySites sites; the per-process counts hold every one). Invalid
  // events and device conflicts have counts only.
  const absl::flat_hash_map<AnomalySiteKey, AnomalySiteTotals>& anomaly_sites() const { return anomaly_sites_; }
  static constexpr std::size_t kMaxAnomalySites = 1 << 16;
  std::size_t live_buffer_count() const { return live_count_; }
  // Allocation failures in the order they arrived, each judged when it
  // arrived (allocation_failure.h), and explained (holders, blockers) when
  // it was its site's first — process, device, type, verdict, stack, tag:
  // the first kMaxFailures; every one is in failure_counts() and its
  // process's alloc_failures.
  const std::vector<AllocationFailure>& failures() const { return failures_; }
  // The time of the first stamped record applied (0 before one): reports
  // give times as seconds since it, as a capture's analysis does.
  std::uint64_t origin_ns() const { return origin_ns_; }
  static constexpr std::size_t kMaxFailures = 4096;
  const std::map<FailureCountKey, std::uint64_t>& failure_counts() const { return failure_counts_; }
  // The map of ledger-wide `type`'s own address space on ledger-wide
  // `device`, rebuilt first when stale (free_space_map.h); null when none
  // was declared. O(1), or O(live buffers) for a rebuild.
  const FreeSpaceMap* FreeSpace(std::uint16_t device, std::uint16_t type) const;
  // Whether `process`'s buffers on its device number `local` are in its
  // device's maps: not when the process described the device's address
  // spaces otherwise than the description the device adopted (its open was a
  // device_conflict). Maps, failure explanations and drawings leave them out.
  bool InMaps(ProcessIndex process, std::uint16_t local) const {
    const auto& places = places_[static_cast<std::uint32_t>(process)];
    return local >= places.size() || !places[local] || places[local]->in_maps;
  }
  // --- checkpoints (checkpoints.h) ---
  // What `process` allocated after its open checkpoint `checkpoint` (a
  // CHECKPOINT record's seq) and still holds, oldest first, leaving out the
  // allocations in `exclude`, and its bytes per device x type since; nullopt
  // when the checkpoint is not open in these books (ended, never begun, or
  // begun before they took the stream). O(log + the entries since it).
  std::optional<CheckpointView> Since(ProcessIndex process, std::uint64_t checkpoint,
                                      std::span<const SeqRange> exclude = {}) const;
  // Calls f(key, buffer) for every live buffer of every process
  // (key.process is the ProcessIndex), in no particular order.
  template <typename F>
  void ForEachLive(F&& f) const {
    for (std::uint32_t p = 0; p < places_.size(); ++p) ForEachLiveOf(static_cast<ProcessIndex>(p), f);
  }
  // The same for one process's live buffers: O(its own buffers), whatever
  // other processes hold.
  template <typename F>
  void ForEachLiveOf(ProcessIndex process, F&& f) const {
    const auto p = static_cast<std::uint32_t>(process);
    if (p >= places_.size()) return;
    for (const auto& place : places_[p]) {
      if (!place) continue;
      for (const auto& [key, buffer] : place->live) f(key, buffer);
    }
  }
  // Ledger-wide type index -> name ("DRAM", or a pool's name).
  const std::string& type_name(std::size_t type) const { return type_names_[type]; }
  std::size_t type_count() const { return type_names_.size(); }
  // Names in the ledger-wide table at most, kOtherPoolsName included: pool
  // names are shared by every process and never forgotten (books of ended
  // processes still use them). Each process has its own 48 pool ids
  // (memledger_register_pool refuses more, in the process).
  static constexpr std::size_t kMaxTypeNames = 4096;
  // A process's own memory type by name ("DRAM", a pool's name; "type<N>" when unknown).
  std::string local_type_name(ProcessIndex process, std::uint8_t local_type) const;
  // A process's tag name ("" when none or unknown).
  std::string_view tag_name(std::uint32_t process, std::uint32_t tag) const;

  // Checks the invariants (counters equal the live table). Returns a
  // description of the first violation, or nullopt. O(live buffers).
  std::optional<std::string> Validate() const;

 private:
  void OnAlloc(ProcessBooks& books, std::uint32_t process, const Event& e, BufferClass cls);
  void OnFree(ProcessBooks& books, std::uint32_t process, const Event& e, BufferClass cls);
  // Frees `it` (its key hashes to `hash`) as the free `e` says.
  void FreeLive(ProcessBooks& books, LiveTable& live, LiveTable::iterator it, std::size_t hash, const Event& e);
  // A free whose key (hashing to `hash`) is not live: a double free, a free
  // of its identity in another memory type, a missed or an unknown free.
  void OnUnmatchedFree(ProcessBooks& books, const LiveKey& key, std::size_t hash, const Event& e);
  void OnDeviceOpen(ProcessBooks& books, std::uint32_t process, const Record& r);
  void OnPool(ProcessBooks& books, const Record& r);
  void OnStack(ProcessBooks& books, const Record& r);
  void OnLanguageFrame(ProcessBooks& books, const Record& r);
  void OnAllocFailed(ProcessBooks& books, std::uint32_t process, const Event& e);
  // The description's spaces in the process's ledger-wide types, each
  // checked (a refused one counted, and said in *problem).
  std::vector<DeclaredSpace> SpacesOf(std::uint32_t process, const DeviceDescription& description,
                                      std::string* problem) const;
  // Ledger-wide `device` takes `spaces` as its address spaces, its maps
  // occupied with what is live there.
  void AdoptSpaces(std::uint16_t device, const std::vector<DeclaredSpace>& spaces);
  // The live buffers of ledger-wide `type` on ledger-wide `device`, every
  // process's, as blocks sorted by start (when `map` is given: those in it,
  // of the places in the maps).
  std::vector<SpaceBlock> BlocksOf(std::uint16_t device, std::uint16_t type, const FreeSpaceMap* map) const;
  // Occupies `map` (of `type` on `device`) with what is live there now.
  void Rebuild(std::uint16_t device, std::uint16_t type, FreeSpaceMap& map) const;
  struct Account;
  struct Place;
  void OnCheckpoint(ProcessBooks& books, std::uint32_t process, std::uint64_t seq);
  void OnCheckpointEnd(ProcessBooks& books, std::uint32_t process, std::uint64_t seq);
  // The process's checkpoint books; null while it has no open checkpoint.
  CheckpointBooks* ArmedCheckpoints(std::uint32_t process) const {
    return process < checkpoints_.size() ? checkpoints_[process].get() : nullptr;
  }
  // Its books go: no checkpoint of `process` is open here from now on.
  void DropCheckpoints(std::uint32_t process) {
    if (process < checkpoints_.size()) checkpoints_[process].reset();
  }
  // A live buffer of `account` (which has a space) enters its space's map.
  void Occupy(ProcessBooks& books, const LiveKey& key, const LiveBuffer& buffer, const Account& account);
  // What the account in `slot` of `place` keeps of its device's address
  // spaces, looked up again; its index is built anew when whether its
  // overlaps count changed (O(the place's live buffers), rare).
  void SetSpace(Place& place, std::size_t slot);
  // The address index of the account in `slot` of `place`, built anew: empty
  // when its overlaps do not count (nothing asks it then: a CB's alloc and
  // free skip it), else an entry per live buffer there with an address.
  // Buffers that meet in it are marked met_at_reindex, no anomaly: they met
  // while overlaps did not count. O(n log n) in the account's live buffers.
  void Reindex(Place& place, std::size_t slot);
  // Whether the buffers of `process` on its device number `local` are placed
  // in the device's maps (Place::in_maps); a change with buffers live there
  // rebuilds the device's maps. O(1), or O(the device's live buffers).
  void PlaceInMaps(std::uint32_t process, std::uint16_t local, bool in_maps);
  // Every own-space map of ledger-wide `device` rebuilt from its live buffers.
  void RebuildMaps(std::uint16_t device);
  // Removes a live buffer from counters and index; `leaked` books it as a leak.
  using ReleaseAs = BufferGone;
  // `seq` and `stack`: of the event that releases it (0 for a leak).
  void Release(ProcessBooks& books, const LiveKey& key, const LiveBuffer& buffer, ReleaseAs how,
               std::uint64_t seq, std::uint32_t stack);
  // Adds `buffer` to its account's address index (kept only when the
  // account's overlaps count: not for types whose ranges overlap by design,
  // address_spaces.h) and marks every live buffer it intersects.
  void IndexAndMarkOverlaps(Account& account, const LiveKey& key, LiveBuffer& buffer);
  // `process` no longer has `device` open (closed, reopened or ended).
  void CloseFor(ProcessBooks& books, std::uint16_t device);
  // The process closes `device` (a DEVICE_CLOSE, or a reopen): what it holds
  // there leaks, and books begun part-way keep the close for carry_back.
  void CloseDevice(ProcessBooks& books, std::uint32_t process, std::uint16_t device);
  // Every live buffer of `process` (on `device`, or all devices) goes as
  // `how` (a leak, or accounted elsewhere): O(the process's own buffers there).
  void ReleaseLive(std::uint32_t process, std::optional<std::uint16_t> device, ReleaseAs how);
  void Count(ProcessBooks& books, Anomaly anomaly) { ++books.anomalies[static_cast<int>(anomaly)]; }
  // Counts `n` anomalies at `site`; a site seen first takes `example()`'s
  // facts (called only then: the facts of a storm's later anomalies cost nothing).
  template <typename Example>
  void Count(ProcessBooks& books, const AnomalySiteKey& site, std::uint64_t n, Example&& example);
  std::optional<std::uint16_t> LedgerType(const ProcessBooks& books, std::uint8_t local_type) const;
  // Appends `name` to the ledger-wide types; returns its index.
  std::uint16_t AddTypeName(std::string name);
  TypeCounters& ProcessCounters(ProcessBooks& books, std::uint16_t device, std::uint16_t type);
  // The ledger-wide device the process's number `local` stands for; bound
  // by number at its first use without an open.
  std::uint16_t DeviceFor(ProcessBooks& books, std::uint16_t local);
  // An open of `local` naming `uid` (empty: none) binds it to that device and
  // returns it; nullopt when the process still holds buffers at `local` on
  // another device (it stays there: a device_conflict).
  std::optional<std::uint16_t> BindOpened(ProcessBooks& books, std::uint32_t process, std::uint16_t local,
                                          std::string_view uid);
  // What the books keep for one process on one of its device numbers, memory
  // type (the process's own) and class: its counters and the device's (those
  // of the ledger-wide device and type its number and type map to), and the
  // address index. Found with one lookup.
  struct Account {
    TypeCounters* process_counters;  // stable: TypeTable entries never move
    TypeCounters* device_counters;   // stable: TypeTable entries never move
    LiveTable* live;                 // stable: the Place's, heap-held
    std::uint16_t type;              // ledger-wide
    std::uint16_t device;            // ledger-wide
    AddressIndex index;
    // The map of its type's space on its device (null: none), and whether
    // its overlaps count (not for a type placed within another's space;
    // `index` is kept only then):
    // its device's AddressSpaces', kept here because every buffer event
    // asks; set when the account is made and whenever the device adopts
    // new spaces (the maps are the device's, heap-held).
    FreeSpaceMap* space;
    bool overlaps_count;
  };
  Account& AccountFor(std::uint32_t process, std::uint16_t device, std::uint8_t local_type, BufferClass cls);
  // One process on one of its device numbers: an account per memory type x
  // class (the process's own types), and the live buffers there, keyed as
  // live_buffers.h says. Split this way, a device close or a process end
  // walks only that process's buffers, never the whole ledger's.
  struct Place {
    std::array<std::unique_ptr<Account>, MEMLEDGER_MAX_TYPES * kBufferClassCount> accounts;
    LiveTable live;
    // Its buffers are placed in the device's address-space maps: false when
    // its process, at its last open there, described the device's spaces
    // otherwise than the device's adopted description (a device_conflict):
    // its addresses mean something else, and would invent overlaps and
    // buffers outside the space in another process's map.
    bool in_maps = true;
  };
  Place& PlaceOf(std::uint32_t process, std::uint16_t device);
  // A live buffer of `key`'s class and identity in another memory type of
  // `place` (the lowest), or place.live.end(). O(types used there).
  static LiveTable::iterator FindInAnotherType(Place& place, const LiveKey& key);
  // The live table of (process, device), or null when it has none.
  LiveTable* LiveTableOf(std::uint32_t process, std::uint16_t device) const;

  std::uint64_t events_ = 0;
  BufferListener* listener_ = nullptr;
  std::uint64_t applying_time_ns_ = 0;  // of the record being (or last) applied
  std::uint64_t origin_ns_ = 0;         // the first stamped record's time
  std::vector<ProcessBooks> processes_;
  DeviceTable devices_;
  std::vector<std::string> type_names_;  // ledger-wide types: built-ins, then pools by name
  absl::flat_hash_map<std::string, std::uint16_t> type_index_;  // name -> its index in type_names_
  std::size_t live_count_ = 0;  // live buffers in every Place
  // Per process, per its own device number; created on demand. Overlaps are looked for
  // among buffers of one class (a CB does not overlap a buffer).
  std::vector<std::vector<std::unique_ptr<Place>>> places_;
  // Per process (null: no open checkpoint, the usual case), made by its first
  // CHECKPOINT and dropped with its last CHECKPOINT_END or its end.
  std::vector<std::unique_ptr<CheckpointBooks>> checkpoints_;
  std::uint64_t last_account_key_ = 0;  // AccountFor's one-entry cache; accounts never move
  Account* last_account_ = nullptr;
  RecentFrees recent_frees_;
  absl::flat_hash_map<LeakSiteKey, LeakSiteTotals> leak_sites_;
  absl::flat_hash_map<AnomalySiteKey, AnomalySiteTotals> anomaly_sites_;
  std::vector<AllocationFailure> failures_;
  // (process, device, type, verdict, stack, tag) of the failures explained
  // (holders, blockers): a site's first; at most kMaxFailures.
  absl::flat_hash_set<std::tuple<std::uint32_t, std::uint16_t, std::uint16_t, FailureVerdict, std::uint32_t,
                                 std::uint32_t>>
      explained_sites_;
  std::map<FailureCountKey, std::uint64_t> failure_counts_;
  // The first newer buffer that overlapped each live buffer overlapped now
  // (one entry per live buffer whose overlapped_by is not 0, but for those
  // carried over with it): an overlap's other buffer, kept until the older
  // one is released and its anomaly counted.
  absl::flat_hash_map<LiveKey, AnomalyBuffer, LiveKeyHash> overlap_partners_;
};

}  // namespace memledger
