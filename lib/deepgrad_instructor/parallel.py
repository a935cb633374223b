"""Grading a class in parallel on Dask, with the gradebook written by one process only.

nbgrader grades one notebook after another (its issue #174), and its SQLite gradebook is not
safe for concurrent writers. :func:`grade_parallel` splits autograde in two:

- **Workers execute.** Each student is one task (:func:`execute_student`): a worker copies
  the student's submission and a snapshot of the gradebook into a private course folder
  (``source/`` linked, not copied) and runs nbgrader's own autograde there, with the
  course's preprocessors up to and including the execute step (the sandbox, the recording
  checks), and returns the executed notebooks as JSON. The worker never judges: the
  expected values stay with the coordinator. Nothing a worker does reaches the course, so
  a task run twice (its worker died and Dask ran it again elsewhere) counts once.
- **The coordinator judges and writes.** For each result, in the order they arrive, it runs
  nbgrader's autograde on the real course with the execute step replaced by
  :class:`ReplayExecution`, which puts the worker's outputs into the cells. Everything else
  is nbgrader's and deepgrad's usual pipeline (the edit flags, the judge outside the kernel,
  ``SaveAutoGrades``, late penalties), so the gradebook ends up as a serial
  ``nbgrader autograde`` leaves it. A student whose execution failed (a dead kernel, a
  corrupted file) fails here too, with the worker's reason.

The cluster is an embedded ``LocalCluster`` (one single-threaded worker process per core)
or an existing one given by its scheduler address (``scheduler=``), e.g. on SLURM through
dask-jobqueue (docs/grading_at_scale.md). Workers need the course folder at the same path
(a shared file system) and deepgrad installed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import nbformat
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

from .course import grading_environment, load_config, open_api
from .cycle import StudentRun, classify_failure, export_grades, sandbox_summary, save_result

__all__ = ["ExecutedStudent", "execute_student", "ReplayExecution", "ParallelResult",
           "grade_parallel", "local_cluster"]

SNAPSHOT = "gradebook.snapshot.db"


# ------------------------------------------------------------------------------ workers
@dataclass
class ExecutedStudent:
    """What a worker returns for one student: its executed notebooks as JSON, by file
    name, or why execution failed; and where and how long it ran."""

    student: str
    notebooks: dict[str, str] = field(default_factory=dict)
    error: str = ""            # nbgrader's error and log when autograde failed
    reason: str = ""           # classify_failure's words for the instructor
    sandbox: dict | None = None
    seconds: float = 0.0
    worker: str = ""


class CaptureExecuted(NbGraderPreprocessor):
    """Right after the execute step in a worker: keep a copy of the executed notebook."""

    captured: dict = {}

    def preprocess(self, nb, resources):
        name = resources["nbgrader"]["notebook"]
        CaptureExecuted.captured[name] = nbformat.writes(nb)
        return nb, resources


def _worker_preprocessors(current: Sequence) -> list:
    """The course's autograde preprocessors up to the execute step, then the capture."""
    from .outside_judge import JudgeChecks
    out = []
    for p in current:
        if p is JudgeChecks:
            continue
        out.append(p)
        if isinstance(p, type) and issubclass(p, Execute):
            out.append(CaptureExecuted)
            return out
    raise ValueError("the course's autograde has no execute step")


def _course_preprocessors(cfg) -> list:
    from nbgrader.converters import Autograde
    current = cfg.Autograde.get("autograde_preprocessors")
    if current is None or not isinstance(current, list):
        current = list(Autograde.class_traits()["autograde_preprocessors"].default())
    return list(current)


def execute_student(course_dir: str, assignment: str, student: str,
                    snapshot: str) -> ExecutedStudent:
    """Run one student's notebooks (a Dask task; also callable directly): nbgrader's
    autograde in a private copy of the course, up to the execute step."""
    from . import sandbox
    grading_environment()
    t0 = time.perf_counter()
    course = Path(course_dir)
    private = Path(tempfile.mkdtemp(prefix=f"deepgrad-{student}-")) / "course"
    try:
        private.mkdir()
        shutil.copy2(course / "nbgrader_config.py", private / "nbgrader_config.py")
        (private / "source").symlink_to(course / "source")
        shutil.copy2(snapshot, private / "gradebook.db")
        shutil.copytree(course / "submitted" / student / assignment,
                        private / "submitted" / student / assignment, symlinks=True)
        cfg = load_config(private)
        cfg.Autograde.autograde_preprocessors = _worker_preprocessors(
            _course_preprocessors(cfg))
        api = open_api(private, config=cfg)
        CaptureExecuted.captured = {}
        started = len(sandbox.RUNS)
        r = api.autograde(assignment, student, force=True, create=True)
        kernels = sandbox.RUNS[started:]
        out = ExecutedStudent(student, dict(CaptureExecuted.captured),
                              sandbox=sandbox_summary(kernels), worker=_worker_name())
        if not r.get("success"):
            out.error = f"{r.get('error', '')}\n{r.get('log', '')}"
            out.reason = classify_failure(course / "submitted" / student / assignment, r,
                                          kernels)
    finally:
        shutil.rmtree(private.parent, ignore_errors=True)
        CaptureExecuted.captured = {}
    out.seconds = time.perf_counter() - t0
    return out


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


# -------------------------------------------------------------------------- coordinator
class ReplayExecution(NbGraderPreprocessor):
    """In the coordinator, in place of the execute step: the outputs a worker computed for
    this student's notebook (``executed``: student -> :class:`ExecutedStudent`), cell by
    cell. The notebook nbgrader built
    here and the one the worker executed come from the same submission and gradebook, so
    their cells must match one to one; anything else is an error, never a guess."""

    executed: dict = {}

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        done: ExecutedStudent = ReplayExecution.executed[info["student"]]
        text = done.notebooks.get(info["notebook"])
        if text is None:
            raise RuntimeError(f"the worker could not execute this notebook: "
                               f"{done.reason or done.error.strip()[-400:]}")
        ran = nbformat.reads(text, as_version=4)
        if [(c.cell_type, c.source) for c in ran.cells] != [(c.cell_type, c.source)
                                                              for c in nb.cells]:
            raise RuntimeError("the notebook the worker executed differs from this one "
                               "(was the gradebook or the submission changed meanwhile?)")
        for mine, theirs in zip(nb.cells, ran.cells):
            if mine.cell_type == "code":
                mine.outputs = theirs.outputs
                mine.execution_count = theirs.execution_count
        meta = ran.metadata.get("deepgrad", {})
        if "sandbox" in meta:
            nb.metadata.setdefault("deepgrad", {})["sandbox"] = meta["sandbox"]
        ours = nb.metadata.setdefault("deepgrad", {}).setdefault("flags", {})
        for g, found in meta.get("flags", {}).items():
            ours[g] = ours.get(g, []) + [f for f in found if f not in ours.get(g, [])]
        if not ours:
            del nb.metadata["deepgrad"]["flags"]
        return nb, resources


def _coordinator_preprocessors(current: Sequence) -> list:
    out = [ReplayExecution if isinstance(p, type) and issubclass(p, Execute) else p
           for p in current]
    if ReplayExecution not in out:
        raise ValueError("the course's autograde has no execute step")
    return out


def _snapshot(course: Path, dest: Path) -> Path:
    """A consistent copy of the gradebook (SQLite's backup API: safe while it is open)."""
    src = sqlite3.connect(str(course / "gradebook.db"))
    dst = sqlite3.connect(str(dest))
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return dest


@dataclass
class ParallelResult:
    assignment: str
    runs: dict[str, StudentRun]
    executed: dict[str, ExecutedStudent]
    seconds: float
    workers: int
    grades_csv: Path | None = None


def local_cluster(workers: int | None = None):
    """An embedded Dask cluster: one single-threaded worker process per core (or
    ``workers``), each grading one student at a time."""
    from distributed import LocalCluster
    n = workers or os.cpu_count() or 1
    return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=40)


def _progress_line(done: int, failed: int, total: int, t0: float) -> str:
    elapsed = time.perf_counter() - t0
    left = total - done
    eta = f", ~{elapsed / done * left:.0f} s left" if done and left else ""
    return (f"graded {done}/{total}: {done - failed} ok, {failed} failed, {left} to go"
            f"{eta} ({elapsed:.0f} s)")


def grade_parallel(course_dir, assignment: str, students: Sequence[str] | None = None, *,
                   scheduler: str | None = None, workers: int | None = None,
                   client=None, progress: Callable[[str], None] | None = None,
                   export: bool = True) -> ParallelResult:
    """Autograde ``students`` (default: every folder in ``submitted/*/<assignment>``) on a
    Dask cluster; the gradebook, ``autograded/``, the results the report reads and
    ``grades.csv`` end up as :func:`.cycle.run_cycle`'s serial autograde leaves them.

    ``client``: an existing ``distributed.Client``; else ``scheduler`` (an address), else
    an embedded :func:`local_cluster` of ``workers`` processes.
    """
    from distributed import Client, as_completed

    from .expectations import ensure
    from .course import notebook_names
    grading_environment()
    course = Path(course_dir).resolve()
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    if students is None:
        students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}")
                          if p.is_dir())
    cfg = load_config(course)
    timeout = int(cfg.Execute.get("timeout", 60) or 60)
    for name in notebook_names(course, assignment):  # made once here, never by a worker
        ensure(course, assignment, name, timeout=timeout)
    cfg.Autograde.autograde_preprocessors = _coordinator_preprocessors(
        _course_preprocessors(cfg))
    api = open_api(course, config=cfg)
    scratch = Path(tempfile.mkdtemp(prefix="deepgrad-grade-"))
    snapshot = _snapshot(course, scratch / SNAPSHOT)
    own = None
    if client is None:
        own = local_cluster(workers) if scheduler is None else None
        client = Client(own if own is not None else scheduler)
    t0 = time.perf_counter()
    runs: dict[str, StudentRun] = {}
    executed: dict[str, ExecutedStudent] = {}
    try:
        n_workers = len(client.scheduler_info()["workers"])
        futures = [client.submit(execute_student, str(course), assignment, s, str(snapshot),
                                 key=f"grade-{assignment}-{s}", pure=False)
                   for s in students]
        failed = 0
        for fut in as_completed(futures):
            try:
                done: ExecutedStudent = fut.result()
            except Exception as exc:  # the task itself failed (every retry): say so
                s = fut.key.split("-", 2)[2]
                done = ExecutedStudent(s, error=f"{type(exc).__name__}: {exc}",
                                       reason=f"grading failed on the workers "
                                              f"({type(exc).__name__}: {exc})")
            executed[done.student] = done
            runs[done.student] = run = _write(api, course, assignment, done)
            failed += not run.success
            say(_progress_line(len(runs), failed, len(students), t0))
    finally:
        if own is not None:
            client.close()
            own.close()
        shutil.rmtree(scratch, ignore_errors=True)
        ReplayExecution.executed = {}
    grades = export_grades(course, course / "grades.csv") if export else None
    return ParallelResult(assignment, runs, executed, time.perf_counter() - t0, n_workers,
                          grades)


def _write(api, course: Path, assignment: str, done: ExecutedStudent) -> StudentRun:
    """nbgrader's autograde of one student in the real course, replaying the worker's
    outputs; the result recorded for the report as :func:`.cycle.run_cycle` does."""
    t0 = time.perf_counter()
    ReplayExecution.executed = {done.student: done}
    try:
        r = api.autograde(assignment, done.student, force=True, create=True)
    except Exception as exc:
        r = {"success": False, "error": f"{type(exc).__name__}: {exc}", "log": ""}
    ok = bool(r.get("success"))
    reason = ""
    if not ok:
        reason = done.reason or classify_failure(
            course / "submitted" / done.student / assignment, r)
    run = StudentRun(done.student, ok, reason, done.seconds + time.perf_counter() - t0,
                     done.sandbox)
    save_result(course, assignment, run)
    return run
