// legacy_session.cc — see legacy_session.h.
#include "server/legacy_session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "event/monotonic_clock.h"
#include "legacy/legacy_event.h"
#include "report/text_report.h"

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

std::uint32_t DevicesSeen(const Ledger& ledger) {
  std::uint32_t n = 0;
  for (const DeviceBooks& device : ledger.devices()) n += device.seen;
  return n;
}
}  // namespace

LegacySession::LegacySession(int fd, pid_t pid, legacy::LegacyVersion version, ProcessIndex process)
    : fd_(fd), pid_(pid), decoder_(version), process_(process) {}

LegacySession::~LegacySession() { close(fd_); }

bool LegacySession::OnReadable(Ledger& ledger) {
  std::uint8_t buffer[16 * 1024];
  for (;;) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    decoder_.Feed(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
    while (const auto message = decoder_.Next()) Handle(ledger, *message);
    // A refused request still gets its reply (zeros): its sender waits for one.
    for (const legacy::LegacyMessage& refused : decoder_.TakeRefusedRequests()) {
      if (refused.type == legacy::MessageType::kQuery) {
        Reply(legacy::EncodeQueryReply(decoder_.version(), refused.device_id, {}));
      } else if (const auto reply = legacy::EncodeDeviceInfoReply(decoder_.version(), refused.device_id, {})) {
        Reply(*reply);
      }
    }
  }
}

void LegacySession::Handle(Ledger& ledger, const legacy::LegacyMessage& message) {
  using legacy::MessageType;
  if (auto event = legacy::ToEvent(message)) {
    event->seq = next_seq_++;
    event->time_ns = MonotonicNs();
    ledger.Apply(process_, Record{*event, {}});
    return;
  }
  const legacy::LegacyVersion version = decoder_.version();
  switch (message.type) {
    case MessageType::kQuery:
      Reply(legacy::EncodeQueryReply(version, message.device_id, TotalsOf(ledger, message.device_id)));
      break;
    case MessageType::kDeviceInfoQuery: {
      std::optional<legacy::EncodedMessage> reply;
      if (message.device_id < 0) {
        reply = legacy::EncodeDeviceCountReply(version, DevicesSeen(ledger));
      } else {
        legacy::LegacyDeviceInfo info;
        if (static_cast<std::size_t>(message.device_id) < ledger.devices().size()) {
          const DeviceBooks& device = ledger.devices()[static_cast<std::size_t>(message.device_id)];
          info.is_available = device.seen;
          info.total_dram_size = device.capacity[MEMLEDGER_DRAM];
          info.total_l1_size = device.capacity[MEMLEDGER_L1];
        }
        reply = legacy::EncodeDeviceInfoReply(version, message.device_id, info);
      }
      if (reply) Reply(*reply);
      break;
    }
    case MessageType::kDumpRemaining:
    case MessageType::kDumpKernels:
      // As the old server did: print what is live; the sender gets no reply.
      std::fprintf(stderr, "memledger serve: legacy pid %d asked for a dump; the books so far:\n%s", pid_,
                   TextReport(ledger).c_str());
      break;
    default: break;
  }
}

void LegacySession::Reply(const legacy::EncodedMessage& reply) {
  const auto bytes = reply.view();
  // Replies are small and the client waits for them; one that does not fit
  // the socket now is counted, never waited for.
  if (send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT) != static_cast<ssize_t>(bytes.size())) {
    ++unsent_replies_;
  }
}

void LegacySession::Finish(Ledger& ledger) {
  decoder_.EndOfStream();
  // Messages refused or cut off could not be booked.
  ledger.CountLost(process_, decoder_.errors().total());
  if (unsent_replies_ != 0) {
    std::fprintf(stderr, "memledger serve: legacy pid %d: %llu replies did not fit its socket and were not sent\n",
                 pid_, static_cast<unsigned long long>(unsent_replies_));
  }
  ledger.EndProcess(process_, ProcessState::kExited, 0);
}

}  // namespace memledger
