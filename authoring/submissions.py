"""Demo submissions, built from ``source/`` and ``release/`` exactly as a student hands
them in (they carry the release's nbgrader metadata and checksums)."""

from __future__ import annotations

import copy
from typing import Sequence

import nbformat

from deepgrad_instructor.cells import MARKERS, grade_id, is_answer, is_test
from deepgrad_instructor.expectations import solution_notebook

from .mutants import Mutant, apply_mutants

__all__ = ["solution_notebook", "build_solution", "build_blank", "build_wrong", "BROKEN_BUILDERS",
           "build_deleted_test_cell", "build_dead_kernel", "build_infinite_loop",
           "build_corrupted", "TAMPER_BUILDERS"]


def build_solution(source_nb, release_nb):
    """The release notebook with every answer cell holding the source's solution."""
    sol = {grade_id(c): MARKERS.solution_code(c.source)
           for c in source_nb.cells if is_answer(c) and grade_id(c)}
    nb = copy.deepcopy(release_nb)
    for c in nb.cells:
        if is_answer(c):
            if grade_id(c) not in sol:
                raise ValueError(f"answer cell {grade_id(c)!r} of the release is not in the "
                                 "source")
            c.source = sol[grade_id(c)]
    return nb


def build_blank(release_nb):
    """What a student who did nothing hands in: the release notebook as is."""
    return copy.deepcopy(release_nb)


def build_wrong(source_nb, release_nb, mutants: Sequence[Mutant], *, strict: bool = True):
    """The solution submission with ``mutants`` applied to its answer cells."""
    return apply_mutants(build_solution(source_nb, release_nb), mutants, strict=strict)


def build_deleted_test_cell(source_nb, release_nb, test_id: str | None = None):
    """The solution submission with one test cell removed (default: the first).

    Returns ``(notebook, grade_id of the removed cell)``.
    """
    nb = build_solution(source_nb, release_nb)
    for i, c in enumerate(nb.cells):
        if is_test(c) and (test_id is None or grade_id(c) == test_id):
            del nb.cells[i]
            return nb, grade_id(c)
    raise ValueError(f"no test cell {test_id or ''} to delete")


def _first_code_answer(nb) -> int:
    for i, c in enumerate(nb.cells):
        if is_answer(c) and c.cell_type == "code":
            return i
    raise ValueError("the notebook has no code answer cell")


def build_dead_kernel(source_nb, release_nb):
    """The solution submission whose first answer cell kills the kernel (``os._exit``)."""
    nb = build_solution(source_nb, release_nb)
    c = nb.cells[_first_code_answer(nb)]
    c.source = c.source + "\n\nimport os; os._exit(1)\n"
    return nb


def build_infinite_loop(source_nb, release_nb):
    """The solution submission with a stray ``while True: pass`` cell after the first answer."""
    nb = build_solution(source_nb, release_nb)
    nb.cells.insert(_first_code_answer(nb) + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def build_corrupted(source_nb, release_nb) -> str:
    """The solution submission's file cut in the middle of its JSON (an interrupted
    upload): returns the raw text to write as the .ipynb."""
    text = nbformat.writes(build_solution(source_nb, release_nb))
    return text[: len(text) // 2]


#: The broken students of the demo class: each builder gives that student's first notebook.
BROKEN_BUILDERS = {
    "deleted_test_cell": lambda src, rel: build_deleted_test_cell(src, rel)[0],
    "corrupted": build_corrupted,
    "dead_kernel": build_dead_kernel,
    "infinite_loop": build_infinite_loop,
}


# ---- students who attack the grader (the toy course: its answer cells are double, total).
# Each is the blank submission with the first answer cell replaced by the attack; what
# each must never do is score a point on a cell with hidden checks.
_TAMPER = {
    # the checking API made a no-op: no check records at all
    "tamper_patch_checks": (
        "from deepgrad import check as _check\n"
        "_check.returns = _check.value = lambda *args, **kwargs: None\n"
        "def double(x):\n    raise NotImplementedError()"),
    # the expected value read from the checks' frames, or the hidden reference from globals
    "tamper_steal_expected": (
        "import sys\n"
        "def double(x):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        for got in (f.f_locals.get('expected'), f.f_globals.get('reference')):\n"
        "            if got is not None and repr(got) != 'HIDDEN':\n"
        "                return got\n"
        "        f = f.f_back\n"
        "    return x"),
    # an array whose comparisons always succeed
    "tamper_lying_output": (
        "class _Yes(np.ndarray):\n"
        "    def __eq__(self, other): return np.ones(np.shape(other), bool)\n"
        "    __ne__ = lambda self, other: np.zeros(np.shape(other), bool)\n"
        "def double(x):\n    return np.asarray(x).view(_Yes)"),
    # a judge that records the expected value as the output
    "tamper_forged_records": (
        "from deepgrad.check import judge as _judge, recording as _recording\n"
        "class _Forger(_recording.RecordingJudge):\n"
        "    def record(self, case):\n"
        "        case.got = case.expected\n"
        "        return super().record(case)\n"
        "_judge.use_judge(_Forger('got'))\n"
        "def double(x):\n    return x"),
}


def _tamper_builder(code):
    def build(source_nb, release_nb):
        nb = build_blank(release_nb)
        nb.cells[_first_code_answer(nb)].source = code
        return nb
    return build


#: The attacking students of the toy course (``make test``).
TAMPER_BUILDERS = {name: _tamper_builder(code) for name, code in _TAMPER.items()}
