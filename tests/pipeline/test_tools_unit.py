"""Pieces of the instructor tooling and the authoring checks that need no kernel (fast)."""

from pathlib import Path

import nbformat
import pytest

from authoring.docs import update_readme
from authoring.harness import MutantHarness, defined_names, late_bound, used_names
from authoring.leaks import public_lines, secret_lines
from authoring.mutants import Mutant, MutantError, apply_mutants, load_assignment
from authoring.submissions import build_solution, solution_notebook
from authoring.toy_course import MUTANTS, toy_notebook
from deepgrad_instructor.cells import MARKERS, is_answer, is_test
from deepgrad_instructor.course import assignments, read_nb
from deepgrad_instructor.cycle import classify_failure

REPO = Path(__file__).resolve().parents[2]


def test_mutant_requires_old_text_exactly_once():
    m = Mutant(cell="double", name="x", hint="h", old="2.0", new="3.0")
    assert m.apply("a = 2.0") == "a = 3.0"
    with pytest.raises(MutantError, match="does not occur"):
        m.apply("a = 4.0")
    with pytest.raises(MutantError, match="occurs 2 times"):
        m.apply("a = 2.0 + 2.0")


def test_apply_mutants_names_unknown_cells():
    nb = solution_notebook(toy_notebook())
    with pytest.raises(MutantError, match="no solution cell with grade_id 'nope'"):
        apply_mutants(nb, [Mutant("nope", "n", "h", "a", "b")])
    out = apply_mutants(nb, MUTANTS[:1])
    assert "* 3.0" in out.cells[2].source and "* 2.0" in nb.cells[2].source


def test_solution_notebook_strips_markers_only():
    nb = solution_notebook(toy_notebook())
    assert nb.cells[2].source == "def double(x):\n    y = np.asarray(x) * 2.0\n    return y"
    assert MARKERS.begin_hidden in nb.cells[4].source  # tests are left whole
    assert is_answer(nb.cells[2]) and is_test(nb.cells[3]) and not is_test(nb.cells[2])


def test_defined_names():
    src = "%matplotlib inline\nimport numpy as np\nEPS = 1\ndef f(x):\n    y = 2\n" \
          "    return y\nw, b = f(1)\n"
    assert defined_names(src) == {"np", "EPS", "f", "w", "b"}


def test_late_binding_reaches_callers():
    sources = ["def f(x):\n    return g(x)", "g = lambda x: h(x)", "y = f(1)"]
    assert late_bound(sources) == {"f": {"g", "x"}, "g": {"h", "x"}}
    assert used_names("check(f(X), 2)") == {"check", "f", "X"}
    assert used_names("%%timeit\nx = (") is None


def test_a_mutant_reruns_the_tests_that_reach_it(tmp_path):
    # test cells of the toy: 3 test_double, 4 test_double_hidden, 6 test_total; total()
    # calls double(), so a mistake in double reaches all three, one in total only its own
    path = tmp_path / "toy.ipynb"
    nbformat.write(toy_notebook(), str(path))
    h = MutantHarness(path)  # not entered: no kernel
    for mutant, tests in [(MUTANTS[0], {3, 4, 6}), (MUTANTS[2], {6})]:
        mutated = apply_mutants(h.nb, [mutant])
        assert h._affected(mutated, [h.answers[mutant.cell]]) == tests


def test_secret_lines_skip_public_and_trivial():
    s = secret_lines(toy_notebook())
    assert "y = np.asarray(x) * 2.0" in s["solution"]
    assert "return y" not in s["solution"]
    assert any("-3.25" in ln for ln in s["hidden"])
    # a line another notebook already hands out is no secret; public lines are what it shows
    given = secret_lines(toy_notebook(), also_public={"y = np.asarray(x) * 2.0"})
    assert "y = np.asarray(x) * 2.0" not in given["solution"]
    assert not (public_lines(toy_notebook()) & s["solution"])


def test_failures_are_classified_from_the_files_then_from_what_autograde_returned(tmp_path):
    (tmp_path / "a.ipynb").write_text('{"cells": [')
    assert "not valid JSON" in classify_failure(tmp_path)
    (tmp_path / "a.ipynb").write_text(nbformat.writes(toy_notebook()))
    died = {"success": False, "error": "nbclient.exceptions.DeadKernelError: Kernel died"}
    assert "kernel died" in classify_failure(tmp_path, died)
    assert "nbgrader's output" in classify_failure(tmp_path, {"error": "ValueError: odd"})


@pytest.mark.parametrize("assignment", assignments(REPO))
def test_every_assignment_has_mutants_in_the_one_layout(assignment):
    # tests/mutants/<assignment>/<notebook stem>.py, one file per notebook
    stems = {p.stem for p in (REPO / "source" / assignment).glob("*.ipynb")}
    files = {p.stem for p in (REPO / "tests" / "mutants" / assignment).glob("*.py")}
    assert files == stems, f"tests/mutants/{assignment}/ has {sorted(files)}, the " \
                           f"notebooks are {sorted(stems)}"
    mutants, _ = load_assignment(REPO, assignment)
    assert mutants


@pytest.mark.parametrize("source", sorted((REPO / "source").glob("*/*.ipynb")),
                         ids=lambda p: p.parent.name)
def test_solution_submission_carries_release_metadata(source):
    release = REPO / "release" / source.parent.name / source.name
    src, rel = read_nb(source), read_nb(release)
    sol = build_solution(src, rel)
    assert len(sol.cells) == len(rel.cells)
    for a, b in zip(sol.cells, rel.cells):
        assert a.metadata == b.metadata  # checksums and ids as a real student's
        if not is_answer(b):
            assert a.source == b.source
    assert all(MARKERS.begin_solution not in c.source for c in sol.cells)


def test_readme_lists_every_notebook():
    assert update_readme(REPO, check=True), (
        "README.md's list of notebooks is stale: run `python -m authoring docs --readme-only`")
