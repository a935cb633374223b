"""deepgrad_instructor.edits: a submission that edited the course's cells is flagged (what
nbgrader's OverwriteCells only logs), an honest one never; the score is the gradebook's."""

import copy

import pytest
from traitlets.config import Config

from deepgrad_instructor.edits import OWN_METADATA, FlagEditedCells, use_edit_flags

ASSIGNMENT, NOTEBOOK = "00_toy", "toy"


def test_use_edit_flags_puts_it_right_before_overwrite_cells_once():
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import OverwriteCells
    c = Config()
    use_edit_flags(c)
    use_edit_flags(c)
    got = c.Autograde.sanitize_preprocessors
    default = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    assert got.count(FlagEditedCells) == 1
    assert got.index(FlagEditedCells) == got.index(OverwriteCells) - 1
    assert [p for p in got if p is not FlagEditedCells] == default


class _Src:
    def __init__(self, name, source, cell_type="code", locked=True):
        self.name, self.source, self.cell_type, self.locked = name, source, cell_type, locked


class _Graded:
    max_score = 2.0


def _test_cell(source="check.returns(f, args=(1,), expected=2)", points=2):
    from nbformat.v4 import new_code_cell
    c = new_code_cell(source)
    c.metadata = {"nbgrader": {"grade": True, "solution": False, "locked": True,
                               "grade_id": "test_f", "points": points, "schema_version": 3}}
    return c


@pytest.mark.parametrize("edit, flag", [
    (lambda c: c.metadata.nbgrader.update(points=20), "changed the points of test cell "
                                                      "test_f (2 -> 20)"),
    (lambda c: c.update(cell_type="markdown"), "changed the type of test cell test_f "
                                               "(code -> markdown)"),
    (lambda c: c.update(source="pass"), "edited the source of test cell test_f"),
    (lambda c: c.metadata.nbgrader.update(locked=False), "unlocked test cell test_f"),
    (lambda c: c.metadata.nbgrader.update(grade=False), "unmarked the grading of test cell "
                                                        "test_f"),
])
def test_each_edit_is_named(edit, flag):
    hidden = ("check.returns(f, args=(1,), expected=2)\n### BEGIN HIDDEN TESTS\n"
              "check.returns(f, args=(3,), expected=6)\n### END HIDDEN TESTS")
    src = _Src("test_f", hidden)  # the gradebook keeps the hidden tests, the release not
    cell = _test_cell()
    assert FlagEditedCells.compare(cell, src, _Graded(), False) == []
    edit(cell)
    assert FlagEditedCells.compare(cell, src, _Graded(), False) == [flag]


def test_answer_cells_may_change_their_source_not_their_points():
    from nbformat.v4 import new_code_cell
    cell = new_code_cell("def f(x):\n    return 2 * x")
    cell.metadata = {"nbgrader": {"grade": False, "solution": True, "locked": False,
                                  "grade_id": "f", "schema_version": 3}}
    src = _Src("f", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()",
               locked=False)
    assert FlagEditedCells.compare(cell, src, None, True) == []


# ---- through nbgrader's own autograde, on the toy course ------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The toy course with use_edit_flags(c) appended to its config; an honest solution,
    an honest blank and three students who edited test cells, autograded by nbgrader."""
    from authoring import toy_course
    from authoring.submissions import (build_blank, build_changed_points, build_changed_type,
                                       build_edited_tests, build_solution)
    from deepgrad_instructor.course import open_api, read_nb
    from deepgrad_instructor.cycle import nbgrader_ok, write_submission
    root = toy_course.make_toy_course(tmp_path_factory.mktemp("edits") / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write("\nfrom deepgrad_instructor.edits import use_edit_flags\nuse_edit_flags(c)\n")
    api = open_api(root)
    nbgrader_ok(api.generate_assignment(ASSIGNMENT, force=True), "generate_assignment")
    src = read_nb(root / "source" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    rel = read_nb(root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    own = build_blank(rel)
    own.metadata["deepgrad"] = {"judge": {"test_double_hidden": {"passed": True, "flags": []}}}
    students = {"solution": build_solution(src, rel), "blank": build_blank(rel),
                "points": build_changed_points(src, rel), "type": build_changed_type(src, rel),
                "edited": build_edited_tests(src, rel), "own_metadata": own}
    for s, nb in students.items():
        write_submission(root, ASSIGNMENT, s, {f"{NOTEBOOK}.ipynb": nb})
        nbgrader_ok(api.autograde(ASSIGNMENT, s, force=True, create=True), f"autograde {s}")
    return root, list(students)


def _flags(root, student):
    from deepgrad_instructor.course import read_nb
    nb = read_nb(root / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    return nb.metadata.get("deepgrad", {}).get("flags", {})


def _scores(root, student):
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, student)
        return {g.name: (g.score, g.max_score) for g in sub.grades
                if g.cell.cell_type == "code"}


def test_autograde_flags_edited_test_cells_and_keeps_the_gradebooks_points(graded):
    root, _ = graded
    tests = ["test_double", "test_double_hidden", "test_total"]
    points = {"test_double": 2, "test_double_hidden": 1, "test_total": 2}
    assert _flags(root, "points") == {
        t: [f"changed the points of test cell {t} ({points[t]} -> {10 * points[t]})"]
        for t in tests}
    assert _flags(root, "type") == {
        t: [f"changed the type of test cell {t} (code -> markdown)"] for t in tests}
    assert _flags(root, "edited") == {t: [f"edited the source of test cell {t}"]
                                      for t in tests}
    # scored as the gradebook says: the solution's points, out of the gradebook's maximum
    assert _scores(root, "points") == _scores(root, "solution") == {
        t: (float(points[t]), float(points[t])) for t in tests}
    for s in ("type", "edited"):
        assert _scores(root, s) == _scores(root, "blank") == {
            t: (0.0, float(points[t])) for t in tests}


def test_honest_submissions_are_not_flagged(graded):
    root, _ = graded
    assert _flags(root, "solution") == {}
    assert _flags(root, "blank") == {}


def test_deepgrad_metadata_a_submission_brings_is_dropped_and_flagged(graded):
    root, _ = graded
    assert _flags(root, "own_metadata") == {"notebook": [OWN_METADATA]}
    from deepgrad_instructor.course import read_nb
    nb = read_nb(root / "autograded" / "own_metadata" / ASSIGNMENT / f"{NOTEBOOK}.ipynb")
    judged = nb.metadata["deepgrad"]["judge"]["test_double_hidden"]
    assert judged["passed"] is False  # the judge's own verdict, not the one brought


def test_compare_does_not_change_the_cell():
    cell = _test_cell(source="pass", points=9)
    before = copy.deepcopy(cell)
    FlagEditedCells.compare(cell, _Src("test_f", "x = 1"), _Graded(), False)
    assert cell == before
