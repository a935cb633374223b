"""The learning-rate widget in a real browser: JupyterLab + headless Debian chromium.

Starts ``jupyter lab`` on a free port with a token, serving a temporary copy of
``demos/learning_rate.ipynb`` (so the repository's notebook never gets outputs saved
into it), runs the widget cell, drags the learning-rate slider and checks that the
picture changes and is not blank. Needs the system ``chromium`` (``make browser-deps``);
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


@pytest.fixture
def chromium() -> str:
    """Path of the system chromium; checked before the server starts."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed (the browser test drives Debian's "
                    "chromium): run `make browser-deps`, or apt-get install -y chromium")
    return path


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of the demo notebook: yields (base URL, token)."""
    work = tmp_path / "lab"
    work.mkdir()
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
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


def test_learning_rate_widget_in_jupyterlab(chromium, lab, tmp_path):
    from playwright.sync_api import sync_playwright

    base, token = lab
    shots = Path(os.environ.get("DEEPGRAD_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    def kernel_idle():
        sessions = api(base, token, "/api/sessions")
        return bool(sessions) and all(
            api(base, token, f"/api/kernels/{s['kernel']['id']}")["execution_state"]
            == "idle" for s in sessions)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            code_cell = page.locator(".jp-Notebook .jp-CodeCell").first
            code_cell.wait_for(state="visible", timeout=45_000)
            wait_until(kernel_idle, 45, "the kernel to start and be idle")

            # On a fresh server the first Ctrl+Enter is sometimes swallowed: retry.
            slider = page.locator(".jp-OutputArea-output .widget-hslider").first
            for attempt in range(4):
                code_cell.locator(".jp-InputArea-editor").click()
                page.keyboard.press("Control+Enter")
                try:
                    slider.wait_for(state="visible", timeout=20_000 if attempt else 10_000)
                    break
                except Exception:
                    wait_until(kernel_idle, 30, "the kernel to be idle again")
            else:
                page.screenshot(path=str(shots / "lab_widget_no_slider.png"))
                raise AssertionError("the widget's slider never rendered")

            image = page.locator(".jp-OutputArea-output .widget-image").first
            image.wait_for(state="visible")
            readout = slider.locator(".widget-readout")
            before_src = image.get_attribute("src")
            before_png = image.screenshot()
            before_readout = readout.inner_text()
            page.screenshot(path=str(shots / "lab_widget_before.png"))

            # Drag the learning-rate handle most of the way to the right (towards 100).
            handle = slider.locator(".noUi-handle")
            track = slider.locator(".noUi-target").bounding_box()
            box = handle.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(track["x"] + 0.97 * track["width"], box["y"] + box["height"] / 2,
                            steps=8)
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
            page.screenshot(path=str(shots / "lab_widget_after.png"))
            after_readout = readout.inner_text()
        finally:
            browser.close()

    assert after_readout != before_readout
    assert float(after_readout) > 10 * float(before_readout)
    assert after_png != before_png
    assert image_spread(before_png) > 10 and image_spread(after_png) > 10  # not blank
