"""Regenerate ``release/`` from ``source/`` for every assignment: ``python -m deepgrad.release``.

Runs nbgrader's real ``generate_assignment --force`` in-process (no 4 s CLI start-up per
assignment) with the course's ``nbgrader_config.py`` read explicitly, so it works from any
directory. The gradebook it needs is a throwaway one in a temp dir: regenerating the
student version never touches the instructor's ``gradebook.db`` (grade with nbgrader's
own commands, which record the cells when they need to). Stray files nbgrader leaves
behind (a ``gradebook.db`` in the current directory, ``.ipynb_checkpoints``) are removed.
The output is deterministic: a second run gives byte-identical files.

Options: ``--course DIR`` (default: the repository root holding nbgrader_config.py),
``--out DIR`` (write the release there instead of ``<course>/release``),
``--check`` (regenerate into a temp dir and exit 1 if ``release/`` differs).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

from deepgrad import grading


def find_course(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for d in [here, *here.parents, Path(__file__).resolve().parents[2]]:
        if (d / "nbgrader_config.py").exists() and (d / "source").is_dir():
            return d
    raise SystemExit("no course directory (nbgrader_config.py + source/) found")


def regenerate(course: Path, out: Path | None = None, *, quiet: bool = False) -> list[str]:
    """Write the release of every assignment in ``course/source`` to ``out`` (default
    ``course/release``). Returns the assignments. Raises RuntimeError on failure."""
    course = course.resolve()
    out = (out or course / "release").resolve()
    names = grading.assignments(course)
    cwd_db = Path.cwd() / "gradebook.db"
    had_cwd_db = cwd_db.exists()
    with tempfile.TemporaryDirectory(prefix="deepgrad-release-") as tmp:
        cfg = grading.load_config(course)
        cfg.CourseDirectory.db_url = f"sqlite:///{tmp}/gradebook.db"
        cfg.CourseDirectory.release_directory = os.path.relpath(out, course) \
            if out.is_relative_to(course) else str(out)
        api = grading.open_api(course, config=cfg)
        for a in names:
            r = api.generate_assignment(a, force=True)
            if not r.get("success"):
                raise RuntimeError(f"generate_assignment {a} failed:\n{r.get('log', '')}\n"
                                   f"{r.get('error', '')}")
            for junk in (out / a).rglob(".ipynb_checkpoints"):
                shutil.rmtree(junk, ignore_errors=True)
            if not quiet:
                print(f"release/{a}: " + ", ".join(
                    sorted(p.name for p in (out / a).iterdir())))
    if cwd_db.exists() and not had_cwd_db:
        cwd_db.unlink()
    return names


def differences(a: Path, b: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on one side, or other bytes)."""
    diffs = []
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    for rel in sorted(files_a | files_b):
        if rel not in files_a or rel not in files_b:
            diffs.append(f"{rel} (only in {'new' if rel in files_b else 'committed'})")
        elif not filecmp.cmp(a / rel, b / rel, shallow=False):
            diffs.append(str(rel))
    return diffs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deepgrad.release", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--course", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    course = find_course(args.course)
    if args.check:
        with tempfile.TemporaryDirectory(prefix="deepgrad-release-check-") as tmp:
            regenerate(course, Path(tmp), quiet=True)
            diffs = differences(course / "release", Path(tmp))
        if diffs:
            print("release/ is stale; run `make release` and commit. Differs:\n  "
                  + "\n  ".join(diffs))
            return 1
        print("release/ is up to date")
        return 0
    regenerate(course, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
