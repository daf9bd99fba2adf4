"""Python frames in allocation stacks — the must-show: a user's script leaking from a named function gives a
leak report that names that function at file:line, offline (`memledger report CAPTURE --leaks`), in
Capture.leaks() and in the exit report; native frames below Python's come first, the interpreter's own are
left out; the module's own Python code is hidden; depth is shared fairly."""
import os
import re
import subprocess

import pytest

import memledger
from conftest import SCRIPTS

LEAKY = os.path.join(SCRIPTS, "leaky_model.py")


def line_of(path, text):
    """The 1-based line of the first line of `path` holding `text`."""
    with open(path) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def user_leak_stack():
    """What the one leak site of leaky_model.py must show, innermost first."""
    return [
        f"DeviceAllocator.allocate at {LEAKY}:{line_of(LEAKY, 'memledger.track_alloc(')}",
        f"grow_kv_cache at {LEAKY}:{line_of(LEAKY, '# the leak')}",
        f"decode at {LEAKY}:{line_of(LEAKY, 'grow_kv_cache(allocator, cache, tokens=2)')}",
        f"main at {LEAKY}:{line_of(LEAKY, 'decode(allocator, steps=3)')}",
        f"<module> at {LEAKY}:{line_of(LEAKY, '    main()')}",
    ]


@pytest.mark.parametrize("stacks", ["1", "unwind"])
def test_a_users_leak_names_its_python_function_and_line(tracked, memledger_cli, stacks):
    capture, _ = tracked(LEAKY, stacks=stacks)
    leaks = memledger.Capture(capture).leaks()
    assert [(s.buffers, s.bytes, s.type) for s in leaks] == [(6, 6 * 4096, "DRAM")]
    assert [str(frame) for frame in leaks[0].stack] == user_leak_stack()

    report = subprocess.run([memledger_cli, "report", capture, "--leaks", "--depth", "8"], capture_output=True,
                            text=True, check=True, timeout=120).stdout
    assert report.startswith("leaks: 6 buffers, 24.0 KiB in 1 site\n"), report
    # Named by the user's function that asked the allocator (which it declared: folded).
    line = line_of(LEAKY, "# the leak")
    assert f"  24.0 KiB in 6 buffers: grow_kv_cache at leaky_model.py:{line}\n" in report, report
    assert "      \u2026 1 frame of the allocator (DeviceAllocator.allocate)\n" in report, report
    for n, frame in enumerate(user_leak_stack()[1:], 1):
        assert f"#{n} {frame}\n" in report, report
    full = subprocess.run([memledger_cli, "report", capture, "--leaks", "--full-stacks"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    assert f"#0 {user_leak_stack()[0]}\n" in full, full


def test_the_exit_report_names_it_too(run_python):
    out = run_python(LEAKY, env={"MEMLEDGER": "1", "MEMLEDGER_STACKS": "1", "MEMLEDGER_SOCKET": "none"})
    assert f"#1 {user_leak_stack()[1]}\n" in out.stderr, out.stderr


def test_stacks_turned_on_from_python(tracked):
    capture, _ = tracked("""
import memledger
memledger.open_device(0)
def before():
    memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0x100, size=1)
def after():
    memledger.track_alloc(device=0, type="DRAM", buffer_id=2, address=0x200, size=2)
before()
assert memledger.set_stack_depth(16) == 0
after()
""")
    stacks = {s.bytes: s.stack for s in memledger.Capture(capture).leaks()}
    assert stacks[1] == ()
    assert [(f.function, f.line) for f in stacks[2]] == [("after", 7), ("<module>", 10)]


NATIVE = """
import ctypes, sys, memledger
library = getattr(ctypes, sys.argv[1])("libmemledger.so.0")  # PyDLL keeps the GIL, CDLL releases it
def allocate_natively(buffer_id):
    library.memledger_record_alloc(ctypes.c_uint32(0), ctypes.c_uint8(0), ctypes.c_uint64(buffer_id),
                                   ctypes.c_uint64(0x1000 * buffer_id), ctypes.c_uint64(64))
def caller():
    allocate_natively(1)
memledger.open_device(0)
caller()
"""


@pytest.mark.parametrize("stacks", ["1", "unwind"])
def test_native_frames_come_first_and_the_interpreters_are_left_out(tracked, stacks):
    capture, _ = tracked(NATIVE, "PyDLL", stacks=stacks)
    frames = memledger.Capture(capture).leaks()[0].stack
    # Frame objects: a Python frame's module is None, native frames name theirs (ctypes', libffi's).
    assert all(f.module is None for f in frames if f.file and f.file.endswith(".py"))
    assert any(f.module and not f.module.endswith(".py") for f in frames), frames
    stack = [str(frame) for frame in frames]
    python = [i for i, f in enumerate(stack) if ".py:" in f]
    assert [re.sub(r" at .*:", ":", stack[i]) for i in python] == ["allocate_natively:5", "caller:8", "<module>:10"]
    assert python == list(range(len(stack) - 3, len(stack))), f"Python frames outermost: {stack}"
    assert len(stack) > 3, "the native frames below the interpreter (ctypes, libffi) are kept"
    interpreter = ("/usr/bin/python3", "_PyEval", "_PyObject_", "Py_RunMain")
    assert not any(f.startswith(interpreter) or any(name in f for name in interpreter) for f in stack), stack


def test_a_thread_without_the_gil_gets_native_frames_only(tracked):
    capture, _ = tracked(NATIVE, "CDLL", stacks="unwind")
    stack = [str(frame) for frame in memledger.Capture(capture).leaks()[0].stack]
    assert stack and not any(".py:" in f for f in stack), stack
    assert any("_PyEval_EvalFrameDefault" in f for f in stack), "the walk goes on through the interpreter"


def test_memledgers_own_python_code_is_left_out(tracked):
    capture, _ = tracked("""
import memledger
memledger.open_device(0)
@memledger.tag("weights")
def load():
    memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0x100, size=8)
load()
""", stacks="1")
    site = memledger.Capture(capture).leaks()[0]
    assert site.tag == "weights"
    assert [(f.function, f.line) for f in site.stack] == [("load", 6), ("<module>", 7)]


def test_deep_python_keeps_the_innermost_frames(tracked):
    capture, _ = tracked("""
import memledger
memledger.open_device(0)
memledger.set_stack_depth(4)
def recurse(n):
    if n == 0:
        memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0x100, size=8)
    else:
        recurse(n - 1)
recurse(30)
""")
    stack = memledger.Capture(capture).leaks()[0].stack
    assert [(f.function, f.line) for f in stack] == [("recurse", 7), ("recurse", 9), ("recurse", 9), ("recurse", 9)]


def test_each_thread_has_its_own_python_frames(tracked):
    capture, _ = tracked("""
import threading, memledger
memledger.open_device(0)
def leak_in_thread(t):
    for i in range(500):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=(t << 32) | i, address=(t << 40) | (i << 12), size=8)
def worker_a(): leak_in_thread(1)
def worker_b(): leak_in_thread(2)
threads = [threading.Thread(target=worker_a), threading.Thread(target=worker_b)]
for t in threads: t.start()
for t in threads: t.join()
""", stacks="1")
    sites = {s.stack[1].function: s for s in memledger.Capture(capture).leaks()}
    assert sorted(sites) == ["worker_a", "worker_b"]
    assert all(s.buffers == 500 and s.stack[0].function == "leak_in_thread" for s in sites.values())
