// server_link.h — the client's connection to `memledger serve`: the
// handshake that hands the server this process's ring (new, or resumed with
// what the process accounted while no server ran), and the waits that notice
// when the server goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>

#include "event/event.h"
#include "event/handover.h"
#include "ring/event_ring.h"

namespace memledger {

// Connects a socket to the server at `path` when it is one this user trusts
// (trusted_server.h); -1 when no server listens there, or when the server or
// its directory is not trusted (said once per process on stderr). When no
// server answers there and `absence` is given, *absence says what is at
// `path` instead — nothing, a regular file, a directory, a socket no server
// listens on, a path too long for a socket — for a caller that was told to
// expect a server there.
int ConnectServerSocket(const std::string& path, std::string* absence = nullptr);

// The pid of the server at the other end of `fd` (SO_PEERCRED: the process
// that made the listening socket); 0 when it is not visible from here (a
// server in another pid namespace).
pid_t ServerPid(int fd);

// How long a handshake waits for the server to take the ring: `bound`, and
// past it up to `while_server_runs` as long as the server's process runs —
// a server starved of CPU by busy programs gets there, one stopped by a
// signal or a debugger does not (control/proc_stat.h; a server whose pid
// this process cannot see is waited for `bound`).
struct AcceptWait {
  std::chrono::milliseconds bound;
  std::chrono::milliseconds while_server_runs{0};
};

// Hands `ring` to the server over `fd` (from ConnectServerSocket; closed on
// failure): offers it (ring_ownership.h) in a Hello and waits for the
// Welcome as `wait` says. Returns fd when the server took the ring
// — it accepted the offer, even if its Welcome came later than that. Else -1
// with the reason (the server's, the handshake's, or none when it did not
// answer in time) and the offer taken back, or refused: nobody drains the
// ring, and the caller takes it (TakeRing). A process coming back to a
// server passes `resumed`, what its own books say (handovers, this one
// included; records accounted in the process while no server ran; frees it
// could not match), and `carried`, its names and live buffers (carry_over.h).
int HandRingToServer(int fd, const std::string& path, EventRing& ring, const std::string& comm,
                     const Handover* resumed, std::span<const Event> carried, AcceptWait wait, std::string* reason);

enum class ServerWatch {
  kHungUp,   // the server closed the connection (it exited, or released the ring)
  kStalled,  // this process's producers waited for ring space `stall_bound` without a break
  kWoken,    // `wake_fd` was signalled
};
// Blocks until the server hangs up, stops draining `ring` — producers of
// this process have waited for space for `stall_bound` without a break
// (`space_wait_fd`, an eventfd the ring's producers signal when they sleep,
// wakes the watch; then it looks every few milliseconds) — or `wake_fd`
// (an eventfd) is signalled. Never reads or writes the socket's data.
ServerWatch WaitForServer(int control_fd, int wake_fd, int space_wait_fd, const EventRing& ring,
                          std::chrono::milliseconds stall_bound);
// Waits up to `timeout` for `wake_fd` (an eventfd): true when it was signalled.
bool WaitForWake(int wake_fd, std::chrono::milliseconds timeout);

}  // namespace memledger
