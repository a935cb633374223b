"""Numba kernels behind the learning-rate widget: logistic regression on 2-D points.

:func:`train_on_points` builds the features itself ('linear' ``[x1, x2]`` or 'quadratic'
``[x1, x2, x1², x2², x1·x2]``, standardized with the training points' statistics) and runs
batch gradient descent with momentum from zero (:func:`_logistic_gd`);
:func:`grid_probabilities` / :func:`point_probabilities` evaluate the :class:`TrainedModel`
it returns. Only 2-D points are accepted and every kernel is private: a general
``gradient_descent(w, b, X, Y, ...)`` is what students write in Assignment 1, and must not
be there for them to call. The kernels are single-threaded loops over scalars with
``math`` functions; the cost is ``max(z, 0) + log1p(e^-|z|) - y z`` (no overflow, no log 0)
and the loop stops at a non-finite cost, so nothing reaches stderr.
Invariants: ``@njit(cache=True)``, so ``NUMBA_DISABLE_JIT=1`` runs the same code as Python;
no bounds checks inside: the public wrappers validate every shape first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from deepgrad import validation

__all__ = ["FEATURE_MODES", "TrainedModel", "train_on_points", "grid_probabilities",
           "point_probabilities", "precompile"]

#: Feature maps the widget offers, by name -> kernel code.
FEATURE_MODES = {"linear": 0, "quadratic": 1}
_N_FEATURES = (2, 5)  # indexed by kernel code
_SERIES_BELOW = 2.0 ** -10  # log1p(e) as e - e²/2 + ... + e⁵/5 below this (error < 2e-16 e)

# A learning rate beyond this is not a demo any more; it also keeps every product in
# the kernel far from float64 overflow (gradients of the logistic cost are bounded by
# the standardized features).
MAX_LEARNING_RATE = 1e3
MAX_ITERATIONS = 1_000_000


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _build_features(points, mode, mean, scale, features):
    """Fill ``features`` (n_f, m) with the standardized feature map of ``points`` (2, m).

    ``mean`` and ``scale`` have n_f entries; ``scale`` entries are never 0.
    """
    m = points.shape[1]
    for j in range(m):
        x1 = points[0, j]
        x2 = points[1, j]
        features[0, j] = x1
        features[1, j] = x2
        if mode == 1:
            features[2, j] = x1 * x1
            features[3, j] = x2 * x2
            features[4, j] = x1 * x2
    n_f = features.shape[0]
    for i in range(n_f):
        for j in range(m):
            features[i, j] = (features[i, j] - mean[i]) / scale[i]


@njit(cache=True)
def _logistic_gd(features, y, w, learning_rate, num_iterations, beta, costs):
    """Batch gradient descent with (heavy-ball) momentum on the logistic cost.

    Parameters
    ----------
    features : float64 (n_f, m)
    y : float64 (m,), 0/1 labels
    w : float64 (n_f + 1,), updated in place; ``w[n_f]`` is the bias b
    learning_rate, beta : float
        Update ``v = beta * v + grad; w -= learning_rate * v`` (``beta = 0`` is plain
        gradient descent).
    num_iterations : int
    costs : float64 (num_iterations + 1,), written: ``costs[k]`` is the cost after k
        updates. Entries after a non-finite cost are left as they were (nan).

    Returns
    -------
    int
        The number of updates done (``num_iterations`` unless the cost became non-finite).
    """
    n_f, m = features.shape
    n_w = n_f + 1
    # One example's features side by side in memory (the loops below read them
    # example by example): ~20 % faster, the same arithmetic in the same order.
    by_example = np.empty((m, n_f))
    for i in range(n_f):
        for j in range(m):
            by_example[j, i] = features[i, j]
    velocity = np.zeros(n_w)
    grad = np.zeros(n_w)
    inv_m = 1.0 / m
    for it in range(num_iterations + 1):
        for k in range(n_w):
            grad[k] = 0.0
        cost = 0.0
        # Σ log1p(e) without a log1p per example: factors 1 + e multiplied (one log per
        # 512 examples: each factor is at most 2, so the product stays below 2^512), and
        # e below 2^-10 summed as its series (1 + e would drop e's last digits), to 1e-16.
        product = 1.0
        small = 0.0
        for j in range(m):
            z = w[n_f]
            for i in range(n_f):
                z += w[i] * by_example[j, i]
            # Binary cross-entropy as log(1 + e^z) - y z, with log(1 + e^z) written as
            # max(z, 0) + log1p(e^-|z|): no exp of a large number, no log of 0.
            e = math.exp(-abs(z))
            cost += max(z, 0.0) - y[j] * z
            if e < _SERIES_BELOW:
                small += e * (1.0 - e * (0.5 - e * (1.0 / 3.0 - e * (0.25 - e * 0.2))))
            else:
                product *= 1.0 + e
            if (j & 511) == 511:
                cost += math.log(product)
                product = 1.0
            # sigmoid(z) from the same e, stable on both sides of 0.
            a = 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
            dz = a - y[j]
            for i in range(n_f):
                grad[i] += dz * by_example[j, i]
            grad[n_f] += dz
        cost = (cost + small + math.log(product)) * inv_m
        costs[it] = cost
        if not math.isfinite(cost):
            return it
        if it == num_iterations:
            break
        for k in range(n_w):
            velocity[k] = beta * velocity[k] + grad[k] * inv_m
            w[k] -= learning_rate * velocity[k]
    return num_iterations


@njit(cache=True)
def _probability_at(x1, x2, mode, mean, scale, w, feat):
    """P(y=1) at the point (x1, x2); ``feat`` (5,) is scratch space for its features."""
    n_f = mean.shape[0]
    feat[0] = x1
    feat[1] = x2
    if mode == 1:
        feat[2] = x1 * x1
        feat[3] = x2 * x2
        feat[4] = x1 * x2
    z = w[n_f]
    for i in range(n_f):
        z += w[i] * (feat[i] - mean[i]) / scale[i]
    e = math.exp(-abs(z))
    return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)


@njit(cache=True)
def _grid_probabilities(x1_values, x2_values, mode, mean, scale, w, out):
    """Fill ``out`` (n2, n1) with P(y=1) at every point (x1_values[c], x2_values[r])."""
    feat = np.empty(5)
    for r in range(x2_values.shape[0]):
        for c in range(x1_values.shape[0]):
            out[r, c] = _probability_at(x1_values[c], x2_values[r], mode, mean, scale, w, feat)


@njit(cache=True)
def _point_probabilities(points, mode, mean, scale, w, out):
    """Fill ``out`` (m,) with P(y=1) at every column of ``points`` (2, m)."""
    feat = np.empty(5)
    for j in range(points.shape[1]):
        out[j] = _probability_at(points[0, j], points[1, j], mode, mean, scale, w, feat)


# ----------------------------------------------------------------------------- wrappers
@dataclass(frozen=True)
class TrainedModel:
    """What :func:`train_on_points` learned, in the standardized feature space.

    Attributes
    ----------
    mode : str
        'linear' or 'quadratic'.
    w : ndarray, shape (n_f, 1)
        Weights of the standardized features (n_f = 2 or 5).
    b : float
    feature_mean, feature_scale : ndarray, shape (n_f,)
        Standardization of the training features (``scale`` has no zeros).
    costs : ndarray, shape (num_iterations + 1,)
        ``costs[k]`` is the cost after k updates (``costs[0]`` at w = 0, b = 0, i.e.
        log 2); nan after the cost stopped being finite.
    iterations_done : int
    """

    mode: str
    w: np.ndarray
    b: float
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    costs: np.ndarray
    iterations_done: int

    @property
    def diverged_to_nonfinite(self) -> bool:
        return self.iterations_done < self.costs.shape[0] - 1


def _as_points(points: object) -> np.ndarray:
    """Validate ``points`` (2, m) and return them as a C-contiguous float64 copy or view."""
    validation.array("points", points, shape=(2, None), shape_text="(2, m)",
                     dtype_kinds="biuf", finite=True)
    return np.ascontiguousarray(points, dtype=np.float64)


def train_on_points(points: np.ndarray, labels: np.ndarray, feature_mode: str,
                    learning_rate: float, num_iterations: int,
                    beta: float = 0.0) -> TrainedModel:
    """Train logistic regression on 2-D points by batch gradient descent (widget only).

    The features are built here from the points and standardized with their own mean
    and standard deviation, and the parameters start at zero. This is deliberately not
    a general ``gradient_descent``: students write that one in Assignment 1.

    Parameters
    ----------
    points : ndarray, shape (2, m)
        One column per training point.
    labels : ndarray, shape (1, m)
        0/1 labels.
    feature_mode : {'linear', 'quadratic'}
        ``[x1, x2]`` or ``[x1, x2, x1², x2², x1·x2]``.
    learning_rate : float in (0, 1000]
    num_iterations : int in [0, 1_000_000]
    beta : float in [0, 1), optional
        Momentum (0: plain gradient descent).

    Returns
    -------
    TrainedModel
        ``w`` of shape (n_f, 1), ``b``, the standardization, and the cost history.

    Raises
    ------
    TypeError
        For an argument of the wrong type (a list for ``points``, a str for
        ``learning_rate``, a float for ``num_iterations``), naming it.
    ValueError
        For a wrong value, naming the argument and the expected shape or range.
    """
    pts = _as_points(points)
    m = pts.shape[1]
    validation.array("labels", labels, shape=(1, m), shape_text=f"(1, {m})",
                     dtype_kinds="biuf")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("labels (1, m) must contain only 0 and 1")
    mode = FEATURE_MODES[validation.one_of("feature_mode", feature_mode, FEATURE_MODES)]
    lr = validation.number("learning_rate", learning_rate, low=0.0, high=MAX_LEARNING_RATE,
                           inclusive="right")
    num_iterations = validation.integer("num_iterations", num_iterations, low=0,
                                        high=MAX_ITERATIONS)
    momentum = validation.number("beta", beta, low=0.0, high=1.0, inclusive="left")

    n_f = _N_FEATURES[mode]
    features = np.empty((n_f, m))
    _build_features(pts, mode, np.zeros(n_f), np.ones(n_f), features)
    mean = features.mean(axis=1)
    scale = features.std(axis=1)
    scale[scale == 0.0] = 1.0  # a constant feature stays constant (0) after centring
    features -= mean[:, None]
    features /= scale[:, None]

    y = np.ascontiguousarray(labels[0], dtype=np.float64)
    w = np.zeros(n_f + 1)
    costs = np.full(num_iterations + 1, np.nan)
    done = _logistic_gd(features, y, w, lr, num_iterations, momentum, costs)
    return TrainedModel(mode=feature_mode, w=w[:n_f].reshape(n_f, 1).copy(),
                        b=float(w[n_f]), feature_mean=mean, feature_scale=scale,
                        costs=costs, iterations_done=int(done))


def grid_probabilities(model: TrainedModel, x1_values: np.ndarray,
                       x2_values: np.ndarray) -> np.ndarray:
    """P(y = 1) of a :class:`TrainedModel` on the grid ``x1_values × x2_values``.

    Parameters
    ----------
    model : TrainedModel
    x1_values : ndarray, shape (n1,)
        Grid coordinates along the first axis (columns of the result).
    x2_values : ndarray, shape (n2,)
        Grid coordinates along the second axis (rows of the result).

    Returns
    -------
    ndarray, shape (n2, n1)
        ``out[r, c]`` is the probability at the point ``(x1_values[c], x2_values[r])``
        (the layout ``imshow``/``contour`` expect).
    """
    mode, w, mean, scale = _model_arrays(model)
    axes = []
    for name, v in (("x1_values", x1_values), ("x2_values", x2_values)):
        validation.array(name, v, shape=(None,), shape_text="(n,)", dtype_kinds="biuf")
        axes.append(np.ascontiguousarray(v, dtype=np.float64))
    out = np.empty((axes[1].size, axes[0].size))
    _grid_probabilities(axes[0], axes[1], mode, mean, scale, w, out)
    return out


def point_probabilities(model: TrainedModel, points: np.ndarray) -> np.ndarray:
    """P(y = 1) of a :class:`TrainedModel` at the points ``(2, m)``: shape (1, m)."""
    mode, w, mean, scale = _model_arrays(model)
    pts = _as_points(points)
    out = np.empty(pts.shape[1])
    _point_probabilities(pts, mode, mean, scale, w, out)
    return out.reshape(1, -1)


def _model_arrays(model: object) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Validate a TrainedModel; return (mode code, [w..., b], mean, scale) for a kernel."""
    validation.instance("model", model, TrainedModel)
    mode = FEATURE_MODES[validation.one_of("model.mode", model.mode, FEATURE_MODES)]
    n_f = _N_FEATURES[mode]
    if (model.w.shape != (n_f, 1) or model.feature_mean.shape != (n_f,)
            or model.feature_scale.shape != (n_f,)):
        raise ValueError(f"model must have w of shape ({n_f}, 1) and feature_mean, "
                         f"feature_scale of shape ({n_f},) for feature_mode {model.mode!r}")
    if (model.feature_scale == 0).any():
        raise ValueError("model.feature_scale (n_f,) must have no zeros")
    w = np.empty(n_f + 1)
    w[:n_f] = model.w[:, 0]
    w[n_f] = model.b
    return (mode, w, np.ascontiguousarray(model.feature_mean, dtype=np.float64),
            np.ascontiguousarray(model.feature_scale, dtype=np.float64))


def precompile() -> None:
    """Compile every kernel (or load it from Numba's on-disk cache) on tiny inputs."""
    points = np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 0.0, 1.0, 0.0]])
    labels = np.array([[0.0, 0.0, 1.0, 1.0]])
    grid = np.linspace(-1.0, 1.0, 3)
    for mode in FEATURE_MODES:
        model = train_on_points(points, labels, mode, 0.1, 2, beta=0.5)
        grid_probabilities(model, grid, grid)
        point_probabilities(model, points)
