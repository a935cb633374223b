"""The bounds-checked re-run of the kernel tests, started early in the background.

Compiling every kernel with ``NUMBA_BOUNDSCHECK=1`` in a fresh checkout takes ~100 s of one
core, and almost all of it is compiling (the tests themselves take ~10 s once cached). The
rest of the suite is mostly one process on one core, so ``tests/conftest.py`` starts this
child as soon as collection has selected the bounds-check test, and the test only waits for
it: the compile overlaps the other tests instead of adding to the wall time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The bounds-checked machine code is cached apart from the normal cache (gitignored).
CACHE_DIR = REPO / ".numba-boundscheck"
COMMAND = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
           "-m", "kernels", "tests/lib"]

_child: tuple[subprocess.Popen, object] | None = None


def start() -> None:
    """Start the child once (a no-op when it runs already)."""
    global _child
    if _child is not None:
        return
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(CACHE_DIR))
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(COMMAND, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    _child = (proc, log)


def result(timeout: float = 1200) -> tuple[int, str]:
    """Wait for the child (starting it if nobody did) and return its exit code and output."""
    start()
    proc, log = _child
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = -1
    log.seek(0)
    return code, log.read()


def stop() -> None:
    """Kill the child if the session ends before the test collected its result."""
    if _child is not None and _child[0].poll() is None:
        _child[0].kill()
        _child[0].wait()
