"""The optimizers notebook's update rules against torch.optim (an oracle; skipped without torch).

The solution's rules are taken from source/04_optimization/optimizers.ipynb (the answer cells
with their solution, exec'd in a fresh namespace) and run beside PyTorch's optimizers for 20 steps
in float64, on the gradient of a random quadratic plus noise *at the current parameters* (so a rule
that takes Nesterov's look-ahead in the wrong place drifts away), at gradient scales 1 and 1e-6
(at 1e-6, sqrt(cache) is ~1e-6: where epsilon goes, inside or outside the root, shows).

Conventions that differ, and how they are matched:
- Momentum: the notebook keeps v = mu v - lr g and adds it; PyTorch keeps buf = mu buf + g and
  subtracts lr buf (dampening 0). With a constant rate v = -lr buf: the same iterates.
- Nesterov: both store the look-ahead point. The notebook's w - mu v_prev + (1 + mu) v equals
  PyTorch's w - lr (g + mu buf) with v = -lr buf (both expand to
  w - lr (1 + mu) g - lr mu^2 buf_prev).
- AdaGrad: PyTorch's defaults are lr_decay 0 and initial_accumulator_value 0 (the notebook's
  cache starts at 0); its eps (default 1e-10) is set to the notebook's 1e-8, outside the root as
  in the notebook.
- RMSProp: PyTorch's alpha is the notebook's decay_rate (beta); momentum 0, centered False; eps
  outside the root in both.
- Adam: PyTorch divides by sqrt(v) / sqrt(1 - beta2^t) + eps and scales the rate by
  1 / (1 - beta1^t): the notebook's m_hat / (sqrt(v_hat) + eps), rearranged (rounding differs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from tests.support.solutions import solution_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "source" / "04_optimization" / "optimizers.ipynb"
RULES = ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam")
STEPS = 20


@pytest.fixture(scope="module")
def rules():
    """The solution's update rules, exec'd from the notebook's answer cells."""
    namespace = solution_namespace(NOTEBOOK, RULES)
    return {name: namespace[name] for name in RULES}


# (our config, the torch optimizer built on a parameter list with the same hyperparameters)
CASES = {
    "sgd": ({"learning_rate": 0.05},
            lambda p: torch.optim.SGD(p, lr=0.05)),
    "sgd_momentum": ({"learning_rate": 0.05, "momentum": 0.8},
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8)),
    "nesterov": ({"learning_rate": 0.05, "momentum": 0.8},
                 lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True)),
    "adagrad": ({"learning_rate": 0.1, "epsilon": 1e-8},
                lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-8)),
    "rmsprop": ({"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": 1e-8},
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8)),
    "adam": ({"learning_rate": 0.01, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-8},
             lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.95), eps=1e-8)),
}


def _problem(seed: int, shape: tuple[int, ...], scale: float):
    """A gradient field g(w) = scale * (A (w - c) + noise_k): random quadratic plus noise."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    B = rng.normal(size=(n, n))
    A = B @ B.T / n + 0.1 * np.eye(n)
    c = rng.normal(size=n)
    noise = rng.normal(size=(STEPS, n)) * 0.3
    w0 = rng.normal(size=shape)

    def grad(w: np.ndarray, k: int) -> np.ndarray:
        return (scale * (A @ (w.ravel() - c) + noise[k])).reshape(shape)

    return w0, grad


def _ours(rule, config, w0, grad):
    w, cfg, path = w0.copy(), dict(config), []
    for k in range(STEPS):
        w, cfg = rule(w, grad(w, k), cfg)
        path.append(np.array(w, copy=True))
    return np.array(path)


def _torch(make_opt, w0, grad):
    p = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = make_opt([p])
    path = []
    for k in range(STEPS):
        opt.zero_grad()
        p.grad = torch.from_numpy(grad(p.detach().numpy().copy(), k))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("scale", [1.0, 1e-6])
@pytest.mark.parametrize("shape", [(7,), (3, 4)])
@pytest.mark.parametrize("name", RULES)
def test_rule_matches_torch_optim(rules, name, shape, scale):
    config, make_opt = CASES[name]
    w0, grad = _problem(sum(map(ord, name)) + len(shape), shape, scale)
    ours = _ours(rules[name], config, w0, grad)
    theirs = _torch(make_opt, w0, grad)
    # relative to the distance travelled (at scale 1e-6 the iterates barely move from w0)
    travelled = np.abs(theirs - w0).max()
    np.testing.assert_allclose(ours - w0, theirs - w0, rtol=1e-6, atol=1e-9 * travelled,
                               err_msg=f"{name}: the notebook's rule drifts from torch.optim")


def test_defaults_are_torch_like_where_torch_has_them(rules):
    # Adam's defaults (1e-3, 0.9, 0.999, 1e-8) are PyTorch's: with config=None the first step
    # is torch.optim.Adam's default first step (m_hat / (sqrt(v_hat) + eps) = g / (|g| + eps)).
    g = np.array([2.0, -0.5, 1e-3, 1e-9])
    w, cfg = rules["adam"](np.zeros(4), g, None)
    p = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p])
    p.grad = torch.from_numpy(g.copy())
    opt.step()
    np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-12)
    assert cfg["t"] == 1
