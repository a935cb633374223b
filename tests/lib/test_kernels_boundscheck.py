"""No Numba kernel reads or writes out of bounds, on any shape the kernel tests try.

Numba does no bounds checking by default: an index past the end reads garbage or
corrupts memory silently. Here the kernel tests (property tests over awkward shapes,
strides and paddings included) run again in a child process with ``NUMBA_BOUNDSCHECK=1``,
where every array access is checked and an out-of-bounds one raises ``IndexError``.
The bounds-checked machine code is cached apart from the normal cache
(``.numba-boundscheck/``, gitignored): compiled once per checkout (~100 s), then reused;
the child starts right after collection so that the compile overlaps the other tests
(tests/support/boundscheck.py).
"""

from __future__ import annotations

import pytest

from tests.support import boundscheck


@pytest.mark.slow  # a child pytest run, and ~100 s of compiling in a fresh checkout
def test_kernel_tests_pass_with_bounds_checking():
    # Started in the background by tests/conftest.py when this test is selected.
    code, output = boundscheck.result()
    assert code == 0, (
        "a kernel test fails with NUMBA_BOUNDSCHECK=1 (an out-of-bounds access raises "
        f"IndexError there):\n{output[-6000:]}")
