"""The solution's own functions, taken from a source notebook, for tests that compare them
with an independent implementation (tests/dev: PyTorch)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from authoring.submissions import solution_notebook
from deepgrad_instructor.cells import grade_id
from deepgrad_instructor.course import read_nb


def solution_namespace(notebook: Path, cells: Iterable[str], namespace: dict | None = None) -> dict:
    """Run the code cells whose grade_id is in ``cells`` (answer cells with their solution
    filled in, or given cells), in notebook order, in one namespace (``np`` predefined, plus
    ``namespace``), and return it. Fails when one of ``cells`` is not in the notebook."""
    wanted = set(cells)
    env = {"np": np, **(namespace or {})}
    found = set()
    for cell in solution_notebook(read_nb(notebook)).cells:
        if cell.cell_type != "code" or not cell.metadata.get("nbgrader"):
            continue
        gid = grade_id(cell)
        if gid in wanted:
            exec(compile(cell.source, f"<{gid}>", "exec"), env)
            found.add(gid)
    assert found == wanted, f"cells missing from {notebook.name}: {sorted(wanted - found)}"
    return env
