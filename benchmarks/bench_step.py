"""One training step of assignment 3's CNN: deepgrad's layers against the same network in torch.nn.

The network (source/03_cnn, "Training a CNN on real digits"): conv 16 5x5 pad 2, ReLU, max pool
2x2, conv 32 5x5, ReLU, max pool 2x2, fully connected to 10 classes, softmax cross-entropy, on
MNIST-shaped input (64, 28, 28, 1). One step is the forward and the backward pass with every
parameter's gradient.

- deepgrad: ``cnn_loss`` below is the notebook's solution, copied (not imported from source/):
  deepgrad.layers for the conv and pool layers, NumPy for ReLU, the fully connected layer and
  the softmax. Like the students' function it also returns dX (conv1's input gradient).
- PyTorch: the same network as ``torch.nn.Sequential`` on NCHW tensors (the input converted
  once, outside the timed region), ``zero_grad()``, ``cross_entropy``, ``loss.backward()``.
  A training step needs no input gradient, so PyTorch skips conv1's dx; the table also gives
  PyTorch with the input's gradient (``requires_grad``), the same work as deepgrad's step.

Before anything is timed, both compute the loss and every gradient from the same weights
(transposed to PyTorch's layout) and must agree (relative error of each array, in the 2-norm,
below 1e-4 in float32, 1e-9 in float64): the independent check of deepgrad's step.

Timing (benchmarks/timing.py): every configuration -- thread count, dtype, library, part --
takes turns in the same process, round after round (``alternating_medians_with``), each block
after a 0.3 s pause and one untimed call; medians of the rounds' medians. "N threads" means
Numba, PyTorch and NumPy's OpenBLAS all set to N (threadpoolctl). The parts table times each
layer's forward and backward alone on the step's own arrays; the step minus their sum is the
glue between them (ReLU and its mask, copies, reshapes and transposes, softmax; for PyTorch
the autograd bookkeeping).
"""

from __future__ import annotations

import os

import numpy as np

import statistics

from benchmarks.timing import COMMAND, alternating_rounds_with, environment
from deepgrad import layers  # before torch: deepgrad sets OMP_WAIT_POLICY for both

try:
    import torch
except ImportError:  # torch is optional: benchmarks/requirements.txt
    torch = None

try:
    from threadpoolctl import ThreadpoolController
except ImportError:
    ThreadpoolController = None

SECTION = "training step benchmark"
BATCH, K1, K2 = 64, 16, 32
DTYPES = (np.float32, np.float64)
TOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-9}


# ----------------------------------------------------------------------------- deepgrad
def init_params(dtype, seed=0):
    """The notebook's He initialization (init_cnn), with small random biases so that the
    bias gradients are checked through a non-trivial forward pass."""
    rng = np.random.default_rng(seed)
    n_flat = 5 * 5 * K2
    p = {"W1": rng.standard_normal((K1, 5, 5, 1)) * np.sqrt(2 / 25),
         "b1": 0.1 * rng.standard_normal(K1),
         "W2": rng.standard_normal((K2, 5, 5, K1)) * np.sqrt(2 / (25 * K1)),
         "b2": 0.1 * rng.standard_normal(K2),
         "W3": rng.standard_normal((10, n_flat)) * np.sqrt(1 / n_flat),
         "b3": 0.1 * rng.standard_normal((10, 1))}
    return {k: v.astype(dtype) for k, v in p.items()}


def make_batch(dtype, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((BATCH, 28, 28, 1)).astype(dtype), rng.integers(0, 10, BATCH)


def softmax_cross_entropy(scores, y):
    """The notebook's (assignment 2's): mean loss and d loss / d scores, scores (10, m)."""
    m = scores.shape[1]
    z = scores - scores.max(axis=0, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=0, keepdims=True))
    loss = float(-log_p[y, np.arange(m)].mean())
    dscores = np.exp(log_p)
    dscores[y, np.arange(m)] -= 1.0
    return loss, dscores / m


def forward(X, params):
    """cnn_loss's forward pass: every array it keeps, by name."""
    z1, c1 = layers.conv_forward(X, params["W1"], params["b1"], stride=1, pad=2)
    a1 = np.maximum(z1, 0)
    p1, cp1 = layers.max_pool_forward(a1, size=2, stride=2)
    z2, c2 = layers.conv_forward(p1, params["W2"], params["b2"], stride=1, pad=0)
    a2 = np.maximum(z2, 0)
    p2, cp2 = layers.max_pool_forward(a2, size=2, stride=2)
    flat = p2.reshape(X.shape[0], -1).T
    scores = params["W3"] @ flat + params["b3"]
    return dict(z1=z1, c1=c1, a1=a1, p1=p1, cp1=cp1, z2=z2, c2=c2, a2=a2, p2=p2, cp2=cp2,
                flat=flat, scores=scores)


def cnn_loss(X, y, params, need_dx=True):
    """The notebook's cnn_loss solution: loss, grads (the params' shapes) and dX.

    ``need_dx=False``: a training step, which needs no dX (None): conv1's backward skips
    it (``layers.conv_backward(..., need_dx=False)``), as PyTorch's step does."""
    f = forward(X, params)
    loss, dscores = softmax_cross_entropy(f["scores"], y)
    grads = {"W3": dscores @ f["flat"].T, "b3": dscores.sum(axis=1, keepdims=True)}
    dp2 = np.ascontiguousarray((params["W3"].T @ dscores).T).reshape(f["p2"].shape)
    da2 = layers.max_pool_backward(dp2, f["cp2"])
    dp1, grads["W2"], grads["b2"] = layers.conv_backward(da2 * (f["z2"] > 0), f["c2"])
    da1 = layers.max_pool_backward(dp1, f["cp1"])
    dX, grads["W1"], grads["b1"] = layers.conv_backward(da1 * (f["z1"] > 0), f["c1"],
                                                        need_dx=need_dx)
    return loss, grads, dX


def lib_parts(X, y, params):
    """Each layer of cnn_loss alone, on the arrays one step passes it ({name: fn}), and the
    glue alone (everything of cnn_loss that is not a layer call)."""
    P = params
    f = forward(X, P)
    z1, c1, a1, p1, cp1 = f["z1"], f["c1"], f["a1"], f["p1"], f["cp1"]
    z2, c2, a2, p2, cp2 = f["z2"], f["c2"], f["a2"], f["p2"], f["cp2"]
    flat, scores = f["flat"], f["scores"]
    _, dscores = softmax_cross_entropy(scores, y)
    dflat = P["W3"].T @ dscores
    dp2 = np.ascontiguousarray(dflat.T).reshape(p2.shape)
    da2 = layers.max_pool_backward(dp2, cp2)
    dz2 = da2 * (z2 > 0)
    dp1, _, _ = layers.conv_backward(dz2, c2)
    da1 = layers.max_pool_backward(dp1, cp1)
    dz1 = da1 * (z1 > 0)

    def fc():  # forward and backward: the three products and the bias
        P["W3"] @ flat + P["b3"]
        dscores @ flat.T
        dscores.sum(axis=1, keepdims=True)
        P["W3"].T @ dscores

    def glue():  # ReLUs and their masks, the flatten and its copy back, the softmax
        np.maximum(z1, 0)
        np.maximum(z2, 0)
        p2.reshape(BATCH, -1).T
        softmax_cross_entropy(scores, y)
        np.ascontiguousarray(dflat.T).reshape(p2.shape)
        da2 * (z2 > 0)
        da1 * (z1 > 0)

    return {"conv1 forward": lambda: layers.conv_forward(X, P["W1"], P["b1"], 1, 2),
            "pool1 forward": lambda: layers.max_pool_forward(a1, 2, 2),
            "conv2 forward": lambda: layers.conv_forward(p1, P["W2"], P["b2"], 1, 0),
            "pool2 forward": lambda: layers.max_pool_forward(a2, 2, 2),
            "fc forward + backward": fc,
            "pool2 backward": lambda: layers.max_pool_backward(dp2, cp2),
            "conv2 backward": lambda: layers.conv_backward(dz2, c2),
            "pool1 backward": lambda: layers.max_pool_backward(dp1, cp1),
            # the no-dX step's (PyTorch's part skips dx there too)
            "conv1 backward": lambda: layers.conv_backward(dz1, c1, need_dx=False),
            "glue alone": glue}


# ----------------------------------------------------------------------------- PyTorch
class TorchStep:
    """The same network in torch.nn (NCHW), with deepgrad's weights in PyTorch's layout."""

    def __init__(self, X, y, params, input_grad=False):
        nn = torch.nn
        self.model = nn.Sequential(
            nn.Conv2d(1, K1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(K1, K2, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(25 * K2, 10)).to(torch.from_numpy(X).dtype)
        nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2)))  # noqa: E731
        # deepgrad flattens p2 (m, 5, 5, K2) as (row, column, channel), PyTorch as
        # (channel, row, column): W3's columns are permuted to match.
        W3 = params["W3"].reshape(10, 5, 5, K2).transpose(0, 3, 1, 2).reshape(10, -1)
        with torch.no_grad():
            for layer, w, b in ((self.model[0], nchw(params["W1"]), params["b1"]),
                                (self.model[3], nchw(params["W2"]), params["b2"]),
                                (self.model[7], torch.from_numpy(W3.copy()),
                                 params["b3"][:, 0])):
                layer.weight.copy_(w)
                layer.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        self.x = nchw(X).requires_grad_(input_grad)
        self.y = torch.from_numpy(np.asarray(y, dtype=np.int64))

    def step(self):
        self.model.zero_grad()
        self.x.grad = None
        loss = torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        return loss

    def grads(self):
        """The gradients of the last step, in deepgrad's layout."""
        m = self.model
        nhwc = lambda t: t.grad.numpy().transpose(0, 2, 3, 1)  # noqa: E731
        W3 = m[7].weight.grad.numpy().reshape(10, K2, 5, 5).transpose(0, 2, 3, 1)
        return {"W1": nhwc(m[0].weight), "b1": m[0].bias.grad.numpy(),
                "W2": nhwc(m[3].weight), "b2": m[3].bias.grad.numpy(),
                "W3": W3.reshape(10, -1), "b3": m[7].bias.grad.numpy()[:, None]}

    def parts(self):
        """Each layer alone, as autograd runs it in the step (aten ops, no graph)."""
        aten = torch.ops.aten
        F = torch.nn.functional
        m = self.model
        w1, b1, w2, b2 = m[0].weight, m[0].bias, m[3].weight, m[3].bias
        w3, b3 = m[7].weight, m[7].bias
        with torch.no_grad():
            x = self.x.detach()
            z1 = F.conv2d(x, w1, b1, padding=2)
            a1 = torch.relu(z1)
            p1, i1 = aten.max_pool2d_with_indices(a1, [2, 2], [2, 2])
            z2 = F.conv2d(p1, w2, b2)
            a2 = torch.relu(z2)
            p2, i2 = aten.max_pool2d_with_indices(a2, [2, 2], [2, 2])
            flat = p2.reshape(BATCH, -1)
            dscores = torch.randn(BATCH, 10, dtype=x.dtype) / BATCH
            dp2 = (dscores @ w3).reshape(p2.shape)
            da2 = torch.randn(a2.shape, dtype=x.dtype)
            dp1 = torch.randn(p1.shape, dtype=x.dtype)
            da1 = torch.randn(a1.shape, dtype=x.dtype)

        def nograd(fn):
            def run():
                with torch.no_grad():
                    return fn()
            return run

        def fc():
            F.linear(flat, w3, b3)
            dscores.t() @ flat
            dscores.sum(0)
            dscores @ w3

        pool_bwd = lambda d, a, i: aten.max_pool2d_with_indices_backward(  # noqa: E731
            d, a, [2, 2], [2, 2], [0, 0], [1, 1], False, i)
        conv_bwd = lambda d, a, w, pad, mask: aten.convolution_backward(  # noqa: E731
            d, a, w, [w.shape[0]], [1, 1], [pad, pad], [1, 1], False, [0, 0], 1, mask)
        dx1 = self.x.requires_grad
        return {"conv1 forward": nograd(lambda: F.conv2d(x, w1, b1, padding=2)),
                "pool1 forward": nograd(lambda: aten.max_pool2d_with_indices(a1, [2, 2], [2, 2])),
                "conv2 forward": nograd(lambda: F.conv2d(p1, w2, b2)),
                "pool2 forward": nograd(lambda: aten.max_pool2d_with_indices(a2, [2, 2], [2, 2])),
                "fc forward + backward": nograd(fc),
                "pool2 backward": nograd(lambda: pool_bwd(dp2, a2, i2)),
                "conv2 backward": nograd(lambda: conv_bwd(da2, p1, w2, 0, [True, True, True])),
                "pool1 backward": nograd(lambda: pool_bwd(dp1, a1, i1)),
                "conv1 backward": nograd(lambda: conv_bwd(da1, x, w1, 2, [dx1, True, True]))}


def rel_err(got, want):
    want = np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(np.asarray(got, np.float64) - want) / np.linalg.norm(want))


def check_agreement(X, y, params):
    """deepgrad's step against PyTorch's on the same weights: the loss, every parameter's
    gradient and dX. Returns the largest relative error; raises above the dtype's bound."""
    loss, grads, dX = cnn_loss(X, y, params)
    ts = TorchStep(X, y, params, input_grad=True)
    tloss = float(ts.step().detach())
    errors = {"loss": abs(loss - tloss) / abs(tloss),
              "dX": rel_err(dX, ts.x.grad.numpy().transpose(0, 2, 3, 1))}
    tgrads = ts.grads()
    for name, g in grads.items():
        assert g.shape == params[name].shape == tgrads[name].shape, name
        errors[name] = rel_err(g, tgrads[name])
    _, same, none = cnn_loss(X, y, params, need_dx=False)
    assert none is None
    for name, g in grads.items():  # the training step's gradients: the same, to the bit
        np.testing.assert_array_equal(same[name], g, err_msg=name)
    bound = TOL[X.dtype]
    bad = {k: e for k, e in errors.items() if not e <= bound}
    if bad:
        raise AssertionError(f"deepgrad and PyTorch disagree ({X.dtype}, bound {bound}): {bad}")
    return max(errors.values())


# ----------------------------------------------------------------------------- run
def _blas():
    return ThreadpoolController().select(user_api="blas") if ThreadpoolController else None


def run(repeats: int, rounds: int, threads=(1, 2)):
    """Per-round medians (ms) of every (threads, dtype, library, part), timed in
    alternating rounds, and the agreement checks. Library "lib blas1": deepgrad's step with
    OpenBLAS on 1 thread."""
    import numba

    blas = _blas()
    blas_default = blas.info()[0]["num_threads"] if blas and blas.info() else None

    def setup(n, blas_threads=None):
        def apply():
            numba.set_num_threads(n)
            torch.set_num_threads(n) if torch is not None else None
            if blas is not None:
                blas.limit(limits=blas_threads or n)
        return apply

    timed, checks = {}, {}
    for dtype in DTYPES:
        X, y = make_batch(dtype)
        params = init_params(dtype)
        if torch is not None:
            checks[np.dtype(dtype).name] = check_agreement(X, y, params)
        for n in threads:
            key = (n, np.dtype(dtype).name)
            timed[key + ("lib", "step")] = (setup(n), lambda X=X, y=y, p=params: cnn_loss(X, y, p))
            timed[key + ("lib no dX", "step")] = (
                setup(n), lambda X=X, y=y, p=params: cnn_loss(X, y, p, need_dx=False))
            if n > 1 and blas is not None:
                timed[key + ("lib blas1", "step")] = (
                    setup(n, 1), lambda X=X, y=y, p=params: cnn_loss(X, y, p))
            for part, fn in lib_parts(X, y, params).items():
                timed[key + ("lib", part)] = (setup(n), fn)
            if torch is not None:
                ts, tsx = TorchStep(X, y, params), TorchStep(X, y, params, input_grad=True)
                timed[key + ("torch", "step")] = (setup(n), ts.step)
                timed[key + ("torch dX", "step")] = (setup(n), tsx.step)
                for part, fn in ts.parts().items():
                    timed[key + ("torch", part)] = (setup(n), fn)
    t = alternating_rounds_with(timed, repeats, rounds)
    numba.set_num_threads(max(threads))
    if torch is not None:
        torch.set_num_threads(max(threads))
    if blas is not None:
        blas.limit(limits=blas_default)
    return t, checks, blas_default


PARTS = ["conv1 forward", "pool1 forward", "conv2 forward", "pool2 forward",
         "fc forward + backward", "pool2 backward", "conv2 backward", "pool1 backward",
         "conv1 backward"]


def _ms(v):
    return "n/a" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")


def ratio_text(rounds, key, ref_key, bold=False):
    """"1.55x (1.39-1.70)": the ratio of the medians, and in brackets the range of the
    rounds' ratios (both timed in the same round)."""
    if ref_key not in rounds:
        return "n/a"
    a, b = rounds[key], rounds[ref_key]
    each = [x / y for x, y in zip(a, b)]
    med = f"{statistics.median(a) / statistics.median(b):.2f}x"
    return (f"**{med}**" if bold else med) + f" ({min(each):.2f}-{max(each):.2f})"


def tables(rounds, threads, have_torch):
    t = {k: statistics.median(v) for k, v in rounds.items()}
    configs = [(n, d) for d in ("float32", "float64") for n in sorted(threads, reverse=True)]
    out = ["| dtype | threads | **deepgrad, no dX** ms | PyTorch ms | ratio (rounds' range) | "
           "deepgrad with dX ms | PyTorch with dX ms | ratio |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n, d in configs:
        lnd, lib, tor, tdx = (t.get((n, d, who, "step"))
                              for who in ("lib no dX", "lib", "torch", "torch dX"))
        out.append(f"| {d} | {n} | **{_ms(lnd)}** | {_ms(tor)} | "
                   f"{ratio_text(rounds, (n, d, 'lib no dX', 'step'), (n, d, 'torch', 'step'), True)}"
                   f" | {_ms(lib)} | {_ms(tdx)} | "
                   f"{ratio_text(rounds, (n, d, 'lib', 'step'), (n, d, 'torch dX', 'step'))} |")
    parts = ["| part | " + " | ".join(f"{d}, {n} thr: deepgrad | PyTorch" for n, d in configs)
             + " |", "|---|" + "---:|---:|" * len(configs)]

    def row(label, get, fmt=_ms):
        cells = []
        for n, d in configs:
            cells += [fmt(get(n, d, "lib")), fmt(get(n, d, "torch")) if have_torch else "n/a"]
        return f"| {label} | " + " | ".join(cells) + " |"

    for part in PARTS:
        parts.append(row(part, lambda n, d, who, part=part: t.get((n, d, who, part))))
    layer_sum = lambda n, d, who: (sum(t[n, d, who, p] for p in PARTS)  # noqa: E731
                                   if (n, d, who, PARTS[0]) in t else None)
    # the parts are those of the step without dX, on both sides
    step = lambda n, d, who: t.get((n, d, "lib no dX" if who == "lib" else who,  # noqa: E731
                                    "step"))
    parts.append(row("**layers, sum**", layer_sum))
    parts.append(row("**whole step**", step))
    parts.append(row("**glue = step - layers**",
                     lambda n, d, who: None if step(n, d, who) is None
                     or layer_sum(n, d, who) is None
                     else step(n, d, who) - layer_sum(n, d, who)))
    parts.append(row("glue share of the step",
                     lambda n, d, who: None if step(n, d, who) is None
                     or layer_sum(n, d, who) is None
                     else 100 * (1 - layer_sum(n, d, who) / step(n, d, who)),
                     fmt=lambda v: "n/a" if v is None else f"{v:.0f} %"))
    parts.append(row("deepgrad's glue timed alone",
                     lambda n, d, who: t.get((n, d, who, "glue alone")) if who == "lib"
                     else None))
    return "\n".join(out), "\n".join(parts)


def blas_table(rounds, threads, blas_default):
    n = max(threads)
    if n < 2 or (n, "float32", "lib blas1", "step") not in rounds:
        return ("threadpoolctl is not installed (or there is one core): OpenBLAS's thread "
                "count was not varied.")
    lines = [f"| dtype | OpenBLAS {blas_default} threads (default) ms | OpenBLAS 1 thread ms "
             "| 1 thread / default (rounds' range) |", "|---|---:|---:|---:|"]
    verdicts = []
    for d in ("float32", "float64"):
        one, default = (n, d, "lib blas1", "step"), (n, d, "lib", "step")
        lines.append(f"| {d} | {_ms(statistics.median(rounds[default]))} | "
                     f"{_ms(statistics.median(rounds[one]))} | "
                     f"{ratio_text(rounds, one, default)} |")
        each = [x / y for x, y in zip(rounds[one], rounds[default])]
        if min(each) <= 1 <= max(each):
            verdicts.append(f"{d}: the rounds' ratios straddle 1, no difference this run "
                            "resolves")
        else:
            change = statistics.median(rounds[one]) / statistics.median(rounds[default]) - 1
            verdicts.append(f"{d}: 1 OpenBLAS thread is {abs(100 * change):.0f} % "
                            f"{'faster' if change < 0 else 'slower'} in every round")
    return "\n".join(lines) + "\n\n" + "; ".join(verdicts) + "."


def report(repeats: int, rounds: int = 3, threads: int | None = None) -> tuple[str, str]:
    """(section name, markdown); ``threads`` limits the run to that thread count (its own
    section), else 1 and 2 threads (as many as the machine has, up to 2)."""
    counts = (threads,) if threads else tuple(n for n in (1, 2) if n <= (os.cpu_count() or 1))
    per_round, checks, blas_default = run(repeats, rounds, counts)
    step, parts = tables(per_round, counts, torch is not None)
    section = SECTION + (f" {threads} thread(s)" if threads else "")
    agree = (", ".join(f"{d} {e:.1e}" for d, e in checks.items()) if checks
             else "not checked (no PyTorch)")
    torch_env = (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
                 if torch is not None else "")
    blas_env = ("" if ThreadpoolController else "; threadpoolctl not installed, OpenBLAS "
                "threads at their default")
    return section, (
        "## A training step of assignment 3's CNN against torch.nn\n\n"
        f"`{COMMAND} --only step{f' --threads {threads}' if threads else ''}` (`make bench` "
        "runs all). The network of assignment 3 (conv 16 5x5 pad 2, ReLU, max pool 2x2, "
        "conv 32 5x5, ReLU, max pool 2x2, fully connected to 10, softmax cross-entropy), "
        "input (64, 28, 28, 1); one step = forward + backward with every parameter's "
        "gradient. deepgrad: the notebook's `cnn_loss` (deepgrad.layers, NumPy for ReLU, fc "
        "and softmax), which also returns dX; a training step needs no input gradient, so "
        "the step timed first skips conv1's dx (`layers.conv_backward(..., need_dx=False)`), "
        "as PyTorch's does. PyTorch: the same network in `torch.nn` on NCHW tensors, "
        "`zero_grad()`, `cross_entropy`, `loss.backward()`. The last three columns compare "
        "both with dX (PyTorch: `requires_grad` on the input). The parts table below is of "
        "the step without dX, on both sides. Both compute the same loss and gradients from the same weights "
        f"before timing (largest relative error, 2-norm: {agree}). Milliseconds per step, "
        f"median of {rounds} rounds of {repeats} steps; every row and part below took turns "
        "in one process. N threads: Numba, PyTorch and NumPy's OpenBLAS each on N; idle "
        "OpenMP threads sleep (deepgrad.kernels sets `OMP_WAIT_POLICY=PASSIVE`, before "
        f"PyTorch is imported: here {os.environ.get('OMP_WAIT_POLICY', 'unset')}). Ratio: "
        "deepgrad's time / PyTorch's (< 1: faster than PyTorch), in brackets the lowest "
        "and highest of the rounds' ratios (the two timed in the same round).\n\n" + step + "\n\n"
        "### Where the step's time goes\n\n"
        "Each layer's forward and backward alone, on the step's own arrays, in the same "
        "alternating rounds (PyTorch: the aten ops autograd calls, without the graph). The "
        "step minus the layers is the glue: ReLU and its masks, reshapes and copies, the "
        "softmax (PyTorch: also autograd's bookkeeping and `zero_grad`). Milliseconds.\n\n"
        + parts + "\n\n"
        "### NumPy's BLAS threads inside deepgrad's step\n\n"
        f"deepgrad's step with Numba on {max(counts)} threads, NumPy's OpenBLAS (the fully "
        "connected layer's products) left at its default or limited to 1 thread with "
        "threadpoolctl, in the same alternating rounds.\n\n"
        + blas_table(per_round, counts, blas_default) + "\n\n"
        + environment(torch_env + blas_env) + ".")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    print(report(a.repeats, a.rounds, a.threads)[1])
