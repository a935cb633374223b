"""Reference blocks are stripped from the code a student's grading kernel runs."""

from pathlib import Path

import pytest

from deepgrad import check
from deepgrad_instructor.cells import grade_id, is_test
from deepgrad_instructor.course import read_nb
from deepgrad_instructor.references import (ReferenceBlockError, reference_names,
                                            strip_references, unhidden_expectations)

CELL = """### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1)
z = rng.normal(size=5)
### BEGIN REFERENCE
def _ref(z):
    return 1.0 / (1.0 + np.exp(-z))
with np.errstate(over="ignore"):
    reference = _ref(z)
wrong, (a, b) = -reference, (1, 2)
### END REFERENCE
check.returns(sigmoid, args=(z,), expected=reference, mistakes=[check.Mistake("?", value=wrong)])
check.returns(sigmoid, args=(z[:2],), expected=2 * reference[:2].reshape(1, 2) - 1.0)
### END HIDDEN TESTS"""


def test_a_block_becomes_its_names_bound_to_hidden():
    out = strip_references(CELL)
    assert "_ref(z)" not in out and "np.exp" not in out and "-reference" not in out
    assert len(out.split("\n")) == len(CELL.split("\n"))  # tracebacks keep their lines
    ns = {"np": __import__("numpy"), "check": check,
          "sigmoid": lambda z: z}
    recorded = []
    with check.judged_by(check.recording.RecordingJudge("got", sink=recorded.append)):
        exec(out.replace("### ", "# "), ns)
    assert ns["reference"] is check.HIDDEN and ns["_ref"] is check.HIDDEN
    assert {ns[n] for n in ("wrong", "a", "b")} == {check.HIDDEN}
    assert len(recorded) == 2 and "expected" not in recorded[0]


def test_names_a_block_binds():
    assert reference_names("x = 1\nfor i, j in []:\n    k = 2\nimport numpy.linalg as la\n"
                           "def f(): q = 3") == ["x", "i", "j", "k", "la", "f"]


def test_in_the_kernel_a_hidden_expected_value_fails_with_a_reason():
    with pytest.raises(check.CheckFailure, match="computed by the grader"):
        check.returns(abs, args=(1,), expected=check.HIDDEN)


@pytest.mark.parametrize("bad", [
    "### BEGIN REFERENCE\nx = 1",
    "x = 1\n### END REFERENCE",
    "if True:\n    ### BEGIN REFERENCE\n    x = 1\n    ### END REFERENCE",
    "### BEGIN REFERENCE\nx = (\n### END REFERENCE",
])
def test_broken_blocks_are_refused(bad):
    with pytest.raises(ReferenceBlockError):
        strip_references(bad)


def test_the_lint_finds_expected_values_computed_outside_a_block():
    assert unhidden_expectations(CELL) == []
    leaky = CELL.replace("expected=reference,", "expected=1.0 / (1.0 + np.exp(-z)),")
    assert len(unhidden_expectations(leaky)) == 1
    leaky = CELL.replace("value=wrong", "value=-z")
    assert "mistake" in unhidden_expectations(leaky)[0]
    own = "### BEGIN HIDDEN TESTS\ncheck.value('acc', acc, expected=mine(w), consistency=True)"
    assert unhidden_expectations(own) == []


SOURCE_NBS = sorted((Path(__file__).resolve().parents[2] / "source").glob("*/*.ipynb"))


@pytest.mark.parametrize("path", SOURCE_NBS, ids=[f"{p.parent.name}/{p.name}" for p in SOURCE_NBS])
def test_hidden_expected_values_never_run_in_the_students_kernel(path):
    # Every hidden check's expected value comes from a reference block (or the check says
    # consistency=True): none is computed in a student's grading kernel.
    nb = read_nb(path)
    problems = [f"{grade_id(c)}: {p}" for c in nb.cells if is_test(c)
                for p in unhidden_expectations(c.source)]
    assert not problems, "\n".join(problems)


def test_a_gradient_check_whose_function_is_hidden_records_only_the_students_gradient():
    import numpy as np
    from deepgrad.check.recording import RecordingJudge
    recorded = []
    with check.judged_by(RecordingJudge("got", sink=recorded.append)):
        check.gradient("dZ", check.HIDDEN, np.ones(3), 2 * np.ones(3))
        # f calls a stripped reference implementation: the same
        _ref = check.HIDDEN
        check.gradient("dZ", lambda x: np.sum(_ref(x) * 2.0), np.ones(3), 2 * np.ones(3))
    assert len(recorded) == 2 and all(r["raised"] is None for r in recorded)
    with pytest.raises(check.CheckFailure, match="computed by the grader"):
        check.gradient("dZ", check.HIDDEN, np.ones(3), 2 * np.ones(3))
