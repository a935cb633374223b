"""The initialization widget without a browser: the summary, the figure, the controls."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from deepgrad.widgets import InitializationDemo, initialization_widget  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    return InitializationDemo(dpi=40)


# ----------------------------------------------------------------------------- summary
@pytest.mark.parametrize("settings, words, problem", [
    (("zero", 10, 64, "tanh", False), ["same value", "exactly 0"], True),
    (("small", 10, 64, "tanh", False), ["activations vanish", "gradients vanish"], True),
    (("large", 10, 64, "tanh", False), ["saturated"], True),
    (("large", 10, 64, "relu", False), ["activations explode", "gradients explode"], True),
    (("xavier", 10, 256, "tanh", False), ["activation std within a factor 10",
                                          "gradient std within a factor 10"], False),
    (("small", 10, 64, "tanh", True), ["activation std within a factor 10"], False),
])
def test_summary_says_what_the_numbers_show(demo, settings, words, problem):
    r = demo.compute(*settings)
    for word in words:
        assert word in r.summary
    assert r.problem is problem


def test_summary_claims_only_what_the_statistics_show(demo):
    for settings in [("small", 12, 64, "tanh", False), ("large", 12, 64, "linear", False),
                     ("he", 12, 64, "relu", False), ("xavier", 12, 64, "sigmoid", True)]:
        r = demo.compute(*settings)
        s = r.stats
        ratio = s.activation_std[-1] / s.activation_std[0]
        assert ("activations vanish" in r.summary) == (ratio < 0.1)
        assert ("activations explode" in r.summary) == (ratio > 10)
        g = s.gradient_std[0] / s.gradient_std[-1]
        assert ("gradients vanish" in r.summary) == (g < 0.1)
        assert ("gradients explode" in r.summary) == (g > 10)
        dead = s.activation == "relu" and s.dead_share.max() > 0.1
        assert ("dead" in r.summary) == dead


@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(scheme="glorot"), "scheme", ValueError),
    (dict(depth=30), "depth", ValueError),
    (dict(width=1.5), "width", TypeError),
    (dict(activation="selu"), "activation", ValueError),
    (dict(batch_norm="yes"), "batch_norm", TypeError),
])
def test_compute_rejects_bad_settings_by_name(demo, kwargs, argument, error):
    args = dict(scheme="he", depth=3, width=16, activation="relu", batch_norm=False)
    args.update(kwargs)
    with pytest.raises(error, match=argument):
        demo.compute(**args)


# ----------------------------------------------------------------------------- render
def test_render_reuses_one_figure_and_changes_the_picture(demo):
    figure = demo.figure
    axes = list(figure.axes)
    pngs = [demo.render(demo.compute(*settings)) for settings in
            [("xavier", 10, 64, "tanh", False), ("zero", 10, 64, "tanh", False),
             ("large", 20, 128, "relu", False), ("he", 1, 16, "sigmoid", True)]]
    assert demo.figure is figure and list(figure.axes) == axes
    assert all(p[:8] == PNG_SIGNATURE for p in pngs) and len(set(pngs)) == len(pngs)
    assert all(len(ax.images) <= 1 for ax in axes)  # no pile-up


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
@pytest.mark.parametrize("scheme", [10.0, "zero", 0.001])
def test_extreme_settings_are_silent(demo, activation, scheme, capfd):
    r = demo.compute(scheme, 20, 512, activation, False)
    assert np.isfinite(r.stats.activation_std).all()
    assert demo.render(r)[:8] == PNG_SIGNATURE
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ----------------------------------------------------------------------------- widget
def test_every_control_changes_the_picture(demo, capfd):
    box = initialization_widget(depth=6, width=64, demo=demo)
    controls, image = box.controls, box.image
    assert box.children[-1] is image and image.format == "png"
    assert set(controls) == {"scheme", "scale", "depth", "width", "activation",
                             "batch_norm"}
    seen = [image.value]
    renders = demo.renders
    for name, value in (("scheme", "small"), ("scheme", "he"), ("scale", 2.0),
                        ("depth", 12), ("width", 32), ("activation", "relu"),
                        ("batch_norm", True), ("scheme", "zero")):
        controls[name].value = value
        seen.append(image.value)
    assert demo.renders == renders + 8  # one redraw per move, the scale's included
    assert controls["scheme"].value == "zero"
    assert all(png[:8] == PNG_SIGNATURE for png in seen)
    assert len(set(seen)) == len(seen)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_scale_slider_selects_the_scale_scheme(demo):
    box = initialization_widget(scheme="xavier", depth=3, width=16, demo=demo)
    box.controls["scale"].value = 1.0
    assert box.controls["scheme"].value == "scale"
    title = demo.figure._suptitle.get_text()
    assert title.startswith("scale 1,")


def test_widget_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="scheme"):
        initialization_widget(scheme="glorot")
    with pytest.raises(ValueError, match="width"):
        initialization_widget(width=1024)
    with pytest.raises(ValueError, match="scale"):
        initialization_widget(scale=100.0)
