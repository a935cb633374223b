"""Every plausible mistake must cost points, and every answer cell must be probed.

The harness run is shared with tests/pipeline (the session fixture ``demo`` runs it once,
on its own process, beside the grading cycle).
"""

from pathlib import Path

import pytest

from deepgrad import grading

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "mutants.md"
WITH_MUTANTS = [a for a in grading.assignments(REPO)
                if (REPO / "tests" / "mutants" / f"{a}.py").exists()]
MIN_MUTANTS = 3


def _mutants(a):
    return grading.load_mutants(REPO / "tests" / "mutants" / f"{a}.py")


def _answer_cells(a):
    """grade_id of every code answer cell (the cells a student's code goes in)."""
    ids = {}
    for nb in grading.notebook_names(REPO, a):
        src = grading.read_nb(REPO / "source" / a / nb)
        for c in src.cells:
            if grading.is_answer(c) and c.cell_type == "code":
                ids[grading.grade_id(c)] = nb
    return ids


def test_every_assignment_has_mutants():
    missing = [a for a in grading.assignments(REPO) if a not in WITH_MUTANTS]
    assert not missing, f"no tests/mutants/<assignment>.py for {missing}"


@pytest.mark.parametrize("assignment", WITH_MUTANTS)
def test_every_mutant_applies_exactly_once(assignment):
    cells = _answer_cells(assignment)
    problems = []
    for m in _mutants(assignment):
        if m.cell not in cells:
            problems.append(f"{m.name}: no code answer cell {m.cell!r}")
            continue
        sol = grading.solution_notebook(grading.read_nb(REPO / "source" / assignment
                                                        / cells[m.cell]))
        try:
            grading.apply_mutants(sol, [m])
        except grading.MutantError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", WITH_MUTANTS)
def test_every_answer_cell_has_enough_mutants(assignment):
    counts = {g: 0 for g in _answer_cells(assignment)}
    for m in _mutants(assignment):
        counts[m.cell] = counts.get(m.cell, 0) + 1
    few = {g: n for g, n in counts.items() if n < MIN_MUTANTS}
    assert not few, f"answer cells with fewer than {MIN_MUTANTS} mutants: {few}"


def test_every_mutant_loses_points(demo):
    problems = []
    for a in WITH_MUTANTS:
        checks = demo[a].checks
        assert not checks["errors"], checks["errors"]
        outcomes = {o.name: o for o in checks["mutants"]}
        for m in _mutants(a):
            o = outcomes.get(m.name)
            if o is None:
                problems.append(f"{a}: mutant {m.name} was not run")
            elif not o.failed or o.points_lost <= 0:
                problems.append(f"{a}: mutant {m.name} ({m.cell}: {m.hint}) is caught by no "
                                "graded test cell")
    assert not problems, "\n".join(problems)


def test_docs_mutants_md_is_up_to_date(demo):
    tables = {a: demo[a].checks["mutants"] for a in WITH_MUTANTS}
    want = grading.mutants_markdown(tables) + "\n"
    assert DOC.exists() and DOC.read_text() == want, (
        "docs/mutants.md is out of date: run `python tests/mutants/update_doc.py`")
