#!/usr/bin/env python3
"""config_documented_test.py — every environment variable memledger reads
(each "MEMLEDGER..." or "TT_..." string in src/) has a row in the README's
configuration table, and is in the list of variables the tests clear for a
tracked process (memledger_client_environment in tests/support/CMakeLists.txt):
a setting added to the code and to neither fails here.

usage: config_documented_test.py SOURCE_DIR
"""
import os
import re
import sys

NAME = re.compile(r'"((?:MEMLEDGER|TT)_?[A-Z_]*)"')


def variables_read(src):
    names = set()
    for root, _, files in os.walk(src):
        for name in files:
            if name.endswith((".cc", ".h", ".c")):
                with open(os.path.join(root, name), encoding="utf-8", errors="replace") as f:
                    names.update(NAME.findall(f.read()))
    return names


def readme_table(readme):
    """The variables named first in a row of the README's Configuration table."""
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = set()
    for row in rows:
        first_cell = row.split(" | ", 1)[0]
        names.update(re.findall(r"`((?:MEMLEDGER|TT)_?[A-Z_]*)", first_cell))
    return names


def cleared_for_tests(support_cmake):
    with open(support_cmake, encoding="utf-8") as f:
        text = f.read()
    block = text.split("set(client_variables", 1)[1].split(")", 1)[0]
    return set(block.split())


def main():
    source = sys.argv[1]
    read = variables_read(os.path.join(source, "src"))
    documented = readme_table(os.path.join(source, "README.md"))
    cleared = cleared_for_tests(os.path.join(source, "tests", "support", "CMakeLists.txt"))
    failures = 0
    if len(read) < 10:
        print(f"FAILED: only {sorted(read)} found in src/: the scan is broken")
        failures += 1
    for name in sorted(read - documented):
        print(f"FAILED: {name} is read in src/ but has no row in README.md's configuration table")
        failures += 1
    for name in sorted(documented - read):
        print(f"FAILED: {name} is in README.md's configuration table but nothing in src/ reads it")
        failures += 1
    for name in sorted(read - cleared):
        print(f"FAILED: {name} is read in src/ but memledger_client_environment does not clear it for tests")
        failures += 1
    print(f"{len(read)} variables, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
