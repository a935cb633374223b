"""The learning-rate widget without a browser: compute, render, and the slider wiring."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from deepgrad.widgets import LearningRateDemo, learning_rate_widget  # noqa: E402
from deepgrad.widgets.learning_rate import diagnose  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    return LearningRateDemo(resolution=60, dpi=60)


# ----------------------------------------------------------------------------- compute
@pytest.mark.parametrize("dataset, n_features", [("blobs", 2), ("circles", 5)])
def test_compute_returns_costs_parameters_and_grid(demo, dataset, n_features):
    result = demo.compute(learning_rate=0.5, iterations=300, dataset=dataset)
    assert result.costs.shape == (301,)
    assert result.costs[0] == pytest.approx(math.log(2))
    assert np.isfinite(result.costs).all()
    assert result.w.shape == (n_features, 1) and isinstance(result.b, float)
    assert result.probabilities.shape == (60, 60)
    assert ((result.probabilities >= 0) & (result.probabilities <= 1)).all()
    assert result.x1_values.shape == result.x2_values.shape == (60,)
    assert 0.8 <= result.train_accuracy <= 1.0 and 0.8 <= result.test_accuracy <= 1.0
    assert result.final_cost == pytest.approx(result.costs[-1])
    assert result.seconds > 0  # measured, never asserted against a time limit


def test_the_three_shapes_of_the_course_notes(demo):
    assert demo.compute(100.0, 2000, "blobs").status == "too high"
    assert demo.compute(1e-4, 500, "blobs").status == "not converged"
    assert demo.compute(3.0, 20, "circles").status == "not converged"  # too few
    assert demo.compute(1.0, 3000, "blobs").status == "converged"


@pytest.mark.parametrize("rate, momentum", [(100.0, 0.0), (100.0, 0.99), (30.0, 0.9)])
def test_huge_rates_are_flagged_and_silent(demo, rate, momentum, capfd):
    result = demo.compute(rate, 5000, "blobs", momentum=momentum)
    assert result.diverged
    assert "learning rate too high: the cost grows" in result.verdict
    assert np.isfinite(result.costs).all()
    demo.render(result)
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def test_circles_need_their_quadratic_features(demo):
    result = demo.compute(1.0, 2000, "circles")
    assert result.test_accuracy > 0.85  # a straight line would be near chance


@pytest.mark.parametrize("kwargs, argument", [
    (dict(dataset="moons"), "dataset"),
    (dict(learning_rate=0.0), "learning_rate"),
    (dict(learning_rate=1e5), "learning_rate"),
    (dict(iterations=-1), "num_iterations"),
    (dict(momentum=1.0), "beta"),
])
def test_compute_rejects_bad_arguments_by_name(demo, kwargs, argument):
    args = dict(learning_rate=0.1, iterations=10, dataset="blobs", momentum=0.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=argument):
        demo.compute(**args)


# ----------------------------------------------------------------------------- diagnose
@pytest.mark.parametrize("costs, momentum, status", [
    ([0.69, 0.5, 0.4, 0.35, 0.34, 0.339, 0.339, 0.339, 0.339, 0.339, 0.339], 0.0,
     "converged"),
    (np.linspace(0.69, 0.6, 50), 0.0, "not converged"),
    ([0.69, 0.8, 1.2, 2.0], 0.0, "too high"),
    ([0.69, 0.3, 0.4, 0.25, 0.2], 0.0, "too high"),  # zig-zag without momentum
    ([0.69] + [0.2, 0.25] * 20 + [0.2] * 400, 0.9, "converged"),  # momentum may zig-zag
    ([0.69, 0.5, np.nan, np.nan], 0.0, "too high"),
    ([0.69, 0.5, np.inf], 0.0, "too high"),
    ([0.69], 0.0, "not converged"),
])
def test_diagnose_reads_cost_curves(costs, momentum, status):
    assert diagnose(np.array(costs, dtype=float), momentum)[0] == status


# ----------------------------------------------------------------------------- render
def test_render_reuses_one_figure_and_changes_the_picture(demo):
    figure = demo.figure
    axes = list(figure.axes)
    first = demo.render(demo.compute(0.01, 200, "blobs"))
    second = demo.render(demo.compute(50.0, 200, "blobs"))
    third = demo.render(demo.compute(1.0, 200, "circles"))
    assert demo.figure is figure and list(figure.axes) == axes
    assert first[:8] == second[:8] == third[:8] == PNG_SIGNATURE
    assert len({first, second, third}) == 3
    # One curve and one boundary at a time: nothing piles up across renders.
    cost_ax, boundary_ax = axes
    assert len(cost_ax.get_lines()) == 2  # the curve + the ln 2 reference line
    assert len(boundary_ax.images) == 1 and len(boundary_ax.collections) == 3


def test_render_shows_cost_accuracy_and_verdict(demo):
    result = demo.compute(100.0, 1000, "blobs")
    demo.render(result)
    cost_ax, boundary_ax = demo.figure.axes
    assert f"final cost {result.final_cost:.4g}" in cost_ax.get_title()
    assert f"{100 * result.train_accuracy:.1f} % train" in boundary_ax.get_title()
    assert demo.figure._suptitle.get_text() == "learning rate too high: the cost grows"


# ----------------------------------------------------------------------------- widget
def test_widget_redraws_when_sliders_move(demo, capfd):
    box = learning_rate_widget(learning_rate=0.1, iterations=200, demo=demo)
    controls, image = box.controls, box.image
    assert box.children[-1] is image and image.format == "png"
    assert type(controls["learning_rate"]).__name__ == "FloatLogSlider"
    assert controls["learning_rate"].min == -4 and controls["learning_rate"].max == 2
    assert controls["iterations"].continuous_update is False
    seen = [image.value]
    renders = demo.renders
    controls["learning_rate"].value = 80.0
    seen.append(image.value)
    controls["iterations"].value = 1500
    seen.append(image.value)
    controls["dataset"].value = "circles"
    seen.append(image.value)
    controls["momentum"].value = 0.9
    seen.append(image.value)
    assert demo.renders == renders + 4
    assert all(png[:8] == PNG_SIGNATURE for png in seen)
    assert len(set(seen)) == len(seen)  # every move changed the picture
    out, err = capfd.readouterr()
    assert err == "" and out == ""
