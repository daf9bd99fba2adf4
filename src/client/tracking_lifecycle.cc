// tracking_lifecycle.cc — see tracking_lifecycle.h. Init and Shutdown run
// once each (call_once; the library's destructor), the fork handlers in
// whichever thread forks.
#include "client/tracking_lifecycle.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/allocation_stacks.h"
#include "client/declared_names.h"
#include "client/exit_report.h"
#include "client/hook_core.h"
#include "client/server_link.h"
#include "client/server_watch.h"
#include "control/proc_stat.h"
#include "control/socket_path.h"
#include "event/errno_kept.h"
#include "ring/futex.h"

namespace memledger {
namespace {

constinit std::once_flag g_init_once;

constexpr auto kEndRecordWait = std::chrono::seconds(1);
// At exit in server mode, how long the server may take in none of this
// process's records before the exit line says so instead of its books: a
// server with 64 busy clients on 2 cores is slow but moves; one stopped in a
// debugger costs the exit 2 s.
constexpr auto kExitDrainStalled = std::chrono::milliseconds(2000);
constexpr auto kExitDrainStalledWhileServerRuns = std::chrono::milliseconds(10000);
// The first handshake, at start (no consumer runs yet): 2 s, and up to 10 s
// while the server's process runs — one starved of CPU gets there (256
// busy processes starting at once on 2 cores left 117 of them without
// their server at 2 s: the benchmark BM_ServerIngest/256), one stopped
// in a debugger does not keep the program from starting.
constexpr auto kFirstWelcomeTimeout = std::chrono::milliseconds(2000);
constexpr auto kFirstWelcomeWhileServerRuns = std::chrono::milliseconds(10000);

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

// The fork handlers (pthread_atfork; see "Fork policy" in the header). Lock
// order: nothing else is held when fork takes the names lock (a hook never forks).
void BeforeFork() { LockNamesForFork(); }
void ParentAfterFork() { UnlockNamesAfterFork(); }
void ChildAfterFork() {
  TurnOff();
  UnlockNamesAfterFork();  // the child's only thread is the one that took it
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
  const auto pid = static_cast<std::uint32_t>(getpid());
  const std::string comm = ReadComm();
  std::unique_ptr<CaptureWriter> capture;
  if (!g_config->output.empty()) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    CaptureStart start{pid, comm, static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + now.tv_nsec,
                       LocalCaptureDescription(CaptureWriterKind::kEmbedded)};
    start.description.uid = getuid();
    const std::string path = FirstSegment(start, ExpandPid(g_config->output), g_config->output_segments);
    capture = CaptureWriter::Open(path, start, &error);
    if (!capture) std::fprintf(stderr, "memledger: %s; tracking goes on without a capture file\n", error.c_str());
  }
  std::unique_ptr<LifecycleLogHandle> log;
  if (!g_config->log.empty()) {
    log = LifecycleLogHandle::Open(ExpandPid(g_config->log), &error);
    if (!log) std::fprintf(stderr, "memledger: %s; tracking goes on without it\n", error.c_str());
  }
  const std::string path = g_config->socket.empty() ? DefaultSocketPath() : g_config->socket;
  int server_fd = -1;
  // A capture file and the lifecycle log are written by the consumer in this
  // process. The server is looked for first: the ring's size depends on who
  // drains it (config.h).
  if (!capture && !log && g_config->socket != "none") {
    // No server at the default path is the usual embedded mode; at a path
    // the user named it is a surprise worth a line.
    std::string absence;
    server_fd = ConnectServerSocket(path, g_config->socket.empty() ? nullptr : &absence);
    if (!absence.empty()) {
      std::fprintf(stderr, "memledger: no server at MEMLEDGER_SOCKET=%s: %s; accounting in this process instead\n",
                   path.c_str(), absence.c_str());
    }
  }
  auto ring = EventRing::Create(g_config->RingSlots(server_fd >= 0), g_config->on_full, &error);
  if (!ring) {
    std::fprintf(stderr, "memledger: tracking is off: %s\n", error.c_str());
    if (server_fd >= 0) close(server_fd);
    TurnOff();
    return;
  }
  g_ring = ring.release();
  // The first record names the process.
  EmitWithPayload(MakeEvent(EventKind::kProcess, 0, 0, pid, 0, std::uint64_t{getuid()} + 1), comm);
  if (g_config->stacks != StackUnwinder::kOff) SetStackDepth(g_config->stack_depth);
  if (!g_config->skip_frames.empty()) DeclareSkipFrames(BoundedName(g_config->skip_frames.c_str()));
  if (server_fd >= 0) {
    std::string reason;
    server_fd = HandRingToServer(server_fd, path, *g_ring, comm, nullptr, {}, AcceptWait{kFirstWelcomeTimeout, kFirstWelcomeWhileServerRuns},
                                 &reason);
    if (!reason.empty()) std::fprintf(stderr, "memledger: %s; accounting in this process instead\n", reason.c_str());
  }
  if (server_fd >= 0) {
    StartServerWatch(server_fd, pid, comm, path);
  } else {
    StartInProcessConsumer(pid, comm, std::move(capture), std::move(log));
  }
  // Release: pairs with the acquire load in Active() (hook_core.h).
  g_hook.state.store(kOn, std::memory_order_release);
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
  StopServerWatch();
  EmitProcessEnd();
  EmbeddedConsumer* consumer = InProcessConsumer();
  if (consumer == nullptr) {
    // Server mode: let the server take in the end record before we go, and
    // say what its books of us hold.
    const bool taken_in = WaitProcessed(DrainPatience{kExitDrainStalled, kExitDrainStalledWhileServerRuns,
                                                      DrainingServerPid()});
    PrintServerExitLine(*g_config, g_config->socket.empty() ? DefaultSocketPath() : g_config->socket,
                        static_cast<std::uint32_t>(getpid()), taken_in);
    return;
  }
  consumer->Stop();
  PrintExitReport(*consumer, *g_config);
}

__attribute__((constructor)) void InitAtLoad() {
  pthread_atfork(BeforeFork, ParentAfterFork, ChildAfterFork);
  Active();
}
__attribute__((destructor)) void ShutdownAtUnload() { Shutdown(); }

}  // namespace

bool DecideTracking() {
  const ErrnoKept errno_kept;
  std::call_once(g_init_once, Init);
  return g_hook.state.load(std::memory_order_acquire) == kOn;
}

bool WaitProcessed(DrainPatience patience) {
  RingHeader& header = g_ring->header();
  const std::uint64_t target = header.head.load(std::memory_order_acquire);
  // Acquire: pairs with the release store in RingConsumer::MarkProcessed.
  const auto processed_now = [&] { return header.processed.load(std::memory_order_acquire); };
  std::uint64_t processed = processed_now();
  auto progressed_at = std::chrono::steady_clock::now();
  const auto patient = [&](std::chrono::steady_clock::time_point now) {
    const auto stalled = now - progressed_at;
    if (stalled < patience.stalled) return true;
    return patience.server > 0 && stalled < patience.stalled_while_server_runs && !ProcessIsStopped(patience.server);
  };
  header.flush_waiters.fetch_add(1, std::memory_order_seq_cst);
  for (;;) {
    const std::uint32_t seen = header.processed_futex.load(std::memory_order_seq_cst);
    const std::uint64_t now_processed = processed_now();
    if (now_processed >= target) break;
    const auto now = std::chrono::steady_clock::now();
    if (now_processed != processed) {
      processed = now_processed;
      progressed_at = now;
    } else if (!patient(now)) {
      break;
    }
    header.doorbell.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.doorbell);
    FutexWait(header.processed_futex, seen, std::chrono::milliseconds(10));
  }
  header.flush_waiters.fetch_sub(1, std::memory_order_seq_cst);
  return processed_now() >= target;
}

}  // namespace memledger
