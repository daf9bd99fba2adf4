#!/usr/bin/env python3
"""install_test.py — `cmake --install` into a prefix of its own, then:

1. The tree: headers, libmemledger.so.0.y.z with its soname links, the
   report layer it loads (memledger/libmemledger_report.so), libmemledger.a,
   the tools, the CMake package and memledger.pc.
2. libmemledger.so exports memledger_* only and needs no libdw (the report
   layer does); libmemledger.a holds all of memledger's code (no memledger
   symbol left undefined), and a C program links it with nothing but
   `pkg-config --static --libs memledger`.
3. examples/tracked-device builds against the prefix with find_package
   (shared and static) and with pkg-config (shared and static); each run
   tracked reports its leak: 1 buffer, 3 MiB, device 0 DRAM, tag staging,
   the stack through stage_input() (symbolized by the installed report
   layer, for the shared library).
4. The installed tools run from the prefix: memledger run on the example
   writes the same leak into its summary JSON; memledger-sim finds
   libmemledger.so beside it.

usage: install_test.py BUILD_DIR EXAMPLE_DIR LIBDIR [--sanitize SANITIZERS]
"""
import json
import os
import sys
import tempfile

from example import LEAK_BYTES, Checker, Example, parse_args, run, succeeded, untracked_env

INSTALLED = [
    "include/memledger/memledger.h", "include/memledger/memledger.hpp",
    "{lib}/libmemledger.so", "{lib}/libmemledger.so.0", "{lib}/libmemledger.a",
    "{lib}/memledger/libmemledger_report.so", "{lib}/cmake/memledger/memledgerConfig.cmake", "{lib}/cmake/memledger/memledgerConfigVersion.cmake",
    "{lib}/cmake/memledger/memledgerTargets.cmake", "{lib}/cmake/memledger/memledgerStaticTargets.cmake",
    "{lib}/pkgconfig/memledger.pc", "bin/memledger", "bin/memledger-sim",
    "share/doc/memledger/README.md", "share/doc/memledger/examples/tracked-device/CMakeLists.txt",
]


def the_tree(check, prefix, libdir):
    for path in INSTALLED:
        check.true(f"installed: {path}", os.path.exists(os.path.join(prefix, path.format(lib=libdir))))
    shared = os.path.join(prefix, libdir, "libmemledger.so")
    check.true("libmemledger.so links to the versioned file",
               os.path.islink(shared) and os.path.basename(os.path.realpath(shared)).startswith("libmemledger.so.0."))
    check.true("soname libmemledger.so.0", "Library soname: [libmemledger.so.0]" in run(["readelf", "-d", shared]).stdout)


def nm(*args):
    return [line.split() for line in run(["nm", *args]).stdout.splitlines()]


def the_libraries(check, example, work):
    shared = os.path.join(example.lib_dir, "libmemledger.so")
    exported = [fields[-1] for fields in nm("-D", "--defined-only", shared) if len(fields) == 3]
    check.true("libmemledger.so exports symbols", len(exported) > 10, exported)
    check.expect("libmemledger.so exports memledger_* only", [s for s in exported if not s.startswith("memledger_")], [])
    needed = run(["readelf", "-d", shared]).stdout
    check.true("libmemledger.so needs no libdw (its report layer does)", "[libdw.so" not in needed, needed)
    layer = os.path.join(example.lib_dir, "memledger", "libmemledger_report.so")
    layer_exports = [fields[-1] for fields in nm("-D", "--defined-only", layer) if len(fields) == 3]
    check.expect("the report layer exports its entry point only", layer_exports, ["memledger_report_layer"])

    archive = os.path.join(example.lib_dir, "libmemledger.a")
    # --format=posix: NAME TYPE [VALUE SIZE], after a line naming each member.
    entries = [(f[0], f[1]) for f in nm("--format=posix", archive) if len(f) >= 2 and len(f[1]) == 1]
    defined = {name for name, kind in entries if kind not in ("U", "w", "v")}
    undefined = {name for name, kind in entries if kind == "U"} - defined
    check.true("libmemledger.a defines the C ABI", "memledger_record_alloc" in defined)
    # __start_/__stop_memledger_hook_path: the bounds of a section, which the
    # linker defines when it links the program.
    check.expect("libmemledger.a leaves none of memledger's symbols undefined",
                 sorted(s for s in undefined if "memledger" in s and not s.startswith(("__start_", "__stop_"))), [])

    # A C program: what the archive needs must all come from memledger.pc.
    program = os.path.join(work, "c_static.c")
    with open(program, "w") as f:
        f.write("#include <memledger/memledger.h>\nint main(void) { return memledger_enabled(); }\n")
    env = example.pkg_config_env()
    flags = run(["pkg-config", "--cflags", "--static", "--libs", "memledger"], env=env).stdout.split()
    flags = ["-l:libmemledger.a" if f == "-lmemledger" else f for f in flags]
    link = run(["cc", *example.flags.split(), program, "-o", program[:-2], *flags], env=env)
    if succeeded(check, "a C program links libmemledger.a with pkg-config --static", link):
        succeeded(check, "the C program runs", run([program[:-2]], env=untracked_env()))


def the_tools(check, example, program, work):
    bin_dir = os.path.join(example.prefix, "bin")
    summary = os.path.join(work, "summary.json")
    out = run([os.path.join(bin_dir, "memledger"), "run", "-o", os.path.join(work, "example.mlcap"),
               "--summary-json", summary, "--", program], env=dict(untracked_env(), MEMLEDGER_SOCKET="none"))
    if succeeded(check, "installed memledger run -- the example", out):
        with open(summary) as f:
            leaks = json.load(f)["leaks"]
        check.expect("memledger run: leaked buffers", leaks["buffers"], 1)
        check.expect("memledger run: leaked bytes", leaks["bytes"], LEAK_BYTES)
        site = leaks["sites"][0] if leaks["sites"] else {}
        check.expect("memledger run: the leak's site", (site.get("device"), site.get("type"), site.get("tag")),
                     (0, "DRAM", "staging"))
    sim = run([os.path.join(bin_dir, "memledger-sim"), "leaky", "--iterations", "10"],
              env=dict(untracked_env(), MEMLEDGER="1", MEMLEDGER_SOCKET="none", MEMLEDGER_REPORT="0"))
    succeeded(check, "installed memledger-sim finds libmemledger.so (its RPATH)", sim)


def main():
    args = parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory(prefix="memledger-install-") as work:
        prefix = os.path.join(work, "prefix")
        install = run(["cmake", "--install", args.build_dir, "--prefix", prefix])
        if not succeeded(check, "cmake --install", install):
            return check.exit_status()
        the_tree(check, prefix, args.libdir)
        example = Example(args.example_dir, prefix, args.libdir, work, args.sanitize)
        the_libraries(check, example, work)
        static_program = example.check_all(check)
        if static_program:
            the_tools(check, example, static_program, work)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
