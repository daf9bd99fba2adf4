// legacy_session.cc — see legacy_session.h.
#include "server/legacy_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "event/monotonic_clock.h"
#include "event/record.h"
#include "legacy/legacy_event.h"
#include "server/peer_process.h"

namespace memledger {
namespace {

// A device's live bytes in the legacy reply's fields. The legacy tracker
// counted SYSTEM_MEMORY with L1_SMALL; so does this answer.
legacy::TypeTotals TotalsOf(const Ledger& ledger, std::int32_t device) {
  legacy::TypeTotals totals;
  if (device < 0 || static_cast<std::size_t>(device) >= ledger.devices().size()) return totals;
  const TypeCounterTable& types = ledger.devices()[static_cast<std::size_t>(device)].types;
  totals.dram = types[MEMLEDGER_DRAM].live_bytes;
  totals.l1 = types[MEMLEDGER_L1].live_bytes;
  totals.l1_small = types[MEMLEDGER_L1_SMALL].live_bytes + types[MEMLEDGER_SYSTEM_MEMORY].live_bytes;
  totals.trace = types[MEMLEDGER_TRACE].live_bytes;
  totals.cb = types[MEMLEDGER_CB].live_bytes;
  totals.kernel = types[MEMLEDGER_KERNEL].live_bytes;
  return totals;
}

// The ledger's device for a legacy client's device number (device_table.h):
// the one its number is bound to, else (a number it never used, or a client
// that only asks) the number.
std::int32_t LedgerDevice(const Ledger& ledger, std::optional<ProcessIndex> process, std::int32_t device) {
  if (!process || device < 0 || device >= kMaxDevices) return device;
  const std::uint16_t id = ledger.DeviceOf(*process, static_cast<std::uint16_t>(device));
  return id == kNoDevice ? device : id;
}

// What DEVICE_INFO_RESPONSE says of a device: what a native client declared
// when it opened it (its DRAM and L1 capacities, its arch from its name), or
// "no device" (is_available 0, all zero) when none declared a capacity there.
// Allocations alone say nothing of a device: the old monitor would draw them
// against a capacity of 0.
legacy::LegacyDeviceInfo DeviceInfoOf(const DeviceBooks& device) {
  legacy::LegacyDeviceInfo info;
  if (device.capacity[MEMLEDGER_DRAM] == 0 && device.capacity[MEMLEDGER_L1] == 0) return info;
  info.is_available = true;
  info.arch = legacy::ArchFromName(device.name);
  info.total_dram_size = device.capacity[MEMLEDGER_DRAM];
  info.total_l1_size = device.capacity[MEMLEDGER_L1];
  return info;
}

// The answer to "how many devices" (device_id -1): one past the highest
// described device, so that a monitor asking for devices 0 .. n-1 reaches
// every one (those between are "no device").
std::uint32_t DevicesToAskFor(const Ledger& ledger) {
  std::uint32_t count = 0;
  for (std::uint32_t d = 0; d < ledger.devices().size(); ++d) {
    if (DeviceInfoOf(ledger.devices()[d]).is_available) count = d + 1;
  }
  return count;
}

bool IsEventType(legacy::MessageType type) {
  using legacy::MessageType;
  return type == MessageType::kAlloc || type == MessageType::kFree || type == MessageType::kCbAlloc ||
         type == MessageType::kCbFree || type == MessageType::kKernelLoad || type == MessageType::kKernelUnload;
}

std::string TypeText(legacy::MessageType type) {
  const std::string_view name = legacy::MessageTypeName(static_cast<std::uint8_t>(type));
  return name == "UNKNOWN" ? fmt::format("a message of type {}", static_cast<int>(type)) : std::string(name);
}

}  // namespace

LegacySession::LegacySession(int fd, EpollSet& epoll, int pidfd, const ucred& peer, std::string comm,
                             legacy::LegacyVersion fallback, CaptureOpener open_capture)
    : fd_(fd),
      epoll_(epoll),
      pidfd_(pidfd),
      peer_(peer),
      start_time_(ProcessStartTime(peer.pid)),
      comm_(std::move(comm)),
      decoder_(legacy::LegacyDecoder::Detecting(fallback)),
      open_capture_(std::move(open_capture)) {
  epoll_.Watch(fd_);
}

LegacySession::~LegacySession() {
  close(fd_);  // also leaves the epoll set
  if (pidfd_ >= 0) close(pidfd_);
}

bool LegacySession::OnReadable(Ledger& ledger, const Services& services) {
  Flush();
  std::uint8_t buffer[16 * 1024];
  for (std::size_t read = 0; read < kReadBudgetBytes && !peer_gone_;) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    read += static_cast<std::size_t>(n);
    decoder_.Feed(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
    while (const auto decoded = decoder_.Next()) Handle(ledger, services, *decoded);
    if (recorded_) {
      if (const std::string error = recorded_->TakeSegmentError(); !error.empty()) Say(services.log, error);
    }
  }
  return !peer_gone_;  // more may be waiting: epoll reports it again next turn
}

ProcessIndex LegacySession::Process(Ledger& ledger) {
  if (!recorded_) {
    // The process is who SO_PEERCRED says: its PROCESS record (first, as a
    // native stream's) is for the capture; the books ignore it.
    recorded_.emplace(ledger.BeginProcess(static_cast<std::uint32_t>(peer_.pid), comm_, peer_.uid),
                      ProcessRecord::kIgnore, open_capture_ ? open_capture_() : nullptr);
    Event process{};
    process.kind = static_cast<std::uint8_t>(EventKind::kProcess);
    process.buffer_id = static_cast<std::uint64_t>(peer_.pid);
    process.size = std::uint64_t{peer_.uid} + 1;
    Book(ledger, process, comm_);
  }
  return recorded_->stream().process();
}

void LegacySession::Book(Ledger& ledger, Event header, std::string_view payload) {
  slots_.clear();
  AppendRecord(slots_, header, payload);  // numbered from 1: renumbered from next_seq_
  for (Event& slot : slots_) slot.seq += next_seq_ - 1;
  next_seq_ += slots_.size();
  recorded_->Apply(ledger, slots_, MonotonicNs());
}

void LegacySession::CountLost(Ledger& ledger) {
  ledger.CountLost(Process(ledger), 1);
  ++next_seq_;
}

void LegacySession::FlushCaptureIfDue(std::chrono::steady_clock::time_point now) {
  if (recorded_) recorded_->FlushCaptureIfDue(now);
}

void LegacySession::Handle(Ledger& ledger, const Services& services, const legacy::DecodedMessage& decoded) {
  using legacy::MessageType;
  LogLimiter& log = services.log;
  if (!decoded.accepted()) {
    Refused(ledger, log, decoded);
    return;
  }
  const legacy::LegacyMessage& message = decoded.message;
  if (IsEventType(message.type)) {
    Process(ledger);
    if (const auto event = references_.Book(message)) Book(ledger, *event);
    return;
  }
  switch (message.type) {
    case MessageType::kQuery:
      Reply(log, legacy::EncodeQueryReply(decoded.version, message.device_id,
                                          TotalsOf(ledger, LedgerDevice(ledger, process(), message.device_id))));
      break;
    case MessageType::kDeviceInfoQuery: {
      std::optional<legacy::EncodedMessage> reply;
      if (message.device_id < 0) {
        reply = legacy::EncodeDeviceCountReply(decoded.version, DevicesToAskFor(ledger));
      } else {
        const auto device = static_cast<std::size_t>(LedgerDevice(ledger, process(), message.device_id));
        reply = legacy::EncodeDeviceInfoReply(
            decoded.version, message.device_id,
            device < ledger.devices().size() ? DeviceInfoOf(ledger.devices()[device]) : legacy::LegacyDeviceInfo{});
      }
      if (reply) Reply(log, *reply);
      break;
    }
    case MessageType::kDumpRemaining:
    case MessageType::kDumpKernels: services.dump(message.type, peer_.pid); break;  // no reply, as the old server
    default: break;
  }
}

void LegacySession::Refused(Ledger& ledger, LogLimiter& log, const legacy::DecodedMessage& decoded) {
  using legacy::MessageType;
  const legacy::LegacyMessage& message = decoded.message;
  std::string outcome = "not booked";
  if (message.type == MessageType::kQuery) {
    // Its sender waits for a reply: zeros, as the old server sent for what it did not know.
    Reply(log, legacy::EncodeQueryReply(decoded.version, message.device_id, {}));
    outcome = "answered with zeros";
  } else if (message.type == MessageType::kDeviceInfoQuery) {
    if (const auto reply = legacy::EncodeDeviceInfoReply(decoded.version, message.device_id, {})) {
      Reply(log, *reply);
      outcome = "answered \"no device\"";
    }
  } else if (IsEventType(message.type) || recorded_) {
    CountLost(ledger);  // a record of this process's that the books lack
  }
  Say(log, fmt::format("refused {} (a {} message, device {}): {}; {}", TypeText(message.type),
                       legacy::LegacyVersionName(decoded.version), message.device_id,
                       legacy::DecodeErrorName(*decoded.refused), outcome));
}

void LegacySession::Reply(LogLimiter& log, const legacy::EncodedMessage& reply) {
  const auto bytes = reply.view();
  if (pending_.size() - pending_sent_ + bytes.size() > kMaxPendingReplyBytes) {
    Say(log, fmt::format("a reply dropped: {} bytes of earlier replies wait for the client to read them",
                         pending_.size() - pending_sent_));
    return;
  }
  pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  Flush();
}

void LegacySession::Flush() {
  while (pending_sent_ < pending_.size()) {
    const ssize_t n = send(fd_, pending_.data() + pending_sent_, pending_.size() - pending_sent_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      pending_sent_ += static_cast<std::size_t>(n);
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) peer_gone_ = true;
      break;
    }
  }
  if (pending_sent_ == pending_.size()) {
    pending_.clear();
    pending_sent_ = 0;
  }
  WatchForWrite(!pending_.empty() && !peer_gone_);
}

void LegacySession::WatchForWrite(bool write) {
  if (write == watching_write_) return;
  watching_write_ = write;
  epoll_.Change(fd_, EPOLLIN | EPOLLRDHUP | (write ? EPOLLOUT : 0u));
}

void LegacySession::Say(LogLimiter& log, std::string_view what) const {
  if (!log.Allow(LogLimiter::Clock::now())) return;
  const std::uint64_t held_back = log.TakeHeldBack();
  const std::string note =
      held_back == 0 ? "" : fmt::format(" ({} earlier lines about legacy peers were held back)", held_back);
  std::fprintf(stderr, "memledger serve: legacy pid %d: %.*s%s\n", peer_.pid, static_cast<int>(what.size()),
               what.data(), note.c_str());
}

void LegacySession::Finish(Ledger& ledger, End, LogLimiter& log) {
  const std::size_t cut = decoder_.EndOfStream();
  if (cut != 0) Say(log, fmt::format("hung up {} bytes into a message: the message is lost", cut));
  if (!recorded_) return;  // it only asked: nothing to end
  if (cut != 0) CountLost(ledger);
  const bool may_read_exit_code = peer_.uid == geteuid() || geteuid() == 0;
  const PeerExit exit = HowPeerEnded(peer_.pid, start_time_, pidfd_, may_read_exit_code);
  const bool killed = exit.how == PeerEnd::kKilled || (exit.how == PeerEnd::kUnknown && cut != 0);
  // The end record (event_kind.h): the state in `type`, the exit status in
  // `buffer_id`; lost records are the sequence's gaps, not its `address`.
  Event end{};
  end.kind = static_cast<std::uint8_t>(EventKind::kProcessEnd);
  end.type = static_cast<std::uint8_t>(killed ? ProcessState::kKilled : ProcessState::kExited);
  const std::int64_t status = killed ? (exit.how == PeerEnd::kKilled ? -exit.code : -1)
                                     : (exit.how == PeerEnd::kExited ? exit.code : 0);
  end.buffer_id = static_cast<std::uint64_t>(status);
  Book(ledger, end);
  std::string error;
  if (const std::string seam = recorded_->TakeSegmentError(); !seam.empty()) Say(log, seam);
  if (!recorded_->CloseCapture(&error)) Say(log, "its capture is incomplete: " + error);
}

}  // namespace memledger
