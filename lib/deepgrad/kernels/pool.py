"""Numba kernels for max and average pooling in the course's ``(m, h, w, c)`` layout.

Pooling is memory-bound, so the loops follow memory: channels innermost (they are
contiguous). The forward kernels split the ``m * ho`` output rows over the threads
(``prange``), the backward kernels the examples: each thread writes only its own ``dx[n]``,
so windows that overlap when ``stride < size`` never race. Max pooling stores, per output
cell, the position ``i*size + j`` of the *first* maximum of its window (row-major scan; a
later equal value does not replace it) and the backward routes the whole upstream gradient
there; average pooling spreads ``dout / size²`` over the window.
Invariants: ``@njit(cache=True)``, plain loops, so ``NUMBA_DISABLE_JIT=1`` runs the same
code as Python; no bounds checks inside, so only :mod:`deepgrad.layers` calls them, after
validating every argument. Design notes: docs/kernels.md.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["argmax_dtype", "precompile"]


def argmax_dtype(size: int) -> np.dtype:
    """The smallest integer dtype of max pooling's stored argmax for size x size windows:
    uint8 up to 16 x 16 (an int64 argmax was 1.6 of the 5.6 MB the course CNN's pool1
    forward moves)."""
    return np.dtype(np.uint8 if size * size <= 256 else np.int64)


@njit(cache=True, parallel=True)
def _max_pool_forward(x, size, stride, ho, wo, out, arg):
    """``out[n, r, q, ch]`` = max of the window; ``arg`` = its first argmax ``i*size + j``.

    The running maximum is kept with selects, not a branch, so the channel loop
    vectorizes. 2 x 2 windows (every pool of the course) compare their four values in
    registers; other sizes store ``out`` and ``arg`` after every tap."""
    m, h, w, c = x.shape
    a0 = arg.dtype.type(0)
    a1 = arg.dtype.type(1)
    a2 = arg.dtype.type(2)
    a3 = arg.dtype.type(3)
    for nr in prange(m * ho):
        n = nr // ho
        r = nr - n * ho
        for q in range(wo):
            y0 = r * stride
            x0 = q * stride
            if size == 2:
                for ch in range(c):
                    v0 = x[n, y0, x0, ch]
                    v1 = x[n, y0, x0 + 1, ch]
                    v2 = x[n, y0 + 1, x0, ch]
                    v3 = x[n, y0 + 1, x0 + 1, ch]
                    # the same row-major scan as below: strict ">" keeps the first
                    # maximum (and a NaN is never taken after the first value)
                    b = v1 > v0
                    best = v1 if b else v0
                    k = a1 if b else a0
                    b = v2 > best
                    best = v2 if b else best
                    k = a2 if b else k
                    b = v3 > best
                    out[n, r, q, ch] = v3 if b else best
                    arg[n, r, q, ch] = a3 if b else k
                continue
            for ch in range(c):
                out[n, r, q, ch] = x[n, y0, x0, ch]
                arg[n, r, q, ch] = 0
            for i in range(size):
                for j in range(size):
                    k = i * size + j
                    for ch in range(c):
                        v = x[n, y0 + i, x0 + j, ch]
                        o = out[n, r, q, ch]
                        a = arg[n, r, q, ch]
                        out[n, r, q, ch] = v if v > o else o
                        arg[n, r, q, ch] = k if v > o else a


@njit(cache=True, parallel=True)
def _max_pool_backward(dout, arg, size, stride, dx):
    """Overwrite ``dx`` with ``dout`` routed to each window's stored argmax.

    Windows that tile the input exactly (stride = size; the layer's validation makes
    h = ho*size) write every cell of ``dx`` once, the gradient or 0, in one streaming
    pass. Other strides zero ``dx`` first and add each gradient at its argmax (windows
    overlap when stride < size, leave gaps when stride > size)."""
    m, ho, wo, c = dout.shape
    h = dx.shape[1]
    w = dx.shape[2]
    zero = dx.dtype.type(0)
    if stride == size:
        for n in prange(m):
            for r in range(ho):
                for i in range(size):
                    y = r * size + i
                    for q in range(wo):
                        for j in range(size):
                            k = i * size + j
                            for ch in range(c):
                                g = dout[n, r, q, ch]
                                dx[n, y, q * size + j, ch] = g if arg[n, r, q, ch] == k else zero
        return
    for n in prange(m):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    dx[n, y, xx, ch] = 0.0
        for r in range(ho):
            for q in range(wo):
                for ch in range(c):
                    k = arg[n, r, q, ch]
                    i = k // size
                    j = k - i * size
                    dx[n, r * stride + i, q * stride + j, ch] += dout[n, r, q, ch]


@njit(cache=True, parallel=True)
def _avg_pool_forward(x, size, stride, ho, wo, out):
    """``out[n, r, q, ch]`` = mean of the window."""
    m, h, w, c = x.shape
    scale = 1.0 / (size * size)
    for nr in prange(m * ho):
        n = nr // ho
        r = nr - n * ho
        for q in range(wo):
            y0 = r * stride
            x0 = q * stride
            for ch in range(c):
                out[n, r, q, ch] = 0.0
            for i in range(size):
                for j in range(size):
                    for ch in range(c):
                        out[n, r, q, ch] += x[n, y0 + i, x0 + j, ch]
            for ch in range(c):
                out[n, r, q, ch] *= scale


@njit(cache=True, parallel=True)
def _avg_pool_backward(dout, size, stride, dx):
    """Overwrite ``dx`` with ``dout / size²`` spread over every window (overlaps add)."""
    m, ho, wo, c = dout.shape
    h = dx.shape[1]
    w = dx.shape[2]
    scale = 1.0 / (size * size)
    for n in prange(m):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    dx[n, y, xx, ch] = 0.0
        for r in range(ho):
            for q in range(wo):
                for i in range(size):
                    for j in range(size):
                        for ch in range(c):
                            dx[n, r * stride + i, q * stride + j, ch] += \
                                dout[n, r, q, ch] * scale


def precompile() -> None:
    """Compile (or load from cache) every kernel for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.zeros((1, 4, 4, 2), dtype=dtype)
        out = np.empty((1, 2, 2, 2), dtype=dtype)
        for arg_dtype in (np.uint8, np.int64):  # argmax_dtype(size) for any size
            arg = np.empty((1, 2, 2, 2), dtype=arg_dtype)
            _max_pool_forward(x, 2, 2, 2, 2, out, arg)
            _max_pool_backward(out, arg, 2, 2, x)
        _avg_pool_forward(x, 2, 2, 2, 2, out)
        _avg_pool_backward(out, 2, 2, x)
