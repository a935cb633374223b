"""No Numba kernel reads or writes out of bounds, on any shape the kernel tests try.

Numba does no bounds checking by default: an index past the end reads garbage or
corrupts memory silently. Here the kernel tests (property tests over awkward shapes,
strides and paddings included) run again in a child process with ``NUMBA_BOUNDSCHECK=1``,
where every array access is checked and an out-of-bounds one raises ``IndexError``.
The bounds-checked machine code is cached apart from the normal cache
(``.numba-boundscheck/``, gitignored): compiled once per checkout (~100 s), then reused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a child pytest run, and ~100 s of compiling in a fresh checkout
def test_kernel_tests_pass_with_bounds_checking():
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1",
               NUMBA_CACHE_DIR=str(REPO / ".numba-boundscheck"))
    # The kernel tests are the modules marked ``kernels``.
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          "-m", "kernels", "tests/lib"], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert run.returncode == 0, (
        "a kernel test fails with NUMBA_BOUNDSCHECK=1 (an out-of-bounds access raises "
        f"IndexError there):\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}")
