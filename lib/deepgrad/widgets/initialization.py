"""The initialization widget: what a weight-initialization scheme does to the activations
and the gradients of every layer of a deep fully connected net, on real digits.

Pick a scheme (zero, small 0.01, large 1.0, Xavier √(1/n), He √(2/n), or any scale with
the scale slider), the depth (1-20 hidden layers), the width (16-512 units), the
activation (tanh, ReLU, sigmoid, linear) and batch norm on or off. One forward and one
backward pass of the untrained net on a fixed mini-batch of 64 standardized MNIST digits
(softmax cross-entropy on a 10-way output layer) is summarized per layer by
:func:`deepgrad.kernels.init_stats.layer_statistics` (a Numba kernel; the network itself
is described there):

- **Left**: the distribution of the activations ``A[l]`` of each layer (one column per
  layer): the share of the values in each bin of ``|value|`` (bins of a factor 2, log
  axis), with the layer's standard deviation as a white line. Exact zeros have no place
  on a log axis: their share is written under the panel.
- **Middle**: the same for the gradients ``∂loss/∂Z[l]`` (backward pass).
- **Right**: both standard deviations against depth (log scale).

The title says what the numbers show: activations that shrink or grow with depth (by
more than a factor 10 from the first to the last layer), gradients that vanish or
explode toward the input, saturated values (slope below 1 % of the activation's
largest), dead ReLU units (0 for every digit of the batch), or every unit equal.

Measured on the course's busy 2-core machine (``python -m benchmarks.run --only widgets``,
docs/benchmarks.md "Widgets"): compute ~10 ms at depth 10, width 256 and ~40 ms at depth
20, width 512; render ~30-37 ms for a move that keeps the axes' limits (the depth axis
goes in steps of 5 layers), ~105-110 ms when the whole figure is drawn.

Structure (as the other widgets): :meth:`InitializationDemo.compute` returns an
:class:`InitializationResult`; :meth:`InitializationDemo.render` draws it on one Agg
figure, created once and updated in place (:class:`deepgrad.widgets.live.LiveFigure`),
and returns PNG bytes; :func:`initialization_widget` wires the controls to an
``ipywidgets.Image`` (:func:`deepgrad.widgets.live.live_box`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .. import validation
from ..kernels.init_stats import (ACTIVATIONS, MAX_DEPTH, SCHEMES, LayerStatistics,
                                  layer_statistics)
from .live import LiveFigure, live_box, steady_limits
from .saturation import _log10_label

__all__ = ["InitializationResult", "InitializationDemo", "initialization_widget",
           "WIDTH_SLIDER"]

#: Width slider (min, max, step).
WIDTH_SLIDER = (16, 512, 16)
#: Scale slider range (the "scale" scheme), as powers of 10.
SCALE_EXPONENTS = (-3.0, 1.0)
#: A change by more than this factor from the first to the last layer is named.
FACTOR = 10.0

_LOG10_2 = math.log10(2.0)
_ACTIVATION_LABELS = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid",
                      "linear": "linear"}


def _scheme_label(scheme: object) -> str:
    return SCHEMES[scheme] if isinstance(scheme, str) else f"scale {scheme:.3g}"


def _log10(values: np.ndarray) -> np.ndarray:
    """log10 of standard deviations, nan where one is exactly 0 (nothing to draw)."""
    with np.errstate(divide="ignore"):
        out = np.log10(values)
    return np.where(np.isfinite(out), out, np.nan)


def _summary(s: LayerStatistics) -> tuple[str, bool]:
    """What the statistics show, in words, and whether something is wrong."""
    L = s.depth
    if not s.activation_std.any():
        text = ("every unit of every layer outputs the same value (activation std 0): "
                "nothing breaks the symmetry")
        if not s.gradient_std.any():
            text += ";\nno gradient reaches the hidden layers (exactly 0)"
        return text, True
    words, wrong = [], False
    a0, aL = s.activation_std[0], s.activation_std[-1]
    g0, gL = s.gradient_std[0], s.gradient_std[-1]
    if L > 1:
        if aL == 0 or aL < a0 / FACTOR:
            words.append(f"activations vanish: std {a0:.2g} in layer 1, {aL:.2g} in "
                         f"layer {L}")
            wrong = True
        elif aL > a0 * FACTOR:
            words.append(f"activations explode: std {a0:.2g} in layer 1, {aL:.2g} in "
                         f"layer {L}")
            wrong = True
        else:
            words.append(f"activation std within a factor 10 ({a0:.2g} in layer 1, "
                         f"{aL:.2g} in layer {L})")
        if g0 == 0 or g0 < gL / FACTOR:
            words.append(f"gradients vanish toward the input ({gL:.2g} at layer {L}, "
                         f"{g0:.2g} at layer 1)")
            wrong = True
        elif g0 > gL * FACTOR:
            words.append(f"gradients explode toward the input ({gL:.2g} at layer {L}, "
                         f"{g0:.2g} at layer 1)")
            wrong = True
        else:
            words.append(f"gradient std within a factor 10 ({gL:.2g} at layer {L}, "
                         f"{g0:.2g} at layer 1)")
    if s.activation in ("tanh", "sigmoid") and s.saturated_share.max() > 0.5:
        k = int(np.argmax(s.saturated_share))
        words.append(f"saturated: {s.saturated_share[k]:.0%} of layer {k + 1}'s values "
                     "have a slope below 1 % of the largest")
        wrong = True
    if s.activation == "relu" and s.dead_share.max() > 0.1:
        k = int(np.argmax(s.dead_share))
        words.append(f"{s.dead_share[k]:.0%} of layer {k + 1}'s ReLUs are dead "
                     "(0 for every digit)")
        wrong = True
    lines, line = [], ""
    for w in words:  # two or three lines, not one long one
        if line and len(line) + len(w) > 95:
            lines.append(line)
            line = ""
        line = f"{line}; {w}" if line else w
    return "\n".join(lines + [line]), wrong


@dataclass
class InitializationResult:
    """One position of the controls, computed.

    Attributes
    ----------
    stats : LayerStatistics
        What the kernel measured (per layer: std, histograms, zeros, saturation).
    summary : str
        What the numbers show, in words (the figure's title).
    problem : bool
        Whether the summary names a problem (the title is red then, else green).
    seconds : float
        Wall time of the computation.
    """

    stats: LayerStatistics
    summary: str
    problem: bool
    seconds: float


class InitializationDemo:
    """The initialization demo's computation and its (single, reused) figure.

    Parameters
    ----------
    dpi : float
        Resolution of the rendered PNG (the figure is 12 x 5 inches).

    Examples
    --------
    >>> demo = InitializationDemo()
    >>> result = demo.compute("small", depth=10, width=256, activation="tanh")
    >>> "vanish" in result.summary
    True
    >>> png = demo.render(result)
    """

    def __init__(self, dpi: float = 80):
        self.figure = Figure(figsize=(12, 5), dpi=dpi)
        FigureCanvasAgg(self.figure)  # Agg, no pyplot: nothing is shown inline by itself
        self.act_ax, self.grad_ax, self.std_ax = self.figure.subplots(
            1, 3, width_ratios=(1, 1, 1.05),
            gridspec_kw=dict(left=0.06, right=0.985, bottom=0.15, top=0.8, wspace=0.22))
        empty = np.zeros((2, 2))
        norm = PowerNorm(0.5, vmin=0.0, vmax=1.0)
        self._images, self._std_lines, self._zero_notes = [], [], []
        for ax, what in ((self.act_ax, "activations A[l]"),
                         (self.grad_ax, "gradients ∂loss/∂Z[l]")):
            self._images.append(ax.imshow(empty, origin="lower", aspect="auto",
                                          cmap="viridis", norm=norm,
                                          interpolation="nearest"))
            (line,) = ax.plot([], [], "o-", color="white", ms=3, lw=1.5)
            self._std_lines.append(line)
            ax.set_title(f"{what}: share of |values| per bin", fontsize=10)
            ax.set_xlabel("layer l")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
            ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
            self._zero_notes.append(ax.text(0.0, -0.2, "", transform=ax.transAxes,
                                            fontsize=8, va="top", color="#444444"))
        self.act_ax.set_ylabel("|value| (log scale; white: std)")
        ax = self.std_ax
        (self._act_line,) = ax.plot([], [], "o-", color="#2166ac", ms=4, lw=2,
                                    label="activations A[l]")
        (self._grad_line,) = ax.plot([], [], "s-", color="#b2182b", ms=4, lw=2,
                                     label="gradients ∂loss/∂Z[l]")
        ax.set_title("standard deviation against depth", fontsize=10)
        ax.set_xlabel("layer l")
        ax.set_ylabel("std (log scale)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(_log10_label))
        ax.grid(True, color="#e5e5e5", lw=0.8)
        # Opaque: the live figure pastes it over the lines (see LiveFigure).
        self._legend = ax.legend(loc="upper left", fontsize=8, framealpha=1.0)
        self._std_note = ax.text(0.98, 0.03, "", transform=ax.transAxes, ha="right",
                                 fontsize=8, bbox=dict(boxstyle="square,pad=0.2",
                                                       fc="white", ec="none"))
        self._title = self.figure.suptitle("", fontsize=11, fontweight="bold")
        self.live = LiveFigure(self.figure)
        self.renders = 0

    # ------------------------------------------------------------------------- compute
    def compute(self, scheme: object = "xavier", depth: int = 10, width: int = 256,
                activation: str = "tanh", batch_norm: bool = False,
                seed: int = 0) -> InitializationResult:
        """One forward and backward pass, described: see :func:`layer_statistics` for
        the arguments (and the TypeError / ValueError it raises, naming the argument)."""
        start = time.perf_counter()
        stats = layer_statistics(scheme, depth, width, activation, batch_norm, seed)
        summary, problem = _summary(stats)
        return InitializationResult(stats=stats, summary=summary, problem=problem,
                                    seconds=time.perf_counter() - start)

    # ------------------------------------------------------------------------- render
    def render(self, result: InitializationResult) -> bytes:
        """Draw ``result`` on the (single, reused) figure and return it as PNG bytes."""
        s = result.stats
        depths = np.arange(1, s.depth + 1)
        edges = s.bin_exponents * _LOG10_2  # bin edges as log10 |value|
        act_log, grad_log = _log10(s.activation_std), _log10(s.gradient_std)
        # Show the decades that hold values (at least 6), the same for both panels.
        used = np.flatnonzero((s.activation_hist + s.gradient_hist).sum(axis=0))
        if used.size:
            low, high = edges[used[0]] - 1.0, edges[used[-1] + 1] + 1.0
        else:
            low, high = -3.0, 3.0
        if high - low < 6.0:
            low, high = (low + high) / 2 - 3.0, (low + high) / 2 + 3.0
        # Round limits (1, 2 or 5 x 10^k decades; the depth axis in steps of 5 layers):
        # a small move keeps them, and the live figure draws no axis again.
        self._hist_range = low, high = steady_limits(getattr(self, "_hist_range", None),
                                                     low, high, steps=4)
        right = 5 * math.ceil(s.depth / 5) + 0.5
        panels = ((s.activation_hist, act_log, s.activation_zero_share),
                  (s.gradient_hist, grad_log, s.gradient_zero_share))
        for (hist, std_log, zeros), image, line, note, ax in zip(
                panels, self._images, self._std_lines, self._zero_notes,
                (self.act_ax, self.grad_ax)):
            image.set_data(hist.T)
            image.set_extent((0.5, s.depth + 0.5, edges[0], edges[-1]))
            line.set_data(depths, std_log)
            ax.set_xlim(0.5, right)
            ax.set_ylim(low, high)
            k = int(np.argmax(zeros))
            note.set_text(f"exactly 0: {zeros[k]:.0%} of layer {k + 1}'s values"
                          f"{' (the most)' if s.depth > 1 else ''}" if zeros[k] > 0
                          else "no value is exactly 0")
        self._act_line.set_data(depths, act_log)
        self._grad_line.set_data(depths, grad_log)
        finite = np.concatenate([v[np.isfinite(v)] for v in (act_log, grad_log)])
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-2.0, 2.0)
        if hi - lo < 4.0:
            lo, hi = (lo + hi) / 2 - 2.0, (lo + hi) / 2 + 2.0
        self._std_range = lo, hi = steady_limits(getattr(self, "_std_range", None),
                                                 lo, hi, steps=4)
        self.std_ax.set_ylim(lo - 0.08 * (hi - lo), hi + 0.25 * (hi - lo))
        self.std_ax.set_xlim(0.5, right)
        zero_std = [name for name, v in (("activation", s.activation_std),
                                         ("gradient", s.gradient_std)) if not v.all()]
        self._std_note.set_text(" and ".join(zero_std) + " std exactly 0 in some layers "
                                "(not drawn)" if zero_std else "")
        bn = ", batch norm" if s.batch_norm else ""
        self._title.set_text(f"{_scheme_label(s.scheme)}, "
                             f"{_ACTIVATION_LABELS[s.activation]}, {s.depth} layers of "
                             f"{s.width}{bn}: {result.summary}")
        self._title.set_color("#b2182b" if result.problem else "#1b7837")
        self.renders += 1
        return self.live.frame(
            [*self._images, *self._std_lines, *self._zero_notes, self._act_line,
             self._grad_line, self._std_note, self._title], overlays=[self._legend])

    def update(self, scheme: object = "xavier", depth: int = 10, width: int = 256,
               activation: str = "tanh", batch_norm: bool = False) -> bytes:
        """``render(compute(...))``."""
        return self.render(self.compute(scheme, depth, width, activation, batch_norm))


def initialization_widget(scheme: str = "xavier", depth: int = 10, width: int = 256,
                          activation: str = "tanh", batch_norm: bool = False,
                          scale: float = 0.1, demo: InitializationDemo | None = None):
    """The interactive initialization demo: controls above a picture.

    Parameters
    ----------
    scheme : {'zero', 'small', 'large', 'xavier', 'he', 'scale'}
        Initial scheme; 'scale' draws every weight with the std of the scale slider.
    depth : int in [1, 20]
    width : int in [16, 512]
    activation : {'tanh', 'relu', 'sigmoid', 'linear'}
    batch_norm : bool
    scale : float in [0.001, 10]
        Initial value of the scale slider (moving it selects the 'scale' scheme).
    demo : InitializationDemo, optional
        The computation and figure to use (a new one by default).

    Returns
    -------
    ipywidgets.VBox
        Children: the controls, then the ``ipywidgets.Image``; also reachable as
        ``box.controls`` (dict: scheme, scale, depth, width, activation, batch_norm),
        ``box.image`` and ``box.demo``.
    """
    import ipywidgets as widgets

    # Checked here: the controls would say something less helpful.
    validation.one_of("scheme", scheme, list(SCHEMES) + ["scale"])
    scale = validation.number("scale", scale, low=10 ** SCALE_EXPONENTS[0],
                              high=10 ** SCALE_EXPONENTS[1])
    validation.integer("depth", depth, low=1, high=MAX_DEPTH)
    validation.integer("width", width, low=WIDTH_SLIDER[0], high=WIDTH_SLIDER[1])
    validation.one_of("activation", activation, ACTIVATIONS)
    validation.boolean("batch_norm", batch_norm)
    demo = demo if demo is not None else InitializationDemo()
    style = {"description_width": "110px"}
    wide = widgets.Layout(width="520px")
    controls = {
        "scheme": widgets.Dropdown(
            options=[(label, key) for key, label in SCHEMES.items()]
            + [("scale (slider below)", "scale")], value=scheme,
            description="initialization", style=style, layout=wide),
        "scale": widgets.FloatLogSlider(
            value=scale, base=10, min=SCALE_EXPONENTS[0], max=SCALE_EXPONENTS[1],
            step=0.1, description="scale (std)", readout_format=".3g",
            continuous_update=True, style=style, layout=wide),
        # compute ~40 ms at the largest net + a live frame ~35 ms: depth follows the
        # drag; a new width draws new weights (~0.1 s at 512), so it updates on release.
        "depth": widgets.IntSlider(
            value=depth, min=1, max=MAX_DEPTH, description="depth (layers)",
            continuous_update=True, style=style, layout=wide),
        "width": widgets.IntSlider(
            value=width, min=WIDTH_SLIDER[0], max=WIDTH_SLIDER[1], step=WIDTH_SLIDER[2],
            description="width (units)", continuous_update=False, style=style,
            layout=wide),
        "activation": widgets.Dropdown(
            options=[(label, key) for key, label in _ACTIVATION_LABELS.items()],
            value=activation, description="activation", style=style, layout=wide),
        "batch_norm": widgets.Checkbox(value=batch_norm, description="batch norm",
                                       style=style),
    }

    def settings() -> tuple:
        c = {name: control.value for name, control in controls.items()}
        chosen = c["scale"] if c["scheme"] == "scale" else c["scheme"]
        return chosen, c["depth"], c["width"], c["activation"], c["batch_norm"]

    def moved(change) -> bool:
        if (change["owner"] is controls["scale"]
                and controls["scheme"].value != "scale"):
            controls["scheme"].value = "scale"  # its own change redraws, once
            return False
        return True

    return live_box(controls, lambda v: demo.update(*settings()), demo=demo,
                    on_change=moved)
