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
5. The leak gates, installed: examples/gtest-leaks (memledger/gtest.hpp)
   builds with find_package(memledger) and GoogleTest; tracked, exactly its
   leaking test fails, naming its line; untracked, all pass and the gate
   says once that it checks nothing. And pytest finds the plugin by its
   pytest11 entry point: `pytest --memledger` from the prefix (no -p) fails
   a leaking test at its line; plain pytest passes the same file.

usage: install_test.py BUILD_DIR EXAMPLE_DIR LIBDIR [--sanitize SANITIZERS]
"""
import json
import os
import re
import subprocess
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
    "include/memledger/gtest.hpp", "share/doc/memledger/examples/gtest-leaks/device_tests.cc",
    "lib/python3/dist-packages/pytest_memledger.py",
    "share/doc/memledger/examples/toy_ttnn/tests/expected.json", "share/doc/memledger/examples/toy_ttnn/README.md",
    "share/doc/memledger/examples/toy_ttnn/toy_ttnn/device.py",
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


def leak_line(path):
    """The number of the line of `path` that ends in "// LEAKS HERE" (or "# LEAKS HERE")."""
    with open(path) as f:
        return next(n for n, line in enumerate(f, 1) if line.rstrip().endswith("LEAKS HERE"))


def the_gtest_gate(check, example, source, work):
    build = os.path.join(work, "gtest-leaks")
    configure = run(["cmake", "-S", source, "-B", build, "-G", "Ninja", f"-DCMAKE_PREFIX_PATH={example.prefix}",
                     f"-DCMAKE_CXX_FLAGS={example.flags}", f"-DCMAKE_EXE_LINKER_FLAGS={example.flags}"])
    if not succeeded(check, "gtest-leaks: cmake configure", configure) or \
            not succeeded(check, "gtest-leaks: cmake build", run(["cmake", "--build", build])):
        return
    program, results = os.path.join(build, "device_tests"), os.path.join(work, "gtest.json")
    env = dict(untracked_env(), LD_LIBRARY_PATH=example.lib_dir)
    tracked = run([program, f"--gtest_output=json:{results}"],
                  env=dict(env, MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_SOCKET="none", MEMLEDGER_REPORT="0"))
    check.expect("gtest-leaks tracked: exit status 1 (a test failed)", tracked.returncode, 1)
    with open(results) as f:
        tests = {f"{suite['name']}.{test['name']}": test.get("failures", [])
                 for suite in json.load(f)["testsuites"] for test in suite["testsuite"]}
    check.expect("gtest-leaks tracked: exactly the leaking test fails",
                 sorted(name for name, failures in tests.items() if failures), ["Buffers.ForgottenFree"])
    message = " ".join(f["failure"] for f in tests.get("Buffers.ForgottenFree", []))
    where = f"device_tests.cc:{leak_line(os.path.join(source, 'device_tests.cc'))}"
    check.true(f"gtest-leaks tracked: the failure names {where}", where in message, message)
    check.true("gtest-leaks tracked: headed by the test's body, named by its test (its class in an unnamed "
               "namespace has no linkage name)", f"Buffers_ForgottenFree_Test::TestBody at {where}" in message, message)
    check.true("gtest-leaks tracked: and what it left", "this test left device memory live" in message and
               "1 buffer, 8.0 KiB" in message, message)
    check.true("gtest-leaks tracked: the failure is at the test's place", "device_tests.cc" in message.split(":")[0] or
               any(f.get("failure", "").startswith(os.path.join(source, "device_tests.cc"))
                   for f in tests.get("Buffers.ForgottenFree", [])), message)
    untracked = run([program], env=env)
    check.expect("gtest-leaks untracked: every test passes", untracked.returncode, 0)
    check.expect("gtest-leaks untracked: the gate says once that it checks nothing",
                 len(re.findall("device-memory checks are off", untracked.stderr)), 1)


def the_pytest_entry_point(check, example, work):
    site = os.path.join(example.prefix, "lib", "python3", "dist-packages")
    suite = os.path.join(work, "pytest_suite")
    os.makedirs(suite)
    test_file = os.path.join(suite, "test_gate.py")
    with open(test_file, "w") as f:
        f.write("import memledger\n\n"
                "memledger.open_device(0, name=\"example0\", capacity={\"DRAM\": 1 << 30})\n\n\n"
                "def test_leaks():\n"
                "    memledger.track_alloc(device=0, type=\"DRAM\", buffer_id=1, address=0x1000, size=64)  # LEAKS HERE\n"
                "\n\n"
                "def test_clean():\n"
                "    memledger.track_alloc(device=0, type=\"DRAM\", buffer_id=2, address=0x2000, size=64)\n"
                "    memledger.track_free(device=0, type=\"DRAM\", buffer_id=2)\n")
    env = dict(untracked_env(), PYTHONPATH=site, MEMLEDGER_SOCKET="none")
    pytest = ["/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider", "test_gate.py"]
    gated = subprocess.run(pytest + ["--memledger"], cwd=suite, env=env, capture_output=True, text=True, timeout=600)
    check.expect("pytest --memledger (entry point): the leaking test fails", gated.returncode, 1)
    check.true("... at its line", f"test_gate.py:{leak_line(test_file)}" in gated.stdout, gated.stdout + gated.stderr)
    check.true("... and only it", "1 failed, 1 passed" in gated.stdout, gated.stdout)
    plain = subprocess.run(pytest, cwd=suite, env=env, capture_output=True, text=True, timeout=600)
    check.expect("plain pytest passes the same file", plain.returncode, 0)


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
        the_gtest_gate(check, example, os.path.join(os.path.dirname(args.example_dir), "gtest-leaks"), work)
        if not args.sanitize:  # Debian's python3 loads a sanitized module only with its runtime preloaded
            the_pytest_entry_point(check, example, work)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
