"""Learning-rate widget, one slider move: the Numba kernel against the usual numpy way.

One move recomputes gradient descent on the 2-D problem (features built and
standardized, the whole loop, the cost at every iteration), the probabilities on the
120 x 120 grid and the accuracies. It is timed with the Numba kernel
(``LearningRateDemo.compute``) and with the reference in tests/support/reference.py
(vectorized over the examples, a Python loop over the iterations). Both must give the
same costs, grid and accuracies before anything is timed.
"""

from __future__ import annotations

import math

import numpy as np

from benchmarks.timing import COMMAND, environment, median_ms
from tests.support.reference import logistic_gradient_descent, logistic_probabilities

SECTION = "learning-rate widget benchmark"

# (label, dataset, learning rate, iterations, momentum)
CASES = [
    ("blobs, linear, 500 it", "blobs", 0.1, 500, 0.0),
    ("blobs, linear, 5000 it", "blobs", 0.1, 5000, 0.0),
    ("circles, quadratic, 5000 it", "circles", 1.0, 5000, 0.0),
    ("circles, quadratic, 5000 it, momentum", "circles", 1.0, 5000, 0.9),
]


def numpy_compute(demo, learning_rate: float, iterations: int, dataset: str,
                  momentum: float) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The widget's recompute with the numpy reference: (costs, grid, train accuracy, test
    accuracy)."""
    from deepgrad.widgets.learning_rate import DATASETS

    mode = DATASETS[dataset][1]
    split = demo.splits[dataset]
    w, b, costs, mean, scale = logistic_gradient_descent(
        split.X_train, split.Y_train, mode, learning_rate, iterations, momentum)

    def predict(points: np.ndarray) -> np.ndarray:
        return logistic_probabilities(w, b, mean, scale, points, mode)

    x1, x2 = demo.grids[dataset]
    g1, g2 = np.meshgrid(x1, x2)
    grid = predict(np.vstack([g1.ravel(), g2.ravel()])).reshape(x2.size, x1.size)
    train_acc, test_acc = (float(np.mean((predict(X) > 0.5) == (Y > 0.5)))
                           for X, Y in ((split.X_train, split.Y_train),
                                        (split.X_test, split.Y_test)))
    return costs, grid, train_acc, test_acc


def check_agreement(demo, rate: float, iterations: int, dataset: str, momentum: float):
    """Same computation, or the comparison means nothing."""
    result = demo.compute(rate, iterations, dataset, momentum)
    costs, grid, train_acc, test_acc = numpy_compute(demo, rate, iterations, dataset,
                                                     momentum)
    np.testing.assert_allclose(result.costs, costs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(result.probabilities, grid, rtol=1e-6, atol=1e-12)
    assert (result.train_accuracy, result.test_accuracy) == (train_acc, test_acc)


def run(repeats: int) -> list[tuple[str, float, float]]:
    """(label, Numba ms, numpy ms) per case, and one render for reference."""
    from deepgrad.widgets.learning_rate import LearningRateDemo

    demo = LearningRateDemo()
    rows = []
    for label, dataset, rate, iterations, momentum in CASES:
        check_agreement(demo, rate, iterations, dataset, momentum)
        numba_ms = median_ms(lambda: demo.compute(rate, iterations, dataset, momentum),
                             repeats)
        numpy_ms = median_ms(lambda: numpy_compute(demo, rate, iterations, dataset,
                                                   momentum), max(3, repeats // 4))
        rows.append((label, numba_ms, numpy_ms))
    result = demo.compute(1.0, 5000, "circles", 0.9)
    render_ms = median_ms(lambda: demo.render(result), max(3, repeats // 2))
    rows.append(("render one frame (live frame over its cached background, PNG; "
                 "for reference)", render_ms, math.nan))
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


def report(repeats: int) -> tuple[str, str]:
    """(section name, markdown) of this benchmark."""
    rows = run(repeats)
    return SECTION, (
        "## Learning-rate widget: one slider move\n\n"
        f"`{COMMAND} --only lr` (`make bench` runs all). Gradient descent with the cost at "
        "every iteration, grid probabilities and accuracies, from w = 0.\n\n"
        + table(rows) + "\n\n" + environment() + ".")
