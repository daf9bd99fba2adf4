// handshake.h — the control protocol's messages made and checked in one
// place (layouts: wire_protocol.h): the Hello a tracked process sends, the
// Query a query tool sends, and the Welcome the server answers either with.
//
// What each side accepts of the other:
//   - The server reads a Hello or a Query from a peer that may be of another
//     version, or hostile: a message of another size or version is refused
//     with a Welcome that names both sides ("version mismatch"), never
//     misread; unknown flags, a missing ring or carried-over memfd are
//     refused too. Fields past a short message's size read as 0.
//   - A client takes any packet of a Welcome's size and magic as the
//     server's answer, whatever its protocol version: a server of another
//     version answers with a Welcome that says so, and that must be read.
//
// Thread-safe: no state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "control/wire_protocol.h"
#include "event/handover.h"

namespace memledger {

// Why the server refuses a message, for its Welcome.
struct HandshakeRefusal {
  WelcomeStatus status;
  std::string reason;
};

// A Hello for a process named `comm` (cut to 31 bytes): this build's magic,
// versions and sizes. The caller sets the epoch it offers its ring under
// and, when resumed, SetResumed.
HelloMessage MakeHello(std::string_view comm);
// Marks `hello` resumed (kHelloResumed) with the process's own handover
// counts: handovers, records_elsewhere, missed_frees (the rest travels in
// the carried-over memfd).
void SetResumed(HelloMessage* hello, const Handover& handover);
// What a resumed Hello says of the books before the server's: joined late,
// with the process's counts (SetResumed's).
Handover ResumedHandover(const HelloMessage& hello);
QueryMessage MakeQuery(QueryKind kind);
// `reason` is cut to what the message holds (111 bytes), NUL-terminated.
WelcomeMessage MakeWelcome(WelcomeStatus status, std::string_view reason);

// The server's check of a Hello packet of `size` bytes (its real size:
// `hello` is zero past it), and of the memfds it carried: nullopt when this
// server takes it.
std::optional<HandshakeRefusal> CheckHello(const HelloMessage& hello, std::size_t size, bool ring_passed,
                                           bool carried_passed);
// The server's check of a Query packet of `size` bytes: nullopt when it is
// one this server answers (a kCheckpoint query: of CheckpointQueryMessage's size).
std::optional<HandshakeRefusal> CheckQuery(const QueryMessage& query, std::size_t size);
// The rest of a checkpoint query that passed CheckQuery: its ranges and flags.
std::optional<HandshakeRefusal> CheckCheckpointQuery(const CheckpointQueryMessage& message);

// Sends a Welcome; false when the peer is gone (errno set).
bool SendWelcome(int socket, WelcomeStatus status, std::string_view reason);
// `packet` as a Welcome when it is one: a Welcome's size and magic.
std::optional<WelcomeMessage> AsWelcome(std::span<const char> packet);
// Waits up to `timeout` for the server's Welcome on `socket`; nullopt on a
// timeout, a hang-up, or a packet that is not a Welcome.
std::optional<WelcomeMessage> ReceiveWelcome(int socket, std::chrono::milliseconds timeout);
// The Welcome's reason as text (bounded: a hostile server may leave it unterminated).
std::string WelcomeReason(const WelcomeMessage& welcome);

}  // namespace memledger
