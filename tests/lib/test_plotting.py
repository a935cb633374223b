"""deepgrad.plotting: each function draws what it says, returns the Axes, warns nothing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from deepgrad.plotting import (BoundaryPlot, CostCurvePlot, figure_to_png,  # noqa: E402
                               plot_cost_curves, plot_decision_boundary, show_images)

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def new_axes():
    return Figure().add_subplot()


def textbook_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))  # overflows (harmlessly) for very negative z


def problem(m=50, seed=0):
    rng = np.random.default_rng(seed)
    Y = (rng.random((1, m)) < 0.5).astype(float)
    X = rng.standard_normal((2, m)) + 2.0 * Y - 1.0
    return X, Y


# ----------------------------------------------------------------------------- cost curves
def test_plot_cost_curves_draws_one_labelled_line_per_curve():
    ax = plot_cost_curves({"rate 0.01": np.linspace(1, 0.5, 10), "rate 1": [1.0, 0.2, 0.1]},
                          title="costs")
    assert [line.get_label() for line in ax.get_lines()] == ["rate 0.01", "rate 1"]
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [0, 1, 2])
    assert ax.get_title() == "costs" and ax.get_xlabel() == "iteration"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rate 0.01", "rate 1"]


def test_plot_cost_curves_uses_the_given_axes_and_log_scale():
    ax = new_axes()
    assert plot_cost_curves({"a": [1.0, 0.1, 0.01]}, ax=ax, logy=True) is ax
    assert ax.get_yscale() == "log"


def test_cost_curve_plot_updates_lines_in_place():
    plot = CostCurvePlot(new_axes())
    plot.update({"a": [1.0, 0.5]})
    line = plot.lines["a"]
    plot.update({"a": [1.0, 0.5, 0.25, 0.1]})
    assert plot.lines["a"] is line and len(line.get_xdata()) == 4
    plot.update({"b": [2.0, 1.0]})
    assert list(plot.lines) == ["b"] and len(plot.ax.get_lines()) == 1
    assert plot.lines["b"].get_color() == line.get_color()  # colour by position


def test_cost_curves_with_nan_and_zero_on_log_axis_are_silent(capfd):
    plot_cost_curves({"diverged": [0.7, 5.0, np.inf, np.nan], "perfect": [0.7, 0.0]},
                     logy=True).figure.canvas.draw()
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("curves, text, error", [
    ([1.0, 2.0], "dict", TypeError),
    ({"a": np.ones((2, 3))}, "curves['a'] must have shape", ValueError),
])
def test_plot_cost_curves_rejects_bad_input(curves, text, error):
    with pytest.raises(error, match=text.replace("[", r"\[").replace("]", r"\]")):
        plot_cost_curves(curves)


# ----------------------------------------------------------------------------- boundaries
def test_plot_decision_boundary_draws_contour_points_and_shading():
    X, Y = problem()
    w, b = np.array([[1.0], [1.0]]), 0.0
    calls = []

    def predict_proba(P):
        calls.append(P.shape)
        return textbook_sigmoid(w.T @ P + b)

    ax = plot_decision_boundary(predict_proba, X, Y, title="boundary", resolution=50)
    assert calls == [(2, 2500)]
    assert ax.get_title() == "boundary"
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (50, 50)
    assert len(ax.collections) == 3  # two classes of points + the 0.5 contour
    offsets = [c.get_offsets() for c in ax.collections[:2]]
    assert len(offsets[0]) == int((Y == 0).sum()) and len(offsets[1]) == int(Y.sum())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["y = 0", "y = 1", "boundary P = 0.5"]
    # The image follows the layout: rows x2, columns x1 (P rises towards top right).
    P = ax.images[0].get_array()
    assert P[-1, -1] > 0.9 and P[0, 0] < 0.1


def test_plot_decision_boundary_orientation_is_not_transposed():
    X, Y = problem()
    ax = plot_decision_boundary(lambda P: textbook_sigmoid(5 * P[0:1]), X, Y, resolution=20)
    P = ax.images[0].get_array()
    assert P[0, -1] > 0.5 > P[0, 0]  # depends on x1 = columns only
    np.testing.assert_allclose(P[0], P[-1])


def test_far_grid_points_do_not_warn_with_a_textbook_sigmoid(capfd):
    X, Y = problem()
    X = X * 500  # z = -1000 somewhere: np.exp overflows
    plot_decision_boundary(lambda P: textbook_sigmoid(P[0:1] + P[1:2]), X, Y,
                           resolution=30).figure.canvas.draw()
    assert capfd.readouterr().err == ""


def test_constant_or_nan_probabilities_draw_no_contour_and_do_not_warn():
    X, Y = problem()
    for value in (0.9, np.nan):
        ax = plot_decision_boundary(lambda P, v=value: np.full((1, P.shape[1]), v), X, Y,
                                    resolution=10)
        ax.figure.canvas.draw()
        assert len(ax.collections) == 2


def test_boundary_plot_updates_in_place():
    X, Y = problem()
    ax = new_axes()
    plot = BoundaryPlot(ax, X, Y, resolution=25)
    image = ax.images[0]
    g1, g2 = np.meshgrid(plot.x1_values, plot.x2_values)
    plot.update(1 / (1 + np.exp(-(g1 - g2))))
    plot.update(1 / (1 + np.exp(-(g1 + g2))))
    assert list(ax.images) == [image] and len(ax.collections) == 3  # old contour gone
    plot.set_points(X[:, :10] * 3, Y[:, :10])
    assert plot.grid_points.shape == (2, 625)
    assert len(ax.collections) == 2  # no boundary until the next update
    with pytest.raises(ValueError, match=r"probabilities must have shape \(25, 25\)"):
        plot.update(np.zeros((25, 24)))


@pytest.mark.parametrize("X, Y, text", [
    (np.zeros((3, 5)), np.zeros((1, 5)), r"X must have shape \(2, m\)"),
    (np.zeros((2, 5)), np.zeros((1, 4)), r"Y must have shape \(1, 5\)"),
    (np.zeros((2, 5)), np.zeros((5, 1)), r"Y must have shape \(1, 5\)"),
])
def test_plot_decision_boundary_rejects_bad_shapes(X, Y, text):
    with pytest.raises(ValueError, match=text):
        plot_decision_boundary(lambda P: np.zeros((1, P.shape[1])), X, Y)


def test_plot_decision_boundary_names_a_wrong_predict_proba_output():
    X, Y = problem()
    with pytest.raises(ValueError, match=r"predict_proba must return shape \(1, k\)"):
        plot_decision_boundary(lambda P: P, X, Y, resolution=10)
    with pytest.raises(TypeError, match="predict_proba must be a function"):
        plot_decision_boundary(np.zeros((1, 4)), X, Y)


# ----------------------------------------------------------------------------- images
def test_show_images_tiles_the_first_n_columns_with_labels():
    X = np.arange(784 * 20, dtype=float).reshape(20, 784).T  # image i is a ramp
    ax = show_images(X, labels=np.arange(20), n=9)
    assert len(ax.images) == 1
    canvas = ax.images[0].get_array()
    assert canvas.shape == (3 * 28 + 2 * 10, 3 * 28 + 2 * 10)
    np.testing.assert_array_equal(canvas[:28, :28], X[:, 0].reshape(28, 28))
    np.testing.assert_array_equal(canvas[38:66, 38:66], X[:, 4].reshape(28, 28))
    assert [t.get_text() for t in ax.texts] == [str(i) for i in range(9)]


def test_show_images_other_shape_and_given_axes():
    ax = new_axes()
    X = np.random.default_rng(0).random((64, 5))
    assert show_images(X, shape=(8, 8), ax=ax) is ax
    assert ax.images[0].get_array().shape == (2 * 8 + 2, 3 * 8 + 2 * 2)
    assert len(ax.texts) == 0


@pytest.mark.parametrize("X, labels, text", [
    (np.zeros((783, 3)), None, r"X must have shape \(784, m\)"),
    (np.zeros(784), None, r"X must have shape \(784, m\)"),
    (np.zeros((784, 3)), np.arange(2), "labels must have one entry per column"),
])
def test_show_images_rejects_bad_input(X, labels, text):
    with pytest.raises(ValueError, match=text):
        show_images(X, labels=labels)


def test_figure_to_png_returns_png_bytes():
    fig = Figure(figsize=(2, 2), dpi=50)
    fig.add_subplot().plot([0, 1])
    png = figure_to_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_calls_show(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(1))
    X, Y = problem()
    plot_cost_curves({"a": [1.0, 0.5]})
    plot_decision_boundary(lambda P: textbook_sigmoid(P[0:1]), X, Y, resolution=10)
    show_images(np.zeros((784, 2)))
    assert shown == []
