// server.h — `memledger serve`: one ledger for every tracked process on the
// machine. Listens on a Unix SOCK_SEQPACKET socket (mode 0600, or 0660 with a
// group), accepts a process's ring memfd with its Hello, learns its pid and
// uid from SO_PEERCRED, sees it exit through hang-up and a pidfd, drains every
// ring into the Ledger (and, with a capture directory, into a capture file
// per process) and answers queries.
//
// Thread-safety: Run() is the only thread that touches sessions and the
// ledger; RequestStop() may be called from any thread or a signal handler.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_segments.h"
#include "control/wire_protocol.h"
#include "ledger/ledger.h"
#include "legacy/legacy_protocol.h"
#include "server/client_session.h"
#include "server/epoll_set.h"
#include "server/legacy_session.h"
#include "server/log_limiter.h"
#include "server/session.h"
#include "server/metrics_endpoint.h"
#include "symbolize/background_symbolizer.h"

namespace memledger {

struct ServerOptions {
  std::string socket_path;  // default: DefaultSocketPath()
  std::string group;        // non-empty: the sockets are 0660 and owned by this group
  // The legacy tracker's listener (SOCK_STREAM), off when empty. Every
  // generation is told apart per connection (legacy_decoder.h); bytes that
  // fit none are read at `legacy_version`'s size.
  std::string legacy_socket;
  legacy::LegacyVersion legacy_version = legacy::LegacyVersion::kV3;
  std::string metrics_address;  // "HOST:PORT" for Prometheus' /metrics; off when empty
  // Write a capture file per tracked process here (COMM.PID.UNIXMS.mlcap); off when empty.
  std::string capture_dir;
  // Cut each capture into segments (COMM.PID.UNIXMS.N.mlcap) within these
  // bounds (capture/capture_segments.h); none: one file per process.
  SegmentBounds capture_segments;
};

struct ServerStats {
  std::uint64_t clients = 0;       // connected now
  std::uint64_t clients_total = 0;
  std::uint64_t clients_resumed = 0;  // came back with a ring another consumer drained
  std::uint64_t rejected = 0;      // handshakes refused
  std::uint64_t slow_readers = 0;  // query peers dropped for not reading their reply in time
  std::uint64_t events = 0;
  std::uint64_t dropped = 0;       // refused by clients' full rings (drop policy)
  double events_per_second = 0;    // over the last second
  double max_ring_fill = 0;        // 0..1, the fullest ring now
};

class Server {
 public:
  // Binds the socket. Returns nullptr and sets *error when it cannot (another
  // server answers there, bad group, permissions).
  static std::unique_ptr<Server> Start(const ServerOptions& options, std::string* error);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves until RequestStop(). Ends every session still open before returning.
  void Run();
  void RequestStop() { stop_.store(true, std::memory_order_relaxed); }
  // One turn of the loop: waits at most `wait` for activity, handles it,
  // drains every ring. Run() is this until stopped; tests and fuzzers call it.
  void Poll(std::chrono::milliseconds wait);
  const std::string& socket_path() const { return socket_path_; }

  // The summary schema plus a "server" section (JSON text).
  std::string SummaryJson() const;

 private:
  // A process by (pid, start time): a pid alone may name a later process.
  using ProcessKey = std::pair<pid_t, std::uint64_t>;
  // Watches `listen_fd` (the control socket, bound and listening).
  Server(int listen_fd, std::string socket_path);
  void Accept();
  void AcceptLegacy();
  // DUMP_REMAINING / DUMP_KERNELS: every legacy connection's buffers (or kernels) on the server's log.
  void DumpLegacy(legacy::MessageType request, pid_t requester);
  void OnPendingReadable(int fd);
  // `size`: the Hello packet's. Takes ownership of both fds (-1: none passed).
  void AcceptHello(int fd, const HelloMessage& hello, std::size_t size, int ring_fd, int carried_fd);
  // `size`: the Query packet's; `message` holds it (its query first), zero
  // past it (a checkpoint query's question after the QueryMessage).
  void AnswerQuery(int fd, const CheckpointQueryMessage& message, std::size_t size, const ucred& peer);
  // Answers the queries waiting for symbols whose stacks are all read (or
  // whose wait is over) with the books as they are now.
  void AnswerWaitingQueries(std::chrono::steady_clock::time_point now);
  // Renders the books for the query on `fd` (the summary, or `checkpoint`'s
  // answer); false (and nothing sent) when some stacks are still being read
  // and `may_wait`.
  bool TryAnswer(int fd, const ucred& peer, bool may_wait, const std::optional<CheckpointQueryMessage>& checkpoint);
  // Begins sending `text` as a query's answer over fd (ContinueReply).
  void StartReply(int fd, const ucred& peer, std::string_view text);
  // Sends what the peer's socket takes of its reply, without blocking; ends
  // the reply (closes fd) when all is sent or the peer went away.
  void ContinueReply(int fd);
  void EndReply(int fd);
  // Closes pending handshakes and replies past their deadlines.
  void DropLatecomers(std::chrono::steady_clock::time_point now);
  // True when `peer`'s uid (and pid) may open one more connection of this kind.
  bool WithinPeerLimits(const ucred& peer) const;
  // A session's socket is readable (or hung up): the session handles it,
  // and ends when it says so.
  void OnSessionReadable(int fd);
  void EndSession(int fd, Session::End how);
  // `session`'s process took its ring back: its books wait for it to hand
  // the ring back, or to end.
  void KeepReleased(const Session& session);
  // Takes `key` out of released_ (and its pidfd out of the epoll set); its
  // books go on elsewhere: rejoined, or ended (Ledger::EndReleased) when `ended`.
  void ForgetReleased(const ProcessKey& key, bool ended);
  // The capture file of a process that just connected (null when it cannot
  // be made); a resumed one's books began elsewhere (`handover`) and begin
  // here with `carried`.
  std::unique_ptr<CaptureWriter> OpenCapture(const ucred& peer, const std::string& comm,
                                             const std::optional<Handover>& handover,
                                             const std::optional<std::vector<Event>>& carried);
  // Keeps what /proc says `process`'s command line is (pid `pid`), now that its books begin.
  void NoteCommand(ProcessIndex process, pid_t pid);
  // Drains every session's ring (a budget each), answering the waiting
  // handshakes between two sessions' drains when enough was booked since
  // the last look (AnswerHandshakes).
  void DrainAll();
  // Takes the connections waiting on the control socket and answers the
  // Hellos that came; queries wait for the loop (their answer drains every
  // session first).
  void AnswerHandshakes();
  // Drains one session's ring (a budget), and ends the session when its ring
  // was damaged or taken back by its process.
  void DrainSession(int fd, std::chrono::steady_clock::time_point now);
  // Drains each session of process `pid` once: one whose ring the process
  // took back ends released (KeepReleased), before its resumed Hello is
  // looked up there.
  void EndTakenBackSessions(pid_t pid);
  void UpdateRates();
  void PublishMetrics();

  int listen_fd_;
  // Every descriptor the loop watches; outlives the sessions, which use it.
  EpollSet epoll_;
  std::string socket_path_;
  std::atomic<bool> stop_{false};
  Ledger ledger_;
  // Each ledger process's command line, by ProcessIndex, as /proc said when
  // its books began here (NoteCommand; empty: unknown): its row's "command"
  // in a query's answer. The ledger keeps no command lines: captures have none.
  std::vector<std::string> commands_;
  // Every connection that books a process, memledger clients and legacy
  // ones alike, by socket; and the pidfds the loop watches, to their socket.
  std::map<int, std::unique_ptr<Session>> sessions_;
  std::map<int, int> pidfd_to_session_;
  // Processes that took their ring back from this server, by (pid, start
  // time): their books go on if they hand it back (Ledger::Rejoin); when one
  // ends first (its pidfd says so), what it held leaves the books
  // (Ledger::EndReleased). At most one entry per live process.
  struct Released {
    ProcessIndex process;
    int pidfd;  // watched in the epoll set; -1 when none could be opened
  };
  std::map<ProcessKey, Released> released_;
  std::map<int, ProcessKey> released_pidfds_;
  // Connected, no first message yet: when they connected, and who they are.
  struct Pending {
    std::chrono::steady_clock::time_point since;
    ucred peer;
    bool over_limits;  // its first message is answered with a refusal
  };
  std::map<int, Pending> pending_;
  std::uint64_t events_at_handshakes_ = 0;  // the ledger's events when AnswerHandshakes last looked
  // A query's answer on its way out, packet by packet, as fast as the peer
  // reads it: the loop never blocks on a peer; one that has not read it all
  // by `deadline` is dropped.
  struct Reply {
    std::vector<std::string> packets;
    std::size_t next = 0;
    std::chrono::steady_clock::time_point deadline;
    ucred peer;
  };
  std::map<int, Reply> replies_;  // by fd
  // Queries whose answer waits for stacks the symbolizer's thread is still
  // reading, at most until `until`; then they are answered with what is read
  // (module+offset for the rest).
  struct WaitingQuery {
    std::chrono::steady_clock::time_point until;
    ucred peer;
    std::optional<CheckpointQueryMessage> checkpoint;  // none: the summary
  };
  std::map<int, WaitingQuery> waiting_queries_;  // by fd
  int legacy_listen_fd_ = -1;
  std::string legacy_socket_path_;
  legacy::LegacyVersion legacy_version_ = legacy::LegacyVersion::kV3;
  // What legacy peers may write to the server's log: refusals, dropped replies, dumps.
  LogLimiter legacy_log_{20, std::chrono::seconds(1)};
  std::unique_ptr<MetricsEndpoint> metrics_;
  std::string capture_dir_;  // empty: no captures
  SegmentBounds capture_segments_;
  std::chrono::steady_clock::time_point last_metrics_;
  ServerStats stats_;
  // Symbolizes leak and anomaly sites for queries on a thread of its own:
  // the loop never reads a module file. Mutable: only its caches change.
  mutable BackgroundSymbolizer symbols_;
  std::uint64_t events_at_last_rate_ = 0;
  std::chrono::steady_clock::time_point last_rate_;
};

}  // namespace memledger
