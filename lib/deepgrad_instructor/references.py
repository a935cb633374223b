"""Reference blocks: the part of a hidden test that computes expected values, kept out of
the student's kernel.

A hidden check needs two things: inputs, on which the student's function runs in the
kernel, and the expected output, which the judge takes from the solution's run
(:mod:`deepgrad_instructor.expectations`). A test cell computes the expected output in a
reference block, inside its hidden tests::

    ### BEGIN HIDDEN TESTS
    z = rng.normal(size=20)
    ### BEGIN REFERENCE
    reference = 1.0 / (1.0 + np.exp(-z))   # an independent implementation
    ### END REFERENCE
    check.returns(sigmoid, args=(z,), expected=reference)
    ### END HIDDEN TESTS

In the source notebook's run (the instructor's side) the block runs, and the check records
the reference as the expected value: the solution is compared with an independent
implementation every time the expectations are made. In a student's grading kernel the
block is replaced by ``reference = <hidden>`` (:data:`deepgrad.check.HIDDEN`) for each name
it binds, so no expected value, reference implementation or wrong answer the hints
recognise is ever computed where the student's code could read it (from a caller's
frame, ``globals()`` or IPython's input history).

A block must not draw from a random generator the inputs also use (the inputs would then
differ between the two runs); a block sits at the top level of the cell.
"""

from __future__ import annotations

import ast

__all__ = ["BEGIN", "END", "ReferenceBlockError", "strip_references", "reference_names",
           "has_references", "unhidden_expectations"]

MARKER_HIDDEN = "BEGIN HIDDEN TESTS"
BEGIN = "### BEGIN REFERENCE"
END = "### END REFERENCE"
#: What a name bound in a reference block is bound to in the student's kernel.
HIDDEN_EXPR = "__import__('deepgrad.check', fromlist=['HIDDEN']).HIDDEN"


class ReferenceBlockError(ValueError):
    """A reference block that cannot be stripped (unbalanced markers, not top level,
    not Python)."""


def has_references(source: str) -> bool:
    return BEGIN in source


def _blocks(source: str) -> list[tuple[int, int]]:
    """(begin, end) line indices of each block, markers included."""
    lines = source.split("\n")
    out, start = [], None
    for i, line in enumerate(lines):
        if BEGIN in line:
            if start is not None:
                raise ReferenceBlockError(f"line {i + 1}: {BEGIN} inside a reference block")
            if line.strip() != BEGIN:
                raise ReferenceBlockError(f"line {i + 1}: a reference block must start at the "
                                      "top level of the cell, on a line of its own")
            start = i
        elif END in line:
            if start is None:
                raise ReferenceBlockError(f"line {i + 1}: {END} without {BEGIN}")
            out.append((start, i))
            start = None
    if start is not None:
        raise ReferenceBlockError(f"line {start + 1}: {BEGIN} without {END}")
    return out


def reference_names(block: str) -> list[str]:
    """The names a block binds at its top level, in order (assignments, defs, imports,
    for-loop targets, with-as)."""
    try:
        tree = ast.parse(block)
    except SyntaxError as exc:
        raise ReferenceBlockError(f"a reference block is not valid Python: {exc.msg} "
                              f"(line {exc.lineno})") from None
    names: list[str] = []

    def add(target):
        for n in ast.walk(target):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in names:
                names.append(n.id)

    def visit(stmts):
        for node in stmts:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name) if node.name not in names else None
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                for t in getattr(node, "targets", None) or [node.target]:
                    add(t)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    n = (a.asname or a.name).split(".")[0]
                    names.append(n) if n not in names else None
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                add(node.target)
                visit(node.body + node.orelse)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        add(item.optional_vars)
                visit(node.body)
            elif isinstance(node, (ast.If, ast.While)):
                visit(node.body + node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body + node.orelse + node.finalbody
                      + [s for h in node.handlers for s in h.body])
    visit(tree.body)
    return names


def strip_references(source: str) -> str:
    """``source`` with each reference block replaced by its names bound to
    :data:`deepgrad.check.HIDDEN` (same number of lines before and after the block, so
    that line numbers in a traceback stay right)."""
    blocks = _blocks(source)
    if not blocks:
        return source
    lines = source.split("\n")
    out, at = [], 0
    for begin, end in blocks:
        out.extend(lines[at:begin])
        names = reference_names("\n".join(lines[begin + 1:end]))
        body = [f"{n} = {HIDDEN_EXPR}" for n in names]
        size = end - begin + 1
        body = (body + [""] * size)[:max(size, len(body))]
        out.extend(body)
        at = end + 1
    out.extend(lines[at:])
    return "\n".join(out)


_CHECKS = ("returns", "value", "at_least", "gradient", "raises")


def unhidden_expectations(source: str) -> list[str]:
    """What a hidden test cell still computes in the student's kernel: each check whose
    expected value (or a listed mistake's ``value=``) does not come from a reference block
    -- an expression that reads none of the names a block binds. A consistency check
    (``consistency=True``) is exempt: its expected value is the student's own work."""
    if MARKER_HIDDEN not in source:
        return []
    bound: set[str] = set()
    lines = source.split("\n")
    for begin, end in _blocks(source):
        bound.update(reference_names("\n".join(lines[begin + 1:end])))
    tree = ast.parse("\n".join(ln if not ln.lstrip().startswith(("%", "!")) else ""
                               for ln in lines))
    problems = []

    def reads_reference(node) -> bool:
        return any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(node))

    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "check"
                and call.func.attr in _CHECKS):
            continue
        kw = {k.arg: k.value for k in call.keywords}
        consistency = kw.get("consistency")
        if isinstance(consistency, ast.Constant) and consistency.value is True:
            continue
        expected = kw.get("expected")
        if expected is None and call.func.attr == "value" and len(call.args) >= 3:
            expected = call.args[2]
        if expected is not None and not reads_reference(expected):
            problems.append(f"line {call.lineno}: check.{call.func.attr}'s expected value "
                            f"`{ast.unparse(expected)[:60]}` is not computed in a reference block")
        for m in ast.walk(kw["mistakes"]) if "mistakes" in kw else ():
            if isinstance(m, ast.keyword) and m.arg == "value" and not reads_reference(m.value):
                problems.append(f"line {call.lineno}: a mistake's value "
                                f"`{ast.unparse(m.value)[:60]}` is not computed in a "
                                "reference block")
    return problems

