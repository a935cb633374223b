"""deepgrad.layers (convolution, pooling, im2col/col2im) against independent references.

References (tests/support/reference.py), each a different method from the lib's (im2col
in Numba + BLAS): naive loops, numpy ``sliding_window_view`` + matmul or ``einsum``, and
PyTorch when it is importable (never a course dependency). Every agreement test also runs
the kernels as plain Python through ``.py_func`` (what ``NUMBA_DISABLE_JIT=1`` runs), on
small shapes.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad import layers
from deepgrad.kernels import conv as kconv
from deepgrad.kernels import pool as kpool
from tests.support.reference import (naive_conv_backward, naive_conv_forward,
                                     naive_pool_backward, naive_pool_forward,
                                     numpy_conv_forward, numpy_im2col, windows)
from tests.support.strategies import conv_problems, pool_problems

try:  # an optional third opinion
    import torch
except ImportError:  # pragma: no cover - torch is not a course dependency
    torch = None

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

KERNELS = [(kconv, "_im2col"), (kconv, "_col2im"), (kconv, "_patches_t"), (kconv, "_add_patches_t"),
           (kconv, "_conv_forward"), (kconv, "_conv_backward"),
           (kconv, "_flat_offsets"), (kconv, "_flatten_padded"), (kconv, "_conv_forward_s1"),
           (kconv, "_conv_backward_s1"), (kconv, "_bias_grad"), (kpool, "_max_pool_forward"),
           (kpool, "_max_pool_backward"), (kpool, "_avg_pool_forward"),
           (kpool, "_avg_pool_backward")]


@contextlib.contextmanager
def plain_python():
    with contextlib.ExitStack() as stack:
        for module, name in KERNELS:
            kernel = getattr(module, name)
            stack.enter_context(mock.patch.object(module, name,
                                                  getattr(kernel, "py_func", kernel)))
        yield


@contextlib.contextmanager
def compiled():
    yield


MODES = {"compiled": compiled, "py_func": plain_python}
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-4)}


# ----------------------------------------------------------------------------- references
def torch_conv(x, w, b, s, p, dout):
    """PyTorch's conv2d (NCHW) and its autograd, converted to our layout (float64)."""
    xt = torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(w.transpose(0, 3, 1, 2), dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.conv2d(xt, wt, bt, stride=s, padding=p)
    out.backward(torch.tensor(dout.transpose(0, 3, 1, 2), dtype=torch.float64))
    return (out.detach().numpy().transpose(0, 2, 3, 1),
            xt.grad.numpy().transpose(0, 2, 3, 1), wt.grad.numpy().transpose(0, 2, 3, 1),
            bt.grad.numpy())


# ----------------------------------------------------------------------------- conv
@settings(max_examples=60)
@given(problem=conv_problems(), plain=st.booleans())
def test_property_conv_matches_naive_numpy_and_torch(problem, plain):
    x, w, b, s, p, dout = problem
    tol = TOL[x.dtype.type]
    with (plain_python() if plain else compiled()):
        out, cache = layers.conv_forward(x, w, b, stride=s, pad=p)
        dx, dw, db = layers.conv_backward(dout, cache)
        no_dx, dw_only, db_only = layers.conv_backward(dout, cache, need_dx=False)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == x.dtype
    assert (out.shape, dx.shape, dw.shape, db.shape) == (dout.shape, x.shape, w.shape,
                                                         b.shape)
    # without the input gradient: the same dw and db, to the bit
    assert no_dx is None
    np.testing.assert_array_equal(dw_only, dw)
    np.testing.assert_array_equal(db_only, db)
    expected = naive_conv_forward(x, w, b, s, p)
    np.testing.assert_allclose(out, expected, **tol)
    np.testing.assert_allclose(out, numpy_conv_forward(x, w, b, s, p), **tol)
    ndx, ndw, ndb = naive_conv_backward(dout, x, w, s, p)
    np.testing.assert_allclose(dx, ndx, **tol)
    np.testing.assert_allclose(dw, ndw, **tol)
    np.testing.assert_allclose(db, ndb, **tol)
    if torch is not None:
        tout, tdx, tdw, tdb = torch_conv(x, w, b, s, p, dout)
        for got, want in ((out, tout), (dx, tdx), (dw, tdw), (db, tdb)):
            np.testing.assert_allclose(got, want, **tol)


@settings(max_examples=40)
@given(problem=conv_problems(), plain=st.booleans())
def test_property_im2col_matches_numpy_and_col2im_is_its_adjoint(problem, plain):
    x, w, _, s, p, _ = problem
    f = w.shape[1]
    with (plain_python() if plain else compiled()):
        cols = layers.im2col(x, f, stride=s, pad=p)
        rng = np.random.default_rng(0)
        C = rng.standard_normal(cols.shape).astype(x.dtype)
        back = layers.col2im(C, x.shape, f, stride=s, pad=p)
    np.testing.assert_array_equal(cols, numpy_im2col(x, f, s, p).astype(x.dtype))
    # <im2col(x), C> == <x, col2im(C)>
    lhs = float(np.sum(cols.astype(np.float64) * C))
    rhs = float(np.sum(x.astype(np.float64) * back))
    assert lhs == pytest.approx(rhs, rel=1e-4 if x.dtype == np.float32 else 1e-10, abs=1e-4)
    # rows in (example, row, col) order, columns in w.reshape(K, -1) order
    out = cols @ w.reshape(w.shape[0], -1).T
    np.testing.assert_allclose(out.reshape(x.shape[0], -1, w.shape[0]).ravel(),
                               naive_conv_forward(x, w, np.zeros(w.shape[0]), s, p).ravel(),
                               **TOL[x.dtype.type])


@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
def test_conv_backward_matches_a_numerical_gradient(run):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 7, 3))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(4)
    dout = rng.standard_normal((2, 3, 4, 4))
    with run():
        _, cache = layers.conv_forward(x, w, b, stride=2, pad=1)
        dx, dw, db = layers.conv_backward(dout, cache)

        def loss():
            return float(np.sum(layers.conv_forward(x, w, b, stride=2, pad=1)[0] * dout))

        for arr, grad in ((x, dx), (w, dw), (b, db)):
            for idx in [tuple(rng.integers(0, d) for d in arr.shape) for _ in range(6)]:
                old = arr[idx]
                arr[idx] = old + 1e-6
                up = loss()
                arr[idx] = old - 1e-6
                down = loss()
                arr[idx] = old
                assert grad[idx] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_course_shapes_agree_with_numpy(dtype):
    rng = np.random.default_rng(1)
    for (xs, ws, s, p) in [((4, 28, 28, 1), (6, 5, 5, 1), 1, 2),
                           ((4, 14, 14, 6), (16, 5, 5, 6), 1, 0),
                           ((4, 32, 32, 3), (16, 3, 3, 3), 1, 1)]:
        x = rng.standard_normal(xs).astype(dtype)
        w = rng.standard_normal(ws).astype(dtype)
        b = rng.standard_normal(ws[0]).astype(dtype)
        out, cache = layers.conv_forward(x, w, b, stride=s, pad=p)
        np.testing.assert_allclose(out, numpy_conv_forward(x, w, b, s, p),
                                   rtol=1e-4, atol=1e-3 if dtype == np.float32 else 1e-9)
        dout = rng.standard_normal(out.shape).astype(dtype)
        dx, dw, db = layers.conv_backward(dout, cache)
        # dw as einsum over sliding windows (a third formula)
        v = windows(x, ws[1], s, p)
        np.testing.assert_allclose(dw, np.einsum("nrqk,nrqcij->kijc", dout, v),
                                   rtol=1e-4, atol=1e-2 if dtype == np.float32 else 1e-8)


def test_inputs_are_not_modified():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 6, 6, 2))
    w = rng.standard_normal((3, 3, 3, 2))
    b = rng.standard_normal(3)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = layers.conv_forward(x, w, b, pad=1)
    dout = np.ones_like(out)
    layers.conv_backward(dout, cache)
    for a, c in zip((x, w, b, dout), copies + [np.ones_like(out)]):
        np.testing.assert_array_equal(a, c)


# ----------------------------------------------------------------------------- pooling
@settings(max_examples=60)
@given(problem=pool_problems(), kind=st.sampled_from(["max", "avg"]), plain=st.booleans())
def test_property_pooling_matches_naive(problem, kind, plain):
    x, size, s, dout = problem
    fwd = layers.max_pool_forward if kind == "max" else layers.avg_pool_forward
    bwd = layers.max_pool_backward if kind == "max" else layers.avg_pool_backward
    with (plain_python() if plain else compiled()):
        out, cache = fwd(x, size=size, stride=s)
        dx = bwd(dout, cache)
    assert out.dtype == dx.dtype == x.dtype and dx.shape == x.shape
    tol = TOL[x.dtype.type]
    np.testing.assert_allclose(out, naive_pool_forward(x, size, s, kind), **tol)
    np.testing.assert_allclose(dx, naive_pool_backward(dout, x, size, s, kind), **tol)
    if torch is not None:
        xt = torch.tensor(x.transpose(0, 3, 1, 2), dtype=torch.float64)
        op = torch.nn.functional.max_pool2d if kind == "max" else \
            torch.nn.functional.avg_pool2d
        np.testing.assert_allclose(out, op(xt, size, s).numpy().transpose(0, 2, 3, 1),
                                   **tol)


def test_max_pool_gradient_goes_to_the_first_argmax_only():
    x = np.array([[[[1.0], [3.0]], [[3.0], [0.0]]]])  # (1, 2, 2, 1), two equal maxima
    out, cache = layers.max_pool_forward(x, size=2, stride=2)
    assert out[0, 0, 0, 0] == 3.0
    dx = layers.max_pool_backward(np.array([[[[5.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0.0, 5.0], [0.0, 0.0]])


def test_max_pool_2x2_scans_like_every_other_size_also_with_nan():
    # 2x2 windows take a register path; it must keep the row-major scan's "first
    # maximum, strict >" also where NaN makes the order matter
    rng = np.random.default_rng(5)
    x = rng.integers(-2, 3, (3, 6, 8, 5)).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = np.nan
    out, cache = layers.max_pool_forward(x, size=2, stride=2)
    windows = x.reshape(3, 3, 2, 4, 2, 5).transpose(0, 1, 3, 5, 2, 4).reshape(-1, 4)
    best, arg = windows[:, 0].copy(), np.zeros(len(windows), np.int64)
    for k in (1, 2, 3):
        take = windows[:, k] > best
        best[take], arg[take] = windows[take, k], k
    np.testing.assert_array_equal(out.reshape(-1), best)
    np.testing.assert_array_equal(cache.argmax.reshape(-1), arg)


def test_max_pool_windows_past_16x16_keep_an_int64_argmax():
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (2, 34, 17, 3)).astype(np.float64)  # ties, 2 windows of 17x17
    dout = rng.standard_normal((2, 2, 1, 3))
    out, cache = layers.max_pool_forward(x, size=17, stride=17)
    assert cache.argmax.dtype == np.int64
    assert layers.max_pool_forward(x[:, :16, :16].copy(), size=16, stride=16)[1].argmax.dtype == np.uint8
    np.testing.assert_array_equal(out, naive_pool_forward(x, 17, 17, "max"))
    np.testing.assert_array_equal(layers.max_pool_backward(dout, cache),
                                  naive_pool_backward(dout, x, 17, 17, "max"))


# ----------------------------------------------------------------------------- validation
RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 7, 7, 3))
W = RNG.standard_normal((4, 3, 3, 3))
B = RNG.standard_normal(4)


@pytest.mark.parametrize("kwargs, argument, text", [
    (dict(x=X[0]), "x", "(m, h, w, c)"),
    (dict(w=W[0]), "w", "(K, f, f, c)"),
    (dict(w=W[:, :, :2].copy()), "w", "square"),
    (dict(w=W[..., :2].copy()), "w", "(K, 3, 3, 3)"),
    (dict(b=B[:3]), "b", "(4,)"),
    (dict(b=B[:, None]), "b", "(K,)"),
    (dict(w=RNG.standard_normal((4, 10, 10, 3))), "larger than the padded input", "h + 2*pad"),
    (dict(stride=2, pad=0, w=RNG.standard_normal((4, 2, 2, 3))), "non-integer output size",
     "(7 + 2*0 - 2) / 2"),
    (dict(x=X.astype(np.float16)), "x", "float32 or float64"),
    (dict(x=X.astype(np.int64)), "x", "float32 or float64"),
    (dict(w=W.astype(np.float32)), "w", "same dtype as x"),
    (dict(x=np.asfortranarray(X)), "x", "C-contiguous"),
    (dict(x=X[:, ::2]), "x", "C-contiguous"),
    (dict(pad=-1), "pad", ">= 0"),
    (dict(stride=0), "stride", ">= 1"),
    (dict(x=np.zeros((0, 7, 7, 3))), "x", "no zero-length"),
])
def test_conv_forward_rejects_bad_arguments(kwargs, argument, text):
    args = dict(x=X, w=W, b=B, stride=1, pad=1)
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        layers.conv_forward(**args)
    assert argument in str(info.value) and text in str(info.value)


@pytest.mark.parametrize("kwargs, argument, text", [
    (dict(x=X.tolist()), "x", "(m, h, w, c)"),
    (dict(stride=1.5), "stride", "int"),
    (dict(stride=True), "stride", "int"),
])
def test_conv_forward_rejects_wrong_types(kwargs, argument, text):
    args = dict(x=X, w=W, b=B, stride=1, pad=1)
    args.update(kwargs)
    with pytest.raises(TypeError) as info:
        layers.conv_forward(**args)
    assert argument in str(info.value) and text in str(info.value)


def test_conv_backward_need_dx_must_be_a_bool():
    x = np.zeros((1, 4, 4, 1))
    out, cache = layers.conv_forward(x, np.zeros((2, 3, 3, 1)), np.zeros(2))
    for bad in (0, 1, "no", None):
        with pytest.raises(TypeError, match="need_dx must be True or False"):
            layers.conv_backward(out, cache, need_dx=bad)
    assert layers.conv_backward(out, cache, need_dx=np.bool_(False))[0] is None


def test_backward_functions_reject_foreign_caches_and_wrong_dout():
    out, cache = layers.conv_forward(X, W, B, pad=1)
    pout, pcache = layers.max_pool_forward(X[:, :6, :6].copy(), 2, 2)
    aout, acache = layers.avg_pool_forward(X[:, :6, :6].copy(), 2, 2)
    with pytest.raises(TypeError, match="ConvCache"):
        layers.conv_backward(out, pcache)
    with pytest.raises(ValueError, match=r"dout.*\(2, 7, 7, 4\)"):
        layers.conv_backward(out[:1].copy(), cache)
    with pytest.raises(ValueError, match="dout.*same dtype"):
        layers.conv_backward(out.astype(np.float32), cache)
    with pytest.raises(TypeError, match="MaxPoolCache"):
        layers.max_pool_backward(pout, acache)
    with pytest.raises(TypeError, match="AvgPoolCache"):
        layers.avg_pool_backward(aout, pcache)
    with pytest.raises(ValueError, match=r"dout.*\(2, 3, 3, 3\)"):
        layers.max_pool_backward(pout[:, :2].copy(), pcache)
    with pytest.raises(ValueError, match="dout.*dtype"):
        layers.avg_pool_backward(aout.astype(np.float32), acache)
    with pytest.raises(ValueError, match="C-contiguous"):
        layers.max_pool_backward(np.asfortranarray(pout), pcache)
    with pytest.raises(TypeError, match="cache"):
        layers.conv_backward(out, (X, W, B, 1, 1))


@pytest.mark.parametrize("call, text", [
    (lambda: layers.max_pool_forward(X, size=2, stride=2), "non-integer output size"),
    (lambda: layers.avg_pool_forward(X, size=8, stride=1), "larger than the padded input"),
    (lambda: layers.max_pool_forward(X, size=0), "size must be an int >= 1"),
    (lambda: layers.avg_pool_forward(X, size=1, stride=0), "stride must be an int >= 1"),
    (lambda: layers.max_pool_forward(X[0], size=1), "x must have shape (m, h, w, c)"),
    (lambda: layers.im2col(X, 0), "f must be an int >= 1"),
    (lambda: layers.im2col(X, 3, pad=-2), "pad must be an int >= 0"),
    (lambda: layers.col2im(np.zeros((5, 27)), X.shape, 3, 1, 1), "cols must have shape"),
    (lambda: layers.col2im(np.zeros((98, 27)), (2, 7, 7), 3, 1, 1), "x_shape"),
    (lambda: layers.col2im(np.zeros((98, 27), np.int32), X.shape, 3, 1, 1),
     "float32 or float64"),
])
def test_other_functions_reject_bad_arguments(call, text):
    with pytest.raises(ValueError) as info:
        call()
    assert text in str(info.value)


# ----------------------------------------------------------------------------- silence
def test_precompile_and_every_function_write_nothing(capfd):
    kconv.precompile()
    kpool.precompile()
    for dtype in (np.float32, np.float64):
        x = X.astype(dtype)
        out, cache = layers.conv_forward(x, W.astype(dtype), B.astype(dtype), pad=1)
        layers.conv_backward(out, cache)
        layers.col2im(layers.im2col(x, 3, 2, 0), x.shape, 3, 2, 0)
        for fwd, bwd in ((layers.max_pool_forward, layers.max_pool_backward),
                         (layers.avg_pool_forward, layers.avg_pool_backward)):
            o, c = fwd(x[:, :6, :6].copy())
            bwd(o, c)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_runs_with_numba_disabled():
    code = ("import numpy as np; from deepgrad import layers;"
            "x = np.arange(2*5*5*2, dtype=np.float32).reshape(2, 5, 5, 2);"
            "w = np.ones((3, 3, 3, 2), np.float32); b = np.zeros(3, np.float32);"
            "o, c = layers.conv_forward(x, w, b, 2, 1); dx, dw, db = layers.conv_backward(o, c);"
            "p, pc = layers.max_pool_forward(x[:, :4, :4].copy());"
            "print(o.shape, float(o.sum()), dx.shape, layers.max_pool_backward(p, pc).sum())")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    x = np.arange(2 * 5 * 5 * 2, dtype=np.float32).reshape(2, 5, 5, 2)
    o, _ = layers.conv_forward(x, np.ones((3, 3, 3, 2), np.float32),
                               np.zeros(3, np.float32), 2, 1)
    assert res.stdout.startswith(f"{o.shape} {float(o.sum())}")


def test_hand_built_caches_that_describe_no_valid_layer_are_refused():
    out, cache = layers.conv_forward(X, W, B, pad=1)
    bad = layers.ConvCache(X, RNG.standard_normal((4, 3, 3, 2)), B, 1, 1)  # channels
    with pytest.raises(ValueError, match="cache does not belong.*w must have shape"):
        layers.conv_backward(out, bad)
    bad = layers.ConvCache(X, W, B, 1, -1)
    with pytest.raises(ValueError, match="cache does not belong.*pad"):
        layers.conv_backward(out, bad)
    pout, pcache = layers.max_pool_forward(X[:, :6, :6].copy(), 2, 2)
    bad = layers.MaxPoolCache((2, 3, 3, 3), 2, 2, pcache.argmax, np.dtype(np.float64))
    with pytest.raises(ValueError, match="cache does not belong"):
        layers.max_pool_backward(pout, bad)  # a 2x2 window with stride 2 on 3 rows
    bad = layers.MaxPoolCache((2, 6, 6, 3), 2, 2, pcache.argmax + 4, np.dtype(np.float64))
    with pytest.raises(ValueError, match="argmax"):
        layers.max_pool_backward(pout, bad)
    bad = layers.AvgPoolCache((2, 6, 6, 3), 2, 0, np.dtype(np.float64))
    with pytest.raises(ValueError, match="cache does not belong.*stride"):
        layers.avg_pool_backward(pout, bad)
