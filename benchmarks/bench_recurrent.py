"""Recurrent layers: deepgrad.recurrent against the course's NumPy cells and PyTorch CPU.

Forward + backward of a whole sequence (the hidden states' gradient in, every parameter's,
the input's and the initial state's gradient out) for the RNN, the LSTM and the GRU, at
the issue's shape (T=50, m=32, n_x=64, n_a=128) and at the character language model's
(T=12, m=64, n_x=16, n_a=128 and 64); and one whole training step of that language model
(embedding, LSTM, softmax output, cross-entropy, backward, SGD update) against the same
model in PyTorch. The NumPy baseline is tests/support/recurrent_reference.py (one cell at a
time, every gate its own product), in the benchmark's dtype. Every implementation is
checked against the others on the benchmark's own inputs before anything is timed;
deepgrad and PyTorch are timed in alternating blocks (``timing.alternating_medians``).
PyTorch's GRU puts its reset gate after the product (``r * (W_hn a + b_hn)``), the course's
before (``Wc [r * a; x]``): the same work, a slightly different cell.

Run: ``python -m benchmarks.bench_recurrent [--threads N] [--repeats R] [--rounds K]``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from benchmarks.timing import alternating_medians, environment, median_ms
from deepgrad import recurrent
from tests.support import recurrent_reference as ref

try:
    import torch
except ImportError:  # torch is optional: benchmarks/requirements.txt
    torch = None

SECTION = "recurrent layers benchmark"
COMMAND = "python -m benchmarks.bench_recurrent"
# (label, T, m, n_x, n_a)
SHAPES = [("T=50, m=32, n_x=64, n_a=128", 50, 32, 64, 128),
          ("char model: T=12, m=64, n_x=16, n_a=128", 12, 64, 16, 128),
          ("char model: T=12, m=64, n_x=16, n_a=64", 12, 64, 16, 64)]
KINDS = ("lstm", "gru", "rnn")
GATES = {"lstm": "fico", "gru": "urc"}
# The language model's step: vocabulary (26 letters, end token, padding), embedding size.
LM = dict(V=28, n_e=16, n_a=128, m=64, T=12)


# ----------------------------------------------------------------------------- layers
def make_params(kind, n_x, n_a, dtype, rng):
    s = 1.0 / np.sqrt(n_a + n_x)
    if kind == "rnn":
        p = {"Waa": rng.standard_normal((n_a, n_a)) * s,
             "Wax": rng.standard_normal((n_a, n_x)) * s, "ba": np.zeros((n_a, 1))}
    else:
        p = {}
        for g in GATES[kind]:
            p["W" + g] = rng.standard_normal((n_a, n_a + n_x)) * s
            p["b" + g] = rng.standard_normal((n_a, 1)) * 0.1
    return {k: v.astype(dtype) for k, v in p.items()}


def lib_step(kind, x, a0, p, da):
    if kind == "rnn":
        a, cache = recurrent.rnn_forward(x, a0, p)
        return a, recurrent.rnn_backward(da, cache)
    if kind == "lstm":
        a, c, cache = recurrent.lstm_forward(x, a0, p)
        return a, recurrent.lstm_backward(da, cache)
    a, cache = recurrent.gru_forward(x, a0, p)
    return a, recurrent.gru_backward(da, cache)


def numpy_step(kind, x, a0, p, da):
    if kind == "rnn":
        a, cache = ref.rnn_forward(x, a0, p)
        return a, ref.rnn_backward(da, cache)
    if kind == "lstm":
        a, c, cache = ref.lstm_forward(x, a0, p)
        return a, ref.lstm_backward(da, cache)
    a, cache = ref.gru_forward(x, a0, p)
    return a, ref.gru_backward(da, cache)


class TorchLayer:
    """nn.RNN / nn.LSTM / nn.GRU with the same weights (GRU: its own cell), time-major
    tensors converted once (not timed); forward + backward with the input's gradient."""

    def __init__(self, kind, x, a0, p, da):
        n_x, m, T = x.shape
        n_a = a0.shape[0]
        dt = torch.float32 if x.dtype == np.float32 else torch.float64
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
        self.net = cls(n_x, n_a).to(dt)
        if kind == "rnn":
            w = {"weight_ih_l0": p["Wax"], "weight_hh_l0": p["Waa"],
                 "bias_ih_l0": p["ba"][:, 0], "bias_hh_l0": np.zeros(n_a)}
        else:
            order = "ifco" if kind == "lstm" else "ruc"  # PyTorch's gate orders
            Wcat = np.concatenate([p["W" + g] for g in order])
            w = {"weight_ih_l0": Wcat[:, n_a:], "weight_hh_l0": Wcat[:, :n_a],
                 "bias_ih_l0": np.concatenate([p["b" + g][:, 0] for g in order]),
                 "bias_hh_l0": np.zeros(Wcat.shape[0])}
        self.net.load_state_dict({k: torch.tensor(v, dtype=dt) for k, v in w.items()})
        self.x = torch.tensor(x.transpose(2, 1, 0).copy(), requires_grad=True)
        h0 = torch.tensor(a0.T[None].copy())
        self.state = h0 if kind != "lstm" else (h0, torch.zeros_like(h0))
        self.da = torch.tensor(da.transpose(2, 1, 0).copy())

    def step(self):
        out, _ = self.net(self.x, self.state)
        out.backward(self.da)
        return out


def check_layer(kind, x, a0, p, da, tl):
    tol = dict(rtol=2e-3, atol=2e-4) if x.dtype == np.float32 else dict(rtol=1e-9,
                                                                        atol=1e-10)
    a, grads = lib_step(kind, x, a0, p, da)
    small = slice(0, 4)  # the NumPy cells on a few examples (they are exact per example)
    na, ng = numpy_step(kind, x[:, small], a0[:, small], p, da[:, small])
    np.testing.assert_allclose(a[:, small], na, **tol)
    np.testing.assert_allclose(grads["dx"][:, small], ng["dx"], **tol)
    if tl is not None and kind != "gru":
        out = tl.step()
        np.testing.assert_allclose(out.detach().numpy().transpose(2, 1, 0), a, **tol)
        np.testing.assert_allclose(tl.x.grad.numpy().transpose(2, 1, 0), grads["dx"], **tol)


def run_layers(repeats, rounds):
    rows = []
    for label, T, m, n_x, n_a in SHAPES:
        for kind in KINDS:
            for dtype in (np.float32, np.float64):
                rng = np.random.default_rng(0)
                x = rng.standard_normal((n_x, m, T)).astype(dtype)
                a0 = np.zeros((n_a, m), dtype=dtype)
                p = make_params(kind, n_x, n_a, dtype, rng)
                da = rng.standard_normal((n_a, m, T)).astype(dtype)
                tl = TorchLayer(kind, x, a0, p, da) if torch is not None else None
                check_layer(kind, x, a0, p, da, tl)
                t = {"numpy": median_ms(lambda: numpy_step(kind, x, a0, p, da),
                                        max(2, repeats // 5))}
                timed = {"lib": lambda: lib_step(kind, x, a0, p, da)}
                if tl is not None:
                    timed["torch"] = tl.step
                t.update(alternating_medians(timed, repeats, rounds))
                rows.append((label, kind.upper(), np.dtype(dtype).name, t))
    return rows


# ----------------------------------------------------------------------------- LM step
def lm_problem(dtype, seed=0):
    V, n_e, n_a, m, T = (LM[k] for k in ("V", "n_e", "n_a", "m", "T"))
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, (m, T + 1))  # input characters and the next ones
    p = make_params("lstm", n_e, n_a, dtype, rng)
    p["E"] = (0.1 * rng.standard_normal((n_e, V))).astype(dtype)
    p["Wya"] = (rng.standard_normal((V, n_a)) / np.sqrt(n_a)).astype(dtype)
    p["by"] = np.zeros((V, 1), dtype=dtype)
    return ids, p


def lib_lm_step(ids, p, lr=0.1):
    """One SGD step of embedding -> LSTM -> softmax; returns the mean loss per character."""
    x_ids, y_ids = ids[:, :-1], ids[:, 1:]
    m, T = x_ids.shape
    n_a = p["Wya"].shape[1]
    x, ecache = recurrent.embedding_forward(x_ids, p["E"])
    a0 = np.zeros((n_a, m), dtype=x.dtype)
    a, _, cache = recurrent.lstm_forward(x, a0, p)
    A = a.reshape(n_a, m * T)
    z = p["Wya"] @ A + p["by"]
    z -= z.max(axis=0, keepdims=True)
    e = np.exp(z)
    prob = e / e.sum(axis=0, keepdims=True)
    y = y_ids.reshape(-1)
    cols = np.arange(m * T)
    loss = -np.log(prob[y, cols]).mean()
    dz = prob
    dz[y, cols] -= 1
    dz /= m * T
    grads = {"Wya": dz @ A.T, "by": dz.sum(axis=1, keepdims=True)}
    da = (p["Wya"].T @ dz).reshape(n_a, m, T)
    g = recurrent.lstm_backward(da, cache)
    grads["E"] = recurrent.embedding_backward(g["dx"], ecache)
    for k in ("Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"):
        grads[k] = g["d" + k]
    for k, v in grads.items():
        p[k] -= lr * v
    return float(loss)


class TorchLM:
    def __init__(self, ids, p):
        dt = torch.float32 if p["E"].dtype == np.float32 else torch.float64
        n_e, V = p["E"].shape
        n_a = p["Wya"].shape[1]
        self.emb = torch.nn.Embedding(V, n_e).to(dt)
        self.lstm = torch.nn.LSTM(n_e, n_a).to(dt)
        self.out = torch.nn.Linear(n_a, V).to(dt)
        with torch.no_grad():
            self.emb.weight.copy_(torch.tensor(p["E"].T))
            Wcat = np.concatenate([p["W" + g] for g in "ifco"])
            self.lstm.weight_ih_l0.copy_(torch.tensor(Wcat[:, n_a:]))
            self.lstm.weight_hh_l0.copy_(torch.tensor(Wcat[:, :n_a]))
            self.lstm.bias_ih_l0.copy_(torch.tensor(
                np.concatenate([p["b" + g][:, 0] for g in "ifco"])))
            self.lstm.bias_hh_l0.zero_()
            self.out.weight.copy_(torch.tensor(p["Wya"]))
            self.out.bias.copy_(torch.tensor(p["by"][:, 0]))
        params = [*self.emb.parameters(), *self.lstm.parameters(), *self.out.parameters()]
        self.opt = torch.optim.SGD(params, lr=0.1)
        self.x = torch.tensor(ids[:, :-1].T.copy())  # (T, m), time-major
        self.y = torch.tensor(ids[:, 1:].T.copy()).reshape(-1)

    def step(self):
        self.opt.zero_grad()
        h, _ = self.lstm(self.emb(self.x))
        logits = self.out(h).reshape(-1, self.out.out_features)
        loss = torch.nn.functional.cross_entropy(logits, self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def run_lm(repeats, rounds):
    rows = []
    for dtype in (np.float32, np.float64):
        ids, p = lm_problem(dtype)
        t = {}
        if torch is not None:  # same model, same first loss, same loss after a step
            tlm = TorchLM(ids, p)
            q = {k: v.copy() for k, v in p.items()}
            losses = [lib_lm_step(ids, q) for _ in range(2)]
            tlosses = [tlm.step() for _ in range(2)]
            np.testing.assert_allclose(losses, tlosses, rtol=1e-4)
            tlm = TorchLM(ids, p)
        timed = {"lib": lambda: lib_lm_step(ids, p, lr=0.0)}
        if torch is not None:
            timed["torch"] = tlm.step
        t.update(alternating_medians(timed, repeats, rounds))
        rows.append((np.dtype(dtype).name, t))
    return rows


# ----------------------------------------------------------------------------- report
def fmt(ms, ref=None, bold=False):
    txt = f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"
    if ref is not None:
        txt += f" ({ms / ref:.2f}x)"
    return f"**{txt}**" if bold else txt


def report(repeats: int = 20, threads: int | None = None,
           rounds: int = 3) -> tuple[str, str]:
    """(section name, markdown) of this benchmark; ``threads`` sets Numba's and PyTorch's
    thread counts (default: all cores)."""
    import numba

    if threads:
        numba.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(numba.get_num_threads())
    rows = run_layers(repeats, rounds)
    lm = run_lm(repeats, rounds)
    lines = ["| shape | layer | dtype | NumPy cells ms | **deepgrad** ms | PyTorch ms |",
             "|---|---|---|---:|---:|---:|"]
    for label, kind, dtype, t in rows:
        r = t.get("torch")
        lines.append(f"| {label} | {kind} | {dtype} | {fmt(t['numpy'], r)} | "
                     f"{fmt(t['lib'], r, True)} | {fmt(r) if r is not None else 'n/a'} |")
    lines += ["", "| language-model training step | dtype | **deepgrad** ms | PyTorch ms |",
              "|---|---|---:|---:|"]
    for dtype, t in lm:
        r = t.get("torch")
        lines.append(f"| embedding {LM['V']}x{LM['n_e']}, LSTM {LM['n_a']}, softmax, SGD; "
                     f"m={LM['m']}, T={LM['T']} | {dtype} | {fmt(t['lib'], r, True)} | "
                     f"{fmt(r) if r is not None else 'n/a'} |")
    if torch is None:
        lines.append("\nPyTorch is not installed (`pip install -r benchmarks/"
                     "requirements.txt`): no ratios.")
    torch_env = (f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
                 if torch is not None else "")
    title = f" ({threads} thread{'s' if threads > 1 else ''} each)" if threads else ""
    return SECTION, (
        f"## Recurrent layers: forward + backward{title}\n\n"
        f"`{COMMAND}{f' --threads {threads}' if threads else ''}`. Milliseconds per "
        f"forward + backward of a whole sequence (median; deepgrad and PyTorch: median of "
        f"{rounds} alternating rounds of {repeats} calls) and, in brackets, the ratio to "
        "PyTorch CPU in the same run (< 1: faster than PyTorch). NumPy cells: the course's "
        "cell-by-cell layers (tests/support/recurrent_reference.py). PyTorch: nn.RNN / "
        "nn.LSTM / nn.GRU forward and autograd backward, input gradient included.\n\n"
        + "\n".join(lines) + "\n\n" + environment(torch_env) + ".")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    print(report(args.repeats, args.threads, args.rounds)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
