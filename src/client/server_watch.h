// server_watch.h — who drains this process's ring, and the moves between
// them: a server (server mode) or the embedded consumer in this process.
//
// Server mode: the ring was handed to a server at start and no consumer runs
// here. A watcher thread waits for the server to hang up, or to stop
// draining (producers wait for space kServerStallBound without a break);
// then an embedded consumer takes the ring over from where the server
// stopped, so the application never blocks on a ring nobody drains, or
// waits on a stuck server longer than that bound. The watcher then looks for
// a server at the same path every kReconnectInterval; when one answers, the
// embedded consumer pauses at a record boundary and the ring goes to the
// server together with what this process accounted meanwhile (its live
// buffers and the names they use: carry_over.h).
//
// Globals (the .cc): the consumer (g_consumer) and the control socket change
// hands only under g_consumer_mutex — by the watcher, and by the lifecycle
// at start and at shutdown — so Shutdown sees either a server or a
// consumer, never a half-made handover. g_consumer is an atomic so that
// InProcessConsumer may read it without the lock. The watcher thread and
// its eventfds are made at start and joined at shutdown; the control socket
// and the handover count are the watcher's until it is joined, then
// StopServerWatch's.
#pragma once

#include <absl/functional/function_ref.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "client/embedded_consumer.h"

namespace memledger {

// Embedded mode from the start: takes the ring (ring_ownership.h) and starts
// the consumer here. Before tracking is on.
void StartInProcessConsumer(std::uint32_t pid, const std::string& comm, std::unique_ptr<CaptureWriter> capture,
                            std::unique_ptr<LifecycleLogHandle> log);
// Server mode: the server at `path` took the ring over `server_fd`; starts
// the watcher. Before tracking is on.
void StartServerWatch(int server_fd, std::uint32_t pid, const std::string& comm, const std::string& path);
// At shutdown, with tracking off: no handover from now on. In server mode,
// ends the watcher and, when accounting is in this process then (the server
// stalled or went away), tries once more to give a server the ring, so that
// its books of this process end with the process, not at the stall: it
// waits 2 s for the server, and up to 10 s while the server's process runs
// (starved of CPU, not stopped: control/proc_stat.h).
void StopServerWatch();
// The consumer draining the ring in this process; null when a server does.
EmbeddedConsumer* InProcessConsumer();
// f(InProcessConsumer()) under the lock that hands the ring over: the
// consumer is neither replaced nor deleted until f returns. Any thread but
// the drain thread and the watcher.
void WithInProcessConsumer(absl::FunctionRef<void(EmbeddedConsumer*)> f);
// Server mode: the socket path of the server this process was handed to
// (set before tracking is on, never changed); null in embedded mode.
const std::string* ServerSocketPath();
// After StopServerWatch, when a server drains the ring: the server's pid
// (server_link.h: ServerPid); 0 when none does or it is not visible here.
pid_t DrainingServerPid();

}  // namespace memledger
