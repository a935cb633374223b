"""Benchmarks of the deepgrad kernels against plain numpy baselines, in one process.

Run by ``make bench`` (``python benchmarks/run.py``). ``--write`` also puts the table
into docs/benchmarks.md, between this benchmark's markers (other sections are kept).

Learning-rate widget: one slider move recomputes gradient descent on the 2-D problem
(features built and standardized, the whole loop, the cost at every iteration), the
probabilities on the 120 x 120 grid and the accuracies. It is timed with the Numba
kernel (``LearningRateDemo.compute``) and with the same computation written the usual
numpy way (vectorized over examples, a Python loop over iterations). Both give the
same costs; this is checked before timing.

Convolution layers (``--only conv``): deepgrad.layers.conv_forward / conv_backward on
the course's shapes (LeNet-5 on 28 x 28 MNIST, and a 32 x 32 x 3 input with 3 x 3
filters), batch 64, float32 and float64, against naive loops (run on a batch of 2 and
scaled to 64), numpy im2col + matmul, and PyTorch CPU when it is importable
(``benchmarks/requirements.txt``; never a course dependency). All agree before timing.

Method (see shared STACK.md): the two implementations are timed in blocks, not
interleaved call by call (numpy's BLAS threads keep spinning after a call and would slow
the other), with a pause and one untimed call at each switch; medians are quoted.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN learning-rate widget benchmark (benchmarks/run.py --write) -->"
END = "<!-- END learning-rate widget benchmark -->"
CONV_BEGIN = "<!-- BEGIN conv layers benchmark (benchmarks/run.py --write) -->"
CONV_END = "<!-- END conv layers benchmark -->"

# (label, dataset, learning rate, iterations, momentum)
CASES = [
    ("blobs, linear, 500 it", "blobs", 0.1, 500, 0.0),
    ("blobs, linear, 5000 it", "blobs", 0.1, 5000, 0.0),
    ("circles, quadratic, 5000 it", "circles", 1.0, 5000, 0.0),
    ("circles, quadratic, 5000 it, momentum", "circles", 1.0, 5000, 0.9),
]


def numpy_features(points: np.ndarray, mode: str) -> np.ndarray:
    x1, x2 = points
    rows = [x1, x2] if mode == "linear" else [x1, x2, x1 ** 2, x2 ** 2, x1 * x2]
    return np.vstack(rows)


def numpy_sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))  # stable: no overflow warning


def numpy_compute(demo, learning_rate: float, iterations: int, dataset: str,
                  momentum: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The widget's recompute, the usual numpy way: (costs, grid, train acc, test acc)."""
    from deepgrad.widgets.learning_rate import DATASETS

    mode = DATASETS[dataset][1]
    split = demo.splits[dataset]
    F = numpy_features(split.X_train, mode)
    mean = F.mean(axis=1, keepdims=True)
    scale = F.std(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    F = (F - mean) / scale
    Y = split.Y_train
    m = F.shape[1]
    w = np.zeros((F.shape[0], 1))
    b = 0.0
    vw, vb = np.zeros_like(w), 0.0
    costs = np.empty(iterations + 1)
    for it in range(iterations + 1):
        z = w.T @ F + b
        costs[it] = np.mean(np.logaddexp(0.0, z) - Y * z)
        if it == iterations:
            break
        dz = numpy_sigmoid(z) - Y
        vw = momentum * vw + (F @ dz.T) / m
        vb = momentum * vb + float(np.mean(dz))
        w = w - learning_rate * vw
        b = b - learning_rate * vb

    def predict(points: np.ndarray) -> np.ndarray:
        return numpy_sigmoid(w.T @ ((numpy_features(points, mode) - mean) / scale) + b)

    x1, x2 = demo.grids[dataset]
    g1, g2 = np.meshgrid(x1, x2)
    grid = predict(np.vstack([g1.ravel(), g2.ravel()])).reshape(x2.size, x1.size)
    accuracies = [float(np.mean((predict(X) > 0.5) == (Y_ > 0.5)))
                  for X, Y_ in ((split.X_train, split.Y_train),
                                (split.X_test, split.Y_test))]
    return costs, grid, accuracies[0], accuracies[1]


def median_ms(fn, repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, in ms, after a 0.3 s pause and
    one untimed call (the timing helper of every benchmark here, conv_bench's too)."""
    time.sleep(0.3)  # let the other implementation's threads go quiet
    fn()  # untimed
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1e3 * statistics.median(samples)


def run(repeats: int) -> list[tuple[str, float, float]]:
    from deepgrad.widgets.learning_rate import LearningRateDemo

    demo = LearningRateDemo()
    rows = []
    for label, dataset, rate, iterations, momentum in CASES:
        numba_result = demo.compute(rate, iterations, dataset, momentum)
        costs, grid, train_acc, test_acc = numpy_compute(demo, rate, iterations, dataset,
                                                         momentum)
        # Same computation, or the comparison means nothing.
        np.testing.assert_allclose(numba_result.costs, costs, rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(numba_result.probabilities, grid, rtol=1e-6,
                                   atol=1e-12)
        assert (numba_result.train_accuracy, numba_result.test_accuracy) == (train_acc,
                                                                              test_acc)
        numba_ms = median_ms(lambda: demo.compute(rate, iterations, dataset, momentum),
                             repeats)
        numpy_ms = median_ms(lambda: numpy_compute(demo, rate, iterations, dataset,
                                                   momentum), max(3, repeats // 4))
        rows.append((label, numba_ms, numpy_ms))
    result = demo.compute(1.0, 5000, "circles", 0.9)
    render_ms = median_ms(lambda: demo.render(result), max(3, repeats // 2))
    rows.append(("render one frame (Agg PNG, for reference)", render_ms, math.nan))
    return rows


def table(rows: list[tuple[str, float, float]]) -> str:
    lines = ["| widget recompute (m = 300 training points, 120 x 120 grid) "
             "| numba kernel (ms) | numpy loop (ms) | numpy / numba |",
             "|---|---:|---:|---:|"]
    for label, numba_ms, numpy_ms in rows:
        if math.isnan(numpy_ms):
            lines.append(f"| {label} | {numba_ms:.1f} | | |")
        else:
            lines.append(f"| {label} | {numba_ms:.1f} | {numpy_ms:.1f} | "
                         f"{numpy_ms / numba_ms:.1f}x |")
    return "\n".join(lines)


def environment() -> str:
    import numba

    return (f"Python {platform.python_version()}, numpy {np.__version__}, numba "
            f"{numba.__version__}, {os.cpu_count()} cores, {platform.machine()}, load "
            f"average {os.getloadavg()[0]:.1f} at the end; medians, "
            f"{time.strftime('%Y-%m-%d')}")


def write_doc(text: str, begin: str = BEGIN, end: str = END) -> None:
    BEGIN, END = begin, end  # noqa: N806 - this section's markers
    section = f"{BEGIN}\n{text}\n{END}"
    old = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if BEGIN in old and END in old:
        new = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: section, old,
                     flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(new)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed calls per numba case (numpy gets a quarter)")
    parser.add_argument("--write", action="store_true",
                        help=f"also write the table into {DOC.relative_to(ROOT)}")
    parser.add_argument("--only", choices=["all", "lr", "conv"], default="all",
                        help="which benchmark to run (default: all)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="conv: alternating deepgrad/PyTorch rounds (median taken)")
    parser.add_argument("--threads", type=int, default=None,
                        help="conv: Numba and PyTorch thread count (default: all cores); "
                             "with --write, 1 thread goes to its own section")
    args = parser.parse_args(argv)
    if args.only in ("all", "conv"):
        import conv_bench

        conv_text = conv_bench.report(args.repeats, args.threads, args.rounds)
        print(conv_text + "\n")
        if args.write:
            tag = "" if args.threads is None else f" {args.threads} thread(s)"
            write_doc(conv_text, CONV_BEGIN.replace("benchmark", "benchmark" + tag, 1),
                      CONV_END.replace("benchmark", "benchmark" + tag))
    if args.only == "conv":
        return 0
    rows = run(args.repeats)
    text = ("## Learning-rate widget: one slider move\n\n"
            "`python benchmarks/run.py` (`make bench`). Gradient descent with the cost "
            "at every iteration, grid probabilities and accuracies, from w = 0.\n\n"
            + table(rows) + "\n\n" + environment() + ".")
    print(text)
    if args.write:
        write_doc(text)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
