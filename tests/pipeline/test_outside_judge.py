"""The judge outside the kernel, on cells made by hand: records in, nbgrader's score out.

The end-to-end runs (the demo class, the mutants) go through it too; here each rule of
:mod:`deepgrad_instructor.judging` is pinned on its own, with no kernel.
"""

import logging

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output

from deepgrad import check
from deepgrad.check.recording import MIME, RecordingJudge
from deepgrad_instructor.cells import determine_grade
from deepgrad_instructor.expectations import CellSpec, ExpectationsError, cell_hash
from deepgrad_instructor.judging import EXTRA, FORGED, MISSING, apply, judge_cell

HIDDEN_SOURCE = ("### BEGIN HIDDEN TESTS\ncheck.returns(double, args=(x,), expected=...)\n"
                 "### END HIDDEN TESTS")
VISIBLE_SOURCE = "check.returns(double, args=(x,), expected=...)"
SECRET = np.array([0.125, -7.5, 3.0])


def double(x):
    return 2 * x


def _run(mode, fn, inputs=(SECRET,)):
    """The records a test cell's checks make, each check calling ``fn``."""
    recs = []
    with check.judged_by(RecordingJudge(mode, sink=recs.append)):
        for x in inputs:
            check.returns(fn, args=(x,), expected=double(x),
                          mistakes=[check.Mistake("did you add x to itself twice?",
                                                  transform=lambda e: 1.5 * e)])
    return recs


def _spec(source=HIDDEN_SOURCE, inputs=(SECRET,)):
    return CellSpec("test_double", cell_hash(source), "HIDDEN" in source,
                    _run("spec", double, inputs))


def _cell(outputs, source=HIDDEN_SOURCE):
    cell = new_code_cell(source)
    cell.metadata = {"nbgrader": {"grade": True, "grade_id": "test_double", "points": 2,
                                  "solution": False, "locked": True, "schema_version": 3}}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _record_output(rec):
    return new_output("display_data", data={MIME: rec})


def _grade(cell, spec):
    j = judge_cell(cell, spec)
    apply(cell, j)
    score, _ = determine_grade(cell, logging.getLogger("test"))
    return score, j


def test_the_solution_scores_full_marks_and_its_records_are_removed():
    cell = _cell([_record_output(r) for r in _run("got", double)])
    score, j = _grade(cell, _spec())
    assert score == 2 and j.passed and not j.flags
    assert cell.outputs == []


def test_a_wrong_output_scores_zero_with_the_hint_but_no_hidden_values():
    cell = _cell([_record_output(r) for r in _run("got", lambda x: 3 * x)])
    score, j = _grade(cell, _spec())
    assert score == 0 and not j.flags
    [err] = cell.outputs
    assert err.output_type == "error" and err.ename == "CheckFailure"
    assert "Hint: did you add x to itself twice?" in err.evalue
    assert "hidden" in err.evalue
    for leak in ("0.125", "7.5", "0.25", "-15"):  # hidden inputs and expected values
        assert leak not in err.evalue


def test_a_visible_check_reports_expected_and_got():
    cell = _cell([_record_output(r) for r in _run("got", lambda x: 3 * x)],
                 source=VISIBLE_SOURCE)
    score, j = _grade(cell, _spec(VISIBLE_SOURCE))
    assert score == 0
    assert "Expected:" in cell.outputs[0].evalue and "0.25" in cell.outputs[0].evalue


def test_the_kernel_cannot_pass_a_failing_check():
    # whatever the kernel claims, only its outputs are judged: a record of a passing
    # verdict, or an expected value sent along, are ignored
    [rec] = _run("spec", lambda x: 3 * x)
    rec["expected"] = rec["got"]
    rec["passed"] = True
    score, _ = _grade(_cell([_record_output(rec)]), _spec())
    assert score == 0


def test_a_missing_record_fails_and_is_flagged():
    score, j = _grade(_cell([]), _spec())
    assert score == 0 and j.flags == [MISSING]


def test_an_extra_record_fails_and_is_flagged():
    recs = _run("got", double)
    score, j = _grade(_cell([_record_output(r) for r in recs + recs]), _spec())
    assert score == 0 and j.flags == [EXTRA]


@pytest.mark.parametrize("forge", [
    lambda r: r.update(kind="at_least"),
    lambda r: r.update(v=99),
    lambda r: r.update(got={"nd": ["<f8", [3], "AAAA"]}),
    lambda r: r.update(got={"pickle": "..."}),
])
def test_a_forged_record_fails_and_is_flagged(forge):
    [rec] = _run("got", double)
    forge(rec)
    score, j = _grade(_cell([_record_output(rec)]), _spec())
    assert score == 0 and j.flags == [FORGED]


def test_checks_on_other_inputs_are_judged_on_the_graders_expected_output():
    # a kernel that changes the hidden inputs cannot make its own right answer: the
    # output is compared with the solution's on the grader's inputs
    recs = _run("got", double, inputs=(SECRET + 1,))
    score, j = _grade(_cell([_record_output(r) for r in recs]), _spec())
    assert score == 0 and not j.flags and "other inputs" in j.message
    # inputs a rounding error apart, the same answer: full marks
    recs = _run("got", double, inputs=(SECRET * (1 + 1e-15),))
    assert recs[0]["digest"] != _spec().checks[0]["digest"]
    assert _grade(_cell([_record_output(r) for r in recs]), _spec())[0] == 2


def test_a_consistency_check_uses_the_kernels_expected_value_only_when_the_spec_says_so():
    def cell_checks(mode, own, consistency):
        recs = []
        with check.judged_by(RecordingJudge(mode, sink=recs.append)):
            check.value("accuracy", own, expected=own, consistency=consistency)
        return recs
    spec = CellSpec("test_double", cell_hash(HIDDEN_SOURCE), True,
                    cell_checks("spec", 0.9, True))
    # the student's model has its own accuracy: the kernel's expected value counts
    assert _grade(_cell([_record_output(r) for r in cell_checks("got", 0.8, True)]),
                  spec)[0] == 2
    # a fixed check: the kernel claiming consistency changes nothing
    spec = CellSpec("test_double", cell_hash(HIDDEN_SOURCE), True,
                    cell_checks("spec", 0.9, False))
    assert _grade(_cell([_record_output(r) for r in cell_checks("got", 0.8, True)]),
                  spec)[0] == 0


def test_the_first_failure_ends_the_story():
    # a failing check, then an error the kernel raised later: the check's report is shown
    # (in the kernel it would have stopped the cell), the later error is not
    recs = _run("got", lambda x: 3 * x, inputs=(SECRET, SECRET))
    spec = _spec(inputs=(SECRET, SECRET))
    later = new_output("error", ename="NameError", evalue="name 'w' is not defined",
                       traceback=[])
    cell = _cell([_record_output(recs[0]), _record_output(recs[1]), later])
    score, _ = _grade(cell, spec)
    assert score == 0 and [o.ename for o in cell.outputs] == ["CheckFailure"]
    # an error before any failing check is what the student sees
    cell = _cell([_record_output(_run("got", double)[0]), later])
    score, j = _grade(cell, spec)
    assert score == 0 and [o.ename for o in cell.outputs] == ["NameError"] and not j.flags


def test_partial_credit_and_hidden_prints_are_dropped():
    out = [new_output("stream", name="stdout", text=f"x = {SECRET}"),
           new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1)]
    out += [_record_output(r) for r in _run("got", double)]
    cell = _cell(out)
    score, _ = _grade(cell, _spec())
    assert score == 2 and cell.outputs == []
    cell = _cell(out, source=VISIBLE_SOURCE)
    score, _ = _grade(cell, _spec(VISIBLE_SOURCE))
    assert score == 2 and [o.output_type for o in cell.outputs] == ["stream"]


def test_stderr_still_scores_zero_but_hides_its_text_in_a_hidden_cell():
    out = [new_output("stream", name="stderr", text=f"{SECRET}")]
    cell = _cell(out + [_record_output(r) for r in _run("got", double)])
    score, _ = _grade(cell, _spec())
    assert score == 0 and "0.125" not in cell.outputs[0].text


def test_a_changed_test_cell_stops_grading():
    cell = _cell([_record_output(r) for r in _run("got", double)],
                 source=HIDDEN_SOURCE + "\n# edited")
    with pytest.raises(ExpectationsError, match="generate"):
        judge_cell(cell, _spec())


def test_expectations_are_made_once_and_again_when_the_source_changes(tmp_path):
    from authoring.toy_course import ASSIGNMENT, make_toy_course
    from deepgrad_instructor.cli import main
    from deepgrad_instructor.expectations import ensure, expectations_path
    course = make_toy_course(tmp_path / "course")
    assert main(["expectations", "--course", str(course)]) == 0
    path = expectations_path(course, ASSIGNMENT, "toy.ipynb")
    made = ensure(course, ASSIGNMENT, "toy.ipynb")
    assert path.exists() and made.seconds > 0
    assert [len(c.checks) for c in made.cells.values()] == [1, 2, 1]
    assert made.cells["test_double_hidden"].hidden
    before = path.stat().st_mtime_ns
    assert ensure(course, ASSIGNMENT, "toy.ipynb").source_hash == made.source_hash
    assert path.stat().st_mtime_ns == before  # kept: the source did not change
    src = course / "source" / ASSIGNMENT / "toy.ipynb"
    nb = nbformat.read(str(src), as_version=4)
    nb.cells[3].source = nb.cells[3].source.replace("[1.0, 2.0]", "[1.0, 3.0]")
    nb.cells[3].source = nb.cells[3].source.replace("[2.0, 4.0]", "[2.0, 6.0]")
    nbformat.write(nb, str(src))
    again = ensure(course, ASSIGNMENT, "toy.ipynb")
    assert again.source_hash != made.source_hash and path.stat().st_mtime_ns != before
