"""sim_gates.py — the simulator's gates from a test (memledger-sim
--checkpoint-truth, --hold-at-iteration with --hold-truth;
src/sim/workload/workload_gates.h): a gated run writes what it holds to the
gate's file and waits there for SIGUSR1, so a test makes its state first
(a server stopped, every client connected) and lets the work happen after it.

Send a gate's SIGUSR1 only once its file exists: before, the signal ends the
run (its handler is installed with the first gate), and two sent at once may
arrive as one."""
import json
import os
import signal

from server_process import wait_for


def wait_at_gate(what, path, timeout=300):
    """Waits until the gate's file exists (the run is waiting there); returns
    what the run held then (a truth, schema memledger.truth/2)."""
    wait_for(f"{what} to wait at its gate ({os.path.basename(path)})", lambda: os.path.exists(path), timeout)
    with open(path) as f:
        return json.load(f)


def open_gate(process):
    """Lets a run waiting at a gate go on."""
    process.send_signal(signal.SIGUSR1)
