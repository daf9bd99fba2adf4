"""A CB clash made from Python — issue 16's must-show: the clash report names the outliving L1 buffer's
allocation site by its Python frame (function at file:line) and the mark at which it was allocated, in
`memledger report --json` (Capture.report()) and in the text report's clash section."""
import os
import subprocess

import memledger

KIB = 1024
BANKS = 8
L1_BASE = 0x10000
L1_SIZE = 128 * KIB * BANKS  # 128 KiB per bank, in the hooks' units (x banks)
REGION = 96 * KIB * BANKS    # the program's CB region, from L1's base up
ACTIVATION = L1_BASE + 64 * KIB * BANKS  # below the region's end

# L1 buffers are placed top-down: the weights at the top, far above the CB region; the activation of layer 3
# low enough that the region reaches it. Then the program's circular buffers do not fit: the clash.
SCRIPT = f"""
import memledger

memledger.open_device(0, name="sim", address_spaces=[
    {{"type": "L1", "base": {L1_BASE}, "size": {L1_SIZE}, "banks": {BANKS}, "alignment": 32}},
    {{"type": "CB", "within": "L1"}},
])


def load_weights():
    memledger.track_alloc(device=0, type="L1", buffer_id=1, address={L1_BASE + L1_SIZE - 16 * KIB * BANKS},
                          size={16 * KIB * BANKS})


def allocate_activation():
    memledger.track_alloc(device=0, type="L1", buffer_id=2, address={ACTIVATION}, size={32 * KIB * BANKS})  # here


memledger.mark("layer 2")
load_weights()
memledger.mark("layer 3")
allocate_activation()
memledger.alloc_failed(device=0, type="CB", size={REGION})
"""


def line_of(text):
    """The 1-based line of the script holding `text`."""
    return next(n for n, line in enumerate(SCRIPT.splitlines(), 1) if text in line)


def test_a_clash_names_the_python_frame_and_mark_of_the_outliving_buffer(tracked, memledger_cli):
    capture, _ = tracked(SCRIPT, stacks="1")
    with memledger.Capture(capture) as cap:
        failures = cap.report()["allocation_failures"]
    assert failures["by_verdict"]["cb_clash"] == 1, failures
    clash = failures["failures"][0]
    assert (clash["verdict"], clash["type"], clash["space_type"]) == ("cb_clash", "CB", "L1")
    assert clash["region_end"] == L1_BASE + REGION
    # Requested from the script's top level: its frame, not the module's native code before it.
    assert clash["headline"] == f"<module> at script.py:{line_of('alloc_failed(')}", clash["stack"]
    # The activation, below the region's end, is the one it clashed with; the weights above it are not.
    site = f"allocate_activation at script.py:{line_of('# here')}"
    assert [(b["identity"], b["headline"], b["mark"]) for b in clash["blockers"]] == [(2, site, "layer 3")]
    assert clash["more_blockers"] == 0
    frame = f"allocate_activation at {os.path.join(os.path.dirname(capture), 'script.py')}:{line_of('# here')}"
    assert clash["blockers"][0]["stack"][0] == frame  # the Python frame first: no native frame before it

    text = subprocess.run([memledger_cli, "report", capture], capture_output=True, text=True, check=True,
                          timeout=120).stdout
    section = text[text.index("allocation failures: 1 (cb_clash 1)"):]
    assert f"the circular buffers would end at {L1_BASE + REGION:#x}, over 1 live L1 buffer below it" in section, text
    assert f"256.0 KiB in 1 buffer from {ACTIVATION:#x}" in section, text
    assert f'since mark "layer 3": {site}, pid ' in section, text
    assert f"#0 {frame}\n" in section, text
