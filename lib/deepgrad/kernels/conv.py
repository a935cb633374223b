"""Numba kernels for convolution in the course's layout, and im2col / col2im.

Layout: volumes ``(m, h, w, c)``, filters ``(K, f, f, c)`` read as ``w2 = w.reshape(K, F)``
(tap ``kk = (i*f + j)*c + ch``, F = f*f*c), outputs ``(m, ho, wo, K)``; one float dtype.
:func:`conv_forward` / :func:`conv_backward` pick the kernel for the shapes:

- K a multiple of 16: the filters are the 16 vector lanes and a register tile holds Q
  output positions (``lane_tiles.forward_q*``, any stride) or Q taps of the filter
  gradient (``lane_tiles.dw_q*``, stride 1), Q = :func:`tile_width` for the CPU and
  dtype; dx for c a multiple of 16 with the channels as lanes (``lane_tiles.dx_q*``),
  else by the shifts below (:func:`_dx_by_shifts`);
- otherwise stride 1: each example is copied once, zero-padded, into a flat vector, and
  every tap is a shifted slice of it (:func:`_conv_forward_s1`, :func:`_conv_backward_s1`,
  :func:`_dx_shifts`);
- any other stride > 1 (so also the backward of K a multiple of 16): per example,
  transposed patches and long-loop products (:func:`_conv_forward`, :func:`_conv_backward`).

:func:`_im2col` / :func:`_col2im` back ``layers.im2col`` / ``layers.col2im``. Threads
(``prange``) split examples or output rows; each thread writes only its own examples and
its own partial filter gradient (summed by the dispatcher). All arithmetic is in Numba
(no BLAS: one thread pool); ``fastmath`` only reassociates and contracts (NaN stays NaN).
Invariants: ``@njit(cache=True)``, plain loops, so ``NUMBA_DISABLE_JIT=1`` runs the same
code as Python; no bounds checks inside, so kernels are reached only through the
dispatchers from :mod:`deepgrad.layers`, which validates every argument first; no view of
a local array inside a lanes kernel's ``prange`` body (it costs the register tiling).
What was tried, and what it measured: docs/kernels.md.
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from numba import njit, prange

from deepgrad.kernels.lane_tiles import FASTMATH, LANES, MIN_TILE, TILES
from deepgrad.kernels.threads import run

__all__ = ["conv_forward", "conv_backward", "bias_grad", "precompile"]


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
_FASTMATH = FASTMATH
# Tile sizes (compile-time constants: Numba freezes module globals into the kernels).
_KL = LANES  # filters (or channels) per vector of the lanes kernels (lane_tiles.py)
_TB = 4096  # values of the upstream gradient per chunk of the dx sweeps (16 KB float32)


@njit(cache=True)
def _valid_range(j, stride, pad, size, n_out):
    """Output positions q in [lo, hi) whose input index q*stride + j - pad is in [0, size)."""
    lo = max(0, (pad - j + stride - 1) // stride)
    hi = min(n_out, (size - 1 + pad - j) // stride + 1)
    return lo, max(lo, hi)


@njit(cache=True)
def _patches_t(x, n, f, stride, pad, ho, wo, pt):
    """Fill ``pt`` (f*f*c, ho*wo) with example n's windows, transposed (im2col of one
    example, one *column* per output position); 0 in the padding.

    The in-bounds part of every row is computed once (:func:`_valid_range`), so the
    copy loops carry no bounds tests (with c = 1 and stride 1 they are plain copies).
    """
    h = x.shape[1]
    w = x.shape[2]
    c = x.shape[3]
    for i in range(f):
        rlo, rhi = _valid_range(i, stride, pad, h, ho)
        for j in range(f):
            qlo, qhi = _valid_range(j, stride, pad, w, wo)
            for ch in range(c):
                kk = (i * f + j) * c + ch
                for r in range(ho):
                    base = r * wo
                    if r < rlo or r >= rhi:
                        for q in range(wo):
                            pt[kk, base + q] = 0.0
                        continue
                    y = r * stride + i - pad
                    for q in range(qlo):
                        pt[kk, base + q] = 0.0
                    for q in range(qlo, qhi):
                        pt[kk, base + q] = x[n, y, q * stride + j - pad, ch]
                    for q in range(qhi, wo):
                        pt[kk, base + q] = 0.0


@njit(cache=True)
def _add_patches_t(dpt, n, f, stride, pad, ho, wo, dx):
    """Overwrite ``dx[n]`` with the adjoint of :func:`_patches_t` applied to ``dpt``."""
    h = dx.shape[1]
    w = dx.shape[2]
    c = dx.shape[3]
    for y in range(h):
        for xx in range(w):
            for ch in range(c):
                dx[n, y, xx, ch] = 0.0
    for i in range(f):
        rlo, rhi = _valid_range(i, stride, pad, h, ho)
        for j in range(f):
            qlo, qhi = _valid_range(j, stride, pad, w, wo)
            for ch in range(c):
                kk = (i * f + j) * c + ch
                for r in range(rlo, rhi):
                    y = r * stride + i - pad
                    base = r * wo
                    for q in range(qlo, qhi):
                        dx[n, y, q * stride + j - pad, ch] += dpt[kk, base + q]


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_forward(x, w2, b, f, stride, pad, ho, wo, out):
    """``out`` (m, ho, wo, K) from ``x`` (m, h, w, c) and ``w2 = w.reshape(K, f*f*c)``
    (stride > 1 with K not a multiple of 16; see :func:`conv_forward`).

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
        F4 = F - F % 4
        for k in range(K):
            for p in range(P):
                ot[k, p] = b[k]
            # Four rows of pt per sweep: one load and store of ot[k, p] per 4 FMAs.
            for kk in range(0, F4, 4):
                w0 = w2[k, kk]
                w1 = w2[k, kk + 1]
                w2_ = w2[k, kk + 2]
                w3 = w2[k, kk + 3]
                for p in range(P):
                    ot[k, p] += (w0 * pt[kk, p] + w1 * pt[kk + 1, p]
                                 + w2_ * pt[kk + 2, p] + w3 * pt[kk + 3, p])
            for kk in range(F4, F):
                wv = w2[k, kk]
                for p in range(P):
                    ot[k, p] += wv * pt[kk, p]
        for r in range(ho):
            for q in range(wo):
                for k in range(K):
                    out[n, r, q, k] = ot[k, r * wo + q]


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_backward(x, w2, dout, f, stride, pad, dx, dw_parts, need_dx):
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
            F4 = F - F % 4
            for k in range(K):
                # Four dot products per sweep: dt[k, p] is loaded once for 4 FMAs.
                for kk in range(0, F4, 4):
                    a0 = zero
                    a1 = zero
                    a2 = zero
                    a3 = zero
                    for p in range(P):
                        g = dt[k, p]
                        a0 += g * pt[kk, p]
                        a1 += g * pt[kk + 1, p]
                        a2 += g * pt[kk + 2, p]
                        a3 += g * pt[kk + 3, p]
                    dw2[k, kk] += a0
                    dw2[k, kk + 1] += a1
                    dw2[k, kk + 2] += a2
                    dw2[k, kk + 3] += a3
                for kk in range(F4, F):
                    acc = zero
                    for p in range(P):
                        acc += dt[k, p] * pt[kk, p]
                    dw2[k, kk] += acc
            if not need_dx:
                continue
            K4 = K - K % 4
            for kk in range(F):
                for p in range(P):
                    dpt[kk, p] = 0.0
                for k in range(0, K4, 4):
                    w0 = w2[k, kk]
                    w1 = w2[k + 1, kk]
                    w2_ = w2[k + 2, kk]
                    w3 = w2[k + 3, kk]
                    for p in range(P):
                        dpt[kk, p] += (w0 * dt[k, p] + w1 * dt[k + 1, p]
                                       + w2_ * dt[k + 2, p] + w3 * dt[k + 3, p])
                for k in range(K4, K):
                    wv = w2[k, kk]
                    for p in range(P):
                        dpt[kk, p] += wv * dt[k, p]
            _add_patches_t(dpt, n, f, stride, pad, ho, wo, dx)


# ---------------------------------------------------------------- stride 1: flat shifts
@njit(cache=True)
def _flat_offsets(f, c, L, Wp):
    """Offset of filter tap kk = (i*f + j)*c + ch in the flat padded example: ch*L + i*Wp + j."""
    off = np.empty(f * f * c, dtype=np.int64)
    for i in range(f):
        for j in range(f):
            for ch in range(c):
                off[(i * f + j) * c + ch] = ch * L + i * Wp + j
    return off


@njit(cache=True)
def _flatten_padded(x, n, pad, Wp, L, xf):
    """Write example n into ``xf`` (c*L,) channel-major, zero-padded rows of width Wp.
    Only the interior is written: the padding and the slack keep the zeros they were
    allocated with."""
    h = x.shape[1]
    w = x.shape[2]
    c = x.shape[3]
    for y in range(h):
        for xx in range(w):
            base = (y + pad) * Wp + xx + pad
            for ch in range(c):
                xf[ch * L + base] = x[n, y, xx, ch]


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_forward_s1(x, w2, b, f, pad, ho, wo, out):
    """Stride-1 forward without im2col: every filter tap is a *shift* of the flat input.
    (Used when K is not a multiple of 16, e.g. LeNet's conv1; see :func:`conv_forward`.)

    Example n is copied once, channel-major and zero-padded, into a flat vector ``xf``
    whose rows have the padded width Wp. Output position (r, q) is then flat index
    ``t = r*Wp + q`` and tap kk = (i, j, ch) reads ``xf[off[kk] + t]`` with
    ``off[kk] = ch*L + i*Wp + j``, so ``ot[k, t] = b[k] + sum_kk w2[k, kk] *
    xf[off[kk] + t]`` is a sum of shifted vectors: long contiguous loops over t
    (ho*Wp of them; the Wp - wo columns past the right edge are computed and dropped),
    eight taps per sweep. ``xf`` has f slack zeros so the largest index,
    (c-1)*L + (ho+f-1)*Wp + f - 2, stays inside its c*L entries.
    """
    m, h, w, c = x.shape
    K, F = w2.shape
    Wp = w + 2 * pad
    L = (h + 2 * pad) * Wp + f
    T = ho * Wp
    off = _flat_offsets(f, c, L, Wp)
    F8 = F - F % 8
    for n in prange(m):
        xf = np.zeros(c * L, dtype=x.dtype)
        _flatten_padded(x, n, pad, Wp, L, xf)
        ot = np.empty((K, T), dtype=x.dtype)
        for k in range(K):
            for t in range(T):
                ot[k, t] = b[k]
            for kk in range(0, F8, 8):
                # Eight taps per sweep: one load and store of row[t] per 8 FMAs.
                v0 = xf[off[kk]:off[kk] + T]  # views: plain range indices vectorize
                v1 = xf[off[kk + 1]:off[kk + 1] + T]
                v2 = xf[off[kk + 2]:off[kk + 2] + T]
                v3 = xf[off[kk + 3]:off[kk + 3] + T]
                v4 = xf[off[kk + 4]:off[kk + 4] + T]
                v5 = xf[off[kk + 5]:off[kk + 5] + T]
                v6 = xf[off[kk + 6]:off[kk + 6] + T]
                v7 = xf[off[kk + 7]:off[kk + 7] + T]
                w0 = w2[k, kk]
                w1 = w2[k, kk + 1]
                w2_ = w2[k, kk + 2]
                w3 = w2[k, kk + 3]
                w4 = w2[k, kk + 4]
                w5 = w2[k, kk + 5]
                w6 = w2[k, kk + 6]
                w7 = w2[k, kk + 7]
                row = ot[k]
                for t in range(T):
                    row[t] += ((w0 * v0[t] + w1 * v1[t]) + (w2_ * v2[t] + w3 * v3[t])) + (
                        (w4 * v4[t] + w5 * v5[t]) + (w6 * v6[t] + w7 * v7[t]))
            for kk in range(F8, F):
                o0 = off[kk]
                w0 = w2[k, kk]
                v0 = xf[o0:o0 + T]
                row = ot[k]
                for t in range(T):
                    row[t] += w0 * v0[t]
        for r in range(ho):
            for q in range(wo):
                for k in range(K):
                    out[n, r, q, k] = ot[k, r * Wp + q]



@njit(cache=True)
def _fill_dtw(dout, n, Wp, dtw):
    """``dtw[k, r*Wp + q] = dout[n, r, q, k]``: example n's upstream gradient, filter-major,
    in the flat layout of the padded input (the Wp - wo dropped columns stay 0)."""
    ho = dout.shape[1]
    wo = dout.shape[2]
    K = dout.shape[3]
    for r in range(ho):
        for q in range(wo):
            for k in range(K):
                dtw[k, r * Wp + q] = dout[n, r, q, k]


@njit(cache=True, fastmath=_FASTMATH)
def _dx_shifts(w2, dtw, off, n, pad, L, dxf, dx):
    """``dx[n]`` for stride 1 by flat shifts: ``dxf[off[kk] + t] += sum_k w2[k, kk] *
    dtw[k, t]`` (the adjoint of the forward's shifted sum), then the interior of ``dxf``
    (c channel blocks of L) copied out.

    ``dtw`` (K, T16) has zero columns from T = ho*Wp up to a multiple of 16, and ``dxf``
    T16 - T slack entries at the end: the sweeps then need no scalar remainder loop
    (conv2: T = 140, whose last 12 positions took as long as the first 128), and the
    extra columns only ever add ``w * 0`` -- as do the Wp - wo dropped columns.

    Sixteen filters per sweep over t (then four, then one): one load and store of
    ``dxf`` per sixteen multiply-adds. When ``dtw`` is larger than L1, the sweeps run
    over chunks of ``tb = _TB // K`` positions, all taps for one chunk before the next,
    so the chunk (K x tb) stays in L1 instead of all of ``dtw`` streaming from L2 once
    per tap (-25 % on the 32x32x3 layer; chunking when it fits costs 10 %).
    ``dtw`` is indexed as one 2-D array (row views would need one run-time overlap
    check each against ``d0``, too many for LLVM to vectorize), with unsigned column
    indices (no wrap-around select).
    """
    h = dx.shape[1]
    w = dx.shape[2]
    c = dx.shape[3]
    K, F = w2.shape
    T = dtw.shape[1]
    Wp = w + 2 * pad
    K16 = K - K % 16
    K4 = K - K % 4
    for e in range(c * L):
        dxf[e] = 0.0
    tb = T if K * T <= 2 * _TB else max(64, _TB // K)
    for t0 in range(0, T, tb):
        te = min(T, t0 + tb)
        u0 = np.uint64(t0)
        tl = te - t0
        for kk in range(F):
            o0 = off[kk] + t0
            d0 = dxf[o0:o0 + tl]
            for k in range(0, K16, 16):
                w0 = w2[k, kk]
                w1 = w2[k + 1, kk]
                w2_ = w2[k + 2, kk]
                w3 = w2[k + 3, kk]
                w4 = w2[k + 4, kk]
                w5 = w2[k + 5, kk]
                w6 = w2[k + 6, kk]
                w7 = w2[k + 7, kk]
                w8 = w2[k + 8, kk]
                w9 = w2[k + 9, kk]
                w10 = w2[k + 10, kk]
                w11 = w2[k + 11, kk]
                w12 = w2[k + 12, kk]
                w13 = w2[k + 13, kk]
                w14 = w2[k + 14, kk]
                w15 = w2[k + 15, kk]
                for t in range(tl):
                    u = u0 + np.uint64(t)
                    d0[t] += (((w0 * dtw[k, u] + w1 * dtw[k + 1, u])
                               + (w2_ * dtw[k + 2, u] + w3 * dtw[k + 3, u]))
                              + ((w4 * dtw[k + 4, u] + w5 * dtw[k + 5, u])
                                 + (w6 * dtw[k + 6, u] + w7 * dtw[k + 7, u]))) + (
                        ((w8 * dtw[k + 8, u] + w9 * dtw[k + 9, u])
                         + (w10 * dtw[k + 10, u] + w11 * dtw[k + 11, u]))
                        + ((w12 * dtw[k + 12, u] + w13 * dtw[k + 13, u])
                           + (w14 * dtw[k + 14, u] + w15 * dtw[k + 15, u])))
            for k in range(K16, K4, 4):
                w0 = w2[k, kk]
                w1 = w2[k + 1, kk]
                w2_ = w2[k + 2, kk]
                w3 = w2[k + 3, kk]
                for t in range(tl):
                    u = u0 + np.uint64(t)
                    d0[t] += ((w0 * dtw[k, u] + w1 * dtw[k + 1, u])
                              + (w2_ * dtw[k + 2, u] + w3 * dtw[k + 3, u]))
            for k in range(K4, K):
                w0 = w2[k, kk]
                for t in range(tl):
                    u = u0 + np.uint64(t)
                    d0[t] += w0 * dtw[k, u]
    for y in range(h):
        for xx in range(w):
            base = (y + pad) * Wp + xx + pad
            for ch in range(c):
                dx[n, y, xx, ch] = dxf[ch * L + base]


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _conv_backward_s1(x, w2, dout, f, pad, dx, dw_parts, need_dx):
    """Stride-1 backward with the flat shifts of :func:`_conv_forward_s1`.

    Per example: ``dtw[k, r*Wp + q] = dout[n, r, q, k]`` (0 in the dropped columns),
    ``dw_parts[t][k, kk] += sum_t dtw[k, t] * xf[off[kk] + t]`` (dot products, eight
    taps per sweep) and dx[n] by :func:`_dx_shifts`. Examples are split into
    ``dw_parts.shape[0]`` chunks, one per thread; each writes only its own part and its
    own examples.
    """
    m, h, w, c = x.shape
    ho = dout.shape[1]
    wo = dout.shape[2]
    K, F = w2.shape
    Wp = w + 2 * pad
    L = (h + 2 * pad) * Wp + f
    T = ho * Wp
    T16 = (T + 15) // 16 * 16  # dx sweeps padded: no scalar remainder loop
    off = _flat_offsets(f, c, L, Wp)
    F8 = F - F % 8
    nparts = dw_parts.shape[0]
    zero = np.zeros(1, dtype=x.dtype)[0]
    for part in prange(nparts):
        dw2 = dw_parts[part]
        for k in range(K):
            for kk in range(F):
                dw2[k, kk] = 0.0
        xf = np.zeros(c * L, dtype=x.dtype)
        dxf = np.empty(c * L + T16 - T, dtype=x.dtype)
        dtw = np.zeros((K, T16), dtype=x.dtype)
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            _flatten_padded(x, n, pad, Wp, L, xf)
            _fill_dtw(dout, n, Wp, dtw)
            for k in range(K):
                g_row = dtw[k]
                for kk in range(0, F8, 8):
                    # Eight dot products per sweep: g_row[t] is loaded once for 8 FMAs.
                    v0 = xf[off[kk]:off[kk] + T]
                    v1 = xf[off[kk + 1]:off[kk + 1] + T]
                    v2 = xf[off[kk + 2]:off[kk + 2] + T]
                    v3 = xf[off[kk + 3]:off[kk + 3] + T]
                    v4 = xf[off[kk + 4]:off[kk + 4] + T]
                    v5 = xf[off[kk + 5]:off[kk + 5] + T]
                    v6 = xf[off[kk + 6]:off[kk + 6] + T]
                    v7 = xf[off[kk + 7]:off[kk + 7] + T]
                    a0 = zero
                    a1 = zero
                    a2 = zero
                    a3 = zero
                    a4 = zero
                    a5 = zero
                    a6 = zero
                    a7 = zero
                    for t in range(T):
                        g = g_row[t]
                        a0 += g * v0[t]
                        a1 += g * v1[t]
                        a2 += g * v2[t]
                        a3 += g * v3[t]
                        a4 += g * v4[t]
                        a5 += g * v5[t]
                        a6 += g * v6[t]
                        a7 += g * v7[t]
                    dw2[k, kk] += a0
                    dw2[k, kk + 1] += a1
                    dw2[k, kk + 2] += a2
                    dw2[k, kk + 3] += a3
                    dw2[k, kk + 4] += a4
                    dw2[k, kk + 5] += a5
                    dw2[k, kk + 6] += a6
                    dw2[k, kk + 7] += a7
                for kk in range(F8, F):
                    o0 = off[kk]
                    a0 = zero
                    v0 = xf[o0:o0 + T]
                    g_row = dtw[k]
                    for t in range(T):
                        a0 += g_row[t] * v0[t]
                    dw2[k, kk] += a0
            if need_dx:
                _dx_shifts(w2, dtw, off, n, pad, L, dxf, dx)


# ------------------------------------------------- K a multiple of 16: filters as lanes


@njit(cache=True)
def _lane_tables(f, c, stride, Wp, ho, wo, q):
    """Offsets into one zero-padded example stored flat, (Hp, Wp, c) row-major.

    ``dd[kk]`` (tap kk = (i*f + j)*c + ch) is ``(i*Wp + j)*c + ch``; ``sp[p]`` (output
    position p = r*wo + q) is ``(r*stride*Wp + q*stride)*c``; position p reads tap kk at
    ``sp[p] + dd[kk]``. Unsigned, so Numba emits no negative-index wrap-around on the
    sums (that select would cost two instructions per load in the inner loops). ``dd``
    is padded with zeros (a valid offset) to F8 taps, what the dw kernel's tiles cover:
    a multiple of q, or of q plus a last tile of q/2 when that covers the rest and is at
    least ``MIN_TILE`` wide (F = 25: 3 tiles of 8 and one of 4, not 4 of 8).
    """
    F = f * f * c
    rest = F % q
    half = q // 2
    F8 = F - rest + (half if 0 < rest <= half and half >= MIN_TILE else q if rest else 0)
    dd = np.zeros(F8, dtype=np.uint64)
    for i in range(f):
        for jc in range(f * c):
            dd[i * f * c + jc] = i * Wp * c + jc
    sp = np.empty(ho * wo, dtype=np.uint64)
    for r in range(ho):
        for q in range(wo):
            sp[r * wo + q] = (r * stride * Wp + q * stride) * c
    return dd, sp


@njit(cache=True, parallel=True, fastmath=_FASTMATH)
def _dx_by_shifts(w2, dout, f, pad, nparts, dx):
    """Stride-1 dx by the flat shifts (:func:`_dx_shifts`), examples split over
    ``nparts`` threads: the dx of the lanes path when c is not a multiple of 16."""
    m, h, w, c = dx.shape
    _, ho, wo, K = dout.shape
    Wp = w + 2 * pad
    L = (h + 2 * pad) * Wp + f
    T = ho * Wp
    T16 = (T + 15) // 16 * 16  # dx sweeps padded: no scalar remainder loop
    off = _flat_offsets(f, c, L, Wp)
    for part in prange(nparts):
        dtw = np.zeros((K, T16), dtype=dx.dtype)
        dxf = np.empty(c * L + T16 - T, dtype=dx.dtype)
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            _fill_dtw(dout, n, Wp, dtw)
            _dx_shifts(w2, dtw, off, n, pad, L, dxf, dx)


@functools.lru_cache(maxsize=None)
def vector_registers() -> tuple[int, int]:
    """``(bytes, count)`` of the vector registers of the CPU Numba compiles for:
    ``NUMBA_CPU_FEATURES`` when set, else the host's features as LLVM sees them.
    AVX-512: 32 of 64 bytes; AVX/AVX2: 16 of 32; NEON: 32 of 16; else (SSE) 16 of 16."""
    from numba.core import config
    features = config.CPU_FEATURES
    if features is None:
        import llvmlite.binding as llvm
        features = llvm.get_host_cpu_features().flatten()
    enabled = set(features.split(","))
    if "+avx512f" in enabled:
        return 64, 32
    if "+avx" in enabled:
        return 32, 16
    if "+neon" in enabled:
        return 16, 32
    return 16, 16


def tile_width(dtype) -> int:
    """Output positions (forward), taps (dw) or examples (dx) per register tile of the
    lanes kernels, for the CPU Numba compiles for and ``dtype``.

    Half the vector registers hold the tile's accumulators, a row of 16 lanes each, and
    the width is kept within ``MIN_TILE`` (4) .. 8: float32 tiles are 8 wide with
    AVX-512 and 4 with AVX2, float64 ones 8 and 4. Wider and narrower tiles were
    measured slower (LLVM keeps neither 16 nor 2 in vector registers; docs/kernels.md). Numba keys its cache
    by CPU, so a cache built on one CPU and used on another holds each one's own width.
    """
    vector_bytes, registers = vector_registers()
    row = max(1, _KL * np.dtype(dtype).itemsize // vector_bytes)
    return max(MIN_TILE, min(8, registers // 2 // row))


def _lane_kernels(dtype):
    """``(q, forward, dw, dx)``: the lanes kernels of the tile width for ``dtype``
    (:func:`tile_width`; lane_tiles.py)."""
    q = tile_width(dtype)
    return (q, *TILES[q])


CACHE_LINE = 64  # bytes


def _scratch(dtype, parts, *row_items, zero=False):
    """Per-thread scratch of the lanes kernels: one (parts, n) array for each n in
    ``row_items`` (the first axis is the thread's part), all cut from one buffer that
    starts on a cache line, with each part's row padded to whole lines.

    So no two threads' parts share a cache line, and a row of 16 lanes is one aligned
    vector, whatever address NumPy would have returned (16- or 32-byte aligned). With
    ``np.empty``'s address the accumulators of the two threads shared a line whenever it
    was not 64-byte aligned: assignment 3's conv1 forward took 0.64 ms on 2 threads
    against 0.30 ms aligned (1 thread: 0.60 against 0.47; docs/kernels.md). One buffer
    for all: finding an address costs a microsecond."""
    dtype = np.dtype(dtype)
    line = CACHE_LINE // dtype.itemsize
    widths = [-(-n // line) * line for n in row_items]
    total = parts * sum(widths)
    buf = (np.zeros if zero else np.empty)(total * dtype.itemsize + CACHE_LINE, dtype=np.uint8)
    start = -buf.ctypes.data % CACHE_LINE
    flat = buf[start:start + total * dtype.itemsize].view(dtype)
    arrays, offset = [], 0
    for width in widths:
        arrays.append(flat[offset:offset + parts * width].reshape(parts, width))
        offset += parts * width
    return arrays


def _dx_exact(w, dout, pad, h, wd):
    """dx of a stride-1 convolution with c a multiple of 16 (``lane_tiles.dx_q*``)."""
    K, f, _, c = w.shape
    m, ho, wo, _ = dout.shape
    CB = c // _KL
    wF = np.ascontiguousarray(
        w[:, ::-1, ::-1, :].reshape(K, f, f, CB, _KL).transpose(3, 1, 2, 0, 4)
    ).reshape(CB, f, f * K, _KL)
    dx = np.empty((m, h, wd, c), dtype=dout.dtype)
    nparts = max(1, min(m, numba.get_num_threads()))
    q, _, _, dx_lanes = _lane_kernels(dout.dtype)
    acc, = _scratch(dout.dtype, nparts, q * _KL)
    run(dx_lanes, dout.reshape(m, ho, wo * K), wF, pad, dx.reshape(m, h, wd, CB, _KL),
        acc.reshape(nparts, q, _KL))
    return dx


@njit(cache=True, parallel=True)
def _bias_grad(d, parts):
    """Column sums of ``d`` (N, K): ``parts[t, k]`` = the sum of column k over the t-th
    chunk of rows, one chunk per thread, accumulated in ``parts``' dtype (float64: the
    sum of ~50,000 float32 values keeps all their digits). The caller sums the parts.
    NumPy's ``d.sum(axis=0)`` took 1.05 ms for conv1's (50176, 16) float32 gradient, more
    than its whole filter gradient (0.34 ms)."""
    N, K = d.shape
    nparts = parts.shape[0]
    for t in prange(nparts):
        # a local sum: rows of ``parts`` share a cache line (2 threads: 0.38 ms, not 0.19)
        acc = np.zeros(K, dtype=parts.dtype)
        for i in range(t * N // nparts, (t + 1) * N // nparts):
            for k in range(K):
                acc[k] += d[i, k]
        for k in range(K):
            parts[t, k] = acc[k]


def bias_grad(dout):
    """The bias gradient of a convolution: ``dout`` (m, ho, wo, K) summed over all but
    its last axis, in ``dout``'s dtype (:func:`_bias_grad`)."""
    K = dout.shape[-1]
    d = dout.reshape(-1, K)
    parts = np.empty((max(1, min(d.shape[0], numba.get_num_threads())), K), np.float64)
    run(_bias_grad, d, parts)
    return parts.sum(axis=0).astype(dout.dtype)


# ------------------------------------------------------------------------ dispatch
def conv_forward(x, w, b, stride, pad, ho, wo):
    """The convolution output (m, ho, wo, K) through the fastest kernel for the shapes.

    Arguments as validated by :func:`deepgrad.layers.conv_forward` (C-contiguous, one
    float dtype, consistent shapes). K a multiple of 16: ``lane_tiles.forward_q*``
    (any stride); otherwise :func:`_conv_forward_s1` (stride 1) or :func:`_conv_forward`.
    """
    m, h, wd, c = x.shape
    K, f = w.shape[0], w.shape[1]
    w2 = w.reshape(K, -1)
    out = np.empty((m, ho, wo, K), dtype=x.dtype)
    if K % _KL == 0:
        KB = K // _KL
        q, forward, _, _ = _lane_kernels(x.dtype)
        dd, sp = _lane_tables(f, c, stride, wd + 2 * pad, ho, wo, q)
        wT = np.ascontiguousarray(w2.reshape(KB, _KL, -1).transpose(0, 2, 1))
        nparts = max(1, min(m, numba.get_num_threads()))
        # the padded examples (their borders stay zero) and the accumulators
        xp, acc = _scratch(x.dtype, nparts, (h + 2 * pad) * (wd + 2 * pad) * c, q * _KL,
                           zero=True)
        run(forward, x.reshape(m, h, wd * c), c, wT, b.reshape(KB, _KL), dd, sp, pad,
            out.reshape(m, ho * wo, KB, _KL), xp, acc.reshape(nparts, q, _KL))
    elif stride == 1:
        run(_conv_forward_s1, x, w2, b, f, pad, ho, wo, out)
    else:
        run(_conv_forward, x, w2, b, f, stride, pad, ho, wo, out)
    return out


def conv_backward(x, w, dout, stride, pad, need_dx=True):
    """``(dx, dw)`` of the convolution, through the fastest kernel for the shapes; dx is
    None, and not computed, when ``need_dx`` is False.

    Arguments as validated by :func:`deepgrad.layers.conv_backward`. dw (and dx, unless
    below): stride 1 and K a multiple of 16, ``lane_tiles.dw_q*`` (dx by
    :func:`_dx_by_shifts`); otherwise
    :func:`_conv_backward_s1` (stride 1) or :func:`_conv_backward`. Each thread
    accumulates its own part of the filter gradient; the parts are summed here. dx for
    stride 1 and c a multiple of 16 (pad < f): ``lane_tiles.dx_q*``.
    """
    m, h, wd, c = x.shape
    K, f = w.shape[0], w.shape[1]
    F = f * f * c
    w2 = w.reshape(K, -1)
    nparts = max(1, min(m, numba.get_num_threads()))
    dx_lanes = need_dx and stride == 1 and c % _KL == 0 and pad < f
    dw_kernel_dx = need_dx and not dx_lanes
    # a kernel told not to compute dx gets a 1-element stand-in it never touches
    dx = np.empty(x.shape if dw_kernel_dx else (1, 1, 1, 1), dtype=x.dtype)
    if stride == 1 and K % _KL == 0:
        KB = K // _KL
        ho, wo = dout.shape[1], dout.shape[2]
        q, _, dw_lanes, _ = _lane_kernels(x.dtype)
        dd, sp = _lane_tables(f, c, 1, wd + 2 * pad, ho, wo, q)
        xp, acc = _scratch(x.dtype, nparts, (h + 2 * pad) * (wd + 2 * pad) * c, q * _KL,
                           zero=True)
        dwT, = _scratch(x.dtype, nparts, KB * dd.shape[0] * _KL)  # zeroed by the kernel
        dwT_parts = dwT.reshape(nparts, KB, dd.shape[0], _KL)
        run(dw_lanes, x.reshape(m, h, wd * c), c, dout, dd, sp, pad, xp,
            acc.reshape(nparts, q, _KL), dwT_parts)
        if dw_kernel_dx:
            run(_dx_by_shifts, w2, dout, f, pad, nparts, dx)
        dw = np.ascontiguousarray(
            dwT_parts.sum(axis=0)[:, :F, :].transpose(0, 2, 1).reshape(w.shape))
    else:
        dw_parts = np.empty((nparts, K, F), dtype=x.dtype)
        if stride == 1:
            run(_conv_backward_s1, x, w2, dout, f, pad, dx, dw_parts, dw_kernel_dx)
        else:
            run(_conv_backward, x, w2, dout, f, stride, pad, dx, dw_parts, dw_kernel_dx)
        dw = dw_parts.sum(axis=0).reshape(w.shape)
    if dx_lanes:
        dx = _dx_exact(w, dout, pad, h, wd)
    return (dx if need_dx else None), dw


def precompile() -> None:
    """Compile (or load from cache) every kernel for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.zeros((1, 3, 3, 2), dtype=dtype)
        cols = np.empty((9, 18), dtype=dtype)
        _im2col(x, 3, 1, 1, 3, 3, cols)
        _col2im(cols, 3, 1, 1, 3, 3, x)
        for K in (4, _KL):  # the shift / patches kernels, then the lanes kernels
            w = np.zeros((K, 3, 3, 2), dtype=dtype)
            b = np.zeros(K, dtype=dtype)
            for stride, ho in ((1, 3), (2, 2)):
                out = conv_forward(x, w, b, stride, 1, ho, ho)
                conv_backward(x, w, out, stride, 1)
                conv_backward(x, w, out, stride, 1, need_dx=False)
                bias_grad(out)
        x16 = np.zeros((1, 3, 3, _KL), dtype=dtype)  # c a multiple of 16: dx_q*
        conv_backward(x16, np.zeros((4, 3, 3, _KL), dtype=dtype),
                      np.zeros((1, 3, 3, 4), dtype=dtype), 1, 1)
