"""``python -m authoring demo|docs`` (from the repository root).

    demo [--broken all|first|toy] [--workdir DIR] [--no-checks]
        the instructor's cycle on the demo class, with the report (``make grade``);
        exit status 1 when the grade cannot be trusted
    mutants NOTEBOOK [--cell GRADE_ID ...]
        run the harness on one source notebook and print, for each mutant, the tests that
        catch it and the first message the student would see (is the mistake named?)
    docs [--readme-only]
        regenerate the README's list of notebooks, and (running the mutant harness on every
        notebook, a few minutes) docs/mutants.md and docs/notebooks.md
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .demo import REPO


def _demo(args) -> int:
    from deepgrad_instructor.report import format_report, write_report_csv
    from .demo import run_all
    t0 = time.perf_counter()
    demo = run_all(args.workdir, checks=not args.no_checks, broken=args.broken,
                   progress=lambda m: print(m, flush=True))
    ok = True
    for d in demo.graded:
        print()
        print(format_report(d.rows, title=f"== {d.assignment} =="))
        combos = d.combos
        for s, ms in d.wrong.items():
            exp = combos.get(s)
            pred = (f"; harness predicts -{exp.points_lost:g} ({', '.join(exp.failed)})"
                    if exp else "")
            print(f"  {s}: mutants {', '.join(m.name for m in ms)}{pred}")
        if d.checks:
            outcomes = d.mutant_outcomes
            print(f"  mutants: {len(outcomes)}, all caught: {all(o.failed for o in outcomes)}")
        for p in d.problems:
            print(f"  PROBLEM: {p}")
        ok = ok and not d.problems
    csv_path = Path(args.workdir).resolve() / "report.csv"
    write_report_csv({d.assignment: d.rows for d in demo.graded}, csv_path)
    print(f"\nreport: {csv_path}; feedback: {args.workdir}/graded/<assignment>/feedback/; "
          f"{time.perf_counter() - t0:.0f} s")
    print("the grade can be trusted" if ok else "THE GRADE CANNOT BE TRUSTED (see PROBLEM)")
    return 0 if ok else 1


def _docs(args) -> int:
    from .docs import harness_all, update_readme, write
    print("README.md: " + ("up to date" if update_readme(REPO) else "list of notebooks updated"))
    if not args.readme_only:
        for path in write(REPO, harness_all(REPO)):
            print(f"wrote {path.relative_to(REPO)}")
    return 0


def _mutants(args) -> int:
    from deepgrad_instructor.course import load_config
    from .harness import run_mutants
    from .mutants import load_assignment
    path = Path(args.notebook).resolve()
    mutants, _ = load_assignment(REPO, path.parent.name)
    if args.cell:
        mutants = [m for m in mutants if m.cell in args.cell]
    timeout = int(load_config(REPO).Execute.get("timeout", 30) or 30)
    checks = run_mutants(path, mutants, timeout=timeout)
    if checks.error:
        print(f"ERROR: {checks.error}")
        return 1
    for o in checks.mutants:
        first = o.first_failure
        print(f"\n{'NAMED  ' if o.named else 'UNNAMED'} {o.cells[0]} / {o.name}: {o.hint}")
        print(f"  caught by: {', '.join(o.failed) or 'NOTHING'}")
        if first is not None:
            lines = first.error.splitlines()
            shown = lines[:1] + [ln for ln in lines[1:] if ln.startswith(("  - ", "Hint: "))]
            print("  first failure, " + first.grade_id + ":\n    " + "\n    ".join(shown))
    named = sum(o.named for o in checks.mutants)
    print(f"\n{named} of {len(checks.mutants)} mutants named "
          f"({100 * named / max(1, len(checks.mutants)):.0f} %)")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m authoring", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    demo = sub.add_parser("demo", help="grade the demo class (make grade)")
    demo.add_argument("--workdir", type=Path, default=REPO / ".demo")
    demo.add_argument("--no-checks", action="store_true", help="skip the mutant harness")
    demo.add_argument("--broken", choices=["all", "first", "toy"], default="all",
                      help="where the broken submissions are handed in")
    demo.set_defaults(run=_demo)
    mut = sub.add_parser("mutants", help="the harness on one notebook, with messages")
    mut.add_argument("notebook", type=Path, help="source/<assignment>/<notebook>.ipynb")
    mut.add_argument("--cell", action="append", help="only mutants of this answer cell")
    mut.set_defaults(run=_mutants)
    docs = sub.add_parser("docs", help="regenerate the generated tables (README, docs/)")
    docs.add_argument("--readme-only", action="store_true",
                      help="only the README's list of notebooks (no harness run)")
    docs.set_defaults(run=_docs)
    args = ap.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
