"""The grading pipeline end to end: can the instructor trust the grade?

One session-scoped run (tests/conftest.py::demo_class) regenerates the release in a scratch
copy of the course and autogrades the demo class with the real nbgrader -- one cycle per
assignment, each in its own copy of the generated course, plus the toy course for the broken
submissions --, generates feedback and exports grades, and runs each source notebook once with
its solution and tries every mutant: jobs shared by two worker processes, started in the
background after collection (authoring.demo.start_all). These tests read its results.
"""

import csv
from pathlib import Path
from typing import NamedTuple

import pytest

from authoring.demo import BROKEN
from authoring.leaks import find_leaks, public_lines, secret_lines
from deepgrad_instructor.course import assignments, load_config, read_nb
from deepgrad_instructor.release import differences
from deepgrad_instructor.report import format_report, write_report_csv
from deepgrad_instructor.sandbox import bwrap_available

REPO = Path(__file__).resolve().parents[2]
SOURCE_NBS = sorted((REPO / "source").glob("*/*.ipynb"))


def _fail(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_there_is_something_to_grade(demo_class):
    assert set(demo_class.assignments) == set(assignments(REPO)) and demo_class.assignments


def test_nbgrader_knows_every_assignment_in_source():
    cfg = load_config(REPO)
    assert [a["name"] for a in cfg.CourseDirectory.db_assignments] == assignments(REPO)


# ----------------------------------------------------------------------------- solution runs
def test_every_source_notebook_runs_clean_with_its_solution(demo_class):
    # The harness's one run of each notebook: no test fails, no cell errs or writes to stderr.
    problems = []
    for a, d in demo_class.assignments.items():
        problems += [f"{a}: {e}" for e in d.errors]
        assert {r.notebook for r in d.solution_runs} | {e.split(":")[0] for e in d.errors} \
            == {p.name for p in (REPO / "source" / a).glob("*.ipynb")}
        for run in d.solution_runs:
            problems += [f"{a}/{run.notebook}: {x}" for x in run.problems]
    _fail(problems)


# ----------------------------------------------------------------------------- scores
def test_solution_gets_full_marks_on_every_autograded_cell(demo_class):
    problems = []
    for d in demo_class.graded:
        a, r = d.assignment, d.row("solution")
        assert d.cycle.runs["solution"].success, d.cycle.runs["solution"].reason
        assert r.cell_scores, f"{a}: no autograded cells in the gradebook"
        problems += [f"{a}: solution scores {s:g} / {r.cell_max[g]:g} on {g}"
                     for g, s in r.cell_scores.items() if s != r.cell_max[g]]
        if r.broken:
            problems.append(f"{a}: solution flagged: {r.status_text}")
    _fail(problems)


def test_blank_gets_zero_on_every_autograded_cell(demo_class):
    # Also what nbgrader's Validate button tells a student who has written nothing: every
    # test cell fails.
    problems = []
    for d in demo_class.graded:
        r = d.row("blank")
        assert d.cycle.runs["blank"].success
        problems += [f"{d.assignment}: the blank notebook scores {s:g} on {g} (a check "
                     "passes vacuously)" for g, s in r.cell_scores.items() if s != 0]
        if r.broken:
            problems.append(f"{d.assignment}: blank flagged: {r.status_text}")
    _fail(problems)


def test_each_wrong_submission_loses_exactly_what_the_harness_predicts(demo_class):
    problems = []
    for a, d in demo_class.assignments.items():
        assert d.wrong, f"{a}: no wrong students (no mutants file?)"
        combos = d.combos
        for s in d.wrong:
            r = d.row(s)
            pred = combos[s]
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


# ----------------------------------------------------------------------------- attacks
# What each attacking student of the toy course may win: the visible checks' expected values
# are in the student's own notebook (copying them is hard-coding the visible answers), the
# hidden ones never are; and the flags the judge, the scan of the student's cells, the edit
# check (deepgrad_instructor.edits) and the sandbox (its audit hook and cgroups) raise.
# Each is the blank submission with an attack: no cell may score more than the honest blank
# does, except the visible ones in ``may_win``. ``status``: what the report must say besides.
# Measured with the sandbox and use_edit_flags(c) on (authoring.demo._grade_toy).
class Attack(NamedTuple):
    may_win: set
    flags: set
    status: str | None = None


OUTSIDE, SEARCH = "reaches files outside the submission", "searches the file system"
DATABASE, NETWORK = "opens a database", "opens a network socket"
PROCESSES, EXITS = "starts processes", "exits or sends a signal"
_TESTS = {"test_double": 2, "test_double_hidden": 1, "test_total": 2}
ATTACKS = {
    "tamper_patch_checks": Attack(set(), {"missing check records",
                                          "changes an attribute of deepgrad"}),
    "tamper_patch_numpy": Attack(set(), {"changes an attribute of numpy",
                                         "changes an attribute of builtins"}),
    "tamper_steal_expected": Attack({"test_double"}, {"reads other frames"}),
    "tamper_lying_output": Attack(set(), {"defines its own comparison"}),
    "tamper_forged_records": Attack({"test_double"}, {"imports the checks' machinery",
                                                     "switches the checks' judge"}),
    # the sandbox hides source/, the gradebook and the other submissions: these find nothing.
    # Without it (measured), the first and third win test_double_hidden, as does
    # tamper_find_expected, and the fourth gives every student of the course 2000 points a
    # cell (manual score and extra credit 1000 each). The audit hook sees no attempt here:
    # globbing 'source/*' and is_file() only look names up, which the hook is not told of.
    "tamper_read_source": Attack(set(), {OUTSIDE, SEARCH}),
    "tamper_read_gradebook": Attack(set(), {DATABASE, OUTSIDE}),
    "tamper_read_other_student": Attack(set(), {OUTSIDE, SEARCH}),
    "tamper_write_gradebook": Attack(set(), {DATABASE, OUTSIDE}),
    # the scan's and the audit hook's flags have the same words
    "tamper_network": Attack(set(), {NETWORK}),
    "tamper_exit": Attack(set(), {EXITS}),
    # bounded by the pids cgroup ("hit the process limit"). Not "signals another
    # process": the bomb signals nothing; that flag came from ipykernel's own shutdown
    # signalling the bomb's processes, until grading kernels were killed instead
    "tamper_fork_bomb": Attack(set(), {PROCESSES, EXITS, OUTSIDE, "hit the process limit"}),
    # over the address-space cap: a MemoryError in the cell, the kernel lives on
    "tamper_alloc_4gb": Attack(set(), {"allocates an array of 1 GB or more"}),
    # over the memory cgroup at the first GB: the kernel is killed, nothing is judged or
    # scanned (no autograded notebook); the sandbox says why
    "tamper_alloc_steps": Attack(set(), {"killed at the memory limit (1 GB)"},
                                 status="AUTOGRADE FAILED"),
    "tamper_find_expected": Attack(set(), {OUTSIDE, SEARCH,
                                           "lists folders outside its folder"}),
    # nbgrader's OverwriteCells puts the gradebook's cells back: only the flags tell
    "tamper_changed_points": Attack(set(), {
        f"changed the points of test cell {t} ({p} -> {10 * p})" for t, p in _TESTS.items()}),
    "tamper_changed_type": Attack(set(), {
        f"changed the type of test cell {t} (code -> markdown)" for t in _TESTS}),
    "tamper_edited_tests": Attack(set(), {
        f"edited the source of test cell {t}" for t in _TESTS}),
}


def _all_flags(toy, student) -> set[str]:
    """Every flag of a student: the report's, and those in the autograded notebook."""
    import nbformat
    flags = {f for v in toy.row(student).flags.values() for f in v}
    path = toy.course / "autograded" / student / toy.assignment / "toy.ipynb"
    if path.exists():
        meta = nbformat.read(str(path), as_version=4).metadata.get("deepgrad", {})
        flags |= {f for v in meta.get("judge", {}).values() for f in v["flags"]}
        flags |= {f for v in meta.get("scan", {}).values() for f in v}
        flags |= {f for v in meta.get("flags", {}).values() for f in v}
    return flags


def test_attacks_on_the_grader_win_nothing_hidden_and_are_flagged(demo_class):
    from authoring.demo import TAMPER, hidden_cells
    assert set(ATTACKS) == set(TAMPER)
    toy = demo_class.toy
    hidden = hidden_cells(toy.course, toy.assignment)
    assert hidden and set(_TESTS) == set(toy.row("solution").cell_scores)
    problems = []
    for s, attack in ATTACKS.items():
        r, base = toy.row(s), toy.row("blank")
        won = {g for g, v in r.cell_scores.items()
               if v > base.cell_scores.get(g, 0) and (g in hidden or g not in attack.may_win)}
        if won:
            problems.append(f"{s} scored more than the blank on {sorted(won)}: "
                            f"{r.cell_scores}")
        if r.cell_scores and r.auto_max != base.auto_max:
            problems.append(f"{s}: out of {r.auto_max:g}, not {base.auto_max:g}")
        if attack.status and attack.status not in r.status_text:
            problems.append(f"{s}: status {r.status_text!r}, expected {attack.status}")
        if not r.broken:
            problems.append(f"{s} is not flagged in the report: {r.status_text!r}")
        flags = _all_flags(toy, s)
        if flags != attack.flags:
            problems.append(f"{s}: flags {sorted(flags)}, expected {sorted(attack.flags)}")
    _fail(problems)


# ----------------------------------------------------------------------------- broken
EXPECTED_STATUS = {
    "deleted_test_cell": ("TEST CELL DELETED", None),
    "corrupted": ("AUTOGRADE FAILED", "not valid JSON"),
    "dead_kernel": ("AUTOGRADE FAILED", "kernel died"),
    "infinite_loop": ("TIMED OUT", "while True"),
}


def test_broken_submissions_are_flagged_not_silent_zeros(demo_class):
    assert set(EXPECTED_STATUS) == set(BROKEN)
    assert any(d.broken_students == BROKEN for d in demo_class.graded)
    problems = []
    for d in demo_class.graded:
        for s in d.broken_students:
            tag, words = EXPECTED_STATUS[s]
            r = d.row(s)
            words = words or d.deleted_cell
            if not (r.broken and tag in r.status_text and words in r.status_text):
                problems.append(f"{d.assignment}/{s}: status {r.status_text!r}, expected "
                                f"{tag} ... {words}")
    _fail(problems)


def test_the_cycle_grades_everyone_else_despite_broken_ones(demo_class):
    for d in demo_class.graded:
        a = d.assignment
        failed = {s for s, run in d.cycle.runs.items() if not run.success}
        killed = {s for s, attack in ATTACKS.items() if attack.status == "AUTOGRADE FAILED"}
        assert failed == ({"corrupted", "dead_kernel"} & set(d.broken_students)) | (
            killed & set(d.cycle.runs)), (a, failed)
        others = set(d.cycle.runs) - failed
        assert {s for s, ok in d.cycle.feedback.items() if ok} == others
        for s in others:
            assert list((d.course / "feedback" / s / a).glob("*.html")), (a, s)


def test_exported_grades_and_report_csv(demo_class, tmp_path):
    for d in demo_class.graded:
        text = d.cycle.grades_csv.read_text()
        for s in d.cycle.runs:
            assert f",{s}," in text, (d.assignment, s)
        path = write_report_csv({d.assignment: d.rows}, tmp_path / f"{d.assignment}.csv")
        rows = {r[1]: r for r in (ln.split(",", 11) for ln in path.read_text().splitlines())}
        assert rows["student"][-3:] == ["flags", "sandboxed", "status"]
        assert rows["solution"][8] == "no" and rows["solution"][9] == ""
        assert rows["solution"][10] == ("yes" if bwrap_available()[0] else "NO")
        if "corrupted" in rows:
            assert rows["corrupted"][8] == "yes"
        # nbgrader's own export says it too (IntegrityCsvExport)
        exported = {r["student_id"]: r for r in csv.DictReader(d.cycle.grades_csv.open())
                    if r["assignment"] == d.assignment}
        assert exported["solution"]["sandboxed"] == rows["solution"][10]
        assert exported["solution"]["flags"] == ""


def test_report_table_reads_well(demo_class):
    for d in demo_class.graded:
        table = format_report(d.rows, title=d.assignment)
        for s in d.cycle.runs:
            assert s in table


# ----------------------------------------------------------------------------- leaks
def _public(names) -> set[str]:
    """Lines the releases of these assignments hand out (the public parts of their sources)."""
    return {ln for p in SOURCE_NBS if p.parent.name in names for ln in public_lines(read_nb(p))}


def _secrets(assignment: str | None = None, public=()):
    """Solution and hidden-test lines of one assignment's source notebooks (all when None),
    leaving out the lines in ``public`` (handed out by a release a student already has)."""
    sol, hid = set(), set()
    for p in SOURCE_NBS:
        if assignment is None or p.parent.name == assignment:
            s = secret_lines(read_nb(p), also_public=public)
            sol |= s["solution"]
            hid |= s["hidden"]
    return sol, hid


def test_secret_lines_are_found_at_all():
    sol, hid = _secrets()
    assert len(sol) >= 10 and len(hid) >= 5, (len(sol), len(hid))


def test_no_solution_or_hidden_test_in_release(demo_class):
    # An assignment's release must not hold its own solutions or hidden tests, nor those of
    # any later assignment. A later assignment may hand out an earlier one's answers (a
    # stable sigmoid in assignment 2): it is released after the earlier one is due. So a
    # line that an earlier assignment hands out as given code is no secret of a later one
    # (the same assignment's other notebook may not hand out a secret line, though).
    names = assignments(REPO)
    course = next(iter(demo_class.assignments.values())).course
    problems, n_files = [], 0
    for i, a in enumerate(names):
        secret = set()
        for j, later in enumerate(names[i:], start=i):
            sol, hid = _secrets(later, _public(names[:j]))
            secret |= sol | hid
        files = [p for root in (REPO / "release", course / "release")
                 for p in (root / a).rglob("*") if p.is_file()]
        n_files += len(files)
        problems += find_leaks(files, secret)
    assert n_files
    _fail(problems)


def test_no_hidden_test_in_any_feedback_nor_solution_in_blank_feedback(demo_class):
    # Every student's feedback: no hidden test of that assignment (a hidden reference line
    # found inside a line of the solution, e.g. `A = np.maximum(Z, 0)`, is the student's own
    # code there, not a leak). The blank student's feedback: no solution line either (the
    # other students hand in code built from the solution, so their feedback rightly shows it).
    problems, names = [], assignments(REPO)
    for a, d in demo_class.assignments.items():
        sol, hid = _secrets(a, _public(names[:names.index(a)]))
        fb = d.course / "feedback"
        all_html = list(fb.rglob(f"{a}/*.html"))
        assert len(all_html) >= len(d.cycle.feedback)
        problems += find_leaks(all_html, {h for h in hid if not any(h in s for s in sol)})
        problems += find_leaks((fb / "blank" / a).rglob("*.html"), sol)
    _fail(problems)


# ----------------------------------------------------------------------------- hygiene
def test_release_is_not_stale(demo_class):
    course = next(iter(demo_class.assignments.values())).course
    diffs = differences(REPO / "release", course / "release")
    if diffs:
        pytest.fail("release/ differs from a fresh `generate_assignment` of source/ "
                    "(run `make release` and commit release/):\n  " + "\n  ".join(diffs),
                    pytrace=False)


def test_no_outputs_saved_in_source_notebooks():
    assert SOURCE_NBS
    problems = []
    for p in SOURCE_NBS:
        nb = read_nb(p)
        for i, c in enumerate(nb.cells):
            if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")):
                problems.append(f"{p.relative_to(REPO)}: cell {i + 1} has saved outputs "
                                "(clear them before committing)")
    _fail(problems)
