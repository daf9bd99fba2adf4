"""Fixtures for the memledger Python module's tests (run by ctest: tests/python/CMakeLists.txt).

The environment gives PYTHONPATH (the build's python/ directory, and tests/tools for server_process) and
MEMLEDGER_BIN_DIR (the build's bin/, with the memledger command). Tracked programs run as child
processes with a clean memledger environment; this pytest process itself does not track.
"""
import os
import subprocess
import sys

import pytest

import checks  # tests/tools, on PYTHONPATH

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


def clean_env(**extra):
    """This environment without any memledger setting (checks.clean_env), plus `extra`."""
    return checks.clean_env(MEMLEDGER_BIN_DIR=os.environ["MEMLEDGER_BIN_DIR"], **extra)


@pytest.fixture(scope="session")
def memledger_cli():
    path = os.path.join(os.environ["MEMLEDGER_BIN_DIR"], "memledger")
    assert os.access(path, os.X_OK), f"no memledger command at {path}: set MEMLEDGER_BIN_DIR"
    return path


@pytest.fixture
def run_python(tmp_path):
    """Runs a Python script (a path, or source text written to tmp_path) in a child interpreter:
    run_python(script, *args, env={...}) -> CompletedProcess (text, stdout and stderr captured)."""
    def run(script, *args, env=None, check=True, timeout=300):
        if "\n" in script:
            path = tmp_path / "script.py"
            path.write_text(script)
            script = str(path)
        result = subprocess.run([sys.executable, script, *args], env=clean_env(**(env or {})), cwd=tmp_path,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{script} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result
    return run


@pytest.fixture
def tracked(run_python, tmp_path):
    """Runs a script tracked, writing a capture: tracked(script, stacks="1") -> (capture path, CompletedProcess)."""
    def run(script, *args, stacks=None, name="run.mlcap", env=None):
        capture = str(tmp_path / name)
        extra = {"MEMLEDGER": "1", "MEMLEDGER_OUTPUT": capture, "MEMLEDGER_REPORT": "0"}
        if stacks:
            extra["MEMLEDGER_STACKS"] = stacks
        extra.update(env or {})
        return capture, run_python(script, *args, env=extra)
    return run
