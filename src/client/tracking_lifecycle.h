// tracking_lifecycle.h — the library's life in the tracked process: whether
// tracking is on, decided once from the environment; the ring, the first
// and last records, the consumer or server it goes to; shutdown with the
// exit report; the fork policy.
//
// Lifecycle: Undecided -> On | Off, decided once (std::call_once) by the
// first hook (DecideTracking, hook_core.h) or by the library constructor,
// whichever comes first. At library destruction On -> Off: the process-end
// record is published, the consumer drains and stops, the exit report is
// printed. The ring is never unmapped, so a hook racing with shutdown
// writes into valid memory and is ignored.
//
// Fork policy: a forked child does not track (it would write into its
// parent's ring); a child that execs starts fresh and tracks when
// MEMLEDGER=1 is in its environment. MEMLEDGER_OUTPUT may contain %p for the
// pid. A child forked while another thread held one of the client's locks
// must never wait for it (that thread does not exist in the child), so: the
// fork handlers (installed at load, whether tracking is on or off) turn
// tracking off in the child before fork() returns there, and every hook
// checks the state before it takes any lock — so in a child no hook takes
// one, but for the names lock in memledger_register_pool (pool ids are the
// same contract with tracking off), which fork takes in the parent before
// it forks and releases on both sides (declared_names.h), so the child's
// copy of the pool table is whole and its lock free.
#pragma once

#include <sys/types.h>

#include <chrono>

namespace memledger {

// How long WaitProcessed waits for a drain that makes no progress — takes
// none of this process's records into a ledger. A drain that progresses is
// always waited for: the records before the target are finite.
struct DrainPatience {
  std::chrono::milliseconds stalled;
  // Longer, while `server` (a pid; 0 when unknown) runs: a server starved of
  // CPU by the programs it tracks gets there, one stopped by a signal or a
  // debugger does not (control/proc_stat.h).
  std::chrono::milliseconds stalled_while_server_runs{0};
  pid_t server = 0;
};

// Waits until everything published so far is in a ledger (a server's or
// this process's); false when the drain stalled past `patience` first.
// Tracking must be on.
bool WaitProcessed(DrainPatience patience);

}  // namespace memledger
