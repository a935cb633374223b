"""The grading pipeline end to end: can the instructor trust the grade?

One session-scoped run (tests/conftest.py::demo) regenerates the release in a scratch
copy of the course, autogrades the demo class with the real nbgrader, generates feedback
and exports grades, while another process validates the sources and runs the mutant
harness. These tests read its results.
"""

import json
import re
import sys
from pathlib import Path

import pytest

from deepgrad import grading
from deepgrad.release import differences

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "demo"))
import students  # noqa: E402

SOURCE_NBS = sorted((REPO / "source").glob("*/*.ipynb"))


def _fail(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_there_is_something_to_grade(demo):
    assert set(demo) == set(grading.assignments(REPO)) and demo


# ----------------------------------------------------------------------------- validation
def test_every_source_notebook_runs_and_validates(demo):
    problems = []
    for a, d in demo.items():
        for nb, res in d.checks["validate_source"].items():
            for kind, cells in res.items():
                for c in cells:
                    problems.append(f"{a}/{nb}: {kind}: {c.get('source', '')[:80]!r}\n"
                                    f"    {c.get('raw_error', c.get('error', ''))[-400:]}")
    _fail(problems)


def test_blank_release_fails_validation_on_every_test_cell(demo):
    # A hidden-test cell of the release holds only a comment (its checks are stripped), so
    # it has nothing to fail on; every other test cell must fail on the blank notebook.
    problems = []
    for a, d in demo.items():
        for nb, res in d.checks["validate_blank"].items():
            rel = grading.read_nb(d.course / "release" / a / nb)
            with_code = {c.source.strip() for c in rel.cells if grading.is_test(c) and any(
                ln.strip() and not ln.strip().startswith("#") for ln in c.source.splitlines())}
            tests = {c.source.strip() for c in rel.cells if grading.is_test(c)}
            failed = {c["source"] for c in res.get("failed", [])} & tests
            if not with_code or failed != with_code:
                problems.append(f"{a}/{nb}: the blank release fails {len(failed)} of the "
                                f"{len(with_code)} test cells that have checks; passing: "
                                + "; ".join(sorted(x[:60] for x in with_code - failed)))
    _fail(problems)


# ----------------------------------------------------------------------------- scores
def test_solution_gets_full_marks_on_every_autograded_cell(demo):
    problems = []
    for a, d in demo.items():
        r = d.row("solution")
        assert d.cycle.runs["solution"].success, d.cycle.runs["solution"].log[-2000:]
        assert r.cell_scores, f"{a}: no autograded cells in the gradebook"
        for g, s in r.cell_scores.items():
            if s != r.cell_max[g]:
                problems.append(f"{a}: solution scores {s:g} / {r.cell_max[g]:g} on {g}")
        if r.broken:
            problems.append(f"{a}: solution flagged: {r.status_text}")
    _fail(problems)


def test_blank_gets_zero_on_every_autograded_cell(demo):
    problems = []
    for a, d in demo.items():
        r = d.row("blank")
        assert d.cycle.runs["blank"].success
        problems += [f"{a}: the blank notebook scores {s:g} on {g} (a check passes "
                     "vacuously)" for g, s in r.cell_scores.items() if s != 0]
        if r.broken:
            problems.append(f"{a}: blank flagged: {r.status_text}")
    _fail(problems)


def test_each_wrong_submission_loses_exactly_what_the_harness_predicts(demo):
    problems = []
    for a, d in demo.items():
        assert d.wrong, f"{a}: no wrong students (no mutants file?)"
        for s in d.wrong:
            r = d.row(s)
            pred = d.checks["combos"][s]
            # the harness runs the notebook(s) holding the mutants; cells of the
            # assignment's other notebooks score as the solution does
            want = {**d.row("solution").cell_scores,
                    **{g: c.score for g, c in pred.scores.items()}}
            if want != r.cell_scores:
                problems.append(f"{a}/{s}: " + ", ".join(
                    f"{g}: predicted {want.get(g)}, graded {r.cell_scores.get(g)}"
                    for g in sorted(set(want) | set(r.cell_scores))
                    if want.get(g) != r.cell_scores.get(g)))
            if not 0 < r.auto_score < r.auto_max:
                problems.append(f"{a}/{s}: {r.auto_score:g} / {r.auto_max:g} is not in between")
            if r.auto_max - r.auto_score != pred.points_lost:
                problems.append(f"{a}/{s}: lost {r.auto_max - r.auto_score:g}, predicted "
                                f"{pred.points_lost:g}")
    _fail(problems)


# ----------------------------------------------------------------------------- broken
EXPECTED_STATUS = {
    "deleted_test_cell": ("TEST CELL DELETED", None),
    "corrupted": ("AUTOGRADE FAILED", "not valid JSON"),
    "dead_kernel": ("AUTOGRADE FAILED", "kernel died"),
    "infinite_loop": ("TIMED OUT", "while True"),
}


def test_broken_submissions_are_flagged_not_silent_zeros(demo):
    assert set(EXPECTED_STATUS) == set(students.BROKEN)
    assert any(d.broken_students == students.BROKEN for d in demo.values())
    problems = []
    for a, d in demo.items():
        for s in d.broken_students:
            tag, words = EXPECTED_STATUS[s]
            r = d.row(s)
            words = words or d.deleted_cell
            if not (r.broken and tag in r.status_text and words in r.status_text):
                problems.append(f"{a}/{s}: status {r.status_text!r}, expected {tag} ... {words}")
    _fail(problems)


def test_the_cycle_grades_everyone_else_despite_broken_ones(demo):
    for a, d in demo.items():
        failed = {s for s, run in d.cycle.runs.items() if not run.success}
        assert failed == {"corrupted", "dead_kernel"} & set(d.broken_students), (a, failed)
        others = set(d.cycle.runs) - failed
        assert {s for s, ok in d.cycle.feedback.items() if ok} == others
        for s in others:
            assert list((d.course / "feedback" / s / a).glob("*.html")), (a, s)


def test_exported_grades_and_report_csv(demo, tmp_path):
    for a, d in demo.items():
        text = d.cycle.grades_csv.read_text()
        for s in d.cycle.runs:
            assert f",{s}," in text, (a, s)
        path = grading.write_report_csv(d.rows, tmp_path / f"{a}.csv", a)
        rows = {r[1]: r for r in map(lambda ln: ln.split(",", 9), path.read_text().splitlines())}
        assert rows["student"][-1] == "status"
        assert rows["solution"][8] == "no"
        if "corrupted" in rows:
            assert rows["corrupted"][8] == "yes"


def test_report_table_reads_well(demo):
    for a, d in demo.items():
        table = grading.format_report(d.rows, title=a)
        assert "100 %" in table.splitlines()[3] or "solution" in table
        for s in d.cycle.runs:
            assert s in table


# ----------------------------------------------------------------------------- leaks
def _secrets(assignment: str | None = None):
    """Solution and hidden-test lines of one assignment's source notebooks (all when None)."""
    sol, hid = set(), set()
    for p in SOURCE_NBS:
        if assignment is None or p.parent.name == assignment:
            s = grading.secret_lines(grading.read_nb(p))
            sol |= s["solution"]
            hid |= s["hidden"]
    return sol, hid


def _file_text(path: Path) -> str:
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:  # the strings inside the notebook, unescaped
            nb = json.loads(raw)
        except ValueError:
            return grading._norm(raw)
        parts = []

        def walk(x):
            if isinstance(x, str):
                parts.append(x)
            elif isinstance(x, list):
                if all(isinstance(v, str) for v in x):
                    parts.append("".join(x))
                else:
                    for v in x:
                        walk(v)
            elif isinstance(x, dict):
                for v in x.values():
                    walk(v)
        walk(nb)
        return grading._norm("\n".join(parts))
    if path.suffix in (".html", ".htm"):
        return grading.html_text(raw)
    return grading._norm(raw)


def _leaks(paths, lines):
    found = []
    for p in paths:
        text = _file_text(p)
        found += [f"{p}: {ln!r}" for ln in sorted(lines) if ln in text]
    return found


def test_secret_lines_are_found_at_all():
    sol, hid = _secrets()
    assert len(sol) >= 10 and len(hid) >= 5, (len(sol), len(hid))


def test_no_solution_or_hidden_test_in_release(demo):
    # An assignment's release must not hold its own solutions or hidden tests, nor those of
    # any later assignment. A later assignment may hand out an earlier one's answers (a
    # stable sigmoid in assignment 2): it is released after the earlier one is due.
    names = sorted(grading.assignments(REPO))
    roots = (REPO / "release", next(iter(demo.values())).course / "release")
    problems, n_files = [], 0
    for i, a in enumerate(names):
        secret = set()
        for later in names[i:]:
            sol, hid = _secrets(later)
            secret |= sol | hid
        files = [p for root in roots for p in (root / a).rglob("*") if p.is_file()]
        n_files += len(files)
        problems += _leaks(files, secret)
    assert n_files
    _fail(problems)


def test_no_hidden_test_in_any_feedback_nor_solution_in_blank_feedback(demo):
    # Every student's feedback: no hidden test of that assignment (a hidden reference line
    # found inside a line of the solution, e.g. `A = np.maximum(Z, 0)`, is the student's own
    # code there, not a leak). The blank student's feedback: no solution line either (the
    # other students hand in code built from the solution, so their feedback rightly shows it).
    problems = []
    for a, d in demo.items():
        sol, hid = _secrets(a)
        fb = d.course / "feedback"
        all_html = list(fb.rglob(f"{a}/*.html"))
        assert len(all_html) >= len(d.cycle.feedback)
        problems += _leaks(all_html, {h for h in hid if not any(h in s for s in sol)})
        problems += _leaks((fb / "blank" / a).rglob("*.html"), sol)
    _fail(problems)


# ----------------------------------------------------------------------------- hygiene
def test_release_is_not_stale(demo):
    d = next(iter(demo.values()))
    diffs = differences(REPO / "release", d.course / "release")
    if diffs:
        pytest.fail("release/ differs from a fresh `generate_assignment` of source/ "
                    "(run `make release` and commit release/):\n  " + "\n  ".join(diffs),
                    pytrace=False)


def test_no_outputs_saved_in_source_notebooks():
    assert SOURCE_NBS
    problems = []
    for p in SOURCE_NBS:
        nb = grading.read_nb(p)
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")):
                problems.append(f"{p.relative_to(REPO)}: cell {i + 1} has saved outputs "
                                "(clear them before committing)")
    _fail(problems)
