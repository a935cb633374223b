"""The instructor's pages of nbgrader in JupyterLab, in headless Debian chromium.

One JupyterLab server for the module on a temporary copy of the course (the repository
root is the nbgrader course directory: nbgrader_config.py, source/, release/), run from
there as ``make lab`` runs it; the copy keeps the formgrader's gradebook.db out of the
repository. The exchange is the course's own (``.exchange/``, set in nbgrader_config.py),
which ``make lab`` creates, not nbgrader's default /srv/nbgrader/exchange.

Through the menu an instructor uses (Nbgrader -> Formgrader, Nbgrader -> Assignment List):
the Formgrader's Manage Assignments lists every assignment folder of source/; released
with its Release buttons, they all show in the Assignment List as released. Needs the
system ``chromium`` (``make browser-deps``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.test_lab_widget import browser, chromium, serve_lab, shots  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
COURSE_FILES = ("nbgrader_config.py", "source", "release")


def course_assignments() -> list[str]:
    """The assignment folders of source/ (those with a notebook, as nbgrader_config.py
    declares them)."""
    return sorted(p.name for p in (REPO / "source").iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


ASSIGNMENTS = course_assignments()


@pytest.fixture(scope="module")
def course_lab(chromium, tmp_path_factory):
    """JupyterLab on a temporary copy of the course, as `make lab` starts it."""
    tmp_path = tmp_path_factory.mktemp("course_lab")
    course = tmp_path / "course"
    course.mkdir()
    for name in COURSE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, course / name,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        else:
            shutil.copy(source, course / name)
    # the course's exchange (nbgrader_config.py), which `make lab` creates: the formgrader
    # offers Release only if it exists
    (course / ".exchange").mkdir()
    # nbgrader runs the `alembic` command when it creates gradebook.db (the formgrader's
    # first page on a fresh course): this Python's scripts on PATH, as `make lab` does
    # (without them that first page fails and the gradebook has no alembic_version).
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {"PATH": path}
    with serve_lab(tmp_path, course, env=env) as lab:
        yield lab


def open_from_menu(page, lab, item: str) -> None:
    """Open JupyterLab (a workspace of its own) and choose Nbgrader -> ``item``."""
    page.goto(f"{lab.base}/lab/workspaces/instructor-{item.replace(' ', '-')}"
              f"?token={lab.token}")
    page.locator(".lm-MenuBar-item", has_text="Nbgrader").click(timeout=60_000)
    page.locator(".lm-Menu-item:visible", has_text=item).first.click()


def formgrader_rows(frame) -> dict[str, str]:
    """Manage Assignments' table: assignment name -> status."""
    frame.locator("#main-table td.name").first.wait_for(timeout=30_000)
    names = frame.locator("#main-table td.name").all_inner_texts()
    statuses = frame.locator("#main-table td.status").all_inner_texts()
    return {n.strip(): s.strip() for n, s in zip(names, statuses)}


def test_the_course_has_assignments():
    assert len(ASSIGNMENTS) >= 5 and "01_logistic_regression" in ASSIGNMENTS, ASSIGNMENTS


def test_formgrader_and_assignment_list_list_the_assignments(browser, course_lab, shots):
    """Nbgrader -> Formgrader: Manage Assignments lists every assignment of source/; each
    one released there with its Release button shows in Nbgrader -> Assignment List as
    released, for the course. (One test: the Formgrader check alone took 5-15 s, most of
    it loading JupyterLab.)"""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    try:
        open_from_menu(page, course_lab, "Formgrader")
        frame = page.frame_locator("#formgrader iframe")
        rows = formgrader_rows(frame)
        page.screenshot(path=str(shots / "formgrader.png"))
        assert set(ASSIGNMENTS) <= set(rows), rows
        for name in ASSIGNMENTS:
            row = frame.locator(f"#main-table tr:has(td.name[data-order='{name}'])")
            if row.locator("td.status").inner_text().strip() == "released":
                continue
            row.locator("td.release a").click()
            modal = frame.locator("#success-modal, #error-modal")
            modal.wait_for()
            if modal.get_attribute("id") == "error-modal":
                pytest.fail(f"releasing {name}: {modal.inner_text()}", pytrace=False)
            modal.locator(".modal-footer button").click()
            modal.wait_for(state="detached")
            row.locator("td.status", has_text="released").wait_for()
        page.screenshot(path=str(shots / "formgrader_released.png"))

        open_from_menu(page, course_lab, "Assignment List")
        released = page.locator("#released_assignments_list")
        try:
            released.locator(".list_item").first.wait_for()
        except PlaywrightTimeout:
            page.screenshot(path=str(shots / "assignment_list_failed.png"))
            pytest.fail("the Assignment List shows no released assignment: "
                        + page.locator("#released_assignments_list").inner_text()[:800],
                        pytrace=False)
        page.screenshot(path=str(shots / "assignment_list.png"))
        text = released.inner_text()
        missing = [name for name in ASSIGNMENTS if name not in text]
        assert not missing, f"not in the Assignment List: {missing}\n{text[:800]}"
    finally:
        page.close()
