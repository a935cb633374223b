"""A static scan of a submission's own code for what an honest answer never does.

The judge outside the kernel (:mod:`.judging`) already keeps these from winning points on
hidden checks; the scan makes sure the instructor *sees* them. It reads the student's cells
only -- answer cells, and cells the student added -- never the course's given code, and
flags, per cell:

- assigning to (or deleting) an attribute of numpy, deepgrad, builtins, sys or os, or
  ``setattr`` / ``delattr`` on them;
- changing ``sys.modules``;
- exiting or signalling: ``os._exit``, ``sys.exit``, ``exit``, ``quit``, ``os.kill``,
  ``signal.*``;
- reading other frames: ``sys._getframe``, ``inspect.currentframe`` / ``stack`` /
  ``getouterframes``, ``f_back``, ``f_locals``, ``f_globals``;
- reaching into the checking machinery: importing ``deepgrad.check``'s judge, recording,
  wire or records modules, or calling ``use_judge`` / ``judged_by``;
- a class that defines its own comparison (``__eq__``, ``__ne__``, ``__bool__``,
  ``__array_ufunc__``, ``__array_function__``).

A cell that does not parse is not flagged here (it fails on its own).
"""

from __future__ import annotations

import ast

from .cells import grade_id

__all__ = ["scan_source", "scan_notebook"]

_MODULES = {"numpy", "deepgrad", "builtins", "sys", "os"}
_EXITS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "abort")}
_FRAMES = {("sys", "_getframe"), ("inspect", "currentframe"), ("inspect", "stack"),
           ("inspect", "getouterframes"), ("inspect", "trace")}
_FRAME_ATTRS = {"f_back", "f_locals", "f_globals"}
_MACHINERY = {"judge", "recording", "wire", "records"}
_COMPARISONS = {"__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__"}


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str) -> list[str]:
    """The flags of one cell's code (empty when it is clean)."""
    lines = [ln if not ln.lstrip().startswith(("%", "!")) else "" for ln in source.split("\n")]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    alias = {m: m for m in _MODULES | {"inspect", "signal"}}
    alias["np"] = "numpy"
    for node in ast.walk(tree):  # names the cell binds to the modules that matter
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top in alias:
                    alias[a.asname or top] = top
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            for a in node.names:
                if top in _MODULES:
                    alias[a.asname or a.name] = top
    flags: list[str] = []

    def flag(text):
        if text not in flags:
            flags.append(text)

    def module_of(node) -> str | None:
        return alias.get(_root(node) or "")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                       else [node.target])
            todo = list(targets)
            while todo:  # the assigned places only, not the expressions in their indices
                t = todo.pop()
                if isinstance(t, (ast.Tuple, ast.List)):
                    todo.extend(t.elts)
                elif isinstance(t, ast.Starred):
                    todo.append(t.value)
                elif isinstance(t, ast.Subscript):
                    if isinstance(t.value, ast.Attribute) and t.value.attr == "modules" \
                            and module_of(t.value) == "sys":
                        flag("changes sys.modules")
                    elif isinstance(t.value, ast.Attribute) and module_of(t.value) in _MODULES:
                        flag(f"changes an attribute of {module_of(t.value)}")
                elif isinstance(t, ast.Attribute) and module_of(t) in _MODULES:
                    flag(f"changes an attribute of {module_of(t)}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else None
            owner = module_of(f.value) if isinstance(f, ast.Attribute) else None
            if name in ("setattr", "delattr") and node.args and module_of(node.args[0]) in _MODULES:
                flag(f"changes an attribute of {module_of(node.args[0])}")
            if (owner, name) in _EXITS or (isinstance(f, ast.Name) and name in ("exit", "quit")) \
                    or owner == "signal":
                flag("exits or sends a signal")
            if (owner, name) in _FRAMES:
                flag("reads other frames")
            if name in ("use_judge", "judged_by"):
                flag("switches the checks' judge")
            if isinstance(f, ast.Attribute) and f.attr in ("pop", "update", "clear",
                                                          "__setitem__", "setdefault") \
                    and isinstance(f.value, ast.Attribute) and f.value.attr == "modules" \
                    and module_of(f.value) == "sys":
                flag("changes sys.modules")
        elif isinstance(node, ast.Attribute) and node.attr in _FRAME_ATTRS:
            flag("reads other frames")
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[:2] == ["deepgrad", "check"] and (
                    set(parts[2:]) & _MACHINERY or {a.name for a in node.names} & _MACHINERY):
                flag("imports the checks' machinery")
        elif isinstance(node, ast.Import):
            if any(a.name.split(".")[:2] == ["deepgrad", "check"]
                   and set(a.name.split(".")[2:]) & _MACHINERY for a in node.names):
                flag("imports the checks' machinery")
        elif isinstance(node, ast.ClassDef):
            defined = {b.name for b in node.body if isinstance(b, (ast.FunctionDef,
                                                                    ast.AsyncFunctionDef))}
            assigned = {t.id for b in node.body if isinstance(b, ast.Assign)
                        for t in b.targets if isinstance(t, ast.Name)}
            if (defined | assigned) & _COMPARISONS:
                flag("defines its own comparison")
    return flags


def scan_notebook(nb) -> dict[str, list[str]]:
    """Flags per student cell: answer cells (by grade id) and cells the student added
    (``cell N``); the course's own cells are not read."""
    out = {}
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and not meta.get("solution"):
            continue  # given or test code: the course's
        flags = scan_source(cell.get("source", ""))
        if flags:
            out[grade_id(cell) or f"cell {i + 1}"] = flags
    return out
