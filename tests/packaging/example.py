"""example.py — examples/tracked-device built against an installed memledger
(a prefix from `cmake --install`, or the .deb unpacked) and run: the builds
(CMake with find_package, shared and static; pkg-config, shared and static)
and the checks of what a run prints, shared by install_test.py and
deb_test.py."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402,F401  (the tests' tally, re-exported)

# tracked_device leaks one 3 MiB DRAM buffer, tagged staging, on device 0 ("example0").
LEAK_BYTES = 3 << 20
REPORT_LINES = {
    "the device": re.compile(r"^device 0 \(example0\)$", re.M),
    "1 buffer, 3 MiB leaked": re.compile(r"^leaks: 1 buffer, 3\.0 MiB in 1 site$", re.M),
    # Without stacks the place names the site; with them the headline does
    # (the allocator's frame folded: the example declares it), the place beneath.
    "its site: device, type, tag": re.compile(r"^  3\.0 MiB in 1 buffer: (device 0 DRAM, tag staging, pid \d+|"
                                              r"stage_input at tracked_device\.cc:\d+\n    device 0 DRAM, "
                                              r"tag staging, pid \d+)$", re.M),
}


def parse_args():
    """BUILD_DIR EXAMPLE_DIR LIBDIR [--sanitize SANITIZERS], as tests/packaging/CMakeLists.txt passes them."""
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir", help="the build directory whose install or package is tested")
    parser.add_argument("example_dir", help="examples/tracked-device")
    parser.add_argument("libdir", help="CMAKE_INSTALL_LIBDIR, relative to the prefix")
    parser.add_argument("--sanitize", default="", help="the build's -fsanitize, for the example too")
    return parser.parse_args()


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=env)


def succeeded(check, what, out):
    check.true(f"{what}: exit 0", out.returncode == 0,
               f"$ {' '.join(out.args)}\n{out.stdout[-4000:]}{out.stderr[-4000:]}")
    return out.returncode == 0


def untracked_env():
    """The environment without any memledger setting of the caller's."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER") and k != "TT_ALLOC_TRACKING_ENABLED"}


class Example:
    """examples/tracked-device against the memledger installed in `prefix`."""

    def __init__(self, source, prefix, libdir, work, sanitize):
        self.source = source
        self.prefix = prefix
        self.lib_dir = os.path.join(prefix, libdir)
        self.work = work
        self.flags = f"-fsanitize={sanitize}" if sanitize else ""

    def cmake_build(self, check, static):
        """Configures and builds with find_package(memledger); the program, or None."""
        variant = "static" if static else "shared"
        build = os.path.join(self.work, f"cmake-{variant}")
        configure = run(["cmake", "-S", self.source, "-B", build, "-G", "Ninja",
                         f"-DCMAKE_PREFIX_PATH={self.prefix}", f"-DMEMLEDGER_STATIC={'ON' if static else 'OFF'}",
                         f"-DCMAKE_CXX_FLAGS={self.flags}", f"-DCMAKE_EXE_LINKER_FLAGS={self.flags}"])
        if not succeeded(check, f"cmake configure ({variant})", configure):
            return None
        with open(os.path.join(build, "CMakeCache.txt")) as cache:
            found = re.search(r"^memledger_DIR:PATH=(.*)$", cache.read(), re.M)
        check.expect(f"find_package ({variant}) found the installed package",
                     found and os.path.realpath(found.group(1)),
                     os.path.realpath(os.path.join(self.lib_dir, "cmake", "memledger")))
        if not succeeded(check, f"cmake build ({variant})", run(["cmake", "--build", build])):
            return None
        return os.path.join(build, "tracked_device")

    def pkg_config_env(self):
        return dict(untracked_env(), PKG_CONFIG_PATH=os.path.join(self.lib_dir, "pkgconfig"))

    def pkg_config_build(self, check):
        """Builds with the Makefile (pkg-config); the shared and static programs, or None."""
        prefix = run(["pkg-config", "--variable=prefix", "memledger"], env=self.pkg_config_env())
        check.expect("pkg-config's prefix is the installed one", os.path.realpath(prefix.stdout.strip()),
                     os.path.realpath(self.prefix))
        out = os.path.join(self.work, "pkg-config")
        build = run(["make", "-C", self.source, f"OUT={out}", f"CXXFLAGS=-O2 -g {self.flags}", f"LDFLAGS={self.flags}"],
                    env=self.pkg_config_env())
        if not succeeded(check, "make (pkg-config)", build):
            return None
        return os.path.join(out, "tracked_device"), os.path.join(out, "tracked_device_static")

    def check_runs(self, check, what, program, shared):
        """Linked as it should be; untracked it says nothing; tracked its exit
        report names its leak, with the stack that allocated it."""
        needed = run(["readelf", "--dynamic", program]).stdout
        check.expect(f"{what}: needs libmemledger.so.0", "[libmemledger.so.0]" in needed, shared)
        env = untracked_env()
        if shared:
            env["LD_LIBRARY_PATH"] = os.pathsep.join(filter(None, [self.lib_dir, env.get("LD_LIBRARY_PATH")]))
        off = run([program], env=env)
        if succeeded(check, f"{what} untracked", off):
            check.true(f"{what} untracked: tracking off", "tracking off" in off.stdout, off.stdout)
            check.true(f"{what} untracked: no report", "memledger" not in off.stderr, off.stderr)
        # Embedded mode (no server: one may be running for other tests), stacks on.
        tracked = run([program], env=dict(env, MEMLEDGER="1", MEMLEDGER_SOCKET="none", MEMLEDGER_STACKS="1"))
        if not succeeded(check, f"{what} tracked", tracked):
            return
        check.true(f"{what} tracked: tracking on", "tracking on" in tracked.stdout, tracked.stdout)
        for name, line in REPORT_LINES.items():
            check.true(f"{what} tracked: the exit report names {name}", line.search(tracked.stderr), tracked.stderr)
        # Shared or static: the hook's own frames are left out by their
        # section, not by the object they are in (with libmemledger.a, the program).
        check.true(f"{what} tracked: the leak's stack names stage_input", "stage_input" in tracked.stderr,
                   tracked.stderr)
        # libmemledger.so loaded the installed report layer; libmemledger.a links it.
        check.true(f"{what} tracked: the whole exit report", "no full exit report" not in tracked.stderr,
                   tracked.stderr)

    def check_all(self, check):
        """Every build (find_package shared and static, pkg-config shared and
        static) and its runs; the static find_package program, or None."""
        static_program = None
        for static in (False, True):
            program = self.cmake_build(check, static)
            if program:
                self.check_runs(check, f"find_package, {'static' if static else 'shared'}", program, not static)
                static_program = program if static else static_program
        programs = self.pkg_config_build(check)
        if programs:
            self.check_runs(check, "pkg-config, shared", programs[0], True)
            self.check_runs(check, "pkg-config, static", programs[1], False)
        return static_program
