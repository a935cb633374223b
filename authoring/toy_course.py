"""A tiny throwaway course (one assignment, two graded functions, one manual answer), built
in a temp dir and never committed to source/: fast tests of the grading tools, and the
course the broken demo submissions are handed in to by ``make test`` (they exercise the
pipeline, not an assignment; its 5 s cell timeout makes the infinite loop cheap)."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .mutants import Mutant

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "00_toy"


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=0, task=False):
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": task}
    if grade or task:
        m["points"] = points
    return {"nbgrader": m}


def _cell(kind, source, **meta):
    c = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    c.metadata = _meta(**meta)
    return c


def toy_notebook():
    cells = [
        new_markdown_cell("# Toy assignment"),
        _cell("code", "import numpy as np\nfrom deepgrad import check", grade_id="imports",
              locked=True),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    y = np.asarray(x) * 2.0\n"
              "    return y\n    ### END SOLUTION", grade_id="double", solution=True),
        _cell("code", "check.returns(double, args=(np.array([1.0, 2.0]),), "
              "expected=np.array([2.0, 4.0]))", grade_id="test_double",
              grade=True, locked=True, points=2),
        _cell("code", "check.returns(double, args=(np.array([0.5]),), expected=np.array([1.0]))\n"
              "### BEGIN HIDDEN TESTS\nx = np.array([-3.25, 7.0])\n### BEGIN REFERENCE\n"
              "reference = x + x\n### END REFERENCE\n"
              "check.returns(double, args=(x,), expected=reference, mistakes=["
              "check.Mistake('times 3?', transform=lambda e: 1.5 * e)])\n### END HIDDEN TESTS",
              grade_id="test_double_hidden", grade=True, locked=True, points=1),
        _cell("code", "def total(x):\n    ### BEGIN SOLUTION\n    s = float(np.sum(double(x)))\n"
              "    return s\n    ### END SOLUTION", grade_id="total", solution=True),
        _cell("code", "check.returns(total, args=(np.array([1.0, 2.0]),), expected=6.0)",
              grade_id="test_total", grade=True, locked=True, points=2),
        _cell("markdown", "Why double?", grade_id="why_q", locked=True),
        _cell("markdown", "### BEGIN SOLUTION\nBecause twice is nice.\n### END SOLUTION",
              grade_id="why", solution=True, grade=True, points=1),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                  "language": "python"},
                   "language_info": {"name": "python"}}
    return nb


MUTANTS = [
    Mutant(cell="double", name="triple", hint="times 3", old="* 2.0", new="* 3.0"),
    Mutant(cell="double", name="int_result", hint="integer", old="np.asarray(x) * 2.0",
           new="(np.asarray(x) * 2).astype(int)"),
    Mutant(cell="total", name="mean", hint="mean, not sum", old="np.sum", new="np.mean"),
]


def make_toy_course(root: Path, *, timeout: int = 5) -> Path:
    """A course dir at ``root``: the repo's nbgrader_config.py (which finds the toy
    assignment in source/ by itself) with a per-cell timeout of ``timeout`` seconds."""
    root.mkdir(parents=True, exist_ok=True)
    text = (REPO / "nbgrader_config.py").read_text()
    text += f"\nc.Execute.timeout = {int(timeout)}\n"
    (root / "nbgrader_config.py").write_text(text)
    src = root / "source" / ASSIGNMENT
    src.mkdir(parents=True, exist_ok=True)
    nbformat.write(toy_notebook(), str(src / "toy.ipynb"))
    (root / "release").mkdir(exist_ok=True)
    return root
