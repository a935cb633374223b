"""Fast convolution and pooling layers (forward and backward), for training real CNNs.

Layout as in the course: volumes ``(m, h, w, c)`` (examples, rows, columns, channels),
filters ``(K, f, f, c)``, one bias per filter ``(K,)``. Every layer is a pair

>>> out, cache = conv_forward(x, w, b, stride=1, pad=0)     # doctest: +SKIP
>>> dx, dw, db = conv_backward(dout, cache)                 # doctest: +SKIP

Output size: ``ho = (h + 2*pad - f) // stride + 1`` (and the same for the width); it
must be a whole number, i.e. ``(h + 2*pad - f)`` divisible by ``stride``.

float32 and float64 are both supported: all array arguments must share one of these
dtypes, and the results have it. Arrays must be C-contiguous (``np.ascontiguousarray``).
Every function validates its arguments (:mod:`deepgrad.validation`) before any kernel
runs: ``TypeError`` for a wrong type (a list where an array is expected, a float where
an int is), ``ValueError`` for a wrong value (shape, dtype, range), each naming the
argument and the expected shape. The kernels themselves
(:mod:`deepgrad.kernels.conv`, :mod:`deepgrad.kernels.pool`) explain how they are made
fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deepgrad import validation
from deepgrad.kernels import conv as _conv
from deepgrad.kernels import pool as _pool
from deepgrad.kernels.threads import run

__all__ = ["conv_forward", "conv_backward", "max_pool_forward", "max_pool_backward",
           "avg_pool_forward", "avg_pool_backward", "im2col", "col2im", "output_size",
           "ConvCache", "MaxPoolCache", "AvgPoolCache"]

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ----------------------------------------------------------------------------- caches
@dataclass(frozen=True, eq=False)
class ConvCache:
    """What :func:`conv_forward` keeps for :func:`conv_backward` (treat as opaque).

    The forward input, filters, bias, stride and padding.
    """

    x: np.ndarray
    w: np.ndarray
    b: np.ndarray
    stride: int
    pad: int


@dataclass(frozen=True, eq=False)
class MaxPoolCache:
    """What :func:`max_pool_forward` keeps: input shape, window, and each window's argmax."""

    x_shape: tuple
    size: int
    stride: int
    argmax: np.ndarray  # (m, ho, wo, c), i*size + j of the first maximum; uint8 up to
    # 16 x 16 windows, else int64 (kernels.pool.argmax_dtype)
    dtype: np.dtype


@dataclass(frozen=True, eq=False)
class AvgPoolCache:
    """What :func:`avg_pool_forward` keeps: input shape and window."""

    x_shape: tuple
    size: int
    stride: int
    dtype: np.dtype


# ----------------------------------------------------------------------------- checks
def _float_array(name: str, a: object, shape_text: str, ndim: int) -> np.ndarray:
    """What every array argument here must be: float32/float64, C-contiguous, no empty axis."""
    return validation.array(name, a, ndim=ndim, shape_text=shape_text, dtypes=_DTYPES,
                            contiguous=True)


def output_size(size: int, f: int, stride: int, pad: int, *, what: str = "x") -> int:
    """``(size + 2*pad - f) // stride + 1``, or ValueError if it is not a whole number >= 1."""
    if f > size + 2 * pad:
        raise ValueError(f"the window ({f}x{f}) is larger than the padded input "
                         f"{what} ({size} + 2*{pad} = {size + 2 * pad}): f must be "
                         f"<= h + 2*pad")
    if (size + 2 * pad - f) % stride:
        raise ValueError(f"non-integer output size for {what}: (h + 2*pad - f) / stride "
                         f"= ({size} + 2*{pad} - {f}) / {stride} is not a whole number; "
                         f"choose pad or stride so that it is")
    return (size + 2 * pad - f) // stride + 1


def _conv_geometry(x_shape, f, stride, pad):
    m, h, w, c = x_shape
    ho = output_size(h, f, stride, pad, what=f"x height (x has shape {tuple(x_shape)})")
    wo = output_size(w, f, stride, pad, what=f"x width (x has shape {tuple(x_shape)})")
    return ho, wo


# ----------------------------------------------------------------------------- im2col
def im2col(x: np.ndarray, f: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """Unroll every f x f window of ``x`` into one row.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c), float32 or float64, C-contiguous
    f : int >= 1
        Window (filter) size.
    stride : int >= 1
    pad : int >= 0
        Zero padding on each side of the rows and columns.

    Returns
    -------
    cols : ndarray, shape (m*ho*wo, f*f*c), dtype of x
        Rows in (example, output row, output column) order; columns in
        (i, j, channel) order, the order of ``w.reshape(K, -1)`` for filters
        ``w`` of shape (K, f, f, c). Padding cells are 0.
    """
    x = _float_array("x", x, "(m, h, w, c)", 4)
    f = validation.integer("f", f, low=1)
    stride = validation.integer("stride", stride, low=1)
    pad = validation.integer("pad", pad, low=0)
    ho, wo = _conv_geometry(x.shape, f, stride, pad)
    m, _, _, c = x.shape
    cols = np.empty((m * ho * wo, f * f * c), dtype=x.dtype)
    _conv._im2col(x, f, stride, pad, ho, wo, cols)
    return cols


def col2im(cols: np.ndarray, x_shape: tuple, f: int, stride: int = 1,
           pad: int = 0) -> np.ndarray:
    """The adjoint of :func:`im2col`: add every row entry back onto its input cell.

    Parameters
    ----------
    cols : ndarray, shape (m*ho*wo, f*f*c), float32 or float64, C-contiguous
    x_shape : tuple of 4 ints (m, h, w, c)
        Shape of the volume ``cols`` was (or would be) unrolled from.
    f, stride, pad : int
        As for :func:`im2col`.

    Returns
    -------
    ndarray, shape x_shape, dtype of cols
        Entries that several windows share receive the sum; padding is dropped.
    """
    x_shape = validation.shape_tuple("x_shape", x_shape, ndim=4, shape_text="(m, h, w, c)")
    f = validation.integer("f", f, low=1)
    stride = validation.integer("stride", stride, low=1)
    pad = validation.integer("pad", pad, low=0)
    ho, wo = _conv_geometry(x_shape, f, stride, pad)
    m, h, w, c = x_shape
    expected = (m * ho * wo, f * f * c)
    cols = _float_array("cols", cols, f"(m*ho*wo, f*f*c) = {expected}", 2)
    if cols.shape != expected:
        raise ValueError(f"cols must have shape (m*ho*wo, f*f*c) = {expected} for "
                         f"x_shape {x_shape}, f={f}, stride={stride}, pad={pad}; "
                         f"got {cols.shape}")
    dx = np.empty(x_shape, dtype=cols.dtype)
    _conv._col2im(cols, f, stride, pad, ho, wo, dx)
    return dx


# ----------------------------------------------------------------------------- conv
def _check_conv(x, w, b, stride, pad):
    """Validate conv_forward's arguments; return them with (ho, wo)."""
    x = _float_array("x", x, "(m, h, w, c)", 4)
    w = _float_array("w", w, "(K, f, f, c)", 4)
    b = _float_array("b", b, "(K,)", 1)
    validation.same_dtype(("x", x), ("w", w), ("b", b))
    K, f, f2, cw = w.shape
    if f2 != f:
        raise ValueError(f"w must have shape (K, f, f, c) with square f x f filters, "
                         f"got {w.shape}")
    if cw != x.shape[3]:
        raise ValueError(f"w must have shape (K, f, f, c) = (K, {f}, {f}, {x.shape[3]}) "
                         f"to match the {x.shape[3]} channels of x {x.shape}, "
                         f"got {w.shape}")
    if b.shape != (K,):
        raise ValueError(f"b must have shape (K,) = ({K},), one bias per filter of w "
                         f"{w.shape}, got {b.shape}")
    stride = validation.integer("stride", stride, low=1)
    pad = validation.integer("pad", pad, low=0)
    ho, wo = _conv_geometry(x.shape, f, stride, pad)
    return x, w, b, stride, pad, ho, wo


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int = 1,
                 pad: int = 0) -> tuple[np.ndarray, ConvCache]:
    """Convolution (cross-correlation, as in every deep-learning library) forward.

    ``out[n, r, q, k] = b[k] + sum_{i,j,ch} xpad[n, r*stride + i, q*stride + j, ch]
    * w[k, i, j, ch]``.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
        Input volume, float32 or float64, C-contiguous.
    w : ndarray, shape (K, f, f, c)
        K square filters over all c input channels; same dtype as x.
    b : ndarray, shape (K,)
        One bias per filter; same dtype as x.
    stride : int >= 1
    pad : int >= 0
        Zero padding on each side; ``(h + 2*pad - f)`` and ``(w + 2*pad - f)`` must be
        divisible by ``stride``.

    Returns
    -------
    out : ndarray, shape (m, ho, wo, K)
        ``ho = (h + 2*pad - f) // stride + 1``, likewise ``wo``.
    cache : ConvCache
        For :func:`conv_backward`.
    """
    x, w, b, stride, pad, ho, wo = _check_conv(x, w, b, stride, pad)
    out = _conv.conv_forward(x, w, b, stride, pad, ho, wo)
    return out, ConvCache(x, w, b, stride, pad)


def conv_backward(dout: np.ndarray, cache: ConvCache, *, need_dx: bool = True
                  ) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Convolution backward.

    Parameters
    ----------
    dout : ndarray, shape (m, ho, wo, K)
        Upstream gradient, same shape and dtype as the forward output.
    cache : ConvCache
        From the :func:`conv_forward` call that produced that output.
    need_dx : bool, default True
        False skips the input gradient and returns ``dx = None``: a network's first
        layer, whose input is the data, needs only ``dw`` and ``db`` (PyTorch skips it
        too). The input gradient is a large part of the work: see docs/benchmarks.md,
        "A training step".

    Returns
    -------
    dx : ndarray, shape (m, h, w, c), or None when ``need_dx`` is False
    dw : ndarray, shape (K, f, f, c)
    db : ndarray, shape (K,)
    """
    validation.instance("cache", cache, ConvCache,
                        what="the ConvCache returned by conv_forward")
    try:  # a cache built by hand must still describe a valid convolution
        x, w, _, _, _, ho, wo = _check_conv(cache.x, cache.w, cache.b, cache.stride,
                                            cache.pad)
    except (TypeError, ValueError) as err:
        raise ValueError(f"cache does not belong to a valid conv_forward call: {err}") \
            from None
    K = w.shape[0]
    m = x.shape[0]
    expected = (m, ho, wo, K)
    dout = _float_array("dout", dout, f"(m, ho, wo, K) = {expected}", 4)
    if dout.shape != expected:
        raise ValueError(f"dout must have shape (m, ho, wo, K) = {expected}, the shape of "
                         f"the forward output this cache belongs to; got {dout.shape}")
    validation.same_dtype(("cache.x (the forward input)", x), ("dout", dout))
    need_dx = validation.boolean("need_dx", need_dx)
    dx, dw = _conv.conv_backward(x, w, dout, cache.stride, cache.pad, need_dx)
    return dx, dw, _conv.bias_grad(dout)


# ----------------------------------------------------------------------------- pooling
def _pool_args(x, size, stride):
    x = _float_array("x", x, "(m, h, w, c)", 4)
    size = validation.integer("size", size, low=1)
    stride = validation.integer("stride", stride, low=1)
    ho, wo = _conv_geometry(x.shape, size, stride, 0)
    return x, size, stride, ho, wo


def _pool_dout(dout, cache, kind):
    try:  # a cache built by hand must still describe a valid pooling
        shape = validation.shape_tuple("x_shape", cache.x_shape, ndim=4,
                                       shape_text="(m, h, w, c)")
        ho, wo = _conv_geometry(shape, validation.integer("size", cache.size, low=1),
                                validation.integer("stride", cache.stride, low=1), 0)
        if np.dtype(cache.dtype) not in _DTYPES:
            raise ValueError(f"dtype must be float32 or float64, got {cache.dtype}")
    except (ValueError, TypeError) as err:
        raise ValueError(f"cache does not belong to a valid {kind}_pool_forward call: "
                         f"{err}") from None
    m, h, w, c = shape
    expected = (m, ho, wo, c)
    dout = _float_array("dout", dout, f"(m, ho, wo, c) = {expected}", 4)
    if dout.shape != expected:
        raise ValueError(f"dout must have shape (m, ho, wo, c) = {expected}, the shape of "
                         f"the {kind}_pool_forward output this cache belongs to; "
                         f"got {dout.shape}")
    if dout.dtype != cache.dtype:
        raise ValueError(f"dout must have the forward input's dtype {cache.dtype}, "
                         f"got {dout.dtype}")
    return dout


def max_pool_forward(x: np.ndarray, size: int = 2,
                     stride: int = 2) -> tuple[np.ndarray, MaxPoolCache]:
    """Max pooling over size x size windows, channel by channel.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c), float32 or float64, C-contiguous
    size : int >= 1
        Window size (no padding); ``size <= h, w``.
    stride : int >= 1
        ``(h - size)`` and ``(w - size)`` must be divisible by it.

    Returns
    -------
    out : ndarray, shape (m, ho, wo, c)
        ``ho = (h - size) // stride + 1``, likewise ``wo``.
    cache : MaxPoolCache
        Remembers the (first) argmax of each window for :func:`max_pool_backward`.
    """
    x, size, stride, ho, wo = _pool_args(x, size, stride)
    m, _, _, c = x.shape
    out = np.empty((m, ho, wo, c), dtype=x.dtype)
    arg = np.empty((m, ho, wo, c), dtype=_pool.argmax_dtype(size))
    run(_pool._max_pool_forward, x, size, stride, ho, wo, out, arg)
    return out, MaxPoolCache(tuple(x.shape), size, stride, arg, x.dtype)


def max_pool_backward(dout: np.ndarray, cache: MaxPoolCache) -> np.ndarray:
    """Max pooling backward: each upstream gradient goes to its window's first argmax.

    Parameters
    ----------
    dout : ndarray, shape (m, ho, wo, c)
    cache : MaxPoolCache
        From the matching :func:`max_pool_forward` call.

    Returns
    -------
    dx : ndarray, shape (m, h, w, c)
        Zero everywhere except at the argmax cells (overlapping windows add).
    """
    validation.instance("cache", cache, MaxPoolCache,
                        what="the MaxPoolCache returned by max_pool_forward")
    dout = _pool_dout(dout, cache, "max")
    arg = cache.argmax
    arg_dtype = _pool.argmax_dtype(cache.size)
    if (not isinstance(arg, np.ndarray) or arg.shape != dout.shape
            or arg.dtype != arg_dtype or not arg.flags.c_contiguous
            or (arg_dtype.kind == "i" and arg.min() < 0)
            or arg.max() >= cache.size * cache.size):
        raise ValueError("cache does not belong to a max_pool_forward call (its argmax "
                         f"must be {arg_dtype} of shape {dout.shape} with values in "
                         f"[0, {cache.size * cache.size}))")
    dx = np.empty(cache.x_shape, dtype=dout.dtype)
    run(_pool._max_pool_backward, dout, arg, cache.size, cache.stride, dx)
    return dx


def avg_pool_forward(x: np.ndarray, size: int = 2,
                     stride: int = 2) -> tuple[np.ndarray, AvgPoolCache]:
    """Average pooling over size x size windows, channel by channel.

    Parameters and output shape as for :func:`max_pool_forward`.

    Returns
    -------
    out : ndarray, shape (m, ho, wo, c)
    cache : AvgPoolCache
    """
    x, size, stride, ho, wo = _pool_args(x, size, stride)
    m, _, _, c = x.shape
    out = np.empty((m, ho, wo, c), dtype=x.dtype)
    run(_pool._avg_pool_forward, x, size, stride, ho, wo, out)
    return out, AvgPoolCache(tuple(x.shape), size, stride, x.dtype)


def avg_pool_backward(dout: np.ndarray, cache: AvgPoolCache) -> np.ndarray:
    """Average pooling backward: each upstream gradient spread evenly over its window.

    Parameters
    ----------
    dout : ndarray, shape (m, ho, wo, c)
    cache : AvgPoolCache

    Returns
    -------
    dx : ndarray, shape (m, h, w, c)
    """
    validation.instance("cache", cache, AvgPoolCache,
                        what="the AvgPoolCache returned by avg_pool_forward")
    dout = _pool_dout(dout, cache, "avg")
    dx = np.empty(cache.x_shape, dtype=dout.dtype)
    run(_pool._avg_pool_backward, dout, cache.size, cache.stride, dx)
    return dx
