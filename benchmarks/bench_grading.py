"""Grading a class: serial nbgrader against ``deepgrad grade`` on Dask (issue 13).

Run from the repository root: ``python -m benchmarks.bench_grading [--students 40]
[--assignment 01_logistic_regression] [--serial 10] [--workers 1,2]`` (not part of ``make
bench``: it takes ~15 minutes). A demo class of N students (the solution, the blank and
wrong answers, in turn) of one assignment, in a scratch course; then:

- serial: nbgrader's autograde of the first ``--serial`` students, one after another, as
  ``make grade`` does (per student: wall time);
- parallel: ``grade_parallel`` of all N on an embedded cluster of each worker count:
  wall time, students per minute, and per student the worker's time against the notebook's
  own run time in its kernel (nbclient's timing of each cell, from the first cell's start
  to the last cell's reply): the difference is the overhead (a kernel start in the sandbox,
  nbgrader's copy and sanitize pass, the coordinator's replay and judging);
- the solution's notebooks run from fresh sandboxed kernels with nbclient (the kernel's
  start included), the baseline a grading task is compared with;
- a simulated class of 1,000 students on a cluster of N workers, from those costs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def _kernel_seconds(text: str) -> float:
    """The executed notebook's run time in its kernel (nbclient's cell timing)."""
    nb = nbformat.reads(text, as_version=4)
    times = [c.metadata.get("execution", {}) for c in nb.cells if c.cell_type == "code"]
    starts = [t["iopub.execute_input"] for t in times if "iopub.execute_input" in t]
    ends = [t["shell.execute_reply"] for t in times if "shell.execute_reply" in t]
    if not starts or not ends:
        return float("nan")

    def ts(x):
        return datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp()
    return ts(max(ends)) - ts(min(starts))


def fresh_kernel_run(course: Path, assignment: str, student: str, rounds: int = 3) -> float:
    """The student's notebooks run top to bottom with nbclient, each in a fresh sandboxed
    kernel, as the student's own run would start (the kernel's start included; the hidden
    tests, which nbgrader restores when grading, not): median seconds of ``rounds``."""
    from nbclient import NotebookClient

    from deepgrad_instructor.sandbox import SandboxedKernelManager
    ts = []
    for _ in range(rounds):
        work = Path(tempfile.mkdtemp()) / assignment
        shutil.copytree(course / "submitted" / student / assignment, work)
        t = time.perf_counter()
        for path in sorted(work.glob("*.ipynb")):
            # the kernel ends as a grading kernel does (killed): a student's run never
            # waits for its kernel's exit
            NotebookClient(nbformat.read(str(path), 4), timeout=120, kernel_name="python3",
                           allow_errors=True, kernel_manager_class=SandboxedKernelManager,
                           shutdown_kernel="immediate",
                           resources={"metadata": {"path": str(work)}}).execute()
        ts.append(time.perf_counter() - t)
        shutil.rmtree(work.parent, ignore_errors=True)
    return statistics.median(ts)


def make_class(root: Path, assignment: str, n: int) -> tuple[Path, dict]:
    from authoring.demo import build_submissions, prepare_course
    from authoring.mutants import load_assignment, wrong_students
    from deepgrad_instructor.course import open_api
    from deepgrad_instructor.cycle import nbgrader_ok, write_submission
    course = prepare_course(REPO, root / "course")
    nbgrader_ok(open_api(course).generate_assignment(assignment, force=True), "generate")
    wrong = wrong_students(*load_assignment(REPO, assignment))
    subs, _ = build_submissions(course, assignment, wrong, broken=False)
    kinds = list(subs)
    students = {f"s{i:03d}_{kinds[i % len(kinds)]}"[:60]: subs[kinds[i % len(kinds)]]
                for i in range(n)}
    for s, nbs in students.items():
        write_submission(course, assignment, s, nbs)
    return course, students


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--assignment", default="01_logistic_regression")
    ap.add_argument("--serial", type=int, default=10)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    from deepgrad_instructor.course import open_api
    from deepgrad_instructor.expectations import ensure
    from deepgrad_instructor.course import notebook_names
    from deepgrad_instructor.parallel import grade_parallel
    root = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    base, students = make_class(root / "base", args.assignment, args.students)
    for name in notebook_names(base, args.assignment):
        ensure(base, args.assignment, name, timeout=60)
    print(f"{args.students} students of {args.assignment}; machine: "
          f"{__import__('os').cpu_count()} cores")
    solution = next(s for s in students if s.endswith("_solution"))
    fresh = fresh_kernel_run(base, args.assignment, solution)
    print(f"- the solution's notebooks run from fresh sandboxed kernels (kernel start "
          f"included, nbclient): median {fresh:.1f} s of 3", flush=True)
    serial = root / "serial"
    shutil.copytree(base, serial, symlinks=True)
    api = open_api(serial)
    ts = []
    for s in list(students)[:args.serial]:
        t = time.perf_counter()
        api.autograde(args.assignment, s, force=True, create=True)
        ts.append(time.perf_counter() - t)
    print(f"- serial nbgrader autograde: median {statistics.median(ts):.1f} s a student "
          f"({60 / statistics.median(ts):.1f} students per minute; {args.serial} students)")
    costs: dict[str, float] = {}
    for w in [int(x) for x in args.workers.split(",")]:
        course = root / f"w{w}"
        shutil.copytree(base, course, symlinks=True)
        t = time.perf_counter()
        r = grade_parallel(course, args.assignment, workers=w, progress=lambda m: None,
                           export=False)
        wall = time.perf_counter() - t
        ok = [e for e in r.executed.values() if e.notebooks]
        run = [sum(_kernel_seconds(x) for x in e.notebooks.values()) for e in ok]
        task = [e.seconds for e in ok]
        over = [a - b for a, b in zip(task, run)]
        coord = [r.runs[e.student].seconds - e.seconds for e in ok]
        print(f"- {w} worker(s): {wall:.0f} s wall for {len(r.runs)} students "
              f"({60 * len(r.runs) / wall:.1f} students per minute; grading alone "
              f"{r.seconds:.0f} s); per student: notebook in its kernel median "
              f"{statistics.median(run):.1f} s, worker task {statistics.median(task):.1f} s, "
              f"worker overhead {statistics.median(over):.2f} s "
              f"({100 * statistics.median(over) / statistics.median(run):.0f} %), coordinator "
              f"replay and judge {statistics.median(coord):.2f} s; failed "
              f"{sum(not x.success for x in r.runs.values())}", flush=True)
        print(f"  worker task against the fresh-kernel run: "
              f"{statistics.median(task) - fresh:+.2f} s "
              f"({100 * (statistics.median(task) - fresh) / fresh:+.0f} %)", flush=True)
        costs.setdefault("task", statistics.median(task))
        costs.setdefault("coordinator", statistics.median(coord))
    # from the first (fewest workers) run: a cluster's worker has its core to itself, and
    # the coordinator its own; here the 2-worker run shares two cores among three
    print("simulated class of 1,000 students (costs of the first run: worker task "
          f"{costs['task']:.1f} s, coordinator {costs['coordinator']:.2f} s a student; the "
          "workers in parallel, the coordinator one student after another):")
    for n in (1, 2, 8, 16, 32, 128):
        t = max(1000 * costs["task"] / n, 1000 * costs["coordinator"])
        bound = "coordinator" if 1000 * costs["coordinator"] >= 1000 * costs["task"] / n \
            else "workers"
        print(f"  {n:4d} workers: {t / 60:5.1f} min ({bound})")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
