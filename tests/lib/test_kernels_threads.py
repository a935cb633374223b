"""deepgrad.kernels.threads: a kernel call's thread count is chosen by timing, and the
choice never changes a bit of the result (the work is split the same way on 1 thread)."""

from __future__ import annotations

import time

import numba
import numpy as np
import pytest

from deepgrad import layers
from deepgrad.kernels import threads

pytestmark = [pytest.mark.kernels,
              pytest.mark.skipif(numba.get_num_threads() < 2, reason="needs 2 threads")]


def _calls(fn, count):
    threads.forget()
    return [fn() for _ in range(count)]


def _layers_step(x, w, b):
    out, cache = layers.conv_forward(x, w, b, stride=1, pad=1)
    pooled, pcache = layers.max_pool_forward(out, 2, 2)
    dout = layers.max_pool_backward(np.cos(pooled), pcache)
    return (out, pooled, dout, *layers.conv_backward(dout, cache))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("filters, channels", [(16, 3), (4, 2), (32, 16)])
def test_results_are_bit_identical_on_one_thread_and_on_all(dtype, filters, channels):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((9, 8, 8, channels)).astype(dtype)
    w = rng.standard_normal((filters, 3, 3, channels)).astype(dtype)
    b = rng.standard_normal(filters).astype(dtype)
    # 2 * TRIALS calls time both thread counts, the rest use the choice
    runs = _calls(lambda: _layers_step(x, w, b), 2 * threads.TRIALS + 1)
    for run in runs[1:]:
        for got, first in zip(run, runs[0]):
            np.testing.assert_array_equal(got, first)
    used = threads.choices()
    assert used and set(used.values()) <= {1, numba.get_num_threads()}


def test_each_thread_count_is_timed_before_a_choice():
    x = np.ones((4, 6, 6, 8))
    threads.forget()
    for i in range(2 * threads.TRIALS):
        assert not threads.choices()
        layers.max_pool_forward(x, 2, 2)
    assert list(threads.choices().values())[0] in (1, numba.get_num_threads())
    # a new shape is timed afresh; the thread setting is restored after every call
    layers.max_pool_forward(np.ones((4, 8, 8, 8)), 2, 2)
    assert len(threads.choices()) == 1
    assert numba.get_num_threads() >= 2


def test_a_call_slow_on_one_thread_goes_to_all_threads_at_once():
    seen = []

    def slow_kernel():  # stands in for a kernel: 1 ms, on whatever thread count is set
        seen.append(numba.get_num_threads())
        time.sleep(2 * threads.SERIAL_LIMIT)

    threads.forget()
    for _ in range(4):
        threads.run(slow_kernel)
    n = numba.get_num_threads()
    # timed on 1, n, 1 (the first call on one thread may compile, so a second is timed)
    assert seen == [1, n, 1, n]
    assert threads.choices() == {("slow_kernel", n): n}
