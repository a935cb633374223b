"""Text drawn from cached glyph bitmaps: the same pixels as Agg, without FreeType each time.

Matplotlib 3.11's Agg backend lays out every string with raqm and renders every glyph
with FreeType on each draw: ~0.1-0.2 ms a glyph and ~0.5-3 ms a string on this machine,
so a note of 40 characters costs ~8 ms, and the tick labels are most of what a
background draw costs (docs/benchmarks.md, "Widgets"). A widget draws the same strings,
digits and letters on every frame.

:func:`install` replaces two methods *of one renderer object* (no global patch):

- ``draw_text`` keeps each string's layout (the glyphs and their offsets, which do not
  depend on where the string is drawn), keyed by the string, the font file, size, DPI,
  features and language;
- ``_draw_text_glyphs_and_boxes`` (used for plain text and mathtext alike) keeps each
  rendered glyph bitmap, keyed by the glyph, the font, size, DPI, rendering mode, the
  rotation, and the glyph's position *within a pixel* (FreeType places glyphs on a
  1/64-pixel grid): a glyph drawn a whole number of pixels away is the same bitmap moved,
  since FreeType's rasterizer sees the outline moved by a multiple of 64 units.

Then the same calls reach Agg's ``draw_text_image`` with the same bitmaps at the same
places: the pixels are the ones the uncached renderer gives (tested on every widget's
figure, tests/lib/test_widget_live.py). Written against matplotlib 3.11's
``RendererAgg`` (``requirements.txt`` pins it); :func:`install` refuses a renderer
without the methods it replaces, and the renderer then draws as before.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict

import numpy as np
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.ft2font import RenderMode

__all__ = ["install", "uninstalled", "GlyphCache"]

_MAX_GLYPHS = 20_000
_MAX_LAYOUTS = 2_000


class GlyphCache:
    """The layouts and glyph bitmaps of one renderer (bounded, least recently used out)."""

    def __init__(self):
        self.layouts: OrderedDict = OrderedDict()
        self.glyphs: OrderedDict = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _get(table: OrderedDict, key):
        value = table.get(key)
        if value is not None:
            table.move_to_end(key)
        return value

    @staticmethod
    def _put(table: OrderedDict, key, value, limit: int):
        table[key] = value
        if len(table) > limit:
            table.popitem(last=False)


def install(renderer) -> GlyphCache | None:
    """Give ``renderer`` (a ``RendererAgg``) cached text drawing; return its cache.

    Installing twice keeps the first cache. Returns None (and changes nothing) for a
    renderer that is not Agg's or lacks the methods replaced here.
    """
    cache = renderer.__dict__.get("_deepgrad_glyphs")
    if cache is not None:
        return cache
    if not (isinstance(renderer, RendererAgg)
            and hasattr(renderer, "_draw_text_glyphs_and_boxes")
            and hasattr(renderer, "_prepare_font")):
        return None
    cache = GlyphCache()
    draw_boxes = RendererAgg._draw_text_glyphs_and_boxes.__get__(renderer)

    def draw_text(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return renderer.draw_mathtext(gc, x, y, s, prop, angle)
        font = renderer._prepare_font(prop)  # sets the font's size for this DPI
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        flags = get_hinting_flag()
        size = prop.get_size_in_points()
        key = (s, font.fname, size, renderer.dpi, flags,
               tuple(features) if features is not None else None, language)
        items = cache._get(cache.layouts, key)
        if items is None:
            items = tuple((item.ft_object, item.glyph_index, item.x, item.y)
                          for item in font._layout(s, flags=flags, features=features,
                                                   language=language))
            cache._put(cache.layouts, key, items, _MAX_LAYOUTS)
        renderer._draw_text_glyphs_and_boxes(
            gc, x, y, angle,
            ((ft, size, index, 0, 1, dx, dy) for ft, index, dx, dy in items), [])

    def glyphs_and_boxes(gc, x, y, angle, glyphs, boxes):
        # y is downwards; as RendererAgg._draw_text_glyphs_and_boxes, with the bitmaps kept.
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        height = renderer.height
        for font, size, index, slant, extend, dx, dy in glyphs:  # dy is upwards
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y: up
            key = (font.fname, id(font), size, renderer.dpi, index, slant, extend, cos,
                   sin, flags, antialiased, px & 63, py & 63)
            glyph = cache._get(cache.glyphs, key)
            if glyph is None:
                cache.misses += 1
                font.set_size(size, renderer.dpi)
                font._set_transform(
                    (0x10000 * np.array([[cos, -sin], [sin, cos]])
                     @ [[extend, extend * slant], [0, 1]]).round().astype(int),
                    [px, py])
                bitmap = font._render_glyph(index, flags, mode)
                buffer = np.array(bitmap.buffer)  # a copy: FreeType reuses its own
                if not antialiased:
                    buffer *= 0xff
                glyph = (buffer, bitmap.left - (px >> 6), bitmap.top - (py >> 6))
                cache._put(cache.glyphs, key, glyph, _MAX_GLYPHS)
            else:
                cache.hits += 1
            buffer, left, top = glyph
            # draw_text_image's y is downwards & the bitmap's bottom side.
            renderer._renderer.draw_text_image(
                buffer, left + (px >> 6), int(height) - (top + (py >> 6)) + buffer.shape[0],
                0, gc)
        if boxes:
            draw_boxes(gc, x, y, angle, (), boxes)  # the rectangles (mathtext's rules)

    renderer.draw_text = draw_text
    renderer._draw_text_glyphs_and_boxes = glyphs_and_boxes
    renderer._deepgrad_glyphs = cache
    return cache


@contextlib.contextmanager
def uninstalled(renderer):
    """Within the block, ``renderer`` draws text with FreeType as matplotlib does (the
    reference the cached drawing is compared with); the cache is back after it."""
    replaced = {name: renderer.__dict__.pop(name)
                for name in ("draw_text", "_draw_text_glyphs_and_boxes")
                if name in renderer.__dict__}
    try:
        yield renderer
    finally:
        renderer.__dict__.update(replaced)
