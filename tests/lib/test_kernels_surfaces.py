"""The optimizer widget's kernel against an independent plain-numpy race, and momentum's
stability map against eigenvalues and against iterating.

Every agreement test runs compiled and as plain Python (the kernels' ``.py_func``, what
``NUMBA_DISABLE_JIT=1`` runs); one test runs a child process with that variable set.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deepgrad.kernels import surfaces
from deepgrad.kernels.surfaces import (CONDITION, RULES, SURFACES, momentum_stability,
                                       precompile, race, surface_loss)

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

REPO = Path(__file__).resolve().parents[2]
KERNELS = ("_loss", "_gradient", "_race", "_loss_grid", "_spectral_radius")


@contextlib.contextmanager
def plain_python():
    """Run the wrappers on the kernels' Python source, as NUMBA_DISABLE_JIT=1 does."""
    with contextlib.ExitStack() as stack:
        for name in KERNELS:
            kernel = getattr(surfaces, name)
            stack.enter_context(mock.patch.object(surfaces, name,
                                                  getattr(kernel, "py_func", kernel)))
        yield


MODES = {"compiled": contextlib.nullcontext, "py_func": plain_python}


# ----------------------------------------------------------------------------- reference
# Written apart from the kernel: vector form, the rotation as a matrix, the updates as the
# course's notes write them (one function per rule over a state dict).
K = CONDITION
ROTATION = np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2.0)  # (u, v) = R (x, y)
HESSIAN = np.diag([1.0, K])


def ref_loss(surface, w):
    x, y = w
    if surface == "quadratic":
        return 0.5 * w @ HESSIAN @ w
    if surface == "rotated":
        z = ROTATION @ w
        return 0.5 * z @ HESSIAN @ z
    if surface == "saddle":
        return 0.5 * x ** 2 - 0.5 * y ** 2 + 0.25 * y ** 4
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def ref_gradient(surface, w):
    x, y = w
    if surface == "quadratic":
        return HESSIAN @ w
    if surface == "rotated":
        return ROTATION.T @ HESSIAN @ ROTATION @ w
    if surface == "saddle":
        return np.array([x, y ** 3 - y])
    return np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])


def scalar_gradient(surface, w):
    """The gradient in the kernel's own scalar arithmetic, for the property test only.

    The adaptive rules divide by √v, so from some settings an ulp of difference between
    two ways of computing the same gradient grows step after step (RMSProp at lr 0.5,
    beta2 0.5, from (1, 1) on the rotated valley, with the matrix form: 4.6e-8 apart
    after 7 steps, 2e-6 after 8). The gradient itself is checked against the matrix form
    (test_race_matches_numpy_reference) and finite differences elsewhere in this file."""
    x, y = float(w[0]), float(w[1])
    if surface == "quadratic":
        return np.array([x, 20.0 * y])
    if surface == "rotated":
        c = 0.7071067811865476
        u, v = (x + y) * c, (y - x) * c
        return np.array([(u - 20.0 * v) * c, (u + 20.0 * v) * c])
    if surface == "saddle":
        return np.array([x, -y + y * y * y])
    r = x * x - y
    return np.array([-2.0 * (1.0 - x) + 400.0 * x * r, -200.0 * r])


def ref_race(surface, start, lr, lr_a, beta, beta1, beta2, steps, eps=1e-8,
             gradient=ref_gradient):
    """(paths (6, steps + 1, 2), diverged_at (6,)) in plain numpy."""
    paths = np.full((6, steps + 1, 2), np.nan)
    diverged = np.full(6, -1)
    for k, rule in enumerate(RULES):
        w = np.array(start, dtype=float)
        v, s, m = np.zeros(2), np.zeros(2), np.zeros(2)
        b1t = b2t = 1.0
        paths[k, 0] = w
        for t in range(1, steps + 1):
            if rule == "sgd":
                w = w - lr * gradient(surface, w)
            elif rule == "momentum":
                v = beta * v - lr * gradient(surface, w)
                w = w + v
            elif rule == "nesterov":
                v = beta * v - lr * gradient(surface, w + beta * v)
                w = w + v
            elif rule == "adagrad":
                g = gradient(surface, w)
                s = s + g * g
                w = w - lr_a * g / (np.sqrt(s) + eps)
            elif rule == "rmsprop":
                g = gradient(surface, w)
                s = beta2 * s + (1 - beta2) * g * g
                w = w - lr_a * g / (np.sqrt(s) + eps)
            else:
                g = gradient(surface, w)
                m = beta1 * m + (1 - beta1) * g
                s = beta2 * s + (1 - beta2) * g * g
                b1t, b2t = b1t * beta1, b2t * beta2  # beta ** t, as the kernel rounds it
                m_hat, s_hat = m / (1 - b1t), s / (1 - b2t)
                w = w - lr_a * m_hat / (np.sqrt(s_hat) + eps)
            if not (np.all(np.isfinite(w)) and np.abs(w).max() <= 1e6):
                diverged[k] = t
                break
            paths[k, t] = w
    return paths, diverged


SETTINGS = {
    "quadratic": ((-2.5, 1.2), 0.05, 0.1, 0.9, 0.9, 0.999, 60),
    "rotated": ((-2.0, -1.2), 0.08, 0.05, 0.5, 0.8, 0.99, 60),
    "saddle": ((-2.0, 0.01), 0.1, 0.05, 0.9, 0.9, 0.999, 80),
    "rosenbrock": ((-1.5, 2.0), 0.0006, 0.05, 0.9, 0.9, 0.999, 200),
}


# ----------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("surface", list(SURFACES))
def test_race_matches_numpy_reference(run, surface):
    args = SETTINGS[surface]
    with run():
        r = race(surface, *args)
    paths, diverged = ref_race(surface, *args)
    np.testing.assert_array_equal(r.diverged_at, diverged)
    np.testing.assert_allclose(r.paths, paths, rtol=1e-9, atol=1e-12, equal_nan=True)
    losses = np.array([[ref_loss(surface, w) if np.isfinite(w).all() else np.nan
                        for w in p] for p in paths])
    np.testing.assert_allclose(r.losses, losses, rtol=1e-9, atol=1e-12, equal_nan=True)


@settings(max_examples=25)
@example(surface="rotated", x=1.0, y=1.0, lr=0.125, lr_a=0.5, beta=0.0, beta1=0.0,
         beta2=0.5, steps=40)  # with the matrix-form gradient, RMSProp drifted here
@given(surface=st.sampled_from(list(SURFACES)),
       x=st.floats(-2.0, 2.0), y=st.floats(-1.0, 2.0),
       lr=st.floats(1e-4, 0.2), lr_a=st.floats(1e-3, 0.5),
       beta=st.floats(0.0, 0.99), beta1=st.floats(0.0, 0.99), beta2=st.floats(0.5, 0.9999),
       steps=st.integers(1, 40))
def test_race_matches_reference_anywhere(surface, x, y, lr, lr_a, beta, beta1, beta2,
                                         steps):
    r = race(surface, (x, y), lr, lr_a, beta, beta1, beta2, steps)
    paths, diverged = ref_race(surface, (x, y), lr, lr_a, beta, beta1, beta2, steps,
                               gradient=scalar_gradient)
    np.testing.assert_array_equal(r.diverged_at, diverged)
    # 4,000 random settings agreed to 1e-9 (the same arithmetic in the same order)
    np.testing.assert_allclose(r.paths, paths, rtol=1e-7, atol=1e-10, equal_nan=True)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_gradients_match_finite_differences_of_the_loss(surface):
    rng = np.random.default_rng(0)
    h = 1e-6
    for _ in range(20):
        w = rng.uniform(-2, 2, size=2)
        numeric = []
        for e in np.eye(2):
            plus = surface_loss(surface, [w[0] + h * e[0]], [w[1] + h * e[1]])[0, 0]
            minus = surface_loss(surface, [w[0] - h * e[0]], [w[1] - h * e[1]])[0, 0]
            numeric.append((plus - minus) / (2 * h))
        np.testing.assert_allclose(surfaces._gradient(surfaces._SURFACE_CODES[surface],
                                                      *w), numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_loss_grid_and_the_minimum(surface):
    label, minimum, minimum_loss, box = SURFACES[surface]
    xs, ys = np.linspace(box[0], box[1], 41), np.linspace(box[2], box[3], 37)
    grid = surface_loss(surface, xs, ys)
    assert grid.shape == (37, 41)
    assert grid[5, 7] == pytest.approx(ref_loss(surface, np.array([xs[7], ys[5]])))
    assert surface_loss(surface, [minimum[0]], [minimum[1]])[0, 0] == pytest.approx(
        minimum_loss)
    assert grid.min() >= minimum_loss - 1e-12
    assert np.allclose(ref_gradient(surface, np.array(minimum)), 0.0)


def test_the_kernels_quadratic_is_conditioned_as_documented():
    # _loss hard-codes κ: it must be CONDITION.
    assert surface_loss("quadratic", [0.0], [1.0])[0, 0] == pytest.approx(0.5 * CONDITION)
    assert surface_loss("rotated", [-np.sqrt(0.5)], [np.sqrt(0.5)])[0, 0] == pytest.approx(
        0.5 * CONDITION)


# ----------------------------------------------------------------------------- behaviour
def test_sgd_diverges_above_two_over_the_largest_curvature():
    ok = race("quadratic", (1.0, 1.0), learning_rate=1.9 / K, steps=300)
    bad = race("quadratic", (1.0, 1.0), learning_rate=2.1 / K, steps=300)
    assert ok.diverged_at[0] == -1 and ok.gaps[0] < 1e-6
    assert bad.diverged_at[0] > 0
    t = bad.diverged_at[0]
    assert np.isnan(bad.paths[0, t:]).all() and np.isnan(bad.losses[0, t:]).all()
    assert np.isfinite(bad.paths[0, :t]).all()


def test_on_the_ridge_of_the_saddle_no_rule_leaves_it():
    r = race("saddle", (-2.0, 0.0), steps=300)
    assert np.all(r.paths[:, -1, 1] == 0.0)  # the gradient along y is exactly 0
    assert np.allclose(r.gaps, 0.25, atol=1e-2)  # at the saddle, 0.25 above the minima
    off = race("saddle", (-2.0, 0.001), steps=300)
    assert np.all(np.abs(np.abs(off.paths[:, -1, 1]) - 1.0) < 0.1)


# ----------------------------------------------------------------------------- stability
def test_spectral_radius_equals_the_eigenvalues_of_the_iteration():
    lrs = np.logspace(-3, 0, 31)
    betas = np.linspace(0, 0.99, 23)
    curvatures = (1.0, 7.0, CONDITION)
    radius = momentum_stability(lrs, betas, curvatures)
    for i, b in enumerate(betas):
        for j, lr in enumerate(lrs):
            expected = max(np.abs(np.linalg.eigvals(np.array([[1 - lr * h, b],
                                                              [-lr * h, b]]))).max()
                           for h in curvatures)
            assert radius[i, j] == pytest.approx(expected, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("lr", "beta"), [(0.01, 0.0), (0.05, 0.5), (0.08, 0.9),
                                          (0.15, 0.9), (0.12, 0.1), (0.2, 0.99)])
def test_spectral_radius_is_the_growth_rate_of_momentum_on_the_quadratic(lr, beta):
    radius = float(momentum_stability([lr], [beta])[0, 0])
    # Iterate momentum itself: the error norm per step tends to the radius.
    r = race("quadratic", (1.0, 1.0), learning_rate=lr, beta=beta, steps=400)
    path = r.paths[1]
    if r.diverged_at[1] >= 0:
        assert radius > 1.0
        return
    norms = np.linalg.norm(path, axis=1)
    rate = (norms[-1] / norms[200]) ** (1 / 200)
    assert rate == pytest.approx(radius, rel=0.02)
    assert radius < 1.0


def test_the_boundary_is_lr_times_curvature_equal_two_times_one_plus_beta():
    betas = np.array([0.0, 0.5, 0.9])
    limit = 2 * (1 + betas) / K
    inside = momentum_stability(limit * 0.99, betas)
    outside = momentum_stability(limit * 1.01, betas)
    assert (np.diag(inside) < 1).all() and (np.diag(outside) > 1).all()


# ----------------------------------------------------------------------------- interface
def test_validation_names_the_argument():
    with pytest.raises(ValueError, match="surface"):
        race("bowl")
    with pytest.raises(ValueError, match="learning_rate"):
        race("quadratic", learning_rate=-1.0)
    with pytest.raises(ValueError, match="above 0"):
        race("quadratic", adaptive_learning_rate=0.0)
    with pytest.raises(ValueError, match="beta2"):
        race("quadratic", beta2=1.0)
    with pytest.raises(TypeError, match="steps"):
        race("quadratic", steps=1.5)
    with pytest.raises(ValueError, match="steps"):
        race("quadratic", steps=10 ** 6)
    with pytest.raises(ValueError, match="pair"):
        race("quadratic", start=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="start"):
        race("quadratic", start="origin")
    with pytest.raises(ValueError, match="betas"):
        momentum_stability([0.1], [1.0])
    with pytest.raises(ValueError, match="learning_rates"):
        momentum_stability([0.0], [0.5])
    with pytest.raises(ValueError, match="xs"):
        surface_loss("quadratic", [np.nan], [0.0])


def test_no_public_update_rule():
    """Nothing public takes (w, dw, config): assignment 4's students write those."""
    for name in surfaces.__all__:
        obj = getattr(surfaces, name)
        if callable(obj) and not isinstance(obj, type):
            params = list(inspect.signature(obj).parameters)
            assert not {"dw", "config", "grad", "gradient"} & set(params), name
            assert params[:1] != ["w"], name


def test_precompile_and_plain_python_child_process():
    precompile()
    code = ("import json; from deepgrad.kernels.surfaces import race; "
            "r = race('rosenbrock', steps=50); print(json.dumps(r.paths[:, -1].tolist()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, NUMBA_DISABLE_JIT="1"), cwd=REPO, check=True,
                         timeout=120)
    assert out.stderr == ""
    np.testing.assert_allclose(json.loads(out.stdout),
                               race("rosenbrock", steps=50).paths[:, -1], rtol=1e-12)
