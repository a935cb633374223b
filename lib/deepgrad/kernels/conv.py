"""Numba kernels for convolution in the course's layout: im2col and col2im.

Volumes are ``(m, h, w, c)`` (examples, rows, columns, channels), filters
``(K, f, f, c)``. The public, validated functions are in :mod:`deepgrad.layers`; the
kernels here do **no** checking of their own (Numba does no bounds checking) and must
only be called with the shapes the wrappers have checked.

How the convolution is made fast (the "fast_ops" notes)
-------------------------------------------------------
A convolution is one matrix product once the input is unrolled (im2col), and a matrix
product is the one thing a CPU library does close to its peak. So:

- **forward**: ``cols = im2col(x)`` with shape ``(m*ho*wo, f*f*c)``, rows in
  (example, row, column) order and columns in (i, j, channel) order -- exactly the
  order of ``w.reshape(K, -1)`` -- then ``out = cols @ w2d.T + b``. Because the layout
  is channels-last, the product's ``(m*ho*wo, K)`` result *is* ``out`` reshaped to
  ``(m, ho, wo, K)``: no transpose, no copy.
- **backward**: ``db = dout.sum((0, 1, 2))``, ``dw = dout2d.T @ cols`` (the cols are kept
  in the cache from the forward pass, so they are not rebuilt) and
  ``dx = col2im(dout2d @ w2d)``, col2im being the adjoint of im2col: it adds every entry
  of a column row back onto the input cell it was copied from (overlapping windows
  sum).
- im2col and col2im are the Numba kernels below. They are memory-bound copies, so
  what matters is touching memory in order: with channels last, the ``c`` values of one
  input pixel are contiguous in ``x`` and land contiguously in a row of ``cols``. Both
  are ``parallel=True``: im2col splits the ``m * ho`` output rows over the threads (each
  writes its own rows of ``cols``, no races); col2im splits the *examples* (each thread
  accumulates into its own ``dx[n]``, so overlapping windows never race).
- Padding is never materialised: a window cell that falls in the padding is written as
  0 by im2col and skipped by col2im, which also keeps every index in bounds.
- The matrix products are numpy's (``@``, OpenBLAS), called from the wrappers in float32
  or float64 as given.

All kernels are ``@njit(cache=True)`` and plain loops over scalars, so under
``NUMBA_DISABLE_JIT=1`` (or through ``.py_func``) the same code runs as ordinary
Python (``prange`` is then ``range``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["precompile"]


@njit(cache=True, parallel=True)
def _im2col(x, f, stride, pad, ho, wo, cols):
    """Fill ``cols`` (m*ho*wo, f*f*c) with the unrolled windows of ``x`` (m, h, w, c).

    Row ``(n*ho + r)*wo + q`` holds the window at output position (r, q) of example n,
    column ``(i*f + j)*c + ch`` the input value ``x[n, r*stride + i - pad,
    q*stride + j - pad, ch]`` (0 in the padding).
    """
    m, h, w, c = x.shape
    for nr in prange(m * ho):
        n = nr // ho
        r = nr - n * ho
        for q in range(wo):
            row = nr * wo + q
            for i in range(f):
                y = r * stride + i - pad
                for j in range(f):
                    xx = q * stride + j - pad
                    base = (i * f + j) * c
                    if y >= 0 and y < h and xx >= 0 and xx < w:
                        for ch in range(c):
                            cols[row, base + ch] = x[n, y, xx, ch]
                    else:
                        for ch in range(c):
                            cols[row, base + ch] = 0.0


@njit(cache=True, parallel=True)
def _col2im(cols, f, stride, pad, ho, wo, dx):
    """Overwrite ``dx`` (m, h, w, c) with the adjoint of :func:`_im2col` applied to ``cols``."""
    m, h, w, c = dx.shape
    for n in prange(m):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    dx[n, y, xx, ch] = 0.0
        for r in range(ho):
            for q in range(wo):
                row = (n * ho + r) * wo + q
                for i in range(f):
                    y = r * stride + i - pad
                    if y < 0 or y >= h:
                        continue
                    for j in range(f):
                        xx = q * stride + j - pad
                        if xx < 0 or xx >= w:
                            continue
                        base = (i * f + j) * c
                        for ch in range(c):
                            dx[n, y, xx, ch] += cols[row, base + ch]


# Reassociation and FMA contraction let LLVM vectorize the sums over filters; no
# "nnan"/"ninf" (a NaN in the data must stay a NaN, not become undefined behaviour).
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True)
def _patches_t(x, n, f, stride, pad, ho, wo, pt):
    """Fill ``pt`` (f*f*c, ho*wo) with example n's windows, transposed (im2col of one
    example, one *column* per output position); 0 in the padding."""
    h = x.shape[1]
    w = x.shape[2]
    c = x.shape[3]
    for i in range(f):
        for j in range(f):
            for ch in range(c):
                kk = (i * f + j) * c + ch
                for r in range(ho):
                    y = r * stride + i - pad
                    for q in range(wo):
                        xx = q * stride + j - pad
                        if y >= 0 and y < h and xx >= 0 and xx < w:
                            pt[kk, r * wo + q] = x[n, y, xx, ch]
                        else:
                            pt[kk, r * wo + q] = 0.0


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_forward(x, w2, b, f, stride, pad, ho, wo, out):
    """``out`` (m, ho, wo, K) from ``x`` (m, h, w, c) and ``w2 = w.reshape(K, f*f*c)``.

    One example per loop iteration (``prange``): its transposed patches ``pt``
    (F, P) with F = f*f*c, P = ho*wo, then ``ot = w2 @ pt`` (K, P) as a loop whose
    innermost run is over the P output positions (long, contiguous: vectorized), then
    ``ot`` transposed into ``out[n]`` with the bias.
    """
    m = x.shape[0]
    K, F = w2.shape
    P = ho * wo
    for n in prange(m):
        pt = np.empty((F, P), dtype=x.dtype)
        _patches_t(x, n, f, stride, pad, ho, wo, pt)
        ot = np.empty((K, P), dtype=x.dtype)
        for k in range(K):
            for p in range(P):
                ot[k, p] = b[k]
            for kk in range(F):
                wv = w2[k, kk]
                for p in range(P):
                    ot[k, p] += wv * pt[kk, p]
        for r in range(ho):
            for q in range(wo):
                for k in range(K):
                    out[n, r, q, k] = ot[k, r * wo + q]


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_backward(x, w2, dout, f, stride, pad, dx, dw_parts):
    """dx (m, h, w, c) and the filter gradient, per example as two long-loop products.

    The examples are split into ``dw_parts.shape[0]`` chunks, one per thread. For each
    example: ``pt`` = its transposed patches (F, P), ``dt`` = its upstream gradient
    transposed (K, P); ``dw_parts[t] += dt @ pt.T`` (dot products over the P output
    positions) and ``dpt = w2.T @ dt`` (F, P), which is then added back onto ``dx[n]``
    (col2im). Chunk t writes only ``dw_parts[t]`` and its own examples' ``dx[n]``; the
    caller sums the parts. No two threads ever write the same memory.
    """
    m, h, w, c = x.shape
    ho = dout.shape[1]
    wo = dout.shape[2]
    K, F = w2.shape
    P = ho * wo
    nparts = dw_parts.shape[0]
    zero = np.zeros(1, dtype=x.dtype)[0]
    for t in prange(nparts):
        dw2 = dw_parts[t]
        for k in range(K):
            for kk in range(F):
                dw2[k, kk] = 0.0
        pt = np.empty((F, P), dtype=x.dtype)
        dt = np.empty((K, P), dtype=x.dtype)
        dpt = np.empty((F, P), dtype=x.dtype)
        for n in range(t * m // nparts, (t + 1) * m // nparts):
            _patches_t(x, n, f, stride, pad, ho, wo, pt)
            for r in range(ho):
                for q in range(wo):
                    for k in range(K):
                        dt[k, r * wo + q] = dout[n, r, q, k]
            for k in range(K):
                for kk in range(F):
                    acc = zero
                    for p in range(P):
                        acc += dt[k, p] * pt[kk, p]
                    dw2[k, kk] += acc
            for kk in range(F):
                for p in range(P):
                    dpt[kk, p] = 0.0
                for k in range(K):
                    wv = w2[k, kk]
                    for p in range(P):
                        dpt[kk, p] += wv * dt[k, p]
            for y in range(h):
                for xx in range(w):
                    for ch in range(c):
                        dx[n, y, xx, ch] = 0.0
            for i in range(f):
                for j in range(f):
                    for ch in range(c):
                        kk = (i * f + j) * c + ch
                        for r in range(ho):
                            y = r * stride + i - pad
                            if y < 0 or y >= h:
                                continue
                            for q in range(wo):
                                xx = q * stride + j - pad
                                if xx >= 0 and xx < w:
                                    dx[n, y, xx, ch] += dpt[kk, r * wo + q]


def precompile() -> None:
    """Compile (or load from cache) every kernel for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.zeros((1, 3, 3, 2), dtype=dtype)
        cols = np.empty((9, 18), dtype=dtype)
        _im2col(x, 3, 1, 1, 3, 3, cols)
        _col2im(cols, 3, 1, 1, 3, 3, x)
        w2 = np.zeros((4, 18), dtype=dtype)
        out = np.empty((1, 3, 3, 4), dtype=dtype)
        _conv_forward(x, w2, np.zeros(4, dtype=dtype), 3, 1, 1, 3, 3, out)
        _conv_backward(x, w2, out, 3, 1, 1, np.empty_like(x), np.empty((1, 4, 18), dtype))
