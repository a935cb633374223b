"""The lanes kernels, one per register-tile width -- GENERATED from
:mod:`deepgrad.kernels.lane_tiles_template`; edit the template, then run
``python -m deepgrad.kernels.lane_tiles_template``.

Called only through the dispatchers of :mod:`deepgrad.kernels.conv` (which validate
nothing: :mod:`deepgrad.layers` has), with ``acc`` shaped (parts, Q, LANES).
``TILES[Q]`` is ``(forward, dw, dx)`` for tile width Q.
"""

import numpy as np
from numba import njit, prange

LANES = 16  # filters (or channels) per vector: one 512-bit register of float32
# No tile is narrower: LLVM keeps a 2-wide tile out of registers (9-13x slower per
# position than a 4-wide one, docs/kernels.md)
MIN_TILE = 4
# reassociate and contract only: no "nnan" / "ninf", so a NaN in the data stays a NaN
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True)
def pad_example(xr, n, c, pad, xp, row):
    """Write example n of ``xr``, the input (m, h, w, c) seen as rows (m, h, w*c), into
    ``xp[row]``, the flat (Hp, Wp, c) zero-padded layout. Only the interior is written:
    the border keeps its zeros. One loop per row: with a loop per channel inside, the
    copy took 5-10x longer for c = 1 and 3 (the 3x3 layer: 115 against 11 µs a batch)."""
    h = xr.shape[1]
    wc = xr.shape[2]
    for y in range(h):
        o = np.uint64((y + pad) * (wc + 2 * pad * c) + pad * c)  # unsigned: no wrap-around
        for i in range(wc):
            xp[row, o + np.uint64(i)] = xr[n, y, i]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def forward_q4(xr, c, wT, bT, dd, sp, pad, out4, xp, acc):
    """Forward for K a multiple of 16, any stride: the 16 filters of a block are the
    vector lanes, and a tile of 4 output positions is held in registers.

    ``out4[n, p, kb, l] = bT[kb, l] + sum_kk x(n, p; kk) * wT[kb, kk, l]``, with
    ``x(n, p; kk) = xp[part, sp[p] + dd[kk]]`` read from the example's zero-padded flat
    copy (``deepgrad.kernels.conv._lane_tables``; written by :func:`pad_example` from
    ``xr``, the input (m, h, w, c) seen as (m, h, w*c)). ``wT`` (KB, F, 16) is the filters
    transposed so the 16 weights of one tap are contiguous; ``out4`` is ``out``
    (m, P, K) seen as (m, P, KB, 16).

    Per tap, one vector load of ``wT[kb, kk, :]`` and 4 broadcast inputs feed 4 fused
    multiply-adds (a GEMM micro-kernel, K = lanes): no im2col, the output written in its
    final layout. The accumulators ``acc[part, a, :]`` stay in registers for the whole
    loop over taps because LLVM can prove they alias nothing else -- *which holds only
    while this prange body makes no array views of local arrays* (Numba then marks the
    parallel body's array arguments ``noalias``); one such view costs 3-4x.

    The last positions: when 1 to 2 are left after the full tiles (P = 100 with 8-wide
    tiles: 4) and a tile of 2 is at least ``MIN_TILE`` wide, that tile ends the row,
    so no position is computed twice (3.5 % less time for P = 100); otherwise the last
    full tile is shifted back to end at position P - 1 (it recomputes a few positions,
    same values), and if P < 4, positions repeat.
    """
    m = xr.shape[0]
    KB = wT.shape[0]
    F = wT.shape[1]
    P = sp.shape[0]
    nparts = xp.shape[0]
    rest = P % 4
    # the positions the full tiles cover; a tile of 2 does the rest when it fits
    PQ = P - rest if 2 >= MIN_TILE and 0 < rest <= 2 and P >= 2 else P
    for part in prange(nparts):
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for pb in range(0, PQ, 4):
                    p0 = max(0, min(pb, P - 4))
                    s0 = sp[min(p0 + 0, P - 1)]
                    s1 = sp[min(p0 + 1, P - 1)]
                    s2 = sp[min(p0 + 2, P - 1)]
                    s3 = sp[min(p0 + 3, P - 1)]
                    for a in range(4):
                        for l in range(LANES):
                            acc[part, a, l] = 0.0
                    for kk in range(F):
                        d = dd[kk]
                        x0 = xp[part, s0 + d]
                        x1 = xp[part, s1 + d]
                        x2 = xp[part, s2 + d]
                        x3 = xp[part, s3 + d]
                        for l in range(LANES):
                            wv = wT[kb, kk, l]
                            acc[part, 0, l] += x0 * wv
                            acc[part, 1, l] += x1 * wv
                            acc[part, 2, l] += x2 * wv
                            acc[part, 3, l] += x3 * wv
                    # the tile's end as the tap loop, lanes innermost: written as
                    # "for a: for l:" LLVM made it scalar adds and stores
                    q0 = min(p0 + 0, P - 1)
                    q1 = min(p0 + 1, P - 1)
                    q2 = min(p0 + 2, P - 1)
                    q3 = min(p0 + 3, P - 1)
                    for l in range(LANES):
                        bl = bT[kb, l]
                        out4[n, q0, kb, l] = acc[part, 0, l] + bl
                        out4[n, q1, kb, l] = acc[part, 1, l] + bl
                        out4[n, q2, kb, l] = acc[part, 2, l] + bl
                        out4[n, q3, kb, l] = acc[part, 3, l] + bl
                if PQ < P:
                    p0 = max(0, P - 2)  # hoisted out of the if (see DW_TILE): never < 0
                    s0 = sp[min(p0 + 0, P - 1)]
                    s1 = sp[min(p0 + 1, P - 1)]
                    for a in range(2):
                        for l in range(LANES):
                            acc[part, a, l] = 0.0
                    for kk in range(F):
                        d = dd[kk]
                        x0 = xp[part, s0 + d]
                        x1 = xp[part, s1 + d]
                        for l in range(LANES):
                            wv = wT[kb, kk, l]
                            acc[part, 0, l] += x0 * wv
                            acc[part, 1, l] += x1 * wv
                    # the tile's end as the tap loop, lanes innermost: written as
                    # "for a: for l:" LLVM made it scalar adds and stores
                    q0 = min(p0 + 0, P - 1)
                    q1 = min(p0 + 1, P - 1)
                    for l in range(LANES):
                        bl = bT[kb, l]
                        out4[n, q0, kb, l] = acc[part, 0, l] + bl
                        out4[n, q1, kb, l] = acc[part, 1, l] + bl


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dw_q4(xr, c, dout, dd, sp, pad, xp, acc, dwT_parts):
    """Stride-1 filter gradient for K a multiple of 16, filters as lanes, one chunk of
    examples per thread: ``dwT_parts[part, kb, kk, l] = sum_{n, p} x(n, p; kk) *
    dout4[n, p, kb, l]`` over the chunk, ``x(n, p; kk)`` as in :func:`forward_q4`.

    The register tile is 4 taps x 16 filters: per output position one vector load of
    the upstream gradient and 4 broadcast inputs feed 4 multiply-adds, summed over all
    P positions before the tile is added to ``dwT_parts`` (``acc`` in registers: no
    views of local arrays in this loop either). ``dd`` has zero offsets past the F real
    taps, up to F8 (``conv._lane_tables``): a multiple of 4, or of 4 plus a last tile
    of 2 when that covers the rest; the last tile runs into rows F.. of ``dwT_parts``,
    which the caller drops.
    """
    m = xr.shape[0]
    KB = dwT_parts.shape[1]
    F8 = dd.shape[0]
    P = sp.shape[0]
    nparts = xp.shape[0]
    dout4 = dout.reshape(m, P, KB, LANES)
    FQ = F8 - F8 % 4  # the taps of the full tiles; a tile of 2 does the rest
    for part in prange(nparts):
        for kb in range(KB):
            for kk in range(F8):
                for l in range(LANES):
                    dwT_parts[part, kb, kk, l] = 0.0
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for k0 in range(0, FQ, 4):
                    d0 = dd[min(k0 + 0, F8 - 1)]
                    d1 = dd[min(k0 + 1, F8 - 1)]
                    d2 = dd[min(k0 + 2, F8 - 1)]
                    d3 = dd[min(k0 + 3, F8 - 1)]
                    for j in range(4):
                        for l in range(LANES):
                            acc[part, j, l] = 0.0
                    for p in range(P):
                        s = sp[p]
                        x0 = xp[part, s + d0]
                        x1 = xp[part, s + d1]
                        x2 = xp[part, s + d2]
                        x3 = xp[part, s + d3]
                        for l in range(LANES):
                            g = dout4[n, p, kb, l]
                            acc[part, 0, l] += x0 * g
                            acc[part, 1, l] += x1 * g
                            acc[part, 2, l] += x2 * g
                            acc[part, 3, l] += x3 * g
                    for l in range(LANES):  # one vector per row (see the forward's end)
                        dwT_parts[part, kb, k0 + 0, l] += acc[part, 0, l]
                        dwT_parts[part, kb, k0 + 1, l] += acc[part, 1, l]
                        dwT_parts[part, kb, k0 + 2, l] += acc[part, 2, l]
                        dwT_parts[part, kb, k0 + 3, l] += acc[part, 3, l]
                if FQ < F8:
                    k0 = FQ
                    d0 = dd[min(k0 + 0, F8 - 1)]
                    d1 = dd[min(k0 + 1, F8 - 1)]
                    for j in range(2):
                        for l in range(LANES):
                            acc[part, j, l] = 0.0
                    for p in range(P):
                        s = sp[p]
                        x0 = xp[part, s + d0]
                        x1 = xp[part, s + d1]
                        for l in range(LANES):
                            g = dout4[n, p, kb, l]
                            acc[part, 0, l] += x0 * g
                            acc[part, 1, l] += x1 * g
                    for l in range(LANES):  # one vector per row (see the forward's end)
                        dwT_parts[part, kb, k0 + 0, l] += acc[part, 0, l]
                        dwT_parts[part, kb, k0 + 1, l] += acc[part, 1, l]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dx_q4(dout3, wF, pad, dx5, acc):
    """Stride-1 dx for c a multiple of 16, exact: the 16 input channels of a block are
    the vector lanes, and a register tile holds one dx position (y, z) of 4 *examples*.

    ``dx[n, y, z, ch] = sum_{i, j, k} dout[n, y + pad - i, z + pad - j, k] *
    w[k, i, j, ch]`` over the taps whose upstream cell exists. The 4 examples of a tile
    share that set of taps, a rectangle of filter rows and columns, so the tile reads
    only real cells, straight from ``dout`` (no padded copy), and multiplies no zero
    padding. ``dout3`` is ``dout`` (m, ho, wo*K); ``wF`` (CB, f, f*K, 16) the filters
    flipped and transposed: ``wF[cb, a, b*K + k, l] = w[k, f-1-a, f-1-b, cb*16 + l]``, so
    tap (a, b) reads ``dout[n, y - pad' + a, z - pad' + b, k]`` with pad' = f - 1 - pad
    and a filter row's taps are one contiguous run over (b, k). ``dx5`` is ``dx``
    (m, h, w, CB, 16). Threads split the examples; a part's last tile is shifted back
    to end at its last example (recomputing a few, same values), and a part of fewer
    than 4 repeats its last. ``acc`` as in the forward (registers: no views of local
    arrays in this ``prange`` body).
    """
    m, ho, woK = dout3.shape
    f = wF.shape[1]
    K = wF.shape[2] // f
    wo = woK // K
    h = dx5.shape[1]
    w = dx5.shape[2]
    CB = dx5.shape[3]
    pp = f - 1 - pad
    nparts = acc.shape[0]
    for part in prange(nparts):
        lo = part * m // nparts
        hi = (part + 1) * m // nparts
        for g in range(lo, hi, 4):
            n0 = max(lo, min(g, hi - 4))
            n0 = min(n0 + 0, hi - 1)
            n1 = min(n0 + 1, hi - 1)
            n2 = min(n0 + 2, hi - 1)
            n3 = min(n0 + 3, hi - 1)
            for y in range(h):
                # filter rows a with a real upstream row y - pp + a in [0, ho)
                a0 = max(0, pp - y)
                a1 = min(f, ho + pp - y)
                for z in range(w):
                    b0 = max(0, pp - z)
                    b1 = min(f, wo + pp - z)
                    t0 = np.uint64(b0 * K)
                    nt = np.uint64((b1 - b0) * K)
                    u0 = np.uint64((z - pp + b0) * K)
                    for cb in range(CB):
                        for q in range(4):
                            for l in range(LANES):
                                acc[part, q, l] = 0.0
                        for a in range(a0, a1):
                            r = y - pp + a
                            for t in range(nt):
                                u = u0 + t
                                g0 = dout3[n0, r, u]
                                g1 = dout3[n1, r, u]
                                g2 = dout3[n2, r, u]
                                g3 = dout3[n3, r, u]
                                for l in range(LANES):
                                    wv = wF[cb, a, t0 + t, l]
                                    acc[part, 0, l] += g0 * wv
                                    acc[part, 1, l] += g1 * wv
                                    acc[part, 2, l] += g2 * wv
                                    acc[part, 3, l] += g3 * wv
                        for l in range(LANES):
                            dx5[n0, y, z, cb, l] = acc[part, 0, l]
                            dx5[n1, y, z, cb, l] = acc[part, 1, l]
                            dx5[n2, y, z, cb, l] = acc[part, 2, l]
                            dx5[n3, y, z, cb, l] = acc[part, 3, l]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def forward_q8(xr, c, wT, bT, dd, sp, pad, out4, xp, acc):
    """Forward for K a multiple of 16, any stride: the 16 filters of a block are the
    vector lanes, and a tile of 8 output positions is held in registers.

    ``out4[n, p, kb, l] = bT[kb, l] + sum_kk x(n, p; kk) * wT[kb, kk, l]``, with
    ``x(n, p; kk) = xp[part, sp[p] + dd[kk]]`` read from the example's zero-padded flat
    copy (``deepgrad.kernels.conv._lane_tables``; written by :func:`pad_example` from
    ``xr``, the input (m, h, w, c) seen as (m, h, w*c)). ``wT`` (KB, F, 16) is the filters
    transposed so the 16 weights of one tap are contiguous; ``out4`` is ``out``
    (m, P, K) seen as (m, P, KB, 16).

    Per tap, one vector load of ``wT[kb, kk, :]`` and 8 broadcast inputs feed 8 fused
    multiply-adds (a GEMM micro-kernel, K = lanes): no im2col, the output written in its
    final layout. The accumulators ``acc[part, a, :]`` stay in registers for the whole
    loop over taps because LLVM can prove they alias nothing else -- *which holds only
    while this prange body makes no array views of local arrays* (Numba then marks the
    parallel body's array arguments ``noalias``); one such view costs 3-4x.

    The last positions: when 1 to 4 are left after the full tiles (P = 100 with 8-wide
    tiles: 4) and a tile of 4 is at least ``MIN_TILE`` wide, that tile ends the row,
    so no position is computed twice (3.5 % less time for P = 100); otherwise the last
    full tile is shifted back to end at position P - 1 (it recomputes a few positions,
    same values), and if P < 8, positions repeat.
    """
    m = xr.shape[0]
    KB = wT.shape[0]
    F = wT.shape[1]
    P = sp.shape[0]
    nparts = xp.shape[0]
    rest = P % 8
    # the positions the full tiles cover; a tile of 4 does the rest when it fits
    PQ = P - rest if 4 >= MIN_TILE and 0 < rest <= 4 and P >= 4 else P
    for part in prange(nparts):
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for pb in range(0, PQ, 8):
                    p0 = max(0, min(pb, P - 8))
                    s0 = sp[min(p0 + 0, P - 1)]
                    s1 = sp[min(p0 + 1, P - 1)]
                    s2 = sp[min(p0 + 2, P - 1)]
                    s3 = sp[min(p0 + 3, P - 1)]
                    s4 = sp[min(p0 + 4, P - 1)]
                    s5 = sp[min(p0 + 5, P - 1)]
                    s6 = sp[min(p0 + 6, P - 1)]
                    s7 = sp[min(p0 + 7, P - 1)]
                    for a in range(8):
                        for l in range(LANES):
                            acc[part, a, l] = 0.0
                    for kk in range(F):
                        d = dd[kk]
                        x0 = xp[part, s0 + d]
                        x1 = xp[part, s1 + d]
                        x2 = xp[part, s2 + d]
                        x3 = xp[part, s3 + d]
                        x4 = xp[part, s4 + d]
                        x5 = xp[part, s5 + d]
                        x6 = xp[part, s6 + d]
                        x7 = xp[part, s7 + d]
                        for l in range(LANES):
                            wv = wT[kb, kk, l]
                            acc[part, 0, l] += x0 * wv
                            acc[part, 1, l] += x1 * wv
                            acc[part, 2, l] += x2 * wv
                            acc[part, 3, l] += x3 * wv
                            acc[part, 4, l] += x4 * wv
                            acc[part, 5, l] += x5 * wv
                            acc[part, 6, l] += x6 * wv
                            acc[part, 7, l] += x7 * wv
                    # the tile's end as the tap loop, lanes innermost: written as
                    # "for a: for l:" LLVM made it scalar adds and stores
                    q0 = min(p0 + 0, P - 1)
                    q1 = min(p0 + 1, P - 1)
                    q2 = min(p0 + 2, P - 1)
                    q3 = min(p0 + 3, P - 1)
                    q4 = min(p0 + 4, P - 1)
                    q5 = min(p0 + 5, P - 1)
                    q6 = min(p0 + 6, P - 1)
                    q7 = min(p0 + 7, P - 1)
                    for l in range(LANES):
                        bl = bT[kb, l]
                        out4[n, q0, kb, l] = acc[part, 0, l] + bl
                        out4[n, q1, kb, l] = acc[part, 1, l] + bl
                        out4[n, q2, kb, l] = acc[part, 2, l] + bl
                        out4[n, q3, kb, l] = acc[part, 3, l] + bl
                        out4[n, q4, kb, l] = acc[part, 4, l] + bl
                        out4[n, q5, kb, l] = acc[part, 5, l] + bl
                        out4[n, q6, kb, l] = acc[part, 6, l] + bl
                        out4[n, q7, kb, l] = acc[part, 7, l] + bl
                if PQ < P:
                    p0 = max(0, P - 4)  # hoisted out of the if (see DW_TILE): never < 0
                    s0 = sp[min(p0 + 0, P - 1)]
                    s1 = sp[min(p0 + 1, P - 1)]
                    s2 = sp[min(p0 + 2, P - 1)]
                    s3 = sp[min(p0 + 3, P - 1)]
                    for a in range(4):
                        for l in range(LANES):
                            acc[part, a, l] = 0.0
                    for kk in range(F):
                        d = dd[kk]
                        x0 = xp[part, s0 + d]
                        x1 = xp[part, s1 + d]
                        x2 = xp[part, s2 + d]
                        x3 = xp[part, s3 + d]
                        for l in range(LANES):
                            wv = wT[kb, kk, l]
                            acc[part, 0, l] += x0 * wv
                            acc[part, 1, l] += x1 * wv
                            acc[part, 2, l] += x2 * wv
                            acc[part, 3, l] += x3 * wv
                    # the tile's end as the tap loop, lanes innermost: written as
                    # "for a: for l:" LLVM made it scalar adds and stores
                    q0 = min(p0 + 0, P - 1)
                    q1 = min(p0 + 1, P - 1)
                    q2 = min(p0 + 2, P - 1)
                    q3 = min(p0 + 3, P - 1)
                    for l in range(LANES):
                        bl = bT[kb, l]
                        out4[n, q0, kb, l] = acc[part, 0, l] + bl
                        out4[n, q1, kb, l] = acc[part, 1, l] + bl
                        out4[n, q2, kb, l] = acc[part, 2, l] + bl
                        out4[n, q3, kb, l] = acc[part, 3, l] + bl


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dw_q8(xr, c, dout, dd, sp, pad, xp, acc, dwT_parts):
    """Stride-1 filter gradient for K a multiple of 16, filters as lanes, one chunk of
    examples per thread: ``dwT_parts[part, kb, kk, l] = sum_{n, p} x(n, p; kk) *
    dout4[n, p, kb, l]`` over the chunk, ``x(n, p; kk)`` as in :func:`forward_q8`.

    The register tile is 8 taps x 16 filters: per output position one vector load of
    the upstream gradient and 8 broadcast inputs feed 8 multiply-adds, summed over all
    P positions before the tile is added to ``dwT_parts`` (``acc`` in registers: no
    views of local arrays in this loop either). ``dd`` has zero offsets past the F real
    taps, up to F8 (``conv._lane_tables``): a multiple of 8, or of 8 plus a last tile
    of 4 when that covers the rest; the last tile runs into rows F.. of ``dwT_parts``,
    which the caller drops.
    """
    m = xr.shape[0]
    KB = dwT_parts.shape[1]
    F8 = dd.shape[0]
    P = sp.shape[0]
    nparts = xp.shape[0]
    dout4 = dout.reshape(m, P, KB, LANES)
    FQ = F8 - F8 % 8  # the taps of the full tiles; a tile of 4 does the rest
    for part in prange(nparts):
        for kb in range(KB):
            for kk in range(F8):
                for l in range(LANES):
                    dwT_parts[part, kb, kk, l] = 0.0
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for k0 in range(0, FQ, 8):
                    d0 = dd[min(k0 + 0, F8 - 1)]
                    d1 = dd[min(k0 + 1, F8 - 1)]
                    d2 = dd[min(k0 + 2, F8 - 1)]
                    d3 = dd[min(k0 + 3, F8 - 1)]
                    d4 = dd[min(k0 + 4, F8 - 1)]
                    d5 = dd[min(k0 + 5, F8 - 1)]
                    d6 = dd[min(k0 + 6, F8 - 1)]
                    d7 = dd[min(k0 + 7, F8 - 1)]
                    for j in range(8):
                        for l in range(LANES):
                            acc[part, j, l] = 0.0
                    for p in range(P):
                        s = sp[p]
                        x0 = xp[part, s + d0]
                        x1 = xp[part, s + d1]
                        x2 = xp[part, s + d2]
                        x3 = xp[part, s + d3]
                        x4 = xp[part, s + d4]
                        x5 = xp[part, s + d5]
                        x6 = xp[part, s + d6]
                        x7 = xp[part, s + d7]
                        for l in range(LANES):
                            g = dout4[n, p, kb, l]
                            acc[part, 0, l] += x0 * g
                            acc[part, 1, l] += x1 * g
                            acc[part, 2, l] += x2 * g
                            acc[part, 3, l] += x3 * g
                            acc[part, 4, l] += x4 * g
                            acc[part, 5, l] += x5 * g
                            acc[part, 6, l] += x6 * g
                            acc[part, 7, l] += x7 * g
                    for l in range(LANES):  # one vector per row (see the forward's end)
                        dwT_parts[part, kb, k0 + 0, l] += acc[part, 0, l]
                        dwT_parts[part, kb, k0 + 1, l] += acc[part, 1, l]
                        dwT_parts[part, kb, k0 + 2, l] += acc[part, 2, l]
                        dwT_parts[part, kb, k0 + 3, l] += acc[part, 3, l]
                        dwT_parts[part, kb, k0 + 4, l] += acc[part, 4, l]
                        dwT_parts[part, kb, k0 + 5, l] += acc[part, 5, l]
                        dwT_parts[part, kb, k0 + 6, l] += acc[part, 6, l]
                        dwT_parts[part, kb, k0 + 7, l] += acc[part, 7, l]
                if FQ < F8:
                    k0 = FQ
                    d0 = dd[min(k0 + 0, F8 - 1)]
                    d1 = dd[min(k0 + 1, F8 - 1)]
                    d2 = dd[min(k0 + 2, F8 - 1)]
                    d3 = dd[min(k0 + 3, F8 - 1)]
                    for j in range(4):
                        for l in range(LANES):
                            acc[part, j, l] = 0.0
                    for p in range(P):
                        s = sp[p]
                        x0 = xp[part, s + d0]
                        x1 = xp[part, s + d1]
                        x2 = xp[part, s + d2]
                        x3 = xp[part, s + d3]
                        for l in range(LANES):
                            g = dout4[n, p, kb, l]
                            acc[part, 0, l] += x0 * g
                            acc[part, 1, l] += x1 * g
                            acc[part, 2, l] += x2 * g
                            acc[part, 3, l] += x3 * g
                    for l in range(LANES):  # one vector per row (see the forward's end)
                        dwT_parts[part, kb, k0 + 0, l] += acc[part, 0, l]
                        dwT_parts[part, kb, k0 + 1, l] += acc[part, 1, l]
                        dwT_parts[part, kb, k0 + 2, l] += acc[part, 2, l]
                        dwT_parts[part, kb, k0 + 3, l] += acc[part, 3, l]


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dx_q8(dout3, wF, pad, dx5, acc):
    """Stride-1 dx for c a multiple of 16, exact: the 16 input channels of a block are
    the vector lanes, and a register tile holds one dx position (y, z) of 8 *examples*.

    ``dx[n, y, z, ch] = sum_{i, j, k} dout[n, y + pad - i, z + pad - j, k] *
    w[k, i, j, ch]`` over the taps whose upstream cell exists. The 8 examples of a tile
    share that set of taps, a rectangle of filter rows and columns, so the tile reads
    only real cells, straight from ``dout`` (no padded copy), and multiplies no zero
    padding. ``dout3`` is ``dout`` (m, ho, wo*K); ``wF`` (CB, f, f*K, 16) the filters
    flipped and transposed: ``wF[cb, a, b*K + k, l] = w[k, f-1-a, f-1-b, cb*16 + l]``, so
    tap (a, b) reads ``dout[n, y - pad' + a, z - pad' + b, k]`` with pad' = f - 1 - pad
    and a filter row's taps are one contiguous run over (b, k). ``dx5`` is ``dx``
    (m, h, w, CB, 16). Threads split the examples; a part's last tile is shifted back
    to end at its last example (recomputing a few, same values), and a part of fewer
    than 8 repeats its last. ``acc`` as in the forward (registers: no views of local
    arrays in this ``prange`` body).
    """
    m, ho, woK = dout3.shape
    f = wF.shape[1]
    K = wF.shape[2] // f
    wo = woK // K
    h = dx5.shape[1]
    w = dx5.shape[2]
    CB = dx5.shape[3]
    pp = f - 1 - pad
    nparts = acc.shape[0]
    for part in prange(nparts):
        lo = part * m // nparts
        hi = (part + 1) * m // nparts
        for g in range(lo, hi, 8):
            n0 = max(lo, min(g, hi - 8))
            n0 = min(n0 + 0, hi - 1)
            n1 = min(n0 + 1, hi - 1)
            n2 = min(n0 + 2, hi - 1)
            n3 = min(n0 + 3, hi - 1)
            n4 = min(n0 + 4, hi - 1)
            n5 = min(n0 + 5, hi - 1)
            n6 = min(n0 + 6, hi - 1)
            n7 = min(n0 + 7, hi - 1)
            for y in range(h):
                # filter rows a with a real upstream row y - pp + a in [0, ho)
                a0 = max(0, pp - y)
                a1 = min(f, ho + pp - y)
                for z in range(w):
                    b0 = max(0, pp - z)
                    b1 = min(f, wo + pp - z)
                    t0 = np.uint64(b0 * K)
                    nt = np.uint64((b1 - b0) * K)
                    u0 = np.uint64((z - pp + b0) * K)
                    for cb in range(CB):
                        for q in range(8):
                            for l in range(LANES):
                                acc[part, q, l] = 0.0
                        for a in range(a0, a1):
                            r = y - pp + a
                            for t in range(nt):
                                u = u0 + t
                                g0 = dout3[n0, r, u]
                                g1 = dout3[n1, r, u]
                                g2 = dout3[n2, r, u]
                                g3 = dout3[n3, r, u]
                                g4 = dout3[n4, r, u]
                                g5 = dout3[n5, r, u]
                                g6 = dout3[n6, r, u]
                                g7 = dout3[n7, r, u]
                                for l in range(LANES):
                                    wv = wF[cb, a, t0 + t, l]
                                    acc[part, 0, l] += g0 * wv
                                    acc[part, 1, l] += g1 * wv
                                    acc[part, 2, l] += g2 * wv
                                    acc[part, 3, l] += g3 * wv
                                    acc[part, 4, l] += g4 * wv
                                    acc[part, 5, l] += g5 * wv
                                    acc[part, 6, l] += g6 * wv
                                    acc[part, 7, l] += g7 * wv
                        for l in range(LANES):
                            dx5[n0, y, z, cb, l] = acc[part, 0, l]
                            dx5[n1, y, z, cb, l] = acc[part, 1, l]
                            dx5[n2, y, z, cb, l] = acc[part, 2, l]
                            dx5[n3, y, z, cb, l] = acc[part, 3, l]
                            dx5[n4, y, z, cb, l] = acc[part, 4, l]
                            dx5[n5, y, z, cb, l] = acc[part, 5, l]
                            dx5[n6, y, z, cb, l] = acc[part, 6, l]
                            dx5[n7, y, z, cb, l] = acc[part, 7, l]


TILES = {4: (forward_q4, dw_q4, dx_q4), 8: (forward_q8, dw_q8, dx_q8)}
