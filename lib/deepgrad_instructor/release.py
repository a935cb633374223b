"""Regenerate ``release/`` from ``source/`` with nbgrader, and tell whether it is stale.

nbgrader's real ``generate_assignment --force`` runs in-process with the course's config read
explicitly. Its gradebook is a throwaway one in a temp dir: regenerating the student version
never touches the instructor's ``gradebook.db``. Stray files nbgrader leaves behind (a
``gradebook.db`` in the current directory, ``.ipynb_checkpoints``) are removed. The output is
deterministic: a second run gives byte-identical files.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from .course import assignments, load_config, open_api
from .cycle import nbgrader_ok

__all__ = ["regenerate", "differences", "stale"]


def regenerate(course: Path, out: Path | None = None, *, quiet: bool = False) -> list[str]:
    """Write the release of every assignment in ``course/source`` to ``out`` (default
    ``course/release``). Returns the assignments. Raises RuntimeError on failure."""
    course = Path(course).resolve()
    out = Path(out or course / "release").resolve()
    names = assignments(course)
    cwd_db = Path.cwd() / "gradebook.db"
    had_cwd_db = cwd_db.exists()
    with tempfile.TemporaryDirectory(prefix="deepgrad-release-") as tmp:
        cfg = load_config(course)
        cfg.CourseDirectory.db_url = f"sqlite:///{tmp}/gradebook.db"
        cfg.CourseDirectory.release_directory = os.path.relpath(out, course) \
            if out.is_relative_to(course) else str(out)
        api = open_api(course, config=cfg)
        for a in names:
            nbgrader_ok(api.generate_assignment(a, force=True), f"generate_assignment {a}")
            for junk in (out / a).rglob(".ipynb_checkpoints"):
                shutil.rmtree(junk, ignore_errors=True)
            if not quiet:
                print(f"release/{a}: " + ", ".join(sorted(p.name for p in (out / a).iterdir())))
    if cwd_db.exists() and not had_cwd_db:
        cwd_db.unlink()
    return names


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on one side, or other bytes)."""
    files_a = {p.relative_to(a) for p in Path(a).rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in Path(b).rglob("*") if p.is_file()}
    diffs = []
    for rel in sorted(files_a | files_b):
        if rel not in files_a or rel not in files_b:
            diffs.append(f"{rel} (only in {'new' if rel in files_b else 'committed'})")
        elif not filecmp.cmp(Path(a) / rel, Path(b) / rel, shallow=False):
            diffs.append(str(rel))
    return diffs


def stale(course: Path) -> list[str]:
    """What differs between ``course/release`` and a fresh release of ``course/source``."""
    with tempfile.TemporaryDirectory(prefix="deepgrad-release-check-") as tmp:
        regenerate(course, Path(tmp), quiet=True)
        return differences(Path(course) / "release", Path(tmp))
