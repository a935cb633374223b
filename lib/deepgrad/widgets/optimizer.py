"""The optimizer widget: SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam raced on the
hard surfaces of the course -- an ill-conditioned quadratic, the same valley rotated, a
saddle point and Rosenbrock's curved valley.

- **Left**: the surface's contours (log-spaced levels of ``loss - minimum``) and the six
  paths from the start point (×); a dot where each one is after the last step. A path
  that leaves the box ``|x|, |y| <= 10⁶`` has diverged (it is named in the title).
- **Middle**: ``loss - minimum`` against the step (log scale), one curve per rule.
- **Right**: momentum's stability map on the quadratic (curvatures 1 and κ = 20): for
  each (learning rate, β), the spectral radius ρ of its iteration, shown as the steps
  ``-3 / log10 ρ`` the error needs to shrink 1000 times (green: few, pale: many, red:
  ρ >= 1, diverges; the black line is ρ = 1), and the current pair (○). A larger β lets
  a larger learning rate converge (up to ``lr·κ < 2(1 + β)``).

The computation is :func:`deepgrad.kernels.surfaces.race` (a Numba kernel, well under a
millisecond for 1,000 steps of the six rules) and
:func:`~deepgrad.kernels.surfaces.momentum_stability` (computed once); the drawing uses
the shared live figure (:mod:`deepgrad.widgets.live`): contours, axes and the map are a
cached background, a move redraws the paths, the curves and the marker.

Structure (as the other widgets): :meth:`OptimizerDemo.compute` returns an
:class:`OptimizerResult`; :meth:`OptimizerDemo.render` draws it and returns PNG bytes;
:func:`optimizer_widget` wires the controls to the picture. Choosing another surface
puts the start point and both learning rates back to that surface's defaults
(:data:`DEFAULTS`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import validation
from ..kernels.surfaces import (CONDITION, MAX_STEPS, RULES, SURFACES, Race,
                                momentum_stability, race, surface_loss)
from .live import LiveFigure, live_box, snapped_limits, steady_limits
from .saturation import _log10_label

__all__ = ["DEFAULTS", "OptimizerResult", "OptimizerDemo", "optimizer_widget",
           "steps_per_1000x"]

#: Per surface: start point, learning rate (SGD, momentum, Nesterov), adaptive learning
#: rate (AdaGrad, RMSProp, Adam) and steps that show what the surface is about
#: (demos/optimizers.ipynb measures what each shows).
DEFAULTS = {
    "quadratic": dict(start=(-2.5, 1.2), learning_rate=0.06, adaptive_learning_rate=0.1,
                      steps=100),
    "rotated": dict(start=(-2.0, -1.2), learning_rate=0.06, adaptive_learning_rate=0.1,
                    steps=100),
    "saddle": dict(start=(-2.0, 0.001), learning_rate=0.1, adaptive_learning_rate=0.05,
                   steps=150),
    "rosenbrock": dict(start=(-1.5, 2.0), learning_rate=0.0006, adaptive_learning_rate=0.05,
                       steps=1000),
}
#: Log10 ranges of the two learning-rate sliders, and of the stability map's x axis.
LEARNING_RATE_EXPONENTS = (-4.0, 0.0)
ADAPTIVE_EXPONENTS = (-3.0, 0.0)
#: Gaps ``loss - minimum`` below this are drawn at this value (the float64 floor).
GAP_FLOOR = 1e-16

_COLORS = {"sgd": "#1f77b4", "momentum": "#ff7f0e", "nesterov": "#2ca02c",
           "adagrad": "#d62728", "rmsprop": "#9467bd", "adam": "#8c564b"}
_STABILITY_CMAP = LinearSegmentedColormap.from_list(
    "deepgrad_stability", ["#1a9850", "#a6d96a", "#ffffbf"])
_DIVERGES = np.array([0.843, 0.188, 0.153, 1.0])  # #d73027
#: The stability map colours the steps momentum needs to shrink the error 1000 times,
#: from 10 (dark green) to 10⁴ (pale yellow) on a log scale; red where it diverges.
STEPS_RANGE = (1.0, 4.0)


def steps_per_1000x(radius: np.ndarray) -> np.ndarray:
    """Steps for an error shrinking by ``radius`` per step to shrink 1000 times
    (``-3 / log10(radius)``; inf where the radius is 1 or more, 0 where it is 0)."""
    r = np.asarray(radius, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = np.where(r >= 1.0, np.inf, -3.0 / np.log10(np.maximum(r, 1e-300)))
    return out


@dataclass
class OptimizerResult:
    """One position of the controls, computed.

    Attributes
    ----------
    race : Race
        The six paths and loss curves (:class:`deepgrad.kernels.surfaces.Race`).
    log10_gaps : ndarray, shape (6, steps + 1)
        ``log10(loss - minimum)``, at least ``log10(GAP_FLOOR)``; nan once diverged.
    summary : str
        Who is closest to the minimum after the last step, and who diverged.
    seconds : float
        Wall time of the computation.
    """

    race: Race
    log10_gaps: np.ndarray
    summary: str
    seconds: float


def _summary(r: Race) -> str:
    label = SURFACES[r.surface][0].split(" 0.5")[0].split(" (")[0]
    gaps = r.gaps
    alive = [k for k in range(6) if r.diverged_at[k] < 0]
    words = []
    if alive:
        best = min(alive, key=lambda k: gaps[k])
        gap = (f"below {GAP_FLOOR:.0e}" if gaps[best] < GAP_FLOOR
               else f"{gaps[best]:.2g}")
        words.append(f"closest to the minimum: {RULES[r.rules[best]]} "
                     f"(loss − minimum {gap})")
    gone = [RULES[r.rules[k]] for k in range(6) if r.diverged_at[k] >= 0]
    if gone:
        words.append("diverged: " + ", ".join(gone))
    if r.surface == "saddle":
        stuck = [RULES[r.rules[k]] for k in alive
                 if abs(r.paths[k, -1, 1]) < 0.1 and r.paths[k, -1, 0] ** 2 < 0.01]
        if stuck:
            words.append("still on the saddle: " + ", ".join(stuck))
    return f"{label}, {r.steps} steps: " + "; ".join(words)


class OptimizerDemo:
    """The optimizer demo's computation and its (single, reused) figure.

    Parameters
    ----------
    dpi : float
        Resolution of the rendered PNG (the figure is 12.5 x 4.8 inches).
    resolution : int
        Grid points per axis of the contour plot.

    Examples
    --------
    >>> demo = OptimizerDemo()
    >>> result = demo.compute("rosenbrock", steps=500)
    >>> result.race.paths.shape
    (6, 501, 2)
    >>> png = demo.render(result)
    """

    def __init__(self, dpi: float = 80, resolution: int = 160):
        self.resolution = validation.integer("resolution", resolution, low=10, high=1000)
        self.figure = Figure(figsize=(12.5, 4.8), dpi=dpi)
        self.path_ax, self.loss_ax, self.map_ax = self.figure.subplots(
            1, 3, width_ratios=(1.15, 1, 0.9),
            gridspec_kw=dict(left=0.05, right=0.985, bottom=0.12, top=0.84, wspace=0.25))
        self._shown_surface = None
        self._contours = []
        # Paths, end points and the start.
        self._paths, self._ends = {}, {}
        for rule, label in RULES.items():
            (self._paths[rule],) = self.path_ax.plot([], [], color=_COLORS[rule], lw=1.4,
                                                     label=label, zorder=3)
            (self._ends[rule],) = self.path_ax.plot([], [], "o", color=_COLORS[rule],
                                                    ms=6, mec="white", mew=0.8, zorder=4)
        (self._start,) = self.path_ax.plot([], [], "x", color="black", ms=9, mew=2.2,
                                           zorder=5)
        (self._minimum,) = self.path_ax.plot([], [], "*", color="white", ms=12,
                                             mec="black", mew=1, zorder=2)
        self.path_ax.set_xlabel("x")
        self.path_ax.set_ylabel("y")
        # Loss curves: log10(loss - minimum) on a linear axis with 10ⁿ labels.
        self._curves = {}
        for rule, label in RULES.items():
            (self._curves[rule],) = self.loss_ax.plot([], [], color=_COLORS[rule], lw=1.6,
                                                      label=label)
        ax = self.loss_ax
        ax.set_xlabel("step")
        ax.set_ylabel("loss − minimum (log scale)")
        ax.yaxis.set_major_locator(MaxNLocator(nbins=7, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax.grid(True, color="#e5e5e5", lw=0.8)
        ax.set_title("how fast each rule gets there", fontsize=10)
        # Opaque: the live figure pastes it over the curves (see LiveFigure).
        self._legend = ax.legend(loc="upper right", fontsize=7.5, ncol=2, framealpha=1.0)
        # Stability map (static): momentum on the quadratic with curvatures 1 and κ.
        lr = np.logspace(*LEARNING_RATE_EXPONENTS, 241)
        betas = np.linspace(0.0, 0.99, 100)
        radius = momentum_stability(lr, betas, (1.0, CONDITION))
        ax = self.map_ax
        log_lr = np.log10(lr)
        steps = steps_per_1000x(radius)
        with np.errstate(divide="ignore"):
            shade = (np.log10(np.maximum(steps, 1.0)) - STEPS_RANGE[0]) / (
                STEPS_RANGE[1] - STEPS_RANGE[0])
        rgba = _STABILITY_CMAP(np.clip(shade, 0.0, 1.0))
        rgba[~np.isfinite(steps)] = _DIVERGES
        ax.imshow(rgba, origin="lower", aspect="auto",
                  extent=(log_lr[0], log_lr[-1], betas[0], betas[-1]),
                  interpolation="nearest")
        ax.contour(log_lr, betas, radius, levels=[1.0], colors="black", linewidths=1.6)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("momentum β")
        ax.set_title(f"momentum on the quadratic (κ = {CONDITION:g}): steps\n"
                     "to shrink the error 1000× (green: few); red: diverges",
                     fontsize=9)
        (self._pair,) = ax.plot([], [], "o", ms=9, mfc="none", mec="black", mew=2)
        self._pair_text = ax.text(0.03, 0.03, "", transform=ax.transAxes, fontsize=7.5,
                                  bbox=dict(boxstyle="square,pad=0.2", fc="white",
                                            ec="none"))
        self._radius = (log_lr, betas, radius)
        self._title = self.figure.suptitle("", fontsize=11, fontweight="bold")
        self.live = LiveFigure(self.figure)
        self.renders = 0

    # ------------------------------------------------------------------------- compute
    def compute(self, surface: str = "quadratic", start: tuple | None = None,
                learning_rate: float | None = None,
                adaptive_learning_rate: float | None = None, beta: float = 0.9,
                beta1: float = 0.9, beta2: float = 0.999,
                steps: int | None = None) -> OptimizerResult:
        """Race the six rules (see :func:`deepgrad.kernels.surfaces.race`; ``None``
        takes the surface's default from :data:`DEFAULTS`)."""
        start_time = time.perf_counter()
        validation.one_of("surface", surface, SURFACES)
        d = DEFAULTS[surface]
        r = race(surface, d["start"] if start is None else start,
                 d["learning_rate"] if learning_rate is None else learning_rate,
                 d["adaptive_learning_rate"] if adaptive_learning_rate is None
                 else adaptive_learning_rate, beta, beta1, beta2,
                 d["steps"] if steps is None else steps)
        with np.errstate(divide="ignore", invalid="ignore"):
            gaps = np.log10(np.maximum(r.losses - r.minimum_loss, GAP_FLOOR))
        return OptimizerResult(race=r, log10_gaps=gaps, summary=_summary(r),
                               seconds=time.perf_counter() - start_time)

    # ------------------------------------------------------------------------- render
    def _draw_surface(self, surface: str) -> None:
        for c in self._contours:
            c.remove()
        x0, x1, y0, y1 = SURFACES[surface][3]
        xs = np.linspace(x0, x1, self.resolution)
        ys = np.linspace(y0, y1, self.resolution)
        gap = surface_loss(surface, xs, ys) - SURFACES[surface][2]
        levels = np.log10(np.maximum(gap, 1e-6))
        ax = self.path_ax
        self._contours = [
            ax.contourf(xs, ys, levels, levels=14, cmap="Greys", alpha=0.35, zorder=0),
            ax.contour(xs, ys, levels, levels=14, colors="#888888", linewidths=0.5,
                       zorder=1)]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_title(SURFACES[surface][0], fontsize=10)
        self._minimum.set_data([SURFACES[surface][1][0]], [SURFACES[surface][1][1]])
        self._shown_surface = surface

    def render(self, result: OptimizerResult) -> bytes:
        """Draw ``result`` on the (single, reused) figure and return it as PNG bytes."""
        r = result.race
        if r.surface != self._shown_surface:
            self._draw_surface(r.surface)
        for k, rule in enumerate(r.rules):
            path = r.paths[k]
            self._paths[rule].set_data(path[:, 0], path[:, 1])
            finite = np.flatnonzero(np.isfinite(path[:, 0]))
            last = path[finite[-1]]
            self._ends[rule].set_data([last[0]], [last[1]])
            self._curves[rule].set_data(np.arange(r.steps + 1), result.log10_gaps[k])
        self._start.set_data([r.start[0]], [r.start[1]])
        finite = result.log10_gaps[np.isfinite(result.log10_gaps)]
        # Up to 1000 times the starting gap: a diverging curve leaves through the top.
        low = float(finite.min())
        high = min(float(finite.max()), float(result.log10_gaps[0, 0]) + 3.0)
        self._gap_range = low, high = steady_limits(getattr(self, "_gap_range", None),
                                                    low, high, steps=4)
        self.loss_ax.set_ylim(low - 0.05 * (high - low), high + 0.3 * (high - low))
        self.loss_ax.set_xlim(0, snapped_limits(0, r.steps)[1])
        self._pair.set_data([math.log10(r.learning_rate)], [r.beta])
        log_lr, betas, radius = self._radius
        j = int(np.argmin(np.abs(log_lr - math.log10(r.learning_rate))))
        i = int(np.argmin(np.abs(betas - r.beta)))
        steps = float(steps_per_1000x(radius[i, j]))
        self._pair_text.set_text(
            f"lr {r.learning_rate:.3g}, β {r.beta:.2f}: ρ = {radius[i, j]:.3f}, "
            + (f"{steps:.0f} steps" if math.isfinite(steps) else "diverges"))
        self._title.set_text(result.summary)
        self._title.set_color("#b2182b" if (r.diverged_at >= 0).any() else "#1b7837")
        self.renders += 1
        return self.live.frame(
            [*self._paths.values(), *self._ends.values(), self._start,
             *self._curves.values(), self._pair, self._pair_text, self._title],
            layout_key=r.surface, overlays=[self._legend])

    def update(self, surface: str = "quadratic", start: tuple | None = None,
               learning_rate: float | None = None,
               adaptive_learning_rate: float | None = None, beta: float = 0.9,
               beta1: float = 0.9, beta2: float = 0.999, steps: int | None = None) -> bytes:
        """``render(compute(...))``."""
        return self.render(self.compute(surface, start, learning_rate,
                                        adaptive_learning_rate, beta, beta1, beta2, steps))


def optimizer_widget(surface: str = "quadratic", beta: float = 0.9, beta1: float = 0.9,
                     beta2: float = 0.999, demo: OptimizerDemo | None = None):
    """The interactive optimizer race: controls above a picture.

    Parameters
    ----------
    surface : {'quadratic', 'rotated', 'saddle', 'rosenbrock'}
        Initial surface; the start point, learning rates and steps start at its
        :data:`DEFAULTS` (and go back to them when another surface is chosen).
    beta : float in [0, 0.99]
        Momentum's β (and Nesterov's).
    beta1 : float in [0, 0.99]
        Adam's first-moment decay.
    beta2 : float in [0.5, 0.9999]
        Adam's (and RMSProp's) second-moment decay.
    demo : OptimizerDemo, optional
        The computation and figure to use (a new one by default).

    Returns
    -------
    ipywidgets.VBox
        Children: the controls, a status line and the ``ipywidgets.Image``; also
        ``box.controls`` (dict: surface, learning_rate, adaptive_learning_rate, beta,
        beta1, beta2, x0, y0, steps), ``box.image``, ``box.demo`` and ``box.live``.
    """
    import ipywidgets as widgets

    validation.one_of("surface", surface, SURFACES)
    validation.number("beta", beta, low=0.0, high=0.99)
    validation.number("beta1", beta1, low=0.0, high=0.99)
    validation.number("beta2", beta2, low=0.5, high=0.9999)
    demo = demo if demo is not None else OptimizerDemo()
    d = DEFAULTS[surface]
    x0, x1, y0, y1 = SURFACES[surface][3]
    style = {"description_width": "170px"}
    wide = widgets.Layout(width="560px")
    controls = {
        "surface": widgets.Dropdown(
            options=[(label, key) for key, (label, *_) in SURFACES.items()],
            value=surface, description="surface", style=style, layout=wide),
        "learning_rate": widgets.FloatLogSlider(
            value=d["learning_rate"], base=10, min=LEARNING_RATE_EXPONENTS[0],
            max=LEARNING_RATE_EXPONENTS[1], step=0.05, readout_format=".2e",
            description="lr: SGD, momentum, Nesterov", style=style, layout=wide),
        "adaptive_learning_rate": widgets.FloatLogSlider(
            value=d["adaptive_learning_rate"], base=10, min=ADAPTIVE_EXPONENTS[0],
            max=ADAPTIVE_EXPONENTS[1], step=0.05, readout_format=".2e",
            description="lr: AdaGrad, RMSProp, Adam", style=style, layout=wide),
        "beta": widgets.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                    description="β (momentum, Nesterov)", style=style,
                                    layout=wide),
        "beta1": widgets.FloatSlider(value=beta1, min=0.0, max=0.99, step=0.01,
                                     description="β1 (Adam)", style=style, layout=wide),
        "beta2": widgets.FloatSlider(value=beta2, min=0.5, max=0.9999, step=0.0001,
                                     readout_format=".4f",
                                     description="β2 (Adam, RMSProp)", style=style,
                                     layout=wide),
        "x0": widgets.FloatSlider(value=d["start"][0], min=x0, max=x1, step=0.05,
                                  description="start x", style=style, layout=wide),
        "y0": widgets.FloatSlider(value=d["start"][1], min=y0, max=y1, step=0.001,
                                  readout_format=".3f", description="start y",
                                  style=style, layout=wide),
        "steps": widgets.IntSlider(value=d["steps"], min=10, max=min(MAX_STEPS, 2000),
                                   step=10, description="steps", style=style,
                                   layout=wide),
    }
    adjusting = []

    def moved(change) -> bool:
        if adjusting:
            return False  # set below: one redraw for the whole change of surface
        if change["owner"] is controls["surface"]:
            new = DEFAULTS[change["new"]]
            a, b, c, e = SURFACES[change["new"]][3]
            adjusting.append(True)
            try:
                for name, low, high, value in (("x0", a, b, new["start"][0]),
                                               ("y0", c, e, new["start"][1])):
                    control = controls[name]
                    # Widen first, then narrow: min may never pass max.
                    control.min, control.max = min(control.min, low), max(control.max, high)
                    control.value = value
                    control.min, control.max = low, high
                for name in ("learning_rate", "adaptive_learning_rate", "steps"):
                    controls[name].value = new[name]
            finally:
                adjusting.clear()
        return True

    def draw(v: dict) -> bytes:
        return demo.update(v["surface"], (v["x0"], v["y0"]), v["learning_rate"],
                           v["adaptive_learning_rate"], v["beta"], v["beta1"], v["beta2"],
                           v["steps"])

    return live_box(controls, draw, demo=demo, on_change=moved)
