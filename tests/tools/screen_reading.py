"""screen_reading.py — what `memledger status` and `memledger top` draw,
read back by their tests: the process table's rows by column, a command as
shown (whole, or cut to fit), a count's wording, and the order the text
report lists a device's memory types in (what both must follow)."""
import os
import re

BYTES = r"\d+(?:\.\d)? (?:B|KiB|MiB|GiB|TiB)"
BUILTIN_TYPES = ["DRAM", "L1", "L1_SMALL", "TRACE", "SYSTEM_MEMORY", "CB", "KERNEL"]
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def counted(noun, plural):
    """A count of `noun`s, as a regular expression: "1 process", "0 processes", "12 processes"."""
    return rf"(?:1 {noun}|(?:0|[2-9]|[1-9]\d+) {plural})"


def report_order(device):
    """A device's types as the text report lists them: the fullest at its peak
    first, types without a capacity last, ties in memledger.h's order, then pools by name."""
    def key(name):
        capacity = device["capacity"].get(name, 0)
        share = device["types"][name]["peak_bytes"] / capacity if capacity else -1
        return (-share, BUILTIN_TYPES.index(name) if name in BUILTIN_TYPES else len(BUILTIN_TYPES), name)
    return sorted(device["types"], key=key)


def lines_of(screen):
    return screen.rstrip("\n").split("\n")


def number_of_bytes(text):
    if text == "-":
        return 0
    value, unit = text.split()
    return float(value) * UNITS[unit]


def table(screen):
    """The process table on `screen`: its header's words, and its rows as
    dicts by column (bytes as numbers, the command as shown)."""
    lines = lines_of(screen)
    at = next((i for i, line in enumerate(lines) if line.split()[:1] == ["pid"] and line.endswith(" command")), None)
    if at is None:
        return [], []
    columns = lines[at].split()
    bytes_columns = columns[columns.index("device") + 1:columns.index("events" if "events" in columns else "command")]
    pattern = r" +(?P<pid>\d+)"
    pattern += r" +(?P<uid>\d+|-)" if "uid" in columns else ""
    pattern += r" +(?P<state>[a-z]+)" if "state" in columns else ""
    pattern += r" +(?P<device>\d+|-)"
    for i, _ in enumerate(bytes_columns):
        pattern += rf" +(?P<b{i}>-|{BYTES})"
    pattern += r" +(?P<events>\d+)" if "events" in columns else ""
    pattern += r" (?P<command>.*)"
    rows = []
    for line in lines[at + 1:]:
        match = re.fullmatch(pattern, line)
        if not match:
            break
        row = {k: v for k, v in match.groupdict().items() if not k.startswith("b")}
        row.update({name: number_of_bytes(match[f"b{i}"]) for i, name in enumerate(bytes_columns)})
        rows.append(row)
    return columns, rows


def shows_command(row, command):
    """The row's command is `command` whole, or cut with "…" (without its program's directory)."""
    shown = row["command"]
    program, _, arguments = command.partition(" ")
    shorter = f"{os.path.basename(program)} {arguments}"
    return shown in (command, shorter) or (shown.endswith("…") and len(shown) > 1 and shorter.startswith(shown[:-1]))
