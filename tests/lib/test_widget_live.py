"""The shared live-widget module: frames drawn from a cached background look exactly like
a full draw, the background is drawn again only when it must be, and moves that arrive
while a frame is drawn are merged into one frame (the newest settings)."""

from __future__ import annotations

import io
import threading
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from deepgrad.widgets import (InitializationDemo, LearningRateDemo,  # noqa: E402
                              SaturationDemo, saturation_widget)
from deepgrad.widgets.live import (LiveFigure, LiveWiring, live_box,  # noqa: E402
                                   snapped_limits)

pytestmark = pytest.mark.filterwarnings("error")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def assert_same_picture(frame: bytes, full: bytes) -> None:
    a, b = pixels(frame), pixels(full)
    assert a.shape == b.shape
    # Anti-aliased edges may differ by a few levels where an artist is composited onto
    # a restored background instead of drawn in one pass; nothing may differ visibly.
    assert np.abs(a - b).max() <= 40, "a live frame differs from a full draw"


# ----------------------------------------------------------------------------- LiveFigure
def simple_figure():
    fig = Figure(figsize=(4, 3), dpi=50)
    live = LiveFigure(fig)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return fig, live, ax, line


def test_background_is_drawn_once_for_moves_that_keep_the_limits():
    fig, live, ax, line = simple_figure()
    title = ax.set_title("")
    for k in range(5):
        line.set_data([0, 1], [0, 0.1 * k])
        title.set_text(f"frame {k}")
        png = live.frame([line, title])
        assert png.startswith(b"\x89PNG")
    assert live.full_draws == 1 and live.frames == 5
    assert_same_picture(png, live.full_png())


def test_new_limits_or_layout_key_draw_the_background_again():
    fig, live, ax, line = simple_figure()
    live.frame([line])
    live.frame([line])
    assert live.full_draws == 1
    ax.set_ylim(0, 2)
    png = live.frame([line])
    assert live.full_draws == 2
    assert_same_picture(png, live.full_png())
    live.frame([line], layout_key="other data")
    assert live.full_draws == 3


def test_limits_seen_before_reuse_their_background():
    fig, live, ax, line = simple_figure()
    first = live.frame([line])
    ax.set_ylim(0, 2)
    live.frame([line])
    ax.set_ylim(0, 1)
    again = live.frame([line])
    assert live.full_draws == 2 and live.reused_backgrounds == 1
    assert again == first
    assert_same_picture(again, live.full_png())


def test_the_picture_follows_the_dynamic_artist():
    fig, live, ax, line = simple_figure()
    line.set_data([0, 1], [0, 0])
    low = pixels(live.frame([line]))
    line.set_data([0, 1], [1, 1])
    high = pixels(live.frame([line]))
    assert (low != high).any()
    assert live.full_draws == 1


def test_overlays_are_pasted_over_the_dynamic_artists():
    fig, live, ax, line = simple_figure()
    line.set_label("a line")
    legend = ax.legend(loc="center", framealpha=1.0)
    for k in range(3):
        line.set_data([0, 1], [0.5 + 0.1 * k, 0.5 - 0.1 * k])
        png = live.frame([line], overlays=[legend])
        assert_same_picture(png, live.full_png())


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (-0.03, 0.97), (-12.3, 4.1),
                                           (1e-5, 3e-5), (2.0, 2.0), (-1.0, -1.0)])
def test_snapped_limits_contain_the_range_on_round_steps(low, high):
    lo, hi = snapped_limits(low, high)
    assert lo <= low and hi >= high and hi > lo
    assert hi - lo <= 4 * max(high - low, 1.0)


def test_steady_limits_grow_with_headroom_and_keep_them_further_that_way():
    from deepgrad.widgets.live import steady_limits

    assert steady_limits((-3.0, 2.0), -92.0, 0.0, steps=4) == (-100.0, 0.0)
    grown = steady_limits((-3.0, 2.0), -92.0, 0.0, steps=4, headroom=0.5)
    assert grown == (-150.0, 0.0)
    # further the same way: the same limits (no new axes), and the data fill enough
    assert steady_limits(grown, -112.0, 0.0, steps=4, headroom=0.5) == grown
    for low in np.linspace(-500.0, -1.0, 200):
        lo, hi = steady_limits((-3.0, 2.0), low, 0.0, steps=4, headroom=0.5)
        assert lo <= low and hi >= 0.0 and -low >= 0.4 * (hi - lo)
        # the limits are steady: asking again with the same data keeps them
        assert steady_limits((lo, hi), low, 0.0, steps=4, headroom=0.5) == (lo, hi)


def test_snapped_limits_keep_nearby_ranges_together():
    assert snapped_limits(-0.05, 1.05) == snapped_limits(-0.04, 1.04) == (-0.5, 1.5)


# ----------------------------------------------------------------------------- the widgets
def moves(demo):
    if isinstance(demo, SaturationDemo):
        return [demo.compute("tanh", 2.0 + 0.1 * k, -1.0 + 0.2 * k, 0.5) for k in range(6)]
    if isinstance(demo, LearningRateDemo):
        return [demo.compute(0.05 * (k + 1), 200, "blobs") for k in range(4)] + [
            demo.compute(0.3, 200, "circles", momentum=0.5)]
    return [demo.compute(0.1 + 0.01 * k, 6 + k % 3, 64, "tanh") for k in range(5)] + [
        demo.compute("he", 3, 32, "relu", batch_norm=True)]


@pytest.mark.parametrize("make", [lambda: SaturationDemo(points=201, dpi=50),
                                  lambda: LearningRateDemo(resolution=40, dpi=50),
                                  lambda: InitializationDemo(dpi=50)],
                         ids=["saturation", "learning_rate", "initialization"])
def test_every_widget_frame_equals_a_full_draw(make):
    demo = make()
    results = moves(demo)
    for r in results:
        frame = demo.render(r)
        assert_same_picture(frame, demo.live.full_png())
    # full_png drops the cached background: the next frame draws it, the ones after
    # reuse it (what makes a move fast).
    full_draws = demo.live.full_draws
    again = [demo.render(results[-1]) for _ in range(3)]
    assert demo.live.full_draws == full_draws + 1
    assert all(pixels(a).std() > 10 for a in again)
    assert again[1] == again[2]


def test_html_title_leaves_the_title_to_the_caption():
    demo = SaturationDemo(points=201, dpi=50)
    with_title = pixels(demo.update("tanh", 2.0, 1.0, 0.0))
    box = saturation_widget(activation="tanh", weight=2.0, demo=demo)
    assert demo.live.html_title and box.children[-2] is box.caption
    picture = pixels(box.image.value)
    # The band of the title is cut off the top; the rest is the same picture.
    assert picture.shape[1] == with_title.shape[1]
    assert picture.shape[0] < with_title.shape[0]
    assert "tanh: z = w·x + b" in box.caption.value and "#" in box.caption.value
    assert_same_picture(box.image.value, demo.live.full_png())
    box.controls["weight"].value = -3.0
    assert "-3" in box.caption.value
    # A frame shown again from the cache brings its caption back too.
    caption = box.caption.value
    box.controls["weight"].value = 2.0
    box.controls["weight"].value = -3.0
    assert box.caption.value == caption and box.live.reused == 1


# ----------------------------------------------------------------------------- wiring
def make_controls(**values):
    import ipywidgets as widgets

    return {name: widgets.FloatSlider(value=v, min=-100, max=100) for name, v in
            values.items()}


def test_synchronous_outside_a_kernel():
    controls = make_controls(a=1.0)
    box = live_box(controls, lambda v: f"{v['a']}".encode())
    assert box.live.threaded is False
    assert box.children[-1] is box.image and box.image.value == b"1.0"
    controls["a"].value = 2.0
    assert box.image.value == b"2.0"
    assert box.live.requested == box.live.drawn == 1


def test_threaded_wiring_draws_the_newest_value_and_skips_stale_ones():
    controls = make_controls(a=0.0)
    calls = []
    gate = threading.Event()

    def draw(values):
        calls.append(values["a"])
        gate.wait(5)  # a slow frame: moves pile up meanwhile
        return f"{values['a']}".encode()

    import ipywidgets as widgets

    image = widgets.Image(value=b"", format="png")
    live = LiveWiring(controls, draw, image, threaded=True)
    for k in range(1, 11):
        controls["a"].value = float(k)
        time.sleep(0.005)
    gate.set()
    assert live.wait(10)
    assert image.value == b"10.0"
    assert live.requested == 10
    assert live.drawn < 10 and calls[-1] == 10.0
    assert len(calls) == live.drawn


def test_threaded_wiring_shows_an_error_instead_of_raising():
    import ipywidgets as widgets

    controls = make_controls(a=0.0)

    def draw(values):
        if values["a"] > 5:
            raise ValueError("a is too large")
        return b"ok"

    image, status = widgets.Image(value=b"", format="png"), widgets.HTML()
    live = LiveWiring(controls, draw, image, status=status, threaded=True)
    controls["a"].value = 9.0
    assert live.wait(10)
    assert "a is too large" in status.value and isinstance(live.error, ValueError)
    controls["a"].value = 1.0
    assert live.wait(10)
    assert status.value == "" and image.value == b"ok"


def test_synchronous_wiring_raises():
    controls = make_controls(a=0.0)

    def draw(values):
        if values["a"] > 5:
            raise ValueError("a is too large")
        return b"ok"

    box = live_box(controls, draw)
    with pytest.raises(ValueError, match="too large"):
        controls["a"].value = 9.0
    assert "too large" in box.children[1].value


def test_a_recent_frame_is_shown_again_without_drawing():
    controls = make_controls(a=0.0)
    calls = []

    def draw(values):
        calls.append(values["a"])
        return f"{values['a']}".encode()

    box = live_box(controls, draw)
    for value in (1.0, 2.0, 1.0, 2.0, 3.0):
        controls["a"].value = value
        assert box.image.value == f"{value}".encode()
    assert calls == [0.0, 1.0, 2.0, 3.0]
    assert box.live.reused == 2 and box.live.drawn == 5


def test_on_change_can_skip_a_redraw():
    controls = make_controls(a=0.0, b=0.0)
    box = live_box(controls, lambda v: f"{v['a']},{v['b']}".encode(),
                   on_change=lambda change: change["owner"] is not controls["b"])
    controls["b"].value = 3.0
    assert box.image.value == b"0.0,0.0" and box.live.requested == 0
    controls["a"].value = 1.0
    assert box.image.value == b"1.0,3.0"


@pytest.mark.parametrize("make, settings", [
    (lambda: LearningRateDemo(resolution=40, dpi=50),
     [(0.1, 500, "blobs", 0.0), (10 ** 0.5, 500, "blobs", 0.0), (10 ** 0.5, 3750, "blobs", 0.0),
      (10 ** 0.5, 3750, "blobs", 0.74), (10 ** 0.5, 3750, "circles", 0.74),
      (0.01, 200, "circles", 0.0), (0.01, 200, "blobs", 0.0)]),
    (lambda: SaturationDemo(points=201, dpi=50),
     [("relu", 1.0, 1.0, 0.0), ("tanh", 1.0, 1.0, 0.0), ("tanh", -6.0, 1.0, 0.0),
      ("tanh", -6.0, -5.0, 0.0), ("tanh", -6.0, -5.0, 5.0), ("tanh", 0.5, 2.0, 0.0)]),
], ids=["learning_rate", "saturation"])
def test_a_background_drawn_in_part_equals_a_full_draw(make, settings):
    # The release notebooks' moves (a tap far along each track): one demo draws them
    # live (axes drawn alone where they can be), a twin draws each from scratch.
    live, twin = make(), make()
    for s in settings:
        frame = live.render(live.compute(*s))
        twin.render(twin.compute(*s))
        assert_same_picture(frame, twin.live.full_png())
    # Drawn in part: the iterations and the data set; the weight and the input x.
    assert live.live.layered and live.live.partial_draws >= 2


def test_saturation_frames_are_exactly_a_full_draw():
    # Byte for byte, the first frame included: the dynamic lines are drawn in the
    # order a full draw uses (the dotted 0.25^L line under the gradient's, added after).
    demo = SaturationDemo(points=201, dpi=50)
    for s in [("sigmoid", 1.0, 1.0, 0.0), ("sigmoid", 1.0, -5.0, 0.0), ("tanh", -6.0, 1.0, 0.0),
              ("relu", 2.0, 1.0, 0.0)]:
        frame = demo.render(demo.compute(*s))
        np.testing.assert_array_equal(pixels(frame), pixels(demo.live.full_png()))


@pytest.mark.parametrize("make, settings", [
    (lambda: LearningRateDemo(resolution=40, dpi=50),
     [(0.1, 500, "blobs", 0.0), (0.1, 500, "circles", 0.0), (0.1, 20, "blobs", 0.0)]),
    (lambda: SaturationDemo(points=201, dpi=50),
     [("sigmoid", 1.0, 1.0, 0.0), ("tanh", 1.0, 1.0, 0.0), ("elu", -3.0, 1.0, 2.0)]),
], ids=["learning_rate", "saturation"])
def test_the_cut_off_band_never_holds_ink(make, settings):
    # With the title as HTML the empty band above the axes is cut off; after a new
    # layout the cut is found from the pixels (not tight boxes): it never cuts ink.
    demo = make()
    demo.live.html_title = True
    for s in settings:
        demo.render(demo.compute(*s))
        crop = demo.live._crop
        demo.live.html_title = False  # the whole figure, its (hidden) title too
        whole = pixels(demo.live.full_png())
        demo.live.html_title = True
        assert crop > 0 and (whole[:crop] == whole[0, 0]).all()
