"""The recurrent kernels (deepgrad.recurrent over deepgrad.kernels.recurrent) give the
numbers of independent references: the course's cell-by-cell NumPy layers
(tests/support/recurrent_reference.py), PyTorch's nn.RNN / nn.LSTM when it is importable
(never a course dependency; its GRU puts the reset gate after the product, so it is not the
course's GRU), and a central-difference numerical gradient.

Every agreement test also runs the kernels as plain Python through ``.py_func`` (what
``NUMBA_DISABLE_JIT=1`` runs), on small shapes; one test runs a child process with that
variable set. These tests are re-run with ``NUMBA_BOUNDSCHECK=1``
(tests/lib/test_kernels_boundscheck.py): shapes stay small to keep that run cheap.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad import recurrent
from deepgrad.kernels import recurrent as krec
from tests.support import recurrent_reference as ref
from tests.support.strategies import float_dtypes, seeds

try:  # an optional third opinion
    import torch
except ImportError:  # pragma: no cover - torch is not a course dependency
    torch = None

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

REPO = Path(__file__).resolve().parents[2]
KERNELS = ["_tanh32", "_tanh", "_sigmoid", "_load_step", "_store_step",
           "_part_grads", "_rnn_forward", "_rnn_backward",
           "_lstm_forward", "_lstm_backward", "_gru_forward", "_gru_backward",
           "_embedding_backward"]
TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=2e-4, atol=2e-4)}
GATES = {"rnn": None, "lstm": "fico", "gru": "urc"}


@contextlib.contextmanager
def plain_python():
    """Run the layers on the kernels' Python source, as NUMBA_DISABLE_JIT=1 does."""
    with contextlib.ExitStack() as stack:
        for name in KERNELS:
            kernel = getattr(krec, name)
            stack.enter_context(mock.patch.object(krec, name,
                                                  getattr(kernel, "py_func", kernel)))
        yield


MODES = {"compiled": contextlib.nullcontext, "py_func": plain_python}


# ----------------------------------------------------------------------------- problems
def make_params(kind, n_x, n_a, dtype, rng, scale=0.7):
    """Random parameters of a layer, in the course's names and shapes."""
    if kind == "rnn":
        p = {"Waa": rng.standard_normal((n_a, n_a)), "Wax": rng.standard_normal((n_a, n_x)),
             "ba": rng.standard_normal((n_a, 1))}
    else:
        p = {}
        for g in GATES[kind]:
            p["W" + g] = rng.standard_normal((n_a, n_a + n_x))
            p["b" + g] = rng.standard_normal((n_a, 1))
    return {k: (scale * v).astype(dtype) for k, v in p.items()}


def make_problem(kind, n_x, n_a, m, T, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_x, m, T)).astype(dtype)
    a0 = rng.standard_normal((n_a, m)).astype(dtype)
    da = rng.standard_normal((n_a, m, T)).astype(dtype)
    return x, a0, make_params(kind, n_x, n_a, dtype, rng), da


def run_layer(kind, x, a0, p, da, c0=None, dc=None):
    """(states, grads) through deepgrad.recurrent; states is (a,) or (a, c)."""
    if kind == "rnn":
        a, cache = recurrent.rnn_forward(x, a0, p)
        return (a,), recurrent.rnn_backward(da, cache)
    if kind == "lstm":
        a, c, cache = recurrent.lstm_forward(x, a0, p, c0)
        return (a, c), recurrent.lstm_backward(da, cache, dc)
    a, cache = recurrent.gru_forward(x, a0, p)
    return (a,), recurrent.gru_backward(da, cache)


def run_reference(kind, x, a0, p, da, c0=None, dc=None):
    if kind == "rnn":
        a, cache = ref.rnn_forward(x, a0, p)
        return (a,), ref.rnn_backward(da, cache)
    if kind == "lstm":
        a, c, cache = ref.lstm_forward(x, a0, p, c0)
        return (a, c), ref.lstm_backward(da, cache, dc)
    a, cache = ref.gru_forward(x, a0, p)
    return (a,), ref.gru_backward(da, cache)


def assert_same(got, want, tol):
    states, grads = got
    wstates, wgrads = want
    for s, w in zip(states, wstates):
        np.testing.assert_allclose(s, w, **tol)
    assert set(grads) == set(wgrads)
    for k in wgrads:
        assert grads[k].shape == wgrads[k].shape, k
        np.testing.assert_allclose(grads[k], wgrads[k], err_msg=k, **tol)


# ----------------------------------------------------------------------------- agreement
@settings(max_examples=60)
@given(kind=st.sampled_from(list(GATES)), n_x=st.integers(1, 4), n_a=st.integers(1, 5),
       m=st.integers(1, 4), T=st.integers(1, 5), dtype=float_dtypes, seed=seeds,
       plain=st.booleans(), layout=st.sampled_from(["C", "F", "strided"]),
       cell=st.booleans())
def test_property_layers_match_the_numpy_reference(kind, n_x, n_a, m, T, dtype, seed, plain,
                                                   layout, cell):
    x, a0, p, da = make_problem(kind, n_x, n_a, m, T, dtype, seed)
    rng = np.random.default_rng(seed + 1)
    c0 = rng.standard_normal((n_a, m)).astype(dtype) if cell else None
    dc = rng.standard_normal((n_a, m, T)).astype(dtype) if cell else None
    want = run_reference(kind, x, a0, p, da, c0, dc)
    if layout == "F":  # any memory layout is accepted
        x, a0, da = np.asfortranarray(x), np.asfortranarray(a0), np.asfortranarray(da)
        p = {k: np.asfortranarray(v) for k, v in p.items()}
    elif layout == "strided":
        x = np.repeat(x, 2, axis=1)[:, ::2]
        da = np.repeat(da, 2, axis=2)[:, :, ::2]
    with (plain_python() if plain else contextlib.nullcontext()):
        got = run_layer(kind, x, a0, p, da, c0, dc)
    assert all(s.dtype == dtype for s in got[0]) and all(g.dtype == dtype
                                                        for g in got[1].values())
    assert_same(got, want, TOL[dtype])


@pytest.mark.parametrize("kind", list(GATES))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_batch_matches_the_reference(kind, dtype):
    """m = 37: the batch is split into one part per thread (uneven parts)."""
    x, a0, p, da = make_problem(kind, 6, 9, 37, 7, dtype, seed=11)
    assert krec._parts(37) == min(krec.numba.get_num_threads(), 37 // krec._MIN_PART)
    assert_same(run_layer(kind, x, a0, p, da), run_reference(kind, x, a0, p, da),
                TOL[dtype])


@pytest.mark.parametrize("nparts", [1, 2, 3])
def test_every_split_of_the_batch_gives_the_same_numbers(nparts):
    x, a0, p, da = make_problem("lstm", 3, 4, 10, 3, np.float64, seed=5)
    want = run_reference("lstm", x, a0, p, da)
    with mock.patch.object(krec, "_parts", lambda m: nparts):
        assert_same(run_layer("lstm", x, a0, p, da), want, TOL[np.float64])


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
@settings(max_examples=30)
@given(kind=st.sampled_from(["rnn", "lstm"]), n_x=st.integers(1, 4), n_a=st.integers(1, 5),
       m=st.sampled_from([1, 2, 3, 17]), T=st.integers(1, 5), seed=seeds)
def test_property_layers_match_pytorch(kind, n_x, n_a, m, T, seed):
    x, a0, p, da = make_problem(kind, n_x, n_a, m, T, np.float64, seed)
    (a, *_), grads = run_layer(kind, x, a0, p, da)
    xt = torch.tensor(x.transpose(2, 1, 0), requires_grad=True)
    h0 = torch.tensor(a0.T[None].copy(), requires_grad=True)
    if kind == "rnn":
        net = torch.nn.RNN(n_x, n_a, nonlinearity="tanh").double()
        w = {"weight_ih_l0": p["Wax"], "weight_hh_l0": p["Waa"],
             "bias_ih_l0": p["ba"][:, 0], "bias_hh_l0": np.zeros(n_a)}
        state = h0
    else:
        net = torch.nn.LSTM(n_x, n_a).double()
        order = "ifco"  # PyTorch's gate order: input, forget, cell (g), output
        Wcat = np.concatenate([p["W" + g] for g in order])
        w = {"weight_ih_l0": Wcat[:, n_a:], "weight_hh_l0": Wcat[:, :n_a],
             "bias_ih_l0": np.concatenate([p["b" + g][:, 0] for g in order]),
             "bias_hh_l0": np.zeros(4 * n_a)}
        state = (h0, torch.zeros(1, m, n_a, dtype=torch.float64))
    net.load_state_dict({k: torch.tensor(v) for k, v in w.items()})
    out, _ = net(xt, state)
    np.testing.assert_allclose(out.detach().numpy().transpose(2, 1, 0), a, rtol=1e-10,
                               atol=1e-12)
    out.backward(torch.tensor(da.transpose(2, 1, 0)))
    np.testing.assert_allclose(grads["dx"], xt.grad.numpy().transpose(2, 1, 0), rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(grads["da0"], h0.grad.numpy()[0].T, rtol=1e-9, atol=1e-12)
    whh = net.weight_hh_l0.grad.numpy()
    wih = net.weight_ih_l0.grad.numpy()
    if kind == "rnn":
        np.testing.assert_allclose(grads["dWaa"], whh, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads["dWax"], wih, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(grads["dba"][:, 0], net.bias_ih_l0.grad.numpy(),
                                   rtol=1e-9, atol=1e-12)
    else:
        for k, g in enumerate("ifco"):
            rows = slice(k * n_a, (k + 1) * n_a)
            np.testing.assert_allclose(grads["dW" + g],
                                       np.concatenate([whh[rows], wih[rows]], axis=1),
                                       rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(grads["db" + g][:, 0],
                                       net.bias_ih_l0.grad.numpy()[rows], rtol=1e-9,
                                       atol=1e-12)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("kind", list(GATES))
def test_backward_matches_a_numerical_gradient(kind, run):
    n_x, n_a, m, T = 2, 3, 2, 4
    x, a0, p, da = make_problem(kind, n_x, n_a, m, T, np.float64, seed=7)
    rng = np.random.default_rng(8)
    c0 = rng.standard_normal((n_a, m)) if kind == "lstm" else None
    dc = rng.standard_normal((n_a, m, T)) if kind == "lstm" else None
    with run():
        _, grads = run_layer(kind, x, a0, p, da, c0, dc)

        def loss():
            states, _ = run_layer(kind, x, a0, p, da, c0, dc)
            return float(sum(np.sum(s * d) for s, d in zip(states, (da, dc))))

        arrays = {"dx": x, "da0": a0, **{"d" + k: v for k, v in p.items()}}
        if c0 is not None:
            arrays["dc0"] = c0
        assert set(arrays) == set(grads)
        for name, arr in arrays.items():
            for idx in {tuple(rng.integers(0, d) for d in arr.shape) for _ in range(4)}:
                old = arr[idx]
                arr[idx] = old + 1e-6
                up = loss()
                arr[idx] = old - 1e-6
                down = loss()
                arr[idx] = old
                assert grads[name][idx] == pytest.approx((up - down) / 2e-6, rel=1e-6,
                                                         abs=1e-8), (name, idx)


@settings(max_examples=25)
@given(V=st.integers(1, 6), n_e=st.integers(1, 4), m=st.integers(1, 4), T=st.integers(1, 5),
       dtype=float_dtypes, seed=seeds, plain=st.booleans())
def test_property_embedding_matches_one_hot_products(V, n_e, m, T, dtype, seed, plain):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((n_e, V)).astype(dtype)
    ids = rng.integers(0, V, (m, T)).astype(rng.choice([np.int64, np.int32, np.uint8]))
    dout = rng.standard_normal((n_e, m, T)).astype(dtype)
    with (plain_python() if plain else contextlib.nullcontext()):
        out, cache = recurrent.embedding_forward(ids, E)
        dE = recurrent.embedding_backward(dout, cache)
    want, onehot = ref.embedding_forward(ids, E)
    assert out.dtype == dE.dtype == dtype and dE.shape == E.shape
    np.testing.assert_array_equal(out, want)
    np.testing.assert_allclose(dE, ref.embedding_backward(dout, onehot), **TOL[dtype])


# ----------------------------------------------------------------------------- activations
@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
def test_float32_tanh_and_sigmoid_are_within_their_stated_error(run):
    v = np.concatenate([np.linspace(-12, 12, 4001), [0.0, 1e-30, -1e-6, 7.9, 40, -40]])
    v32 = v.astype(np.float32)
    with run():
        th = np.array([krec._tanh(s, True) for s in v32[::7]] if run is plain_python
                      else [krec._tanh(s, True) for s in v32])
        sg = np.array([krec._sigmoid(s, True) for s in v32[::7]] if run is plain_python
                      else [krec._sigmoid(s, True) for s in v32])
    vv = v32[::7] if run is plain_python else v32
    exact = np.tanh(vv.astype(np.float64))
    assert np.abs(th - exact).max() < 4e-7
    assert np.abs(sg - 1 / (1 + np.exp(-vv.astype(np.float64)))).max() < 4e-7
    assert (np.abs(th) <= 1).all() and ((sg >= 0) & (sg <= 1)).all()


def test_float64_activations_are_libm_exact_and_never_overflow():
    for s in (-1000.0, -30.0, -1.5, 0.0, 2.0, 800.0):
        assert krec._tanh(s, False) == math.tanh(s)
        assert krec._sigmoid(s, False) == pytest.approx(1 / (1 + np.exp(-s)) if s > -700
                                                        else 0.0, rel=1e-15, abs=1e-300)
        assert krec._sigmoid.py_func(s, False) == krec._sigmoid(s, False)


def test_nan_in_the_input_stays_a_nan():
    x, a0, p, da = make_problem("lstm", 2, 3, 2, 3, np.float64, seed=1)
    x[0, 0, 1] = np.nan
    (a, c), _ = run_layer("lstm", x, a0, p, da)
    assert np.isnan(a[:, 0, 1:]).all() and not np.isnan(a[:, 1]).any()


# ----------------------------------------------------------------------------- plain Python
def test_disable_jit_child_process_gives_the_same_numbers():
    code = """if True:
        import json, numpy as np
        from deepgrad import recurrent as R
        rng = np.random.default_rng(4)
        x = rng.standard_normal((3, 2, 4)); a0 = rng.standard_normal((5, 2))
        da = rng.standard_normal((5, 2, 4))
        p = {k: 0.5 * rng.standard_normal((5, 8)) for k in ("Wf", "Wi", "Wc", "Wo", "Wu",
                                                            "Wr")}
        p.update({k: rng.standard_normal((5, 1)) for k in ("bf", "bi", "bc", "bo", "bu",
                                                           "br")})
        p.update(Waa=p["Wf"][:, :5].copy(), Wax=p["Wf"][:, 5:].copy(), ba=p["bf"])
        out = {}
        a, c = R.rnn_forward(x, a0, p); out["rnn"] = R.rnn_backward(da, c)["dWaa"].tolist()
        a, cs, c = R.lstm_forward(x, a0, p)
        out["lstm"] = R.lstm_backward(da, c)["dx"].tolist()
        a, c = R.gru_forward(x, a0, p); out["gru"] = R.gru_backward(da, c)["dWc"].tolist()
        print(json.dumps(out))
    """
    runs = []
    for disable in ("1", "0"):
        run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                             text=True, timeout=300,
                             env=dict(os.environ, NUMBA_DISABLE_JIT=disable))
        assert run.returncode == 0 and run.stderr == "", run.stderr
        runs.append(json.loads(run.stdout))
    for kind in ("rnn", "lstm", "gru"):
        np.testing.assert_allclose(runs[0][kind], runs[1][kind], rtol=1e-12, atol=1e-14)
