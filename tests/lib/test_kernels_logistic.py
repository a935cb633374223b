"""The learning-rate widget's Numba kernels against an independent numpy implementation.

Every test runs twice in spirit: compiled, and as plain Python through the ``.py_func``
of each kernel (what ``NUMBA_DISABLE_JIT=1`` would run).
"""

from __future__ import annotations

import contextlib
import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad.kernels import logistic
from deepgrad.kernels.logistic import (grid_probabilities, point_probabilities, precompile,
                                       train_on_points)
from tests.support.reference import logistic_gradient_descent, logistic_probabilities
from tests.support.strategies import seeds

# A warning would reach stderr in a student's notebook: make every one an error here.
pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

KERNELS = ("_build_features", "_logistic_gd", "_grid_probabilities", "_point_probabilities")


def python_source(kernel):
    """The kernel as plain Python (under NUMBA_DISABLE_JIT=1 it already is)."""
    return getattr(kernel, "py_func", kernel)


@contextlib.contextmanager
def plain_python():
    """Run the wrappers on the kernels' Python source, as NUMBA_DISABLE_JIT=1 does."""
    with contextlib.ExitStack() as stack:
        for name in KERNELS:
            stack.enter_context(mock.patch.object(
                logistic, name, python_source(getattr(logistic, name))))
        yield


@contextlib.contextmanager
def compiled():
    yield


MODES = {"compiled": compiled, "py_func": plain_python}


# ----------------------------------------------------------------------------- data
def blobs(m=60, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random((1, m)) < 0.5).astype(float)
    points = rng.standard_normal((2, m)) + 2.0 * labels - 1.0
    return points, labels


# ----------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("mode", ["linear", "quadratic"])
@pytest.mark.parametrize("beta", [0.0, 0.9])
def test_training_matches_numpy_reference(run, mode, beta):
    points, labels = blobs()
    with run():
        model = train_on_points(points, labels, mode, 0.5, 40, beta=beta)
    w, b, costs, mean, scale = logistic_gradient_descent(points, labels, mode, 0.5, 40,
                                                         beta)
    np.testing.assert_allclose(model.costs, costs, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.w, w, rtol=1e-9, atol=1e-12)
    assert model.b == pytest.approx(b, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(model.feature_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(model.feature_scale, scale, rtol=1e-12)
    assert model.iterations_done == 40
    assert model.w.shape == ((2, 1) if mode == "linear" else (5, 1))


def test_cost_starts_at_log_two_and_falls_for_a_small_rate():
    points, labels = blobs()
    model = train_on_points(points, labels, "linear", 0.1, 200)
    assert model.costs.shape == (201,)
    assert model.costs[0] == pytest.approx(math.log(2))
    assert (np.diff(model.costs) <= 1e-15).all()


def test_zero_iterations_keeps_the_parameters_at_zero():
    points, labels = blobs()
    model = train_on_points(points, labels, "quadratic", 1.0, 0)
    assert model.costs.shape == (1,)
    assert not model.w.any() and model.b == 0.0


@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
def test_grid_and_point_probabilities_match_reference(run):
    points, labels = blobs()
    x1 = np.linspace(-3, 3, 7)
    x2 = np.linspace(-2, 2, 5)
    for mode in ("linear", "quadratic"):
        with run():
            model = train_on_points(points, labels, mode, 1.0, 30)
            grid = grid_probabilities(model, x1, x2)
            at_points = point_probabilities(model, points)
        assert grid.shape == (5, 7)  # rows follow x2, columns x1
        g1, g2 = np.meshgrid(x1, x2)
        expected = logistic_probabilities(model.w, model.b, model.feature_mean,
                                          model.feature_scale,
                                          np.vstack([g1.ravel(), g2.ravel()]), mode)
        np.testing.assert_allclose(grid, expected.reshape(5, 7), rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(
            at_points, logistic_probabilities(model.w, model.b, model.feature_mean,
                                              model.feature_scale, points, mode),
            rtol=1e-9, atol=1e-15)


# ----------------------------------------------------------------------------- properties
points_and_labels = st.integers(1, 25).flatmap(lambda m: st.tuples(
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=2 * m, max_size=2 * m),
    st.lists(st.sampled_from([0.0, 1.0]), min_size=m, max_size=m)))


@settings(max_examples=40)
@given(data=points_and_labels, mode=st.sampled_from(["linear", "quadratic"]),
       log_rate=st.floats(-4, 2), iterations=st.integers(0, 25),
       beta=st.sampled_from([0.0, 0.5, 0.9]), plain=st.booleans())
def test_property_kernel_equals_reference(data, mode, log_rate, iterations, beta, plain):
    flat, label_list = data
    points = np.array(flat).reshape(2, -1)
    labels = np.array(label_list).reshape(1, -1)
    rate = 10.0 ** log_rate
    with (plain_python() if plain else compiled()):
        model = train_on_points(points, labels, mode, rate, iterations, beta=beta)
    w, b, costs, _, _ = logistic_gradient_descent(points, labels, mode, rate, iterations,
                                                  beta)
    # The logistic gradient is bounded, so nothing may ever become non-finite here.
    assert np.isfinite(model.costs).all() and model.iterations_done == iterations
    assert (model.costs >= 0).all()
    np.testing.assert_allclose(model.costs, costs, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(model.w, w, rtol=1e-7, atol=1e-7 * (1 + np.abs(w).max()))


@settings(max_examples=25)
@given(log_rate=st.floats(-4, 3), beta=st.floats(0.0, 0.99), seed=seeds)
def test_property_any_allowed_rate_stays_finite_and_silent(log_rate, beta, seed):
    points, labels = blobs(m=30, seed=seed)
    model = train_on_points(points, labels, "quadratic", 10.0 ** log_rate, 300, beta=beta)
    assert np.isfinite(model.costs).all()
    grid = grid_probabilities(model, np.linspace(-100, 100, 9), np.linspace(-100, 100, 9))
    assert np.isfinite(grid).all() and ((grid >= 0) & (grid <= 1)).all()


def test_nonfinite_cost_stops_the_loop_without_warnings():
    # Only reachable by calling the kernel directly (the wrapper bounds the rate):
    # the loop must stop at the first non-finite cost and leave the rest as nan.
    features = np.array([[1.0, -1.0]])
    y = np.array([1.0, 0.0])
    for kernel in (logistic._logistic_gd, python_source(logistic._logistic_gd)):
        w = np.array([np.inf, 0.0])
        costs = np.full(6, np.nan)
        with np.errstate(invalid="ignore"):  # inf - inf in the plain-Python version
            done = kernel(features, y, w, 0.1, 5, 0.0, costs)
        assert done == 0 and not np.isfinite(costs).any()


# ----------------------------------------------------------------------------- validation
GOOD_POINTS, GOOD_LABELS = blobs(m=8)


@pytest.mark.parametrize("kwargs, argument, shape_text", [
    (dict(points=GOOD_POINTS.T), "points", "(2, m)"),
    (dict(points=GOOD_POINTS[0]), "points", "(2, m)"),
    (dict(points=np.zeros((2, 0))), "points", "(2, m)"),
    (dict(points=GOOD_POINTS.astype(complex)), "points", "(2, m)"),
    (dict(points=np.where(GOOD_POINTS > 0, np.nan, GOOD_POINTS)), "points", "(2, m)"),
    (dict(points=np.zeros((3, 8))), "points", "(2, m)"),
    (dict(labels=GOOD_LABELS[0]), "labels", "(1, 8)"),
    (dict(labels=GOOD_LABELS.T), "labels", "(1, 8)"),
    (dict(labels=GOOD_LABELS * 2), "labels", "(1, m)"),
    (dict(feature_mode="cubic"), "feature_mode", "linear"),
    (dict(learning_rate=0.0), "learning_rate", "(0, 1000]"),
    (dict(learning_rate=-1.0), "learning_rate", "(0, 1000]"),
    (dict(learning_rate=float("inf")), "learning_rate", "(0, 1000]"),
    (dict(learning_rate=1e4), "learning_rate", "(0, 1000]"),
    (dict(num_iterations=-1), "num_iterations", "[0, 1000000]"),
    (dict(beta=1.0), "beta", "[0, 1)"),
    (dict(beta=-0.1), "beta", "[0, 1)"),
])
def test_bad_input_raises_value_error_naming_the_argument(kwargs, argument, shape_text):
    args = dict(points=GOOD_POINTS, labels=GOOD_LABELS, feature_mode="linear",
                learning_rate=0.1, num_iterations=3, beta=0.0)
    args.update(kwargs)
    with pytest.raises(ValueError) as info:
        train_on_points(**args)
    assert argument in str(info.value) and shape_text in str(info.value)


@pytest.mark.parametrize("kwargs, argument, shape_text", [
    (dict(points=GOOD_POINTS.tolist()), "points", "(2, m)"),
    (dict(learning_rate="0.1"), "learning_rate", "real number"),
    (dict(num_iterations=2.5), "num_iterations", "int"),
    (dict(beta=True), "beta", "real number"),
])
def test_wrong_type_raises_type_error_naming_the_argument(kwargs, argument, shape_text):
    args = dict(points=GOOD_POINTS, labels=GOOD_LABELS, feature_mode="linear",
                learning_rate=0.1, num_iterations=3, beta=0.0)
    args.update(kwargs)
    with pytest.raises(TypeError) as info:
        train_on_points(**args)
    assert argument in str(info.value) and shape_text in str(info.value)


def test_non_contiguous_and_integer_points_are_accepted():
    points = np.asfortranarray(np.round(GOOD_POINTS * 10).astype(np.int64))
    expected = train_on_points(np.ascontiguousarray(points, dtype=float), GOOD_LABELS,
                               "linear", 0.1, 5)
    got = train_on_points(points, GOOD_LABELS.astype(np.int32), "linear", 0.1, 5)
    np.testing.assert_array_equal(got.costs, expected.costs)
    strided = np.repeat(GOOD_POINTS, 2, axis=1)[:, ::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(
        train_on_points(strided, GOOD_LABELS, "linear", 0.1, 5).costs,
        train_on_points(GOOD_POINTS, GOOD_LABELS, "linear", 0.1, 5).costs)


def test_grid_probabilities_validates_its_arguments():
    model = train_on_points(GOOD_POINTS, GOOD_LABELS, "linear", 0.1, 3)
    with pytest.raises(ValueError, match="x1_values"):
        grid_probabilities(model, np.zeros((2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="x2_values"):
        grid_probabilities(model, np.zeros(2), np.zeros(0))
    with pytest.raises(TypeError, match="model"):
        grid_probabilities("not a model", np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"points.*\(2, m\)"):
        point_probabilities(model, np.zeros((5, 3)))


def test_no_general_gradient_descent_is_exposed():
    # Students write gradient_descent(w, b, X, Y, ...) for any n_x themselves.
    assert not [n for n in logistic.__all__ if "gradient" in n or n.startswith("_")]
    with pytest.raises(ValueError, match=r"\(2, m\)"):
        train_on_points(np.zeros((5, 10)), np.zeros((1, 10)), "linear", 0.1, 3)


def test_precompile_and_huge_rates_write_nothing(capfd):
    precompile()
    points, labels = blobs()
    model = train_on_points(points, labels, "quadratic", 1000.0, 500, beta=0.99)
    grid_probabilities(model, np.linspace(-1e3, 1e3, 11), np.linspace(-1e3, 1e3, 11))
    out, err = capfd.readouterr()
    assert err == "" and out == ""
