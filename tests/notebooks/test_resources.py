"""Each source notebook, run with its solution, stays within a student's kernel budget.

A common per-student JupyterHub limit is 1 GB: the kernel's peak resident memory must stay
under it. The run is the mutant harness's one run of each notebook (the session fixture
``demo_class``); its time is written to docs/notebooks.md by ``make docs``, never asserted:
speed is measured, not tested.
"""

from __future__ import annotations

from pathlib import Path

from authoring.docs import NOTEBOOKS_DOC

REPO = Path(__file__).resolve().parents[2]
PEAK_LIMIT_MB = 1024


def test_solution_notebooks_fit_a_student_kernel(demo_class):
    runs = [(a, r) for a, d in demo_class.assignments.items() for r in d.solution_runs]
    assert len(runs) == len(list((REPO / "source").glob("*/*.ipynb")))
    for a, r in runs:
        print(f"\n{a}/{r.notebook}: ran in {r.seconds:.1f} s, kernel peak {r.peak_mb:.0f} MB,"
              f" longest cell {r.longest_cell!r} {r.longest_seconds:.1f} s")
    over = [f"{a}/{r.notebook}: the kernel peaked at {r.peak_mb:.0f} MB" for a, r in runs
            if not r.peak_mb < PEAK_LIMIT_MB]
    assert not over, f"over the {PEAK_LIMIT_MB} MB a student's kernel may have: {over}"


def test_docs_notebooks_md_lists_every_notebook():
    text = (REPO / NOTEBOOKS_DOC).read_text()
    missing = [f"{p.parent.name}/{p.name}" for p in sorted((REPO / "source").glob("*/*.ipynb"))
               if f"`{p.parent.name}/{p.name}`" not in text]
    assert not missing, f"{NOTEBOOKS_DOC} does not list {missing}: run `make docs`"
