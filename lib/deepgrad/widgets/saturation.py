"""The saturation widget: how an activation's slope, and the gradient through a stack of
such units, depend on the weight, the input and the bias.

Pick an activation (sigmoid, tanh, ReLU, leaky ReLU, ELU, SELU) and move three sliders:
the weight ``w``, the input ``x`` and the bias ``b`` of one unit ``a = f(w·x + b)``.

- **Left, top**: the activation ``f(w·x + b)`` over inputs ``x`` in [-10, 10], with the
  current point marked.
- **Left, bottom**: its local gradient (slope) ``f'(w·x + b)``, with the current point.
  In both, the **saturated region** is shaded: the inputs where the local gradient is
  below :data:`SATURATION_THRESHOLD` (1 %) of the activation's largest slope. A gradient
  passing back through a unit there is multiplied by less than 1 % of what it could be.
  For ReLU the shaded region is where the slope is exactly 0 (a dead unit); leaky ReLU's
  slope of 0.01 is exactly 1 % of its maximum and is not counted as saturated.
- **Right**: depth. A chain of ``L`` such units, one per layer, all with the same ``w``
  and ``b``, fed with ``x``: ``a_0 = x``, ``a_l = f(w·a_{l-1} + b)``. By the chain rule
  the gradient of the last output with respect to the first input is
  ``∂a_L/∂x = Π_l w·f'(z_l)``. Drawn for L = 1 ... 20 on a log scale: the product of the
  activation's factors ``Π_l f'(z_l)`` (for a sigmoid always ``<= 0.25^L``, drawn
  dotted) and the full gradient including the weights.

Why a chain of single units and not a random wide network: in a wide net the gradient is
multiplied at each layer by ``W[l].T`` and by the slopes ``f'(Z[l])``; the one-unit chain
keeps exactly that product with nothing else in it, is deterministic (no random seed to
explain), follows the sliders directly (the ``w`` and ``b`` on the slider are the
weights of every layer) and costs microseconds. The initialization widget is where the
statistics of wide random layers belong.

The products are computed as sums of logarithms of the slopes, so no depth and no weight
underflows to 0 or overflows: ``10^-400`` is drawn as ``10^-400``, not as 0. A slope that
is exactly 0 (ReLU with a negative input) makes the gradient exactly 0; that is written
on the plot.

Measured on the course's busy 2-core machine (``python -m benchmarks.run --only widgets``,
docs/benchmarks.md "Widgets"): compute ~0.2-0.4 ms; render ~24 ms for a move that keeps
the axes' limits (the live figure of :mod:`deepgrad.widgets.live`), ~105 ms when the
whole figure is drawn (as every frame was before).

Why the activation math here is private
---------------------------------------
Assignment 2 asks students to write activation layers: ``relu_forward(Z) -> (A, cache)``
and ``relu_backward(dA, cache) -> dZ``, the same for sigmoid, tanh, leaky ReLU, ELU and
SELU. A public function returning activations and their derivatives would be an answer
they could call instead of writing it. So the math is in underscore-named functions that
take an activation *name* and a 1-D grid of pre-activations (the plotting interface, not
the layer interface), and nothing outside this module uses them.

Structure (the same as the learning-rate widget):

- :meth:`SaturationDemo.compute` -- pure numpy (no Numba: it evaluates 801 grid points
  and 20 layers in **~0.4 ms** per slider move, so a kernel would buy nothing) returning
  a :class:`SaturationResult`;
- :meth:`SaturationDemo.render` -- draws a result on one Agg figure, created once and
  updated in place (only the artists that move, over a cached background: see
  :class:`deepgrad.widgets.live.LiveFigure`), and returns PNG bytes; text drawing is most
  of a full draw, which is why the log-axis labels use Unicode superscripts rather than
  mathtext;
- :func:`saturation_widget` -- a drop-down and three sliders wired to an
  ``ipywidgets.Image`` (:func:`deepgrad.widgets.live.live_box`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import validation
from .live import LiveFigure, live_box, steady_limits

__all__ = ["ACTIVATIONS", "SATURATION_THRESHOLD", "MAX_DEPTH", "SaturationResult",
           "SaturationDemo", "saturation_widget"]

#: Activation key -> label shown in the drop-down and on the plot.
ACTIVATIONS = {
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU (slope 0.01)",
    "elu": "ELU (α = 1)",
    "selu": "SELU",
}

#: A unit is saturated where its local gradient is below this share of the activation's
#: largest slope.
SATURATION_THRESHOLD = 0.01
#: The deepest stack drawn on the right.
MAX_DEPTH = 20
#: Slider ranges (w, x, b); compute() accepts anything finite up to MAX_ABS.
WEIGHT_RANGE = (-12.0, 12.0)
INPUT_RANGE = (-10.0, 10.0)
BIAS_RANGE = (-10.0, 10.0)
MAX_ABS = 1e6

_LEAKY_SLOPE = 0.01
_ELU_ALPHA = 1.0
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
_LOG10_E = math.log10(math.e)
# The largest slope of each activation (SELU's is λα, just left of 0).
_MAX_SLOPE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky_relu": 1.0, "elu": 1.0,
              "selu": _SELU_SCALE * _SELU_ALPHA}


# ----------------------------------------------------------------------------- private math
def _grid(z: np.ndarray) -> np.ndarray:
    # The plotting interface only: a 1-D grid of pre-activations (not the layer interface).
    return validation.array("z", np.asarray(z, dtype=np.float64), ndim=1,
                            shape_text="(n,), a grid of pre-activations", nonempty=False)


def _value_and_slope(activation: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(z)`` and ``f'(z)`` on a 1-D grid, without overflow or warnings."""
    z = _grid(z)
    if activation == "sigmoid":
        e = np.exp(-np.abs(z))  # <= 1: never overflows
        value = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return value, e / (1.0 + e) ** 2
    if activation == "tanh":
        value = np.tanh(z)
        e = np.exp(-2.0 * np.abs(z))
        return value, 4.0 * e / (1.0 + e) ** 2
    if activation == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(np.float64)
    if activation == "leaky_relu":
        return np.where(z > 0, z, _LEAKY_SLOPE * z), np.where(z > 0, 1.0, _LEAKY_SLOPE)
    if activation in ("elu", "selu"):
        alpha, scale = ((_ELU_ALPHA, 1.0) if activation == "elu"
                        else (_SELU_ALPHA, _SELU_SCALE))
        neg = np.minimum(z, 0.0)  # exp only ever sees inputs <= 0
        value = scale * np.where(z > 0, z, alpha * np.expm1(neg))
        return value, scale * np.where(z > 0, 1.0, alpha * np.exp(neg))
    raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")


def _log10_slope(activation: str, z: np.ndarray) -> np.ndarray:
    """``log10 f'(z)`` on a 1-D grid, exact far into saturation (``-inf`` where f' = 0)."""
    z = _grid(z)
    a = np.abs(z)
    if activation == "sigmoid":  # σ' = e^{-|z|} / (1 + e^{-|z|})^2
        return (-a - 2.0 * np.log1p(np.exp(-a))) * _LOG10_E
    if activation == "tanh":  # 1 - tanh² = 4 e^{-2|z|} / (1 + e^{-2|z|})^2
        return (math.log(4.0) - 2.0 * a - 2.0 * np.log1p(np.exp(-2.0 * a))) * _LOG10_E
    if activation == "relu":
        return np.where(z > 0, 0.0, -np.inf)
    if activation == "leaky_relu":
        return np.where(z > 0, 0.0, math.log10(_LEAKY_SLOPE))
    if activation == "elu":
        return np.where(z > 0, 0.0, np.minimum(z, 0.0) * _LOG10_E)
    if activation == "selu":
        return np.where(z > 0, math.log10(_SELU_SCALE),
                        math.log10(_SELU_SCALE * _SELU_ALPHA) + np.minimum(z, 0.0) * _LOG10_E)
    raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")


def _chain(activation: str, weight: float, x: float, bias: float,
           depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Pre-activations ``z_l`` and outputs ``a_l`` of the one-unit-per-layer chain."""
    z = np.empty(depth)
    a = np.empty(depth)
    prev = x
    for layer in range(depth):
        z[layer] = weight * prev + bias
        a[layer] = _value_and_slope(activation, z[layer:layer + 1])[0][0]
        prev = a[layer]
    return z, a


# ----------------------------------------------------------------------------- results
@dataclass
class SaturationResult:
    """One position of the sliders, computed.

    Attributes
    ----------
    activation : str
        A key of :data:`ACTIVATIONS`.
    weight, x, bias : float
    z : float
        The current pre-activation ``w·x + b``.
    value, slope : float
        ``f(z)`` and ``f'(z)`` at the current point.
    max_slope : float
        The activation's largest slope (0.25 for the sigmoid, 1 for tanh and ReLU...).
    saturated : bool
        Whether ``slope < SATURATION_THRESHOLD * max_slope``.
    inputs : ndarray, shape (n,)
        The grid of inputs ``x`` drawn on the left.
    values, slopes : ndarray, shape (n,)
        ``f(w·inputs + b)`` and ``f'(w·inputs + b)``.
    saturated_mask : ndarray of bool, shape (n,)
        Where the grid is saturated.
    depths : ndarray of int, shape (MAX_DEPTH,)
        1 ... MAX_DEPTH.
    chain_z, chain_a : ndarray, shape (MAX_DEPTH,)
        Pre-activation and output of each layer of the chain ``a_l = f(w·a_{l-1} + b)``.
    log10_activation_factor : ndarray, shape (MAX_DEPTH,)
        ``log10 Π_{l<=L} f'(z_l)`` (``-inf`` once a slope is exactly 0).
    log10_gradient : ndarray, shape (MAX_DEPTH,)
        ``log10 |∂a_L/∂x| = log10 Π_{l<=L} |w·f'(z_l)|`` (``-inf`` when it is 0).
    summary : str
        The current point in words, shown on the plot.
    seconds : float
        Wall time of the computation.
    """

    activation: str
    weight: float
    x: float
    bias: float
    z: float
    value: float
    slope: float
    max_slope: float
    saturated: bool
    inputs: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    saturated_mask: np.ndarray
    depths: np.ndarray
    chain_z: np.ndarray
    chain_a: np.ndarray
    log10_activation_factor: np.ndarray
    log10_gradient: np.ndarray
    summary: str
    seconds: float

    @property
    def gradient_at_depth(self) -> np.ndarray:
        """``|∂a_L/∂x|`` for L = 1 ... MAX_DEPTH as plain floats (0 or inf where the
        float64 range ends; the log10 attributes are exact)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.power(10.0, self.log10_gradient)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log10_label(value: float, _pos: object = None) -> str:
    """``10⁻⁶`` for -6 (Unicode superscripts: mathtext would triple the drawing time)."""
    k = int(round(value))
    return {0: "1", 1: "10"}.get(k, "10" + str(k).translate(_SUPERSCRIPT))


class SaturationDemo:
    """The saturation demo's computation and its (single, reused) figure.

    Parameters
    ----------
    points : int
        Grid points of the input axis on the left.
    dpi : float
        Resolution of the rendered PNG (the figure is 11 x 4.6 inches).

    Examples
    --------
    >>> demo = SaturationDemo()
    >>> result = demo.compute("sigmoid", weight=10.0, x=1.0, bias=0.0)
    >>> round(result.value, 4), result.saturated
    (1.0, True)
    >>> png = demo.render(result)
    """

    def __init__(self, points: int = 801, dpi: float = 80):
        points = validation.integer("points", points, low=11)
        self.inputs = np.linspace(INPUT_RANGE[0], INPUT_RANGE[1], points)
        self.figure = Figure(figsize=(11, 4.6), dpi=dpi)
        FigureCanvasAgg(self.figure)  # Agg, no pyplot: nothing is shown inline by itself
        grid = self.figure.add_gridspec(2, 2, width_ratios=(1.1, 1), left=0.065,
                                        right=0.985, bottom=0.11, top=0.84, hspace=0.12,
                                        wspace=0.2)
        self.value_ax = self.figure.add_subplot(grid[0, 0])
        self.slope_ax = self.figure.add_subplot(grid[1, 0], sharex=self.value_ax)
        self.depth_ax = self.figure.add_subplot(grid[:, 1])
        blue, red, grey = "#2166ac", "#b2182b", "#999999"
        (self._value_line,) = self.value_ax.plot([], [], color=blue, lw=2)
        (self._value_point,) = self.value_ax.plot([], [], "o", color=red, ms=8, zorder=4)
        (self._slope_line,) = self.slope_ax.plot([], [], color=blue, lw=2)
        (self._slope_point,) = self.slope_ax.plot([], [], "o", color=red, ms=8, zorder=4)
        self._threshold_line = self.slope_ax.axhline(0.0, color=grey, ls=":", lw=1)
        self._shades: list = []
        self.value_ax.set_ylabel("output f(w·x + b)")
        self.slope_ax.set_ylabel("local gradient f′(w·x + b)")
        self.slope_ax.set_xlabel("input x")
        self.value_ax.tick_params(labelbottom=False)
        self.value_ax.set_xlim(*INPUT_RANGE)
        for ax in (self.value_ax, self.slope_ax):
            ax.grid(True, color="#e5e5e5", lw=0.8)
        self.value_ax.set_title("", fontsize=9, loc="left", color="#7f6000")

        ax = self.depth_ax
        ax.axhline(0.0, color=grey, lw=1)  # gradient 1: neither shrinks nor grows
        (self._bound_line,) = ax.plot([], [], ls=":", color="black", lw=1.5,
                                      label="0.25^L: largest possible σ′ product")
        (self._factor_line,) = ax.plot([], [], "s-", color="#1b7837", ms=4, lw=1.5,
                                       label="activation factors Π f′(z_l)")
        (self._gradient_line,) = ax.plot([], [], "o-", color=red, ms=4, lw=2,
                                         label="gradient ∂a_L/∂x = Π w·f′(z_l)")
        ax.set_xlim(0.5, MAX_DEPTH + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax.set_xlabel("depth L (units in the chain)")
        ax.set_ylabel("size of the gradient (log scale)")
        ax.set_title("a chain of L units a_l = f(w·a_(l−1) + b), a_0 = x:\n"
                     "the gradient reaching the input", fontsize=10)
        ax.grid(True, color="#e5e5e5", lw=0.8)
        # Opaque: the live figure pastes its pixels over the lines (see LiveFigure).
        self._legend = ax.legend(loc="lower left", fontsize=8, framealpha=1.0)
        self._depth_note = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right",
                                   va="top", fontsize=8.5,
                                   bbox=dict(boxstyle="square,pad=0.2", fc="white",
                                             ec="none", alpha=0.85))
        self._title = self.figure.suptitle("", fontsize=12, fontweight="bold")
        self.live = LiveFigure(self.figure)
        self.renders = 0

    # ------------------------------------------------------------------------- compute
    def compute(self, activation: str = "sigmoid", weight: float = 1.0, x: float = 1.0,
                bias: float = 0.0, depth: int = MAX_DEPTH) -> SaturationResult:
        """Evaluate one slider position: see :class:`SaturationResult`.

        Parameters
        ----------
        activation : str
            A key of :data:`ACTIVATIONS`.
        weight, x, bias : float
            Finite, at most ``1e6`` in absolute value.
        depth : int in [1, 200]
            Layers of the chain on the right.

        Raises
        ------
        TypeError
            For an argument of the wrong type (a str or a bool for a number), named.
        ValueError
            For an unknown activation or an out-of-range argument (named).
        """
        start = time.perf_counter()
        validation.one_of("activation", activation, ACTIVATIONS)
        weight = validation.number("weight", weight, low=-MAX_ABS, high=MAX_ABS)
        x = validation.number("x", x, low=-MAX_ABS, high=MAX_ABS)
        bias = validation.number("bias", bias, low=-MAX_ABS, high=MAX_ABS)
        depth = validation.integer("depth", depth, low=1, high=200)
        # A bug here must fail loudly in the tests, never print a warning (underflow to
        # 0 is the right answer far in saturation).
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            zs = weight * self.inputs + bias
            values, slopes = _value_and_slope(activation, zs)
            z = weight * x + bias
            (value,), (slope,) = _value_and_slope(activation, np.array([z]))
            max_slope = _MAX_SLOPE[activation]
            threshold = SATURATION_THRESHOLD * max_slope
            saturated_mask = slopes < threshold
            chain_z, chain_a = _chain(activation, weight, x, bias, depth)
            log_slopes = _log10_slope(activation, chain_z)
            log_w = math.log10(abs(weight)) if weight != 0 else -math.inf
            with np.errstate(invalid="ignore"):  # -inf + -inf is -inf, never nan
                factor = np.cumsum(log_slopes)
                gradient = factor + log_w * np.arange(1, depth + 1)
        factor = np.where(np.isneginf(log_slopes).cumsum() > 0, -np.inf, factor)
        gradient = np.where(np.isneginf(factor) | (weight == 0), -np.inf, gradient)
        saturated = bool(slope < threshold)
        state = ("saturated" if saturated and slope > 0
                 else "dead: slope 0" if saturated else "not saturated")
        summary = (f"{ACTIVATIONS[activation]}: z = w·x + b = {weight:.3g}·{x:.3g} "
                   f"{'+' if bias >= 0 else '−'} {abs(bias):.3g} = {z:.4g},  "
                   f"f(z) = {value:.6g},  f′(z) = {slope:.3g}  ({state})")
        return SaturationResult(
            activation=activation, weight=weight, x=x, bias=bias, z=float(z),
            value=float(value), slope=float(slope), max_slope=max_slope,
            saturated=saturated, inputs=self.inputs, values=values, slopes=slopes,
            saturated_mask=saturated_mask, depths=np.arange(1, depth + 1),
            chain_z=chain_z, chain_a=chain_a, log10_activation_factor=factor,
            log10_gradient=gradient, summary=summary,
            seconds=time.perf_counter() - start)

    # ------------------------------------------------------------------------- render
    def render(self, result: SaturationResult) -> bytes:
        """Draw ``result`` on the (single, reused) figure and return it as PNG bytes."""
        r = result
        xs = r.inputs
        self._value_line.set_data(xs, r.values)
        self._slope_line.set_data(xs, r.slopes)
        self._value_point.set_data([r.x], [r.value])
        self._slope_point.set_data([r.x], [r.slope])
        threshold = SATURATION_THRESHOLD * r.max_slope
        self._threshold_line.set_ydata([threshold, threshold])
        for shade in self._shades:
            shade.remove()
        self._shades = [
            ax.fill_between(xs, 0, 1, where=r.saturated_mask, step="mid",
                            transform=ax.get_xaxis_transform(), color="#fdd49e",
                            alpha=0.6, lw=0, zorder=1.6, animated=True)
            for ax in (self.value_ax, self.slope_ax)]
        self.value_ax.set_title(
            f"shaded: saturated inputs, where f′ < {SATURATION_THRESHOLD:.0%} of its "
            f"maximum {r.max_slope:.3g} (dotted line below)", fontsize=9, loc="left",
            color="#7f6000")
        lo, hi = float(r.values.min()), float(r.values.max())
        lo, hi = min(lo, r.value), max(hi, r.value)
        pad = 0.08 * (hi - lo) if hi > lo else 0.5
        # Round limits: a small move keeps them, and the axis is not redrawn.
        self.value_ax.set_ylim(*steady_limits(self.value_ax.get_ylim(), lo - pad, hi + pad))
        self.slope_ax.set_ylim(-0.06 * r.max_slope, 1.12 * r.max_slope)

        depths = r.depths
        show = lambda v: np.where(np.isfinite(v), v, np.nan)  # noqa: E731
        factor, gradient = show(r.log10_activation_factor), show(r.log10_gradient)
        self._factor_line.set_data(depths, factor)
        self._gradient_line.set_data(depths, gradient)
        sigmoid = r.activation == "sigmoid"
        self._bound_line.set_visible(sigmoid)
        self._bound_line.set_data(depths, depths * math.log10(0.25))
        shown = [factor, gradient, np.zeros(1)] + ([depths * math.log10(0.25)]
                                                   if sigmoid else [])
        finite = np.concatenate([s[np.isfinite(s)] for s in shown])
        low, high = float(finite.min()), float(finite.max())
        if high - low < 4.0:  # at least 4 decades, so the ticks are whole powers of 10
            low, high = (low + high) / 2 - 2.0, (low + high) / 2 + 2.0
        # Round limits (1, 2 or 5 x 10^k decades): a small move keeps them, even where
        # a small step of w moves the gradient by decades (far in saturation); grown
        # with headroom, so a move further that way keeps them too (a drag of w from 1
        # to -12: 12 new axes instead of 15; the release notebook's tap of x after one
        # of w: none instead of one; bench_widgets --release).
        self._depth_range = low, high = steady_limits(getattr(self, "_depth_range", None),
                                                      low, high, steps=4, headroom=0.5)
        span = high - low
        self.depth_ax.set_ylim(low - 0.08 * span, high + 0.3 * span)
        self.depth_ax.set_xlim(0.5, depths[-1] + 0.5)
        self._legend.get_lines()[0].set_visible(sigmoid)
        self._legend.get_texts()[0].set_visible(sigmoid)
        self._depth_note.set_text(self._depth_text(r))
        self._title.set_text(r.summary)
        self._title.set_color("#b2182b" if r.saturated else "#1b7837")
        self.renders += 1
        # Only these change from one move to the next; the rest is a cached background.
        return self.live.frame(
            [self._value_line, self._value_point, self._slope_line, self._slope_point,
             self._threshold_line, *self._shades, self._factor_line, self._gradient_line,
             self._bound_line, self._depth_note, self._title],
            layout_key=r.activation, overlays=[self._legend])

    @staticmethod
    def _depth_text(r: SaturationResult) -> str:
        L = int(r.depths[-1])
        g = r.log10_gradient[-1]
        if np.isneginf(g):
            dead = int(np.argmax(np.isneginf(r.log10_gradient))) + 1
            why = "w = 0" if r.weight == 0 else f"a ReLU is dead from layer {dead}"
            return f"gradient exactly 0 ({why}):\nnothing reaches the input"
        word = ("vanishes" if g < -1 else "explodes" if g > 1 else "stays near 1")
        return f"after L = {L}: gradient {_log10_label(g) if abs(g) >= 1 else f'{10 ** g:.2g}'}" \
               f" ~ {word}"

    def update(self, activation: str = "sigmoid", weight: float = 1.0, x: float = 1.0,
               bias: float = 0.0) -> bytes:
        """``render(compute(...))``."""
        return self.render(self.compute(activation, weight, x, bias))


def saturation_widget(activation: str = "sigmoid", weight: float = 1.0, x: float = 1.0,
                      bias: float = 0.0, demo: SaturationDemo | None = None):
    """The interactive saturation demo: a drop-down and three sliders above a picture.

    Parameters
    ----------
    activation : str
        Initial activation, a key of :data:`ACTIVATIONS`.
    weight : float in [-12, 12]
    x : float in [-10, 10]
    bias : float in [-10, 10]
    demo : SaturationDemo, optional
        The computation and figure to use (a new one by default).

    Returns
    -------
    ipywidgets.VBox
        Children: the controls, then the ``ipywidgets.Image``; also reachable as
        ``box.controls`` (dict: activation, weight, x, bias), ``box.image`` and
        ``box.demo``.
    """
    import ipywidgets as widgets

    # Checked here: the Dropdown and the sliders would say something less helpful.
    validation.one_of("activation", activation, ACTIVATIONS)
    for name, value, (lo, hi) in (("weight", weight, WEIGHT_RANGE), ("x", x, INPUT_RANGE),
                                  ("bias", bias, BIAS_RANGE)):
        validation.number(name, value, low=lo, high=hi)
    demo = demo if demo is not None else SaturationDemo()
    style = {"description_width": "110px"}
    wide = widgets.Layout(width="520px")
    # compute takes ~0.4 ms and a live frame ~25 ms: every slider follows the drag.
    controls = {
        "activation": widgets.Dropdown(
            options=[(label, key) for key, label in ACTIVATIONS.items()], value=activation,
            description="activation f", style=style, layout=wide),
        "weight": widgets.FloatSlider(
            value=weight, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=0.1,
            description="weight w", continuous_update=True, style=style, layout=wide),
        "x": widgets.FloatSlider(
            value=x, min=INPUT_RANGE[0], max=INPUT_RANGE[1], step=0.1,
            description="input x", continuous_update=True, style=style, layout=wide),
        "bias": widgets.FloatSlider(
            value=bias, min=BIAS_RANGE[0], max=BIAS_RANGE[1], step=0.1,
            description="bias b", continuous_update=True, style=style, layout=wide),
    }
    return live_box(controls, lambda v: demo.update(v["activation"], v["weight"], v["x"],
                                                    v["bias"]), demo=demo)
