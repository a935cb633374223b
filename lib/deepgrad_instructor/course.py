"""The course directory: its nbgrader config, nbgrader's API on it, its assignments.

nbgrader reads ``nbgrader_config.py`` from the current directory only (run elsewhere, it
silently creates an empty ``gradebook.db`` there); everything here reads it explicitly from
the course directory and makes its paths absolute, so the tools work from anywhere.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["find_course", "load_config", "open_api", "assignments", "notebook_names",
           "read_nb", "grading_environment"]


def find_course(start: str | os.PathLike | None = None) -> Path:
    """The course directory (``nbgrader_config.py`` beside ``source/``) at or above
    ``start`` (default: the current directory)."""
    here = Path(start or Path.cwd()).resolve()
    for d in [here, *here.parents]:
        if (d / "nbgrader_config.py").exists() and (d / "source").is_dir():
            return d
    raise SystemExit(f"no course directory (nbgrader_config.py beside source/) at or above "
                     f"{here}")


def load_config(course_dir: str | os.PathLike):
    """The course's ``nbgrader_config.py`` with every path made absolute to ``course_dir``."""
    from traitlets.config.loader import PyFileConfigLoader
    course_dir = Path(course_dir).resolve()
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    cfg.CourseDirectory.root = str(course_dir)
    url = cfg.CourseDirectory.get("db_url", "sqlite:///gradebook.db")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        cfg.CourseDirectory.db_url = "sqlite:///" + str(course_dir / url[len("sqlite:///"):])
    return cfg


def _venv_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` command: make this Python's scripts
    findable even when the venv is not activated (``.venv/bin/python script.py``)."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir] + parts)


def grading_environment() -> None:
    """Environment of every kernel the grading tools start (inherited from this process).

    Kernels train small networks and two run side by side on a 2-core machine: with
    OpenBLAS's default of one thread per core they oversubscribe it (busy-waiting threads
    turned a 4 s training cell into a 30 s timeout). One BLAS thread per kernel, and
    Numba's OpenMP threads sleep rather than spin (see deepgrad.kernels). An instructor's
    own setting wins.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    _venv_on_path()


def open_api(course_dir: str | os.PathLike, *, config=None, log_level: int = logging.WARNING):
    """An ``NbGraderAPI`` on ``course_dir`` (in-process; no CLI start-up cost)."""
    grading_environment()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    cfg = config if config is not None else load_config(course_dir)
    cfg.NbGraderAPI.log_level = log_level
    cfg.Exchange.root = str(Path(course_dir).resolve() / ".exchange-unused")
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    api.log.setLevel(log_level)
    return api


def assignments(course_dir: str | os.PathLike) -> list[str]:
    """Assignments in ``source/`` (folders holding at least one notebook), sorted.

    ``nbgrader_config.py`` derives ``db_assignments`` from the same rule, so a new folder
    in ``source/`` is an assignment with no other edit.
    """
    src = Path(course_dir) / "source"
    return sorted(p.name for p in src.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def notebook_names(course_dir: str | os.PathLike, assignment: str) -> list[str]:
    """File names of the notebooks of ``assignment`` in ``source/``, sorted."""
    return sorted(p.name for p in (Path(course_dir) / "source" / assignment).glob("*.ipynb"))


def read_nb(path: str | os.PathLike) -> Any:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
