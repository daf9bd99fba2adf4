#!/usr/bin/env python3
"""interposer_test.py — `memledger run --cuda` over the stub CUDA runtime.

CI has no GPU: the workload runs against the stub libcuda.so.1 and
libcudart.so built beside it (stub_driver.cc, stub_runtime.cc), which keep
their own books. For each workload build, the ledger must equal them:
1. cuda_workload (linked with -lcudart -lcuda; driver calls by name and
   through cuGetProcAddress; an LD_PRELOAD already set is kept, after the
   interposer; it starts a shell that starts another CUDA program, which
   is booked in a capture of its own beside the program's — the shell,
   which books nothing, leaves none);
2. cuda_workload_dlopen (links no CUDA library, as with static cudart: the
   driver only through dlopen + cuGetProcAddress, the runtime half dlopened
   RTLD_LOCAL);
each ending with a handle value given to a cuMemCreate while the
cuMemRelease that gave it back is held inside the stub driver (the new
allocation leaks: it must not be booked as freed);
per device and memory type (DRAM, MANAGED, VMM_PHYSICAL), allocs, frees,
leaked buffers and bytes equal the stub's, zero anomalies, nothing dropped or
lost; device names, capacities and uids (cuDeviceGetUuid_v2, as nvidia-smi
spells them) come from the driver. Each thread also runs out of memory once
through every allocating call (a request larger than the stub device): the
capture's failed allocations (ALLOC_FAILED), per device and type, equal the
stub's refusals (read with the Python module's Capture.events(), given
--python-dir; the report JSON does not carry failures yet — once it has
"allocation_failures", the check should read them from there, and run in
sanitized builds too), and the runtime's last error is what it would be
without the interposer (the workload checks it).
3. With tracking off the interposer only passes calls through.
4. Without libmemledger_cuda.so beside it, `memledger run --cuda` says so
   and where it looked, and exits 127.

Sanitized builds (--sanitized): the interposer is preloaded ahead of the
sanitizer runtime the program links, which ASan refuses by default; its
verify_asan_link_order check is turned off for these runs (the interposer
defines no allocator function, the reason for the check). Under TSan
(--sanitizer-runtime, the TSan runtime): the runtime is preloaded into every
run, since uninstrumented programs of the tree (the shell and its helpers)
load the TSan-built interposer too; without TSan's interceptors ahead of the
C library's, the thread the client starts there never gets TSan's state and
crashes at its first instrumented call (the shell dies of SIGSEGV).

usage: interposer_test.py BIN_DIR INTERPOSER WORKLOAD WORKLOAD_DLOPEN STUB_LIBCUDA [--threads N] [--iterations I]
                           [--sanitized] [--sanitizer-runtime LIBTSAN] [--python-dir BUILD/python]
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import checks  # noqa: E402
from checks import Checker  # noqa: E402

TYPES = ("DRAM", "MANAGED", "VMM_PHYSICAL")


def clean_env(args):
    env = checks.clean_env(MEMLEDGER_REPORT="0")
    env.pop("LD_PRELOAD", None)
    if args.sanitizer_runtime:
        env["LD_PRELOAD"] = args.sanitizer_runtime
    # The stub is found by name, as a driver is, through the library path.
    env["LD_LIBRARY_PATH"] = ":".join(filter(None, [os.path.dirname(args.stub_driver), env.get("LD_LIBRARY_PATH")]))
    if args.sanitized:
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
    return env


def preloads(args, *libraries):
    """LD_PRELOAD of `libraries`, after the sanitizer runtime if any."""
    return ":".join(filter(None, [args.sanitizer_runtime, *libraries]))


def check_books(check, name, summary, counts, every_type_used=True):
    check.expect(f"{name}: schema", summary["schema"], "memledger.summary/1")
    for kind, n in summary["anomalies"].items():
        check.expect(f"{name}: anomaly {kind}", n, 0)
    check.expect(f"{name}: dropped events", summary["dropped_events"], 0)
    check.expect(f"{name}: lost records", summary["lost_records"], 0)
    ledger = {d["device"]: d for d in summary["devices"]}
    leaked_buffers = leaked_bytes = 0
    for device in counts["devices"]:
        booked = ledger.get(device["device"], {"name": None, "capacity": {}, "types": {}})
        check.expect(f"{name}: device {device['device']} name", booked["name"], device["name"])
        check.expect(f"{name}: device {device['device']} uid (cuDeviceGetUuid)", booked.get("uid"), device["uuid"])
        for type_name in ("DRAM", "VMM_PHYSICAL"):
            check.expect(f"{name}: device {device['device']} {type_name} capacity",
                         booked["capacity"].get(type_name), device["total_bytes"])
        for type_name in TYPES:
            stub = device["types"][type_name]
            got = booked["types"].get(type_name, {})
            where = f"{name}: device {device['device']} {type_name}"
            check.expect(f"{where} allocs", got.get("allocs", 0), stub["allocs"])
            check.expect(f"{where} frees", got.get("frees", 0), stub["frees"])
            check.expect(f"{where} leaked buffers", got.get("leaked_buffers", 0), stub["live_buffers"])
            check.expect(f"{where} leaked bytes", got.get("leaked_bytes", 0), stub["live_bytes"])
            check.expect(f"{where} live at the end", got.get("live_bytes", 0), 0)
            if every_type_used:
                check.true(f"{where}: the workload used it", stub["allocs"] > 0 and stub["live_buffers"] > 0)
            leaked_buffers += stub["live_buffers"]
            leaked_bytes += stub["live_bytes"]
    check.expect(f"{name}: leaks", (summary["leaks"]["buffers"], summary["leaks"]["bytes"]),
                 (leaked_buffers, leaked_bytes))


def check_failures(check, args, name, capture, counts, every_type_used=True):
    """The capture's failed allocations (ALLOC_FAILED records, through the Python module's Capture.events()),
    per device and type, equal the stub's refusals."""
    if not args.python_dir:
        return
    sys.path.insert(0, args.python_dir)
    import memledger  # noqa: E402 (the build's module, for this python3)
    with memledger.Capture(capture) as cap:
        booked = collections.Counter((e.device, e.type) for e in cap.events() if e.kind == "ALLOC_FAILED")
    for device in counts["devices"]:
        for type_name in TYPES:
            refused = device["types"][type_name]["failures"]
            where = f"{name}: device {device['device']} {type_name}"
            check.expect(f"{where} failed allocations", booked.pop((device["device"], type_name), 0), refused)
            if every_type_used:
                check.true(f"{where}: the workload ran out of memory there", refused > 0)
    check.expect(f"{name}: failed allocations elsewhere", dict(booked), {})


def report_json(check, args, name, capture):
    """`memledger report --json` of one capture: that process's books alone."""
    report = subprocess.run([os.path.join(args.bin_dir, "memledger"), "report", capture, "--json"],
                            capture_output=True, text=True, timeout=600)
    check.expect(f"{name}: report", report.returncode, 0)
    return json.loads(report.stdout) if report.returncode == 0 else None


def run_workload(check, args, work, name, workload, preload=None, run=None, run_comms=()):
    """`memledger run --cuda` of `workload`: its own capture equals its stub's
    books; the summary holds it and the tracked processes `run` starts."""
    summary_path = os.path.join(work, name + "-summary.json")
    counts_path = os.path.join(work, name + "-counts.json")
    capture = os.path.join(work, name + ".mlcap")
    env = clean_env(args)
    if preload:
        env["LD_PRELOAD"] = preloads(args, preload)
    cmd = [os.path.join(args.bin_dir, "memledger"), "run", "--cuda", "--output", capture,
           "--summary-json", summary_path, "--", workload, "--threads", str(args.threads), "--iterations",
           str(args.iterations), "--counts-json", counts_path] + (["--run", run] if run else [])
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    check.expect(f"{name}: exit status", result.returncode, 0)
    check.true(f"{name}: nothing the interposer could not see", "memledger cuda:" not in result.stderr,
               result.stderr[-2000:])
    if result.returncode != 0:
        print(result.stderr[-3000:])
        return None
    with open(summary_path) as f, open(counts_path) as g:
        summary, counts = json.load(f), json.load(g)
    alone = report_json(check, args, name, capture)
    if alone is not None:
        check_books(check, name, alone, counts)
    check_failures(check, args, name, capture, counts)
    check.expect(f"{name}: processes", [p["comm"] for p in summary["processes"]],
                 [os.path.basename(workload)[:15]] + list(run_comms))
    stub = {(d["device"], t): v for d in counts["devices"] for t, v in d["types"].items()}
    print(f"  {name}: " + ", ".join(f"device {d} {t} {v['allocs']} allocs {v['live_buffers']} leaks"
                                    for (d, t), v in sorted(stub.items())))
    return counts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("interposer")
    parser.add_argument("workload")
    parser.add_argument("workload_dlopen")
    parser.add_argument("stub_driver")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--sanitized", action="store_true")
    parser.add_argument("--sanitizer-runtime")
    parser.add_argument("--python-dir")
    args = parser.parse_args()
    for path in ("bin_dir", "interposer", "workload", "workload_dlopen", "stub_driver"):
        setattr(args, path, os.path.realpath(getattr(args, path)))
    check = Checker()
    interposer = args.interposer

    with tempfile.TemporaryDirectory() as work:
        # An LD_PRELOAD already set (the stub driver: a library this workload
        # loads anyway) stays, after the interposer. Meanwhile the program
        # starts a shell that starts another CUDA program once the program's
        # capture holds a chunk past its header (its first flush, within a
        # second): that program is booked in a capture of its own, beside the
        # program's, which it leaves whole; the shell and its helpers book
        # nothing and leave no capture. (No chunk within 120 s: the shell
        # fails, and so does the check that the child ran.) The program's
        # capture, while the run lasts: its MEMLEDGER_OUTPUT with %p its pid,
        # the shell's parent.
        child_counts = os.path.join(work, "child-counts.json")
        child = ('c="${MEMLEDGER_OUTPUT%%%p*}$PPID${MEMLEDGER_OUTPUT#*%p}"; n=0; '
                 # header_bytes: the u32 at offset 12, where the first chunk starts (capture_format.h)
                 "until h=$(od -An -t u4 -j 12 -N 4 \"$c\" 2>/dev/null | tr -d ' ') && [ -n \"$h\" ] && "
                 "[ \"$h\" -gt 0 ] && [ \"$(stat -c %s \"$c\")\" -gt \"$h\" ]; do "
                 "n=$((n + 1)); [ $n -le 2400 ] || exit 1; sleep 0.05; done; "
                 f"{args.workload_dlopen} --threads 1 --iterations 50 --counts-json {child_counts}")
        counts = run_workload(check, args, work, "linked", args.workload, preload=args.stub_driver, run=child,
                              run_comms=[os.path.basename(args.workload_dlopen)[:15]])
        if counts is not None:
            check.expect("linked: LD_PRELOAD", counts["ld_preload"],
                         f"{interposer}:{preloads(args, args.stub_driver)}")
            check.true("linked: the program's child ran", os.path.exists(child_counts))
            beside = [f for f in os.listdir(work) if f.startswith("linked.") and f.endswith(".mlcap")]
            check.expect("linked: captures", len(beside), 2)
            child_capture = [f for f in beside if f != "linked.mlcap"]
            if child_capture and os.path.exists(child_counts):
                with open(child_counts) as f:
                    booked = report_json(check, args, "linked: the child", os.path.join(work, child_capture[0]))
                    child = json.load(f)
                    if booked is not None:
                        check_books(check, "linked: the child", booked, child, every_type_used=False)
                    check_failures(check, args, "linked: the child", os.path.join(work, child_capture[0]), child,
                                   every_type_used=False)

        counts = run_workload(check, args, work, "dlopen", args.workload_dlopen)
        if counts is not None:
            check.expect("dlopen: LD_PRELOAD", counts["ld_preload"], ":".join(filter(None, [interposer, preloads(args)])))

        # Tracking off: preloaded, the interposer passes every call through.
        env = clean_env(args)
        env["LD_PRELOAD"] = preloads(args, interposer)
        off = subprocess.run([args.workload, "--threads", "2", "--iterations", "100", "--counts-json",
                              os.path.join(work, "off.json")], env=env, cwd=work, capture_output=True, text=True,
                             timeout=300)
        check.expect("tracking off: exit status", off.returncode, 0)
        check.expect("tracking off: no capture", [f for f in os.listdir(work) if f.startswith("memledger.")], [])
        check.expect("tracking off: says nothing", off.stderr, "")

        # No interposer beside memledger: a clear error, before running anything.
        lonely = os.path.join(work, "lonely", "bin")
        os.makedirs(lonely)
        shutil.copy(os.path.join(args.bin_dir, "memledger"), lonely)
        marker = os.path.join(work, "ran")
        missing = subprocess.run([os.path.join(lonely, "memledger"), "run", "--cuda", "--", "touch", marker],
                                 env=clean_env(args), capture_output=True, text=True, timeout=60)
        check.expect("no interposer: exit status", missing.returncode, 127)
        check.true("no interposer: names the library and where it looked",
                   "libmemledger_cuda.so" in missing.stderr and os.path.join(lonely, "..", "lib") in missing.stderr,
                   missing.stderr)
        check.true("no interposer: says how to get it", "CUDA toolkit" in missing.stderr, missing.stderr)
        check.true("no interposer: the program did not run", not os.path.exists(marker))
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
