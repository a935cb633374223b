"""The lanes kernels' register tiles, written once for any tile width and rendered to
:mod:`deepgrad.kernels.lane_tiles` for each width in :data:`WIDTHS`.

A lanes kernel keeps Q accumulators of 16 lanes in registers for a whole loop (docs/
kernels.md). They stay in registers only if the tile is spelled out -- Q named scalars,
Q statements -- so the width cannot be a loop bound or a run-time argument (either
costs the register tiling). How many fit depends on the CPU: with AVX-512 (32 registers
of 64 bytes) 8 tiles of 16 float32 lanes take 8 registers; with AVX2 (16 registers of
32 bytes) the same tile needs all 16 and spills. So the kernels are written here once,
in :data:`TEMPLATE`, and rendered for every width; :func:`deepgrad.kernels.conv.tile_width`
picks the width for the CPU Numba compiles for and the dtype.

Template rules: ``{Q}`` is the tile width and ``{H}`` half of it; a line containing
``@`` is repeated once per tile member a = 0 .. Q-1 with ``@`` replaced by a; a line
``<forward tile W>`` or ``<dw tile W>`` is replaced by :data:`FORWARD_TILE` or
:data:`DW_TILE` rendered for width W (a kernel's full tiles and its last half tile are
the same code). Nothing else is rewritten, so the rendered
module reads like hand-written code.

Regenerate after an edit: ``python -m deepgrad.kernels.lane_tiles_template``
(``--check`` exits 1 when lane_tiles.py is stale; a test runs it).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

WIDTHS = (4, 8)
TARGET = Path(__file__).with_name("lane_tiles.py")

HEADER = '''\
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
'''

# One forward tile of {W} positions starting at p0, inserted where the template has
# "<forward tile W>" (full tiles and the last half tile are the same code).
FORWARD_TILE = '''\
s@ = sp[min(p0 + @, P - 1)]
for a in range({W}):
    for l in range(LANES):
        acc[part, a, l] = 0.0
for kk in range(F):
    d = dd[kk]
    x@ = xp[part, s@ + d]
    for l in range(LANES):
        wv = wT[kb, kk, l]
        acc[part, @, l] += x@ * wv
# the tile's end as the tap loop, lanes innermost: written as
# "for a: for l:" LLVM made it scalar adds and stores
q@ = min(p0 + @, P - 1)
for l in range(LANES):
    bl = bT[kb, l]
    out4[n, q@, kb, l] = acc[part, @, l] + bl
'''

# One dw tile of {W} taps starting at k0 ("<dw tile W>"). The reads of ``dd`` are clamped
# because Numba's parfor pass hoists loop-invariant reads out of the prange body, out of
# their ``if`` too: the half tile's ``dd[FQ + a]`` ran, and read past the end, even when
# there was no half tile (the bounds-check test caught it).
DW_TILE = '''\
d@ = dd[min(k0 + @, F8 - 1)]
for j in range({W}):
    for l in range(LANES):
        acc[part, j, l] = 0.0
for p in range(P):
    s = sp[p]
    x@ = xp[part, s + d@]
    for l in range(LANES):
        g = dout4[n, p, kb, l]
        acc[part, @, l] += x@ * g
for l in range(LANES):  # one vector per row (see the forward's end)
    dwT_parts[part, kb, k0 + @, l] += acc[part, @, l]
'''

SUBTEMPLATES = {"forward": FORWARD_TILE, "dw": DW_TILE}

TEMPLATE = '''

@njit(cache=True, parallel=True, fastmath=FASTMATH)
def forward_q{Q}(xr, c, wT, bT, dd, sp, pad, out4, xp, acc):
    """Forward for K a multiple of 16, any stride: the 16 filters of a block are the
    vector lanes, and a tile of {Q} output positions is held in registers.

    ``out4[n, p, kb, l] = bT[kb, l] + sum_kk x(n, p; kk) * wT[kb, kk, l]``, with
    ``x(n, p; kk) = xp[part, sp[p] + dd[kk]]`` read from the example's zero-padded flat
    copy (``deepgrad.kernels.conv._lane_tables``; written by :func:`pad_example` from
    ``xr``, the input (m, h, w, c) seen as (m, h, w*c)). ``wT`` (KB, F, 16) is the filters
    transposed so the 16 weights of one tap are contiguous; ``out4`` is ``out``
    (m, P, K) seen as (m, P, KB, 16).

    Per tap, one vector load of ``wT[kb, kk, :]`` and {Q} broadcast inputs feed {Q} fused
    multiply-adds (a GEMM micro-kernel, K = lanes): no im2col, the output written in its
    final layout. The accumulators ``acc[part, a, :]`` stay in registers for the whole
    loop over taps because LLVM can prove they alias nothing else -- *which holds only
    while this prange body makes no array views of local arrays* (Numba then marks the
    parallel body's array arguments ``noalias``); one such view costs 3-4x.

    The last positions: when 1 to {H} are left after the full tiles (P = 100 with 8-wide
    tiles: 4) and a tile of {H} is at least ``MIN_TILE`` wide, that tile ends the row,
    so no position is computed twice (3.5 % less time for P = 100); otherwise the last
    full tile is shifted back to end at position P - 1 (it recomputes a few positions,
    same values), and if P < {Q}, positions repeat.
    """
    m = xr.shape[0]
    KB = wT.shape[0]
    F = wT.shape[1]
    P = sp.shape[0]
    nparts = xp.shape[0]
    rest = P % {Q}
    # the positions the full tiles cover; a tile of {H} does the rest when it fits
    PQ = P - rest if {H} >= MIN_TILE and 0 < rest <= {H} and P >= {H} else P
    for part in prange(nparts):
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for pb in range(0, PQ, {Q}):
                    p0 = max(0, min(pb, P - {Q}))
                    <forward tile {Q}>
                if PQ < P:
                    p0 = max(0, P - {H})  # hoisted out of the if (see DW_TILE): never < 0
                    <forward tile {H}>


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dw_q{Q}(xr, c, dout, dd, sp, pad, xp, acc, dwT_parts):
    """Stride-1 filter gradient for K a multiple of 16, filters as lanes, one chunk of
    examples per thread: ``dwT_parts[part, kb, kk, l] = sum_{n, p} x(n, p; kk) *
    dout4[n, p, kb, l]`` over the chunk, ``x(n, p; kk)`` as in :func:`forward_q{Q}`.

    The register tile is {Q} taps x 16 filters: per output position one vector load of
    the upstream gradient and {Q} broadcast inputs feed {Q} multiply-adds, summed over all
    P positions before the tile is added to ``dwT_parts`` (``acc`` in registers: no
    views of local arrays in this loop either). ``dd`` has zero offsets past the F real
    taps, up to F8 (``conv._lane_tables``): a multiple of {Q}, or of {Q} plus a last tile
    of {H} when that covers the rest; the last tile runs into rows F.. of ``dwT_parts``,
    which the caller drops.
    """
    m = xr.shape[0]
    KB = dwT_parts.shape[1]
    F8 = dd.shape[0]
    P = sp.shape[0]
    nparts = xp.shape[0]
    dout4 = dout.reshape(m, P, KB, LANES)
    FQ = F8 - F8 % {Q}  # the taps of the full tiles; a tile of {H} does the rest
    for part in prange(nparts):
        for kb in range(KB):
            for kk in range(F8):
                for l in range(LANES):
                    dwT_parts[part, kb, kk, l] = 0.0
        for n in range(part * m // nparts, (part + 1) * m // nparts):
            pad_example(xr, n, c, pad, xp, part)
            for kb in range(KB):
                for k0 in range(0, FQ, {Q}):
                    <dw tile {Q}>
                if FQ < F8:
                    k0 = FQ
                    <dw tile {H}>


@njit(cache=True, parallel=True, fastmath=FASTMATH)
def dx_q{Q}(dout3, wF, pad, dx5, acc):
    """Stride-1 dx for c a multiple of 16, exact: the 16 input channels of a block are
    the vector lanes, and a register tile holds one dx position (y, z) of {Q} *examples*.

    ``dx[n, y, z, ch] = sum_{i, j, k} dout[n, y + pad - i, z + pad - j, k] *
    w[k, i, j, ch]`` over the taps whose upstream cell exists. The {Q} examples of a tile
    share that set of taps, a rectangle of filter rows and columns, so the tile reads
    only real cells, straight from ``dout`` (no padded copy), and multiplies no zero
    padding. ``dout3`` is ``dout`` (m, ho, wo*K); ``wF`` (CB, f, f*K, 16) the filters
    flipped and transposed: ``wF[cb, a, b*K + k, l] = w[k, f-1-a, f-1-b, cb*16 + l]``, so
    tap (a, b) reads ``dout[n, y - pad' + a, z - pad' + b, k]`` with pad' = f - 1 - pad
    and a filter row's taps are one contiguous run over (b, k). ``dx5`` is ``dx``
    (m, h, w, CB, 16). Threads split the examples; a part's last tile is shifted back
    to end at its last example (recomputing a few, same values), and a part of fewer
    than {Q} repeats its last. ``acc`` as in the forward (registers: no views of local
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
        for g in range(lo, hi, {Q}):
            n0 = max(lo, min(g, hi - {Q}))
            n@ = min(n0 + @, hi - 1)
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
                        for q in range({Q}):
                            for l in range(LANES):
                                acc[part, q, l] = 0.0
                        for a in range(a0, a1):
                            r = y - pp + a
                            for t in range(nt):
                                u = u0 + t
                                g@ = dout3[n@, r, u]
                                for l in range(LANES):
                                    wv = wF[cb, a, t0 + t, l]
                                    acc[part, @, l] += g@ * wv
                        for l in range(LANES):
                            dx5[n@, y, z, cb, l] = acc[part, @, l]
'''


def _expand(lines, width: int) -> list[str]:
    """Each line with ``@`` repeated once per tile member a = 0 .. width-1."""
    out = []
    for line in lines:
        if "@" in line and not line.lstrip().startswith("@njit"):
            out.extend(line.replace("@", str(a)) for a in range(width))
        else:
            out.append(line)
    return out


def render_kernels(q: int) -> str:
    """:data:`TEMPLATE` for tile width ``q`` (``{H}`` is half of it), with each
    ``<NAME tile W>`` line replaced by ``SUBTEMPLATES[NAME]`` for width W, indented as
    that line."""
    lines = []
    for line in TEMPLATE.replace("{Q}", str(q)).replace("{H}", str(q // 2)).splitlines():
        tile = re.fullmatch(r"(\s*)<(\w+) tile (\d+)>", line)
        if tile:
            indent, width = tile[1], int(tile[3])
            body = SUBTEMPLATES[tile[2]].replace("{W}", str(width)).splitlines()
            lines.extend(indent + t for t in _expand(body, width))
        else:
            lines.extend(_expand([line], q))
    return "\n".join(lines) + "\n"


def render() -> str:
    """The whole generated module: the header, each width's kernels, the table."""
    table = ", ".join(f"{q}: (forward_q{q}, dw_q{q}, dx_q{q})" for q in WIDTHS)
    return (HEADER + "".join(render_kernels(q) for q in WIDTHS)
            + f"\n\nTILES = {{{table}}}\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in argv:
        if TARGET.read_text() != text:
            print(f"{TARGET} is stale: run python -m deepgrad.kernels.lane_tiles_template",
                  file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
