"""The recurrent_networks notebook's RNN and LSTM against torch.nn.RNNCell / LSTMCell (an oracle;
skipped without torch).

The solution's functions are taken from source/05_rnn/recurrent_networks.ipynb (the answer cells
with their solution and the given helpers, exec'd in a fresh namespace), run in float64 over a
sequence, and compared with PyTorch's cells unrolled over the same sequence: the states, and the
gradients of sum(a * da) (autograd) against the notebook's backward passes.

Conventions, and how they are matched:
- Layout: the notebook is feature-major (n, m), PyTorch batch-major (m, n): inputs transposed.
- RNN: weight_ih = Wax, weight_hh = Waa, bias_ih = ba, bias_hh = 0.
- LSTM: PyTorch stacks the gates as (i, f, g, o); each notebook W (n_a, n_a + n_x) acts on
  [a_prev; x], so weight_hh = its first n_a columns, weight_ih the rest; bias_hh = 0.
- GRU: not compared. PyTorch's candidate is tanh(W_in x + r * (W_hn h + b_hn)) (the relevance
  gate applied after the product), the notebook's (and deepgrad.recurrent's) tanh(W_c [r * h; x] +
  b_c): different functions of the same parameters, not a convention to convert.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.support.solutions import solution_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "source" / "05_rnn" / "recurrent_networks.ipynb"
NAMES = ("rnn_cell_forward", "rnn_forward", "rnn_cell_backward", "rnn_backward",
         "lstm_cell_forward", "lstm_forward", "lstm_cell_backward", "lstm_backward")


@pytest.fixture(scope="module")
def nbfuncs():
    """The solution's RNN and LSTM (and the notebook's given LSTM helpers)."""
    return solution_namespace(NOTEBOOK, NAMES + ("lstm_helpers",))


def _t(a):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("n_x,n_a,m,T,seed", [(3, 4, 5, 6, 0), (1, 1, 1, 1, 1), (7, 3, 2, 9, 2)])
def test_rnn_against_torch(nbfuncs, n_x, n_a, m, T, seed):
    rng = np.random.default_rng(seed)
    p = {"Waa": rng.normal(size=(n_a, n_a)), "Wax": rng.normal(size=(n_a, n_x)), "ba": rng.normal(size=(n_a, 1)),
         "Wya": rng.normal(size=(2, n_a)), "by": rng.normal(size=(2, 1))}
    x, a0, da = rng.normal(size=(n_x, m, T)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T))
    a, _, caches = nbfuncs["rnn_forward"](x, a0, p)
    grads = nbfuncs["rnn_backward"](da, caches)

    cell = torch.nn.RNNCell(n_x, n_a, nonlinearity="tanh").double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(p["Wax"]))
        cell.weight_hh.copy_(torch.tensor(p["Waa"]))
        cell.bias_ih.copy_(torch.tensor(p["ba"][:, 0]))
        cell.bias_hh.zero_()
    xt, h = _t(x.transpose(1, 2, 0)), _t(a0.T)  # (m, T, n_x), (m, n_a)
    h_t, states = h, []
    for t in range(T):
        h_t = cell(xt[:, t], h_t)
        states.append(h_t)
    A = torch.stack(states, dim=2)  # (m, n_a, T)
    (A * torch.tensor(da.transpose(1, 0, 2))).sum().backward()
    np.testing.assert_allclose(a, A.detach().numpy().transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["dWaa"], cell.weight_hh.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["dWax"], cell.weight_ih.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["dba"][:, 0], cell.bias_ih.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["dx"], xt.grad.numpy().transpose(2, 0, 1), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["da0"], h.grad.numpy().T, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("n_x,n_a,m,T,seed", [(3, 4, 5, 6, 0), (1, 1, 1, 1, 1), (7, 3, 2, 9, 2)])
def test_lstm_against_torch(nbfuncs, n_x, n_a, m, T, seed):
    rng = np.random.default_rng(seed + 10)
    p = {("W" + g): rng.normal(size=(n_a, n_a + n_x)) for g in "fico"}
    p.update({("b" + g): rng.normal(size=(n_a, 1)) for g in "fico"})
    p.update({"Wya": rng.normal(size=(2, n_a)), "by": rng.normal(size=(2, 1))})
    x, a0, da = rng.normal(size=(n_x, m, T)), rng.normal(size=(n_a, m)), rng.normal(size=(n_a, m, T))
    a, _, c, caches = nbfuncs["lstm_forward"](x, a0, p)
    grads = nbfuncs["lstm_backward"](da, caches)

    order = "ifco"  # PyTorch's (i, f, g, o); the notebook's candidate is "c"
    cell = torch.nn.LSTMCell(n_x, n_a).double()
    with torch.no_grad():
        cell.weight_hh.copy_(torch.tensor(np.vstack([p["W" + g][:, :n_a] for g in order])))
        cell.weight_ih.copy_(torch.tensor(np.vstack([p["W" + g][:, n_a:] for g in order])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([p["b" + g][:, 0] for g in order])))
        cell.bias_hh.zero_()
    xt, h = _t(x.transpose(1, 2, 0)), _t(a0.T)
    h_t, c_t = h, torch.zeros(m, n_a, dtype=torch.float64)
    states, cells = [], []
    for t in range(T):
        h_t, c_t = cell(xt[:, t], (h_t, c_t))
        states.append(h_t)
        cells.append(c_t)
    A, C = torch.stack(states, dim=2), torch.stack(cells, dim=2)
    (A * torch.tensor(da.transpose(1, 0, 2))).sum().backward()
    np.testing.assert_allclose(a, A.detach().numpy().transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, C.detach().numpy().transpose(1, 0, 2), rtol=1e-10, atol=1e-12)
    gh, gi, gb = cell.weight_hh.grad.numpy(), cell.weight_ih.grad.numpy(), cell.bias_ih.grad.numpy()
    for k, g in enumerate(order):
        rows = slice(k * n_a, (k + 1) * n_a)
        np.testing.assert_allclose(grads["dW" + g], np.hstack([gh[rows], gi[rows]]), rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(grads["db" + g][:, 0], gb[rows], rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["dx"], xt.grad.numpy().transpose(2, 0, 1), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(grads["da0"], h.grad.numpy().T, rtol=1e-9, atol=1e-11)
