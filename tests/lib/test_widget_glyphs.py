"""deepgrad.widgets.glyphs: text from cached glyphs is pixel for pixel FreeType's."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from deepgrad.widgets import glyphs  # noqa: E402


def _figure(shift: float) -> Figure:
    """Plain, Unicode, rotated, mathtext and non-antialiased text, tick labels, at
    positions that move by ``shift`` (whole and fractional pixels)."""
    fig = Figure(figsize=(4.3, 3.1), dpi=97)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0.13 + shift, 7.7 + shift)
    ax.set_yscale("log")
    ax.set_ylim(1e-13, 1e4)
    ax.set_xlabel("layer l (after L = 20: gradient 10⁻¹³ ~ vanishes)")
    ax.set_ylabel("σ′ product Π f′(z_l), ∂a_L/∂x")  # rotated 90°
    ax.text(0.3 + shift / 10, 0.5, r"$\frac{\partial J}{\partial w} = \sqrt{2/n}$",
            transform=ax.transAxes)
    ax.text(0.1, 0.2 + shift / 17, "no antialiasing: 0.25^L", antialiased=False)
    ax.text(0.6, 0.8, "rotated 33°", rotation=33, transform=ax.transAxes)
    fig.suptitle(f"shift {shift:.3f}", fontsize=11, fontweight="bold")
    return fig


def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.array(fig.canvas.get_renderer().buffer_rgba())


def test_cached_text_equals_freetype_pixel_for_pixel_and_is_reused():
    for shift in (0.0, 0.37, 1.0, 2.731):
        plain = _pixels(_figure(shift))
        fig = _figure(shift)
        cache = glyphs.install(fig.canvas.get_renderer())
        assert cache is not None
        first = _pixels(fig)
        assert cache.misses > 0
        hits = cache.hits
        second = _pixels(fig)  # everything from the cache now
        assert cache.hits > hits
        np.testing.assert_array_equal(first, plain)
        np.testing.assert_array_equal(second, plain)


def test_installing_twice_keeps_one_cache_and_uninstalled_restores_freetype():
    fig = _figure(0.5)
    renderer = fig.canvas.get_renderer()
    cache = glyphs.install(renderer)
    assert glyphs.install(renderer) is cache
    with glyphs.uninstalled(renderer):
        assert "draw_text" not in renderer.__dict__
        misses = cache.misses
        _pixels(fig)
        assert cache.misses == misses and cache.hits == 0
    assert renderer.draw_text is not None and "draw_text" in renderer.__dict__


def test_a_renderer_that_is_not_agg_is_left_alone():
    class Other:
        pass

    assert glyphs.install(Other()) is None


def test_text_layouts_are_kept_and_equal_matplotlibs():
    from matplotlib.text import Text

    fig = _figure(0.37)
    renderer = fig.canvas.get_renderer()
    cache = glyphs.install(renderer)
    _pixels(fig)
    _pixels(fig)
    assert cache.layout_hits > 0 and cache.font_heights
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert len(texts) > 10
    for text in texts:
        kept = text._get_layout(renderer)
        with glyphs.uninstalled(renderer):
            assert "_get_font_height_metrics" not in renderer.__dict__
            fresh = text._get_layout(renderer)
        assert kept[0].bounds == fresh[0].bounds
        assert kept[1:] == fresh[1:]
    # Another renderer (no cached text) is laid out by matplotlib itself.
    hits, misses = cache.layout_hits, cache.layout_misses
    plain = _pixels(_figure(0.37))
    assert (cache.layout_hits, cache.layout_misses) == (hits, misses)
    np.testing.assert_array_equal(plain, _pixels(fig))


def test_a_kept_layout_is_keyed_by_the_font_rcparams_too():
    # findfont reads them: a kept layout must not outlive a change of font family.
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=9)
    before = glyphs._font_key(prop)
    with mpl.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):
        assert glyphs._font_key(prop) != before
    assert glyphs._font_key(prop) == before
