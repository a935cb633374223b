"""The widgets: each one's compute and render, and the optimizer widget's kernel against a
plain NumPy loop and PyTorch's own optimizers, in one process.

Render is timed three ways on the widget's own figure, for the same result:

- **savefig** -- what every widget did before :mod:`deepgrad.widgets.live`: a full Agg draw
  and Pillow's PNG (``deepgrad.plotting.figure_to_png``);
- **live, background drawn** -- a frame of :class:`~deepgrad.widgets.live.LiveFigure` whose
  axes limits changed: a full Agg draw (dynamic artists included) and the live PNG
  encoder;
- **live, background reused** -- the usual slider move: the cached background, the
  dynamic artists and the encoder.

The live frames are timed as the widgets draw them, with the figure's title left to an
HTML line above the picture (``LiveFigure.html_title``); savefig draws it, as before.

The optimizer widget's kernel (:func:`deepgrad.kernels.surfaces.race`, six rules x N
steps on a 2-D surface) is timed against the same loop in plain NumPy and against
``torch.optim`` (SGD, SGD with momentum, SGD with Nesterov, Adagrad, RMSprop, Adam) on a
2-element tensor, when torch is importable. Paths must agree before anything is timed
(PyTorch's Nesterov tracks another point, the change-of-variables form, so its path is
not compared).

Run: ``python -m benchmarks.run --only widgets`` (``--write`` puts the section into
docs/benchmarks.md). ``python -m benchmarks.bench_widgets --browser FILE`` prints the
browser table from the JSON lines the browser test appends to ``$DEEPGRAD_WIDGET_TIMINGS``;
``--drag`` times a drag drawn one frame per move against coalesced. ``--release`` replays
the release notebooks' moves as the browser test makes them (a tap far along each track,
a fresh widget per repetition) and counts the backgrounds that slow drags draw.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict

import numpy as np

from benchmarks.timing import COMMAND, alternating_medians, environment, median_ms

SECTION = "widgets benchmark"


# ----------------------------------------------------------------------------- rendering
def _demos():
    """(label, demo, result) per widget, at a typical setting."""
    import matplotlib

    matplotlib.use("Agg")
    from deepgrad.widgets import (InitializationDemo, LearningRateDemo, OptimizerDemo,
                                  SaturationDemo)

    sat, lr, init, opt = SaturationDemo(), LearningRateDemo(), InitializationDemo(), \
        OptimizerDemo()
    return [
        ("saturation (sigmoid, w = 2)", sat, lambda: sat.compute("sigmoid", 2.0, 1.0, 0.0)),
        ("learning rate (blobs, 500 it)", lr, lambda: lr.compute(0.5, 500, "blobs")),
        ("learning rate (circles, 5000 it)", lr, lambda: lr.compute(1.0, 5000, "circles")),
        ("initialization (Xavier, tanh, 10 x 256)", init,
         lambda: init.compute("xavier", 10, 256, "tanh")),
        ("initialization (He, ReLU, 20 x 512)", init,
         lambda: init.compute("he", 20, 512, "relu")),
        ("optimizer (quadratic, 100 steps)", opt, lambda: opt.compute("quadratic")),
        ("optimizer (Rosenbrock, 2000 steps)", opt,
         lambda: opt.compute("rosenbrock", steps=2000)),
    ]


def _savefig(demo) -> bytes:
    """The figure drawn and encoded as before the live module (dynamic artists shown)."""
    from deepgrad.plotting import figure_to_png

    dynamic = getattr(demo.live, "_dynamic", [])
    for artist in dynamic:
        artist.set_animated(False)
    try:
        return figure_to_png(demo.figure)
    finally:
        for artist in dynamic:
            artist.set_animated(True)
        demo.live._background = None


def _frame_new_background(demo, result) -> bytes:
    demo.live._background = None  # as when an axis' limits change
    return demo.render(result)


def render_rows(repeats: int) -> list[tuple[str, float, float, float, float]]:
    """(label, compute, savefig, live with the background drawn, live reused) in ms."""
    rows = []
    for label, demo, compute in _demos():
        result = compute()
        demo.render(result)
        compute_ms = median_ms(compute, max(3, repeats // 2))
        savefig_ms = median_ms(lambda: _savefig(demo), max(3, repeats // 2))
        demo.live.html_title = True  # as in the widget: the title is HTML
        full_ms = median_ms(lambda: _frame_new_background(demo, result),
                            max(3, repeats // 2))
        demo.render(result)
        live_ms = median_ms(lambda: demo.render(result), repeats)
        rows.append((label, compute_ms, savefig_ms, full_ms, live_ms))
        demo.live.html_title = False
    return rows


def render_table(rows) -> str:
    lines = ["| widget, setting | compute (ms) | render: savefig, before (ms) | "
             "live frame, background drawn (ms) | live frame, background reused (ms) | "
             "savefig / reused |", "|---|---:|---:|---:|---:|---:|"]
    for label, compute, savefig, full, live in rows:
        lines.append(f"| {label} | {compute:.1f} | {savefig:.1f} | {full:.1f} | "
                     f"{live:.1f} | {savefig / live:.1f}x |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the kernel
def _gradient(surface: str, w: np.ndarray) -> np.ndarray:
    x, y = w
    if surface == "quadratic":
        return np.array([x, 20.0 * y])
    if surface == "rotated":
        u, v = (x + y) * math.sqrt(0.5), (y - x) * math.sqrt(0.5)
        return np.array([(u - 20.0 * v), (u + 20.0 * v)]) * math.sqrt(0.5)
    if surface == "saddle":
        return np.array([x, y ** 3 - y])
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def numpy_race(surface, start, lr, lr_a, beta, beta1, beta2, steps, eps=1e-8):
    """The kernel's loop in plain NumPy (2-vectors, one rule after the other): paths."""
    paths = np.full((6, steps + 1, 2), np.nan)
    for k in range(6):
        w = np.array(start, dtype=float)
        v, s = np.zeros(2), np.zeros(2)
        paths[k, 0] = w
        for t in range(1, steps + 1):
            g = _gradient(surface, w + beta * v if k == 2 else w)
            if k == 0:
                w = w - lr * g
            elif k in (1, 2):
                v = beta * v - lr * g
                w = w + v
            elif k == 3:
                s = s + g * g
                w = w - lr_a * g / (np.sqrt(s) + eps)
            elif k == 4:
                s = beta2 * s + (1 - beta2) * g * g
                w = w - lr_a * g / (np.sqrt(s) + eps)
            else:
                v = beta1 * v + (1 - beta1) * g
                s = beta2 * s + (1 - beta2) * g * g
                m_hat, s_hat = v / (1 - beta1 ** t), s / (1 - beta2 ** t)
                w = w - lr_a * m_hat / (np.sqrt(s_hat) + eps)
            if not (np.isfinite(w).all() and np.abs(w).max() <= 1e6):
                break
            paths[k, t] = w
    return paths


def torch_race(surface, start, lr, lr_a, beta, beta1, beta2, steps, eps=1e-8):
    """The same race with torch.optim's optimizers (float64): paths."""
    import torch

    makers = [
        lambda p: torch.optim.SGD([p], lr=lr),
        lambda p: torch.optim.SGD([p], lr=lr, momentum=beta),
        lambda p: torch.optim.SGD([p], lr=lr, momentum=beta, nesterov=True),
        lambda p: torch.optim.Adagrad([p], lr=lr_a, eps=eps),
        lambda p: torch.optim.RMSprop([p], lr=lr_a, alpha=beta2, eps=eps),
        lambda p: torch.optim.Adam([p], lr=lr_a, betas=(beta1, beta2), eps=eps),
    ]
    paths = np.full((6, steps + 1, 2), np.nan)
    for k, make in enumerate(makers):
        p = torch.tensor(start, dtype=torch.float64)
        p.grad = torch.zeros_like(p)
        optimizer = make(p)
        paths[k, 0] = start
        for t in range(1, steps + 1):
            x, y = p.tolist()
            p.grad.copy_(torch.from_numpy(_gradient(surface, np.array([x, y]))))
            optimizer.step()
            w = p.detach().numpy()
            if not (np.isfinite(w).all() and np.abs(w).max() <= 1e6):
                break
            paths[k, t] = w
    return paths


KERNEL_CASES = [("quadratic", (-2.5, 1.2), 0.06, 0.1, 0.9, 0.9, 0.999, 100),
                ("rosenbrock", (-1.5, 2.0), 0.0006, 0.05, 0.9, 0.9, 0.999, 1000)]


def kernel_rows(repeats: int, rounds: int) -> tuple[list, str]:
    """(label, kernel ms, numpy ms, torch ms or nan) per case, and the torch version."""
    from deepgrad.kernels.surfaces import race

    try:
        import torch

        torch_version = f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch = None
        torch_version = ", torch not installed"
    rows = []
    for case in KERNEL_CASES:
        kernel = race(*case).paths
        np.testing.assert_allclose(numpy_race(*case), kernel, rtol=1e-9, atol=1e-12,
                                   equal_nan=True)
        timed = {"kernel": lambda: race(*case),
                 "numpy": lambda: numpy_race(*case)}
        if torch is not None:
            theirs = torch_race(*case)
            same = [0, 1, 3, 4, 5]  # not Nesterov: torch tracks the look-ahead point
            np.testing.assert_allclose(theirs[same], kernel[same], rtol=1e-6, atol=1e-9,
                                       equal_nan=True)
            timed["torch"] = lambda: torch_race(*case)
        slow = max(1, repeats // 10)
        ms = {"kernel": alternating_medians({"kernel": timed["kernel"]}, repeats,
                                            rounds)["kernel"]}
        for key in ("numpy", "torch"):
            if key in timed:
                ms[key] = alternating_medians({key: timed[key]}, slow, rounds)[key]
        rows.append((f"{case[0]}, 6 rules x {case[-1]} steps", ms["kernel"], ms["numpy"],
                     ms.get("torch", math.nan)))
    return rows, torch_version


def kernel_table(rows) -> str:
    lines = ["| race | numba kernel (ms) | plain NumPy loop (ms) | torch.optim (ms) | "
             "NumPy / kernel | torch / kernel |", "|---|---:|---:|---:|---:|---:|"]
    for label, kernel, numpy_ms, torch_ms in rows:
        torch_cells = ("| " if math.isnan(torch_ms) else f"{torch_ms:.1f} ",
                       "| " if math.isnan(torch_ms) else f"{torch_ms / kernel:.0f}x ")
        lines.append(f"| {label} | {kernel:.3f} | {numpy_ms:.1f} | {torch_cells[0]}| "
                     f"{numpy_ms / kernel:.0f}x | {torch_cells[1]}|")
    return "\n".join(lines)


def report(repeats: int, rounds: int = 3) -> tuple[str, str]:
    """(section name, markdown) of this benchmark."""
    rows = render_rows(repeats)
    krows, torch_version = kernel_rows(repeats, rounds)
    return SECTION, (
        "## Widgets: compute and render of one slider move\n\n"
        f"`{COMMAND} --only widgets` (`make bench` runs all). In-process, one figure per "
        "widget at its default size. *savefig* is how every widget drew before "
        "`deepgrad.widgets.live` (full Agg draw + Pillow PNG, the title in the picture); "
        "a live frame with the background drawn is what a move that changes an axis' "
        "limits costs; with the background reused, what most moves cost (both as the "
        "widgets draw them: the title is an HTML line above the picture).\n\n"
        + render_table(rows) + "\n\n"
        "The optimizer widget's kernel, `deepgrad.kernels.surfaces.race`, against the same "
        "loop in plain NumPy and against `torch.optim` stepping a 2-element float64 "
        "tensor (paths checked equal first, Nesterov excepted: PyTorch's tracks the "
        "look-ahead point):\n\n"
        + kernel_table(krows) + "\n\n" + environment(torch_version) + ".")


# ----------------------------------------------------------------------------- a drag
def _drag(make, name: str, values: list, threaded: bool) -> tuple[float, int, int]:
    """Moves of one control every 15 ms, handled one after the other as a kernel handles
    its messages: (seconds from the last move to its picture, frames, moves)."""
    import time

    box = make()
    box.live.threaded = threaded
    shown = []
    box.image.observe(lambda change: shown.append(time.perf_counter()), names="value")
    start = time.perf_counter()
    for k, value in enumerate(values):
        delay = start + 0.015 * k - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        box.controls[name].value = value
    last = start + 0.015 * (len(values) - 1)
    box.live.wait(60)
    return shown[-1] - last, box.live.drawn, box.live.requested


def drag_table(repeats: int = 3) -> str:
    """A 0.6 s drag (40 moves) drawn one frame per move against coalesced."""
    import matplotlib

    matplotlib.use("Agg")
    from deepgrad.widgets import initialization_widget, saturation_widget

    cases = [("saturation, weight 1 → 4.9", saturation_widget, "weight",
              [1.0 + 0.1 * k for k in range(40)]),
             ("initialization (20 x 512), scale 0.1 → 0.22",
              lambda: initialization_widget(scheme="scale", depth=20, width=512),
              "scale", [0.1 * 1.02 ** k for k in range(40)])]
    lines = ["| drag of 40 moves, one every 15 ms | one frame per move: last move to "
             "its picture (ms) | frames | coalesced: last move to its picture (ms) | "
             "frames |", "|---|---:|---:|---:|---:|"]
    for label, make, name, values in cases:
        cells = []
        for threaded in (False, True):
            runs = [_drag(make, name, values, threaded) for _ in range(repeats)]
            cells += [f"{1e3 * statistics.median(r[0] for r in runs):.0f}",
                      f"{runs[-1][1]} / {runs[-1][2]}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- release moves
#: The release notebooks' widgets as the browser test moves them (tests/browser: each
#: control in turn, a tap far along its track or the next option of a drop-down), from
#: the widgets' defaults: learning_rate_widget() and saturation_widget().
RELEASE_MOVES = {
    "learning rate": ("learning_rate_widget",
                      [("learning rate 0.1 → 3.16", "learning_rate", 10 ** 0.5),
                       ("iterations 500 → 3,750", "iterations", 3750),
                       ("momentum 0 → 0.74", "momentum", 0.74),
                       ("data blobs → circles", "dataset", "circles")]),
    "saturation": ("saturation_widget",
                   [("activation sigmoid → tanh", "activation", "tanh"),
                    ("weight 1 → −6", "weight", -6.0),
                    ("input x 1 → −5", "x", -5.0),
                    ("bias 0 → 5", "bias", 5.0)]),
}


def release_rows(repeats: int) -> list[tuple[str, str, float, float, float]]:
    """(widget, move, compute ms, render ms, share of repetitions that drew a background)
    per release move: each repetition a fresh widget (as a fresh kernel in the browser
    test: empty caches), the moves in the test's order, medians over ``repeats``."""
    import time

    import matplotlib

    matplotlib.use("Agg")
    from deepgrad import widgets

    rows = []
    for widget, (maker, moves) in RELEASE_MOVES.items():
        total = {label: [] for label, _, _ in moves}
        render = {label: [] for label, _, _ in moves}
        drawn = {label: 0 for label, _, _ in moves}
        for _ in range(repeats):
            box = getattr(widgets, maker)()
            live, figure = box.live, box.demo.live
            for label, name, value in moves:
                draws, start = figure.full_draws, time.perf_counter()
                box.controls[name].value = value
                total[label].append(time.perf_counter() - start)
                render[label].append(live.render_seconds[-1])
                drawn[label] += figure.full_draws > draws
        for label, _, _ in moves:
            t, r = statistics.median(total[label]), statistics.median(render[label])
            rows.append((widget, label, 1e3 * (t - r), 1e3 * r, drawn[label] / repeats))
    return rows


def release_table(rows) -> str:
    lines = ["| widget | move | compute (ms) | render (ms) | background drawn |",
             "|---|---|---:|---:|---:|"]
    for widget, label, compute, render, drawn in rows:
        lines.append(f"| {widget} | {label} | {compute:.1f} | {render:.1f} | "
                     f"{drawn:.0%} |")
    return "\n".join(lines)


#: Drags one step at a time (every value new), from the release widgets' defaults.
DRAGS = [("saturation (tanh): weight 1 → −12, step 0.1", "saturation_widget",
          dict(activation="tanh"), "weight", [round(1 - 0.1 * k, 1) for k in range(1, 131)]),
         ("saturation (tanh, w = −6): input x 1 → −10, step 0.1", "saturation_widget",
          dict(activation="tanh", weight=-6.0), "x",
          [round(1 - 0.1 * k, 1) for k in range(1, 111)]),
         ("learning rate: rate 0.1 → 100, step 10^0.1", "learning_rate_widget", {},
          "learning_rate", [10 ** (-1 + 0.1 * k) for k in range(1, 31)])]


def drag_draws_table() -> str:
    """How many moves of a slow drag draw a background (an axes' limits changed)."""
    import matplotlib

    matplotlib.use("Agg")
    from deepgrad import widgets

    lines = ["| drag | moves | backgrounds drawn | render, sum (ms) |", "|---|---:|---:|---:|"]
    for label, maker, kwargs, name, values in DRAGS:
        box = getattr(widgets, maker)(**kwargs)
        draws = box.demo.live.full_draws
        for value in values:
            box.controls[name].value = value
        lines.append(f"| {label} | {len(values)} | {box.demo.live.full_draws - draws} | "
                     f"{1e3 * sum(box.live.render_seconds):.0f} |")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- browser
def browser_table(path: str) -> str:
    """Markdown table of the browser test's timings (JSON lines, one per widget cell)."""
    rows = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        r = json.loads(line)
        rows[r["notebook"]].append(r)
    lines = ["| notebook (widget) | moves timed | slider to screen, median (ms) | "
             "compute, median (ms) | render + encode, median (ms) | background drawn | "
             "frames / moves |", "|---|---:|---:|---:|---:|---:|---:|"]
    for notebook, runs in rows.items():
        r = runs[-1]
        k = r["kernel"] or {}
        shown = r["slider_to_screen_ms"]
        lines.append(
            f"| {notebook} | {shown['n']} | {shown['median']:.0f} | "
            f"{k.get('compute_ms', math.nan):.1f} | {k.get('render_ms', math.nan):.1f} | "
            f"{k.get('full_draws')} | {k.get('frames')} / {k.get('moves')} |")
    every = [v for runs in rows.values() for r in runs
             for v in list(r["per_control_ms"].values()) + r["slider_moves_ms"]
             if v is not None]
    lines.append(f"| all widgets | {len(every)} | {statistics.median(every):.0f} | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_widgets")
    parser.add_argument("--browser", metavar="FILE",
                        help="print the browser table from the test's JSON lines")
    parser.add_argument("--drag", action="store_true",
                        help="print the drag table (one frame per move against coalesced)")
    parser.add_argument("--release", action="store_true",
                        help="print the release notebooks' moves as the browser test "
                             "makes them, in-process (compute, render, background drawn), "
                             "and how many moves of slow drags draw a background")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    if args.browser:
        print(browser_table(args.browser))
    elif args.drag:
        print(drag_table())
    elif args.release:
        print(release_table(release_rows(args.repeats)) + "\n\n" + drag_draws_table())
    else:
        print(report(args.repeats)[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
