// serve_command.h — `memledger serve`: the daemon in the foreground.
#pragma once

#include "server/server.h"

namespace memledger {

// Serves until SIGINT or SIGTERM. Returns the exit status.
int ServeCommand(const ServerOptions& options);

}  // namespace memledger
