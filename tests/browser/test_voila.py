"""The widgets as a standalone web app (``make demos``): Voilà in headless Debian chromium.

One Voilà server for the module, started as ``make demos`` starts it (on ``demos/`` of the
repository, a free port): the index page links to one page per widget notebook, no page
shows code, an error or stderr, every widget page shows a picture, and moving each of its
controls changes the picture. The widget notebooks are the ``demos/`` ones that
test_lab_widget's discovery finds (a cell calls a public widget factory), and the
controls are moved by its helpers, so a new widget or control needs no edit here. Needs
the system ``chromium`` (``make browser-deps``).
"""

from __future__ import annotations

import os
import re
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_lab_widget import (CONTROL_STATE_JS, CONTROLS, WIDGET_CELLS,  # noqa: F401
                                           browser, change_control, chromium, control_name,
                                           free_port, image_spread, serve, shots, steady)

REPO = Path(__file__).resolve().parents[2]
DEMOS = REPO / "demos"
INDEX = "index.ipynb"
# The widget notebooks of demos/, by file name (the index is not one of them).
WIDGET_PAGES = sorted({Path(nb).name for nb, _ in WIDGET_CELLS if nb.startswith("demos/")})
# What Voilà shows of a failed cell or of stderr (its lab template renders both with this
# MIME type); Voilà strips stderr and tracebacks by default, so the log is read too.
STDERR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
LOG_ERRORS = re.compile(r"Traceback|Error at server|There was an error|CRITICAL")


@dataclass
class Voila:
    base: str
    log: Path

    def url(self, page: str) -> str:
        return f"{self.base}/voila/render/{page}"

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_errors(self, since: int = 0) -> list[str]:
        """Error lines of Voilà's log after byte ``since`` (a test's own page)."""
        with open(self.log, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        return [line[:300] for line in text.splitlines() if LOG_ERRORS.search(line)]


@pytest.fixture(scope="module")
def voila(chromium, tmp_path_factory) -> Voila:
    """One Voilà server for the module, serving the repository's demos/ as ``make demos``
    does (Voilà executes the notebooks without saving them)."""
    tmp_path = tmp_path_factory.mktemp("voila")
    port = free_port()
    command = [sys.executable, "-m", "voila", str(DEMOS), "--no-browser",
               "--Voila.ip=127.0.0.1", f"--port={port}", "--Voila.port_retries=0"]
    log_path = tmp_path / "voila.log"
    env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1",
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    voila = Voila(f"http://127.0.0.1:{port}", log_path)

    def answers() -> bool:
        with urllib.request.urlopen(voila.base + "/", timeout=5) as response:
            return response.status == 200

    with serve(command, env=env, cwd=REPO, log_path=log_path, what="voila", answers=answers):
        yield voila


def page_problems(page, voila: Voila, since: int = 0) -> list[str]:
    """Code, error or stderr outputs shown on the page, and errors in Voilà's log after
    byte ``since``."""
    problems = [f"shown on the page: {text[:300]!r}"
                for text in page.locator(STDERR_OUTPUT).all_inner_texts()]
    if page.locator(".jp-CodeCell .jp-InputArea, .jp-InputArea-editor").count():
        problems.append("the page shows code cells' input")
    return problems + [f"voila log: {line}" for line in voila.log_errors(since)]


# ---- tests --------------------------------------------------------------------------
def test_demos_has_widget_pages():
    assert {"initialization.ipynb", "learning_rate.ipynb", "optimizers.ipynb",
            "saturation.ipynb"} <= set(WIDGET_PAGES)


def test_index_links_every_widget_page(browser, voila, shots):
    """The tree page lists the index and the widget notebooks only; the index page
    links to one page per widget notebook and shows no code."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(30_000)
    try:
        since = voila.log_size()
        page.goto(voila.base + "/")
        # the first page of a fresh server, while make test's background jobs hold both
        # cores: it took over 30 s once in a fresh clone (13 s for the test alone)
        page.locator(".jp-DirListing-item").first.wait_for(timeout=120_000)
        listed = {t.strip() for t in page.locator(".jp-DirListing-item").all_inner_texts()}
        assert listed == {INDEX, *WIDGET_PAGES}, listed
        page.goto(voila.url(INDEX))
        links = page.locator("a[href$='.ipynb']")
        links.first.wait_for(timeout=120_000)
        page.screenshot(path=str(shots / "voila_index.png"))
        hrefs = links.evaluate_all("links => links.map(a => a.href)")
        assert sorted(hrefs) == [voila.url(name) for name in WIDGET_PAGES]
        assert page_problems(page, voila, since) == []
        assert "import " not in page.inner_text("body")
    finally:
        page.close()


@pytest.mark.parametrize("notebook", WIDGET_PAGES)
def test_every_control_changes_the_picture(browser, voila, shots, notebook):
    """The widget page shows a picture and no code, error or stderr; moving each control
    in turn gives a new picture that is not blank."""
    tag = f"voila_{Path(notebook).stem}"
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.set_default_timeout(30_000)

    def fail(message: str, shot: str = "failed"):
        page.screenshot(path=str(shots / f"{tag}_{shot}.png"))
        pytest.fail(f"voila {notebook}: {message}", pytrace=False)

    started, since = time.monotonic(), voila.log_size()
    try:
        page.goto(voila.url(notebook))
        picture = page.locator("img.widget-image").first
        try:
            picture.wait_for(state="visible", timeout=60_000)
        except PlaywrightTimeout:
            fail(f"no picture within 60 s: {page_problems(page, voila, since)}")
        loaded = time.monotonic() - started
        steady(picture)
        if problems := page_problems(page, voila, since):
            fail("; ".join(problems))
        page.screenshot(path=str(shots / f"{tag}_widget.png"))
        controls = page.locator(CONTROLS)
        if controls.count() == 0:
            fail("the widget has no control to move")
        before_src, before_png = picture.get_attribute("src"), picture.screenshot()
        if image_spread(before_png) <= 10:
            fail("the widget's first picture is blank")
        for n in range(controls.count()):
            control = controls.nth(n)
            name = control_name(control)
            state = control.evaluate(CONTROL_STATE_JS)
            change_control(page, control)
            if control.evaluate(CONTROL_STATE_JS) == state:
                fail(f"could not move the {name}", f"{n}_stuck")
            try:
                page.wait_for_function("([img, src]) => img.getAttribute('src') !== src",
                                       arg=[picture.element_handle(), before_src])
            except PlaywrightTimeout:
                fail(f"moving the {name} did not change the picture", f"{n}_unchanged")
            steady(picture)
            after_src, after_png = picture.get_attribute("src"), picture.screenshot()
            if after_png == before_png:
                fail(f"moving the {name} sent a new picture that looks the same",
                     f"{n}_same")
            if image_spread(after_png) <= 10:
                fail(f"the picture is blank after moving the {name}", f"{n}_blank")
            before_src, before_png = after_src, after_png
        if problems := page_problems(page, voila, since):
            fail("; ".join(problems))
        print(f"voila {notebook}: picture in {loaded:.1f} s, {controls.count()} controls "
              f"in {time.monotonic() - started - loaded:.1f} s")
    finally:
        page.close()
