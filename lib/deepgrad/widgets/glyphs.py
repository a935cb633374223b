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
figure, tests/lib/test_widget_live.py).

Laying a string out is also what matplotlib's *artist machinery* repeats most when an
axes is drawn: ``Text._get_layout`` (the text's box and line offsets, relative to its
anchor) runs for every tick label three to four times per draw (its box for the axis
label's place, the siblings' boxes, the title's place, the draw itself), and each run
looks the font up and reads three of its tables. For a renderer given cached text:

- ``_get_font_height_metrics`` -- matplotlib's own hook (``Text._get_layout`` asks the
  renderer for it first): the font's ascent, descent and line gap, read once per font,
  size and DPI, by the same arithmetic;
- ``Text._get_layout`` keeps its result, keyed by everything it reads (the string, the
  font properties, line spacing, alignments, rotation, math parsing, DPI and the
  hinting settings); text that wraps or uses TeX is laid out afresh. This one is a
  method of the class: it is replaced once, and for any other renderer it is the
  original, unchanged.

The layer of an axes whose limits changed then draws in ~75 % of the time (the
saturation widget's depth axes ~21 -> ~16 ms, the learning-rate cost axes ~24 -> ~18 ms,
in-process; docs/benchmarks.md, "Widgets", run 10). Written against matplotlib 3.11's
``RendererAgg`` (``requirements.txt`` pins it); :func:`install` refuses a renderer
without the methods it replaces, and the renderer then draws as before.
"""

from __future__ import annotations

import contextlib
import math
from collections import OrderedDict

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font
from matplotlib.ft2font import RenderMode
from matplotlib.text import Text

__all__ = ["install", "uninstalled", "GlyphCache"]

_MAX_GLYPHS = 20_000
_MAX_LAYOUTS = 2_000
_MAX_TEXT_LAYOUTS = 4_000
#: The attributes :func:`install` sets on a renderer (:func:`uninstalled` lifts them).
_INSTALLED = ("draw_text", "_draw_text_glyphs_and_boxes", "_get_font_height_metrics",
              "_deepgrad_glyphs")


class GlyphCache:
    """The layouts and glyph bitmaps of one renderer (bounded, least recently used out)."""

    def __init__(self):
        self.layouts: OrderedDict = OrderedDict()
        self.glyphs: OrderedDict = OrderedDict()
        self.text_layouts: OrderedDict = OrderedDict()  # Text._get_layout's results
        self.font_heights: dict = {}
        self.hits = 0
        self.misses = 0
        self.layout_hits = 0
        self.layout_misses = 0

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

    def font_height_metrics(prop):
        # Text._get_layout's own reading of the font's tables (matplotlib 3.11), once
        # per font, size and DPI: (ascent, descent, line gap) in pixels.
        fontsize = prop.get_size_in_points()
        key = (_font_key(prop), fontsize, renderer.dpi)
        metrics = cache.font_heights.get(key)
        if metrics is None:
            metrics = (None, None, None)
            font = get_font(fontManager._find_fonts_by_props(prop))
            possible = [('OS/2', 'sTypoLineGap', 'sTypoAscender', 'sTypoDescender'),
                        ('hhea', 'lineGap', 'ascent', 'descent')]
            for table_name, linegap_key, ascent_key, descent_key in possible:
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                units_per_em = font.get_sfnt_table('head')['unitsPerEm']
                scale = 1 / units_per_em * fontsize * renderer.dpi / 72
                metrics = (table[ascent_key] * scale, -table[descent_key] * scale,
                           table[linegap_key] * scale)
                break
            cache.font_heights[key] = metrics
        return metrics

    _patch_text_layout()
    renderer.draw_text = draw_text
    renderer._draw_text_glyphs_and_boxes = glyphs_and_boxes
    renderer._get_font_height_metrics = font_height_metrics
    renderer._deepgrad_glyphs = cache
    return cache


_RC_FONT = [f"font.{key}" for key in ("family", "style", "variant", "weight", "stretch",
                                       "size", "serif", "sans-serif", "cursive",
                                       "fantasy", "monospace")]


_rc_fonts_seen: list = [None, None]  # the last font rcParams read, and as a key


def _font_key(prop) -> tuple:
    """Which font ``prop`` finds: what FontProperties.__hash__ hashes (a FontProperties
    is mutable: not itself a key) and the rcParams that ``findfont`` reads too."""
    values = [dict.__getitem__(matplotlib.rcParams, name) for name in _RC_FONT]
    if values != _rc_fonts_seen[0]:
        _rc_fonts_seen[:] = [[list(v) if isinstance(v, list) else v for v in values],
                             tuple(tuple(v) if isinstance(v, list) else v for v in values)]
    return tuple(prop.__dict__.values()), _rc_fonts_seen[1]


_ORIGINAL_GET_LAYOUT = Text._get_layout


def _cached_get_layout(text, renderer):
    """``Text._get_layout``, kept for a renderer with cached text (see the module)."""
    cache = getattr(renderer, "__dict__", {}).get("_deepgrad_glyphs")
    if cache is None or text.get_usetex() or text.get_wrap():
        return _ORIGINAL_GET_LAYOUT(text, renderer)
    figure = text.get_figure(root=True)
    rc = matplotlib.rcParams
    key = (text.get_text(), _font_key(text._fontproperties), text._linespacing,
           text._get_multialignment(), text.get_rotation(), text.get_rotation_mode(),
           text._horizontalalignment, text._verticalalignment, text._parse_math,
           None if figure is None else figure.dpi, renderer.dpi,
           rc["text.hinting"], rc["text.hinting_factor"])
    layout = cache._get(cache.text_layouts, key)
    if layout is None:
        cache.layout_misses += 1
        layout = _ORIGINAL_GET_LAYOUT(text, renderer)
        cache._put(cache.text_layouts, key, layout, _MAX_TEXT_LAYOUTS)
    else:
        cache.layout_hits += 1
    return layout


def _patch_text_layout() -> None:
    """Replace ``Text._get_layout`` by :func:`_cached_get_layout` (once; the original
    for every renderer without cached text)."""
    if Text._get_layout is _ORIGINAL_GET_LAYOUT:
        Text._get_layout = _cached_get_layout


@contextlib.contextmanager
def uninstalled(renderer):
    """Within the block, ``renderer`` lays out and draws text as matplotlib does (the
    reference the cached drawing is compared with); the cache is back after it."""
    replaced = {name: renderer.__dict__.pop(name)
                for name in _INSTALLED if name in renderer.__dict__}
    try:
        yield renderer
    finally:
        renderer.__dict__.update(replaced)
