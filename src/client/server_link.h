// server_link.h — the client's connection to `memledger serve`: the
// handshake that hands the server this process's ring (new, or resumed with
// what the process accounted while no server ran), and the waits that notice
// when the server goes away.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "event/event.h"
#include "ring/event_ring.h"

namespace memledger {

// Connects a socket to the server at `path` when it is one this user trusts
// (trusted_server.h); -1 when no server listens there, or when the server or
// its directory is not trusted (said once per process on stderr).
int ConnectServerSocket(const std::string& path);

// What a process coming back to a server hands over with its ring.
struct ResumeState {
  std::uint64_t handovers = 0;          // times its ring changed hands, this one included
  std::uint64_t records_elsewhere = 0;  // records accounted in the process while no server ran
  std::uint64_t missed_frees = 0;       // frees its own books could not match meanwhile
  std::span<const Event> carried;       // names and live buffers (carry_over.h)
};

// Hands `ring` to the server over `fd` (from ConnectServerSocket; closed on
// failure). Returns fd, or -1 with the reason the server (or the handshake) gave.
int HandRingToServer(int fd, const std::string& path, const EventRing& ring, const std::string& comm,
                     const ResumeState* resume, std::string* reason);

// Both of the above: -1 with *reason empty when no server answers at `path`.
int ConnectToServer(const std::string& path, const EventRing& ring, const std::string& comm, std::string* reason);

// Blocks until the server hangs up (true) or `wake_fd` (an eventfd) is
// signalled (false). Never reads or writes the socket's data.
bool WaitForServerHangup(int control_fd, int wake_fd);
// Waits up to `timeout` for `wake_fd` (an eventfd): true when it was signalled.
bool WaitForWake(int wake_fd, std::chrono::milliseconds timeout);

}  // namespace memledger
