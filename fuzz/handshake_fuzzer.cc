// handshake_fuzzer.cc — arbitrary first packets (and passed fds: a real
// ring, a corrupt ring, a carried-over state of fuzz bytes, or something
// else) against a real in-process Server: it must answer or drop the peer,
// never crash or hang, and go on answering queries. The first input byte
// picks the fds that travel along: its low two bits the first, the next two
// the second.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <string>

#include "control/unix_socket.h"
#include "server/server.h"

namespace {
using namespace memledger;

// A server for a run of inputs, then a fresh one: a server's books grow with
// every process it accepts (and a query's answer with them), so one server
// for a million inputs would make later inputs slower and slower.
constexpr std::uint64_t kInputsPerServer = 4096;

Server& TheServer() {
  static const std::string path = "/tmp/memledger-fuzz-" + std::to_string(getpid()) + ".sock";
  static std::unique_ptr<Server> server;
  static std::uint64_t inputs = 0;
  if (inputs++ % kInputsPerServer == 0) {
    if (server && server->SummaryJson().empty()) std::abort();  // it still answers
    server.reset();
    std::string error;
    ServerOptions options;
    options.socket_path = path;
    server = Server::Start(options, &error);
    if (!server) {
      std::fprintf(stderr, "cannot start the server: %s\n", error.c_str());
      std::abort();
    }
  }
  return *server;
}

int Connect(const std::string& path) {
  const int fd = ConnectUnixSocket(path, SOCK_SEQPACKET);
  if (fd < 0) std::abort();
  return fd;
}

// 0: no fd; 1: a real ring; 2: a memfd of `bytes` bytes starting with the
// fuzz bytes; 3: /dev/null.
int MakeFd(std::uint8_t mode, const std::uint8_t* data, std::size_t size, std::size_t bytes,
           std::unique_ptr<EventRing>* keep) {
  std::string error;
  switch (mode % 4) {
    case 1:
      *keep = EventRing::Create(kMinRingSlots, OnFull::kBlock, &error);
      return *keep ? (*keep)->fd() : -1;
    case 2: {
      const int fd = memfd_create("fuzz-bytes", MFD_CLOEXEC);
      if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) std::abort();
      if (pwrite(fd, data, std::min(size, bytes), 0) < 0) std::abort();
      return fd;
    }
    case 3: return open("/dev/null", O_RDONLY | O_CLOEXEC);
    default: return -1;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  Server& server = TheServer();
  std::unique_ptr<EventRing> ring;
  std::unique_ptr<EventRing> unused;
  // The packet's bytes after the Hello are also the carried-over state's.
  const std::size_t after_hello = std::min(size - 1, sizeof(HelloMessage));
  const int fds[2] = {MakeFd(data[0], data + 1, size - 1, RingBytes(kMinRingSlots), &ring),
                      MakeFd(data[0] >> 2, data + 1 + after_hello, size - 1 - after_hello,
                             (size - 1 - after_hello) & ~std::size_t{63}, &unused)};
  const int count = fds[0] >= 0 ? (fds[1] >= 0 ? 2 : 1) : 0;
  const int client = Connect(server.socket_path());
  SendPacket(client, data + 1, size - 1, std::span(fds, count));
  for (int i = 0; i < 3; ++i) server.Poll(std::chrono::milliseconds(0));
  char reply[256];
  ReceivePacket(client, reply, sizeof(reply), std::chrono::milliseconds(0));
  close(client);
  if (fds[0] >= 0 && !ring) close(fds[0]);
  if (fds[1] >= 0 && !unused) close(fds[1]);
  for (int i = 0; i < 3; ++i) server.Poll(std::chrono::milliseconds(0));
  // The server still answers (also checked before each server is replaced).
  if (data[0] == 0xff && server.SummaryJson().empty()) std::abort();
  return 0;
}
