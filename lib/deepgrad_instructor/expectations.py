"""The judge's expectations: every graded check as the solution ran it, kept by the grader.

The source notebook runs once, with its solution, in a kernel whose checks record their
whole case (:mod:`deepgrad.check.recording`, mode ``"spec"``): inputs (as a digest and,
for the report, as values), expected output, tolerances, and each listed mistake resolved
to its wrong output. Those records, grouped by graded test cell, are an
:class:`Expectations`. The judge (:mod:`deepgrad_instructor.judging`) compares a student's
records with them, so the expected values never have to enter the student's kernel.

They are kept on the instructor's side only: ``.deepgrad/expected/<assignment>/<notebook>.json``
in the course directory (never in ``release/``; the sandboxed kernel cannot see it), and
regenerated whenever the source notebook changes (:func:`ensure`): each file records the
hash of the notebook it came from, and of each test cell, so grading a notebook whose
test cells are not the ones the expectations were made from stops with an error instead
of judging against the wrong values.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from deepgrad.check.recording import ENV, MIME

from .cells import MARKERS, grade_id, is_answer, is_test
from .course import grading_environment, read_nb

__all__ = ["CellSpec", "Expectations", "ExpectationsError", "expectations_path", "ensure",
           "build", "records", "solution_notebook", "cell_hash", "hidden_cell",
           "recording"]

#: Where the expectations live, relative to the course directory.
STORE = Path(".deepgrad") / "expected"
VERSION = 1


class ExpectationsError(RuntimeError):
    """The expectations cannot be made or do not fit the notebook being graded."""


def cell_hash(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def notebook_hash(nb) -> str:
    h = hashlib.sha256()
    for c in nb.cells:
        h.update(f"{c.cell_type}\0{json.dumps(c.get('metadata', {}).get('nbgrader', {}), sort_keys=True)}\0{c.source}\0".encode())
    return h.hexdigest()[:24]


def hidden_cell(cell) -> bool:
    """A test cell with hidden checks: the judge never shows their expected values."""
    return MARKERS.has_hidden_tests(cell)


def records(cell) -> list[Any]:
    """The check records among a cell's outputs, in order, as plain JSON values (not
    validated)."""
    return [json.loads(json.dumps(o["data"][MIME])) for o in cell.get("outputs", [])
            if o.get("output_type") == "display_data" and MIME in o.get("data", {})]


@dataclass
class CellSpec:
    grade_id: str
    source_hash: str
    hidden: bool
    checks: list[dict] = field(default_factory=list)


@dataclass
class Expectations:
    """The spec records of every graded test cell of one source notebook."""

    notebook: str
    source_hash: str
    cells: dict[str, CellSpec]
    seconds: float = 0.0  # how long the solution's run took

    def to_json(self) -> dict:
        return {"version": VERSION, "notebook": self.notebook,
                "source_hash": self.source_hash, "seconds": self.seconds,
                "cells": {g: {"source_hash": c.source_hash, "hidden": c.hidden,
                              "checks": c.checks} for g, c in self.cells.items()}}

    @classmethod
    def from_json(cls, data: dict) -> "Expectations":
        if data.get("version") != VERSION:
            raise ExpectationsError(f"expectations of version {data.get('version')!r}, "
                                    f"this grader reads version {VERSION}")
        return cls(data["notebook"], data["source_hash"],
                   {g: CellSpec(g, c["source_hash"], c["hidden"], c["checks"])
                    for g, c in data["cells"].items()}, data.get("seconds", 0.0))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.to_json()))
        tmp.replace(path)  # atomic: a grader reading it never sees half a file

    @classmethod
    def load(cls, path: Path) -> "Expectations":
        return cls.from_json(json.loads(Path(path).read_text()))

    @classmethod
    def from_executed(cls, nb, notebook: str, source_hash: str,
                      seconds: float = 0.0) -> "Expectations":
        """From the solution notebook executed with recording on (``"spec"``)."""
        cells = {}
        for c in nb.cells:
            if not is_test(c):
                continue
            bad = [o for o in c.get("outputs", []) if o.get("output_type") == "error"]
            if bad:
                raise ExpectationsError(
                    f"{notebook}: the solution fails test cell {grade_id(c)}: "
                    f"{bad[0].get('ename')}: {str(bad[0].get('evalue'))[:300]}")
            recs = records(c)
            if any(type(r) is not dict or r.get("mode") != "spec" for r in recs):
                raise ExpectationsError(f"{notebook}: test cell {grade_id(c)} did not "
                                        "record its checks in spec mode")
            cells[grade_id(c)] = CellSpec(grade_id(c), cell_hash(c.source), hidden_cell(c),
                                          recs)
        return cls(notebook, source_hash, cells, seconds)


def solution_notebook(source_nb):
    """The source notebook as the instructor runs it: solution markers removed, no outputs."""
    nb = copy.deepcopy(source_nb)
    for c in nb.cells:
        if is_answer(c):
            c.source = MARKERS.solution_code(c.source)
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
    return nb


@contextmanager
def recording(mode: str) -> Iterator[None]:
    """Within the block, kernels started by this process record their checks (``mode``:
    ``"got"`` or ``"spec"``); the environment is restored after."""
    before = os.environ.get(ENV)
    os.environ[ENV] = mode
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before


def expectations_path(course: Path, assignment: str, notebook: str) -> Path:
    return Path(course) / STORE / assignment / (Path(notebook).stem + ".json")


def build(source: Path, *, timeout: int = 60, kernel_name: str = "python3") -> Expectations:
    """Run the solution of the source notebook ``source`` and collect its spec records."""
    from nbclient import NotebookClient
    source = Path(source).resolve()
    src = read_nb(source)
    nb = solution_notebook(src)
    grading_environment()
    t0 = time.perf_counter()
    with recording("spec"):
        NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=True,
                       interrupt_on_timeout=True,
                       extra_arguments=["--HistoryManager.hist_file=:memory:"],
                       resources={"metadata": {"path": str(source.parent)}}).execute()
    return Expectations.from_executed(nb, f"{source.parent.name}/{source.name}",
                                      notebook_hash(src), time.perf_counter() - t0)


def ensure(course: Path, assignment: str, notebook: str, *, timeout: int = 60) -> Expectations:
    """The expectations of ``source/<assignment>/<notebook>``, made again when they are
    missing or the source notebook changed since."""
    course = Path(course).resolve()
    source = course / "source" / assignment / notebook
    if not source.exists():
        raise ExpectationsError(f"no source notebook {source} to take the expected values "
                                "from")
    path = expectations_path(course, assignment, notebook)
    want = notebook_hash(read_nb(source))
    if path.exists():
        try:
            kept = Expectations.load(path)
            if kept.source_hash == want:
                return kept
        except (ExpectationsError, ValueError, KeyError, TypeError):
            pass  # unreadable or old: made again below
    made = build(source, timeout=timeout)
    made.save(path)
    return made
