"""Grading in parallel on Dask (deepgrad_instructor.parallel; issue 13).

The toy course's class (a solution, a blank, a wrong answer, a dead kernel, a corrupted file,
an attacker) is graded serially by nbgrader (``run_cycle``) and in parallel on a
``LocalCluster``: the gradebooks, the autograded notebooks' outputs and the reports must be
the same. Then a worker is killed while it grades: its student is graded again elsewhere, and
nothing is lost or counted twice.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path

import nbformat
import pytest

from deepgrad_instructor.sandbox import bwrap_available

pytestmark = pytest.mark.skipif(not bwrap_available()[0], reason="the course grades sandboxed")


def _gradebook(course: Path) -> dict:
    """What autograde leaves in the gradebook, without ids and clock times."""
    con = sqlite3.connect(str(course / "gradebook.db"))
    rows = con.execute("""
        select st.id, nb.name, bc.name, g.auto_score, g.manual_score, g.extra_credit,
               g.needs_manual_grade, sn.flagged, sn.late_submission_penalty, sa.timestamp
        from grade g join submitted_notebook sn on g.notebook_id = sn.id
        join submitted_assignment sa on sn.assignment_id = sa.id
        join student st on sa.student_id = st.id
        join notebook nb on sn.notebook_id = nb.id
        join base_cell bc on g.cell_id = bc.id""").fetchall()
    comments = con.execute("""
        select st.id, c.auto_comment, c.manual_comment from comment c
        join submitted_notebook sn on c.notebook_id = sn.id
        join submitted_assignment sa on sn.assignment_id = sa.id
        join student st on sa.student_id = st.id""").fetchall()
    students = con.execute("select id from student").fetchall()
    con.close()
    return {"grades": sorted(rows, key=repr), "comments": sorted(comments, key=repr),
            "students": sorted(students)}


def _outputs(course: Path, assignment: str) -> dict:
    out = {}
    for path in sorted((course / "autograded").glob(f"*/{assignment}/*.ipynb")):
        nb = nbformat.read(str(path), 4)
        meta = dict(nb.metadata.get("deepgrad", {}))
        sandbox = meta.pop("sandbox", {})
        sandbox.get("usage", {}).pop("peak_memory", None)  # varies run to run
        out[path.parent.parent.name] = (
            [(c.get("execution_count"), json.dumps(c.get("outputs", []), sort_keys=True))
             for c in nb.cells if c.cell_type == "code"],
            json.dumps(meta, sort_keys=True), sandbox.get("sandboxed"))
    return out


@pytest.fixture(scope="module")
def toy_class(tmp_path_factory):
    from authoring.mutants import apply_mutants
    from authoring.submissions import (BROKEN_BUILDERS, TAMPER_BUILDERS, build_blank,
                                       build_solution)
    from authoring.toy_course import ASSIGNMENT, MUTANTS, make_toy_course
    from deepgrad_instructor.course import open_api
    from deepgrad_instructor.cycle import nbgrader_ok, write_submission
    root = tmp_path_factory.mktemp("parallel")
    base = make_toy_course(root / "base")
    nbgrader_ok(open_api(base).generate_assignment(ASSIGNMENT, force=True), "generate")
    src = nbformat.read(str(base / "source" / ASSIGNMENT / "toy.ipynb"), 4)
    rel = nbformat.read(str(base / "release" / ASSIGNMENT / "toy.ipynb"), 4)
    sol = build_solution(src, rel)
    slow = nbformat.from_dict(json.loads(nbformat.writes(sol)))
    slow.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(4)"))
    subs = {"solution": sol, "blank": build_blank(rel),
            "wrong": apply_mutants(sol, MUTANTS[2:3]),
            "dead_kernel": BROKEN_BUILDERS["dead_kernel"](src, rel),
            "corrupted": BROKEN_BUILDERS["corrupted"](src, rel),
            "tamper_patch_checks": TAMPER_BUILDERS["tamper_patch_checks"](src, rel),
            "slow": slow}
    for s, nb in subs.items():
        write_submission(base, ASSIGNMENT, s, {"toy.ipynb": nb})
    return root, base, ASSIGNMENT, subs


def _copy(toy_class, name: str) -> Path:
    root, base, _, _ = toy_class
    dest = root / name
    shutil.copytree(base, dest, symlinks=True)
    return dest


def test_parallel_grading_leaves_what_serial_nbgrader_leaves(toy_class):
    from deepgrad_instructor.cycle import run_cycle
    from deepgrad_instructor.parallel import grade_parallel
    from deepgrad_instructor.report import report
    _, _, assignment, subs = toy_class
    serial, parallel = _copy(toy_class, "serial"), _copy(toy_class, "par")
    run_cycle(serial, assignment, {s: {"toy.ipynb": nb} for s, nb in subs.items()},
              generate=False)
    lines = []
    result = grade_parallel(parallel, assignment, workers=2, progress=lines.append)
    assert result.workers == 2 and set(result.runs) == set(subs)
    assert _gradebook(parallel) == _gradebook(serial)
    assert _outputs(parallel, assignment) == _outputs(serial, assignment)
    rows = {r.student: (r.cell_scores, r.status, r.flags, r.sandboxed)
            for r in report(serial, assignment)}
    assert {r.student: (r.cell_scores, r.status, r.flags, r.sandboxed)
            for r in report(parallel, assignment)} == rows
    # the broken ones are reported, the others graded normally
    assert {s for s, r in result.runs.items() if not r.success} == {"dead_kernel", "corrupted"}
    assert rows["solution"][0] == rows["slow"][0] and sum(rows["solution"][0].values()) > 0
    # progress: one line per student, done / failed / to go
    assert len(lines) == len(subs) and lines[-1].startswith(f"graded {len(subs)}/{len(subs)}: "
                                                            f"{len(subs) - 2} ok, 2 failed, 0 to go")
    # the grades export is the same as well (its rows in the order students were added)
    assert sorted((parallel / "grades.csv").read_text().splitlines()) == sorted(
        (serial / "grades.csv").read_text().splitlines())


def test_a_killed_worker_loses_nothing_and_counts_nothing_twice(toy_class):
    from distributed import Client

    from deepgrad_instructor.parallel import grade_parallel, local_cluster
    from deepgrad_instructor.report import report
    _, _, assignment, subs = toy_class
    course = _copy(toy_class, "killed")
    cluster = local_cluster(2)
    client = Client(cluster)
    killed = []

    def kill_the_slow_students_worker(msg: str) -> None:
        if killed:
            return
        key = f"grade-{assignment}-slow"
        for _ in range(200):  # the slow student's task is running (it sleeps 4 s)
            where = [w for w, keys in client.processing().items() if key in keys]
            if where:
                pid = client.run(os.getpid, workers=where)[where[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append((where[0], pid))
                return
            time.sleep(0.05)

    try:
        result = grade_parallel(course, assignment, client=client,
                                progress=kill_the_slow_students_worker)
    finally:
        client.close()
        cluster.close()
    assert killed, "the slow student's worker was never seen running it"
    assert set(result.runs) == set(subs)
    assert result.executed["slow"].worker != killed[0][0]  # graded again, elsewhere
    rows = {r.student: r for r in report(course, assignment)}
    assert rows["slow"].cell_scores == rows["solution"].cell_scores
    assert sum(rows["slow"].cell_scores.values()) > 0
    con = sqlite3.connect(str(course / "gradebook.db"))
    n = con.execute("select count(*) from submitted_assignment").fetchone()[0]
    con.close()
    assert n == len(subs)  # one submission per student, none twice
