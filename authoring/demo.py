"""The demo class, graded by the real nbgrader cycle: can the instructor trust the grade?

For every assignment in ``source/``: a scratch copy of the course (its own gradebook) gets
the release regenerated, a demo class hands in -- ``solution``, ``blank``, ``wrong_*``
(built from the mutants, :mod:`.mutants`) and the broken ``deleted_test_cell``,
``corrupted``, ``dead_kernel``, ``infinite_loop`` -- and nbgrader autogrades them,
generates feedback and exports grades. The mutant harness runs every source notebook once
with its solution (does it pass, how long, how much memory), tries every mutant and
predicts each wrong student's score. Both are jobs that two worker processes share (one
per core): each assignment is graded in its own copy of the generated course, the harness
is one job per notebook.

This one run serves ``make grade`` (broken submissions in every assignment) and the whole
test suite (``make test``: the broken ones go to the toy course, whose 5 s timeout keeps
the infinite loop cheap; they exercise the pipeline, not an assignment).
"""

from __future__ import annotations

import multiprocessing
import shutil
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from deepgrad_instructor.cells import grade_id, is_answer
from deepgrad_instructor.course import assignments, load_config, notebook_names, open_api, read_nb
from deepgrad_instructor.cycle import CycleResult, nbgrader_ok, run_cycle
from deepgrad_instructor.report import ReportRow, report

from . import toy_course
from .harness import MutantOutcome, NotebookChecks, SolutionRun, run_mutants
from .mutants import Mutant, load_assignment, wrong_students
from .submissions import BROKEN_BUILDERS, TAMPER_BUILDERS, build_blank, \
    build_deleted_test_cell, build_solution, build_wrong

__all__ = ["HONEST", "BROKEN", "TAMPER", "DemoAssignment", "DemoClass", "DemoRun", "run_all",
           "start_all", "verify", "REPO"]

REPO = Path(__file__).resolve().parents[1]
HONEST = ["solution", "blank"]
BROKEN = list(BROKEN_BUILDERS)
TAMPER = list(TAMPER_BUILDERS)
# The attacks on the checks themselves: what they score is the judge's decision.
JUDGED_ATTACKS = ["tamper_patch_checks", "tamper_patch_numpy", "tamper_steal_expected",
                  "tamper_lying_output", "tamper_forged_records"]

warnings.filterwarnings("ignore", module="sqlalchemy")
warnings.filterwarnings("ignore", message=".*not in session.*")


@dataclass
class DemoAssignment:
    assignment: str
    course: Path
    cycle: CycleResult
    rows: list[ReportRow]
    wrong: dict[str, list[Mutant]]
    mutants: list[Mutant]
    deleted_cell: str | None
    checks: dict[str, NotebookChecks] = field(default_factory=dict)  # per notebook file
    seconds: float = 0.0
    #: per student, the cell scores of a second autograde of the same submission
    regraded: dict[str, dict[str, float]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def broken_students(self) -> list[str]:
        return [s for s in BROKEN if s in self.cycle.runs]

    def row(self, student: str) -> ReportRow:
        return next(r for r in self.rows if r.student == student)

    @property
    def mutant_outcomes(self) -> list[MutantOutcome]:
        return [o for c in self.checks.values() for o in c.mutants]

    @property
    def combos(self) -> dict[str, MutantOutcome]:
        return {k: v for c in self.checks.values() for k, v in c.combos.items()}

    @property
    def solution_runs(self) -> list[SolutionRun]:
        return [c.solution for c in self.checks.values() if c.solution is not None]

    @property
    def errors(self) -> list[str]:
        return [c.error for c in self.checks.values() if c.error]


@dataclass
class DemoClass:
    """The demo of every assignment, and of the toy course when it took the broken ones."""

    assignments: dict[str, DemoAssignment]
    toy: DemoAssignment | None
    seconds: float
    jobs: list[JobTime] = field(default_factory=list)  # which process ran what, when

    @property
    def graded(self) -> list[DemoAssignment]:
        """Every graded assignment, the toy one included."""
        return list(self.assignments.values()) + ([self.toy] if self.toy else [])


def prepare_course(repo: Path, course: Path) -> Path:
    """A scratch course dir: nbgrader_config.py, source/, release/ copied from the repo."""
    if course.exists():
        shutil.rmtree(course)
    course.mkdir(parents=True)
    shutil.copy2(repo / "nbgrader_config.py", course / "nbgrader_config.py")
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "gradebook.db")
    shutil.copytree(repo / "source", course / "source", ignore=ignore)
    if (repo / "release").exists():
        shutil.copytree(repo / "release", course / "release", ignore=ignore)
    return course


def build_submissions(course: Path, assignment: str, wrong: dict[str, list[Mutant]], *,
                      broken: bool) -> tuple[dict[str, dict[str, Any]], str | None]:
    """{student: {notebook file: notebook or raw text}} and the deleted test cell's id.
    The broken students (when ``broken``) break their first notebook only."""
    tamper = assignment == toy_course.ASSIGNMENT
    students = HONEST + list(wrong) + (BROKEN if broken else []) + (TAMPER if tamper else [])
    subs: dict[str, dict[str, Any]] = {s: {} for s in students}
    deleted = None
    for k, name in enumerate(notebook_names(course, assignment)):
        src = read_nb(course / "source" / assignment / name)
        rel = read_nb(course / "release" / assignment / name)
        sol = build_solution(src, rel)
        subs["solution"][name] = sol
        subs["blank"][name] = build_blank(rel)
        for s, ms in wrong.items():
            subs[s][name] = build_wrong(src, rel, ms, strict=False)
        if broken:
            for s in BROKEN:
                subs[s][name] = BROKEN_BUILDERS[s](src, rel) if k == 0 else sol
            if k == 0:
                deleted = build_deleted_test_cell(src, rel)[1]
        for t in TAMPER if tamper else ():
            subs[t][name] = TAMPER_BUILDERS[t](src, rel)
    return subs, deleted


# ---- the work: jobs that either of two processes can take -----------------------------
# Every job runs in a worker process of one pool (``workers`` of them, two by default: the
# machine's cores). The mutant harness is one job per notebook; grading is one job per
# assignment, each in its own copy of the generated course (its own gradebook: nbgrader's
# SQLite file never sees two writers, and no assignment's grading depends on another's).
# The longest jobs are queued first, so the two processes finish close together.

_progress_queue = None  # in a worker: where progress lines go (to the parent's callback)


def _init_worker(queue) -> None:
    global _progress_queue
    _progress_queue = queue


def _say(msg: str) -> None:
    if _progress_queue is not None:
        _progress_queue.put(msg)


def _timed(fn: Callable, *args, **kwargs) -> tuple[Any, float, float, int]:
    """fn(*args) in the worker, with its wall-clock start and end and the worker's pid."""
    import os
    t0 = time.time()
    out = fn(*args, **kwargs)
    return out, t0, time.time(), os.getpid()


def _generate(course: Path, names: list[str]) -> None:
    """The release (and the gradebook's cells) of every assignment, before anything reads
    them."""
    api = open_api(course)
    for a in names:
        _say(f"[{a}] generate_assignment")
        nbgrader_ok(api.generate_assignment(a, force=True), "generate_assignment")


def _harness(course: Path, assignment: str, name: str, mutants: list[Mutant],
             combos: dict[str, list[Mutant]]) -> NotebookChecks:
    """The mutant harness on one notebook of ``assignment``."""
    timeout = int(load_config(course).Execute.get("timeout", 30) or 30)
    _say(f"[{assignment}] mutant harness on {name}")
    return run_mutants(course / "source" / assignment / name, mutants, combos=combos,
                       timeout=timeout)


def _grade(course: Path, assignment: str, wrong, mutants, *, broken: bool,
           progress: Callable[[str], None] = _say) -> DemoAssignment:
    """One assignment's cycle on its demo class, in ``course`` (a course of its own)."""
    t0 = time.perf_counter()
    api = open_api(course)
    subs, deleted = build_submissions(course, assignment, wrong, broken=broken)
    cycle = run_cycle(course, assignment, subs, generate=False, progress=progress, api=api)
    rows = report(course, assignment, students=list(subs))
    progress(f"[{assignment}] graded in {time.perf_counter() - t0:.0f} s")
    return DemoAssignment(assignment, course, cycle, rows, wrong, mutants, deleted,
                          seconds=time.perf_counter() - t0)


def _grade_copy(generated: Path, course: Path, assignment: str, wrong, mutants, *,
                broken: bool) -> DemoAssignment:
    """:func:`_grade` in ``course``, a fresh copy of the generated course."""
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(generated, course,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return _grade(course, assignment, wrong, mutants, broken=broken)


def _grade_toy(root: Path) -> DemoAssignment:
    """The broken and attacking submissions, in the toy course (``make test``); then the
    honest ones and those whose attack is on the checks (the judge decides their score)
    autograded again, to show grading is deterministic. The sandbox's attackers score 0
    either way, and each costs a kernel start or a kill: not graded twice."""
    toy_dir = toy_course.make_toy_course(root)
    api = open_api(toy_dir)
    nbgrader_ok(api.generate_assignment(toy_course.ASSIGNMENT, force=True),
                "generate_assignment")
    d = _grade(toy_dir, toy_course.ASSIGNMENT, {}, [], broken=True)
    again = HONEST + [t for t in TAMPER if t in JUDGED_ATTACKS]
    for s in again:  # an attack that kills its kernel fails again: the report says so
        api.autograde(toy_course.ASSIGNMENT, s, force=True)
    d.regraded = {r.student: r.cell_scores
                  for r in report(toy_dir, toy_course.ASSIGNMENT, students=again)}
    return d


def _run_times(repo: Path) -> dict[str, float]:
    """Each notebook's measured run time with its solution, from docs/notebooks.md
    (``make docs``), in seconds by ``assignment/notebook.ipynb``."""
    import re
    path = repo / "docs" / "notebooks.md"
    text = path.read_text() if path.exists() else ""
    return {m[1]: float(m[2]) for m in re.finditer(r"^\| `([^`]+)` \| ([0-9.]+) s \|", text,
                                                   re.M)}


def _cost(course: Path, kind: str, assignment: str, name: str | None, mutants: list[Mutant],
          n_students: int, run_times: dict[str, float]) -> float:
    """A rough length of a job in seconds, only to queue the long ones first: a notebook's
    measured run time (15 s when not measured yet) plus ~5 s of nbgrader per student
    graded; the harness runs it once, then about a second per mutant of its cells."""
    names = [name] if name else notebook_names(course, assignment)
    cost = 0.0
    for n in names:
        seconds = run_times.get(f"{assignment}/{n}", 15.0)
        if kind == "grade":
            cost += n_students * (seconds + 5.0)
        else:
            cells = {grade_id(c) for c in read_nb(course / "source" / assignment / n).cells
                     if is_answer(c)}
            cost += seconds + sum(m.cell in cells for m in mutants)
    return cost


@dataclass
class JobTime:
    job: str
    pid: int
    start: float  # seconds since run_all started
    end: float


def run_all(workdir: Path, repo: Path = REPO, *, checks: bool = True, broken: str = "all",
            progress: Callable[[str], None] = print, workers: int = 2) -> DemoClass:
    """The whole demo for every assignment: the grading and the harness as jobs shared by
    ``workers`` processes (see above).

    ``broken``: where the broken submissions go -- ``"all"`` (every assignment, ``make
    grade``), ``"first"`` (the first assignment) or ``"toy"`` (the toy course only,
    ``make test``).
    """
    return start_all(workdir, repo, checks=checks, broken=broken, progress=progress,
                     workers=workers).result()


class DemoRun:
    """A :func:`run_all` under way in the background (:func:`start_all`); ``result()``
    waits for it and returns the :class:`DemoClass` (or raises what went wrong)."""

    def __init__(self, workdir: Path, repo: Path, *, checks: bool, broken: str,
                 progress: Callable[[str], None], workers: int):
        import threading
        self._args = (Path(workdir).resolve(), Path(repo), checks, broken, progress,
                      max(1, int(workers)))
        self._out: DemoClass | None = None
        self._exc: BaseException | None = None
        self.pool: ProcessPoolExecutor | None = None  # while the jobs run
        self.cancelled = False
        self._thread = threading.Thread(target=self._run, name="demo-class", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._out = _orchestrate(self, *self._args)
        except BaseException as exc:  # handed to result()
            self._exc = exc

    def done(self) -> bool:
        return not self._thread.is_alive()

    def cancel(self) -> None:
        """Stop handing out jobs and end the worker processes (the session ends early)."""
        self.cancelled = True
        pool = self.pool
        for proc in list(getattr(pool, "_processes", {}).values()) if pool else []:
            if proc.is_alive():
                proc.terminate()
        self._thread.join(timeout=30)

    def result(self) -> DemoClass:
        self._thread.join()
        if self._exc is not None:
            raise self._exc
        return self._out


def start_all(workdir: Path, repo: Path = REPO, *, checks: bool = True, broken: str = "all",
              progress: Callable[[str], None] = print, workers: int = 2) -> DemoRun:
    """:func:`run_all` in the background (its worker processes do the work; a thread of
    this process only hands out the jobs): the test suite starts it as soon as it is
    collected and runs the other tests meanwhile."""
    return DemoRun(workdir, repo, checks=checks, broken=broken, progress=progress,
                   workers=workers)


def _orchestrate(run: DemoRun, workdir: Path, repo: Path, checks: bool, broken: str,
                 progress: Callable[[str], None], workers: int) -> DemoClass:
    import threading
    from concurrent.futures import FIRST_COMPLETED, wait
    t_all, t_epoch = time.perf_counter(), time.time()
    course = prepare_course(repo, workdir / "course")
    names = assignments(course)
    plans = {}
    for a in names:
        mutants, spec = load_assignment(repo, a)
        plans[a] = (mutants, wrong_students(mutants, spec))
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()

    def drain():
        while (msg := queue.get()) is not None:
            progress(msg)
    drainer = threading.Thread(target=drain, name="demo-progress", daemon=True)
    drainer.start()

    # (cost, label, function, args, kwargs); the longest first
    harness_jobs, grade_jobs = [], []
    run_times = _run_times(repo)
    for a in names:
        mutants, wrong = plans[a]
        if checks:
            for name in notebook_names(course, a):
                harness_jobs.append((
                    _cost(course, "harness", a, name, mutants, 0, run_times),
                    f"harness {a}/{name}", _harness, (course, a, name, mutants, wrong), {}))
        hand_in_broken = broken == "all" or (broken == "first" and a == names[0])
        n_students = len(HONEST) + len(wrong) + (len(BROKEN) if hand_in_broken else 0)
        grade_jobs.append((
            _cost(course, "grade", a, None, [], n_students, run_times), f"grade {a}", _grade_copy,
            (course, workdir / "graded" / a, a, wrong, mutants),
            {"broken": hand_in_broken}))
    if broken == "toy":
        grade_jobs.append((0.0, f"grade {toy_course.ASSIGNMENT}", _grade_toy,
                           (workdir / "toy",), {}))
    times: list[JobTime] = []
    outputs: dict[str, Any] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                 initializer=_init_worker, initargs=(queue,)) as pool:
            run.pool = pool
            running = {}

            def submit(label, fn, args, kwargs):
                running[pool.submit(_timed, fn, *args, **kwargs)] = label

            # Longest first, never more jobs in the pool than workers (the order of this
            # list is the order work starts in). The grading needs the release, the harness
            # does not: one worker generates while the other starts the longest harness job.
            rest = sorted(harness_jobs + grade_jobs, key=lambda j: -j[0])
            submit("generate", _generate, (course, names), {})
            generated = False
            while not run.cancelled:
                while len(running) < workers:
                    job = next((j for j in rest if generated or j[2] is _harness), None)
                    if job is None:
                        break
                    rest.remove(job)
                    submit(*job[1:])
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    label = running.pop(fut)
                    out, t0, t1, pid = fut.result()
                    times.append(JobTime(label, pid, t0 - t_epoch, t1 - t_epoch))
                    outputs[label] = out
                    generated = generated or label == "generate"
    finally:
        queue.put(None)
        drainer.join()
    results = {a: outputs[f"grade {a}"] for a in names}
    for a in names:
        results[a].checks = {n: outputs[f"harness {a}/{n}"]
                             for n in notebook_names(course, a)} if checks else {}
    toy = outputs.get(f"grade {toy_course.ASSIGNMENT}")
    for d in results.values():
        d.problems = verify(d)
    if toy is not None:
        toy.problems = verify(toy)
    times.sort(key=lambda t: t.start)
    for t in times:
        progress(f"job {t.job}: {t.start:.0f}-{t.end:.0f} s ({t.end - t.start:.0f} s), "
                 f"process {t.pid}")
    return DemoClass(results, toy, time.perf_counter() - t_all, times)


def hidden_cells(course: Path, assignment: str) -> set[str]:
    """The grade ids of the test cells with hidden checks, in every notebook."""
    from deepgrad_instructor.cells import MARKERS, is_test
    return {grade_id(c) for n in notebook_names(course, assignment)
            for c in read_nb(course / "source" / assignment / n).cells
            if is_test(c) and MARKERS.has_hidden_tests(c)}


def verify(d: DemoAssignment) -> list[str]:
    """Why the grade of this demo could not be trusted (empty list: it can)."""
    p = []
    sol, blank = d.row("solution"), d.row("blank")
    if sol.auto_score != sol.auto_max or sol.broken:
        p.append(f"solution scored {sol.auto_score:g} / {sol.auto_max:g} ({sol.status_text})")
    if blank.auto_score != 0 or blank.broken:
        p.append(f"blank scored {blank.auto_score:g} (a check passes vacuously?)")
    combos = d.combos
    for s in d.wrong:
        r = d.row(s)
        if not 0 < r.auto_score < r.auto_max:
            p.append(f"{s} scored {r.auto_score:g} / {r.auto_max:g}, not in between")
        if s in combos:
            # cells of notebooks without the mutants score as the solution does
            want = {**sol.cell_scores, **{g: c.score for g, c in combos[s].scores.items()}}
            if want != r.cell_scores:
                diff = {g: (want.get(g), r.cell_scores.get(g))
                        for g in set(want) | set(r.cell_scores)
                        if want.get(g) != r.cell_scores.get(g)}
                p.append(f"{s}: per-cell scores differ from the harness (cell: predicted, "
                         f"graded) {diff}")
    for s in d.broken_students:
        if not d.row(s).broken:
            p.append(f"{s} is not flagged as broken ({d.row(s).status_text})")
    for s, scores in d.regraded.items():
        if scores != d.row(s).cell_scores:
            p.append(f"{s} scored differently when graded again: {d.row(s).cell_scores} "
                     f"then {scores}")
    for s in HONEST + list(d.wrong):  # an honest mistake is never taken for tampering
        if d.row(s).flags:
            p.append(f"{s} is flagged: {d.row(s).flags}")
    hidden = hidden_cells(d.course, d.assignment)
    for s in TAMPER:
        if s in d.cycle.runs:
            won = {g: v for g, v in d.row(s).cell_scores.items() if g in hidden and v > 0}
            if won:
                p.append(f"{s} scored points on cells with hidden checks: {won}")
    p.extend(d.errors)
    for run in d.solution_runs:
        p.extend(f"the solution of {run.notebook}: {x}" for x in run.problems)
    p.extend(f"mutant {o.name} ({o.cells[0]}) is caught by no test"
             for o in d.mutant_outcomes if not o.failed)
    return p
