"""Plots of the course: cost curves, decision boundaries, image grids.

One way to draw each thing, used by the notebooks and by the widgets alike:

- :func:`plot_cost_curves` / :class:`CostCurvePlot` -- cost against iteration,
- :func:`plot_decision_boundary` / :class:`BoundaryPlot` -- P(y = 1) over the plane of a
  2-D problem, its 0.5 contour, and the points coloured by class,
- :func:`show_images` -- flattened images (columns of ``X``) as a grid,
- :func:`figure_to_png` -- a figure as PNG bytes (for an ``ipywidgets.Image``).

The ``plot_*`` functions draw once and return the Axes. The classes keep their artists
and update them in place (``set_data``), which is what a widget redrawing on every
slider move needs. Nothing here calls ``plt.show()``: the notebook decides when to show.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from deepgrad import validation

__all__ = ["CLASS_COLORS", "PROBABILITY_CMAP", "CostCurvePlot", "plot_cost_curves",
           "decision_grid", "BoundaryPlot", "plot_decision_boundary", "show_images",
           "figure_to_png"]

#: Colours of class 0 and class 1 (points), matching the ends of PROBABILITY_CMAP.
CLASS_COLORS = ("#2166ac", "#b2182b")
#: P(y = 1) from light blue (0) through white (0.5) to light red (1): light enough
#: that the points (CLASS_COLORS) stand out on it.
PROBABILITY_CMAP = LinearSegmentedColormap.from_list(
    "deepgrad_probability", ["#92c5de", "#f7f7f7", "#f4a582"])


def _new_axes(figsize: tuple[float, float]) -> Axes:
    import matplotlib.pyplot as plt  # only when the caller gave no Axes (notebook use)

    _, ax = plt.subplots(figsize=figsize)
    return ax


# ----------------------------------------------------------------------------- cost curves
class CostCurvePlot:
    """Cost curves on one Axes, updated in place.

    Parameters
    ----------
    ax : Axes
    title : str, optional
    logy : bool
        Logarithmic cost axis (useful when the cost spans decades).
    legend : bool
        Label the lines in a legend.
    """

    def __init__(self, ax: Axes, title: str | None = None, logy: bool = False,
                 legend: bool = True):
        self.ax = ax
        self.legend = legend
        self.lines: dict[str, object] = {}
        ax.set_xlabel("iteration")
        ax.set_ylabel("cost J")
        if logy:
            ax.set_yscale("log")
        if title is not None:
            ax.set_title(title)
        ax.grid(True, alpha=0.3)

    def update(self, curves: Mapping[str, object]) -> None:
        """Show exactly ``curves`` (label -> 1-D costs, index = iteration).

        Lines whose label is already shown are updated with ``set_data``; new labels get
        a line, labels no longer given lose theirs.
        """
        validation.instance("curves", curves, Mapping,
                            what="a dict mapping a label to a 1-D array of costs")
        arrays = {}
        for label, costs in curves.items():
            arrays[str(label)] = validation.array(
                f"curves[{label!r}]", np.asarray(costs, dtype=np.float64), ndim=1,
                shape_text="(num_iterations,)", nonempty=False)
        for label in list(self.lines):
            if label not in arrays:
                self.lines.pop(label).remove()
        for index, (label, c) in enumerate(arrays.items()):
            it = np.arange(c.size)
            # Colour by position, not by the axes' colour cycle: a redraw with a new
            # label keeps the same colour.
            color = f"C{index % 10}"
            if label in self.lines:
                self.lines[label].set_data(it, c)
                self.lines[label].set_color(color)
            else:
                (self.lines[label],) = self.ax.plot(it, c, label=label, lw=1.8,
                                                    color=color)
        self.ax.relim()
        self.ax.autoscale_view()
        if arrays and self.legend:
            self.ax.legend(loc="upper right", fontsize="small")
        elif self.ax.get_legend() is not None:
            self.ax.get_legend().remove()


def plot_cost_curves(curves: Mapping[str, object], ax: Axes | None = None,
                     title: str | None = None, logy: bool = False) -> Axes:
    """Plot cost against iteration, one line per entry of ``curves``.

    Parameters
    ----------
    curves : dict of str -> array-like, shape (num_iterations,)
        E.g. ``{"learning rate 0.01": costs_a, "learning rate 1": costs_b}``; the index
        of a value is its iteration.
    ax : Axes, optional
        Where to draw (a new figure otherwise).
    title : str, optional
    logy : bool
        Logarithmic cost axis.

    Returns
    -------
    Axes
    """
    ax = ax if ax is not None else _new_axes((6, 4))
    CostCurvePlot(ax, title=title, logy=logy).update(curves)
    return ax


# ----------------------------------------------------------------------------- boundaries
def decision_grid(X: np.ndarray, resolution: int = 200,
                  margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Grid coordinates covering the points ``X (2, m)`` with a margin on every side.

    Returns
    -------
    x1_values : ndarray, shape (resolution,)
    x2_values : ndarray, shape (resolution,)
    """
    validation.integer("resolution", resolution, low=2, high=2000)
    X = np.asarray(X, dtype=np.float64)
    lo, hi = X.min(axis=1), X.max(axis=1)
    pad = margin * np.maximum(hi - lo, 1e-9)
    return (np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
            np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))


class BoundaryPlot:
    """P(y = 1) shading, the 0.5 contour and the labelled points, updated in place.

    Parameters
    ----------
    ax : Axes
    X : ndarray, shape (2, m)
        The points (one column each).
    Y : ndarray, shape (1, m)
        Their 0/1 labels (colour).
    resolution : int
        Grid points per axis.
    title : str, optional

    Attributes
    ----------
    x1_values, x2_values : ndarray, shape (resolution,)
        The grid; :meth:`update` takes probabilities of shape (len(x2), len(x1)).
    grid_points : ndarray, shape (2, resolution**2)
        The grid as points, in the row-major order of that array.
    animated : bool
        Create the 0.5 contour (redrawn on every :meth:`update`) as an animated artist,
        for a widget that draws only what changed (:class:`deepgrad.widgets.live.
        LiveFigure`). False by default.
    """

    animated = False

    def __init__(self, ax: Axes, X: np.ndarray, Y: np.ndarray, resolution: int = 200,
                 title: str | None = None):
        self.ax = ax
        self.resolution = resolution
        self._contour = None
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        if title is not None:
            ax.set_title(title)
        self._image = ax.imshow(np.full((2, 2), 0.5), origin="lower", aspect="auto",
                                cmap=PROBABILITY_CMAP, vmin=0.0, vmax=1.0,
                                interpolation="bilinear", zorder=0)
        self._scatters = [ax.scatter([], [], s=16, c=color, edgecolors="white",
                                     linewidths=0.4, label=f"y = {k}", zorder=2)
                          for k, color in enumerate(CLASS_COLORS)]
        # A proxy so the legend names the contour, which is redrawn on every update.
        (self._boundary_proxy,) = ax.plot([], [], color="black", lw=2,
                                          label="boundary P = 0.5")
        ax.legend(loc="upper right", fontsize="small", framealpha=0.85)
        self.set_points(X, Y)

    def set_points(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Show other points (and move the grid to cover them); clears the shading."""
        validation.array("X", X, shape=(2, None), shape_text="(2, m)")
        m = X.shape[1]
        validation.array("Y", Y, shape_text=f"(1, {m})")
        if Y.shape not in ((1, m), (m,)):
            raise ValueError(f"Y must have shape (1, {m}) (one 0/1 label per point), "
                             f"got shape {Y.shape}")
        X, y = np.asarray(X, dtype=np.float64), Y.reshape(-1)
        for k, sc in enumerate(self._scatters):
            sc.set_offsets(X[:, y == k].T)
        self.x1_values, self.x2_values = decision_grid(X, self.resolution)
        g1, g2 = np.meshgrid(self.x1_values, self.x2_values)
        self.grid_points = np.vstack([g1.ravel(), g2.ravel()])
        extent = (self.x1_values[0], self.x1_values[-1], self.x2_values[0],
                  self.x2_values[-1])
        self._image.set_extent(extent)
        self.ax.set_xlim(extent[0], extent[1])
        self.ax.set_ylim(extent[2], extent[3])
        self.update(np.full((self.resolution, self.resolution), np.nan))

    def update(self, probabilities: np.ndarray) -> None:
        """Show new probabilities, shape (len(x2_values), len(x1_values)), in [0, 1]."""
        expected = (self.x2_values.size, self.x1_values.size)
        P = validation.array("probabilities", np.asarray(probabilities, dtype=np.float64),
                             shape=expected,
                             shape_text=f"{expected} (rows follow x2, columns x1)")
        self._image.set_data(np.ma.masked_invalid(P))
        if self._contour is not None:
            self._contour.remove()
            self._contour = None
        finite = P[np.isfinite(P)]
        # Only draw the 0.5 level where it exists: otherwise matplotlib would warn.
        if finite.size and finite.min() < 0.5 < finite.max():
            self._contour = self.ax.contour(self.x1_values, self.x2_values,
                                            np.where(np.isfinite(P), P, 0.5), levels=[0.5],
                                            colors="black", linewidths=2, zorder=1)
            if self.animated:
                self._contour.set_animated(True)

    @property
    def artists(self) -> list:
        """What :meth:`update` changes: the shading and the contour (if drawn), and the
        points drawn over them."""
        return [self._image, *self._scatters] + (
            [self._contour] if self._contour is not None else [])


def plot_decision_boundary(predict_proba: Callable[[np.ndarray], np.ndarray],
                           X: np.ndarray, Y: np.ndarray, ax: Axes | None = None,
                           title: str | None = None, resolution: int = 200) -> Axes:
    """Draw a classifier's P(y = 1) over the plane, its 0.5 contour, and the points.

    Parameters
    ----------
    predict_proba : callable
        Maps points of shape (2, k) to probabilities of shape (1, k) (or (k,)), e.g.
        ``lambda P: hypothesis(w, b, P)`` or ``lambda P: hypothesis(w, b, features(P))``.
    X : ndarray, shape (2, m)
        The points to show, one column each.
    Y : ndarray, shape (1, m)
        Their 0/1 labels.
    ax : Axes, optional
    title : str, optional
    resolution : int
        Grid points per axis (``resolution**2`` points go through ``predict_proba``).

    Returns
    -------
    Axes
    """
    validation.instance("predict_proba", predict_proba, Callable,
                        what="a function mapping points (2, k) to probabilities (1, k)")
    ax = ax if ax is not None else _new_axes((5, 4.5))
    plot = BoundaryPlot(ax, X, Y, resolution=resolution, title=title)
    k = plot.grid_points.shape[1]
    # Far-away grid points make a textbook sigmoid overflow harmlessly (exp -> inf,
    # result 0); keep that RuntimeWarning off stderr.
    with np.errstate(over="ignore", under="ignore"):
        probs = np.asarray(predict_proba(plot.grid_points.copy()))
    if probs.shape not in ((1, k), (k,)):
        raise ValueError(f"predict_proba must return shape (1, k) for points of shape "
                         f"(2, k); for k = {k} it returned shape {probs.shape}")
    plot.update(probs.reshape(plot.x2_values.size, plot.x1_values.size))
    return ax


# ----------------------------------------------------------------------------- images
def show_images(X: np.ndarray, labels: object = None, n: int = 16,
                shape: tuple[int, int] = (28, 28), ax: Axes | None = None) -> Axes:
    """Show the first ``n`` columns of ``X`` as images in a grid (one ``imshow``).

    Parameters
    ----------
    X : ndarray, shape (h * w, m)
        Flattened images, one per column (row-major pixels).
    labels : array-like, shape (m,) or (1, m), optional
        Written above each image.
    n : int
        How many images (at most m).
    shape : (h, w)
        Image shape.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    h, w = validation.shape_tuple("shape", shape, ndim=2, shape_text="(h, w)")
    validation.array("X", X, shape=(h * w, None),
                     shape_text=f"({h * w}, m) (one flattened {h}x{w} image per column)")
    count = min(validation.integer("n", n, low=1), X.shape[1])
    lab = None
    if labels is not None:
        lab = np.asarray(labels).reshape(-1)
        if lab.size != X.shape[1]:
            raise ValueError(f"labels must have one entry per column of X "
                             f"({X.shape[1]}), got {lab.size}")
    cols = int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / cols))
    gap = 10 if lab is not None else 2  # room for the labels
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    for i in range(count):
        r, c = divmod(i, cols)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = \
            X[:, i].reshape(h, w)
    ax = ax if ax is not None else _new_axes((1.2 * cols, 1.35 * rows))
    ax.imshow(np.ma.masked_invalid(canvas), cmap="gray_r", interpolation="nearest")
    ax.set_axis_off()
    if lab is not None:
        for i in range(count):
            r, c = divmod(i, cols)
            ax.text(c * (w + gap) + w / 2, r * (h + gap) - 0.5, str(lab[i]),
                    ha="center", va="bottom", fontsize=8)
    return ax


def figure_to_png(figure: Figure, dpi: float | None = None) -> bytes:
    """Render ``figure`` with Agg and return the PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi if dpi is not None else figure.dpi)
    return buffer.getvalue()
