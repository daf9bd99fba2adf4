#!/usr/bin/env python3
"""deb_test.py — the .deb, made by CPack from the build directory as
`make deb` makes it (here into a directory of its own), then:

1. Its control fields: package memledger, the project's version, a
   maintainer, a description, dependencies (dpkg-shlibdeps' and the -dev
   packages of what libmemledger.a links).
2. Its contents (dpkg-deb -c), under /usr: libmemledger.so.0.y.z and its
   links, the report layer it loads (memledger/libmemledger_report.so), libmemledger.a, the headers, memledger.pc, the CMake package, the
   tools; without debug information, which the dbgsym package holds by
   build-id.
3. Unpacked with dpkg-deb -x (the system is left alone),
   examples/tracked-device builds against it with find_package (shared,
   static) and pkg-config (shared, static), and each run tracked reports
   its leak.

usage: deb_test.py BUILD_DIR EXAMPLE_DIR LIBDIR [--sanitize SANITIZERS]
"""
import glob
import os
import re
import sys
import tempfile

from example import Checker, Example, parse_args, run, succeeded

CONTENTS = [
    "include/memledger/memledger.h", "include/memledger/memledger.hpp",
    "{lib}/libmemledger.so", "{lib}/libmemledger.so.0", "{lib}/libmemledger.a",
    "{lib}/memledger/libmemledger_report.so", "{lib}/pkgconfig/memledger.pc", "{lib}/cmake/memledger/memledgerConfig.cmake",
    "{lib}/cmake/memledger/memledgerConfigVersion.cmake", "{lib}/cmake/memledger/memledgerTargets.cmake",
    "{lib}/cmake/memledger/memledgerStaticTargets.cmake", "bin/memledger", "bin/memledger-sim",
    "share/doc/memledger/README.md",
]


def listing(package):
    """Paths in a package, without './' and symlink targets."""
    out = run(["dpkg-deb", "-c", package]).stdout
    return {line.split(None, 5)[5].split(" -> ")[0].removeprefix("./") for line in out.splitlines()}


def control_fields(check, package, version):
    fields = {}
    for name in ("Package", "Version", "Maintainer", "Depends", "Description"):
        fields[name] = run(["dpkg-deb", "-f", package, name]).stdout.strip()
    check.expect("Package", fields["Package"], "memledger")
    check.expect("Version", fields["Version"], version)
    check.true("Maintainer", re.fullmatch(r".+ <.+@.+>", fields["Maintainer"]), fields["Maintainer"])
    check.true("Description", "device" in fields["Description"], fields["Description"])
    # From dpkg-shlibdeps, and the -dev packages memledger.pc requires.
    for package in ("libc6", "libstdc++6", "libzstd1", "libdw1", "libunwind8", "libabsl-dev", "libdw-dev"):
        check.true(f"Depends names {package}", re.search(rf"(^|, ){re.escape(package)}\b", fields["Depends"]),
                   fields["Depends"])


def contents(check, package, dbgsym, libdir):
    paths = listing(package)
    for path in CONTENTS:
        check.true(f"the .deb holds /usr/{path.format(lib=libdir)}", f"usr/{path.format(lib=libdir)}" in paths)
    check.true("the .deb holds the versioned library",
               any(re.fullmatch(rf"usr/{libdir}/libmemledger\.so\.0\.\d+\.\d+", p) for p in paths))
    debug = [p for p in listing(dbgsym) if p.startswith("usr/lib/debug/.build-id/") and p.endswith(".debug")]
    check.true("the dbgsym package holds debug files by build-id (library, tools)", len(debug) >= 3, debug)


def main():
    args = parse_args()
    check = Checker()
    with open(os.path.join(args.build_dir, "CPackConfig.cmake")) as f:
        version = re.search(r'set\(CPACK_PACKAGE_VERSION "([^"]+)"\)', f.read()).group(1)
    with tempfile.TemporaryDirectory(prefix="memledger-deb-") as work:
        out = os.path.join(work, "out")
        cpack = run(["cpack", "-G", "DEB", "--config", os.path.join(args.build_dir, "CPackConfig.cmake"), "-B", out])
        if not succeeded(check, "cpack -G DEB", cpack):
            return check.exit_status()
        package = glob.glob(os.path.join(out, f"memledger_{version}_*.deb"))
        dbgsym = glob.glob(os.path.join(out, f"memledger-dbgsym_{version}_*.ddeb"))
        check.expect("one memledger_VERSION_ARCH.deb and one dbgsym .ddeb", (len(package), len(dbgsym)), (1, 1))
        if len(package) != 1 or len(dbgsym) != 1:
            return check.exit_status()
        control_fields(check, package[0], version)
        contents(check, package[0], dbgsym[0], args.libdir)

        root = os.path.join(work, "root")
        if not succeeded(check, "dpkg-deb -x", run(["dpkg-deb", "-x", package[0], root])):
            return check.exit_status()
        for name in ("libmemledger.so.0.*", "libmemledger.a"):
            library = glob.glob(os.path.join(root, "usr", args.libdir, name))
            check.true(f"{name} has no debug information",
                       library and ".debug_info" not in run(["readelf", "-S", library[0]]).stdout)
        Example(args.example_dir, os.path.join(root, "usr"), args.libdir, work, args.sanitize).check_all(check)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
