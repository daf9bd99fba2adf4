// server.cc — see server.h.
#include "server/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "capture/capture_file_name.h"
#include "control/handshake.h"
#include "control/socket_path.h"
#include "event/json_text.h"
#include "ledger/carry_over.h"
#include "legacy/legacy_dump.h"
#include "report/summary_json.h"
#include "ring/ring_fault_guard.h"
#include "ring/ring_ownership.h"
#include "server/listen_socket.h"
#include "server/metrics.h"
#include "server/checkpoint_answer.h"
#include "server/own_books_line.h"
#include "server/peer_process.h"

namespace memledger {
namespace {
constexpr int kMaxEpollEvents = 64;
constexpr auto kLoopTick = std::chrono::milliseconds(1);
constexpr auto kHelloTimeout = std::chrono::seconds(2);
constexpr std::size_t kDrainBudgetPerSession = 8192;  // slots per session per tick: fairness
// Between two sessions' drains, after this many events booked since the
// last look, the waiting handshakes are answered (AnswerHandshakes): a
// process starting while many busy sessions are drained waits for a few
// sessions' drains, not for a pass over all of them (256 busy sessions on
// 2 cores: about half a second a pass). An idle server never looks there.
constexpr std::uint64_t kEventsBetweenHandshakes = 8192;
constexpr std::size_t kMaxSessions = 4096;
// What one peer may hold at once, so that one careless or hostile user or
// process cannot take every file descriptor: connections (sessions,
// handshakes, queries being answered) per uid and per process, and
// handshakes and replies in all.
constexpr std::size_t kMaxConnectionsPerUid = 1024;
constexpr std::size_t kMaxConnectionsPerProcess = 8;
constexpr std::size_t kMaxPending = 256;
constexpr std::size_t kMaxReplies = 64;
// A query peer has this long to read its whole answer.
constexpr auto kReplyTimeout = std::chrono::seconds(10);
// A query waits at most this long for its stacks' symbols (under the
// query client's 10 s wait for a first packet).
constexpr auto kSymbolsWait = std::chrono::seconds(5);
constexpr auto kMetricsInterval = std::chrono::milliseconds(100);
// Buffers one DUMP_REMAINING lists on the server's log; a line says how many more.
constexpr std::size_t kMaxDumpLines = 1000;

// Every session holds four descriptors (control socket, pidfd, ring,
// capture): the soft limit goes up to the hard one.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
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
  InstallRingFaultGuard();  // no SIGBUS from a client's ring can end the server
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
  RaiseFileLimit();
  auto server = std::unique_ptr<Server>(new Server(fd, path));
  server->metrics_ = std::move(metrics);
  server->capture_dir_ = options.capture_dir;
  server->capture_segments_ = options.capture_segments;
  server->epoll_.Watch(server->symbols_.ready_fd());
  if (legacy_fd >= 0) {
    server->epoll_.Watch(legacy_fd);
    server->legacy_listen_fd_ = legacy_fd;
    server->legacy_socket_path_ = options.legacy_socket;
    server->legacy_version_ = options.legacy_version;
  }
  if (server->epoll_.fd() < 0) {
    *error = std::string("cannot watch the sockets (epoll): ") + std::strerror(server->epoll_.error());
    return nullptr;  // its destructor closes and unlinks the sockets
  }
  return server;
}

Server::Server(int listen_fd, std::string socket_path)
    : listen_fd_(listen_fd), socket_path_(std::move(socket_path)), last_rate_(std::chrono::steady_clock::now()) {
  epoll_.Watch(listen_fd_);
}

Server::~Server() {
  for (const auto& [fd, pending] : pending_) close(fd);
  for (const auto& [fd, reply] : replies_) close(fd);
  for (const auto& [fd, waiting] : waiting_queries_) close(fd);
  for (const auto& [fd, key] : released_pidfds_) close(fd);
  sessions_.clear();
  if (legacy_listen_fd_ >= 0) {
    close(legacy_listen_fd_);
    unlink(legacy_socket_path_.c_str());
  }
  close(listen_fd_);
  unlink(socket_path_.c_str());
}

void Server::Run() {
  while (!stop_.load(std::memory_order_relaxed)) Poll(kLoopTick);
  while (!sessions_.empty()) EndSession(sessions_.begin()->first, Session::End::kServerStopping);
}

void Server::Poll(std::chrono::milliseconds wait) {
  std::array<epoll_event, kMaxEpollEvents> events;
  const std::size_t n = epoll_.Wait(events, wait);
  for (std::size_t i = 0; i < n; ++i) {
    // Handling an event may close descriptors and open others under the
    // same numbers: an event of this batch for a closed one is dropped.
    const int fd = epoll_.FdOf(events[i]);
    if (fd < 0) continue;
    if (fd == listen_fd_) {
      Accept();
    } else if (fd == legacy_listen_fd_) {
      AcceptLegacy();
    } else if (sessions_.count(fd) != 0) {
      OnSessionReadable(fd);
    } else if (pending_.count(fd) != 0) {
      OnPendingReadable(fd);
    } else if (replies_.count(fd) != 0) {
      ContinueReply(fd);
    } else if (fd == symbols_.ready_fd()) {
      symbols_.TakeReady();
    } else if (waiting_queries_.erase(fd) != 0) {
      close(fd);  // a waiting query's peer sent more or hung up: its answer is not wanted
    } else if (const auto it = pidfd_to_session_.find(fd); it != pidfd_to_session_.end()) {
      EndSession(it->second, Session::End::kConnectionOver);  // the process exited
    } else if (const auto released = released_pidfds_.find(fd); released != released_pidfds_.end()) {
      ForgetReleased(released->second, true);  // a released process ended elsewhere
    }
  }
  DropLatecomers(std::chrono::steady_clock::now());
  AnswerWaitingQueries(std::chrono::steady_clock::now());
  DrainAll();
  UpdateRates();
  PublishMetrics();
}

void Server::DropLatecomers(std::chrono::steady_clock::time_point now) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.since < kHelloTimeout) {
      ++it;
      continue;
    }
    close(it->first);  // also leaves the epoll set
    ++stats_.rejected;
    it = pending_.erase(it);
  }
  for (auto it = replies_.begin(); it != replies_.end();) {
    if (now < it->second.deadline) {
      ++it;
      continue;
    }
    close(it->first);
    ++stats_.slow_readers;
    it = replies_.erase(it);
  }
}

bool Server::WithinPeerLimits(const ucred& peer) const {
  std::size_t of_uid = 0, of_process = 0;
  auto count = [&](uid_t uid, pid_t pid) {
    of_uid += uid == peer.uid;
    of_process += pid == peer.pid;
  };
  for (const auto& [fd, session] : sessions_) count(session->uid(), session->pid());
  for (const auto& [fd, pending] : pending_) count(pending.peer.uid, pending.peer.pid);
  for (const auto& [fd, reply] : replies_) count(reply.peer.uid, reply.peer.pid);
  for (const auto& [fd, waiting] : waiting_queries_) count(waiting.peer.uid, waiting.peer.pid);
  return of_uid < kMaxConnectionsPerUid && of_process < kMaxConnectionsPerProcess;
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
    // The legacy protocol has no refusal to send: over its share, a peer is
    // hung up on, and the log says why.
    if (sessions_.size() >= kMaxSessions || !WithinPeerLimits(peer)) {
      close(fd);
      ++stats_.rejected;
      if (legacy_log_.Allow(std::chrono::steady_clock::now())) {
        std::fprintf(stderr, "memledger serve: legacy pid %d (uid %d) hung up on: it holds the most connections "
                     "one process or user may hold\n", peer.pid, peer.uid);
      }
      continue;
    }
    std::string comm = ReadProcComm(peer.pid);
    LegacySession::CaptureOpener open_capture;
    if (!capture_dir_.empty()) {
      open_capture = [this, peer, comm] { return OpenCapture(peer, comm, std::nullopt, std::nullopt); };
    }
    sessions_[fd] = std::make_unique<LegacySession>(fd, epoll_, PeerPidfd(fd, peer.pid), peer,
                                                           std::move(comm), legacy_version_, std::move(open_capture));
  }
}

void Server::OnSessionReadable(int fd) {
  Session& session = *sessions_.at(fd);
  const bool was_tracked = session.process().has_value();
  const auto dump = [this](legacy::MessageType request, pid_t requester) { DumpLegacy(request, requester); };
  const Session::Services services{legacy_log_, dump};  // refers to `dump`: both live through the call
  const bool open = session.OnReadable(ledger_, services);
  if (!was_tracked && session.process()) {  // a legacy connection's first event
    ++stats_.clients_total;
    NoteCommand(*session.process(), session.pid());
  }
  if (!open) EndSession(fd, Session::End::kConnectionOver);
}

void Server::DumpLegacy(legacy::MessageType request, pid_t requester) {
  if (!legacy_log_.Allow(std::chrono::steady_clock::now())) return;
  const bool kernels_only = request == legacy::MessageType::kDumpKernels;
  std::vector<legacy::HeldBy> held;
  for (const auto& [fd, session] : sessions_) {
    for (const legacy::HeldBuffer& buffer : session->Held()) {
      if (!kernels_only || buffer.kind == EventKind::kKernelLoad) held.push_back({session->pid(), buffer});
    }
  }
  const std::string text = legacy::FormatDump(legacy::MessageTypeName(static_cast<std::uint8_t>(request)), requester,
                                              std::move(held), kMaxDumpLines);
  std::fprintf(stderr, "memledger serve: legacy %s", text.c_str());
}

void Server::Accept() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    ucred peer{};
    if (!PeerOf(fd, &peer)) {
      close(fd);
      ++stats_.rejected;
      continue;
    }
    if (pending_.size() >= kMaxPending) {
      close(fd);
      ++stats_.rejected;
      continue;
    }
    // Over its limits, a peer is still heard once, to be told why it is refused.
    epoll_.Watch(fd);
    pending_[fd] = Pending{std::chrono::steady_clock::now(), peer, !WithinPeerLimits(peer)};
  }
}

void Server::OnPendingReadable(int fd) {
  const ucred peer = pending_.at(fd).peer;
  const bool over_limits = pending_.at(fd).over_limits;
  pending_.erase(fd);
  // The packet's real size first: a Hello of another version may be of any
  // size, and is told so rather than hung up on.
  std::uint64_t magic = 0;
  const ssize_t size = recv(fd, &magic, sizeof(magic), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  union {
    HelloMessage hello;
    QueryMessage query;
    CheckpointQueryMessage checkpoint_query;  // a QueryMessage first
    char bytes[256];
  } message{};
  std::array<int, 2> passed{-1, -1};  // the ring; the carried-over state
  ReceivePacket(fd, &message, sizeof(message), std::chrono::milliseconds(0), passed);  // what fits; `size` is the whole
  if (over_limits) {
    for (const int passed_fd : passed) {
      if (passed_fd >= 0) close(passed_fd);
    }
    SendWelcome(fd, WelcomeStatus::kServerFull,
                fmt::format("pid {} (uid {}) has the most connections one process or user may hold", peer.pid,
                            peer.uid));
    close(fd);
    ++stats_.rejected;
    return;
  }
  if (size >= static_cast<ssize_t>(sizeof(magic)) && magic == kHelloMagic) {
    AcceptHello(fd, message.hello, static_cast<std::size_t>(size), passed[0], passed[1]);
    return;
  }
  for (const int passed_fd : passed) {
    if (passed_fd >= 0) close(passed_fd);
  }
  if (size >= static_cast<ssize_t>(sizeof(magic)) && magic == kQueryMagic) {
    AnswerQuery(fd, message.checkpoint_query, static_cast<std::size_t>(size), peer);
    return;
  }
  if (size > 0) {
    SendWelcome(fd, WelcomeStatus::kBadMessage, "not a memledger Hello or Query message");
    ++stats_.rejected;
  }
  close(fd);
}

void Server::AcceptHello(int fd, const HelloMessage& hello, std::size_t size, int ring_fd, int carried_fd) {
  auto refuse = [&](WelcomeStatus status, const std::string& reason) {
    SendWelcome(fd, status, reason);
    if (ring_fd >= 0) close(ring_fd);
    if (carried_fd >= 0) close(carried_fd);
    close(fd);
    ++stats_.rejected;
  };
  // Fields past `size` read as 0 (the buffer was zeroed): a client of another
  // version gets told so, whatever its Hello's size.
  if (const auto refusal = CheckHello(hello, size, ring_fd >= 0, carried_fd >= 0)) {
    refuse(refusal->status, refusal->reason);
    return;
  }
  if (sessions_.size() >= kMaxSessions) {
    refuse(WelcomeStatus::kServerFull, "the server tracks the most processes it can");
    return;
  }
  const bool resumed = (hello.flags & kHelloResumed) != 0;
  std::string error;
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
  // The ring is this server's only if the process still offers it: a Hello
  // read after the process gave up waiting for this server owns nothing.
  std::uint16_t epoch = 0;
  if (!AcceptRing(ring->header(), static_cast<std::uint16_t>(hello.ring_epoch), &epoch)) {
    refuse(WelcomeStatus::kBadRing, "the process took its ring back before this server answered");
    return;
  }
  // A process hands its ring back only after taking it: its session here,
  // if no drain has seen the takeback yet (the Hello overtook it), ends now
  // as released (the ring is this Hello's: any earlier owner lost it), so
  // that its books go on below rather than begin again beside it.
  // Explicit: which comes first is not the loop's timing.
  if (resumed && peer.pid > 0) EndTakenBackSessions(peer.pid);
  // Accepted first, read second: the process waits only for the offer to be
  // taken. Refused from here on, the process takes its ring back.
  std::optional<std::vector<Event>> carried;
  if (resumed) {
    carried = ReadCarriedOver(carried_fd, &error);
    if (!carried) {
      refuse(WelcomeStatus::kBadMessage, error);
      return;
    }
  }
  if (carried_fd >= 0) close(carried_fd);
  carried_fd = -1;
  SendWelcome(fd, WelcomeStatus::kAccepted, "");  // the ring is ours now, answered or not
  const Handover gap = ResumedHandover(hello);
  const auto released = resumed ? released_.find({peer.pid, ProcessStartTime(peer.pid)}) : released_.end();
  ProcessIndex process;
  if (released != released_.end()) {
    // The same process, back after it took its ring from this server: its
    // books go on. What it accounted meanwhile comes first: the frees of
    // buffers these books hold, then what it holds.
    process = released->second.process;
    const ProcessKey key = released->first;
    ForgetReleased(key, false);
    const std::uint64_t frees = ApplyCarriedOver(ledger_, process, *carried, CarriedFrees::kMatch);
    Handover rejoined = gap;
    rejoined.missed_frees -= std::min(gap.missed_frees, frees);
    ledger_.Rejoin(process, rejoined);
    ++stats_.clients_resumed;
  } else {
    process = ledger_.BeginProcess(static_cast<std::uint32_t>(peer.pid), ReadProcComm(peer.pid), peer.uid);
    NoteCommand(process, peer.pid);
    if (resumed) {
      // What the process accounted while no server had its ring comes first;
      // the ring is drained from where the process's own consumer stopped.
      ledger_.JoinLate(process, gap);
      ApplyCarriedOver(ledger_, process, *carried);
      ++stats_.clients_resumed;
    }
  }
  std::unique_ptr<CaptureWriter> capture;
  if (!capture_dir_.empty()) {
    capture = OpenCapture(peer, ledger_.process(process).comm,
                          carried ? std::optional(ResumedHandover(hello)) : std::nullopt, carried);
  }
  const int pidfd = PidfdOpen(peer.pid);
  if (pidfd >= 0) {
    epoll_.Watch(pidfd);
    pidfd_to_session_[pidfd] = fd;
  }
  // Watched anew as a session: a Hello answered between drains may have its
  // own event later in the batch being handled, which is not the session's
  // (without a pidfd, a readable socket with nothing to read is a hang-up).
  epoll_.Watch(fd);
  sessions_[fd] = std::make_unique<ClientSession>(fd, pidfd, epoll_, peer.pid, peer.uid, std::move(ring), epoch,
                                                  process, std::move(capture));
  ++stats_.clients_total;
}

void Server::AnswerQuery(int fd, const CheckpointQueryMessage& message, std::size_t size, const ucred& peer) {
  const QueryMessage& query = message.query;
  const bool checkpoint = static_cast<QueryKind>(query.kind) == QueryKind::kCheckpoint;
  auto refusal = CheckQuery(query, size);
  if (!refusal && checkpoint) refusal = CheckCheckpointQuery(message);
  if (refusal) {
    SendWelcome(fd, refusal->status, refusal->reason);
    close(fd);
    return;
  }
  if (replies_.size() + waiting_queries_.size() >= kMaxReplies) {
    SendWelcome(fd, WelcomeStatus::kServerFull, "the server is answering the most queries it can: ask again");
    close(fd);
    ++stats_.rejected;
    return;
  }
  if (static_cast<QueryKind>(query.kind) == QueryKind::kOwnBooksLine) {
    DrainAll();  // the books with everything the asking process published
    StartReply(fd, peer, OwnBooksLine(ledger_, peer.pid));
    return;
  }
  const std::optional<CheckpointQueryMessage> question = checkpoint ? std::optional(message) : std::nullopt;
  if (!TryAnswer(fd, peer, /*may_wait=*/true, question)) {
    waiting_queries_[fd] = WaitingQuery{std::chrono::steady_clock::now() + kSymbolsWait, peer, question};
  }
}

void Server::AnswerWaitingQueries(std::chrono::steady_clock::time_point now) {
  if (waiting_queries_.empty()) return;
  const bool symbols_read = symbols_.idle();
  for (auto it = waiting_queries_.begin(); it != waiting_queries_.end();) {
    const bool waited_enough = now >= it->second.until;
    if ((!symbols_read && !waited_enough) ||
        !TryAnswer(it->first, it->second.peer, !waited_enough, it->second.checkpoint)) {
      ++it;
      continue;
    }
    it = waiting_queries_.erase(it);
  }
}

bool Server::TryAnswer(int fd, const ucred& peer, bool may_wait,
                       const std::optional<CheckpointQueryMessage>& checkpoint) {
  DrainAll();  // answer with everything published so far
  symbols_.ResetMisses();
  std::string json;
  if (checkpoint) {
    SiteStacks stacks(symbols_, StackOptions{});
    json = CheckpointReplyText(ledger_, static_cast<std::uint32_t>(peer.pid), *checkpoint, stacks);
  } else {
    json = SummaryJson();
  }
  if (may_wait && symbols_.misses() != 0) return false;
  StartReply(fd, peer, json);
  return true;
}

void Server::StartReply(int fd, const ucred& peer, std::string_view text) {
  Reply reply{.packets = ReplyPackets(text),
              .next = 0,
              .deadline = std::chrono::steady_clock::now() + kReplyTimeout,
              .peer = peer};
  replies_.emplace(fd, std::move(reply));
  epoll_.Change(fd, EPOLLOUT | EPOLLRDHUP);
  ContinueReply(fd);
}

void Server::ContinueReply(int fd) {
  Reply& reply = replies_.at(fd);
  while (reply.next < reply.packets.size()) {
    const std::string& packet = reply.packets[reply.next];
    // The socket is non-blocking: a full socket buffer waits for EPOLLOUT.
    if (send(fd, packet.data(), packet.size(), MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(packet.size())) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      break;  // the peer went away
    }
    ++reply.next;
  }
  EndReply(fd);
}

void Server::EndReply(int fd) {
  replies_.erase(fd);
  close(fd);  // also leaves the epoll set
}

void Server::EndSession(int fd, Session::End how) {
  const auto it = sessions_.find(fd);
  if (it == sessions_.end()) return;
  Session& session = *it->second;
  session.Finish(ledger_, how, legacy_log_);
  if (const auto process = session.process();
      process && ledger_.process(*process).state == ProcessState::kReleased && how != Session::End::kServerStopping) {
    KeepReleased(session);
  }
  if (session.watched_pidfd() >= 0) pidfd_to_session_.erase(session.watched_pidfd());
  sessions_.erase(it);  // closes its fds, which leaves the epoll set
}

void Server::KeepReleased(const Session& session) {
  const ProcessKey key{session.pid(), ProcessStartTime(session.pid())};
  // Books of an earlier release of it that it never resumed (it started
  // afresh with a plain Hello): what they hold is not its any more.
  ForgetReleased(key, true);
  // A pidfd of the process itself: the pid still names it (same start time).
  int pidfd = key.second == 0 ? -1 : PidfdOpen(key.first);
  if (pidfd >= 0 && ProcessStartTime(key.first) != key.second) {
    close(pidfd);
    pidfd = -1;
  }
  released_[key] = Released{*session.process(), pidfd};
  if (pidfd >= 0) {
    epoll_.Watch(pidfd);
    released_pidfds_[pidfd] = key;
  } else if (key.second == 0 || ProcessStartTime(key.first) != key.second) {
    ForgetReleased(key, true);  // already gone
  }
}

void Server::ForgetReleased(const ProcessKey& key, bool ended) {
  const auto it = released_.find(key);
  if (it == released_.end()) return;
  if (ended) ledger_.EndReleased(it->second.process);
  if (it->second.pidfd >= 0) {
    released_pidfds_.erase(it->second.pidfd);
    close(it->second.pidfd);  // also leaves the epoll set
  }
  released_.erase(it);
}

void Server::DrainAll() {
  const auto now = std::chrono::steady_clock::now();
  // The sessions as they are now, by socket: a Hello answered between two
  // drains adds one (drained from the next pass on), and one ended since
  // the pass began is not drained.
  std::vector<int> fds;
  fds.reserve(sessions_.size());
  for (const auto& [fd, session] : sessions_) fds.push_back(fd);
  for (const int fd : fds) {
    if (sessions_.count(fd) == 0) continue;
    DrainSession(fd, now);
    if (ledger_.events() - events_at_handshakes_ >= kEventsBetweenHandshakes) AnswerHandshakes();
  }
}

void Server::DrainSession(int fd, std::chrono::steady_clock::time_point now) {
  Session& session = *sessions_.at(fd);
  const auto end = session.Drain(ledger_, kDrainBudgetPerSession);  // a damaged or released ring
  session.FlushCaptureIfDue(now);
  if (end) EndSession(fd, *end);
}

void Server::EndTakenBackSessions(pid_t pid) {
  std::vector<int> fds;
  for (const auto& [fd, session] : sessions_) {
    if (session->pid() == pid && session->process()) fds.push_back(fd);
  }
  const auto now = std::chrono::steady_clock::now();
  for (const int fd : fds) DrainSession(fd, now);
}

void Server::AnswerHandshakes() {
  events_at_handshakes_ = ledger_.events();
  std::vector<pollfd> watched;
  watched.reserve(pending_.size() + 1);
  for (const auto& [fd, pending] : pending_) watched.push_back(pollfd{fd, POLLIN, 0});
  watched.push_back(pollfd{listen_fd_, POLLIN, 0});  // last: its new connections take no number checked here
  if (poll(watched.data(), watched.size(), 0) <= 0) return;
  for (const pollfd& p : watched) {
    if ((p.revents & POLLIN) == 0) continue;
    if (p.fd == listen_fd_) {
      Accept();
      continue;
    }
    std::uint64_t magic = 0;
    const bool hello = recv(p.fd, &magic, sizeof(magic), MSG_PEEK | MSG_DONTWAIT) == sizeof(magic) &&
                       magic == kHelloMagic;
    if (hello && pending_.count(p.fd) != 0) OnPendingReadable(p.fd);
  }
}

std::unique_ptr<CaptureWriter> Server::OpenCapture(const ucred& peer, const std::string& comm,
                                                   const std::optional<Handover>& handover,
                                                   const std::optional<std::vector<Event>>& carried) {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const std::uint64_t unix_ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + now.tv_nsec;
  CaptureStart start{static_cast<std::uint32_t>(peer.pid), comm, unix_ns,
                     LocalCaptureDescription(CaptureWriterKind::kServer)};
  start.description.uid = peer.uid;
  start.description.handover = handover;
  const std::string path = FirstSegment(
      start, fmt::format("{}/{}.{}.{}.mlcap", capture_dir_, CommForFileName(comm), peer.pid, unix_ns / 1'000'000),
      capture_segments_);
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

void Server::NoteCommand(ProcessIndex process, pid_t pid) {
  const auto index = static_cast<std::size_t>(process);
  if (commands_.size() <= index) commands_.resize(index + 1);
  commands_[index] = ReadProcCommandLine(pid);
}

std::string Server::SummaryJson() const {
  ServerStats stats = stats_;
  stats.events = ledger_.events();
  for (const auto& [fd, session] : sessions_) {
    stats.clients += session->process() ? 1 : 0;  // a legacy monitor that only asks is no client
    stats.dropped += session->dropped();
    stats.max_ring_fill = std::max(stats.max_ring_fill, session->ring_fill());
  }
  nlohmann::json summary = Summary(ledger_, &symbols_);
  // Summary's rows are the ledger's processes, in order.
  auto& processes = summary["processes"];
  for (std::size_t i = 0; i < processes.size(); ++i) processes[i]["command"] = i < commands_.size() ? commands_[i] : "";
  summary["server"] = {{"socket", socket_path_},
                       {"clients", stats.clients},
                       {"clients_total", stats.clients_total},
                       {"clients_resumed", stats.clients_resumed},
                       {"rejected", stats.rejected},
                       {"slow_readers", stats.slow_readers},
                       {"events", stats.events},
                       {"events_per_second", stats.events_per_second},
                       {"max_ring_fill", stats.max_ring_fill},
                       {"dropped", stats.dropped}};
  return JsonText(summary, 2);
}

}  // namespace memledger
