"""The demo class, graded by the real nbgrader cycle: can the instructor trust the grade?

For every assignment in ``source/``: a scratch copy of the course (its own gradebook) gets
the release regenerated, a demo class hands in -- ``solution``, ``blank``, ``wrong_*``
(built from the mutants, :mod:`.mutants`) and the broken ``deleted_test_cell``,
``corrupted``, ``dead_kernel``, ``infinite_loop`` -- and nbgrader autogrades them,
generates feedback and exports grades. Meanwhile, on a second process, the mutant harness
runs every source notebook once with its solution (does it pass, how long, how much
memory), tries every mutant and predicts each wrong student's score.

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

from deepgrad_instructor.course import assignments, load_config, notebook_names, open_api, read_nb
from deepgrad_instructor.cycle import CycleResult, nbgrader_ok, run_cycle
from deepgrad_instructor.report import ReportRow, report

from . import toy_course
from .harness import MutantOutcome, NotebookChecks, SolutionRun, run_mutants
from .mutants import Mutant, load_assignment, wrong_students
from .submissions import BROKEN_BUILDERS, build_blank, build_deleted_test_cell, \
    build_solution, build_wrong

__all__ = ["HONEST", "BROKEN", "DemoAssignment", "DemoClass", "run_all", "verify",
           "REPO"]

REPO = Path(__file__).resolve().parents[1]
HONEST = ["solution", "blank"]
BROKEN = list(BROKEN_BUILDERS)

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
    students = HONEST + list(wrong) + (BROKEN if broken else [])
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
    return subs, deleted


def _checks(course: Path, assignment: str, mutants: list[Mutant],
            combos: dict[str, list[Mutant]]) -> dict[str, NotebookChecks]:
    """The harness on every notebook of ``assignment`` (runs on the second process)."""
    timeout = int(load_config(course).Execute.get("timeout", 30) or 30)
    return {name: run_mutants(course / "source" / assignment / name, mutants, combos=combos,
                              timeout=timeout)
            for name in notebook_names(course, assignment)}


def _grade(course: Path, assignment: str, wrong, mutants, *, broken: bool, api,
           progress) -> DemoAssignment:
    t0 = time.perf_counter()
    subs, deleted = build_submissions(course, assignment, wrong, broken=broken)
    cycle = run_cycle(course, assignment, subs, generate=False, progress=progress, api=api)
    rows = report(course, assignment, students=list(subs))
    return DemoAssignment(assignment, course, cycle, rows, wrong, mutants, deleted,
                          seconds=time.perf_counter() - t0)


def run_all(workdir: Path, repo: Path = REPO, *, checks: bool = True, broken: str = "all",
            progress: Callable[[str], None] = print) -> DemoClass:
    """The whole demo for every assignment; the harness overlaps on a second process.

    ``broken``: where the broken submissions go -- ``"all"`` (every assignment, ``make
    grade``), ``"first"`` (the first assignment) or ``"toy"`` (the toy course only,
    ``make test``).
    """
    t_all = time.perf_counter()
    workdir = Path(workdir).resolve()
    course = prepare_course(repo, workdir / "course")
    names = assignments(course)
    api = open_api(course)
    for a in names:  # the release (and the gradebook's cells) before anything reads them
        progress(f"[{a}] generate_assignment")
        nbgrader_ok(api.generate_assignment(a, force=True), "generate_assignment")
    plans = {}
    for a in names:
        mutants, spec = load_assignment(repo, a)
        plans[a] = (mutants, wrong_students(mutants, spec))
    results: dict[str, DemoAssignment] = {}
    toy = None
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        futures = {a: pool.submit(_checks, course, a, *plans[a]) for a in names} \
            if checks else {}
        if broken == "toy":
            toy_dir = toy_course.make_toy_course(workdir / "toy")
            toy_api = open_api(toy_dir)
            nbgrader_ok(toy_api.generate_assignment(toy_course.ASSIGNMENT, force=True),
                        "generate_assignment")
            toy = _grade(toy_dir, toy_course.ASSIGNMENT, {}, [], broken=True, api=toy_api,
                         progress=progress)
        for a in names:
            hand_in_broken = broken == "all" or (broken == "first" and a == names[0])
            results[a] = _grade(course, a, plans[a][1], plans[a][0], broken=hand_in_broken,
                                api=api, progress=progress)
        for a, fut in futures.items():
            progress(f"[{a}] waiting for the mutant harness")
            results[a].checks = fut.result()
    for d in results.values():
        d.problems = verify(d)
    if toy is not None:
        toy.problems = verify(toy)
    return DemoClass(results, toy, time.perf_counter() - t_all)


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
    p.extend(d.errors)
    for run in d.solution_runs:
        p.extend(f"the solution of {run.notebook}: {x}" for x in run.problems)
    p.extend(f"mutant {o.name} ({o.cells[0]}) is caught by no test"
             for o in d.mutant_outcomes if not o.failed)
    return p
