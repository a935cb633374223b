"""The optimizer widget without a browser: the race it shows, the figure, the controls."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from deepgrad import widgets  # noqa: E402
from deepgrad.kernels.surfaces import RULES, SURFACES, momentum_stability  # noqa: E402
from deepgrad.widgets import OptimizerDemo, optimizer_widget  # noqa: E402
from deepgrad.widgets import optimizer as opt  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo():
    return OptimizerDemo(dpi=50, resolution=40)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_exported():
    assert "optimizer_widget" in widgets.__all__ and "OptimizerDemo" in widgets.__all__


# ----------------------------------------------------------------------------- compute
@pytest.mark.parametrize("surface", list(SURFACES))
def test_defaults_race_every_rule_without_diverging(demo, surface):
    result = demo.compute(surface)
    r = result.race
    steps = opt.DEFAULTS[surface]["steps"]
    assert r.paths.shape == (6, steps + 1, 2) and r.rules == tuple(RULES)
    assert (r.diverged_at == -1).all(), result.summary
    assert tuple(r.paths[0, 0]) == opt.DEFAULTS[surface]["start"]
    assert result.log10_gaps.shape == (6, steps + 1)
    assert result.log10_gaps.min() >= np.log10(opt.GAP_FLOOR)
    assert "closest to the minimum" in result.summary
    assert result.seconds > 0


def test_the_summary_names_who_diverged_and_who_is_stuck(demo):
    bad = demo.compute("quadratic", learning_rate=0.2)  # 0.2 x 20 = 4 > 2(1 + 0.9)
    assert "diverged: SGD, momentum, Nesterov" in bad.summary
    stuck = demo.compute("saddle", start=(-2.0, 0.0), steps=100)
    assert "still on the saddle" in stuck.summary


def test_steps_per_1000x():
    assert opt.steps_per_1000x(0.1) == pytest.approx(3.0)
    assert opt.steps_per_1000x(0.5) == pytest.approx(3 / np.log10(2))
    assert np.isinf(opt.steps_per_1000x(1.0)) and np.isinf(opt.steps_per_1000x(1.3))
    radius = momentum_stability([0.05], [0.9])[0, 0]
    assert radius == pytest.approx(np.sqrt(0.9))  # complex pair on both curvatures


# ----------------------------------------------------------------------------- render
def test_render_and_live_frames(demo):
    results = [demo.compute("rosenbrock", learning_rate=lr)
               for lr in (0.0003, 0.0004, 0.0005)]
    results.append(demo.compute("rotated", beta=0.5))
    for r in results:
        png = demo.render(r)
        assert png[:8] == PNG_SIGNATURE
        assert pixels(png).std() > 10
        full = demo.live.full_png()
        assert np.abs(pixels(png) - pixels(full)).max() <= 40
    assert demo._shown_surface == "rotated"
    full_draws = demo.live.full_draws
    for _ in range(3):  # the map and contours are drawn once, then reused
        demo.render(results[-1])
    assert demo.live.full_draws == full_draws + 1  # the one after full_png


def test_render_draws_the_six_paths(demo):
    result = demo.compute("quadratic")
    demo.render(result)
    for k, rule in enumerate(RULES):
        x, y = demo._paths[rule].get_data()
        np.testing.assert_array_equal(x, result.race.paths[k, :, 0])
    assert "ρ =" in demo._pair_text.get_text()


# ----------------------------------------------------------------------------- widget
def test_every_control_changes_the_picture(demo, capfd):
    box = optimizer_widget(demo=demo)
    controls, image = box.controls, box.image
    assert box.children[-1] is image and image.format == "png"
    assert set(controls) == {"surface", "learning_rate", "adaptive_learning_rate", "beta",
                             "beta1", "beta2", "x0", "y0", "steps"}
    seen = [image.value]
    renders = demo.renders
    moves = (("learning_rate", 0.02), ("adaptive_learning_rate", 0.3), ("beta", 0.5),
             ("beta1", 0.5), ("beta2", 0.99), ("x0", 1.0), ("y0", -1.0), ("steps", 50),
             ("surface", "rosenbrock"))
    for name, value in moves:
        controls[name].value = value
        seen.append(image.value)
    assert demo.renders == renders + len(moves)  # the surface's resets draw once
    assert all(png[:8] == PNG_SIGNATURE for png in seen)
    assert len(set(seen)) == len(seen)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_new_surface_takes_its_defaults(demo):
    box = optimizer_widget(demo=demo)
    c = box.controls
    c["surface"].value = "rosenbrock"
    d = opt.DEFAULTS["rosenbrock"]
    assert (c["x0"].value, c["y0"].value) == d["start"]
    assert c["learning_rate"].value == pytest.approx(d["learning_rate"])
    assert c["steps"].value == d["steps"]
    box_ = SURFACES["rosenbrock"][3]
    assert (c["y0"].min, c["y0"].max) == (box_[2], box_[3])
    assert box.live.requested == 1
    r = demo.compute("rosenbrock")
    np.testing.assert_allclose(demo._paths["adam"].get_data()[0], r.race.paths[5, :, 0])


def test_widget_rejects_bad_arguments_by_name():
    with pytest.raises(ValueError, match="surface"):
        optimizer_widget(surface="bowl")
    with pytest.raises(ValueError, match="beta2"):
        optimizer_widget(beta2=0.1)


def test_any_position_of_the_controls_draws_without_a_warning(demo):
    """Corners of every slider, diverging runs included (warnings are errors here)."""
    rng = np.random.default_rng(0)
    for surface in SURFACES:
        box = SURFACES[surface][3]
        for _ in range(6):
            result = demo.compute(
                surface, start=(rng.uniform(box[0], box[1]), rng.uniform(box[2], box[3])),
                learning_rate=10 ** rng.uniform(*opt.LEARNING_RATE_EXPONENTS),
                adaptive_learning_rate=10 ** rng.uniform(*opt.ADAPTIVE_EXPONENTS),
                beta=rng.choice([0.0, 0.5, 0.99]), beta1=rng.choice([0.0, 0.9, 0.99]),
                beta2=rng.choice([0.5, 0.999, 0.9999]), steps=int(rng.choice([10, 2000])))
            assert pixels(demo.render(result)).std() > 10
