"""Plausible student mistakes, written down as mutants of the solution.

One layout: ``tests/mutants/<assignment>/<notebook stem>.py`` holds the ``MUTANTS`` of that
notebook (at least three per code answer cell) and, optionally, ``WRONG_STUDENTS``
(``{student: [mutant names]}``: the wrong submissions of the demo class). An assignment
without ``WRONG_STUDENTS`` gets two automatic ones.
"""

from __future__ import annotations

import copy
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from deepgrad_instructor.cells import grade_id, is_answer

__all__ = ["Mutant", "MutantError", "mutants_dir", "mutant_files", "load_file",
           "load_assignment", "wrong_students", "apply_mutants", "answer_cells"]


class MutantError(ValueError):
    """A mutant cannot be applied (unknown cell, or ``old`` not found exactly once)."""


@dataclass(frozen=True)
class Mutant:
    """A plausible student mistake in one solution cell.

    Parameters
    ----------
    cell : str
        ``grade_id`` of the solution cell (the function's name, e.g. ``"compute_cost"``).
    name : str
        Short unique id, e.g. ``"no_divide_by_m"``.
    hint : str
        The mistake in words, for the instructor's table.
    old, new : str
        ``old`` must occur exactly once in the cell's solution code; it becomes ``new``.
    """

    cell: str
    name: str
    hint: str
    old: str
    new: str

    def apply(self, source: str) -> str:
        n = source.count(self.old)
        if n != 1:
            where = "does not occur" if n == 0 else f"occurs {n} times"
            raise MutantError(
                f"mutant {self.name!r}: its `old` text {where} in the solution of cell "
                f"{self.cell!r} (it must occur exactly once).\n  old = {self.old!r}")
        return source.replace(self.old, self.new)


def mutants_dir(repo: str | os.PathLike) -> Path:
    return Path(repo) / "tests" / "mutants"


def mutant_files(repo, assignment: str) -> list[Path]:
    """The mutants files of ``assignment``, one per notebook, sorted."""
    return sorted((mutants_dir(repo) / assignment).glob("*.py"))


def load_file(path: str | os.PathLike) -> tuple[list[Mutant], dict[str, list[str]]]:
    """``(MUTANTS, WRONG_STUDENTS)`` of one mutants file."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(
        f"_mutants_{path.parent.name}_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return list(mod.MUTANTS), dict(getattr(mod, "WRONG_STUDENTS", {}))


def load_assignment(repo, assignment: str) -> tuple[list[Mutant], dict[str, list[str]]]:
    """Every mutant of ``assignment`` (names unique across its notebooks) and its wrong
    students' mutant names."""
    mutants: list[Mutant] = []
    students: dict[str, list[str]] = {}
    for path in mutant_files(repo, assignment):
        ms, ws = load_file(path)
        mutants += ms
        students.update(ws)
    names = [m.name for m in mutants]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise MutantError(f"tests/mutants/{assignment}: duplicate mutant names {dup}")
    return mutants, students


def wrong_students(mutants: Sequence[Mutant], spec: dict[str, list[str]]
                   ) -> dict[str, list[Mutant]]:
    """The wrong students of the demo class: ``spec`` by mutant name, or two automatic ones
    (one mutant; two mutants in two different cells)."""
    by_name = {m.name: m for m in mutants}
    if spec:
        missing = sorted({n for names in spec.values() for n in names} - set(by_name))
        if missing:
            raise MutantError(f"WRONG_STUDENTS uses mutants {missing} that MUTANTS does not "
                              "define")
        return {s: [by_name[n] for n in names] for s, names in spec.items()}
    if not mutants:
        return {}
    first = mutants[0]
    other = next((m for m in mutants if m.cell != first.cell), None)
    out = {f"wrong_{first.name}": [first]}
    if other is not None:
        out[f"wrong_{first.name}_{other.name}"] = [first, other]
    return out


def answer_cells(nb) -> dict[str, int]:
    """``grade_id`` -> index of every answer cell."""
    return {grade_id(c): i for i, c in enumerate(nb.cells) if is_answer(c) and grade_id(c)}


def apply_mutants(nb, mutants: Sequence[Mutant], *, strict: bool = True):
    """A copy of a *solution* notebook (markers stripped) with the mutants applied.

    With ``strict=False`` mutants of cells this notebook does not have are skipped (for
    assignments with several notebooks); a mutant whose ``old`` text is not found exactly
    once always raises :class:`MutantError`.
    """
    nb = copy.deepcopy(nb)
    cells = answer_cells(nb)
    for m in mutants:
        if m.cell not in cells:
            if not strict:
                continue
            raise MutantError(f"mutant {m.name!r}: no solution cell with grade_id "
                              f"{m.cell!r} (there are: {', '.join(cells)})")
        c = nb.cells[cells[m.cell]]
        c.source = m.apply(c.source)
    return nb
