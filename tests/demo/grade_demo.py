"""The instructor's grading cycle on demo submissions: ``make grade``.

For every assignment in source/: a scratch copy of the course (``.demo/course``, gitignored;
its own gradebook) gets the release regenerated, a demo class hands in -- ``solution``,
``blank``, ``wrong_*`` (built from the mutants in tests/mutants/, see students.py) and the
broken ``deleted_test_cell``, ``corrupted``, ``dead_kernel``, ``infinite_loop`` --, and
nbgrader autogrades them, generates feedback and exports grades. Meanwhile, on the other
core, the source notebooks are validated and the mutant harness predicts each wrong
student's score. The report table follows; a CSV lands in ``.demo/report.csv``.

Exit status 1 when the grade cannot be trusted (solution not 100 %, blank not 0, a wrong
student not scored as predicted, a broken submission not flagged).
Options: ``--workdir DIR`` (default .demo), ``--no-checks`` (skip validation + harness),
``--broken first`` (broken submissions for the first assignment only, as ``make test`` does).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import shutil
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import students  # noqa: E402

from deepgrad import grading  # noqa: E402
from deepgrad.grading import Mutant  # noqa: E402

warnings.filterwarnings("ignore", module="sqlalchemy")
warnings.filterwarnings("ignore", message=".*not in session.*")


def mutants_file(repo: Path, assignment: str) -> Path:
    return repo / "tests" / "mutants" / f"{assignment}.py"


def load_mutants(repo: Path, assignment: str) -> list[Mutant]:
    path = mutants_file(repo, assignment)
    return grading.load_mutants(path) if path.exists() else []


def wrong_students(assignment: str, mutants: list[Mutant]) -> dict[str, list[Mutant]]:
    """students.WRONG for this assignment (by mutant name), or two automatic ones."""
    by_name = {m.name: m for m in mutants}
    spec = students.WRONG.get(assignment) or {}
    if spec:
        missing = sorted({n for names in spec.values() for n in names} - set(by_name))
        if missing:
            raise grading.MutantError(
                f"tests/demo/students.py: {assignment} uses mutants {missing} "
                f"that tests/mutants/{assignment}.py does not define")
        return {s: [by_name[n] for n in names] for s, names in spec.items()}
    if not mutants:
        return {}
    first = mutants[0]
    other = next((m for m in mutants if m.cell != first.cell), None)
    out = {f"wrong_{first.name}": [first]}
    if other is not None:
        out[f"wrong_{first.name}_{other.name}"] = [first, other]
    return out


def prepare_course(repo: Path, workdir: Path) -> Path:
    """A scratch course dir: nbgrader_config.py, source/, release/ copied from the repo."""
    course = workdir / "course"
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
                      broken: bool = True):
    """{student: {notebook file: notebook or raw text}} and the deleted test cell's id
    (the broken students only when ``broken``)."""
    broken_students = students.BROKEN if broken else []
    subs: dict[str, dict[str, Any]] = {s: {} for s in
                                       students.HONEST + list(wrong) + broken_students}
    deleted = None
    for k, name in enumerate(grading.notebook_names(course, assignment)):
        src = grading.read_nb(course / "source" / assignment / name)
        rel = grading.read_nb(course / "release" / assignment / name)
        sol = grading.build_solution(src, rel)
        subs["solution"][name] = sol
        subs["blank"][name] = grading.build_blank(rel)
        for s, ms in wrong.items():
            subs[s][name] = grading.build_wrong(src, rel, ms, strict=False)
        broken_here = k == 0  # break the first notebook only
        builders = {
            "deleted_test_cell": lambda: grading.build_deleted_test_cell(src, rel)[0],
            "corrupted": lambda: grading.build_corrupted(src, rel),
            "dead_kernel": lambda: grading.build_dead_kernel(src, rel),
            "infinite_loop": lambda: grading.build_infinite_loop(src, rel),
        }
        for s in broken_students:
            subs[s][name] = builders[s]() if broken_here else sol
        if broken_here and broken:
            deleted = grading.build_deleted_test_cell(src, rel)[1]
    return subs, deleted


@dataclass
class DemoAssignment:
    assignment: str
    course: Path
    cycle: grading.CycleResult
    rows: list[grading.ReportRow]
    wrong: dict[str, list[Mutant]]
    mutants: list[Mutant]
    deleted_cell: str | None
    checks: dict | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def broken_students(self) -> list[str]:
        return [s for s in students.BROKEN if s in self.cycle.runs]

    def row(self, student: str) -> grading.ReportRow:
        return next(r for r in self.rows if r.student == student)


def run_all(workdir: Path, repo: Path = REPO, *, checks: bool = True, broken: str = "all",
            progress=print) -> dict[str, DemoAssignment]:
    """The whole demo for every assignment; validation + harness overlap on a 2nd process.

    ``broken="first"`` hands in the broken submissions for the first assignment only (they
    exercise the pipeline, not an assignment's content: ``make test`` saves the minutes
    their timeouts and full runs cost); ``"all"`` (``make grade``) for every assignment.
    """
    workdir = Path(workdir).resolve()
    course = prepare_course(repo, workdir)
    names = grading.assignments(course)
    api = grading.open_api(course)
    for a in names:  # the release (and the gradebook's cells) before anything reads them
        progress(f"[{a}] generate_assignment")
        grading._check(api.generate_assignment(a, force=True), "generate_assignment")
    plans = {}
    for a in names:
        mutants = load_mutants(repo, a)
        plans[a] = (mutants, wrong_students(a, mutants))
    results: dict[str, DemoAssignment] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        futures = {a: pool.submit(grading.instructor_checks, course, a, plans[a][0],
                                  plans[a][1]) for a in names} if checks else {}
        for a in names:
            t0 = time.perf_counter()
            mutants, wrong = plans[a]
            subs, deleted = build_submissions(course, a, wrong,
                                              broken=broken == "all" or a == names[0])
            cycle = grading.run_cycle(course, a, subs, generate=False, progress=progress,
                                      api=api)
            rows = grading.report(course, a, students=list(subs))
            results[a] = DemoAssignment(a, course, cycle, rows, wrong, mutants, deleted,
                                        seconds=time.perf_counter() - t0)
        for a, fut in futures.items():
            progress(f"[{a}] waiting for validation and the mutant harness")
            results[a].checks = fut.result()
    for d in results.values():
        d.problems = verify(d)
    return results


def verify(d: DemoAssignment) -> list[str]:
    """Why the grade of this demo could not be trusted (empty list: it can)."""
    p = []
    sol, blank = d.row("solution"), d.row("blank")
    if sol.auto_score != sol.auto_max or sol.broken:
        p.append(f"solution scored {sol.auto_score:g} / {sol.auto_max:g} ({sol.status_text})")
    if blank.auto_score != 0 or blank.broken:
        p.append(f"blank scored {blank.auto_score:g} (a check passes vacuously?)")
    for s in d.wrong:
        r = d.row(s)
        if not 0 < r.auto_score < r.auto_max:
            p.append(f"{s} scored {r.auto_score:g} / {r.auto_max:g}, not in between")
        if d.checks and s in d.checks["combos"]:
            exp = d.checks["combos"][s]
            # cells of notebooks without the mutants score as the solution does
            want = {**sol.cell_scores, **{g: c.score for g, c in exp.scores.items()}}
            if want != r.cell_scores:
                diff = {g: (want.get(g), r.cell_scores.get(g))
                        for g in set(want) | set(r.cell_scores)
                        if want.get(g) != r.cell_scores.get(g)}
                p.append(f"{s}: per-cell scores differ from the harness (cell: predicted, "
                         f"graded) {diff}")
    for s in d.broken_students:
        if not d.row(s).broken:
            p.append(f"{s} is not flagged as broken ({d.row(s).status_text})")
    if d.checks:
        p.extend(d.checks["errors"])
        for nb, res in d.checks["validate_source"].items():
            if res:
                p.append(f"source {nb} does not validate: {sorted(res)}")
        for nb, res in d.checks["validate_blank"].items():
            if not res.get("failed"):
                p.append(f"the blank release {nb} passes validation")
        for o in d.checks["mutants"]:
            if not o.failed:
                p.append(f"mutant {o.name} ({o.cells[0]}) is caught by no test")
    return p


def write_csv(results: dict[str, DemoAssignment], path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["assignment", "student", "auto_score", "auto_max", "percent", "score",
                    "max_score", "manual_pending", "broken", "status"])
        for a, d in results.items():
            for r in d.rows:
                w.writerow([a, r.student, f"{r.auto_score:g}", f"{r.auto_max:g}",
                            f"{r.percent:.1f}", f"{r.score:g}", f"{r.max_score:g}",
                            f"{r.manual_pending:g}", "yes" if r.broken else "no",
                            r.status_text])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=REPO / ".demo")
    ap.add_argument("--no-checks", action="store_true")
    ap.add_argument("--broken", choices=["all", "first"], default="all",
                    help="hand in the broken submissions for every assignment (default) or "
                         "the first only")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results = run_all(args.workdir, checks=not args.no_checks, broken=args.broken,
                      progress=lambda m: print(m, flush=True))
    ok = True
    for a, d in results.items():
        print()
        print(grading.format_report(d.rows, title=f"== {a} =="))
        for s, ms in d.wrong.items():
            exp = d.checks["combos"].get(s) if d.checks else None
            pred = (f"; harness predicts -{exp.points_lost:g} ({', '.join(exp.failed)})"
                    if exp else "")
            print(f"  {s}: mutants {', '.join(m.name for m in ms)}{pred}")
        if d.checks:
            print(f"  mutants: {len(d.checks['mutants'])}, all caught: "
                  f"{all(o.failed for o in d.checks['mutants'])}")
        for p in d.problems:
            print(f"  PROBLEM: {p}")
        ok = ok and not d.problems
    csv_path = args.workdir.resolve() / "report.csv"
    write_csv(results, csv_path)
    print(f"\nreport: {csv_path}; feedback: {args.workdir}/course/feedback/; "
          f"{time.perf_counter() - t0:.0f} s")
    print("the grade can be trusted" if ok else "THE GRADE CANNOT BE TRUSTED (see PROBLEM)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
