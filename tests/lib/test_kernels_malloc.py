"""Importing deepgrad.kernels keeps the memory a step frees mapped for the next step
(``deepgrad.kernels._keep_freed_memory``): a loop that allocates, fills and frees the
arrays of a training step faults their pages in once, not once per step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LOOP = """
import resource, sys
if sys.argv[1] == "tuned":
    import deepgrad.kernels as k
    assert k.MALLOC_TUNED
import numpy as np
def step():  # the sizes of the course CNN's largest activations at batch 64, float32
    arrays = [np.empty(64 * 28 * 28 * 16, np.float32) for _ in range(4)]
    for a in arrays:
        a.fill(1.0)
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def faults(mode, **env):
    res = subprocess.run([sys.executable, "-c", LOOP, mode], capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    return int(res.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_arrays_are_reused_not_faulted_in_again():
    # 20 steps of 4 x 3.2 MB: ~15,000 page faults when every array is a fresh mapping
    assert faults("plain") > 5000
    assert faults("tuned") < 500


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_threshold_the_user_set_is_left_alone():
    code = ("import deepgrad.kernels as k; print(k.MALLOC_TUNED)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    for extra, tuned in (({}, "True"), ({"MALLOC_MMAP_THRESHOLD_": "131072"}, "True"),
                         ({"MALLOC_MMAP_THRESHOLD_": "131072",
                           "MALLOC_TRIM_THRESHOLD_": "131072"}, "False")):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**env, **extra}, timeout=60)
        assert res.stdout.strip() == tuned, (extra, res.stdout, res.stderr)
