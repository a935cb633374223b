"""Every widget of the course in a real browser: JupyterLab + headless Debian chromium.

Discovery: a notebook in ``demos/`` or ``release/`` shows a widget when one of its code
cells calls a public widget factory of :mod:`deepgrad.widgets` (a name of its ``__all__``
ending in ``_widget``), so a new widget or a new notebook needs no edit here.

One ``jupyter lab`` server for the module (free port, token) serves temporary copies of
those notebooks (the repository's notebooks never get outputs saved into them); a
release notebook is served with the solution filled in, built from its source notebook.
For each (notebook, widget cell): run the cells above it, run the widget cell, then move
every control of the widget in turn and check after each move that the picture changed
and is not blank. The notebook's kernel is shut down when its test ends. Needs the
system ``chromium`` (``make browser-deps``); without it the tests fail, they do not skip.

Timings, never asserted (speed goes in docs/benchmarks.md, "Widgets"): each move is timed
from its first input event to the new picture decoded and painted; in ``demos/`` the first
slider is also stepped 8 times with the arrow keys; the kernel's own compute and render
medians are read from :func:`deepgrad.widgets.live.timings`. They are printed, and
appended as JSON lines to ``$DEEPGRAD_WIDGET_TIMINGS`` when it is set
(``python -m benchmarks.bench_widgets --browser FILE`` makes the table).

Set ``DEEPGRAD_SCREENSHOT_DIR`` to keep the screenshots somewhere to look at.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[2]
WIDGET_NOTEBOOK_DIRS = ("demos", "release")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-quic", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]
# User settings of the test server: every cell attached to the DOM (no windowing, so a
# cell far down is there to find), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}
# The controls a widget may have: (CSS selector of the DOM container, kind), ipywidgets 8
# classes. Buttons and Play are actions, not values: they are not moved.
CONTROL_KINDS = [(".widget-hslider", "slider"), (".widget-vslider", "slider"),
                 (".widget-dropdown", "dropdown"), (".widget-checkbox", "checkbox"),
                 # a ToggleButtons' own buttons are not controls of their own
                 ("button.widget-toggle-button:not(.widget-toggle-buttons *)",
                  "toggle button"),
                 (".widget-toggle-buttons", "toggle buttons"),
                 (".widget-radio", "radio buttons"),
                 (".widget-text:has(input[type=number])", "number box")]
CONTROLS = ", ".join(css for css, _ in CONTROL_KINDS)


# ---- discovery ----------------------------------------------------------------------
def widget_factories() -> frozenset[str]:
    """Names of the public widget factories: ``deepgrad.widgets.__all__`` ending in
    ``_widget``."""
    import deepgrad.widgets

    return frozenset(name for name in deepgrad.widgets.__all__ if name.endswith("_widget"))


def calls_any(source: str, names: frozenset[str]) -> bool:
    """Whether the code ``source`` calls one of ``names`` (bare or as an attribute)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (magics, ``!``): fall back to the text
        return any(re.search(rf"\b{re.escape(name)}\s*\(", source) for name in names)
    return any(isinstance(node, ast.Call)
               and (getattr(node.func, "id", None) in names
                    or getattr(node.func, "attr", None) in names)
               for node in ast.walk(tree))


def widget_cells() -> list[tuple[str, int]]:
    """``(notebook path relative to the repository, cell index)`` of every code cell of
    ``demos/`` and ``release/`` that creates a widget."""
    factories = widget_factories()
    found = []
    for folder in WIDGET_NOTEBOOK_DIRS:
        for path in sorted((REPO / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            for index, cell in enumerate(cells):
                source = cell["source"]
                source = "".join(source) if isinstance(source, list) else source
                if cell["cell_type"] == "code" and calls_any(source, factories):
                    found.append((path.relative_to(REPO).as_posix(), index))
    return found


WIDGET_CELLS = widget_cells()


def copy_for_lab(notebook: str, root: Path) -> None:
    """Write the notebook to run under the lab's ``root``, at the same relative path:
    a demo as is, a release notebook with the solution filled in."""
    import nbformat

    from authoring.submissions import build_solution

    target = root / notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    parts = Path(notebook).parts
    if parts[0] != "release":
        shutil.copy(REPO / notebook, target)
        return
    release_nb = nbformat.read(REPO / notebook, as_version=4)
    source_nb = nbformat.read(REPO.joinpath("source", *parts[1:]), as_version=4)
    nbformat.write(build_solution(source_nb, release_nb), target)


# ---- the server ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass
class Lab:
    """A running JupyterLab server: its URL, token and the folder it serves."""

    base: str
    token: str
    root: Path

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def sessions(self, notebook: str) -> list[dict]:
        return [s for s in self.api("/api/sessions") if s.get("path") == notebook]

    def kernel_idle(self, notebook: str) -> bool:
        sessions = self.sessions(notebook)
        return bool(sessions) and all(
            self.api(f"/api/kernels/{s['kernel']['id']}")["execution_state"] == "idle"
            for s in sessions)

    def shut_down(self, notebook: str) -> None:
        """End the notebook's sessions and their kernels."""
        for session in self.sessions(notebook):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of the system chromium; checked before the server starts."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed (the browser test drives Debian's "
                    "chromium): run `make browser-deps`, or apt-get install -y chromium")
    return path


def stop_server(server, log) -> None:
    """Stop a server started in a process group of its own, then close its log."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=10)
    log.close()


@contextmanager
def serve_lab(tmp_path: Path, work: Path, env: dict[str, str] | None = None):
    """Run a JupyterLab server on the folder ``work`` (also its working directory, as
    ``make lab`` runs it: nbgrader's extensions read nbgrader_config.py from there), with
    its settings, runtime and workspaces in ``tmp_path`` and ``env`` added to its
    environment; yields the :class:`Lab`, then stops the server and its kernels."""
    for name, settings in LAB_SETTINGS.items():
        path = tmp_path / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               PYDEVD_DISABLE_FILE_VALIDATION="1", **(env or {}))
    # window.jupyterapp lets the test run JupyterLab's own commands (Run All Above).
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0",
               "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    lab = Lab(f"http://127.0.0.1:{port}", token, work)
    with serve(command, env=env, cwd=work, log_path=tmp_path / "lab.log", what="jupyter lab",
               answers=lambda: lab.api("/api/status") is not None):
        yield lab


@contextmanager
def serve(command: list[str], *, env: dict, cwd: Path, log_path: Path, what: str,
          answers: Callable[[], bool]):
    """Run a server (``command``) in a session of its own, so that it and its kernels end
    together; its output goes to ``log_path``. Returns once ``answers()`` is true; stops it
    on leaving."""
    log = open(log_path, "wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                              cwd=cwd, start_new_session=True)

    def ready():
        if server.poll() is not None:
            raise AssertionError(f"{what} exited:\n" + log_path.read_text()[-3000:])
        try:
            return answers()
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    try:
        wait_until(ready, 60, f"{what} to answer")
        yield
    finally:
        stop_server(server, log)


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory) -> Lab:
    """One JupyterLab server for the module, serving an empty temporary folder."""
    tmp_path = tmp_path_factory.mktemp("lab")
    work = tmp_path / "lab"
    work.mkdir()
    with serve_lab(tmp_path, work) as lab:
        yield lab


@pytest.fixture(scope="module")
def browser(chromium):
    """One headless chromium for the module (each test opens its own page)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = Path(os.environ.get("DEEPGRAD_SCREENSHOT_DIR")
                or tmp_path_factory.mktemp("shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---- driving the notebook -----------------------------------------------------------
# Each script receives [notebook path, ...] and finds that notebook's panel first.
_PANEL_JS = """
const app = window.jupyterapp;
const panel = [...app.shell.widgets('main')].find(w => w.context && w.context.path === path);
await panel.context.ready;
await panel.sessionContext.ready;
const notebook = panel.content;
app.shell.activateById(panel.id);
const errors = cells => cells.flatMap(c => c.model.type !== 'code' ? [] :
    c.model.outputs.toJSON().filter(o => o.output_type === 'error')
     .map(o => `cell ${notebook.widgets.indexOf(c)}: ${o.ename}: ${o.evalue}`));
"""
# Run every cell above ``index`` (JupyterLab's "Run All Above Selected Cell"); report
# code cells left unrun (a swallowed request) and errors.
RUN_ABOVE_JS = """async ([path, index, timeoutMs]) => {
""" + _PANEL_JS + """
notebook.activeCellIndex = index;
notebook.deselectAll();
const run = index > 0 ? app.commands.execute('notebook:run-all-above') : Promise.resolve(true);
const timedOut = new Promise(resolve => setTimeout(() => resolve('timeout'), timeoutMs));
const ok = await Promise.race([run, timedOut]);
const above = notebook.widgets.slice(0, index).filter(c => c.model.type === 'code');
return {ok: ok === true, timedOut: ok === 'timeout',
        unrun: above.filter(c => c.model.executionCount === null).length,
        errors: errors(above)};
}"""
# Mark the widget cell for the locators, scroll to it and run it.
RUN_CELL_JS = """async ([path, index]) => {
""" + _PANEL_JS + """
const cell = notebook.widgets[index];
cell.node.dataset.widgetUnderTest = 'yes';
notebook.activeCellIndex = index;
notebook.deselectAll();
await app.commands.execute('notebook:run-cell');
cell.node.scrollIntoView({block: 'start'});
return errors([cell]);
}"""
# What a control shows as its value: handle positions, selected options, checked
# boxes, pressed buttons and typed numbers.
CONTROL_STATE_JS = """e => [
  ...[...e.querySelectorAll('.noUi-handle')].map(h => h.getAttribute('aria-valuenow')),
  ...[...e.querySelectorAll('select, input')].map(
      i => ['checkbox', 'radio'].includes(i.type) ? String(i.checked) : i.value),
  ...[...e.querySelectorAll('button'), ...(e.matches('button') ? [e] : [])].map(
      b => String(b.classList.contains('mod-active'))),
].join('|')"""


# Slider-to-screen time of one move: from the move's first input event (pointer, key or
# a select's change) to the new picture decoded and the next frame painted.
ARM_TIMING_JS = """img => {
  const t = window.__liveTiming = {start: null, shown: null};
  const mark = e => { if (t.start === null) t.start = e.timeStamp; };
  for (const type of ['pointerdown', 'keydown', 'change'])
    document.addEventListener(type, mark, {capture: true, once: true});
  const observer = new MutationObserver(() => {
    observer.disconnect();
    img.decode().catch(() => null).then(() => requestAnimationFrame(() => {
      t.shown = performance.now(); }));
  });
  observer.observe(img, {attributes: true, attributeFilter: ['src']});
}"""
# The kernel's own numbers (deepgrad.widgets.live.timings) for the newest widget.
KERNEL_TIMINGS_JS = """async ([path]) => {
""" + _PANEL_JS + """
const kernel = panel.sessionContext.session.kernel;
let text = '';
const future = kernel.requestExecute({code:
  'from deepgrad.widgets.live import timings as _t; print(_t())',
  silent: false, store_history: false});
future.onIOPub = msg => { if (msg.header.msg_type === 'stream') text += msg.content.text; };
await future.done;
return text;
}"""
# Extra moves of the first slider (arrow keys) for a median, in demos/ notebooks only.
TIMED_MOVES = 8


def shown_after(page, picture, move) -> float | None:
    """Do ``move()`` and return the milliseconds until the new picture is on screen
    (None if the picture did not change within the timeout)."""
    picture.evaluate(ARM_TIMING_JS)
    move()
    try:
        page.wait_for_function("() => window.__liveTiming.shown !== null", timeout=30_000)
    except PlaywrightTimeout:
        return None
    t = page.evaluate("() => window.__liveTiming")
    return None if t["start"] is None else t["shown"] - t["start"]


def record_timings(notebook: str, index: int, row: dict) -> None:
    """Print the widget's timings; append them to $DEEPGRAD_WIDGET_TIMINGS (JSON lines)
    when set (docs/benchmarks.md, "Widgets", is written from them)."""
    print(f"\nWIDGET TIMINGS {notebook} cell {index}: {json.dumps(row)}")
    target = os.environ.get("DEEPGRAD_WIDGET_TIMINGS")
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(json.dumps(dict(notebook=notebook, cell=index, **row)) + "\n")


def image_spread(png: bytes) -> float:
    """Standard deviation of the grey levels: ~0 for a blank (all-white) picture."""
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


def control_kind(control) -> str:
    """The kind of a control (a value of CONTROL_KINDS)."""
    return next(kind for css, kind in CONTROL_KINDS
                if control.evaluate("(e, css) => e.matches(css)", css))


def control_name(control) -> str:
    """The control's kind and description, for messages: ``slider 'learning rate'``."""
    # A checkbox's description is in its second label; the first holds a zero-width space.
    texts = control.locator(".widget-label, .widget-label-basic").all_inner_texts()
    text = next((t.strip("\u200b \n") for t in texts + [control.inner_text()]
                 if t.strip("\u200b \n")), "")
    return f"{control_kind(control)} {text!r}"


def change_control(page, control) -> None:
    """Give ``control`` another value, as a person would."""
    kind = control_kind(control)
    if kind == "slider":
        # Tap the track far from the handle (ipywidgets' noUiSlider jumps there: one
        # new value, whatever continuous_update says).
        track = control.locator(".noUi-target").bounding_box()
        handle = control.locator(".noUi-handle").first.bounding_box()
        vertical = track["height"] > track["width"]
        along = ((track["y"] + track["height"] - handle["y"] - handle["height"] / 2)
                 / track["height"] if vertical
                 else (handle["x"] + handle["width"] / 2 - track["x"]) / track["width"])
        target = 0.25 if along > 0.5 else 0.75
        before = control.evaluate(CONTROL_STATE_JS)
        if vertical:
            page.mouse.click(track["x"] + track["width"] / 2,
                             track["y"] + (1 - target) * track["height"])
        else:
            page.mouse.click(track["x"] + target * track["width"],
                             track["y"] + track["height"] / 2)
        if control.evaluate(CONTROL_STATE_JS) == before:
            # If the tap did not take, the keyboard moves the handle too.
            control.locator(".noUi-handle").first.focus()
            for _ in range(25):
                page.keyboard.press("ArrowRight" if target > along else "ArrowLeft")
    elif kind == "dropdown":
        select = control.locator("select")
        count = select.locator("option").count()
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % count)
    elif kind == "checkbox":
        control.locator("input").click()
    elif kind == "toggle button":
        control.click()
    elif kind == "toggle buttons":
        control.locator("button:not(.mod-active)").first.click()
    elif kind == "radio buttons":
        control.locator("input[type=radio]:not(:checked)").first.check()
    else:  # a number box: one step up, then leave it so that the value is sent
        control.locator("input").focus()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("Tab")


def open_widget(page, lab: Lab, notebook: str, index: int, fail):
    """Open ``notebook``, run the cells above cell ``index`` and that cell; returns the
    cell's output area and its picture once the picture shows."""
    # A workspace of its own, so no other notebook (and its kernel) is restored.
    page.goto(f"{lab.base}/lab/workspaces/w{secrets.token_hex(4)}/tree/{notebook}"
              f"?token={lab.token}")
    page.wait_for_function(
        "path => window.jupyterapp && [...window.jupyterapp.shell.widgets('main')]"
        ".some(w => w.context && w.context.path === path)", arg=notebook, timeout=60_000)
    wait_until(lambda: lab.kernel_idle(notebook), 60, "the kernel to start and be idle")
    # On a fresh server a run request is sometimes swallowed: wait for idle and retry.
    for attempt in range(3):
        above = page.evaluate(RUN_ABOVE_JS, [notebook, index, 300_000])
        if above["errors"] or above["timedOut"]:
            fail(f"the cells above the widget cell did not run: {above}")
        if above["ok"] and not above["unrun"]:
            break
        wait_until(lambda: lab.kernel_idle(notebook), 30, "the kernel to be idle again")
    else:
        fail(f"the cells above the widget cell did not run after 3 tries: {above}")
    # The visible notebook panel only (the workspace holds nothing else, but be sure).
    panel = page.locator(".jp-NotebookPanel:visible").first
    output = panel.locator(".jp-Cell[data-widget-under-test] .jp-OutputArea")
    picture = output.locator(".jp-OutputArea-output img").first
    for attempt in range(3):
        errors = page.evaluate(RUN_CELL_JS, [notebook, index])
        if errors:
            fail(f"the widget cell failed: {errors}")
        try:
            picture.wait_for(state="visible", timeout=20_000 if attempt else 10_000)
            return output, picture
        except PlaywrightTimeout:
            wait_until(lambda: lab.kernel_idle(notebook), 30, "the kernel to be idle again")
    fail("the widget's picture never rendered")


def settle(lab: Lab, notebook: str, picture, timeout: float = 30,
           quiet: float = 0.3) -> None:
    """Wait until the kernel is idle and the picture stays the same for ``quiet`` s (the
    widgets draw on a thread of their own: an idle kernel may still send a picture)."""
    wait_until(lambda: lab.kernel_idle(notebook), timeout, "the kernel to finish redrawing",
               interval=0.1)
    steady(picture, timeout, quiet)


def steady(picture, timeout: float = 30, quiet: float = 0.4) -> None:
    """Wait until the picture's ``src`` stays the same for ``quiet`` s (a widget draws on
    a thread of its own, and moves arriving meanwhile make one more frame)."""
    deadline = time.monotonic() + timeout
    last = picture.get_attribute("src")
    while time.monotonic() < deadline:
        time.sleep(quiet)
        src = picture.get_attribute("src")
        if src == last:
            return
        last = src
    raise AssertionError(f"the picture was still changing after {timeout:.0f} s")


# ---- tests --------------------------------------------------------------------------
def test_discovery_finds_the_widget_notebooks():
    assert {"learning_rate_widget", "saturation_widget", "initialization_widget",
            "optimizer_widget"} <= widget_factories()
    notebooks = {notebook for notebook, _ in WIDGET_CELLS}
    assert {"demos/learning_rate.ipynb", "demos/saturation.ipynb",
            "demos/initialization.ipynb", "demos/optimizers.ipynb",
            "release/01_logistic_regression/logistic_regression.ipynb",
            "release/02_neural_networks/backprop_and_activations.ipynb"} <= notebooks


@pytest.mark.parametrize(("notebook", "index"), WIDGET_CELLS,
                         ids=[f"{nb}:cell{i}" for nb, i in WIDGET_CELLS])
def test_every_control_changes_the_picture(browser, lab, shots, notebook, index):
    """Move each control of the widget in turn: the picture changes and is not blank."""
    tag = f"{Path(notebook).stem}_cell{index}"
    copy_for_lab(notebook, lab.root)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(30_000)

    def fail(message: str, shot: str = "failed"):
        page.screenshot(path=str(shots / f"{tag}_{shot}.png"))
        pytest.fail(f"{notebook} cell {index}: {message}", pytrace=False)

    started = time.monotonic()
    try:
        output, picture = open_widget(page, lab, notebook, index, fail)
        ran = time.monotonic() - started
        settle(lab, notebook, picture)
        page.screenshot(path=str(shots / f"{tag}_widget.png"))
        controls = output.locator(CONTROLS)
        if controls.count() == 0:
            fail("the widget has no control to move")
        before_src, before_png = picture.get_attribute("src"), picture.screenshot()
        if image_spread(before_png) <= 10:
            fail("the widget's first picture is blank")
        latencies = {}
        for n in range(controls.count()):
            control = controls.nth(n)
            name = control_name(control)
            state = control.evaluate(CONTROL_STATE_JS)
            latency = shown_after(page, picture, lambda: change_control(page, control))
            if control.evaluate(CONTROL_STATE_JS) == state:
                fail(f"could not move the {name}", f"{n}_stuck")
            try:
                page.wait_for_function("([img, src]) => img.getAttribute('src') !== src",
                                       arg=[picture.element_handle(), before_src])
                sent = True
            except PlaywrightTimeout:
                sent = False
            if not sent:
                fail(f"moving the {name} did not change the picture", f"{n}_unchanged")
            latencies[name] = latency
            settle(lab, notebook, picture)
            after_src, after_png = picture.get_attribute("src"), picture.screenshot()
            (shots / f"{tag}_{n}_{re.sub(r'[^a-z0-9]+', '_', name.lower())}.png"
             ).write_bytes(after_png)
            if after_png == before_png:
                fail(f"moving the {name} sent a new picture that looks the same",
                     f"{n}_same")
            if image_spread(after_png) <= 10:
                fail(f"the picture is blank after moving the {name}", f"{n}_blank")
            before_src, before_png = after_src, after_png
        moved = time.monotonic() - started - ran
        # Timings only (no assertion on them: speed goes in docs/benchmarks.md).
        slider_moves = []
        sliders = output.locator(".widget-hslider")
        if notebook.startswith("demos/") and sliders.count():
            # One step at a time toward the far end: every value new (a value shown
            # before would come from the widget's cache of recent frames).
            handle = sliders.first.locator(".noUi-handle").first
            now = float(handle.get_attribute("aria-valuenow"))
            low = float(handle.get_attribute("aria-valuemin"))
            high = float(handle.get_attribute("aria-valuemax"))
            key = "ArrowRight" if now - low < high - now else "ArrowLeft"
            for _ in range(TIMED_MOVES):
                handle.focus()
                slider_moves.append(shown_after(page, picture,
                                                lambda: page.keyboard.press(key)))
                settle(lab, notebook, picture, quiet=0.15)
        every = [v for v in list(latencies.values()) + slider_moves if v is not None]
        kernel = json.loads(page.evaluate(KERNEL_TIMINGS_JS, [notebook]).strip() or "null")
        record_timings(notebook, index, {
            "slider_to_screen_ms": {"median": float(np.median(every)) if every else None,
                                    "n": len(every)},
            "per_control_ms": latencies, "slider_moves_ms": slider_moves,
            "kernel": kernel})
        print(f"{notebook} cell {index}: ran in {ran:.1f} s, "
              f"{controls.count()} controls in {moved:.1f} s")
    finally:
        page.close()
        lab.shut_down(notebook)
