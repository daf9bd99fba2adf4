// server.cc — see server.h.
#include "server/server.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ledger/carry_over.h"
#include "report/summary_json.h"
#include "server/listen_socket.h"
#include "server/metrics.h"
#include "server/socket_path.h"

namespace memledger {
namespace {
constexpr int kMaxEpollEvents = 64;
constexpr auto kLoopTick = std::chrono::milliseconds(1);
constexpr auto kHelloTimeout = std::chrono::seconds(2);
constexpr std::size_t kDrainBudgetPerSession = 8192;  // slots per session per tick: fairness
constexpr std::size_t kMaxSessions = 4096;
constexpr auto kMetricsInterval = std::chrono::milliseconds(100);

std::string ReadComm(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string comm;
  std::getline(in, comm);
  return comm;
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

void Watch(int epoll_fd, int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

void Reject(int fd, WelcomeStatus status, const std::string& reason) {
  const WelcomeMessage welcome = MakeWelcome(status, reason);
  SendPacket(fd, &welcome, sizeof(welcome));
}

bool PeerOf(int fd, ucred* peer) {
  socklen_t size = sizeof(*peer);
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, peer, &size) == 0;
}
}  // namespace

std::unique_ptr<Server> Server::Start(const ServerOptions& options, std::string* error) {
  if (!options.capture_dir.empty() && access(options.capture_dir.c_str(), W_OK | X_OK) != 0) {
    *error = "cannot write captures into " + options.capture_dir + ": " + std::strerror(errno);
    return nullptr;
  }
  const std::optional<std::string> socket_path = ServerSocketPath(options.socket_path, error);
  if (!socket_path) return nullptr;
  const std::string& path = *socket_path;
  // The legacy listener first: once the control socket answers, both do.
  int legacy_fd = -1;
  if (!options.legacy_socket.empty()) {
    legacy_fd = ListenUnixSocket(options.legacy_socket, SOCK_STREAM, options.group, error);
    if (legacy_fd < 0) return nullptr;
  }
  const int fd = ListenUnixSocket(path, SOCK_SEQPACKET, options.group, error);
  if (fd < 0) {
    if (legacy_fd >= 0) {
      close(legacy_fd);
      unlink(options.legacy_socket.c_str());
    }
    return nullptr;
  }
  std::unique_ptr<MetricsEndpoint> metrics;
  if (!options.metrics_address.empty()) {
    metrics = MetricsEndpoint::Start(options.metrics_address, error);
    if (!metrics) {
      close(fd);
      unlink(path.c_str());
      if (legacy_fd >= 0) {
        close(legacy_fd);
        unlink(options.legacy_socket.c_str());
      }
      return nullptr;
    }
  }
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  Watch(epoll_fd, fd);
  auto server = std::unique_ptr<Server>(new Server(fd, epoll_fd, path));
  server->metrics_ = std::move(metrics);
  server->capture_dir_ = options.capture_dir;
  if (legacy_fd >= 0) {
    Watch(epoll_fd, legacy_fd);
    server->legacy_listen_fd_ = legacy_fd;
    server->legacy_socket_path_ = options.legacy_socket;
    server->legacy_version_ = options.legacy_version;
  }
  return server;
}

Server::Server(int listen_fd, int epoll_fd, std::string socket_path)
    : listen_fd_(listen_fd), epoll_fd_(epoll_fd), socket_path_(std::move(socket_path)),
      last_rate_(std::chrono::steady_clock::now()) {}

Server::~Server() {
  for (const auto& [fd, since] : pending_) close(fd);
  sessions_.clear();
  legacy_sessions_.clear();
  if (legacy_listen_fd_ >= 0) {
    close(legacy_listen_fd_);
    unlink(legacy_socket_path_.c_str());
  }
  close(listen_fd_);
  close(epoll_fd_);
  unlink(socket_path_.c_str());
}

void Server::Run() {
  while (!stop_.load(std::memory_order_relaxed)) Poll(kLoopTick);
  while (!sessions_.empty()) EndSession(sessions_.begin()->first);
  for (auto& [fd, legacy] : legacy_sessions_) legacy->Finish(ledger_);
  legacy_sessions_.clear();
}

void Server::Poll(std::chrono::milliseconds wait) {
  epoll_event events[kMaxEpollEvents];
  const int n = epoll_wait(epoll_fd_, events, kMaxEpollEvents, static_cast<int>(wait.count()));
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == listen_fd_) {
      Accept();
    } else if (fd == legacy_listen_fd_) {
      AcceptLegacy();
    } else if (const auto legacy = legacy_sessions_.find(fd); legacy != legacy_sessions_.end()) {
      if (!legacy->second->OnReadable(ledger_)) {
        legacy->second->Finish(ledger_);
        legacy_sessions_.erase(legacy);
      }
    } else if (pending_.count(fd) != 0) {
      OnPendingReadable(fd);
    } else if (sessions_.count(fd) != 0) {
      EndSession(fd);  // a session sends nothing after its Hello: data or hang-up ends it
    } else if (const auto it = pidfd_to_control_.find(fd); it != pidfd_to_control_.end()) {
      EndSession(it->second);  // the process exited
    }
  }
  const auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second < kHelloTimeout) {
      ++it;
      continue;
    }
    close(it->first);  // also leaves the epoll set
    ++stats_.rejected;
    it = pending_.erase(it);
  }
  DrainAll();
  UpdateRates();
  PublishMetrics();
}

void Server::AcceptLegacy() {
  for (;;) {
    const int fd = accept4(legacy_listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    ucred peer{};
    if (!PeerOf(fd, &peer)) {
      close(fd);
      ++stats_.rejected;
      continue;
    }
    const ProcessIndex process = ledger_.BeginProcess(static_cast<std::uint32_t>(peer.pid), ReadComm(peer.pid), peer.uid);
    legacy_sessions_[fd] = std::make_unique<LegacySession>(fd, peer.pid, legacy_version_, process);
    Watch(epoll_fd_, fd);
    ++stats_.clients_total;
  }
}

void Server::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    Watch(epoll_fd_, fd);
    pending_[fd] = std::chrono::steady_clock::now();
  }
}

void Server::OnPendingReadable(int fd) {
  pending_.erase(fd);
  union {
    HelloMessage hello;
    QueryMessage query;
    char bytes[256];
  } message{};
  std::array<int, 2> passed{-1, -1};  // the ring; the carried-over state
  const long n = ReceivePacket(fd, &message, sizeof(message), std::chrono::milliseconds(0), passed);
  std::uint64_t magic = 0;
  if (n >= static_cast<long>(sizeof(magic))) std::memcpy(&magic, message.bytes, sizeof(magic));
  if (magic == kHelloMagic) {
    AcceptHello(fd, message.hello, n, passed[0], passed[1]);
    return;
  }
  for (const int passed_fd : passed) {
    if (passed_fd >= 0) close(passed_fd);
  }
  if (magic == kQueryMagic && n == static_cast<long>(sizeof(QueryMessage))) {
    AnswerQuery(fd, message.query);
  } else if (n > 0) {
    Reject(fd, WelcomeStatus::kBadMessage, "not a memledger Hello or Query message");
    ++stats_.rejected;
  }
  close(fd);
}

void Server::AcceptHello(int fd, const HelloMessage& hello, long size, int ring_fd, int carried_fd) {
  auto refuse = [&](WelcomeStatus status, const std::string& reason) {
    Reject(fd, status, reason);
    if (ring_fd >= 0) close(ring_fd);
    if (carried_fd >= 0) close(carried_fd);
    close(fd);
    ++stats_.rejected;
  };
  // Fields past `size` read as 0 (the buffer was zeroed): a client of another
  // version gets told so, whatever its Hello's size.
  if (size != static_cast<long>(sizeof(HelloMessage)) || hello.protocol_version != kProtocolVersion ||
      hello.event_bytes != sizeof(Event) || hello.ring_layout_version != kRingLayoutVersion) {
    refuse(WelcomeStatus::kVersionMismatch,
           fmt::format("server speaks protocol {} ({}-byte Hello, {}-byte events, ring layout {}); client sent {} "
                       "({}, {}, {})",
                       kProtocolVersion, sizeof(HelloMessage), sizeof(Event), kRingLayoutVersion,
                       hello.protocol_version, size, hello.event_bytes, hello.ring_layout_version));
    return;
  }
  if (sessions_.size() >= kMaxSessions) {
    refuse(WelcomeStatus::kServerFull, "the server tracks the most processes it can");
    return;
  }
  if (ring_fd < 0) {
    refuse(WelcomeStatus::kBadRing, "the Hello carried no ring memfd");
    return;
  }
  const bool resumed = (hello.flags & kHelloResumed) != 0;
  if (hello.flags & ~static_cast<std::uint32_t>(kHelloResumed)) {
    refuse(WelcomeStatus::kBadMessage, fmt::format("unknown Hello flags {:#x}", hello.flags));
    return;
  }
  std::string error;
  std::optional<std::vector<Event>> carried;
  if (resumed) {
    if (carried_fd < 0) {
      refuse(WelcomeStatus::kBadMessage, "a resumed Hello must carry its carried-over state");
      return;
    }
    carried = ReadCarriedOver(carried_fd, &error);
    if (!carried) {
      refuse(WelcomeStatus::kBadMessage, error);
      return;
    }
  }
  if (carried_fd >= 0) close(carried_fd);
  carried_fd = -1;
  auto ring = EventRing::Attach(ring_fd, &error);
  close(ring_fd);
  ring_fd = -1;
  if (!ring) {
    refuse(WelcomeStatus::kBadRing, error);
    return;
  }
  ucred peer{};
  if (!PeerOf(fd, &peer)) {
    refuse(WelcomeStatus::kBadMessage, "the server cannot tell who is connecting");
    return;
  }
  const WelcomeMessage welcome = MakeWelcome(WelcomeStatus::kAccepted, "");
  if (!SendPacket(fd, &welcome, sizeof(welcome))) {
    close(fd);
    return;
  }
  const ProcessIndex process =
      ledger_.BeginProcess(static_cast<std::uint32_t>(peer.pid), ReadComm(peer.pid), peer.uid);
  if (resumed) {
    // What the process accounted while no server had its ring comes first;
    // the ring is drained from where the process's own consumer stopped.
    ledger_.JoinLate(process, Handover{.handovers = hello.handovers,
                                       .records_elsewhere = hello.records_elsewhere,
                                       .missed_frees = hello.missed_frees});
    ApplyCarriedOver(ledger_, process, *carried);
    ++stats_.clients_resumed;
  }
  std::unique_ptr<CaptureWriter> capture;
  if (!capture_dir_.empty()) capture = OpenCapture(peer, ledger_.process(process).comm, hello, carried);
  const int pidfd = PidfdOpen(peer.pid);
  if (pidfd >= 0) {
    Watch(epoll_fd_, pidfd);
    pidfd_to_control_[pidfd] = fd;
  }
  sessions_[fd] =
      std::make_unique<ClientSession>(fd, pidfd, peer.pid, peer.uid, std::move(ring), process, std::move(capture));
  ++stats_.clients_total;
}

void Server::AnswerQuery(int fd, const QueryMessage& query) {
  if (query.protocol_version != kProtocolVersion || query.kind != static_cast<std::uint32_t>(QueryKind::kSummary)) {
    Reject(fd, WelcomeStatus::kVersionMismatch,
           fmt::format("server speaks protocol {} and knows query kind 1", kProtocolVersion));
    return;
  }
  DrainAll();  // answer with everything published so far
  const std::string json = SummaryJson();
  // Blocking for the reply: the query tool reads as fast as we write.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  const std::uint64_t length = json.size();
  if (!SendPacket(fd, &length, sizeof(length))) return;
  for (std::size_t at = 0; at < json.size(); at += kReplyChunkBytes) {
    if (!SendPacket(fd, json.data() + at, std::min(kReplyChunkBytes, json.size() - at))) return;
  }
}

void Server::EndSession(int fd) {
  const auto it = sessions_.find(fd);
  if (it == sessions_.end()) return;
  ClientSession& session = *it->second;
  session.Finish(ledger_);
  if (session.pidfd() >= 0) pidfd_to_control_.erase(session.pidfd());
  sessions_.erase(it);  // closes both fds, which leaves the epoll set
}

void Server::DrainAll() {
  const auto now = std::chrono::steady_clock::now();
  for (auto& [fd, session] : sessions_) {
    session->Drain(ledger_, kDrainBudgetPerSession);
    session->FlushCaptureIfDue(now);
  }
}

std::unique_ptr<CaptureWriter> Server::OpenCapture(const ucred& peer, const std::string& comm, const HelloMessage& hello,
                                                   const std::optional<std::vector<Event>>& carried) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const std::uint64_t unix_ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + now.tv_nsec;
  CaptureStart start{static_cast<std::uint32_t>(peer.pid), comm, unix_ns,
                     LocalCaptureDescription(CaptureWriterKind::kServer)};
  start.description.uid = peer.uid;
  if (carried) {
    start.description.handover = Handover{.joined_late = true,
                                          .handovers = hello.handovers,
                                          .records_elsewhere = hello.records_elsewhere,
                                          .missed_frees = hello.missed_frees};
  }
  // The name is the kernel's comm, which the process chose: keep it to a safe alphabet.
  std::string name;
  for (const char c : comm) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  const std::string path =
      fmt::format("{}/{}.{}.{}.mlcap", capture_dir_, name.empty() ? "process" : name, peer.pid, unix_ns / 1'000'000);
  std::string error;
  auto capture = CaptureWriter::Open(path, start, &error);
  if (!capture) {
    std::fprintf(stderr, "memledger serve: pid %d is tracked without a capture: %s\n", peer.pid, error.c_str());
    return nullptr;
  }
  if (carried) capture->AppendCarriedOver(*carried);
  return capture;
}

void Server::PublishMetrics() {
  if (!metrics_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_metrics_ < kMetricsInterval) return;
  last_metrics_ = now;
  MetricsCounters counters;
  for (const auto& [fd, session] : sessions_) counters.dropped_events += session->dropped();
  metrics_->Publish(RenderMetrics(ledger_, counters));
}

void Server::UpdateRates() {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - last_rate_).count();
  if (seconds < 1.0) return;
  stats_.events_per_second = static_cast<double>(ledger_.events() - events_at_last_rate_) / seconds;
  events_at_last_rate_ = ledger_.events();
  last_rate_ = now;
}

std::string Server::SummaryJson() const {
  ServerStats stats = stats_;
  stats.clients = sessions_.size() + legacy_sessions_.size();
  stats.events = ledger_.events();
  for (const auto& [fd, session] : sessions_) {
    stats.dropped += session->dropped();
    stats.max_ring_fill = std::max(stats.max_ring_fill,
                                   static_cast<double>(session->backlog()) / static_cast<double>(session->capacity()));
  }
  const nlohmann::json server = {{"server",
                                   {{"socket", socket_path_},
                                    {"clients", stats.clients},
                                    {"clients_total", stats.clients_total},
                                    {"clients_resumed", stats.clients_resumed},
                                    {"rejected", stats.rejected},
                                    {"events", stats.events},
                                    {"events_per_second", stats.events_per_second},
                                    {"max_ring_fill", stats.max_ring_fill},
                                    {"dropped", stats.dropped}}}};
  return memledger::SummaryJson(ledger_, server.dump(), &symbolizer_);
}

}  // namespace memledger
