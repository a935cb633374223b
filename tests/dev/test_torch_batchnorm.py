"""The training notebook's batch norm, dropout and network against PyTorch (an oracle; skipped
without torch).

The solution's functions are taken from source/04_optimization/training.ipynb (the answer cells
with their solution, exec'd in a fresh namespace) and compared in float64 with
``torch.nn.BatchNorm1d``, ``torch.nn.functional.dropout`` and autograd.

Conventions that differ, and how they are matched:
- Layout: the notebook's ``x`` is ``(n, m)`` (one example per column); BatchNorm1d takes ``(m, n)``:
  every comparison transposes.
- Momentum: the notebook keeps ``running = momentum * running + (1 - momentum) * batch`` with
  ``momentum = 0.9`` by default; PyTorch's ``momentum`` is the weight of the *batch* (default
  0.1): the notebook's ``momentum`` rho is PyTorch's ``1 - rho``.
- Running variance: the notebook averages the **biased** batch variance (divide by m, the one it
  normalizes with); PyTorch normalizes with the biased variance too but stores the **unbiased** one
  (divide by m - 1) in ``running_var``. The comparison converts: per step, PyTorch's increment
  ``(1 - rho) * var_unbiased`` is the notebook's ``(1 - rho) * var_biased`` times ``m / (m - 1)``.
- Dropout: PyTorch draws its own mask (``p`` is the probability of *dropping*, the notebook's
  ``1 - keep_prob``); the comparison checks the scaling of the kept units, the zeros, the mean
  over many masks, and the identity at evaluation -- and the backward pass through a given mask
  against autograd.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.support.solutions import solution_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "source" / "04_optimization" / "training.ipynb"
CELLS = ("bring_layers", "bring_softmax", "batchnorm_forward", "batchnorm_backward", "dropout", "network")


@pytest.fixture(scope="module")
def sol():
    """The solution's functions, exec'd from the notebook's answer cells."""
    return solution_namespace(NOTEBOOK, CELLS, {"copy": copy, "EPS": 1e-12})


def _t(a):
    return torch.tensor(np.ascontiguousarray(a), dtype=torch.float64)


def _bn_torch(n, eps, rho, gamma, beta):
    bn = torch.nn.BatchNorm1d(n, eps=eps, momentum=1 - rho, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(_t(gamma.ravel()))
        bn.bias.copy_(_t(beta.ravel()))
    return bn


@pytest.mark.parametrize("n,m,eps,rho", [(5, 16, 1e-5, 0.9), (3, 4, 1e-3, 0.8), (1, 7, 1e-2, 0.5), (8, 64, 1e-5, 0.99)])
def test_train_mode_and_running_averages(sol, n, m, eps, rho):
    rng = np.random.default_rng(n * 100 + m)
    scales = np.logspace(-3, 3, n).reshape(n, 1)          # features of very different scales
    gamma, beta = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    bn = _bn_torch(n, eps, rho, gamma, beta)
    bn.train()
    bn_param = {"mode": "train", "eps": eps, "momentum": rho,
                "running_mean": np.zeros((n, 1)), "running_var": np.ones((n, 1))}   # torch's start
    for step in range(5):
        x = rng.normal(size=(n, m)) * scales + rng.normal(size=(n, 1)) * scales
        rv_before = bn.running_var.detach().numpy().copy()
        ours_before = bn_param["running_var"].ravel().copy()
        out, _ = sol["batchnorm_forward"](x, gamma, beta, bn_param)
        ref = bn(_t(x.T)).detach().numpy().T
        np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(bn_param["running_mean"].ravel(), bn.running_mean.numpy(), rtol=1e-9, atol=1e-12)
        # torch's increment is the notebook's times m / (m - 1) (unbiased variance)
        ours_inc = bn_param["running_var"].ravel() - rho * ours_before
        torch_inc = bn.running_var.numpy() - rho * rv_before
        np.testing.assert_allclose(torch_inc, ours_inc * m / (m - 1), rtol=1e-6)  # a difference of two sums: rounding
        # keep the two running variances equal for the next step (they differ by the convention)
        with torch.no_grad():
            bn.running_var.copy_(_t(bn_param["running_var"].ravel()))


@pytest.mark.parametrize("n,m", [(4, 9), (2, 1), (6, 32)])
def test_eval_mode_uses_running_averages_and_changes_nothing(sol, n, m):
    rng = np.random.default_rng(7 + n)
    gamma, beta = rng.normal(size=(n, 1)), rng.normal(size=(n, 1))
    rm, rv = rng.normal(size=(n, 1)) * 10, rng.uniform(0.01, 100, size=(n, 1))
    x = rng.normal(size=(n, m)) * 10
    bn = _bn_torch(n, 1e-5, 0.9, gamma, beta)
    with torch.no_grad():
        bn.running_mean.copy_(_t(rm.ravel()))
        bn.running_var.copy_(_t(rv.ravel()))
    bn.eval()
    bn_param = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy()}
    out, _ = sol["batchnorm_forward"](x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, bn(_t(x.T)).detach().numpy().T, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(bn_param["running_mean"], rm)
    np.testing.assert_array_equal(bn_param["running_var"], rv)
    np.testing.assert_array_equal(bn.running_mean.numpy(), rm.ravel())


@pytest.mark.parametrize("n,m,eps", [(5, 16, 1e-5), (3, 2, 1e-3), (1, 6, 1e-5), (7, 33, 1e-1)])
def test_backward_against_autograd(sol, n, m, eps):
    rng = np.random.default_rng(n + 13 * m)
    x = rng.normal(size=(n, m)) * np.logspace(-2, 2, n).reshape(n, 1)
    gamma, beta, dout = rng.normal(size=(n, 1)), rng.normal(size=(n, 1)), rng.normal(size=(n, m))
    _, cache = sol["batchnorm_forward"](x, gamma, beta, {"mode": "train", "eps": eps})
    dx, dgamma, dbeta = sol["batchnorm_backward"](dout, cache)
    bn = _bn_torch(n, eps, 0.9, gamma, beta)
    bn.train()
    xt = _t(x.T).requires_grad_(True)
    (bn(xt) * _t(dout.T)).sum().backward()
    np.testing.assert_allclose(dx, xt.grad.numpy().T, rtol=1e-8, atol=1e-10 * np.abs(dx).max())
    np.testing.assert_allclose(dgamma.ravel(), bn.weight.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dbeta.ravel(), bn.bias.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("keep_prob", [0.2, 0.5, 0.9, 1.0])
def test_dropout_against_torch(sol, keep_prob):
    rng = np.random.default_rng(int(keep_prob * 10))
    x = rng.uniform(0.5, 2.0, size=(50, 400)) * rng.choice([-1.0, 1.0], size=(50, 400))   # no zeros
    ours, cache = sol["dropout_forward"](x, keep_prob, "train", np.random.default_rng(0))
    torch.manual_seed(0)
    theirs = torch.nn.functional.dropout(_t(x), p=1 - keep_prob, training=True).numpy()
    for out in (ours, theirs):
        kept = out != 0
        np.testing.assert_allclose(out[kept], x[kept] / keep_prob, rtol=1e-12)   # inverted scaling
        assert abs(kept.mean() - keep_prob) < 0.02                                # keep_prob kept
    # evaluation: the identity in both
    np.testing.assert_array_equal(sol["dropout_forward"](x, keep_prob, "test", np.random.default_rng(0))[0], x)
    np.testing.assert_array_equal(torch.nn.functional.dropout(_t(x), p=1 - keep_prob, training=False).numpy(), x)
    # backward through our mask against autograd of the same masked function
    mask = _t((ours != 0).astype(float))
    xt = _t(x).requires_grad_(True)
    dout = rng.normal(size=x.shape)
    (xt * mask / keep_prob * _t(dout)).sum().backward()
    np.testing.assert_allclose(sol["dropout_backward"](dout, cache), xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_network_against_torch(sol, batch_norm):
    """The whole network_forward / network_backward (no dropout) against a torch.nn stack."""
    rng = np.random.default_rng(3)
    dims, m = [6, 8, 5, 4], 10
    X, y = rng.normal(size=(6, m)), rng.integers(0, 4, size=m)
    Y = np.eye(4)[:, y]
    params, layers = {}, []
    for l in range(1, 4):
        W, b = rng.normal(size=(dims[l], dims[l - 1])) / np.sqrt(dims[l - 1]), rng.normal(size=(dims[l], 1))
        params[f"W{l}"], params[f"b{l}"] = W, b
        lin = torch.nn.Linear(dims[l - 1], dims[l], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(_t(W))
            lin.bias.copy_(_t(b.ravel()))
        layers.append(lin)
        if l < 3:
            if batch_norm:
                gamma, beta = rng.normal(1, 0.3, size=(dims[l], 1)), rng.normal(size=(dims[l], 1))
                params[f"gamma{l}"], params[f"beta{l}"] = gamma, beta
                layers.append(_bn_torch(dims[l], 1e-5, 0.9, gamma, beta))
            layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).train()
    bn_params = [{}, {}] if batch_norm else None
    AL, caches = sol["network_forward"](X, params, bn_params, 1.0, "train", None)
    grads = sol["network_backward"](AL, Y, caches)
    logits = net(_t(X.T))
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    np.testing.assert_allclose(AL, torch.softmax(logits, dim=1).detach().numpy().T, rtol=1e-9, atol=1e-12)
    k = 0
    for l in range(1, 4):
        lin = net[k]
        np.testing.assert_allclose(grads[f"dW{l}"], lin.weight.grad.numpy(), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(grads[f"db{l}"].ravel(), lin.bias.grad.numpy(), rtol=1e-8, atol=1e-12)
        k += 1
        if l < 3:
            if batch_norm:
                np.testing.assert_allclose(grads[f"dgamma{l}"].ravel(), net[k].weight.grad.numpy(), rtol=1e-8, atol=1e-12)
                np.testing.assert_allclose(grads[f"dbeta{l}"].ravel(), net[k].bias.grad.numpy(), rtol=1e-8, atol=1e-12)
                k += 1
            k += 1
