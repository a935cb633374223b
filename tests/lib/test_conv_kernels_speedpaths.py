"""The convolution speed paths (filters as vector lanes, K a multiple of 16; dx with the
channels as lanes, c a multiple of 16) against independent references.

tests/lib/test_layers_conv.py draws K in 1..4, so it never reaches the lanes kernels
(``deepgrad.kernels.lane_tiles``). Here K is 16 or 32, with shapes chosen to hit the
awkward cases of those kernels: fewer output positions than a register tile (P < 8), a
last tile that overlaps the one before, a last tile of half the width (1-4 positions
or taps left), taps not a multiple of 8, stride > 1 (forward),
padding, both dtypes. c is drawn from 1-3 and 16, so dx also runs with the channels as
lanes (``dx_q*``), for any K. Compiled, the kernels run at this CPU's tile width
(``conv.tile_width``); the same checks run with the kernels of *every* rendered width as
plain Python (``.py_func``, what ``NUMBA_DISABLE_JIT=1`` runs), and once under
``NUMBA_DISABLE_JIT=1`` itself. lane_tiles.py must be what its template renders.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deepgrad import layers
from deepgrad.kernels import conv as kconv
from deepgrad.kernels import lane_tiles, lane_tiles_template
from tests.support.reference import numpy_conv_backward, numpy_conv_forward
from tests.support.strategies import conv_problems

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

# Every Numba function of conv.py the K % 16 == 0 paths call (and lane_tiles' below).
LANE_KERNELS = ["_lane_tables", "_dx_by_shifts", "_fill_dtw", "_dx_shifts", "_flat_offsets"]
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-4)}


@contextlib.contextmanager
def plain_python(width):
    """The lanes paths as plain Python, with the tiles of ``width`` for every dtype."""
    tiles = tuple(k.py_func for k in lane_tiles.TILES[width])
    with contextlib.ExitStack() as stack:
        for name in LANE_KERNELS:
            kernel = getattr(kconv, name)
            stack.enter_context(mock.patch.object(kconv, name, kernel.py_func))
        stack.enter_context(mock.patch.object(lane_tiles, "pad_example",
                                              lane_tiles.pad_example.py_func))
        stack.enter_context(mock.patch.object(
            kconv, "_lane_kernels", lambda dtype: (width, *tiles)))
        yield


# Up to 11 x 11 outputs: register tiles of 8 positions, a last tile that overlaps.
lane_problems = conv_problems(max_out=11, filters=st.sampled_from([16, 32]),
                              channels=st.sampled_from([1, 2, 3, 16]))
# c = 16 with K not a multiple of 16: dx with the channels as lanes, dw by the shifts.
transposed_dx_problems = conv_problems(max_out=11, filters=st.integers(1, 4),
                                       channels=st.just(16))


def check(x, w, b, s, p, dout):
    tol = TOL[x.dtype.type]
    out, cache = layers.conv_forward(x, w, b, stride=s, pad=p)
    dx, dw, db = layers.conv_backward(dout, cache)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == x.dtype
    assert dw.flags.c_contiguous and dx.flags.c_contiguous
    no_dx, dw_only, _ = layers.conv_backward(dout, cache, need_dx=False)
    assert no_dx is None
    np.testing.assert_array_equal(dw_only, dw)
    x64, w64, b64, dout64 = (a.astype(np.float64) for a in (x, w, b, dout))
    expected = (numpy_conv_forward(x64, w64, b64, s, p),
                *numpy_conv_backward(dout64, x64, w64, s, p))
    for got, want in zip((out, dx, dw, db), expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **tol)


@settings(max_examples=60)
@given(problem=lane_problems)
def test_property_lane_kernels_match_numpy(problem):
    check(*problem)


@settings(max_examples=30)
@given(problem=transposed_dx_problems)
def test_property_transposed_dx_matches_numpy(problem):
    check(*problem)


@pytest.mark.parametrize("width", lane_tiles_template.WIDTHS)
@settings(max_examples=8)
@given(problem=lane_problems)
def test_property_lane_kernels_as_plain_python(width, problem):
    x, w, b, s, p, dout = problem
    assume(x.shape[0] * dout.shape[1] * dout.shape[2] <= 60)  # plain Python is slow
    with plain_python(width):
        check(x, w, b, s, p, dout)


def test_lane_tiles_is_rendered_from_its_template():
    assert lane_tiles_template.main(["--check"]) == 0
    assert set(lane_tiles.TILES) == set(lane_tiles_template.WIDTHS)


def test_tile_width_fits_the_registers():
    """Half the vector registers hold the tile's accumulators (16 lanes a row)."""
    cases = {(64, 32): (8, 8), (32, 16): (4, 4), (16, 16): (4, 4), (16, 32): (4, 4)}
    for registers, widths in cases.items():
        with mock.patch.object(kconv, "vector_registers", lambda r=registers: r):
            assert (kconv.tile_width(np.float32), kconv.tile_width(np.float64)) == widths
    assert kconv.tile_width(np.float32) in lane_tiles.TILES


def test_vector_registers_follow_numba_cpu_features():
    features = {"+avx512f,+avx2,+avx": (64, 32), "+avx2,+avx,-avx512f": (32, 16),
                "+sse4.2,-avx": (16, 16), "+neon": (16, 32)}
    for flags, registers in features.items():
        kconv.vector_registers.cache_clear()
        try:
            with mock.patch("numba.core.config.CPU_FEATURES", flags):
                assert kconv.vector_registers() == registers
        finally:
            kconv.vector_registers.cache_clear()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [
    ((5, 14, 14, 6), (16, 5, 5, 6), 0),   # LeNet conv2: P = 100 (a last half tile), 150 taps
    ((3, 3, 3, 2), (16, 2, 2, 2), 0),     # P = 4: the half tile alone
    ((3, 32, 32, 3), (16, 3, 3, 3), 1),   # 3x3 layer: 27 taps, dw tiles 8 + 8 + 8 + 4
    ((2, 5, 5, 1), (16, 2, 2, 1), 0),     # 4 taps: the dw half tile alone
    ((1, 1, 1, 2), (16, 2, 2, 2), 1),     # 8 taps, P = 4: no half tile runs, but Numba
                                          # hoists its reads (bounds check: in bounds)
    ((2, 7, 9, 2), (32, 3, 3, 2), 1),     # two blocks of 16 filters, P = 63
    ((3, 2, 3, 1), (16, 2, 2, 1), 0),     # P = 2 < one register tile
    ((3, 14, 14, 16), (32, 5, 5, 16), 0),  # the course CNN's conv2: dx by dx_q*
    ((2, 6, 7, 16), (4, 3, 3, 16), 2),    # pad = f - 1: every tap of dx reads dout
    ((2, 6, 7, 16), (4, 3, 3, 16), 3),    # pad >= f: dx by the shifts
    ((11, 5, 4, 32), (16, 3, 3, 32), 1),  # 11 examples: a part's tiles of 8 overlap
])
def test_course_like_shapes(shape, dtype):
    xs, ws, p = shape
    rng = np.random.default_rng(7)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[0]).astype(dtype)
    ho = xs[1] + 2 * p - ws[1] + 1
    wo = xs[2] + 2 * p - ws[1] + 1
    dout = rng.standard_normal((xs[0], ho, wo, ws[0])).astype(dtype)
    check(x, w, b, 1, p, dout)


def test_nan_in_the_input_stays_nan():
    x = np.ones((2, 6, 6, 3), np.float32)
    x[1, 2, 3, 1] = np.nan
    w = np.ones((16, 3, 3, 3), np.float32)
    out, cache = layers.conv_forward(x, w, np.zeros(16, np.float32), pad=1)
    assert np.isnan(out[1, 1:4, 2:5]).all() and not np.isnan(out[0]).any()
    dx, dw, _ = layers.conv_backward(np.ones_like(out), cache)
    assert np.isnan(dw[..., 1]).all() and not np.isnan(dw[..., [0, 2]]).any()
    assert not np.isnan(dx).any()


def test_lane_paths_under_numba_disable_jit():
    code = ("import numpy as np\n"
            "from deepgrad import layers\n"
            "x = np.arange(2 * 5 * 6 * 2, dtype=np.float32).reshape(2, 5, 6, 2) / 50\n"
            "w = np.cos(np.arange(16 * 3 * 3 * 2, dtype=np.float32)).reshape(16, 3, 3, 2)\n"
            "o, c = layers.conv_forward(x, w, np.ones(16, np.float32), 1, 1)\n"
            "dx, dw, db = layers.conv_backward(np.sin(o), c)\n"
            "print(float(o.sum()), float(dx.sum()), float(dw.sum()))\n")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    x = np.arange(2 * 5 * 6 * 2, dtype=np.float32).reshape(2, 5, 6, 2) / 50
    w = np.cos(np.arange(16 * 3 * 3 * 2, dtype=np.float32)).reshape(16, 3, 3, 2)
    o, c = layers.conv_forward(x, w, np.ones(16, np.float32), 1, 1)
    dx, dw, _ = layers.conv_backward(np.sin(o), c)
    got = [float(v) for v in res.stdout.split()]
    np.testing.assert_allclose(got, [o.sum(), dx.sum(), dw.sum()], rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scratch_parts_start_on_their_own_cache_lines(dtype):
    """Two threads' parts never share a cache line; a row of 16 lanes is one aligned
    vector (docs/kernels.md: a shared line made a forward 2x slower on 2 threads)."""
    for row_items in [(1,), (5, 128), (1024, 8 * 16, 3)]:
        arrays = kconv._scratch(dtype, 3, *row_items, zero=True)
        ends = []
        for a, n in zip(arrays, row_items):
            assert a.dtype == dtype and a.shape[0] == 3 and a.shape[1] >= n
            assert a.ctypes.data % kconv.CACHE_LINE == 0
            assert a.strides[0] % kconv.CACHE_LINE == 0 and a.flags.c_contiguous
            assert not a.any()
            ends.append((a.ctypes.data, a.ctypes.data + a.nbytes))
        assert all(e0 <= s1 for (_, e0), (s1, _) in zip(ends, ends[1:]))  # no overlap
