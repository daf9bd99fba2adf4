// server_link.h — the client's connection to `memledger serve`: the
// handshake that hands the server this process's ring, and the watch that
// notices when the server goes away.
#pragma once

#include <string>

#include "ring/event_ring.h"

namespace memledger {

// Connects to the server at `path` and hands it `ring`. Returns the control
// socket, or -1: with *reason empty when no server answers there, else the
// reason the server (or the handshake) gave.
int ConnectToServer(const std::string& path, const EventRing& ring, const std::string& comm, std::string* reason);

// Blocks until the server hangs up (true) or `wake_fd` (an eventfd) is
// signalled (false). Never reads or writes the socket's data.
bool WaitForServerHangup(int control_fd, int wake_fd);

}  // namespace memledger
