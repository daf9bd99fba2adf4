// client.cc — the C ABI (memledger.h) and the process-wide client state:
// deciding from the environment whether tracking is on, the ring, the
// embedded consumer, the exit report, and the fork policy.
//
// Lifecycle: Undecided -> On | Off, decided once (std::call_once) by the
// first hook or by the library constructor, whichever comes first. At library
// destruction On -> Off: the process-end record is published, the consumer
// drains and stops, the exit report is printed. The ring is never unmapped,
// so a hook racing with shutdown writes into valid memory and is ignored.
//
// Server mode: when a server answers at MEMLEDGER_SOCKET (or the default
// path) and no MEMLEDGER_OUTPUT capture is asked for, the ring is handed to the
// server and no consumer runs here. A watcher thread waits for the server to
// hang up, or to stop draining (producers wait for space kServerStallBound
// without a break); then an embedded consumer takes the ring over from where
// the server stopped, so the application never blocks on a ring nobody
// drains, or waits on a stuck server longer than that bound. The
// watcher then looks for a server at the same path every kReconnectInterval;
// when one answers, the embedded consumer pauses at a record boundary and the
// ring goes to the server together with what this process accounted
// meanwhile (its live buffers and the names they use: carry_over.h).
//
// Fork policy: a forked child does not track (it would write into its
// parent's ring); a child that execs starts fresh and tracks when MEMLEDGER=1
// is in its environment. MEMLEDGER_OUTPUT may contain %p for the pid.
// A child forked while another thread held one of this file's locks must
// never wait for it (that thread does not exist in the child), so: the
// fork handlers (installed at load, whether tracking is on or off) turn
// tracking off in the child before fork() returns there, and every hook
// checks the state before it takes any lock — so in a child no hook takes
// one, but for g_names_mutex in memledger_register_pool (pool ids are the
// same contract with tracking off), which fork takes in the parent before
// it forks and releases on both sides, so the child's copy of the pool
// table is whole and its lock free.
//
// Hot path (alloc/free/cb/kernel): no lock, no allocation: one acquire load of
// the state, one ring claim (a relaxed fetch_add), one 64-byte copy, one
// release store. Names (tags, pools, marks, devices) take g_names_mutex.
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "client/config.h"
#include "client/embedded_consumer.h"
#include "client/language_frames.h"
#include "client/module_map.h"
#include "client/quiet_thread.h"
#include "client/stack_capture.h"
#include "client/stack_table.h"
#include "client/server_link.h"
#include "control/socket_path.h"
#include "event/record.h"
#include "event/utf8.h"
#include "ledger/carry_over.h"
#include "report/text_report.h"
#include "ring/event_ring.h"
#include "ring/futex.h"
#include "ring/ring_ownership.h"

MEMLEDGER_API int memledger_hooks_active = 1;  // declared extern "C" in memledger.h

namespace memledger {
namespace {

enum State : int { kUndecided = 0, kOn = 1, kOff = 2 };

// Every global here is constant-initialized: hooks may run from other
// libraries' static constructors, before this file's dynamic initializers.
// What every hook reads, on one cache line: the state, and the stack depth
// (MEMLEDGER_STACKS, memledger_set_stack_depth; 0: no stacks). The stack
// machinery is made once, before the depth first becomes non-zero (release).
struct alignas(64) HookState {
  std::atomic<int> state{kUndecided};
  std::atomic<std::uint32_t> stack_depth{0};
};
constinit HookState g_hook;
constinit std::once_flag g_init_once;
// Written before g_state becomes kOn (release); read after an acquire load of
// g_hook.state. Never freed: hooks may run during static destruction.
constinit EventRing* g_ring = nullptr;
constinit ClientConfig* g_config = nullptr;
// The embedded consumer: made at start in embedded mode, or by the server
// watcher when the server goes away; read by Shutdown and memledger_flush.
// Protected by g_consumer_mutex for its transitions.
constinit std::mutex g_consumer_mutex;
constinit std::atomic<EmbeddedConsumer*> g_consumer{nullptr};
constinit int g_server_fd = -1;     // server mode: the control socket
constinit int g_watcher_wake = -1;  // eventfd that ends the watcher at shutdown
constinit int g_space_wait_fd = -1;  // eventfd producers signal when they sleep for ring space (server mode)
constinit std::thread* g_server_watcher = nullptr;
// Server mode: where the server is and who we are to it, and how many times
// the ring changed hands (the watcher's until it is joined, then Shutdown's).
constinit const std::string* g_server_path = nullptr;
constinit const std::string* g_comm = nullptr;
constinit std::uint64_t g_handovers = 0;
constinit bool g_shutting_down = false;  // protected by g_consumer_mutex

// Stacks: the table, module map and unwinder, made once and never freed.
constinit std::once_flag g_stacks_once;
constinit std::atomic<StackTable*> g_stack_table{nullptr};
constinit StackUnwinder g_unwinder = StackUnwinder::kFramePointers;
constinit CodeRange g_own_code;  // the hook-to-walk functions: their frames are left out of stacks
// Orders MODULE records before the STACK records that need them; guards
// g_modules and g_language_frames.
constinit std::mutex g_stack_mutex;
constinit ModuleMap* g_modules = nullptr;
constinit LanguageFrameTable* g_language_frames = nullptr;  // made by the first memledger_intern_frame
// A language binding's frame provider (memledger_set_frame_provider) and the
// code ranges it implies. Replaced, never freed: a hook may be reading the old one.
struct FrameProvider {
  memledger_frame_provider frames;
  CodeRange glue;         // the object holding `frames`: its leading native frames are left out
  CodeRange interpreter;  // native frames end before the first frame here
};
constinit std::atomic<const FrameProvider*> g_frame_provider{nullptr};
// The objects known mapped, for the frame walk to tell frames from garbage.
// Replaced (never freed: a hook may be reading the old one) when a refresh
// finds new objects.
constinit std::atomic<const MappedCode*> g_mapped_code{nullptr};
// A walk that stops at an unknown address deeper than the first frame is
// most likely garbage past code without frame pointers; every so often it
// may be code loaded since, so the thread looks again.
constexpr std::uint32_t kUnknownStopsPerRefresh = 4096;
constinit thread_local std::uint32_t tls_unknown_stops __attribute__((tls_model("initial-exec"))) = 0;
constexpr unsigned kStackTableLog2 = 20;  // a million distinct stacks; 16 MiB of address space

constinit std::mutex g_names_mutex;
// Protected by g_names_mutex; created on first use and never freed, like g_ring.
constinit std::unordered_map<std::string, std::uint32_t>* g_tag_ids = nullptr;
constinit std::unordered_map<std::string, int>* g_pool_ids = nullptr;
// What DeclaredNames hands a consumer taking the ring over, kept apart from
// the tables above: g_declared_mutex is never held while a record is
// emitted, so a takeover never waits for a producer that itself waits for
// ring space (which only the consumer being started can free). Writers take
// it briefly inside g_names_mutex or g_stack_mutex. A name goes in before its
// record is claimed (a copy of a record that is also in the ring is harmless:
// the same name, the same pool); an open device after its record (a second
// DEVICE_OPEN would close the device), so a takeover may miss a device
// opened just then: its description only, never an account.
struct DeclaredNamesCopy {
  std::vector<std::string> modules;                                  // MODULE payloads
  std::vector<std::pair<std::uint64_t, std::string>> language_frames;  // (value, payload)
  std::map<int, std::string> pools;                                  // by id
  std::map<std::uint32_t, std::string> tags;                         // by id
  std::map<std::uint32_t, std::string> open_devices;                 // description payloads
};
constinit std::mutex g_declared_mutex;
constinit DeclaredNamesCopy* g_declared = nullptr;  // protected by g_declared_mutex; never freed

template <typename Update>
void UpdateDeclared(Update update) {
  std::lock_guard lock(g_declared_mutex);
  if (g_declared == nullptr) g_declared = new DeclaredNamesCopy();
  update(*g_declared);
}

constexpr auto kEndRecordWait = std::chrono::seconds(1);
constexpr auto kReconnectInterval = std::chrono::milliseconds(250);
// The bound on how long a hook waits for a server: producers that wait for
// ring space this long without a break mean the server stopped draining
// (or cannot keep up), and the process takes its ring back.
constexpr auto kServerStallBound = std::chrono::milliseconds(50);
// Handing the ring back pauses the in-process consumer: at most this long
// for a half-published record to be finished, then at most this long for
// the server to accept; else the ring stays here and draining goes on.
constexpr auto kHandbackPauseTimeout = std::chrono::milliseconds(20);
constexpr auto kHandbackAcceptTimeout = std::chrono::milliseconds(30);
// The first handshake, at start (no consumer runs yet).
constexpr auto kFirstWelcomeTimeout = std::chrono::milliseconds(2000);
// The last handback, at exit (hooks are off by then).
constexpr auto kExitHandbackTimeout = std::chrono::milliseconds(2000);
// Stalls closer together than this double the wait before handing the ring
// back again, up to 2^kMaxBackoffDoublings x kReconnectInterval (4 s).
constexpr auto kStallForgiven = std::chrono::seconds(10);
constexpr int kMaxBackoffDoublings = 4;

constexpr int kMaxTagDepth = 64;
constexpr std::size_t kMaxNameBytes = 256;
struct ThreadState {
  std::uint32_t tid;
  int tag_depth;  // may exceed kMaxTagDepth; deeper tags are not recorded
  std::uint32_t tags[kMaxTagDepth];
};
constinit thread_local ThreadState tls_thread __attribute__((tls_model("initial-exec"))) = {0, 0, {}};

std::uint32_t ThreadId() {
  ThreadState& t = tls_thread;
  if (t.tid == 0) [[unlikely]]
    t.tid = static_cast<std::uint32_t>(syscall(SYS_gettid));
  return t.tid;
}

std::uint32_t CurrentTag() {
  const ThreadState& t = tls_thread;
  if (t.tag_depth <= 0) return 0;
  return t.tags[(t.tag_depth > kMaxTagDepth ? kMaxTagDepth : t.tag_depth) - 1];
}

void Init();

bool Active() {
  // Acquire: pairs with the release store in Init, making g_ring visible.
  const int state = g_hook.state.load(std::memory_order_acquire);
  if (state == kOn) [[likely]]
    return true;
  if (state == kOff) return false;
  std::call_once(g_init_once, Init);
  return g_hook.state.load(std::memory_order_acquire) == kOn;
}

Event MakeEvent(EventKind kind, std::uint32_t device, std::uint8_t type, std::uint64_t id, std::uint64_t address,
                std::uint64_t size) {
  Event e;
  e.seq = 0;
  e.time_ns = 0;
  e.buffer_id = id;
  e.address = address;
  e.size = size;
  e.thread = ThreadId();
  e.stack = 0;
  e.tag = CurrentTag();
  e.device = static_cast<std::uint16_t>(device > 0xffff ? 0xffff : device);  // out of range: invalid in the ledger
  e.kind = static_cast<std::uint8_t>(kind);
  e.type = type;
  e.payload_bytes = 0;
  e.reserved = 0;
  return e;
}

void Emit(const Event& e) {
  EventRing& ring = *g_ring;
  const std::uint64_t seq = ring.Claim(1);
  if (seq != 0) ring.Publish(seq, e);
}

// A record with a payload: a header slot and its continuation slots, claimed together.
void EmitWithPayload(Event header, std::string_view payload) {
  payload = payload.substr(0, kMaxPayloadBytes);
  header.payload_bytes = static_cast<std::uint32_t>(payload.size());
  const std::uint32_t extra = ContinuationSlots(header.payload_bytes);
  Event continuation[ContinuationSlots(kMaxPayloadBytes)];
  PackPayload(payload, std::span(continuation, extra));
  EventRing& ring = *g_ring;
  const std::uint64_t seq = ring.Claim(1 + extra);
  if (seq == 0) return;
  ring.Publish(seq, header);
  for (std::uint32_t i = 0; i < extra; ++i) ring.Publish(seq + 1 + i, continuation[i]);
}

// Looks at the mapped objects again; sends a MODULE record for each new one
// and publishes the new code map. True when something new was found.
bool RefreshModules() {
  std::lock_guard lock(g_stack_mutex);
  const std::vector<ModuleDescription> added = g_modules->Refresh();
  if (added.empty()) return false;
  std::vector<std::string> payloads;
  for (const ModuleDescription& module : added) payloads.push_back(EncodeModule(module));
  UpdateDeclared([&](DeclaredNamesCopy& declared) {
    declared.modules.insert(declared.modules.end(), payloads.begin(), payloads.end());
  });
  for (const std::string& payload : payloads) EmitWithPayload(MakeEvent(EventKind::kModule, 0, 0, 0, 0, 0), payload);
  std::vector<CodeRange> ranges;
  for (const ModuleDescription& module : g_modules->modules()) ranges.push_back({module.start, module.end});
  g_mapped_code.store(new MappedCode(std::move(ranges)), std::memory_order_release);
  return true;
}

// Sends a new stack's frames, after the MODULE records of any object they
// are in that was not described yet (libunwind's frames are not checked
// against the code map as they are walked).
void DefineStack(std::uint32_t id, std::span<const std::uint64_t> frames) {
  const MappedCode* code = g_mapped_code.load(std::memory_order_acquire);
  const auto described = [code](std::uint64_t f) { return IsLanguageFrame(f) || code->Contains(f); };
  if (!std::all_of(frames.begin(), frames.end(), described)) {
    RefreshModules();
  }
  Event e = MakeEvent(EventKind::kStack, 0, 0, 0, 0, 0);
  e.stack = id;
  EmitWithPayload(e, EncodeStack(frames));
}

// The calling thread's stack as an id (0: none). A stack seen for the first
// time is sent once, by the thread that interned it.
//
// With a language binding's frame provider, its frames (Python's) are asked
// for first: when there are any, the native walk leaves out the binding's
// glue and ends at the interpreter, and they follow the native frames. When
// both are deeper than `depth`, each gets half of it.
MEMLEDGER_HOOK_PATH [[gnu::noinline]] std::uint32_t CurrentStack(std::uint32_t depth) {
  std::uint64_t frames[kMaxStackDepth];
  std::uint64_t language[kMaxStackDepth];
  std::size_t language_depth = 0;
  FrameFilter filter{.skip = g_own_code};
  // Acquire: pairs with the release store in memledger_set_frame_provider.
  if (const FrameProvider* provider = g_frame_provider.load(std::memory_order_acquire)) {
    language_depth = std::min<std::size_t>(provider->frames(language, depth), depth);
    if (language_depth != 0) filter = {g_own_code, provider->glue, provider->interpreter};
  }
  const std::size_t native_depth = depth - std::min<std::size_t>(language_depth, depth / 2);
  CapturedStack captured =
      CaptureStack(g_unwinder, frames, native_depth, filter, g_mapped_code.load(std::memory_order_acquire));
  // The first frame is always real code (it called the hook): unknown, it was
  // loaded since the last look. Deeper, look again now and then.
  if (captured.stopped_at != 0 && (captured.depth == 0 || ++tls_unknown_stops % kUnknownStopsPerRefresh == 0) &&
      RefreshModules()) {
    captured = CaptureStack(g_unwinder, frames, native_depth, filter, g_mapped_code.load(std::memory_order_acquire));
  }
  const std::size_t total = std::min<std::size_t>(captured.depth + language_depth, depth);
  std::copy_n(language, total - captured.depth, frames + captured.depth);
  if (total == 0) return 0;
  const std::span<const std::uint64_t> stack(frames, total);
  const StackTable::Interned interned = g_stack_table.load(std::memory_order_relaxed)->Intern(stack);
  if (interned.is_new) DefineStack(interned.id, stack);
  return interned.id;
}

MEMLEDGER_HOOK_PATH void Track(EventKind kind, std::uint32_t device, std::uint8_t type, std::uint64_t id, std::uint64_t address,
           std::uint64_t size) {
  if (!Active()) return;
  Event e = MakeEvent(kind, device, type, id, address, size);
  // Acquire: pairs with the release store in SetStackDepth (the table is made).
  if (const std::uint32_t depth = g_hook.stack_depth.load(std::memory_order_acquire); depth != 0) [[unlikely]] {
    e.stack = CurrentStack(depth);
  }
  Emit(e);
}

// Makes the stack machinery once, then sets the depth (0: off). Returns the
// depth before, or -1 (stacks stay off, said once) when the machinery could
// not be made: out of memory or address space, nothing may throw through the
// C ABI.
int SetStackDepth(std::uint32_t depth) {
  if (depth != 0) {
    std::call_once(g_stacks_once, [] {
      try {
        if (g_config->stacks != StackUnwinder::kOff) g_unwinder = g_config->stacks;
        g_own_code = HookPathCode();
        std::unique_ptr<StackTable> table = StackTable::Create(kStackTableLog2);
        if (!table) {
          std::fprintf(stderr, "memledger: allocation stacks are off: no memory for the stack table\n");
          return;
        }
        {
          std::lock_guard lock(g_stack_mutex);
          g_modules = new ModuleMap();
        }
        RefreshModules();
        g_stack_table.store(table.release(), std::memory_order_release);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "memledger: allocation stacks are off: %s\n", error.what());
      }
    });
    if (g_stack_table.load(std::memory_order_acquire) == nullptr) return -1;
  }
  return static_cast<int>(g_hook.stack_depth.exchange(depth, std::memory_order_acq_rel));
}

std::string ReadComm() {
  std::ifstream in("/proc/self/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::string ExpandPid(std::string path) {
  for (std::size_t at = path.find("%p"); at != std::string::npos; at = path.find("%p", at)) {
    const std::string pid = std::to_string(getpid());
    path.replace(at, 2, pid);
    at += pid.size();
  }
  return path;
}

void TurnOff() {
  g_hook.state.store(kOff, std::memory_order_release);
  __atomic_store_n(&memledger_hooks_active, 0, __ATOMIC_RELAXED);
}

// The fork handlers (pthread_atfork; see "Fork policy" above). Lock order:
// nothing else is held when fork takes g_names_mutex (a hook never forks).
void BeforeFork() { g_names_mutex.lock(); }
void ParentAfterFork() { g_names_mutex.unlock(); }
void ChildAfterFork() {
  TurnOff();
  g_names_mutex.unlock();  // the child's only thread is the one that took it
}

// The names this process has declared as slot streams: what a consumer
// taking the ring over part-way needs first. Apart, the devices open now: a
// handback sends them after the device closes its in-process books saw
// (carry_over.h), so that a device closed and reopened meanwhile ends open.
struct DeclaredSlots {
  std::vector<Event> names;                           // modules, language frames and stacks, pools, tags
  std::map<std::uint32_t, std::string> open_devices;  // description payloads, for AppendDeviceOpens
};

// A DEVICE_OPEN record for each of `open_devices` (DeclaredSlots).
void AppendDeviceOpens(std::vector<Event>& slots, const std::map<std::uint32_t, std::string>& open_devices) {
  for (const auto& [device, description] : open_devices) {
    AppendRecord(slots, MakeEvent(EventKind::kDeviceOpen, device, 0, 0, 0, 0), description);
  }
}

// Takes no lock a producer holds while it waits for ring space.
DeclaredSlots DeclaredNames() {
  DeclaredSlots declared_slots;
  std::vector<Event>& slots = declared_slots.names;
  std::lock_guard lock(g_declared_mutex);
  if (g_declared == nullptr) g_declared = new DeclaredNamesCopy();
  const DeclaredNamesCopy& declared = *g_declared;
  for (const std::string& payload : declared.modules) {
    AppendRecord(slots, MakeEvent(EventKind::kModule, 0, 0, 0, 0, 0), payload);
  }
  for (const auto& [value, payload] : declared.language_frames) {
    AppendRecord(slots, MakeEvent(EventKind::kLanguageFrame, 0, 0, 0, value, 0), payload);
  }
  if (const StackTable* table = g_stack_table.load(std::memory_order_acquire)) {
    const auto stacks = table->Stacks();  // lock-free
    for (std::uint32_t id = 1; id < stacks.size(); ++id) {
      if (stacks[id].empty()) continue;
      Event e = MakeEvent(EventKind::kStack, 0, 0, 0, 0, 0);
      e.stack = id;
      AppendRecord(slots, e, EncodeStack(stacks[id]));
    }
  }
  for (const auto& [id, name] : declared.pools) {  // in id order, as they were registered
    AppendRecord(slots, MakeEvent(EventKind::kPool, 0, static_cast<std::uint8_t>(id), 0, 0, 0), name);
  }
  for (const auto& [id, name] : declared.tags) {
    Event e = MakeEvent(EventKind::kTag, 0, 0, 0, 0, 0);
    e.tag = id;
    AppendRecord(slots, e, name);
  }
  declared_slots.open_devices = declared.open_devices;
  return declared_slots;
}

// The server hung up, or stopped draining the ring: accounting moves into
// this process from the ring's tail on (what came before is in that
// server's books). The ring is taken first (ring_ownership.h): a stalled
// server that resumes mid-drain can commit nothing more, and its books of
// this process stop where ours begin.
void TakeRingBack(std::uint32_t pid, const std::string& comm, std::uint64_t handovers, ServerWatch why) {
  const std::uint16_t epoch = TakeRing(g_ring->header());
  close(g_server_fd);
  g_server_fd = -1;
  static bool stall_said = false;  // once per process: later ones show in the books' handover counts
  if (why == ServerWatch::kStalled) {
    if (!std::exchange(stall_said, true)) {
      std::fprintf(stderr, "memledger: the server stopped draining this process's ring for %lld ms; accounting "
                   "goes on in this process (what came before is in the server's books) until a server drains "
                   "again\n", static_cast<long long>(kServerStallBound.count()));
    }
  } else {
    std::fprintf(stderr,
                 "memledger: the server went away; accounting goes on in this process (what came before is in the "
                 "server's books) until a server answers again\n");
  }
  DeclaredSlots declared = DeclaredNames();
  std::vector<Event> carried = std::move(declared.names);
  AppendDeviceOpens(carried, declared.open_devices);
  Takeover takeover{.before = Handover{.handovers = handovers}, .carried = std::move(carried)};
  g_consumer.store(new EmbeddedConsumer(*g_ring, epoch, pid, comm, nullptr, nullptr, std::move(takeover)),
                   std::memory_order_release);
}

// A server answers on `fd`: hands it the ring with what this process
// accounted meanwhile — the names, what these books settled that the books
// the ring had before must know (frees they could not match, device closes
// and the buffers those leaked: the server applies them to its books if it
// is the same one), the devices open, the buffers held. False (and accounting
// stays here) when it cannot. The consumer pauses for at most
// pause_timeout + accept_timeout (and the carried state's making).
bool HandRingBack(int fd, const std::string& path, const std::string& comm, std::uint64_t handovers,
                  std::chrono::milliseconds pause_timeout, std::chrono::milliseconds accept_timeout) {
  EmbeddedConsumer* consumer = g_consumer.load(std::memory_order_acquire);
  if (!consumer->PauseAtRecordBoundary(pause_timeout)) {
    close(fd);
    return false;
  }
  DeclaredSlots declared = DeclaredNames();
  std::vector<Event> carried = std::move(declared.names);
  AppendCarryBack(consumer->ledger(), consumer->process(), carried);
  AppendDeviceOpens(carried, declared.open_devices);
  AppendLiveBuffers(consumer->ledger(), consumer->process(), carried);
  const ProcessBooks& books = consumer->ledger().process(consumer->process());
  const ResumeState resume{.handovers = handovers,
                           .records_elsewhere = books.handover.records_elsewhere + consumer->records(),
                           .missed_frees = books.handover.missed_frees,
                           .carried = carried};
  std::string reason;
  const int control = HandRingToServer(fd, path, *g_ring, comm, &resume, accept_timeout, &reason);
  if (control < 0) {
    consumer->Resume(TakeRing(g_ring->header()));
    if (!reason.empty()) std::fprintf(stderr, "memledger: %s; accounting stays in this process\n", reason.c_str());
    return false;
  }
  g_server_fd = control;
  g_consumer.store(nullptr, std::memory_order_release);
  delete consumer;
  static bool reconnect_said = false;  // once per process, like a stall
  if (!std::exchange(reconnect_said, true)) {
    std::fprintf(stderr, "memledger: reconnected to the server at %s; handed it %zu records of what this process "
                 "accounted meanwhile\n", path.c_str(), carried.size());
  }
  return true;
}

// The server watcher thread (server mode): alternates between watching the
// server — its hang-up, or producers waiting for ring space it does not
// free within kServerStallBound — and, while accounting is in-process,
// looking for a server to hand the ring back to. Transitions hold
// g_consumer_mutex, so Shutdown sees either a server or a consumer, never a
// half-made handover.
void WatchServer(std::uint32_t pid, std::string comm, std::string path) {
  std::uint64_t& handovers = g_handovers;  // written only here until the watcher is joined
  // A server that stalls again soon after it got the ring back is
  // overloaded: each stall in a row doubles the wait before the next try.
  int stalls_in_a_row = 0;
  for (;;) {
    const auto handed_at = std::chrono::steady_clock::now();
    const ServerWatch why = WaitForServer(g_server_fd, g_watcher_wake, g_space_wait_fd, *g_ring, kServerStallBound);
    if (why == ServerWatch::kWoken) return;
    const bool soon = std::chrono::steady_clock::now() - handed_at < kStallForgiven;
    stalls_in_a_row = why == ServerWatch::kStalled ? (soon ? std::min(stalls_in_a_row + 1, kMaxBackoffDoublings) : 1) : 0;
    {
      std::lock_guard lock(g_consumer_mutex);
      if (g_shutting_down) return;
      TakeRingBack(pid, comm, ++handovers, why);
    }
    const auto interval = kReconnectInterval * (1 << std::max(stalls_in_a_row - 1, 0));
    for (;;) {
      if (WaitForWake(g_watcher_wake, interval)) return;
      const int fd = ConnectServerSocket(path);
      if (fd < 0) continue;
      std::lock_guard lock(g_consumer_mutex);
      if (g_shutting_down) {
        close(fd);
        return;
      }
      if (HandRingBack(fd, path, comm, handovers + 1, kHandbackPauseTimeout, kHandbackAcceptTimeout)) {
        ++handovers;
        break;
      }
    }
  }
}

void Init() {
  // Off unless asked for: decided without allocating, reading a file or
  // starting a thread.
  if (std::getenv("MEMLEDGER") == nullptr && std::getenv("TT_ALLOC_TRACKING_ENABLED") == nullptr) {
    TurnOff();
    return;
  }
  std::vector<std::string> warnings;
  g_config = new ClientConfig(ParseClientConfig([](const char* name) { return std::getenv(name); }, &warnings));
  for (const std::string& w : warnings) std::fprintf(stderr, "%s\n", w.c_str());
  if (!g_config->enabled) {
    TurnOff();
    return;
  }
  std::string error;
  auto ring = EventRing::Create(g_config->ring_slots, g_config->on_full, &error);
  if (!ring) {
    std::fprintf(stderr, "memledger: tracking is off: %s\n", error.c_str());
    TurnOff();
    return;
  }
  const auto pid = static_cast<std::uint32_t>(getpid());
  const std::string comm = ReadComm();
  std::unique_ptr<CaptureWriter> capture;
  if (!g_config->output.empty()) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    CaptureStart start{pid, comm, static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + now.tv_nsec,
                       LocalCaptureDescription(CaptureWriterKind::kEmbedded)};
    start.description.uid = getuid();
    capture = CaptureWriter::Open(ExpandPid(g_config->output), start, &error);
    if (!capture) std::fprintf(stderr, "memledger: %s; tracking goes on without a capture file\n", error.c_str());
  }
  std::unique_ptr<LifecycleLog> log;
  if (!g_config->log.empty()) {
    log = LifecycleLog::Open(ExpandPid(g_config->log), &error);
    if (!log) std::fprintf(stderr, "memledger: %s; tracking goes on without it\n", error.c_str());
  }
  g_ring = ring.release();
  // The first record names the process.
  EmitWithPayload(MakeEvent(EventKind::kProcess, 0, 0, pid, 0, std::uint64_t{getuid()} + 1), comm);
  if (g_config->stacks != StackUnwinder::kOff) SetStackDepth(g_config->stack_depth);
  const std::string path = g_config->socket.empty() ? DefaultSocketPath() : g_config->socket;
  // A capture file and the lifecycle log are written by the consumer in this process.
  if (!capture && !log && g_config->socket != "none") {
    // No server at the default path is the usual embedded mode; at a path
    // the user named it is a surprise worth a line.
    std::string reason, absence;
    g_server_fd = ConnectToServer(path, *g_ring, comm, kFirstWelcomeTimeout, &reason,
                                  g_config->socket.empty() ? nullptr : &absence);
    if (!reason.empty()) std::fprintf(stderr, "memledger: %s; accounting in this process instead\n", reason.c_str());
    if (!absence.empty()) {
      std::fprintf(stderr, "memledger: no server at MEMLEDGER_SOCKET=%s: %s; accounting in this process instead\n",
                   path.c_str(), absence.c_str());
    }
  }
  if (g_server_fd >= 0) {
    g_watcher_wake = eventfd(0, EFD_CLOEXEC);
    g_space_wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_ring->set_space_wait_notifier(g_space_wait_fd);
    g_server_path = new std::string(path);
    g_comm = new std::string(comm);
    g_server_watcher = new std::thread(StartQuietThread([pid, comm, path] { WatchServer(pid, comm, path); }));
  } else {
    g_consumer.store(new EmbeddedConsumer(*g_ring, TakeRing(g_ring->header()), pid, comm, std::move(capture),
                                          std::move(log)),
                     std::memory_order_release);
  }
  // Release: pairs with the acquire load in Active().
  g_hook.state.store(kOn, std::memory_order_release);
}

// Waits until everything published so far is in a ledger, or `timeout`.
void WaitProcessed(std::chrono::milliseconds timeout) {
  RingHeader& header = g_ring->header();
  const std::uint64_t target = header.head.load(std::memory_order_acquire);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  header.flush_waiters.fetch_add(1, std::memory_order_seq_cst);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::uint32_t seen = header.processed_futex.load(std::memory_order_seq_cst);
    // Acquire: pairs with the release store in RingConsumer::MarkProcessed.
    if (header.processed.load(std::memory_order_acquire) >= target) break;
    header.doorbell.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.doorbell);
    FutexWait(header.processed_futex, seen, std::chrono::milliseconds(10));
  }
  header.flush_waiters.fetch_sub(1, std::memory_order_seq_cst);
}

// The end record says how many records the full ring refused, so under the
// drop policy it is the one record that is not dropped: it waits (hooks are
// off; nobody waits on it) while the consumer makes room, up to a second.
// Consumers read the count from the ring header too, should it still be refused.
void EmitProcessEnd() {
  EventRing& ring = *g_ring;
  const auto deadline = std::chrono::steady_clock::now() + kEndRecordWait;
  std::uint64_t seq = 0;
  for (;;) {
    seq = ring.policy() == OnFull::kDrop ? ring.TryClaim(1) : ring.Claim(1);
    if (seq != 0 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const std::uint64_t dropped = ring.header().dropped.load(std::memory_order_relaxed);
  if (seq != 0) {
    ring.Publish(seq, MakeEvent(EventKind::kProcessEnd, 0, static_cast<std::uint8_t>(ProcessState::kExited), 0, 0,
                                dropped));
  }
}

void Shutdown() {
  if (g_hook.state.load(std::memory_order_acquire) != kOn) return;
  TurnOff();
  {
    std::lock_guard lock(g_consumer_mutex);
    g_shutting_down = true;
  }
  if (g_server_watcher != nullptr) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(g_watcher_wake, &one, sizeof(one));
    g_server_watcher->join();
    // Server mode, accounting in this process (the server stalled or went
    // away): one last try to give a server the ring, so that its books of
    // this process end with the process, not at the stall.
    if (g_consumer.load(std::memory_order_acquire) != nullptr) {
      if (const int fd = ConnectServerSocket(*g_server_path); fd >= 0) {
        std::lock_guard lock(g_consumer_mutex);
        // Hooks are off: no producer waits on this pause, so the server may take its time.
        if (HandRingBack(fd, *g_server_path, *g_comm, g_handovers + 1, kExitHandbackTimeout, kExitHandbackTimeout)) {
          ++g_handovers;
        }
      }
    }
  }
  EmitProcessEnd();
  EmbeddedConsumer* consumer = g_consumer.load(std::memory_order_acquire);
  if (consumer == nullptr) {
    // Server mode: let the server take in the end record before we go.
    WaitProcessed(std::chrono::seconds(2));
    return;
  }
  consumer->Stop();
  if (g_config->exit_report) {
    const std::string report = TextReport(consumer->ledger());
    std::fputs(report.c_str(), stderr);
  }
  if (const LifecycleLog* log = consumer->log(); log != nullptr && g_config->exit_report) {
    std::fprintf(stderr, "memledger: lifecycle log written to %s\n", log->path().c_str());
  }
  // A failed capture was said when it failed; here, beside the books, which
  // file they are not whole in. Under `memledger run` the run names the files.
  if (const CaptureWriter* capture = consumer->capture(); capture != nullptr && g_config->exit_report) {
    const std::string file = g_config->output_placed_by_run ? std::string() : " " + capture->path();
    if (!consumer->capture_error().empty()) {
      std::fprintf(stderr, "memledger: the capture%s is incomplete (writing it failed); these books are whole\n",
                   file.c_str());
    } else if (!g_config->output_placed_by_run) {
      std::fprintf(stderr, "memledger: capture written to %s\n", capture->path().c_str());
    }
  }
}

__attribute__((constructor)) void InitAtLoad() {
  pthread_atfork(BeforeFork, ParentAfterFork, ChildAfterFork);
  Active();
}
__attribute__((destructor)) void ShutdownAtUnload() { Shutdown(); }

// The first max_bytes bytes of `name` at most, cut on a UTF-8 character
// boundary (a character straddling the limit is left out whole). Other
// ill-formed bytes are sent as they are: the decoders make names valid.
std::string BoundedName(const char* name, std::size_t max_bytes = kMaxNameBytes) {
  if (name == nullptr) return std::string();
  // One byte past the limit tells whether a character continues across it.
  return std::string(Utf8Prefix(std::string_view(name, strnlen(name, max_bytes + 1)), max_bytes));
}

}  // namespace
}  // namespace memledger

using namespace memledger;

extern "C" {

MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_alloc(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                          uint64_t address, uint64_t size) {
  Track(EventKind::kAlloc, device, type, buffer_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_free(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                         uint64_t address) {
  Track(EventKind::kFree, device, type, buffer_id, address, 0);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_cb_alloc(uint32_t device, uint64_t cb_id, uint64_t address, uint64_t size) {
  Track(EventKind::kCbAlloc, device, MEMLEDGER_CB, cb_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_cb_free(uint32_t device, uint64_t cb_id, uint64_t address) {
  Track(EventKind::kCbFree, device, MEMLEDGER_CB, cb_id, address, 0);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_kernel_load(uint32_t device, uint64_t kernel_id, uint64_t address,
                                                uint64_t size) {
  Track(EventKind::kKernelLoad, device, MEMLEDGER_KERNEL, kernel_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_kernel_unload(uint32_t device, uint64_t kernel_id, uint64_t address) {
  Track(EventKind::kKernelUnload, device, MEMLEDGER_KERNEL, kernel_id, address, 0);
}

MEMLEDGER_API void memledger_device_open(uint32_t device, const char* name, const memledger_capacity* capacities,
                                         size_t n) {
  const memledger_device_description description{sizeof(description), name, capacities, n, nullptr};
  memledger_device_open_described(device, &description);
}

MEMLEDGER_API void memledger_device_open_described(uint32_t device, const memledger_device_description* described) {
  if (!Active()) return;
  const memledger_device_description none{sizeof(none), nullptr, nullptr, 0, nullptr};
  if (described == nullptr) described = &none;
  // Only the fields the caller's struct_size covers are read (an older header's struct ends sooner).
  const auto covers = [described](std::size_t offset, std::size_t size) { return described->struct_size >= offset + size; };
  using D = memledger_device_description;
  const char* name = covers(offsetof(D, name), sizeof(D::name)) ? described->name : nullptr;
  const char* uid = covers(offsetof(D, uid), sizeof(D::uid)) ? described->uid : nullptr;
  const bool has_capacities = covers(offsetof(D, capacity_count), sizeof(D::capacity_count));
  const memledger_capacity* capacities = has_capacities ? described->capacities : nullptr;
  const std::size_t n = has_capacities ? described->capacity_count : 0;
  DeviceDescription description{BoundedName(name), {}, BoundedName(uid)};
  if (capacities != nullptr) description.capacities.assign(capacities, capacities + std::min<size_t>(n, MEMLEDGER_MAX_TYPES));
  std::string payload = EncodeDeviceDescription(description);
  // Published, then remembered for handovers (DeclaredNamesCopy says why in that order).
  std::lock_guard lock(g_names_mutex);
  EmitWithPayload(MakeEvent(EventKind::kDeviceOpen, device, 0, 0, 0, 0), payload);
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.open_devices[device] = std::move(payload); });
}

MEMLEDGER_API void memledger_device_close(uint32_t device) {
  if (!Active()) return;
  std::lock_guard lock(g_names_mutex);
  Emit(MakeEvent(EventKind::kDeviceClose, device, 0, 0, 0, 0));
  UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.open_devices.erase(device); });
}

MEMLEDGER_API void memledger_mark(const char* label) {
  if (!Active()) return;
  EmitWithPayload(MakeEvent(EventKind::kMark, 0, 0, 0, 0, 0), BoundedName(label));
}

MEMLEDGER_API void memledger_tag_push(const char* name) {
  if (!Active()) return;
  std::string key = BoundedName(name);
  std::uint32_t id;
  {
    std::lock_guard lock(g_names_mutex);
    if (g_tag_ids == nullptr) g_tag_ids = new std::unordered_map<std::string, std::uint32_t>();
    auto [it, inserted] = g_tag_ids->try_emplace(key, static_cast<std::uint32_t>(g_tag_ids->size() + 1));
    id = it->second;
    if (inserted) {
      UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.tags[id] = key; });
      Event e = MakeEvent(EventKind::kTag, 0, 0, 0, 0, 0);
      e.tag = id;
      EmitWithPayload(e, key);
    }
  }
  ThreadState& t = tls_thread;
  if (t.tag_depth < kMaxTagDepth) t.tags[t.tag_depth] = id;
  ++t.tag_depth;
}

MEMLEDGER_API void memledger_tag_pop(void) {
  ThreadState& t = tls_thread;
  if (t.tag_depth > 0) --t.tag_depth;
}

MEMLEDGER_API int memledger_register_pool(const char* name) {
  // Decided before the lock; off (a forked child), no lock but g_names_mutex ("Fork policy").
  const bool active = Active();
  const std::string key = BoundedName(name);
  std::lock_guard lock(g_names_mutex);
  if (g_pool_ids == nullptr) g_pool_ids = new std::unordered_map<std::string, int>();
  auto it = g_pool_ids->find(key);
  if (it != g_pool_ids->end()) return it->second;
  const int id = MEMLEDGER_FIRST_POOL + static_cast<int>(g_pool_ids->size());
  if (id >= MEMLEDGER_MAX_TYPES) return -1;
  g_pool_ids->emplace(key, id);
  if (active) {
    UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.pools[id] = key; });
    EmitWithPayload(MakeEvent(EventKind::kPool, 0, static_cast<std::uint8_t>(id), 0, 0, 0), key);
  }
  return id;
}

MEMLEDGER_API int memledger_enabled(void) { return Active() ? 1 : 0; }

MEMLEDGER_API int memledger_set_stack_depth(int depth) {
  if (!Active() || depth < 0 || depth > static_cast<int>(kMaxStackDepth)) return -1;
  return SetStackDepth(static_cast<std::uint32_t>(depth));
}

MEMLEDGER_API void memledger_set_frame_provider(memledger_frame_provider frames, const void* interpreter) {
  if (!Active()) return;  // no stacks to give frames to
  const FrameProvider* provider = nullptr;
  if (frames != nullptr) {
    provider = new FrameProvider{frames, CodeRangeOf(reinterpret_cast<const void*>(frames)),
                                 interpreter != nullptr ? CodeRangeOf(interpreter) : CodeRange{}};
  }
  // Release: pairs with the acquire load in CurrentStack.
  g_frame_provider.store(provider, std::memory_order_release);
}

MEMLEDGER_API uint64_t memledger_intern_frame(const char* function, const char* file, uint32_t line) {
  if (!Active()) return 0;
  const std::string payload = EncodeLanguageFrame(
      {BoundedName(function, kMaxLanguageFrameText), BoundedName(file, kMaxLanguageFrameText), line});
  // Remembered for handovers before it is sent (DeclaredNamesCopy).
  std::lock_guard lock(g_stack_mutex);
  if (g_language_frames == nullptr) g_language_frames = new LanguageFrameTable();
  const LanguageFrameTable::Interned interned = g_language_frames->Intern(payload);
  if (interned.is_new) {
    UpdateDeclared([&](DeclaredNamesCopy& declared) { declared.language_frames.emplace_back(interned.value, payload); });
    EmitWithPayload(MakeEvent(EventKind::kLanguageFrame, 0, 0, 0, interned.value, 0), payload);
  }
  return interned.value;
}

MEMLEDGER_API void memledger_flush(void) {
  if (!Active()) return;
  if (EmbeddedConsumer::OnDrainThread()) return;
  WaitProcessed(std::chrono::hours(24 * 365));
}

}  // extern "C"
