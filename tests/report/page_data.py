"""page_data.py — the data an HTML timeline page carries (meta JSON and the
changes), decoded as the viewer decodes them (src/report/html/data.js): base64,
one gzip member, five columns of LEB128 varints; sizes through each site's
slots of recent sizes; addresses for the series with an address space only.
For tests that compare what two pages hold without a browser."""
import base64
import gzip
import json
import re


def _block(text, element_id):
    match = re.search(r'<script type="[^"]*" id="' + element_id + r'">(.*?)</script>', text, re.S)
    if not match:
        raise ValueError(f"the page has no {element_id} block")
    return match.group(1)


def _varints(data, at, n, out):
    for _ in range(n):
        value = 0
        shift = 0
        while True:
            byte = data[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        out.append(value)
    return at


def read_page(path):
    """(meta, changes): changes as dicts {time, series, site, delta, address
    (None for a series without a space)}, in page order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    meta = json.loads(_block(text, "ml-meta"))
    data = gzip.decompress(base64.b64decode(_block(text, "ml-changes")))
    info = meta["changes"]
    n = info["count"]
    columns = {}
    at = 0
    for column in info["columns"][:4]:
        values = []
        at = _varints(data, at, n, values)
        columns[column["name"]] = values
    recent = info["recent_sizes"]
    slots = [[0] * recent for _ in meta["sites"]]
    next_slot = [0] * len(meta["sites"])
    spaces = meta["spaces"]
    unit_number = [0] * len(spaces)
    changes = []
    time = 0
    for i in range(n):
        time += columns["time_delta"][i]
        series = columns["series"][i]
        site = columns["site"][i]
        code = columns["size_code"][i]
        slot = code // 2
        if slot < recent:
            size = slots[site][slot]
        else:
            size = slot - recent
            slots[site][next_slot[site]] = size
            next_slot[site] = (next_slot[site] + 1) % recent
        address = None
        space = meta["series"][series].get("space")
        if space is not None:
            values = []
            at = _varints(data, at, 1, values)
            v = values[0]
            zig = v // 2
            signed = -(zig + 1) // 2 if zig % 2 else zig // 2
            base, unit = spaces[space]["address_base"], spaces[space]["address_unit"]
            if v % 2:
                address = base + signed
            else:
                unit_number[space] += signed
                address = base + unit_number[space] * unit
        changes.append({"time": time, "series": series, "site": site, "delta": -size if code % 2 else size,
                        "address": address})
    return meta, changes
