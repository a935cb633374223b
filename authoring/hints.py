"""The hints a notebook's checks declare, and whether some real mistake makes each one show.

A hint that no mistake triggers is either wrong (its value is not what the mistake gives)
or unreachable (an earlier check of the same cell always fails first). Every
``check.Mistake(hint, ...)`` and ``check.at_least(..., hint=...)`` in a test cell of a
source notebook must be shown, word for word, by at least one mutant of that notebook.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from deepgrad_instructor.cells import grade_id, is_test

from .harness import MutantOutcome, _parse

__all__ = ["DeclaredHint", "declared_hints", "shown_by"]


@dataclass(frozen=True)
class DeclaredHint:
    cell: str                 # grade_id of the test cell
    parts: tuple[str, ...]    # the hint's literal text (the pieces around f-string fields)

    @property
    def text(self) -> str:
        return " … ".join(self.parts)


def _literal_parts(node: ast.AST) -> tuple[str, ...] | None:
    """The literal text of a str expression: a constant, an f-string's constant pieces,
    or a concatenation of those; None for anything computed otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.JoinedStr):
        return tuple(v.value for v in node.values
                     if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_parts(node.left), _literal_parts(node.right)
        if left is not None and right is not None:
            if left and right and isinstance(node.left, ast.Constant) \
                    and isinstance(node.right, ast.Constant):
                return (left[0] + right[0],)
            return left + right
    return None


def _hint_arg(call: ast.Call) -> ast.AST | None:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else \
        call.func.id if isinstance(call.func, ast.Name) else None
    if name == "Mistake":
        if call.args:
            return call.args[0]
        return next((k.value for k in call.keywords if k.arg == "hint"), None)
    if name == "at_least":
        return next((k.value for k in call.keywords if k.arg == "hint"), None)
    return None


def declared_hints(source_nb) -> list[DeclaredHint]:
    """Every hint a test cell of ``source_nb`` declares (hidden tests included)."""
    out = []
    for cell in source_nb.cells:
        if not is_test(cell):
            continue
        tree = _parse(cell.source)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Call):
                arg = _hint_arg(node)
                parts = _literal_parts(arg) if arg is not None else None
                if parts:
                    out.append(DeclaredHint(grade_id(cell), parts))
    return out


def _shows(message: str, hint: DeclaredHint) -> bool:
    at = 0
    for part in hint.parts:
        at = message.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def shown_by(hint: DeclaredHint, outcomes: Iterable[MutantOutcome]) -> list[str]:
    """The mutants whose failure message in the hint's cell shows the hint."""
    return [o.name for o in outcomes
            if hint.cell in o.scores and _shows(o.scores[hint.cell].error, hint)]
