"""The saturation widget without a browser: the math, the figure, the slider wiring."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from deepgrad import widgets  # noqa: E402
from deepgrad.widgets import SaturationDemo, saturation_widget  # noqa: E402
from deepgrad.widgets import saturation as sat  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    return SaturationDemo(points=201, dpi=50)


def slope_at(demo, activation, z):
    return demo.compute(activation, weight=1.0, x=z, bias=0.0).slope


# ----------------------------------------------------------------------------- math
def test_known_slopes(demo):
    assert slope_at(demo, "sigmoid", 0.0) == pytest.approx(0.25)
    assert demo.compute("sigmoid", 1.0, 0.0, 0.0).value == pytest.approx(0.5)
    assert slope_at(demo, "tanh", 0.0) == pytest.approx(1.0)
    assert slope_at(demo, "relu", 2.0) == 1.0 and slope_at(demo, "relu", -2.0) == 0.0
    assert slope_at(demo, "leaky_relu", -2.0) == pytest.approx(0.01)
    assert slope_at(demo, "elu", -1.0) == pytest.approx(math.exp(-1.0))
    assert slope_at(demo, "selu", 1.0) == pytest.approx(1.0507009873554805)
    for activation, top in sat._MAX_SLOPE.items():
        r = demo.compute(activation, 1.0, 0.0, 0.0)
        assert r.slopes.max() <= top * (1 + 1e-12)
        assert r.max_slope == top


@pytest.mark.parametrize("activation", list(sat.ACTIVATIONS))
def test_slopes_match_finite_differences(demo, activation):
    z = np.linspace(-6, 6, 241) + 1e-3  # off the kink at 0
    h = 1e-6
    value, slope = sat._value_and_slope(activation, z)
    numerical = (sat._value_and_slope(activation, z + h)[0]
                 - sat._value_and_slope(activation, z - h)[0]) / (2 * h)
    np.testing.assert_allclose(slope, numerical, rtol=1e-5, atol=1e-9)
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(sat._log10_slope(activation, z), np.log10(slope),
                                   rtol=1e-9, atol=1e-12)


def test_sigmoid_weights_10_and_9_change_nothing(demo):
    r10 = demo.compute("sigmoid", 10.0, 1.0, 0.0)
    r9 = demo.compute("sigmoid", 9.0, 1.0, 0.0)
    assert r10.value > 0.9998 and r9.value > 0.9998
    assert abs(r10.value - r9.value) < 1e-4
    assert r10.slope < 1e-4 and r9.slope < 2e-4
    assert r10.saturated and r9.saturated
    assert not demo.compute("sigmoid", 1.0, 1.0, 0.0).saturated


@pytest.mark.parametrize("weight, x, bias", [(1.0, 1.0, 0.0), (8.0, 0.5, -4.0),
                                             (0.3, -2.0, 1.0), (-5.0, 3.0, 2.0)])
def test_sigmoid_chain_is_bounded_by_a_quarter_per_layer(demo, weight, x, bias):
    r = demo.compute("sigmoid", weight, x, bias)
    bound = r.depths * math.log10(0.25)
    assert (r.log10_activation_factor <= bound + 1e-9).all()
    expected = r.log10_activation_factor + r.depths * math.log10(abs(weight))
    np.testing.assert_allclose(r.log10_gradient, expected)


def test_chain_gradient_against_a_direct_product(demo):
    r = demo.compute("tanh", 1.3, 0.4, 0.1)
    a, grad = 0.4, 1.0
    for layer in range(sat.MAX_DEPTH):
        z = 1.3 * a + 0.1
        a = math.tanh(z)
        grad *= 1.3 * (1 - a * a)
        assert r.chain_a[layer] == pytest.approx(a)
        assert r.gradient_at_depth[layer] == pytest.approx(abs(grad), rel=1e-9)


def test_relu_explodes_or_dies_with_the_weight(demo):
    r = demo.compute("relu", 1.5, 1.0, 0.0)
    np.testing.assert_allclose(r.log10_gradient, r.depths * math.log10(1.5))
    dead = demo.compute("relu", -1.0, 1.0, 0.0)
    assert np.isneginf(dead.log10_gradient).all() and dead.saturated
    assert (dead.gradient_at_depth == 0).all()


def test_saturated_region_uses_one_percent_of_the_maximum(demo):
    r = demo.compute("tanh", 1.0, 0.0, 0.0)
    np.testing.assert_array_equal(r.saturated_mask, r.slopes < 0.01 * 1.0)
    edge = np.abs(r.inputs[~r.saturated_mask]).max()
    assert 2.9 < edge < 3.05  # 1 - tanh(z)^2 = 0.01 at |z| = 2.99
    assert not demo.compute("leaky_relu", 1.0, -5.0, 0.0).saturated  # 0.01 is not < 1 %


@pytest.mark.parametrize("activation", list(sat.ACTIVATIONS))
@pytest.mark.parametrize("weight, x, bias", [(1e6, 10.0, 1e6), (-1e6, 1e6, -1e6),
                                             (0.0, 5.0, 0.0), (12.0, -10.0, -10.0)])
def test_extreme_values_are_silent_and_finite(demo, activation, weight, x, bias, capfd):
    r = demo.compute(activation, weight, x, bias)
    assert np.isfinite(r.values).all() and np.isfinite(r.slopes).all()
    assert not np.isnan(r.log10_gradient).any()
    assert not np.isnan(r.log10_activation_factor).any()
    demo.render(r)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(activation="softmax"), "activation", ValueError),
    (dict(weight=float("nan")), "weight", ValueError),
    (dict(weight=1e7), "weight", ValueError),
    (dict(x="1"), "x", TypeError),
    (dict(bias=True), "bias", TypeError),
    (dict(depth=0), "depth", ValueError),
])
def test_compute_rejects_bad_arguments_by_name(demo, kwargs, argument, error):
    args = dict(activation="sigmoid", weight=1.0, x=1.0, bias=0.0)
    args.update(kwargs)
    with pytest.raises(error, match=argument):
        demo.compute(**args)


def test_activation_math_is_private():
    public = set(sat.__all__) | set(widgets.__all__)
    assert not any(("forward" in n or "backward" in n or n in sat.ACTIVATIONS)
                   for n in public)
    with pytest.raises(ValueError, match="1-D"):
        sat._value_and_slope("relu", np.zeros((3, 4)))  # not the layer interface


# ----------------------------------------------------------------------------- render
def test_render_reuses_one_figure_and_changes_the_picture(demo):
    figure = demo.figure
    axes = list(figure.axes)
    pngs = [demo.render(demo.compute(*args)) for args in
            [("sigmoid", 1.0, 1.0, 0.0), ("sigmoid", 10.0, 1.0, 0.0),
             ("relu", -1.0, 1.0, 0.0), ("selu", 2.0, -3.0, 1.0)]]
    assert demo.figure is figure and list(figure.axes) == axes
    assert all(p[:8] == PNG_SIGNATURE for p in pngs) and len(set(pngs)) == len(pngs)
    value_ax, slope_ax, depth_ax = axes
    assert len(value_ax.collections) == 1 and len(slope_ax.collections) == 1  # no pile-up
    assert "sigmoid" not in figure._suptitle.get_text()
    assert "SELU" in figure._suptitle.get_text()


def test_render_states_the_point_and_the_depth(demo):
    demo.render(demo.compute("sigmoid", 10.0, 1.0, 0.0))
    title = demo.figure._suptitle.get_text()
    assert "z = w·x + b = 10·1 + 0 = 10" in title and "saturated" in title
    assert "vanishes" in demo._depth_note.get_text()
    demo.render(demo.compute("relu", -1.0, 1.0, 0.0))
    assert "exactly 0" in demo._depth_note.get_text()


# ----------------------------------------------------------------------------- widget
def test_widget_redraws_when_controls_move(demo, capfd):
    box = saturation_widget(demo=demo)
    controls, image = box.controls, box.image
    assert box.children[-1] is image and image.format == "png"
    assert set(controls) == {"activation", "weight", "x", "bias"}
    assert controls["weight"].min == -12 and controls["weight"].max == 12
    seen = [image.value]
    renders = demo.renders
    for name, value in (("weight", 10.0), ("x", -3.0), ("bias", 2.5),
                        ("activation", "relu"), ("activation", "elu")):
        controls[name].value = value
        seen.append(image.value)
    assert demo.renders == renders + 5
    assert all(png[:8] == PNG_SIGNATURE for png in seen)
    assert len(set(seen)) == len(seen)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_widget_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="activation"):
        saturation_widget(activation="swish")
    with pytest.raises(ValueError, match="weight"):
        saturation_widget(weight=100.0)
