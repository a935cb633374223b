"""Convolution layers: deepgrad.layers against naive loops, numpy im2col and PyTorch CPU.

The naive and numpy baselines are the references of tests/support/reference.py, run in
the benchmark's dtype. Every implementation is checked against the others on the
benchmark's own inputs before anything is timed. deepgrad and PyTorch are timed in
alternating blocks (``timing.alternating_medians``), so a burst of load from another
process hits both rather than one. Ratios are to PyTorch in the same run (time /
PyTorch's time; < 1 is faster).
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import COMMAND, alternating_medians, environment, median_ms
from deepgrad import layers
from tests.support.reference import (naive_conv_backward, naive_conv_forward,
                                     numpy_conv_backward, numpy_conv_forward, numpy_im2col)

try:
    import torch
except ImportError:  # torch is optional: benchmarks/requirements.txt
    torch = None

SECTION = "conv layers benchmark"
BATCH = 64
NAIVE_BATCH = 2  # naive loops run on this many examples, times scaled to BATCH
# (label, x shape, w shape, stride, pad)
SHAPES = [
    ("LeNet-5 conv1: 6 5x5 filters, (64,28,28,1), pad 2", (BATCH, 28, 28, 1), (6, 5, 5, 1), 1, 2),
    ("LeNet-5 conv2: 16 5x5 filters, (64,14,14,6)", (BATCH, 14, 14, 6), (16, 5, 5, 6), 1, 0),
    ("16 3x3 filters, (64,32,32,3), pad 1", (BATCH, 32, 32, 3), (16, 3, 3, 3), 1, 1),
    # assignment 3's CNN (benchmarks/bench_step.py)
    ("Assignment 3 conv1: 16 5x5 filters, (64,28,28,1), pad 2", (BATCH, 28, 28, 1),
     (16, 5, 5, 1), 1, 2),
    ("Assignment 3 conv2: 32 5x5 filters, (64,14,14,16)", (BATCH, 14, 14, 16),
     (32, 5, 5, 16), 1, 0),
]


# ----------------------------------------------------------------------------- PyTorch
class TorchConv:
    """PyTorch's conv2d forward and its convolution backward, in NCHW as it prefers
    (the layout conversion is done once here and not timed)."""

    def __init__(self, x, w, b, dout, s, p):
        self.xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        self.wt = torch.from_numpy(np.ascontiguousarray(w.transpose(0, 3, 1, 2)))
        self.bt = torch.from_numpy(b)
        self.dt = torch.from_numpy(np.ascontiguousarray(dout.transpose(0, 3, 1, 2)))
        self.s, self.p, self.K = s, p, w.shape[0]

    def forward(self):
        with torch.no_grad():
            return torch.nn.functional.conv2d(self.xt, self.wt, self.bt, stride=self.s,
                                              padding=self.p)

    def backward(self):
        with torch.no_grad():
            return torch.ops.aten.convolution_backward(
                self.dt, self.xt, self.wt, [self.K], [self.s] * 2, [self.p] * 2, [1, 1],
                False, [0, 0], 1, [True, True, True])


# ----------------------------------------------------------------------------- run
def check_agreement(x, w, b, dout, s, p, torch_conv):
    tol = dict(rtol=1e-3, atol=1e-3) if x.dtype == np.float32 else dict(rtol=1e-9,
                                                                        atol=1e-9)
    out, cache = layers.conv_forward(x, w, b, s, p)
    grads = layers.conv_backward(dout, cache)
    np.testing.assert_allclose(out, numpy_conv_forward(x, w, b, s, p), **tol)
    for got, want in zip(grads, numpy_conv_backward(dout, x, w, s, p)):
        np.testing.assert_allclose(got, want, **tol)
    small = slice(0, NAIVE_BATCH)
    np.testing.assert_allclose(naive_conv_forward(x[small], w, b, s, p), out[small], **tol)
    ndx, ndw, _ = naive_conv_backward(dout[small], x[small], w, s, p)
    np.testing.assert_allclose(ndx, grads[0][small], **tol)
    if torch_conv is not None:
        np.testing.assert_allclose(torch_conv.forward().numpy().transpose(0, 2, 3, 1), out,
                                   **tol)
        tdx, tdw, tdb = (t.numpy() for t in torch_conv.backward())
        np.testing.assert_allclose(tdx.transpose(0, 2, 3, 1), grads[0], **tol)
        np.testing.assert_allclose(tdw.transpose(0, 2, 3, 1), grads[1], **tol)
        np.testing.assert_allclose(tdb, grads[2], **tol)


def run(repeats: int, rounds: int = 3):
    rows = []
    for label, xs, ws, s, p in SHAPES:
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(0)
            x = rng.standard_normal(xs).astype(dtype)
            w = (rng.standard_normal(ws) / np.sqrt(np.prod(ws[1:]))).astype(dtype)
            b = rng.standard_normal(ws[0]).astype(dtype)
            out, cache = layers.conv_forward(x, w, b, s, p)
            dout = rng.standard_normal(out.shape).astype(dtype)
            tc = TorchConv(x, w, b, dout, s, p) if torch is not None else None
            check_agreement(x, w, b, dout, s, p, tc)
            flops = 2.0 * out.size * np.prod(ws[1:])  # forward; backward (dx, dw) is 2x
            xs2, ds2 = x[:NAIVE_BATCH].copy(), dout[:NAIVE_BATCH].copy()
            scale = BATCH / NAIVE_BATCH
            cols = numpy_im2col(x, ws[1], s, p)  # what a numpy forward would cache
            t = {}
            few = max(2, repeats // 10)
            t["naive", "fwd"] = scale * median_ms(lambda: naive_conv_forward(xs2, w, b, s, p),
                                                  few)
            t["naive", "bwd"] = scale * median_ms(
                lambda: naive_conv_backward(ds2, xs2, w, s, p), few)
            t["numpy", "fwd"] = median_ms(lambda: numpy_conv_forward(x, w, b, s, p), repeats)
            t["numpy", "bwd"] = median_ms(
                lambda: numpy_conv_backward(dout, x, w, s, p, cols), repeats)
            timed = {("lib", "fwd"): lambda: layers.conv_forward(x, w, b, s, p),
                     ("lib", "bwd"): lambda: layers.conv_backward(dout, cache)}
            if tc is not None:
                timed["torch", "fwd"] = tc.forward
                timed["torch", "bwd"] = tc.backward
            t.update(alternating_medians(timed, repeats, rounds))
            rows.append((label, np.dtype(dtype).name, flops, t))
    return rows


def table(rows) -> str:
    have_torch = any(("torch", "fwd") in t for *_, t in rows)
    head = ("| layer (batch 64) | dtype | pass | naive loops ms | numpy im2col ms | "
            "**deepgrad** ms | PyTorch ms | deepgrad GFLOP/s | PyTorch GFLOP/s |")
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for label, dtype, flops, t in rows:
        for pas, mult in (("forward", 1), ("backward", 2)):
            key = "fwd" if pas == "forward" else "bwd"
            ref = t.get(("torch", key))

            def cell(name, bold=False):
                ms = t[name, key]
                txt = f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"
                if ref is not None:
                    txt += f" ({ms / ref:.2f}x)"
                return f"**{txt}**" if bold else txt

            gf = lambda ms: f"{mult * flops / ms / 1e6:.1f}"  # noqa: E731
            lines.append(
                f"| {label} | {dtype} | {pas} | {cell('naive')} | {cell('numpy')} | "
                f"{cell('lib', True)} | {f'{ref:.2f}' if ref is not None else 'n/a'} | "
                f"{gf(t['lib', key])} | {gf(ref) if ref is not None else 'n/a'} |")
    if not have_torch:
        lines.append("\nPyTorch is not installed (`pip install -r benchmarks/"
                     "requirements.txt`): no ratios.")
    return "\n".join(lines)


def report(repeats: int, threads: int | None = None, rounds: int = 3) -> tuple[str, str]:
    """(section name, markdown) of this benchmark; ``threads`` sets Numba's and PyTorch's
    thread counts (each thread count has its own section)."""
    import numba

    if threads:
        numba.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
    rows = run(repeats, rounds)
    title = f" ({threads} thread{'s' if threads > 1 else ''} each)" if threads else ""
    section = SECTION + (f" {threads} thread(s)" if threads else "")
    torch_env = (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
                 if torch is not None else "")
    return section, (
        f"## Convolution layers: forward and backward{title}\n\n"
        f"`{COMMAND} --only conv{f' --threads {threads}' if threads else ''}` "
        "(`make bench` runs all). Milliseconds per call "
        f"(median; deepgrad and PyTorch: median of {rounds} alternating rounds of "
        f"{repeats} calls) and, in brackets, the ratio to PyTorch CPU in the same run "
        "(< 1: faster than PyTorch). Naive loops (one `np.sum` per output value) run on a "
        "batch of 2, scaled to 64. numpy im2col: `sliding_window_view` + BLAS matmul, "
        "col2im as f*f strided adds. PyTorch: `conv2d` and `convolution_backward` on "
        "NCHW tensors. Backward = dx, dw and db; its GFLOP/s count 2x the forward's "
        "multiply-adds.\n\n" + table(rows) + "\n\n" + environment(torch_env) + ".")
