// wire_protocol.h — the control protocol between a tracked process (or a
// query tool) and `memledger serve`, over a Unix SOCK_SEQPACKET socket: one
// message per packet, fixed layouts, a magic and a protocol version in every
// message, sizes asserted. The ring's memfd travels with the Hello as
// SCM_RIGHTS; a client coming back after its server went away sends a second
// memfd with what it accounted meanwhile (carry_over.h). A version or size
// mismatch gets a Welcome that says so, never a misread (handshake.h: the
// messages made and checked); the server learns who the peer is from
// SO_PEERCRED, never from a message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "event/event.h"

namespace memledger {

inline constexpr std::uint64_t kHelloMagic = 0x4f4c4c4548444c4dULL;    // "MLDHELLO"
inline constexpr std::uint64_t kWelcomeMagic = 0x454d4f434c454c4dULL;  // "MLELCOME"
inline constexpr std::uint64_t kQueryMagic = 0x5952455551444c4dULL;    // "MLDQUERY"
inline constexpr std::uint32_t kProtocolVersion = 3;  // 3: the Hello offers the ring's epoch

enum HelloFlags : std::uint32_t {
  // The ring is not new: it was drained by a server that went away and then
  // in the process itself. A second memfd carries the carried-over slot
  // stream (names, the frees it could not match, its live buffers); the
  // handover fields say what was accounted elsewhere.
  kHelloResumed = 1,
};

// First message of a tracked process; carries its ring's memfd (and, when
// resumed, the carried-over state's memfd after it).
struct HelloMessage {
  std::uint64_t magic;             // kHelloMagic
  std::uint32_t protocol_version;  // kProtocolVersion
  std::uint32_t event_bytes;       // sizeof(Event)
  std::uint32_t ring_layout_version;
  std::uint32_t flags;             // HelloFlags
  char comm[32];                   // NUL-padded; informative only
  // Resumed only (else 0): the process's own word, about its own books.
  std::uint64_t handovers;          // times its ring changed hands before
  std::uint64_t records_elsewhere;  // records accounted in the process meanwhile
  std::uint64_t missed_frees;       // frees its own books could not match meanwhile
  // The epoch the process offers its ring under (ring_ownership.h): the
  // server owns the ring only if it accepts that offer before the process
  // takes it back, so a server that reads a Hello late owns nothing.
  std::uint32_t ring_epoch;
  std::uint32_t reserved;  // 0
};
static_assert(sizeof(HelloMessage) == 88);
// The carried-over memfd holds whole 64-byte slots, at most this many bytes
// (a million slots: names, stacks and live buffers): the server reads it on
// its one thread, so a process holding more is refused, says so, and keeps
// accounting in-process.
inline constexpr std::uint64_t kMaxCarriedOverBytes = 64ULL << 20;

enum class WelcomeStatus : std::uint32_t {
  kAccepted = 0,
  kVersionMismatch = 1,  // protocol, event size or ring layout differ
  kBadRing = 2,          // no fd, or not a ring this server can read
  kBadMessage = 3,       // not a Hello or a Query
  kServerFull = 4,
};

struct WelcomeMessage {
  std::uint64_t magic;             // kWelcomeMagic
  std::uint32_t protocol_version;  // the server's
  std::uint32_t status;            // WelcomeStatus
  char reason[112];                // NUL-terminated, for the client's warning line
};
static_assert(sizeof(WelcomeMessage) == 128);

enum class QueryKind : std::uint32_t {
  kSummary = 1,       // the summary JSON of every process
  kOwnBooksLine = 2,  // one line of text on the asking process's own books (SO_PEERCRED's pid), for its exit
  kCheckpoint = 3,    // a checkpoint of the asking process's own (SO_PEERCRED's pid): a CheckpointQueryMessage
};

// A query tool's only message. The answer: one packet holding the text's
// length (u64), then the text in packets of at most kReplyChunkBytes. (An
// empty packet cannot end it: it reads the same as a hang-up.)
struct QueryMessage {
  std::uint64_t magic;             // kQueryMagic
  std::uint32_t protocol_version;
  std::uint32_t kind;              // QueryKind
};
static_assert(sizeof(QueryMessage) == 16);
inline constexpr std::size_t kReplyChunkBytes = 32 * 1024;

// A kCheckpoint query (memledger.h's memledger_query_checkpoint, asked of
// the server that drains the asking process): its QueryMessage, then the
// question. The answer (control/checkpoint_reply.h) is framed as any
// query's. The asker waits until the server applied what it published
// before it asks (the ring's processed mark), so the server answers from
// its books as they are.
inline constexpr std::uint32_t kCheckpointCountsOnly = 1;  // flags: no JSON, no text
inline constexpr std::size_t kMaxCheckpointExcludes = 8;
struct CheckpointQueryMessage {
  QueryMessage query;  // kind kCheckpoint
  std::uint64_t checkpoint;
  std::uint32_t flags;          // kCheckpointCountsOnly
  std::uint32_t max_sites;      // in the text; at least 1
  std::uint32_t exclude_count;  // at most kMaxCheckpointExcludes
  std::uint32_t reserved;       // 0
  struct {
    std::uint64_t begin;
    std::uint64_t end;
  } excludes[kMaxCheckpointExcludes];
};
static_assert(sizeof(CheckpointQueryMessage) == 168);
// A query's answer as the packets that carry it (read by server_query.h).
std::vector<std::string> ReplyPackets(std::string_view json);

static_assert(std::is_trivially_copyable_v<HelloMessage> && std::is_trivially_copyable_v<WelcomeMessage> &&
              std::is_trivially_copyable_v<QueryMessage> && std::is_trivially_copyable_v<CheckpointQueryMessage>);

// Sends one packet with fds (SCM_RIGHTS), at most two. False on failure (errno set).
bool SendPacket(int socket, const void* data, std::size_t size, std::span<const int> fds_to_pass = {});
// Receives one packet of at most `capacity` bytes, waiting at most `timeout`.
// Returns its size, or -1 on error, timeout or hang-up. Passed fds land in
// `received_fds` in order (the rest of it is set to -1); extra fds are closed.
long ReceivePacket(int socket, void* data, std::size_t capacity, std::chrono::milliseconds timeout,
                   std::span<int> received_fds = {});

// The carried-over state of a resumed Hello: a sealed memfd holding `slots`.
// Returns the fd, or -1 and sets *error.
int WriteCarriedOver(std::span<const Event> slots, std::string* error);
// Reads a carried-over memfd from a peer that may be hostile: a memfd sealed
// against writes and resizing, of whole slots, at most kMaxCarriedOverBytes.
// nullopt and *error otherwise.
std::optional<std::vector<Event>> ReadCarriedOver(int fd, std::string* error);

}  // namespace memledger
