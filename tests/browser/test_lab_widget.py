"""The widgets in a real browser: JupyterLab + headless Debian chromium.

Starts ``jupyter lab`` once (a module-scoped server) on a free port with a token,
serving temporary copies of ``demos/learning_rate.ipynb`` and ``demos/saturation.ipynb``
(so the repository's notebooks never get outputs saved into them). For each, runs the
widget cell, drags a slider and checks that the picture changes and is not blank. Needs the system ``chromium`` (``make browser-deps``);
without it the test fails, it does not skip.

Set ``DEEPGRAD_SCREENSHOT_DIR`` to keep the screenshots somewhere to look at.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "demos" / "learning_rate.ipynb"
SATURATION_NOTEBOOK = REPO / "demos" / "saturation.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-quic", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, token: str, path: str):
    request = urllib.request.Request(f"{base}{path}",
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def wait_until(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of the system chromium; checked before the server starts."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed (the browser test drives Debian's "
                    "chromium): run `make browser-deps`, or apt-get install -y chromium")
    return path


@pytest.fixture(scope="module")
def lab(chromium, tmp_path_factory):
    """One JupyterLab server on copies of the demo notebooks: yields (base URL, token)."""
    tmp_path = tmp_path_factory.mktemp("lab")
    work = tmp_path / "lab"
    work.mkdir()
    for notebook in (NOTEBOOK, SATURATION_NOTEBOOK):
        shutil.copy(notebook, work / notebook.name)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ,
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={work}", "--ServerApp.port_retries=0"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp_path / "lab.log", "wb")
    # Its own session, so the server and its kernels end together at teardown.
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                              cwd=work, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def ready():
        if server.poll() is not None:
            raise AssertionError("jupyter lab exited:\n"
                                 + (tmp_path / "lab.log").read_text()[-3000:])
        try:
            return api(base, token, "/api/status") is not None
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    try:
        wait_until(ready, 60, "jupyter lab to answer")
        yield base, token
    finally:
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


def image_spread(png: bytes) -> float:
    """Standard deviation of the grey levels: ~0 for a blank (all-white) picture."""
    from PIL import Image

    return float(np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float).std())


def run_widget_and_drag(chromium: str, lab, notebook: str, slider_index: int,
                        fraction: float, shots: Path, tag: str):
    """Open ``notebook``, run its first code cell, drag slider ``slider_index`` of the
    widget to ``fraction`` of its track. Returns (readout before, readout after,
    PNG of the image before, after)."""
    from playwright.sync_api import sync_playwright

    base, token = lab

    def kernel_idle():
        sessions = [s for s in api(base, token, "/api/sessions")
                    if s.get("path", "").endswith(notebook)]
        return bool(sessions) and all(
            api(base, token, f"/api/kernels/{s['kernel']['id']}")["execution_state"]
            == "idle" for s in sessions)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/lab/tree/{notebook}?token={token}")
            # The server's workspace may still hold the other demo in a hidden tab: look
            # only inside the notebook panel on show.
            panel = page.locator(".jp-NotebookPanel:visible").first
            code_cell = panel.locator(".jp-Notebook .jp-CodeCell").first
            code_cell.wait_for(state="visible", timeout=45_000)
            wait_until(kernel_idle, 45, "the kernel to start and be idle")

            # On a fresh server the first Ctrl+Enter is sometimes swallowed: retry.
            sliders = panel.locator(".jp-OutputArea-output .widget-hslider")
            slider = sliders.nth(slider_index)
            for attempt in range(4):
                code_cell.locator(".jp-InputArea-editor").click()
                page.keyboard.press("Control+Enter")
                try:
                    slider.wait_for(state="visible", timeout=20_000 if attempt else 10_000)
                    break
                except Exception:
                    wait_until(kernel_idle, 30, "the kernel to be idle again")
            else:
                page.screenshot(path=str(shots / f"{tag}_no_slider.png"))
                raise AssertionError(f"{notebook}: the widget's slider never rendered")

            image = panel.locator(".jp-OutputArea-output .widget-image").first
            image.wait_for(state="visible")
            readout = slider.locator(".widget-readout")
            before_src = image.get_attribute("src")
            before_png = image.screenshot()
            before_readout = readout.inner_text()
            page.screenshot(path=str(shots / f"{tag}_before.png"))

            handle = slider.locator(".noUi-handle")
            track = slider.locator(".noUi-target").bounding_box()
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(track["x"] + fraction * track["width"],
                            box["y"] + box["height"] / 2, steps=8)
            page.mouse.up()
            # If the drag did not take, the keyboard moves the handle too.
            if readout.inner_text() == before_readout:
                handle.focus()
                for _ in range(25):
                    page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([img, src]) => img.getAttribute('src') !== src",
                arg=[image.element_handle(), before_src], timeout=30_000)
            # The kernel may still be drawing positions passed during the drag.
            wait_until(kernel_idle, 30, "the kernel to finish redrawing")
            page.wait_for_timeout(500)
            after_png = image.screenshot()
            page.screenshot(path=str(shots / f"{tag}_after.png"))
            after_readout = readout.inner_text()
        finally:
            browser.close()
    return before_readout, after_readout, before_png, after_png


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    path = Path(os.environ.get("DEEPGRAD_SCREENSHOT_DIR")
                or tmp_path_factory.mktemp("shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_learning_rate_widget_in_jupyterlab(chromium, lab, shots):
    # Drag the learning-rate handle most of the way to the right (towards 100).
    before, after, before_png, after_png = run_widget_and_drag(
        chromium, lab, NOTEBOOK.name, 0, 0.97, shots, "lab_widget")
    assert after != before
    assert float(after) > 10 * float(before)
    assert after_png != before_png
    assert image_spread(before_png) > 10 and image_spread(after_png) > 10  # not blank


def test_saturation_widget_in_jupyterlab(chromium, lab, shots):
    # Drag the weight (first slider, after the activation drop-down) from 1 to ~10:
    # the sigmoid saturates.
    before, after, before_png, after_png = run_widget_and_drag(
        chromium, lab, SATURATION_NOTEBOOK.name, 0, 0.92, shots, "saturation_widget")
    assert float(before) == 1.0
    assert float(after) > 5.0
    assert after_png != before_png
    assert image_spread(before_png) > 10 and image_spread(after_png) > 10  # not blank
