// legacy_session.h — the server's side of one client of the tracker this
// project replaces (../shared/reference/legacy-protocol.md): a stream of
// fixed-size messages, each of a generation told from the stream itself
// (legacy_decoder.h, so v1, v2 and v3 clients share one socket); its events
// booked in the shared Ledger as one process's, in arrival order (which the
// old client's global mutex made its hook order), after the old tracker's
// reference counting (legacy_references.h); QUERY and DEVICE_INFO_QUERY
// answered from the ledger; DUMP_REMAINING and DUMP_KERNELS handed to the
// server, which lists what every legacy connection holds.
//
// A connection becomes a process in the books with its first event: one
// that only asks (a monitor) never does. When it closes, the process ends
// killed when the kernel says a signal ended it, or, when the kernel no
// longer knows (peer_process.h), when the stream was cut inside a message;
// exited otherwise (the legacy protocol has no goodbye).
//
// With `memledger serve --capture DIR` the process's records go into its
// capture file as the books applied them (RecordedStream), as a native
// client's do: a PROCESS record first (who SO_PEERCRED says), each booked
// event, the end record the session writes for it; a refused or cut message
// is a gap in the records' sequence, which a replay counts lost, as the
// server's books counted it. The file replays into the server's books.
//
// The peer is hostile and the server has one thread: reads are bounded per
// turn; replies go out without blocking (what the socket does not take now
// waits for EPOLLOUT, up to kMaxPendingReplyBytes; a reply past that is
// dropped, whole, and said); every refusal is said on the server's log at
// once, through the server's LogLimiter.
//
// Not thread-safe: owned and used by the server's loop thread. The sender's
// pid is SO_PEERCRED's, never the message's claim.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capture/capture_writer.h"
#include "consumer/recorded_stream.h"
#include "ledger/ledger.h"
#include "legacy/legacy_decoder.h"
#include "legacy/legacy_references.h"
#include "server/epoll_set.h"
#include "server/log_limiter.h"
#include "server/session.h"

namespace memledger {

class LegacySession final : public Session {
 public:
  static constexpr std::size_t kMaxPendingReplyBytes = 64 * 1024;

  // The capture file of the connection's process, opened when the
  // connection becomes one (null: none).
  using CaptureOpener = std::function<std::unique_ptr<CaptureWriter>()>;

  // Takes ownership of `fd` (a connected, non-blocking stream socket) and of
  // `pidfd` (the peer's, -1: none), and watches `fd` in `epoll` (which outlives it).
  // `fallback`: the generation bytes that fit none are read at.
  LegacySession(int fd, EpollSet& epoll, int pidfd, const ucred& peer, std::string comm, legacy::LegacyVersion fallback,
                CaptureOpener open_capture = nullptr);
  ~LegacySession() override;
  LegacySession(const LegacySession&) = delete;
  LegacySession& operator=(const LegacySession&) = delete;

  pid_t pid() const override { return peer_.pid; }
  uid_t uid() const override { return peer_.uid; }
  // Its process in the books, once the connection has sent an event.
  std::optional<ProcessIndex> process() const override {
    return recorded_ ? std::optional(recorded_->stream().process()) : std::nullopt;
  }
  // Sends what replies wait, reads what arrived (at most kReadBudgetBytes a
  // turn), books and answers it. False once the client has hung up.
  bool OnReadable(Ledger& ledger, const Services& services) override;
  // Its events are booked as they are read: nothing to drain.
  std::optional<End> Drain(Ledger&, std::size_t) override { return std::nullopt; }
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now) override;
  // The connection is gone, or the server stops (whichever `how`): a cut
  // message is a lost record, and the process (if the connection became
  // one) ends, killed or exited as the kernel says (see the top), what it
  // holds becoming its leaks; its capture is closed (a write error said on
  // `log`).
  void Finish(Ledger& ledger, End how, LogLimiter& log) override;
  std::vector<legacy::HeldBuffer> Held() const override { return references_.Held(); }

 private:
  static constexpr std::size_t kReadBudgetBytes = 256 * 1024;

  void Handle(Ledger& ledger, const Services& services, const legacy::DecodedMessage& decoded);
  void Refused(Ledger& ledger, LogLimiter& log, const legacy::DecodedMessage& decoded);
  // This connection's process, begun in the books (and its capture) on first use.
  ProcessIndex Process(Ledger& ledger);
  // A record of the process that the books lack (refused, or cut): counted
  // lost now, and a gap in the sequence of what is recorded.
  void CountLost(Ledger& ledger);
  // Applies `header` (and its payload) as the process's next record, and records it.
  void Book(Ledger& ledger, Event header, std::string_view payload = {});
  void Reply(LogLimiter& log, const legacy::EncodedMessage& reply);
  // Sends what the socket takes of the pending replies, without blocking.
  void Flush();
  void WatchForWrite(bool write);
  // One line on the server's log, if `log` lets it through.
  void Say(LogLimiter& log, std::string_view what) const;

  int fd_;
  EpollSet& epoll_;
  int pidfd_;
  ucred peer_;
  std::uint64_t start_time_;  // the peer's, to know it from a later process with its pid
  std::string comm_;
  legacy::LegacyDecoder decoder_;
  legacy::LegacyReferences references_;
  CaptureOpener open_capture_;
  std::optional<RecordedStream> recorded_;  // once the connection is a process
  std::uint64_t next_seq_ = 1;
  std::vector<Event> slots_;  // Book's: one record's slots, reused (no allocation per message)
  std::string pending_;  // replies not yet taken by the socket, whole ones only
  std::size_t pending_sent_ = 0;
  bool watching_write_ = false;
  bool peer_gone_ = false;  // a send failed: the peer closed its end
};

}  // namespace memledger
