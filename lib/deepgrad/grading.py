"""Instructor tooling around nbgrader: demo submissions, a grading run, a report, mutants.

Nothing in here knows an answer: solutions are read from ``source/`` at run time.

The pieces, each usable on its own:

- :class:`Mutant` -- a plausible student mistake, as a text replacement in one solution
  cell (``old`` must occur exactly once in that cell's solution code).
- **Demo submissions** built from ``source/`` and ``release/`` exactly as a student would
  hand them in (they carry the release's nbgrader metadata and checksums):
  :func:`build_solution`, :func:`build_blank`, :func:`build_wrong`, and the broken ones
  (:func:`build_deleted_test_cell`, :func:`build_dead_kernel`,
  :func:`build_infinite_loop`, :func:`build_corrupted`).
- :func:`run_cycle` -- the real nbgrader cycle, in-process (``NbGraderAPI``):
  generate_assignment, collect into ``submitted/<student>/<assignment>/``, autograde each
  student (one student's failure never stops the others), generate_feedback, export.
- :func:`report` -- reads the gradebook and the autograded notebooks and says, per
  student, the score *and* whether the submission is broken rather than an honest zero
  (autograde failed, test cell deleted, cell interrupted by the timeout, manual grading
  pending). :func:`format_report` prints it, :func:`write_report_csv` saves it.
- :class:`MutantHarness` -- one kernel runs the solution notebook once, then for each
  mutant re-runs the mutated solution cell and every graded test cell (visible and
  hidden), records which failed (an error output or any stderr, nbgrader's rule) and the
  points lost, and restores the original cell.

Always run nbgrader with a course directory whose ``nbgrader_config.py`` is read
explicitly (:func:`load_config`): nbgrader itself reads it from the current directory only.
"""

from __future__ import annotations

import copy
import csv
import html
import io
import json
import logging
import os
import re
import shutil
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import nbformat

# Every kernel these tools start (autograde, the mutant harness) trains small networks, and
# two run side by side on a 2-core machine: with OpenBLAS's default of one thread per core
# they oversubscribe it, and busy-waiting threads turned a 4 s training cell into a 30 s
# timeout. One BLAS thread per kernel, and Numba's OpenMP threads sleep rather than spin
# (see deepgrad.kernels); both inherited by the kernels this process starts.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = [
    "Mutant", "MutantError", "HarnessError",
    "SOLUTION_BEGIN", "SOLUTION_END", "HIDDEN_BEGIN", "HIDDEN_END",
    "strip_solution_markers", "secret_lines", "solution_notebook",
    "build_solution", "build_blank", "build_wrong", "build_deleted_test_cell",
    "build_dead_kernel", "build_infinite_loop", "build_corrupted", "apply_mutants",
    "load_config", "open_api", "assignments", "notebook_names",
    "StudentRun", "CycleResult", "run_cycle",
    "ReportRow", "report", "format_report", "write_report_csv",
    "CellScore", "MutantOutcome", "MutantHarness", "run_mutants", "mutants_markdown",
    "load_mutants", "validate_notebook",
]

SOLUTION_BEGIN = "### BEGIN SOLUTION"
SOLUTION_END = "### END SOLUTION"
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"

# nbgrader's own rule for a failed cell (nbgrader.utils.has_failed) plus what nbclient
# writes when a cell is interrupted by the timeout.
TIMEOUT_ENAME = "CellTimeoutError"


class MutantError(ValueError):
    """A mutant cannot be applied (unknown cell, or ``old`` not found exactly once)."""


class HarnessError(RuntimeError):
    """The mutant harness cannot trust its baseline (the solution itself fails a test)."""


# ----------------------------------------------------------------------------- cells
def _nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return _nbg(cell).get("grade_id")


def is_answer(cell) -> bool:
    """A cell the student writes in (nbgrader ``solution: true``)."""
    return bool(_nbg(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograder test cell: a graded, non-solution code cell."""
    m = _nbg(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def is_manual(cell) -> bool:
    """A manually graded answer or task (a graded markdown cell, or a task cell)."""
    m = _nbg(cell)
    return (cell.cell_type == "markdown" and bool(m.get("grade"))) or bool(m.get("task"))


def points(cell) -> float:
    return float(_nbg(cell).get("points", 0) or 0)


def strip_solution_markers(source: str) -> str:
    """The solution code of a source cell: the BEGIN/END SOLUTION lines removed."""
    return "\n".join(line for line in source.split("\n")
                     if SOLUTION_BEGIN not in line and SOLUTION_END not in line)


def _regions(source: str, begin: str, end: str) -> list[str]:
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line)
    return out


def secret_lines(source_nb, *, min_chars: int = 12) -> dict[str, set[str]]:
    """Non-trivial lines of the solution regions and hidden tests of a source notebook.

    A line counts when it is at least ``min_chars`` long once whitespace is collapsed, is
    not just a comment, and does not also appear anywhere in a public part of the
    notebook (so ``import numpy as np`` repeated in a visible cell, or a formula the
    instructions spell out, is not a "secret").
    Returns ``{"solution": {...}, "hidden": {...}}`` with whitespace-normalised lines.
    """
    public: set[str] = set()
    sol: set[str] = set()
    hid: set[str] = set()
    for cell in source_nb.cells:
        src = cell.source
        s_lines = _regions(src, SOLUTION_BEGIN, SOLUTION_END) if is_answer(cell) else []
        if is_answer(cell) and SOLUTION_BEGIN not in src:
            s_lines = src.split("\n")  # whole cell is the solution
        h_lines = _regions(src, HIDDEN_BEGIN, HIDDEN_END)
        secret = set(s_lines) | set(h_lines)
        for line in src.split("\n"):
            if line not in secret and SOLUTION_BEGIN not in line and SOLUTION_END not in line \
                    and HIDDEN_BEGIN not in line and HIDDEN_END not in line:
                public.add(_norm(line))
        sol.update(_norm(line) for line in s_lines)
        hid.update(_norm(line) for line in h_lines)

    public_text = "\n".join(sorted(public))

    def keep(lines: set[str]) -> set[str]:
        return {ln for ln in lines if len(ln) >= min_chars and not ln.startswith("#")
                and ln not in public_text and re.search(r"[A-Za-z0-9]", ln)
                and not re.fullmatch(r"(return|raise|pass|else:|try:)\b.{0,12}", ln)}

    return {"solution": keep(sol), "hidden": keep(hid)}


def _norm(text: str) -> str:
    return " ".join(text.split())


def html_text(raw: str) -> str:
    """Visible text of an HTML page (tags dropped, entities decoded, whitespace collapsed)."""
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    return _norm(html.unescape(re.sub(r"<[^>]+>", "", raw)))


# ----------------------------------------------------------------------------- mutants
@dataclass(frozen=True)
class Mutant:
    """A plausible student mistake in one solution cell.

    Parameters
    ----------
    cell : str
        ``grade_id`` of the solution cell (the function's name, e.g. ``"compute_cost"``).
    name : str
        Short unique id, e.g. ``"no_divide_by_m"``.
    hint : str
        The mistake in words, for the instructor's table.
    old, new : str
        ``old`` must occur exactly once in the cell's solution code; it becomes ``new``.
    """

    cell: str
    name: str
    hint: str
    old: str
    new: str

    def apply(self, source: str) -> str:
        n = source.count(self.old)
        if n != 1:
            where = "does not occur" if n == 0 else f"occurs {n} times"
            raise MutantError(
                f"mutant {self.name!r}: its `old` text {where} in the solution of cell "
                f"{self.cell!r} (it must occur exactly once).\n  old = {self.old!r}")
        return source.replace(self.old, self.new)


def load_mutants(path: str | os.PathLike) -> list[Mutant]:
    """The ``MUTANTS`` list of a mutants file (``tests/mutants/<assignment>.py``)."""
    import importlib.util
    path = Path(path)
    spec = importlib.util.spec_from_file_location(f"_mutants_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mutants = list(getattr(mod, "MUTANTS"))
    names = [m.name for m in mutants]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise MutantError(f"{path}: duplicate mutant names {dup}")
    return mutants


def _answer_cells(nb) -> dict[str, int]:
    return {grade_id(c): i for i, c in enumerate(nb.cells) if is_answer(c) and grade_id(c)}


def apply_mutants(nb, mutants: Sequence[Mutant], *, strict: bool = True):
    """A copy of a *solution* notebook (markers stripped) with the mutants applied.

    With ``strict=False`` mutants of cells this notebook does not have are skipped (for
    assignments with several notebooks); a mutant whose ``old`` text is not found exactly
    once always raises :class:`MutantError`.
    """
    nb = copy.deepcopy(nb)
    cells = _answer_cells(nb)
    for m in mutants:
        if m.cell not in cells:
            if not strict:
                continue
            raise MutantError(f"mutant {m.name!r}: no solution cell with grade_id "
                              f"{m.cell!r} (there are: {', '.join(cells)})")
        c = nb.cells[cells[m.cell]]
        c.source = m.apply(c.source)
    return nb


# ----------------------------------------------------------------------------- submissions
def read_nb(path) -> Any:
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def solution_notebook(source_nb):
    """The source notebook as the instructor runs it: solution markers removed, no outputs."""
    nb = copy.deepcopy(source_nb)
    for c in nb.cells:
        if is_answer(c):
            c.source = strip_solution_markers(c.source)
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
    return nb


def build_solution(source_nb, release_nb):
    """The release notebook with every answer cell holding the source's solution."""
    sol = {grade_id(c): strip_solution_markers(c.source)
           for c in source_nb.cells if is_answer(c) and grade_id(c)}
    nb = copy.deepcopy(release_nb)
    for c in nb.cells:
        gid = grade_id(c)
        if is_answer(c):
            if gid not in sol:
                raise ValueError(f"answer cell {gid!r} of the release is not in the source")
            c.source = sol[gid]
    return nb


def build_blank(release_nb):
    """What a student who did nothing hands in: the release notebook as is."""
    return copy.deepcopy(release_nb)


def build_wrong(source_nb, release_nb, mutants: Sequence[Mutant], *, strict: bool = True):
    """The solution submission with ``mutants`` applied to its answer cells."""
    nb = build_solution(source_nb, release_nb)
    return apply_mutants(nb, mutants, strict=strict)


def build_deleted_test_cell(source_nb, release_nb, test_id: str | None = None):
    """The solution submission with one test cell removed (default: the first).

    Returns ``(notebook, grade_id of the removed cell)``.
    """
    nb = build_solution(source_nb, release_nb)
    for i, c in enumerate(nb.cells):
        if is_test(c) and (test_id is None or grade_id(c) == test_id):
            del nb.cells[i]
            return nb, grade_id(c)
    raise ValueError(f"no test cell {test_id or ''} to delete")


def _first_code_answer(nb) -> int:
    for i, c in enumerate(nb.cells):
        if is_answer(c) and c.cell_type == "code":
            return i
    raise ValueError("the notebook has no code answer cell")


def build_dead_kernel(source_nb, release_nb):
    """The solution submission whose first answer cell kills the kernel (``os._exit``)."""
    nb = build_solution(source_nb, release_nb)
    c = nb.cells[_first_code_answer(nb)]
    c.source = c.source + "\n\nimport os; os._exit(1)\n"
    return nb


def build_infinite_loop(source_nb, release_nb):
    """The solution submission with a stray ``while True: pass`` cell after the first answer."""
    nb = build_solution(source_nb, release_nb)
    i = _first_code_answer(nb)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def build_corrupted(source_nb, release_nb) -> str:
    """The solution submission's file cut in the middle of its JSON (an interrupted
    upload): returns the raw text to write as the .ipynb."""
    text = nbformat.writes(build_solution(source_nb, release_nb))
    return text[: len(text) // 2]


# ----------------------------------------------------------------------------- nbgrader
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
    import sys
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir] + parts)


def open_api(course_dir: str | os.PathLike, *, config=None, log_level: int = logging.WARNING):
    """An ``NbGraderAPI`` on ``course_dir`` (in-process; no CLI start-up cost)."""
    _venv_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    cfg = config if config is not None else load_config(course_dir)
    cfg.NbGraderAPI.log_level = log_level
    cfg.Exchange.root = str(Path(course_dir).resolve() / ".exchange-unused")
    coursedir = CourseDirectory(config=cfg)
    api = NbGraderAPI(coursedir=coursedir, config=cfg)
    api.log.setLevel(log_level)
    return api


def assignments(course_dir: str | os.PathLike) -> list[str]:
    """Assignments in ``source/`` (folders holding at least one notebook), sorted."""
    src = Path(course_dir) / "source"
    return sorted(p.name for p in src.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb")))


def notebook_names(course_dir, assignment: str) -> list[str]:
    return sorted(p.name for p in (Path(course_dir) / "source" / assignment).glob("*.ipynb"))


@dataclass
class StudentRun:
    student: str
    success: bool
    log: str = ""
    error: str = ""
    seconds: float = 0.0


@dataclass
class CycleResult:
    course_dir: Path
    assignment: str
    runs: dict[str, StudentRun]
    feedback: dict[str, bool]
    grades_csv: Path


def _check(result: dict, what: str) -> dict:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('log', '')}\n"
                           f"{result.get('error', '')}")
    return result


def write_submission(course_dir, assignment: str, student: str,
                     notebooks: Mapping[str, Any], timestamp: str = "2024-01-01 12:00:00 UTC"):
    """Put a student's notebooks where ``nbgrader collect`` would: submitted/<s>/<a>/."""
    dest = Path(course_dir) / "submitted" / student / assignment
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, nb in notebooks.items():
        if isinstance(nb, str):
            (dest / name).write_text(nb)
        else:
            nbformat.write(nb, str(dest / name))
    (dest / "timestamp.txt").write_text(timestamp)


LOG_DIR = "autograde_logs"


def run_cycle(course_dir, assignment: str, submissions: Mapping[str, Mapping[str, Any]], *,
              generate: bool = True, progress: Callable[[str], None] | None = None,
              api=None) -> CycleResult:
    """The instructor's cycle on ``submissions`` ({student: {notebook file: nb or text}}).

    generate_assignment (creates the gradebook entries), collect into submitted/, autograde
    each student (a failure is recorded, never raised), generate_feedback for every
    autograded student, export grades to ``<course>/grades.csv``. Autograde logs are kept
    in ``<course>/autograde_logs/<assignment>/<student>.log`` for :func:`report`.
    """
    course_dir = Path(course_dir).resolve()
    say = progress or (lambda msg: None)
    api = api or open_api(course_dir)
    if generate:
        say(f"[{assignment}] generate_assignment")
        _check(api.generate_assignment(assignment, force=True), "generate_assignment")
    for student, nbs in submissions.items():
        write_submission(course_dir, assignment, student, nbs)
    logdir = course_dir / LOG_DIR / assignment
    logdir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, StudentRun] = {}
    for student in submissions:
        t0 = time.perf_counter()
        try:
            r = api.autograde(assignment, student, force=True, create=True)
        except BaseException as exc:  # never let one student stop the others
            if isinstance(exc, KeyboardInterrupt):
                raise
            r = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
        run = StudentRun(student, bool(r.get("success")), r.get("log", "") or "",
                         r.get("error", "") or "", time.perf_counter() - t0)
        runs[student] = run
        (logdir / f"{student}.log").write_text(
            ("OK\n" if run.success else "FAILED\n") + run.log + "\n" + run.error)
        say(f"[{assignment}] autograde {student}: "
            f"{'ok' if run.success else 'FAILED'} ({run.seconds:.1f} s)")
    feedback: dict[str, bool] = {}
    for student, run in runs.items():
        if not run.success:
            continue
        r = api.generate_feedback(assignment, student, force=True)
        feedback[student] = bool(r.get("success"))
        if not r.get("success"):
            say(f"[{assignment}] generate_feedback {student} FAILED:\n{r.get('log', '')}")
    grades_csv = course_dir / "grades.csv"
    export_grades(course_dir, grades_csv)
    return CycleResult(course_dir, assignment, runs, feedback, grades_csv)


def export_grades(course_dir, dest) -> Path:
    """``nbgrader export`` (CSV, every assignment and student) in-process."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin
    _venv_on_path()
    cfg = load_config(course_dir)
    plugin = CsvExportPlugin(config=cfg)
    plugin.to = str(dest)
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        plugin.export(gb)
    return Path(dest)


# ----------------------------------------------------------------------------- report
@dataclass
class ReportRow:
    student: str
    score: float            # total (auto + manual so far)
    max_score: float        # total
    auto_score: float       # autograded test cells only
    auto_max: float
    manual_pending: float   # points of manually graded answers not graded yet
    status: list[str] = field(default_factory=list)
    cell_scores: dict[str, float] = field(default_factory=dict)  # grade_id -> score (tests)
    cell_max: dict[str, float] = field(default_factory=dict)     # grade_id -> points (tests)

    @property
    def percent(self) -> float:
        return 100.0 * self.auto_score / self.auto_max if self.auto_max else 0.0

    @property
    def broken(self) -> bool:
        return any(s.split(":")[0] in BROKEN for s in self.status)

    @property
    def status_text(self) -> str:
        return "; ".join(self.status) if self.status else "OK"


BROKEN = ("AUTOGRADE FAILED", "TEST CELL DELETED", "TIMED OUT", "NOT GRADED")
PENDING = "manual grading pending"

_FAILURE_REASONS = [
    (r"DeadKernelError|Kernel died|kernel died", "the kernel died while running the notebook "
     "(a cell killed Python: os._exit, sys.exit in C code, out of memory?)"),
    (r"NotJSONError|JSONDecodeError|does not appear to be JSON|Unreadable Notebook",
     "the notebook file is not valid JSON (corrupted file or interrupted upload)"),
    (r"UnresponsiveKernelError|could not interrupt", "the kernel could not be interrupted "
     "after the timeout (infinite loop eating memory?)"),
    (r"ValidationError|NotebookValidationError|is not valid under any of the given schemas",
     "the notebook does not follow the notebook format (edited by hand?)"),
    (r"SchemaTooOldError|SchemaTooNewError|metadata format", "nbgrader metadata of another "
     "nbgrader version"),
    (r"No reply from kernel|TimeoutError", "the kernel did not answer in time"),
]


def failure_reason(log: str) -> str:
    """An instructor-readable reason for a failed autograde, from its log."""
    for pattern, reason in _FAILURE_REASONS:
        if re.search(pattern, log):
            return reason
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    errs = [ln for ln in lines if re.match(r"^\w+(\.\w+)*(Error|Exception):", ln)]
    return (errs[-1] if errs else (lines[-1] if lines else "unknown reason")) \
        + " (see the autograde log)"


def _cli_log(course_dir: Path, student: str, assignment: str) -> str:
    """The part of nbgrader's own log file (``.nbgrader.log``, written by the CLI) about
    this student's last failed autograde, as ``"FAILED\n..."``; ``""`` if none."""
    path = course_dir / ".nbgrader.log"
    if not path.exists():
        return ""
    text = path.read_text(errors="replace")
    key = f"submitted/{student}/{assignment}"
    at = text.rfind(key)
    if at < 0 or "error processing assignment" not in text[max(0, at - 200):at + 200]:
        return ""
    return "FAILED\n" + text[at:at + 6000]


def _cell_label(i: int, cell) -> str:
    first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
    return f"cell {i + 1} `{first[:40]}`"


def report(course_dir, assignment: str, students: Iterable[str] | None = None) -> list[ReportRow]:
    """One row per student of ``assignment``: scores from the gradebook, status from the
    gradebook, the autograded notebooks and the autograde logs."""
    from nbgrader.api import Gradebook, MissingEntry
    _venv_on_path()
    course_dir = Path(course_dir).resolve()
    cfg = load_config(course_dir)
    submitted = course_dir / "submitted"
    autograded = course_dir / "autograded"
    logdir = course_dir / LOG_DIR / assignment
    rows: list[ReportRow] = []
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        a = gb.find_assignment(assignment)
        grade_cells = {nb.name: {gc.name: gc for gc in nb.grade_cells} for nb in a.notebooks}
        task_cells = {nb.name: {tc.name: tc for tc in nb.task_cells} for nb in a.notebooks}
        auto_max = sum(gc.max_score for cells in grade_cells.values() for gc in cells.values()
                       if gc.cell_type == "code")
        total_max = sum(gc.max_score for cells in grade_cells.values()
                        for gc in cells.values()) + \
            sum(tc.max_score for cells in task_cells.values() for tc in cells.values())
        if students is None:
            names = {p.parent.name for p in submitted.glob(f"*/{assignment}") if p.is_dir()}
            names |= {s.student.id for s in a.submissions}
            students = sorted(names)
        for student in students:
            row = ReportRow(student, 0.0, total_max, 0.0, auto_max, 0.0)
            rows.append(row)
            log_file = logdir / f"{student}.log"
            log = log_file.read_text() if log_file.exists() else ""
            ag_dir = autograded / student / assignment
            if not log and not ag_dir.exists():
                log = _cli_log(course_dir, student, assignment)
            if log.startswith("FAILED") or (not ag_dir.exists()):
                why = failure_reason(log) if log else ("no autograded notebook: autograde "
                                                       "failed or was not run (see nbgrader's "
                                                       "output for this student)")
                tag = "AUTOGRADE FAILED" if log else "NOT GRADED"
                row.status.append(f"{tag}: {why}; the 0 is not a grade")
                continue
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                row.status.append("NOT GRADED: no submission in the gradebook")
                continue
            pending = 0.0
            for snb in sub.notebooks:
                present: dict[str, int] = {}
                timeouts: list[str] = []
                nb_path = ag_dir / f"{snb.name}.ipynb"
                if nb_path.exists():
                    nb = read_nb(nb_path)
                    for i, c in enumerate(nb.cells):
                        if grade_id(c):
                            present[grade_id(c)] = i
                        for o in c.get("outputs", []) if c.cell_type == "code" else []:
                            if o.get("output_type") == "error" and o.get("ename") == TIMEOUT_ENAME:
                                timeouts.append(_cell_label(i, c))
                                break
                else:
                    row.status.append(f"NOT GRADED: {snb.name}.ipynb missing from autograded/")
                deleted = []
                for g in snb.grades:
                    s = float(g.score or 0)
                    row.score += s
                    if g.cell.cell_type == "code":
                        row.auto_score += s
                        row.cell_scores[g.name] = s
                        row.cell_max[g.name] = float(g.max_score)
                        if g.name not in present:
                            deleted.append(g.name)
                    elif g.needs_manual_grade and g.manual_score is None:
                        pending += g.max_score
                for t in getattr(snb, "tasks", []) or []:
                    if t.needs_manual_grade and t.manual_score is None:
                        pending += t.max_score
                    row.score += float(t.score or 0)
                if deleted:
                    row.status.append(
                        f"TEST CELL DELETED: {', '.join(deleted)} missing from {snb.name} "
                        "(scored 0, flagged for manual grading)")
                if timeouts:
                    row.status.append(
                        f"TIMED OUT: {'; '.join(timeouts)} interrupted after the time limit "
                        "(an infinite loop?)")
            row.manual_pending = pending
            if pending:
                row.status.append(f"{PENDING} ({pending:g} pts)")
    return rows


def format_report(rows: Sequence[ReportRow], title: str = "") -> str:
    """The report as a fixed-width table an instructor reads in a terminal."""
    head = ["student", "auto score", "%", "total", "status"]
    body = [[r.student, f"{r.auto_score:g} / {r.auto_max:g}", f"{r.percent:.0f} %",
             f"{r.score:g} / {r.max_score:g}", r.status_text] for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(4)]
    lines = [title] if title else []
    fmt = lambda cols: "  ".join(c.ljust(w) for c, w in zip(cols[:4], widths)) + "  " + cols[4]
    lines.append(fmt(head))
    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    lines.extend(fmt(b) for b in body)
    return "\n".join(lines)


def write_report_csv(rows: Sequence[ReportRow], path, assignment: str = "") -> Path:
    path = Path(path)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment", "student", "auto_score", "auto_max", "percent", "score",
                    "max_score", "manual_pending", "broken", "status"])
        for r in rows:
            w.writerow([assignment, r.student, f"{r.auto_score:g}", f"{r.auto_max:g}",
                        f"{r.percent:.1f}", f"{r.score:g}", f"{r.max_score:g}",
                        f"{r.manual_pending:g}", "yes" if r.broken else "no", r.status_text])
    return path


# ----------------------------------------------------------------------------- validation
def validate_notebook(path, course_dir=None) -> dict:
    """``nbgrader validate`` in-process; returns nbgrader's result dict ({} = Success!)."""
    from nbgrader.validator import Validator
    cfg = load_config(course_dir) if course_dir is not None else None
    v = Validator(config=cfg) if cfg is not None else Validator()
    return v.validate(str(path))


# ----------------------------------------------------------------------------- harness
@dataclass
class CellScore:
    grade_id: str
    points: float
    score: float
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.score < self.points


@dataclass
class MutantOutcome:
    name: str                   # mutant name (or "+"-joined names for a combination)
    cells: list[str]            # solution cells mutated
    hint: str
    scores: dict[str, CellScore]

    @property
    def failed(self) -> list[str]:
        return [g for g, s in self.scores.items() if s.failed]

    @property
    def points_lost(self) -> float:
        return sum(s.points - s.score for s in self.scores.values())


def _cell_error(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return f"{o.get('ename')}: {str(o.get('evalue', ''))[:200]}"
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            return "wrote to stderr: " + str(o.get("text", ""))[:200]
    return ""


def defined_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, classes, imports, loops);
    names bound inside function bodies are local and left out."""
    import ast
    lines = [ln if not ln.lstrip().startswith(("%", "!")) else "" for ln in
             source.split("\n")]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    top: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            top.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            top.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in tree.body:
        visit(node)
    return top


class MutantHarness:
    """One kernel, the solution run once, then each mutant tried and undone.

    >>> with MutantHarness("source/01_x/x.ipynb") as h:   # doctest: +SKIP
    ...     outcome = h.run([mutant])

    A try executes the mutated solution cell, then every graded test cell (visible and
    hidden) from that cell on, in notebook order; test cells above the mutated cell keep
    their baseline score (nbgrader runs them before the mistake is defined). With
    ``downstream=True`` every later answer cell runs again too (so a training cell that
    calls the mutated function recomputes what its test checks): the exact prediction
    of nbgrader's score for a wrong submission. A test cell fails on an error output or
    any stderr output; its score is nbgrader's own ``determine_grade``. Cells time out
    like in nbgrader (``timeout``, default 30 s; the course's config says 60 s).

    Undoing is lazy: the next try first re-runs the original of every cell the previous
    try changed, so every try sees the solution everywhere else.
    """

    def __init__(self, source_path, *, timeout: int = 30, kernel_name: str = "python3",
                 rerun_all: bool = False):
        self.source_path = Path(source_path).resolve()
        self.source_nb = read_nb(self.source_path)
        self.nb = solution_notebook(self.source_nb)
        self.timeout = timeout
        self.kernel_name = kernel_name
        self.rerun_all = rerun_all
        self._stack: ExitStack | None = None
        self.baseline: dict[str, CellScore] = {}
        self.answers = _answer_cells(self.nb)
        self.tests = [i for i, c in enumerate(self.nb.cells) if is_test(c)]
        self._dirty: set[int] = set()  # cells whose kernel state is not the solution's
        self.seconds = 0.0

    # -- kernel
    def __enter__(self):
        from nbclient import NotebookClient
        t0 = time.perf_counter()
        # nbclient stores each executed cell back into the notebook it was given: give it
        # its own copy so self.nb always holds the solution.
        self.client = NotebookClient(
            copy.deepcopy(self.nb), timeout=self.timeout, kernel_name=self.kernel_name, allow_errors=True,
            interrupt_on_timeout=True, extra_arguments=["--HistoryManager.hist_file=:memory:"],
            resources={"metadata": {"path": str(self.source_path.parent)}})
        self._stack = ExitStack()
        self._stack.enter_context(self.client.setup_kernel())
        try:
            executed = {}
            for i, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code":
                    executed[i] = self._exec(cell, i)
            self.baseline = {grade_id(executed[i]): self._score(executed[i])
                             for i in self.tests}
            bad = {g: s for g, s in self.baseline.items() if s.failed}
            if bad:
                raise HarnessError(
                    f"{self.source_path.name}: the solution itself fails "
                    + "; ".join(f"{g} ({s.error or 'partial score'})" for g, s in bad.items()))
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.seconds += time.perf_counter() - t0
        return self

    def __exit__(self, *exc):
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def _score(self, cell) -> CellScore:
        from nbgrader.utils import determine_grade
        score, max_score = determine_grade(cell, logging.getLogger("deepgrad.grading"))
        return CellScore(grade_id(cell), float(max_score), float(score), _cell_error(cell))

    def _exec(self, cell, index: int):
        cell = copy.deepcopy(cell)
        cell.outputs = []
        self.client.execute_cell(cell, index)
        return cell

    def _forget(self, i: int) -> None:
        """Delete from the kernel the names cell ``i`` defines, so that a mutated cell that
        raises leaves them undefined (as in nbgrader's fresh run), not stale."""
        names = defined_names(self.nb.cells[i].source)
        if names:
            code = f"for _dg_n in {sorted(names)!r}:\n    globals().pop(_dg_n, None)\n" \
                   "del _dg_n"
            self.client.execute_cell(nbformat.v4.new_code_cell(code), i)

    # -- one try
    def _undo(self) -> None:
        for i in sorted(self._dirty):  # mutated cells first, then what ran after them
            self._exec(self.nb.cells[i], i)
        self._dirty = set()

    def run(self, mutants: Sequence[Mutant], name: str | None = None, *,
            downstream: bool = False) -> MutantOutcome:
        """Apply ``mutants`` (one, or several for a combined wrong submission), score
        every graded test cell, and leave the kernel to be undone before the next try.

        ``downstream=False`` (the fast table): only the mutated cells run again, then the
        test cells below the first of them; points lost are then a lower bound when a
        test checks a value computed by a later cell. ``downstream=True`` (a prediction
        of nbgrader's score): every later answer cell runs again too (``rerun_all``: every
        later code cell), in notebook order, exactly as the autograder would.
        Raises :class:`MutantError` if a mutant cannot apply.
        """
        if self._stack is None:
            raise RuntimeError("use MutantHarness as a context manager")
        t0 = time.perf_counter()
        mutated = apply_mutants(self.nb, mutants)
        idx = sorted({self.answers[m.cell] for m in mutants})
        self._undo()
        scores = dict(self.baseline)
        for i in range(idx[0], len(self.nb.cells)):
            c = self.nb.cells[i]
            if i in idx:
                self._dirty.add(i)
                self._forget(i)
                self._exec(mutated.cells[i], i)
            elif is_test(c):
                scores[grade_id(c)] = self._score(self._exec(c, i))
            elif downstream and c.cell_type == "code" and (self.rerun_all or is_answer(c)):
                self._dirty.add(i)
                self._forget(i)
                self._exec(c, i)
        self.seconds += time.perf_counter() - t0
        return MutantOutcome(name or "+".join(m.name for m in mutants),
                             [grade_id(self.nb.cells[i]) for i in idx],
                             "; ".join(m.hint for m in mutants), scores)

    def restore(self) -> None:
        """Put the kernel back to the solution state."""
        self._undo()


def run_mutants(source_path, mutants: Sequence[Mutant], *, combos: Mapping[str, Sequence[Mutant]]
                = (), timeout: int = 30) -> tuple[list[MutantOutcome], dict[str, MutantOutcome]]:
    """Every mutant alone (fast table), then every named combination (exact prediction,
    ``downstream=True``); one kernel for all of them.

    Returns ``(outcomes, combo_outcomes)``. Mutants for cells not in this notebook are
    skipped (an assignment may have several notebooks).
    """
    combos = dict(combos or {})
    with MutantHarness(source_path, timeout=timeout) as h:
        mine = [m for m in mutants if m.cell in h.answers]
        # in notebook order: each undo is then only the cells between two mutated cells
        mine.sort(key=lambda m: h.answers[m.cell])
        outcomes = [h.run([m]) for m in mine]
        combo_out = {k: h.run(v, name=k, downstream=True) for k, v in combos.items()
                     if all(m.cell in h.answers for m in v)}
    return outcomes, combo_out


def mutants_markdown(tables: Mapping[str, Sequence[MutantOutcome]]) -> str:
    """docs/mutants.md: per assignment, mutant -> the graded test cells that catch it."""
    out = ["# Mutants: which tests catch which mistake", "",
           "Generated by `python tests/mutants/update_doc.py` (checked by "
           "`tests/mutants/test_mutants.py`); do not edit by hand.", "",
           "Each mutant is a plausible student mistake applied to the solution; the harness "
           "(`deepgrad.grading.MutantHarness`) runs the solution once in one kernel, swaps "
           "in the mutated cell, runs every graded test cell below it (visible and hidden) "
           "and restores the cell. A test cell fails on an error or any stderr output, as "
           "in nbgrader. Later answer cells (training runs) are not re-run for this table, "
           "so *points lost* is a lower bound.", ""]
    for assignment, outcomes in tables.items():
        out += [f"## {assignment}", "", "| solution cell | mutant | mistake | caught by | "
                "points lost |", "|---|---|---|---|---|"]
        for o in outcomes:
            caught = ", ".join(f"`{g}`" for g in o.failed) or "**nothing**"
            out.append(f"| `{o.cells[0]}` | `{o.name}` | {o.hint.replace('|', '/')} | "
                       f"{caught} | {o.points_lost:g} |")
        out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------- checks
def instructor_checks(course_dir, assignment: str, mutants: Sequence[Mutant] = (),
                      combos: Mapping[str, Sequence[Mutant]] | None = None) -> dict:
    """What an instructor checks before releasing, per notebook of ``assignment``:

    - ``validate_source``: nbgrader's Validator on the source notebook (``{}`` = Success!)
    - ``validate_blank``: the Validator on the release notebook (must fail)
    - ``mutants``: the harness table (every mutant alone), ``combos``: named combinations
    - ``harness_seconds``

    Runs in a separate process happily (everything returned is picklable), so it can
    overlap with a grading run on the other core.
    """
    course_dir = Path(course_dir).resolve()
    timeout = int(load_config(course_dir).Execute.get("timeout", 30) or 30)
    out: dict[str, Any] = {"validate_source": {}, "validate_blank": {}, "mutants": [],
                           "combos": {}, "harness_seconds": 0.0, "errors": []}
    for name in notebook_names(course_dir, assignment):
        src = course_dir / "source" / assignment / name
        rel = course_dir / "release" / assignment / name
        out["validate_source"][name] = validate_notebook(src, course_dir)
        if rel.exists():
            out["validate_blank"][name] = validate_notebook(rel, course_dir)
        try:
            t0 = time.perf_counter()
            outs, comb = run_mutants(src, list(mutants), combos=combos or {},
                                     timeout=timeout)
            out["harness_seconds"] += time.perf_counter() - t0
            out["mutants"].extend(outs)
            out["combos"].update(comb)
        except (MutantError, HarnessError) as exc:
            out["errors"].append(f"{name}: {exc}")
    return out


# ----------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    """``python -m deepgrad.grading report ASSIGNMENT [--course DIR] [--csv PATH]``: the
    report of an assignment graded in a course directory (by nbgrader's commands, the
    formgrader, or :func:`run_cycle`)."""
    import argparse
    ap = argparse.ArgumentParser(prog="python -m deepgrad.grading")
    sub = ap.add_subparsers(dest="cmd", required=True)
    rp = sub.add_parser("report", help="score table with a status column, and a CSV")
    rp.add_argument("assignment")
    rp.add_argument("--course", type=Path, default=Path.cwd())
    rp.add_argument("--csv", type=Path, default=None,
                    help="default: <course>/report_<assignment>.csv")
    args = ap.parse_args(argv)
    rows = report(args.course, args.assignment)
    print(format_report(rows, title=f"== {args.assignment} =="))
    dest = args.csv or Path(args.course) / f"report_{args.assignment}.csv"
    write_report_csv(rows, dest, args.assignment)
    print(f"CSV: {dest}")
    broken = [r.student for r in rows if r.broken]
    if broken:
        print(f"{len(broken)} submission(s) need a look before the grades go out: "
              + ", ".join(broken))
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main())
