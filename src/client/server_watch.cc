// server_watch.cc — see server_watch.h.
#include "client/server_watch.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "client/allocation_stacks.h"
#include "client/declared_names.h"
#include "client/hook_core.h"
#include "client/quiet_thread.h"
#include "client/server_link.h"
#include "ledger/carry_over.h"
#include "ring/ring_ownership.h"

namespace memledger {
namespace {

constinit std::mutex g_consumer_mutex;
constinit std::atomic<EmbeddedConsumer*> g_consumer{nullptr};  // transitions under g_consumer_mutex
constinit int g_server_fd = -1;      // server mode: the control socket; the watcher's once it runs
constinit int g_watcher_wake = -1;   // eventfd that ends the watcher at shutdown
constinit int g_space_wait_fd = -1;  // eventfd producers signal when they sleep for ring space (server mode)
constinit std::thread* g_server_watcher = nullptr;
// Server mode: where the server is and who we are to it, and how many times
// the ring changed hands (the watcher's until it is joined, then StopServerWatch's).
constinit const std::string* g_server_path = nullptr;
constinit const std::string* g_comm = nullptr;
constinit std::uint64_t g_handovers = 0;
constinit bool g_shutting_down = false;  // protected by g_consumer_mutex

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
// The last handback, at exit (hooks are off by then): its pause, and its
// wait for the server, longer while the server runs — a server starved of
// CPU by the very programs it tracks still gets their books' ends; one
// stopped in a debugger costs the exit 2 s.
constexpr auto kExitHandbackTimeout = std::chrono::milliseconds(2000);
constexpr auto kExitHandbackWhileServerRuns = std::chrono::milliseconds(10000);
// Stalls closer together than this double the wait before handing the ring
// back again, up to 2^kMaxBackoffDoublings x kReconnectInterval (4 s).
constexpr auto kStallForgiven = std::chrono::seconds(10);
constexpr int kMaxBackoffDoublings = 4;

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
  DeclaredSlots declared = DeclaredNames(InternedStacks());
  std::vector<Event> carried = std::move(declared.names);
  AppendDeviceOpens(carried, declared.open_devices);
  const Handover before{.handovers = handovers};
  g_consumer.store(new EmbeddedConsumer(*g_ring, epoch, pid, comm, nullptr, nullptr, &before, carried),
                   std::memory_order_release);
}

// A server answers on `fd`: hands it the ring with what this process
// accounted meanwhile — the names, what these books settled that the books
// the ring had before must know (frees they could not match, device closes
// and the buffers those leaked: the server applies them to its books if it
// is the same one), the devices open, the buffers held. False (and accounting
// stays here) when it cannot. The consumer pauses for at most
// pause_timeout + the accept wait (and the carried state's making).
bool HandRingBack(int fd, const std::string& path, const std::string& comm, std::uint64_t handovers,
                  std::chrono::milliseconds pause_timeout, AcceptWait accept_wait) {
  EmbeddedConsumer* consumer = g_consumer.load(std::memory_order_acquire);
  if (!consumer->PauseAtRecordBoundary(pause_timeout)) {
    close(fd);
    return false;
  }
  DeclaredSlots declared = DeclaredNames(InternedStacks());
  std::vector<Event> carried = std::move(declared.names);
  AppendCarryBack(consumer->ledger(), consumer->process(), carried);
  AppendDeviceOpens(carried, declared.open_devices);
  AppendLiveBuffers(consumer->ledger(), consumer->process(), carried);
  const ProcessBooks& books = consumer->ledger().process(consumer->process());
  const Handover resumed{.handovers = handovers,
                         .records_elsewhere = books.handover.records_elsewhere + consumer->records(),
                         .missed_frees = books.handover.missed_frees};
  std::string reason;
  const int control = HandRingToServer(fd, path, *g_ring, comm, &resumed, carried, accept_wait, &reason);
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
// g_consumer_mutex.
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
      if (HandRingBack(fd, path, comm, handovers + 1, kHandbackPauseTimeout, AcceptWait{kHandbackAcceptTimeout})) {
        ++handovers;
        break;
      }
    }
  }
}

}  // namespace

void StartInProcessConsumer(std::uint32_t pid, const std::string& comm, std::unique_ptr<CaptureWriter> capture,
                            std::unique_ptr<LifecycleLogHandle> log) {
  g_consumer.store(new EmbeddedConsumer(*g_ring, TakeRing(g_ring->header()), pid, comm, std::move(capture),
                                        std::move(log)),
                   std::memory_order_release);
}

void StartServerWatch(int server_fd, std::uint32_t pid, const std::string& comm, const std::string& path) {
  g_server_fd = server_fd;
  g_watcher_wake = eventfd(0, EFD_CLOEXEC);
  g_space_wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  g_ring->set_space_wait_notifier(g_space_wait_fd);
  g_server_path = new std::string(path);
  g_comm = new std::string(comm);
  g_server_watcher = new std::thread(StartQuietThread(kWatcherThreadName, [pid, comm, path] { WatchServer(pid, comm, path); }));
}

void StopServerWatch() {
  {
    std::lock_guard lock(g_consumer_mutex);
    g_shutting_down = true;
  }
  if (g_server_watcher == nullptr) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(g_watcher_wake, &one, sizeof(one));
  g_server_watcher->join();
  if (g_consumer.load(std::memory_order_acquire) != nullptr) {
    if (const int fd = ConnectServerSocket(*g_server_path); fd >= 0) {
      std::lock_guard lock(g_consumer_mutex);
      // Hooks are off: no producer waits on this pause, so the server may take its time.
      if (HandRingBack(fd, *g_server_path, *g_comm, g_handovers + 1, kExitHandbackTimeout,
                       AcceptWait{kExitHandbackTimeout, kExitHandbackWhileServerRuns})) {
        ++g_handovers;
      }
    }
  }
}

EmbeddedConsumer* InProcessConsumer() { return g_consumer.load(std::memory_order_acquire); }

void WithInProcessConsumer(absl::FunctionRef<void(EmbeddedConsumer*)> f) {
  std::lock_guard lock(g_consumer_mutex);
  f(g_consumer.load(std::memory_order_acquire));
}

const std::string* ServerSocketPath() { return g_server_path; }

pid_t DrainingServerPid() { return g_server_fd >= 0 ? ServerPid(g_server_fd) : 0; }

}  // namespace memledger
