"""Live widgets: what every widget of the course shares to redraw within ~100 ms.

Four pieces, for the costs that made a slider move show 0.2-0.9 s late (a full Agg draw
of ~80-110 ms per frame, mostly FreeType drawing every tick label, a ~12-30 ms PNG
encode, and moves queueing one frame each):

- :class:`LiveFigure` -- **drawing only what changed.** A widget's figure is drawn with
  Agg once; its background (axes, ticks, labels, the artists that do not move) is kept,
  and a frame restores that background and draws only the widget's *dynamic* artists
  (the lines, points, images and texts that follow the sliders) and pastes the pixels of
  its *overlays* (legends). The background is drawn again only when an axes' view limits
  or scales changed or the widget's ``layout_key`` did; the last backgrounds are kept by
  limits, so a slider moved back finds its own. Widgets choose limits that rarely change
  (:func:`steady_limits`, with headroom where the data keep growing one way). A frame
  is what a full draw gives (tested): the saturation widget's byte for byte; where an
  axes' frame (a spine, redrawn with the dynamic artists) crosses tick marks, those few
  pixels differ by up to ~11 of 255 levels (the learning-rate widget: 7 pixels).
  The dynamic artists are drawn in a full draw's order; after a new layout the band cut
  above the axes (:attr:`LiveFigure.html_title`) is found from the pixels, not from
  tight boxes (10-25 ms).
  When it must be drawn, it is drawn one axes at a time: each axes alone on the bare
  figure is a *layer*, kept by that axes' limits, and the background is the layers laid
  together (exactly a full draw while no two layers ink the same pixel, checked). A move
  that changes one axes' limits then draws that axes only (release notebooks' moves:
  ~105-190 ms down to ~55-75 ms in-process). Cutting the figure along each axes' tight
  box was tried first and dropped: a tight box costs about as much as the text it saves.
- :mod:`deepgrad.widgets.glyphs` -- **text from cached glyphs.** Matplotlib 3.11 lays
  out every string and renders every glyph with FreeType on each draw (~8 ms for a
  note of 40 characters); the live figure's renderer keeps the layouts and the glyph
  bitmaps instead, with the same pixels.
- :func:`encode_png` -- PNG with no row filter and zlib level 1: ~6 ms a frame against
  Pillow's ~12 ms at its fastest level.
- :class:`LiveWiring` / :func:`live_box` -- **coalescing.** In a kernel, an observer on
  the controls only records that something changed and wakes one drawing thread; the
  thread draws the newest settings, so moves that arrive while a frame is being drawn are
  merged into the next frame instead of queueing one frame each, and the kernel goes
  back to reading messages at once. The last frames are kept by settings (a slider
  dragged back over values it just showed costs nothing). Outside a kernel (tests,
  scripts) it draws synchronously, so ``box.image.value`` is up to date right after a
  control is set.

Only matplotlib's Agg, numpy, zlib and an ``ipywidgets.Image``: the same picture in
JupyterLab, in classic Notebook and in Voila (no front-end extension to install).

Why this and not a browser-side plotting library (bqplot, anywidget + canvas) or ipympl:
docs/benchmarks.md, "Widgets", with the numbers. In short, ipympl redraws the whole
figure with Agg in the kernel on every change (the ~100 ms this avoids); a browser-side
library would need every figure (contours, log axes with Unicode labels, heat maps,
shaded regions) rewritten for it, and the Agg path measured within budget once only the
dynamic artists are drawn.
"""

from __future__ import annotations

import io
import json
import math
import struct
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Hashable, Iterable, Mapping

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.spines import Spine
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from deepgrad.widgets import glyphs

__all__ = ["LiveFigure", "LiveWiring", "live_box", "encode_png", "in_kernel",
           "snapped_limits", "steady_limits", "timings"]

#: zlib level of the PNG frames (1: fastest; the local socket does not notice the size).
PNG_LEVEL = 1


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def encode_png(rgba: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    """RGBA pixels (h, w, 4) as PNG bytes (RGB: the figures are opaque).

    Written here rather than with Pillow: no row filter and zlib at level 1 encode a
    900 x 380 frame in ~6 ms against Pillow's ~12 ms at its fastest level (files about
    the same size, ~110 KB)."""
    h, w = rgba.shape[:2]
    rows = np.empty((h, 3 * w + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:].reshape(h, w, 3)[...] = rgba[..., :3]
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(rows.tobytes(), level))
            + _png_chunk(b"IEND", b""))


def snapped_limits(low: float, high: float, steps: int = 5) -> tuple[float, float]:
    """``(low, high)`` widened outward to multiples of a round step (1, 2 or 5 x 10^k,
    about ``(high - low) / steps``): small moves of a slider then keep the same axis
    limits, so a frame redraws no axis (see :class:`LiveFigure`)."""
    low, high = float(low), float(high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return low, high
    if high <= low:
        half = max(abs(low), 1.0) * 0.5
        low, high = low - half, high + half
    raw = (high - low) / steps
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(k * power for k in (1.0, 2.0, 5.0, 10.0) if k * power >= raw)
    return float(np.floor(low / step) * step), float(np.ceil(high / step) * step)


def steady_limits(current: tuple[float, float] | None, low: float, high: float,
                  steps: int = 5, fill: float = 0.4,
                  headroom: float = 0.0) -> tuple[float, float]:
    """Axis limits for data in ``[low, high]`` that change as rarely as possible: the
    ``current`` limits while they hold the data and the data fill at least ``fill`` of
    them, else :func:`snapped_limits`. A slider moved back and forth then keeps one
    axis (and the live figure its cached background).

    ``headroom`` (hysteresis for data that keeps growing, e.g. while a slider is dragged
    one way): when the data leave the current limits, the side(s) they left by are
    pushed out by a further ``headroom`` times the data's span before snapping, as long
    as the data then still fill ``fill`` of the new limits. The next moves the same way
    then keep the axis instead of each drawing a new one."""
    low, high = float(low), float(high)
    if current is not None:
        lo, hi = (float(v) for v in current)
        if lo <= low and high <= hi and (high - low) >= fill * (hi - lo):
            return lo, hi
        if headroom > 0 and np.isfinite(low) and np.isfinite(high) and high > low:
            room = headroom * (high - low)
            wide = snapped_limits(low - room if low < lo else low,
                                  high + room if high > hi else high, steps)
            if (high - low) >= fill * (wide[1] - wide[0]):
                return wide
    return snapped_limits(low, high, steps)


class LiveFigure:
    """An Agg figure drawn incrementally: the static background is cached.

    The last :attr:`cached_backgrounds` backgrounds are kept, keyed by the layout key and
    every axes' limits: a slider moved back to where it was finds its background again.

    Parameters
    ----------
    figure : Figure
        The widget's figure (an Agg canvas is attached if it has none).

    Use: build the figure, then on every update change the artists as usual
    (``set_data``, ``set_text``, ``set_ylim``...) and call :meth:`frame` with the
    artists that change from one frame to the next. Everything else is the background:
    drawn once, and again only when an axes' view limits or scales changed, or when
    ``layout_key`` changes (e.g. another data set: other static points).

    Attributes
    ----------
    full_draws, frames, reused_backgrounds : int
        How often the background and a frame were drawn, and how often a background
        was found in the cache instead of being drawn.
    last_seconds : float
        Wall time of the last :meth:`frame` (drawing and encoding).
    """

    #: How many backgrounds to keep (~1.2 MB each at 900 x 380; and as many layers per
    #: axes, ~1.6 MB each).
    cached_backgrounds = 12
    #: Draw the background one axes at a time and keep each axes' layer
    #: (:meth:`_draw_layers`); turned off for a figure whose axes ink the same pixels.
    layered = True
    #: Leave the figure's suptitle out of the picture and expose it as :attr:`caption`
    #: instead (:func:`live_box` shows it as HTML above the picture, where the browser
    #: draws it): a one- or two-line bold title was 6-21 ms of a 24-38 ms frame. The
    #: empty band it leaves at the top of the figure is cut off.
    html_title = False
    #: Draw text from cached glyph bitmaps and layouts (:mod:`deepgrad.widgets.glyphs`):
    #: the same pixels, without FreeType on every frame.
    cached_glyphs = True

    def __init__(self, figure: Figure):
        if not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        self.figure = figure
        self.canvas = figure.canvas
        self._background = None
        self._axes_keys: dict[object, tuple] = {}
        self._layout_key: Hashable = None
        self._size = None
        self._backgrounds: dict = {}  # (layout_key, size, axes keys) -> pixels, LRU
        self.reused_backgrounds = 0
        self.caption: tuple[str, str] | None = None  # (text, colour) with html_title
        self._crop = None  # rows cut off the top with html_title
        self._overlay_pixels: dict[int, object] = {}
        self.full_draws = 0
        self.partial_draws = 0
        self._layers: dict = {}  # (axes, its key, layout, size) -> (pixels, ink), LRU
        self._paper = None  # (size, the bare figure's pixel)
        self.frames = 0
        self.last_seconds = 0.0

    def _renderer(self):
        """The canvas' renderer, with cached glyphs when :attr:`cached_glyphs`."""
        renderer = self.canvas.get_renderer()
        if self.cached_glyphs:
            glyphs.install(renderer)
        return renderer

    # ------------------------------------------------------------------------- keys
    @staticmethod
    def _axes_key(ax) -> tuple:
        return (tuple(np.round(ax.viewLim.bounds, 12)), ax.get_xscale(), ax.get_yscale(),
                ax.get_visible())

    def frame(self, dynamic: Iterable, layout_key: Hashable = None,
              overlays: Iterable = (), layout_axes: Iterable | None = None) -> bytes:
        """Draw the background if needed, then the ``dynamic`` artists; return PNG bytes.

        Parameters
        ----------
        dynamic : iterable of Artist
            The artists that change between frames. They are marked animated (a
            background draw leaves them out) and drawn on every frame, in z-order.
            Marking an artist that was not animated yet draws the background again
            (it was in it): create artists that are replaced on every frame with
            ``animated=True``.
        layout_key : hashable, optional
            Anything that, when it changes, means the static part changed too (the
            whole background is drawn again).
        overlays : iterable of Artist
            Opaque artists drawn over the dynamic ones that change only with
            ``layout_key`` (a legend: its frame is made square and opaque here): drawn
            once, then their pixels are pasted on every frame (a legend's text costs
            ~15 ms to draw).
        layout_axes : iterable of Axes, optional
            The axes a change of ``layout_key`` concerns (default: all): the others'
            layers are kept (:meth:`_draw_layers`).
        """
        start = time.perf_counter()
        dynamic = [a for a in dynamic if a is not None]
        overlays = [a for a in overlays if a is not None]
        title = self.figure._suptitle
        if self.html_title and title is not None:
            self.caption = (title.get_text(), to_hex(title.get_color()))
            dynamic = [a for a in dynamic if a is not title]
            if title.get_visible():
                title.set_visible(False)
                self._background = None
        # The frame of an axes with dynamic artists is drawn on every frame too (a
        # dynamic image would cover it; a twice-drawn spine would look darker).
        spines = [spine for ax in dict.fromkeys(getattr(a, "axes", None) for a in dynamic)
                  if ax is not None and ax.axison for spine in ax.spines.values()]
        for artist in overlays:
            # An overlay's pixels are pasted as a rectangle: it must be an opaque one
            # (a legend's rounded corners would paste what was under them once).
            frame = getattr(artist, "legendPatch", None)
            if frame is not None and frame.get_boxstyle().__class__.__name__ != "Square":
                frame.set_boxstyle("square", pad=0)
                frame.set_alpha(1.0)
                self._background = None
        for artist in dynamic + spines + overlays:
            if not artist.get_animated():
                artist.set_animated(True)
                self._background = None  # it was part of the cached background
        renderer = self._renderer()
        size = (self.figure.bbox.width, self.figure.bbox.height)
        keys = {ax: self._axes_key(ax) for ax in self.figure.axes}
        if self._background is None or size != self._size:
            self._backgrounds.clear()  # the static part itself changed
            self._layers.clear()
        state = (layout_key, size, tuple(keys.values()))
        if (self._background is not None and size == self._size
                and layout_key == self._layout_key and keys == self._axes_keys):
            self.canvas.restore_region(self._background)
        elif state in self._backgrounds:
            # Limits seen before (a slider moved back): that background, no drawing.
            self._background = self._backgrounds.pop(state)
            self._backgrounds[state] = self._background  # the most recent, last
            self.canvas.restore_region(self._background)
            self.reused_backgrounds += 1
        else:
            concerned = set(self.figure.axes if layout_axes is None else layout_axes)
            changed = self._draw_layers(keys, layout_key, concerned) if self.layered else None
            if changed is None:
                self.canvas.draw()  # animated artists are skipped
            elif len(changed) < len(self.figure.axes):
                self.partial_draws += 1
            renderer = self._renderer()
            self._background = self.canvas.copy_from_bbox(self.figure.bbox)
            if self.html_title and (self._crop is None or layout_key != self._layout_key):
                if self._crop is None or changed is None:
                    # tight boxes cost ~10-25 ms: not on every draw
                    self._crop_top(renderer, self.figure.axes if changed is None else changed)
                else:
                    self._crop_from_ink(renderer, dynamic + spines)
            self._backgrounds[state] = self._background
            while len(self._backgrounds) > self.cached_backgrounds:
                self._backgrounds.pop(next(iter(self._backgrounds)))
            self.full_draws += 1
        if layout_key != self._layout_key:
            self._overlay_pixels = {}  # an overlay may change with the layout
        self._size, self._layout_key, self._axes_keys = size, layout_key, keys
        # In the order of a full draw, with the spines (a line at zorder 2 goes under
        # the axes' frame, at 3 over it; of two lines at one zorder, the one added
        # first goes under).
        for artist in self._draw_order(dynamic + spines):
            if artist.get_visible() and (artist.figure is not None):
                artist.draw(renderer)
        for artist in overlays:
            if not artist.get_visible():
                continue
            pixels = self._overlay_pixels.get(id(artist))
            if pixels is None:
                artist.draw(renderer)
                # The whole pixels inside it only: those on its edge blend with what
                # is under it.
                x0, y0, x1, y1 = artist.get_window_extent(renderer).extents
                box = Bbox([[math.ceil(x0), math.ceil(y0)],
                            [math.floor(x1), math.floor(y1)]])
                self._overlay_pixels[id(artist)] = self.canvas.copy_from_bbox(box)
            else:
                # A legend's frame (one rectangle, cheap) blends its edge pixels with
                # what is under them now, as a full draw does; the inside is pasted.
                frame = getattr(artist, "legendPatch", None)
                if frame is not None:
                    frame.draw(renderer)
                self.canvas.restore_region(pixels)
        self._dynamic = dynamic + spines + overlays
        self.frames += 1
        pixels = np.asarray(renderer.buffer_rgba())
        if self.html_title and self._crop:
            pixels = pixels[self._crop:]
        png = encode_png(pixels)
        self.last_seconds = time.perf_counter() - start
        return png


    def _draw_order(self, artists: list) -> list:
        """``artists`` in the order a full draw draws them: the figure's children by
        z-order (its axes, then e.g. a suptitle), and within an axes its children by
        z-order, ties in the order they were added (``Axes.get_children``, as
        ``Axes.draw`` sorts them). A sort by z-order alone drew the saturation widget's
        dotted 0.25^L line over the gradient's line it was added before."""
        figure_order = {id(child): k for k, child in enumerate(self.figure.get_children())}
        children: dict = {}

        def key(artist):
            ax = getattr(artist, "axes", None)
            if ax is None or id(ax) not in figure_order:
                return (artist.get_zorder(), figure_order.get(id(artist), -1), 0, 0)
            if ax not in children:
                children[ax] = {id(c): k for k, c in enumerate(ax.get_children())}
            return (ax.get_zorder(), figure_order[id(ax)], artist.get_zorder(),
                    children[ax].get(id(artist), -1))

        return sorted(artists, key=key)

    def _draw_layers(self, keys: dict, layout_key: Hashable, concerned: set) -> list | None:
        """Make the background from one layer per axes: each axes drawn alone on the
        bare figure, kept by its own limits (and the layout key, for the axes it
        concerns), and the layers laid together. Only the axes whose layer is not kept
        are drawn: a move that changes one axes' limits draws that axes alone (a third
        to a half of a full draw). Exactly a full draw wherever no two layers ink the
        same pixel; if two do (a title over another axes...), returns None, draws
        nothing, and the figure is drawn whole from then on. Returns the axes drawn.
        """
        renderer = self._renderer()
        shown = [ax for ax in self.figure.axes if ax.get_visible()]
        size = (self.figure.bbox.width, self.figure.bbox.height)
        layer_keys = {ax: (id(ax), keys[ax], layout_key if ax in concerned else None, size)
                      for ax in shown}
        missing = [ax for ax in shown if layer_keys[ax] not in self._layers]
        if self._paper is None or self._paper[0] != size:
            for ax in shown:
                ax.set_visible(False)
            try:
                self.canvas.draw()
            finally:
                for ax in shown:
                    ax.set_visible(True)
            self._paper = (size, np.asarray(renderer.buffer_rgba()).view(np.uint32)[0, 0, 0])
        paper = self._paper[1]
        for ax in missing:
            others = [o for o in shown if o is not ax]
            for o in others:
                o.set_visible(False)
            try:
                self.canvas.draw()
            finally:
                for o in others:
                    o.set_visible(True)
            # One uint32 per RGBA pixel: a quarter of the comparisons.
            pixels = np.array(renderer.buffer_rgba()).view(np.uint32)[..., 0]
            ink = pixels != paper
            self._layers[layer_keys[ax]] = (pixels, ink)
        layers = []
        for ax in shown:
            key = layer_keys[ax]
            self._layers[key] = self._layers.pop(key)  # the most recent, last
            layers.append(self._layers[key])
        while len(self._layers) > self.cached_backgrounds * max(1, len(shown)):
            self._layers.pop(next(iter(self._layers)))
        if len(layers) > 1 and (np.count_nonzero(np.logical_and.reduce(
                [ink for _, ink in layers[:2]])) if len(layers) == 2
                else (sum(ink.view(np.uint8) for _, ink in layers) > 1).any()):
            self.layered = False
            self._layers.clear()
            return None
        buffer = np.asarray(renderer.buffer_rgba()).view(np.uint32)[..., 0]
        buffer[...] = paper
        for pixels, ink in layers:
            buffer[ink] = pixels[ink]
        return missing

    def _crop_top(self, renderer, axes=None) -> None:
        """Rows above everything but the (hidden) suptitle, less a margin of 4 px; only
        ever fewer rows than before, so the picture keeps its height (so ``axes``, when
        given, need only be the axes that changed)."""
        top = max(ax.get_tightbbox(renderer).y1 for ax in (axes or self.figure.axes))
        crop = max(0, int(self.figure.bbox.height - top) - 4)
        self._crop = crop if self._crop is None else min(self._crop, crop)

    def _crop_from_ink(self, renderer, dynamic: list) -> None:
        """:meth:`_crop_top` after a new layout, without tight boxes (10-25 ms): the
        first row of the background's pixels that is not the bare figure's, the boxes
        of the dynamic texts, and the frames of the axes with dynamic artists (their
        spines are drawn on every frame). Only rows above the current crop are read:
        the crop only ever shrinks."""
        height = self.figure.bbox.height
        rows = min(int(height), self._crop + 5)
        pixels = np.asarray(renderer.buffer_rgba()).view(np.uint32)[:rows, :, 0]
        inked = np.flatnonzero((pixels != self._paper[1]).any(axis=1))
        tops = [height - inked[0]] if inked.size else []
        for artist in dynamic:
            if not artist.get_visible():
                continue
            if isinstance(artist, Spine):
                ax = artist.axes
                tick = ax.xaxis.majorTicks[0]
                if (tick.tick2line.get_visible() or tick.label2.get_visible()
                        or ax.xaxis.get_label_position() == "top"):  # on top: measure
                    tops.append(ax.get_tightbbox(renderer).y1)
                else:  # the frame's line is centred on the axes' edge
                    tops.append(ax.bbox.y1 + artist.get_linewidth() * self.figure.dpi / 72)
            elif isinstance(artist, Text):
                if artist.get_text():
                    tops.append(artist.get_window_extent(renderer).y1)
            elif artist.get_clip_on() and artist.get_clip_box() is not None:
                tops.append(artist.get_clip_box().y1)
            else:
                tops.append(artist.get_window_extent(renderer).y1)
        if tops:
            crop = max(0, int(height - max(tops)) - 4)
            self._crop = min(self._crop, crop)

    def full_png(self) -> bytes:
        """The current state drawn from scratch (no cache, dynamic artists included),
        as PNG bytes: what :meth:`frame` must look like (tests compare the two)."""
        dynamic = getattr(self, "_dynamic", [])
        for artist in dynamic:
            artist.set_animated(False)
        try:
            with glyphs.uninstalled(self.canvas.get_renderer()):  # FreeType's own pixels
                self.canvas.draw()
            pixels = np.asarray(self.canvas.get_renderer().buffer_rgba())
            if self.html_title and self._crop:
                pixels = pixels[self._crop:]
            return encode_png(pixels)
        finally:
            for artist in dynamic:
                artist.set_animated(True)
            self._background = None


# ----------------------------------------------------------------------------- wiring
def in_kernel() -> bool:
    """Whether this runs inside a Jupyter kernel (where moves arrive as messages)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LiveWiring:
    """Controls wired to a picture, redrawn with the newest settings only.

    Parameters
    ----------
    controls : dict of str -> ipywidgets.ValueWidget
    draw : callable
        ``draw(values) -> bytes``: the PNG for a dict of the controls' values.
    image : ipywidgets.Image
        Where the picture goes.
    status : ipywidgets.HTML, optional
        Where an error while drawing is shown (instead of the picture changing).
    threaded : bool, optional
        Draw on a background thread and coalesce the moves that arrive meanwhile.
        Default: inside a Jupyter kernel yes, elsewhere no (synchronous, for tests).
    on_change : callable, optional
        ``on_change(change) -> bool``, called first for every change; returning False
        means "do not redraw for this one" (e.g. it set another control, whose own
        change redraws).
    figure : LiveFigure, optional
        The figure ``draw`` renders with: its time per frame is recorded apart.

    Attributes
    ----------
    requested, drawn : int
        Changes seen, and frames drawn (with the thread, drawn <= requested).
    reused : int
        Frames that were a recent frame of the same settings (:attr:`cached_frames`),
        shown again without computing or drawing.
    draw_seconds : list of float
        Wall time of each frame's ``draw`` (compute + render + encode).
    render_seconds : list of float
        The part of it spent in ``figure.frame`` (drawing and encoding), when given.
    """

    #: How many recent frames (PNG bytes, ~100 KB each) to keep by settings: a slider
    #: dragged back over values it just showed costs nothing.
    cached_frames = 32

    def __init__(self, controls: Mapping, draw: Callable[[dict], bytes], image,
                 status=None, threaded: bool | None = None,
                 on_change: Callable[[dict], bool] | None = None,
                 figure: LiveFigure | None = None, caption=None):
        self.controls = dict(controls)
        self.draw = draw
        self.image = image
        self.status = status
        self.threaded = in_kernel() if threaded is None else bool(threaded)
        self.on_change = on_change
        self.requested = 0
        self.drawn = 0
        self.draw_seconds: list[float] = []
        self.render_seconds: list[float] = []
        self.reused = 0
        self.caption = caption
        self._frames: dict = {}
        self.figure = figure
        self.error: BaseException | None = None
        self._wake = threading.Condition()
        self._pending = False
        self._busy = False
        self._thread: threading.Thread | None = None
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        _WIRINGS.append(weakref.ref(self))

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def redraw_now(self) -> None:
        """Draw the current settings on this thread."""
        values = self.values()
        try:
            key = tuple(sorted(values.items()))
            hash(key)
        except TypeError:  # a control whose value cannot be a key: never reused
            key = None
        if key is not None and key in self._frames:
            self._frames[key] = frame = self._frames.pop(key)  # the most recent, last
            self.reused += 1
            self.drawn += 1
            self._show(*frame)
            return
        start = time.perf_counter()
        try:
            png = self.draw(values)
        except Exception as error:  # shown, not raised into the kernel's event loop
            self.error = error
            if self.status is not None:
                import html
                self.status.value = (f"<span style='color:#b2182b'>could not draw: "
                                     f"{html.escape(type(error).__name__)}: "
                                     f"{html.escape(str(error))}</span>")
            if not self.threaded:
                raise
            return
        self.draw_seconds.append(time.perf_counter() - start)
        if self.figure is not None:
            self.render_seconds.append(self.figure.last_seconds)
        if self.status is not None and self.status.value:
            self.status.value = ""
        self.error = None
        frame = (png, self.caption_html())
        if key is not None:
            self._frames[key] = frame
            while len(self._frames) > self.cached_frames:
                self._frames.pop(next(iter(self._frames)))
        self._show(*frame)
        self.drawn += 1

    def caption_html(self) -> str | None:
        """The figure's title as HTML (with :attr:`LiveFigure.html_title`), else None."""
        if self.caption is None or self.figure is None or self.figure.caption is None:
            return None
        import html

        text, color = self.figure.caption
        lines = "<br>".join(html.escape(line) for line in text.split("\n"))
        return (f"<div style='text-align:center;font-weight:bold;font-size:14px;"
                f"line-height:1.3;color:{color}'>{lines}</div>")

    def _show(self, png: bytes, caption: str | None) -> None:
        if caption is not None and self.caption is not None:
            self.caption.value = caption
        self.image.value = png

    def _changed(self, change) -> None:
        if self.on_change is not None and self.on_change(change) is False:
            return
        self.requested += 1
        if not self.threaded:
            self.redraw_now()
            return
        with self._wake:
            self._pending = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="deepgrad-live-widget")
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    # An idle thread ends after a while; the next change starts another.
                    if not self._wake.wait(timeout=60.0) and not self._pending:
                        self._thread = None
                        return
                self._pending = False
                self._busy = True
            try:
                self.redraw_now()  # reads the newest values: stale moves are skipped
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until no frame is pending or being drawn; whether that happened."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(timeout=left)
        return True


_WIRINGS: list[weakref.ref] = []


def timings(which: int = -1) -> str:
    """What the newest (or ``which``) live widget of this process measured, as JSON:
    median milliseconds of a frame's compute and render (drawing + encoding) and the
    moves seen and frames drawn. The browser test reads it from the kernel."""
    wirings = [w() for w in _WIRINGS]
    wirings = [w for w in wirings if w is not None]
    if not wirings:
        return json.dumps(None)
    w = wirings[which]
    draw = np.array(w.draw_seconds) * 1000
    render = np.array(w.render_seconds) * 1000
    n = min(draw.size, render.size)
    out = {"frames": int(w.drawn), "moves": int(w.requested), "reused": int(w.reused),
           "draw_ms": float(np.median(draw)) if draw.size else None,
           "render_ms": float(np.median(render)) if render.size else None,
           "compute_ms": float(np.median(draw[-n:] - render[-n:])) if n else None,
           "full_draws": getattr(w.figure, "full_draws", None)}
    return json.dumps(out)


def live_box(controls: Mapping, draw: Callable[[dict], bytes], demo=None,
             threaded: bool | None = None,
             on_change: Callable[[dict], bool] | None = None):
    """The standard widget: the controls above the live picture.

    Parameters
    ----------
    controls : dict of str -> ipywidgets control
    draw : callable
        ``draw(values) -> bytes`` (PNG) for a dict of the controls' values; called once
        here for the first picture.
    demo : object, optional
        Kept as ``box.demo``.
    threaded, on_change
        See :class:`LiveWiring`.

    Returns
    -------
    ipywidgets.VBox
        Children: the controls, a status line (empty unless drawing failed), the
        figure's title as HTML (when ``demo.live`` is a :class:`LiveFigure`: its
        :attr:`~LiveFigure.html_title` is turned on) and the ``ipywidgets.Image``;
        also ``box.controls``, ``box.image``, ``box.caption``, ``box.demo`` and
        ``box.live`` (the :class:`LiveWiring`).
    """
    import ipywidgets as widgets

    figure = getattr(demo, "live", None)
    caption = None
    if isinstance(figure, LiveFigure):
        figure.html_title = True
        caption = widgets.HTML(value="", layout=widgets.Layout(max_width="100%"))
    image = widgets.Image(value=draw({name: c.value for name, c in controls.items()}),
                          format="png", layout=widgets.Layout(max_width="100%"))
    status = widgets.HTML(value="")
    live = LiveWiring(controls, draw, image, status=status, threaded=threaded,
                      on_change=on_change, figure=figure, caption=caption)
    if caption is not None:
        caption.value = live.caption_html() or ""
    box = widgets.VBox([widgets.VBox(list(controls.values())), status]
                       + ([caption] if caption is not None else []) + [image])
    box.controls = live.controls
    box.image = image
    box.caption = caption
    box.demo = demo
    box.live = live
    return box
