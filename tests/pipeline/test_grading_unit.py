"""deepgrad.grading pieces that need no kernel (fast)."""

from pathlib import Path

import pytest

from deepgrad import grading
from deepgrad.grading import Mutant, MutantError

from toy_course import MUTANTS, toy_notebook

REPO = Path(__file__).resolve().parents[2]


def test_mutant_requires_old_text_exactly_once():
    m = Mutant(cell="double", name="x", hint="h", old="2.0", new="3.0")
    assert m.apply("a = 2.0") == "a = 3.0"
    with pytest.raises(MutantError, match="does not occur"):
        m.apply("a = 4.0")
    with pytest.raises(MutantError, match="occurs 2 times"):
        m.apply("a = 2.0 + 2.0")


def test_apply_mutants_names_unknown_cells():
    nb = grading.solution_notebook(toy_notebook())
    with pytest.raises(MutantError, match="no solution cell with grade_id 'nope'"):
        grading.apply_mutants(nb, [Mutant("nope", "n", "h", "a", "b")])
    out = grading.apply_mutants(nb, MUTANTS[:1])
    assert "* 3.0" in out.cells[2].source and "* 2.0" in nb.cells[2].source


def test_solution_notebook_strips_markers_only():
    nb = grading.solution_notebook(toy_notebook())
    assert nb.cells[2].source == "def double(x):\n    y = np.asarray(x) * 2.0\n    return y"
    assert "### BEGIN HIDDEN TESTS" in nb.cells[4].source  # tests are left whole


def test_defined_names():
    src = "%matplotlib inline\nimport numpy as np\nEPS = 1\ndef f(x):\n    y = 2\n" \
          "    return y\nw, b = f(1)\n"
    assert grading.defined_names(src) == {"np", "EPS", "f", "w", "b"}


def test_secret_lines_skip_public_and_trivial():
    s = grading.secret_lines(toy_notebook())
    assert "y = np.asarray(x) * 2.0" in s["solution"]
    assert "return y" not in s["solution"]
    assert any("-3.25" in ln for ln in s["hidden"])


def test_failure_reasons_are_readable():
    assert "kernel died" in grading.failure_reason("DeadKernelError: Kernel died")
    assert "not valid JSON" in grading.failure_reason("NotJSONError: Notebook does not ...")
    assert "see the autograde log" in grading.failure_reason("ValueError: odd")


@pytest.mark.parametrize("source", sorted((REPO / "source").glob("*/*.ipynb")),
                         ids=lambda p: p.parent.name)
def test_solution_submission_carries_release_metadata(source):
    release = REPO / "release" / source.parent.name / source.name
    if not release.exists():
        pytest.skip("no release yet")
    src, rel = grading.read_nb(source), grading.read_nb(release)
    sol = grading.build_solution(src, rel)
    assert len(sol.cells) == len(rel.cells)
    for a, b in zip(sol.cells, rel.cells):
        assert a.metadata == b.metadata  # checksums and ids as a real student's
        if not grading.is_answer(b):
            assert a.source == b.source
    assert all("### BEGIN SOLUTION" not in c.source for c in sol.cells)
