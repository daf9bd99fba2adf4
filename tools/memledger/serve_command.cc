// serve_command.cc — see serve_command.h.
#include "serve_command.h"

#include <signal.h>

#include <cstdio>

namespace memledger {
namespace {
Server* g_running = nullptr;  // for the signal handler
void StopOnSignal(int) {
  if (g_running != nullptr) g_running->RequestStop();
}
}  // namespace

int ServeCommand(const ServerOptions& options) {
  std::string error;
  auto server = Server::Start(options, &error);
  if (!server) {
    std::fprintf(stderr, "memledger serve: %s\n", error.c_str());
    return 1;
  }
  g_running = server.get();
  struct sigaction action {};
  action.sa_handler = StopOnSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr, "memledger serve: listening on %s (tracked processes connect with MEMLEDGER=1)\n",
               server->socket_path().c_str());
  server->Run();
  g_running = nullptr;
  std::fprintf(stderr, "memledger serve: stopped\n");
  return 0;
}

}  // namespace memledger
