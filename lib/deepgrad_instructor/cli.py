"""The ``deepgrad`` command: the instructor's tools, one subcommand each.

    deepgrad release [--check]          regenerate release/ from source/ (or check it)
    deepgrad report ASSIGNMENT [--csv]  scores with a status column (broken submissions)
    deepgrad expectations [ASSIGNMENT]  make the judge's expected values now (autograde
                                        makes them on first use otherwise)
    deepgrad grade ASSIGNMENT [--workers N | --scheduler ADDRESS] [STUDENT ...]
                                        autograde the submitted notebooks in parallel on
                                        Dask, then the report

Every subcommand finds the course directory (``nbgrader_config.py`` beside ``source/``) at or
above the current directory, or takes ``--course DIR``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _release(args) -> int:
    from .course import find_course
    from .release import regenerate, stale
    course = find_course(args.course)
    if args.check:
        diffs = stale(course)
        if diffs:
            print("release/ is stale; run `make release` and commit. Differs:\n  "
                  + "\n  ".join(diffs))
            return 1
        print("release/ is up to date")
        return 0
    regenerate(course, args.out)
    return 0


def _report(args) -> int:
    from .course import find_course
    from .report import format_report, report, write_report_csv
    course = find_course(args.course)
    rows = report(course, args.assignment)
    print(format_report(rows, title=f"== {args.assignment} =="))
    dest = args.csv or course / f"report_{args.assignment}.csv"
    write_report_csv({args.assignment: rows}, dest)
    print(f"CSV: {dest}")
    broken = [r.student for r in rows if r.broken]
    if broken:
        print(f"{len(broken)} submission(s) need a look before the grades go out: "
              + ", ".join(broken))
    return 0


def _expectations(args) -> int:
    from .course import assignments, find_course, load_config, notebook_names
    from .expectations import ensure, expectations_path
    course = find_course(args.course)
    timeout = int(load_config(course).Execute.get("timeout", 60) or 60)
    for a in args.assignment or assignments(course):
        for name in notebook_names(course, a):
            e = ensure(course, a, name, timeout=timeout)
            path = expectations_path(course, a, name)
            checks = sum(len(c.checks) for c in e.cells.values())
            print(f"{a}/{name}: {len(e.cells)} test cells, {checks} checks "
                  f"({path.stat().st_size // 1024} KB, the solution ran in {e.seconds:.0f} s)")
    return 0


def _grade(args) -> int:
    from .course import find_course
    from .parallel import grade_parallel
    course = find_course(args.course)
    r = grade_parallel(course, args.assignment, args.students or None,
                       scheduler=args.scheduler, workers=args.workers)
    print(f"{len(r.runs)} students graded in {r.seconds:.0f} s on {r.workers} workers "
          f"({60 * len(r.runs) / max(r.seconds, 1e-9):.1f} students per minute)")
    args.csv = None
    return _report(args)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="deepgrad", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    rel = sub.add_parser("release", help="regenerate release/ from source/")
    rel.add_argument("--course", type=Path, default=None)
    rel.add_argument("--out", type=Path, default=None, help="write the release there")
    rel.add_argument("--check", action="store_true",
                     help="exit 1 if release/ differs from a fresh generation")
    rel.set_defaults(run=_release)
    rp = sub.add_parser("report", help="score table with a status column, and a CSV")
    rp.add_argument("assignment")
    rp.add_argument("--course", type=Path, default=None)
    rp.add_argument("--csv", type=Path, default=None,
                    help="default: <course>/report_<assignment>.csv")
    rp.set_defaults(run=_report)
    ex = sub.add_parser("expectations",
                        help="run the solutions and keep their check records for the judge")
    ex.add_argument("assignment", nargs="*", help="default: every assignment")
    ex.add_argument("--course", type=Path, default=None)
    ex.set_defaults(run=_expectations)
    gr = sub.add_parser("grade", help="autograde an assignment's submissions in parallel "
                        "(Dask), then the report")
    gr.add_argument("assignment")
    gr.add_argument("students", nargs="*", help="default: every submitted/<student>/ASSIGNMENT")
    gr.add_argument("--course", type=Path, default=None)
    gr.add_argument("--workers", type=int, default=None,
                    help="worker processes of the embedded cluster (default: one per core)")
    gr.add_argument("--scheduler", default=None,
                    help="address of an existing Dask scheduler (e.g. tcp://host:8786)")
    gr.set_defaults(run=_grade)
    args = ap.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
