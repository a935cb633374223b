"""The instructor's grading cycle, in-process with nbgrader's API.

:func:`run_cycle`: collect the submissions into ``submitted/<student>/<assignment>/``,
autograde each student (one student's failure never stops the others), generate feedback
for every autograded student, export the grades. What autograde returned for each student is
kept as data (``autograde_results/<assignment>/<student>.json``) for :mod:`.report`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import nbformat

from .course import grading_environment, load_config, open_api

__all__ = ["StudentRun", "CycleResult", "write_submission", "run_cycle", "export_grades",
           "classify_failure", "sandbox_summary", "RESULTS_DIR", "save_result", "read_result",
           "nbgrader_ok"]

RESULTS_DIR = "autograde_results"

# Exceptions autograde reports, by class name, and what they mean for the instructor.
_FAILURES = [
    (("DeadKernelError",), "the kernel died while running the notebook (a cell killed "
     "Python: os._exit, sys.exit in C code, out of memory?)"),
    (("NotJSONError", "JSONDecodeError"), "the notebook file is not valid JSON (corrupted "
     "file or interrupted upload)"),
    (("NotebookValidationError", "ValidationError"), "the notebook does not follow the "
     "notebook format (edited by hand?)"),
    (("UnresponsiveKernelError",), "the kernel could not be interrupted after the timeout "
     "(infinite loop eating memory?)"),
    (("SchemaTooOldError", "SchemaTooNewError"), "nbgrader metadata of another nbgrader "
     "version"),
]


@dataclass
class StudentRun:
    """What autograde returned for one student, as data."""

    student: str
    success: bool
    reason: str = ""        # why it failed, for the instructor ("" when it succeeded)
    seconds: float = 0.0
    #: the grading kernels' sandbox (:meth:`.sandbox.KernelRun.summary` of the last one,
    #: with ``flags``: what the sandbox saw, all cells together); None: no kernel started
    sandbox: dict | None = None


@dataclass
class CycleResult:
    course_dir: Path
    assignment: str
    runs: dict[str, StudentRun]
    feedback: dict[str, bool]
    grades_csv: Path


def nbgrader_ok(result: dict, what: str) -> dict:
    """``result`` of an NbGraderAPI call, or RuntimeError with its log when it failed."""
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('log', '')}\n"
                           f"{result.get('error', '')}")
    return result


def sandbox_summary(kernels) -> dict | None:
    """What the sandbox saw of one student's grading kernels, as data."""
    if not kernels:
        return None
    out = kernels[-1].summary()
    out["sandboxed"] = all(k.sandboxed for k in kernels)
    out["flags"] = sorted({f for k in kernels for v in k.flags().values() for f in v})
    return out


def classify_failure(submission_dir: Path, result: Mapping[str, Any] | None = None,
                     kernels: Sequence = ()) -> str:
    """Why autograde failed for one student: first what the submitted files show (a
    notebook that does not parse), then what the sandbox saw of its ``kernels``
    (:class:`.sandbox.KernelRun`), then the exception autograde returned."""
    for path in sorted(Path(submission_dir).glob("*.ipynb")):
        try:
            nbformat.validate(nbformat.read(str(path), as_version=4))
        except nbformat.reader.NotJSONError:
            return f"{path.name}: " + _FAILURES[1][1]
        except nbformat.ValidationError:
            return f"{path.name}: " + _FAILURES[2][1]
        except Exception as exc:  # unreadable for another reason: say which
            return f"{path.name}: unreadable ({type(exc).__name__})"
    for k in kernels:
        if k.usage.get("oom_kills"):
            from .sandbox import format_bytes
            return (f"the kernel used more memory than its limit "
                    f"({format_bytes(k.memory_limit)}) and the sandbox killed it")
    text = "" if result is None else f"{result.get('error', '')}\n{result.get('log', '')}"
    for names, reason in _FAILURES:
        if any(name in text for name in names):
            return reason
    return "autograde failed (see nbgrader's output for this student)"


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


def _result_path(course_dir: Path, assignment: str, student: str) -> Path:
    return Path(course_dir) / RESULTS_DIR / assignment / f"{student}.json"


def save_result(course_dir, assignment: str, run: StudentRun) -> None:
    """Keep what autograde returned for one student, for :mod:`.report`."""
    path = _result_path(Path(course_dir), assignment, run.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(run)))


def read_result(course_dir, assignment: str, student: str) -> StudentRun | None:
    """The recorded autograde result of a student (None when this cycle did not grade it)."""
    path = _result_path(Path(course_dir), assignment, student)
    return StudentRun(**json.loads(path.read_text())) if path.exists() else None


def run_cycle(course_dir, assignment: str, submissions: Mapping[str, Mapping[str, Any]], *,
              generate: bool = True, progress: Callable[[str], None] | None = None,
              api=None) -> CycleResult:
    """The instructor's cycle on ``submissions`` ({student: {notebook file: nb or text}}).

    generate_assignment (creates the gradebook entries), collect into submitted/, autograde
    each student (a failure is recorded, never raised), generate_feedback for every
    autograded student, export grades to ``<course>/grades.csv``.
    """
    grading_environment()
    course_dir = Path(course_dir).resolve()
    say = progress or (lambda msg: None)
    api = api or open_api(course_dir)
    if generate:
        say(f"[{assignment}] generate_assignment")
        nbgrader_ok(api.generate_assignment(assignment, force=True), "generate_assignment")
    for student, nbs in submissions.items():
        write_submission(course_dir, assignment, student, nbs)
    runs: dict[str, StudentRun] = {}
    from . import sandbox
    for student in submissions:
        t0 = time.perf_counter()
        started = len(sandbox.RUNS)
        try:
            r = api.autograde(assignment, student, force=True, create=True)
        except Exception as exc:  # never let one student stop the others
            r = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
        kernels = sandbox.RUNS[started:]
        ok = bool(r.get("success"))
        reason = "" if ok else classify_failure(
            course_dir / "submitted" / student / assignment, r, kernels)
        run = StudentRun(student, ok, reason, time.perf_counter() - t0,
                         sandbox_summary(kernels))
        runs[student] = run
        save_result(course_dir, assignment, run)
        say(f"[{assignment}] autograde {student}: "
            f"{'ok' if ok else 'FAILED: ' + reason} ({run.seconds:.1f} s)")
    feedback: dict[str, bool] = {}
    for student, run in runs.items():
        if run.success:
            r = api.generate_feedback(assignment, student, force=True)
            feedback[student] = bool(r.get("success"))
            if not r.get("success"):
                say(f"[{assignment}] generate_feedback {student} FAILED:\n{r.get('log', '')}")
    grades_csv = course_dir / "grades.csv"
    export_grades(course_dir, grades_csv)
    return CycleResult(course_dir, assignment, runs, feedback, grades_csv)


def export_grades(course_dir, dest) -> Path:
    """``nbgrader export`` (CSV, every assignment and student, with the ``sandboxed`` and
    ``flags`` columns of :class:`.plugins.IntegrityCsvExport`) in-process."""
    from nbgrader.api import Gradebook
    from .plugins import IntegrityCsvExport
    grading_environment()
    cfg = load_config(course_dir)
    plugin = IntegrityCsvExport(config=cfg)
    plugin.to = str(dest)
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        plugin.export(gb)
    return Path(dest)
