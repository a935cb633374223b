"""The learning-rate widget: move the learning rate and the number of iterations, watch
the cost curve and the decision boundary of a 2-D logistic regression change.

It is split in three so the computation is testable without a browser:

- :meth:`LearningRateDemo.compute` trains (Numba kernel, a few tens of ms for 5,000
  iterations) and returns a :class:`LearningRateResult`: costs, w, b, grid
  probabilities, accuracies and a verdict in words;
- :meth:`LearningRateDemo.render` draws a result on one Agg figure, created once and
  updated in place (only the artists that move, over a cached background:
  :class:`deepgrad.widgets.live.LiveFigure`; ~31-35 ms a frame, ~80 ms when an axis
  changes, docs/benchmarks.md "Widgets"), and returns PNG bytes;
- :func:`learning_rate_widget` wires sliders to an ``ipywidgets.Image`` showing those
  bytes (:func:`deepgrad.widgets.live.live_box`). Updating one image in place (rather
  than re-creating an inline figure in an output area on every move) is what renders
  reliably in the browser.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import validation
from ..data import make_blobs_2d, make_circles_2d
from ..kernels.logistic import grid_probabilities, point_probabilities, train_on_points
from ..plotting import BoundaryPlot, CostCurvePlot, decision_grid
from .live import LiveFigure, live_box, snapped_limits, steady_limits

__all__ = ["DATASETS", "LearningRateResult", "LearningRateDemo", "diagnose",
           "learning_rate_widget"]

#: Data-set name -> (label in the drop-down, feature map used for it).
DATASETS = {
    "blobs": ("two blobs, straight boundary [x1, x2]", "linear"),
    "circles": ("circles, quadratic features [x1, x2, x1², x2², x1·x2]", "quadratic"),
}

# Slider ranges. With standardized features logistic regression only starts to
# overshoot above a learning rate of ~10 and grows past its starting cost around
# 30-100, so the log slider goes up to 100 to show the "too high" shape.
LEARNING_RATE_EXPONENTS = (-4.0, 2.0)
MAX_ITERATIONS = 5000

_STATUS_COLORS = {"too high": "#b2182b", "not converged": "#b35806", "converged": "#1b7837"}


def _load_problem(name: str):
    # Overlapping blobs (spread 1.5) have a best cost well above 0, so a too-high rate
    # visibly pushes the cost above where it started; the circles are noisy for the
    # same reason.
    if name == "blobs":
        return make_blobs_2d(m=400, spread=1.5, seed=0)
    return make_circles_2d(m=400, noise=0.15, seed=0)


@dataclass
class LearningRateResult:
    """One run of the widget's gradient descent.

    Attributes
    ----------
    dataset : str
        A key of :data:`DATASETS`.
    learning_rate, momentum : float
    iterations : int
    costs : ndarray, shape (iterations + 1,)
        ``costs[k]``: training cost after k updates (nan after it stopped being finite).
    w : ndarray, shape (n_f, 1)
        Weights of the standardized features (n_f = 2 or 5).
    b : float
    probabilities : ndarray, shape (resolution, resolution)
        P(y = 1) on the grid ``x1_values × x2_values`` (rows follow x2).
    x1_values, x2_values : ndarray, shape (resolution,)
    train_accuracy, test_accuracy : float
        Share of correctly classified points (threshold 0.5), in [0, 1].
    status : {'too high', 'not converged', 'converged'}
    verdict : str
        The status in words, shown on the plot.
    seconds : float
        Wall time of the computation.
    """

    dataset: str
    learning_rate: float
    iterations: int
    momentum: float
    costs: np.ndarray
    w: np.ndarray
    b: float
    probabilities: np.ndarray
    x1_values: np.ndarray
    x2_values: np.ndarray
    train_accuracy: float
    test_accuracy: float
    status: str
    verdict: str
    seconds: float

    @property
    def final_cost(self) -> float:
        """The cost after the last update (nan if it stopped being finite)."""
        return float(self.costs[-1])

    @property
    def diverged(self) -> bool:
        return self.status == "too high"


def diagnose(costs: np.ndarray, momentum: float = 0.0) -> tuple[str, str]:
    """Read a cost curve like the course notes do: too high, not converged, converged.

    Parameters
    ----------
    costs : ndarray, shape (iterations + 1,)
        ``costs[0]`` is the cost before the first update.
    momentum : float
        With momentum the cost may go up and down on its way down; only a cost above
        the starting cost counts as "too high" then.

    Returns
    -------
    (status, verdict) : (str, str)
    """
    c = np.asarray(costs, dtype=np.float64)
    if c.size == 0:
        return "not converged", "no iterations"
    if not np.isfinite(c).all():
        return "too high", "learning rate too high: the cost grows until it is not a number"
    start = c[0]
    # The notes' "too high: final parameters are worse than random", read on the cost: it
    # climbs above where it started (the accuracy need not drop, demos/learning_rate.ipynb).
    if c.max() > start * (1 + 1e-9):
        return "too high", "learning rate too high: the cost grows"
    if momentum == 0.0 and c.size > 1:
        # Plain gradient descent with a small enough step never raises the cost;
        # rises above rounding noise mean the steps overshoot.
        rises = np.diff(c) > 1e-6 * np.abs(c[:-1]) + 1e-12
        if rises.any():
            return "too high", ("learning rate too high: the cost grows at some steps "
                                "(it overshoots and zig-zags)")
    if c.size < 2:
        return "not converged", "too few iterations: the cost has not started to fall"
    # Still falling at the end: at the slope of the last tenth of the run, as many
    # iterations again would lower the cost by more than 2 % of what it fell so far.
    iterations = c.size - 1
    tail = max(1, iterations // 10)
    total_drop = start - c.min()
    end_slope = (c[-1 - tail] - c[-1]) / tail
    if total_drop <= 0 or end_slope * iterations > 0.02 * total_drop:
        return "not converged", ("not converged yet: the cost is still falling "
                                 "(learning rate too low, or too few iterations)")
    return "converged", "converged: the cost has levelled off"


class LearningRateDemo:
    """Logistic regression on a 2-D problem, trained and drawn for the widget.

    Parameters
    ----------
    resolution : int
        Grid points per axis of the decision-boundary picture.
    dpi : float
        Resolution of the rendered PNG (the figure is 10 x 4.2 inches).

    Examples
    --------
    >>> demo = LearningRateDemo()
    >>> result = demo.compute(learning_rate=0.5, iterations=300, dataset="blobs")
    >>> png = demo.render(result)
    """

    def __init__(self, resolution: int = 120, dpi: float = 80):
        self.resolution = resolution
        self.splits = {name: _load_problem(name) for name in DATASETS}
        self.grids = {name: decision_grid(s.X_train, resolution)
                      for name, s in self.splits.items()}
        self.figure = Figure(figsize=(10, 4.2), dpi=dpi)
        FigureCanvasAgg(self.figure)  # Agg, no pyplot: nothing is shown inline by itself
        # Fixed margins (a layout engine would cost ~100 ms per render).
        cost_ax, boundary_ax = self.figure.subplots(
            1, 2, width_ratios=(1.25, 1),
            gridspec_kw=dict(left=0.07, right=0.985, bottom=0.12, top=0.83, wspace=0.18))
        # The title says which rate the curve belongs to: no legend to hide the curve.
        self._cost_plot = CostCurvePlot(cost_ax, legend=False)
        # The cost at w = 0, b = 0 is log 2 for any data: the "random guess" line.
        cost_ax.axhline(math.log(2), color="gray", ls=":", lw=1)
        cost_ax.annotate("cost at the start, w = 0 (ln 2)", xy=(1.0, math.log(2)),
                         xycoords=("axes fraction", "data"), xytext=(-4, 3),
                         textcoords="offset points", ha="right", fontsize=8,
                         color="dimgray", zorder=3,
                         bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none",
                                   alpha=0.8))
        self._shown_dataset = "blobs"
        split = self.splits[self._shown_dataset]
        self._boundary = BoundaryPlot(boundary_ax, split.X_train, split.Y_train,
                                      resolution=resolution)
        self._boundary.animated = True
        # Opaque: the live figure pastes it over the shading (see LiveFigure).
        boundary_ax.get_legend().get_frame().set_alpha(1.0)
        self._verdict_text = self.figure.suptitle("", fontsize=13, fontweight="bold")
        self.live = LiveFigure(self.figure)
        self.renders = 0

    def compute(self, learning_rate: float, iterations: int, dataset: str = "blobs",
                momentum: float = 0.0) -> LearningRateResult:
        """Train from w = 0, b = 0 and evaluate: see :class:`LearningRateResult`.

        Raises
        ------
        TypeError
            For an argument of the wrong type (named).
        ValueError
            For an unknown ``dataset`` or an out-of-range argument (named).
        """
        validation.one_of("dataset", dataset, DATASETS)
        start = time.perf_counter()
        split = self.splits[dataset]
        model = train_on_points(split.X_train, split.Y_train, DATASETS[dataset][1],
                                learning_rate, int(iterations), beta=momentum)
        x1_values, x2_values = self.grids[dataset]
        probabilities = grid_probabilities(model, x1_values, x2_values)
        accuracies = []
        for X, Y in ((split.X_train, split.Y_train), (split.X_test, split.Y_test)):
            predicted = point_probabilities(model, X) > 0.5
            accuracies.append(float(np.mean(predicted == (Y > 0.5))))
        status, verdict = diagnose(model.costs, momentum)
        return LearningRateResult(
            dataset=dataset, learning_rate=float(learning_rate), iterations=int(iterations),
            momentum=float(momentum), costs=model.costs, w=model.w, b=model.b,
            probabilities=probabilities, x1_values=x1_values, x2_values=x2_values,
            train_accuracy=accuracies[0], test_accuracy=accuracies[1], status=status,
            verdict=verdict, seconds=time.perf_counter() - start)

    def render(self, result: LearningRateResult) -> bytes:
        """Draw ``result`` on the (single, reused) figure and return it as PNG bytes."""
        if result.dataset != self._shown_dataset:
            split = self.splits[result.dataset]
            self._boundary.set_points(split.X_train, split.Y_train)
            self._shown_dataset = result.dataset
        label = f"learning rate {result.learning_rate:.3g}"
        if result.momentum:
            label += f", momentum {result.momentum:.2g}"
        # One line under a fixed name (the title says which rate): the same artist on
        # every frame, updated in place.
        self._cost_plot.update({"cost": result.costs})
        cost_ax = self._cost_plot.ax
        finite = result.costs[np.isfinite(result.costs)]
        if finite.size:
            # Round limits: a small move keeps them, and the axes are not redrawn.
            top = max(float(finite.max()), math.log(2))
            cost_ax.set_ylim(*steady_limits(cost_ax.get_ylim(), 0.0, 1.12 * top,
                                            headroom=0.5))
        cost_ax.set_xlim(0, snapped_limits(0, max(1, result.iterations))[1])
        cost_ax.set_title(f"{label}, {result.iterations} iterations:\n"
                          f"final cost {result.final_cost:.4g}", fontsize=10)
        self._boundary.update(result.probabilities)
        self._boundary.ax.set_title(
            f"decision boundary ({DATASETS[result.dataset][1]} features):\n"
            f"accuracy {100 * result.train_accuracy:.1f} % train, "
            f"{100 * result.test_accuracy:.1f} % test", fontsize=10)
        self._verdict_text.set_text(result.verdict)
        self._verdict_text.set_color(_STATUS_COLORS[result.status])
        self.renders += 1
        return self.live.frame(
            [*self._cost_plot.lines.values(), *self._boundary.artists, cost_ax.title,
             self._boundary.ax.title, self._verdict_text],
            layout_key=result.dataset, overlays=[self._boundary.ax.get_legend()],
            layout_axes=[self._boundary.ax])  # another data set: the cost axes stay

    def update(self, learning_rate: float, iterations: int, dataset: str = "blobs",
               momentum: float = 0.0) -> bytes:
        """``render(compute(...))``."""
        return self.render(self.compute(learning_rate, iterations, dataset, momentum))


def learning_rate_widget(learning_rate: float = 0.1, iterations: int = 500,
                         dataset: str = "blobs", momentum: float = 0.0,
                         demo: LearningRateDemo | None = None):
    """The interactive learning-rate demo: sliders above a live picture.

    Parameters
    ----------
    learning_rate : float in [1e-4, 100]
        Initial value of the (log-scale) learning-rate slider.
    iterations : int in [1, 5000]
        Initial number of gradient-descent iterations.
    dataset : {'blobs', 'circles'}
    momentum : float in [0, 0.99]
    demo : LearningRateDemo, optional
        The computation and figure to use (a new one by default).

    Returns
    -------
    ipywidgets.VBox
        Children: the controls, then the ``ipywidgets.Image``. The widgets are also
        reachable by name on the returned box as ``box.controls`` (dict) and
        ``box.image``.
    """
    import ipywidgets as widgets

    demo = demo if demo is not None else LearningRateDemo()
    style = {"description_width": "110px"}
    wide = widgets.Layout(width="520px")
    # Compute + render take ~35-65 ms, so the picture can follow the learning-rate
    # slider while it is dragged; the iteration slider updates on release (moves are
    # merged anyway, deepgrad.widgets.live, but a drag would retrain up to 5,000
    # iterations per frame for pictures nobody reads).
    controls = {
        "learning_rate": widgets.FloatLogSlider(
            value=learning_rate, base=10, min=LEARNING_RATE_EXPONENTS[0],
            max=LEARNING_RATE_EXPONENTS[1], step=0.1, description="learning rate",
            readout_format=".2e", continuous_update=True, style=style, layout=wide),
        "iterations": widgets.IntSlider(
            value=iterations, min=1, max=MAX_ITERATIONS, step=1, description="iterations",
            continuous_update=False, style=style, layout=wide),
        "momentum": widgets.FloatSlider(
            value=momentum, min=0.0, max=0.99, step=0.01, description="momentum β",
            continuous_update=False, style=style, layout=wide),
        "dataset": widgets.Dropdown(
            options=[(label, name) for name, (label, _) in DATASETS.items()],
            value=dataset, description="data", style=style, layout=wide),
    }
    return live_box(controls, lambda v: demo.update(v["learning_rate"], v["iterations"],
                                                    v["dataset"], v["momentum"]),
                    demo=demo)
