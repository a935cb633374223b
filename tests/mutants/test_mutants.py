"""Every plausible mistake must cost points, and every answer cell must be probed.

The harness run is shared with tests/pipeline (the session fixture ``demo_class`` runs it
once, one job per notebook, on the two worker processes that also grade the demo class).
"""

from pathlib import Path

import pytest

from authoring.docs import MUTANTS_DOC, mutants_markdown
from authoring.hints import declared_hints, shown_by
from authoring.mutants import MutantError, apply_mutants, load_assignment
from authoring.submissions import solution_notebook
from deepgrad_instructor.cells import grade_id, is_answer
from deepgrad_instructor.course import assignments, notebook_names, read_nb

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = assignments(REPO)
MIN_MUTANTS = 3


def _answer_cells(a):
    """grade_id of every code answer cell (the cells a student's code goes in) -> notebook."""
    return {grade_id(c): nb for nb in notebook_names(REPO, a)
            for c in read_nb(REPO / "source" / a / nb).cells
            if is_answer(c) and c.cell_type == "code"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mutant_applies_exactly_once(assignment):
    cells = _answer_cells(assignment)
    problems = []
    for m in load_assignment(REPO, assignment)[0]:
        if m.cell not in cells:
            problems.append(f"{m.name}: no code answer cell {m.cell!r}")
            continue
        sol = solution_notebook(read_nb(REPO / "source" / assignment / cells[m.cell]))
        try:
            apply_mutants(sol, [m])
        except MutantError as exc:
            problems.append(str(exc))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_answer_cell_has_enough_mutants(assignment):
    counts = {g: 0 for g in _answer_cells(assignment)}
    for m in load_assignment(REPO, assignment)[0]:
        counts[m.cell] = counts.get(m.cell, 0) + 1
    few = {g: n for g, n in counts.items() if n < MIN_MUTANTS}
    assert not few, f"answer cells with fewer than {MIN_MUTANTS} mutants: {few}"


def test_every_mutant_loses_points(demo_class):
    problems = []
    for a, d in demo_class.assignments.items():
        assert not d.errors, d.errors
        outcomes = {o.name: o for o in d.mutant_outcomes}
        for m in d.mutants:
            o = outcomes.get(m.name)
            if o is None:
                problems.append(f"{a}: mutant {m.name} was not run")
            elif not o.failed or o.points_lost <= 0:
                problems.append(f"{a}: mutant {m.name} ({m.cell}: {m.hint}) is caught by no "
                                "graded test cell")
    assert not problems, "\n".join(problems)


def test_docs_mutants_md_is_up_to_date(demo_class):
    want = mutants_markdown({a: d.mutant_outcomes for a, d in demo_class.assignments.items()})
    doc = REPO / MUTANTS_DOC
    assert doc.exists() and doc.read_text() == want, (
        f"{MUTANTS_DOC} is out of date: run `make docs` (python -m authoring docs)")


NAMED_FLOOR = 0.80


def test_most_mutants_get_a_message_that_names_the_mistake(demo_class):
    # The first failure a student sees should say what they did wrong (a hint, or a
    # problem such as "modified its input in place"), not only "values differ" or a shape.
    rows, named, total = [], 0, 0
    for a, d in demo_class.assignments.items():
        outcomes = d.mutant_outcomes
        n = sum(o.named for o in outcomes)
        named, total = named + n, total + len(outcomes)
        rows.append(f"{a}: {n} of {len(outcomes)} named ({100 * n / len(outcomes):.0f} %)")
    rate = named / total
    print("\n" + "\n".join(rows) + f"\nall: {named} of {total} named ({100 * rate:.0f} %)")
    assert rate >= NAMED_FLOOR, "\n".join(rows) + (
        f"\nonly {100 * rate:.0f} % of the mutants get a message that names the mistake "
        f"(at least {100 * NAMED_FLOOR:.0f} %): the UNNAMED ones in `python -m authoring "
        "mutants <notebook>` need a check.Mistake")


def test_every_declared_hint_is_shown_by_some_mistake(demo_class):
    # A hint no mutant triggers is wrong (its value is not what the mistake gives) or
    # unreachable (an earlier check of the same cell always fails first).
    problems = []
    for a, d in demo_class.assignments.items():
        for nb in notebook_names(REPO, a):
            outcomes = d.checks[nb].mutants
            for hint in declared_hints(read_nb(REPO / "source" / a / nb)):
                if not shown_by(hint, outcomes):
                    problems.append(f"{a}/{nb}, {hint.cell}: {hint.text[:120]!r}")
    assert not problems, (f"{len(problems)} hint(s) that no mutant shows (write the mutant "
                          "that makes it show, or fix the hint):\n" + "\n".join(problems))
