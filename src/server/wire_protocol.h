// wire_protocol.h — the control protocol between a tracked process (or a
// query tool) and `memledger serve`, over a Unix SOCK_SEQPACKET socket: one
// message per packet, fixed layouts, a magic and a protocol version in every
// message, sizes asserted. The ring's memfd travels with the Hello as
// SCM_RIGHTS. A version or size mismatch gets a Welcome that says so, never a
// misread; the server learns who the peer is from SO_PEERCRED, never from a
// message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace memledger {

inline constexpr std::uint64_t kHelloMagic = 0x4f4c4c4548444c4dULL;    // "MLDHELLO"
inline constexpr std::uint64_t kWelcomeMagic = 0x454d4f434c454c4dULL;  // "MLELCOME"
inline constexpr std::uint64_t kQueryMagic = 0x5952455551444c4dULL;    // "MLDQUERY"
inline constexpr std::uint32_t kProtocolVersion = 1;

// First message of a tracked process; carries its ring's memfd.
struct HelloMessage {
  std::uint64_t magic;             // kHelloMagic
  std::uint32_t protocol_version;  // kProtocolVersion
  std::uint32_t event_bytes;       // sizeof(Event)
  std::uint32_t ring_layout_version;
  std::uint32_t reserved;
  char comm[32];                   // NUL-padded; informative only
};
static_assert(sizeof(HelloMessage) == 56);

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

enum class QueryKind : std::uint32_t { kSummary = 1 };

// A query tool's only message. The answer: one packet holding the JSON's
// length (u64), then the JSON in packets of at most kReplyChunkBytes. (An
// empty packet cannot end it: it reads the same as a hang-up.)
struct QueryMessage {
  std::uint64_t magic;             // kQueryMagic
  std::uint32_t protocol_version;
  std::uint32_t kind;              // QueryKind
};
static_assert(sizeof(QueryMessage) == 16);
inline constexpr std::size_t kReplyChunkBytes = 32 * 1024;

static_assert(std::is_trivially_copyable_v<HelloMessage> && std::is_trivially_copyable_v<WelcomeMessage> &&
              std::is_trivially_copyable_v<QueryMessage>);

// The socket a client uses when MEMLEDGER_SOCKET is unset:
// $XDG_RUNTIME_DIR/memledger.sock, else /tmp/memledger-$UID.sock.
std::string DefaultSocketPath();

// Sends one packet with an optional fd (SCM_RIGHTS). False on failure (errno set).
bool SendPacket(int socket, const void* data, std::size_t size, int fd_to_pass = -1);
// Receives one packet of at most `capacity` bytes, waiting at most `timeout`.
// Returns its size, or -1 on error, timeout or hang-up. A passed fd, if any,
// lands in *received_fd (else -1); extra fds are closed.
long ReceivePacket(int socket, void* data, std::size_t capacity, std::chrono::milliseconds timeout,
                   int* received_fd = nullptr);

WelcomeMessage MakeWelcome(WelcomeStatus status, std::string_view reason);

}  // namespace memledger
