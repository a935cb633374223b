"""Flags for a submission that edited the course's cells (issue 12, "tampering reported").

nbgrader's ``OverwriteCells`` (run by autograde while it sanitizes a submission) puts back
what the gradebook holds for every graded or locked cell -- its type, its points, its source
-- and only *logs* a warning when they differ. So a student who raised a test cell's points,
turned a test cell into markdown or replaced its code by ``pass`` is graded as if nothing
happened, and the instructor never hears of it. :class:`FlagEditedCells`, just before
``OverwriteCells``, compares each such cell with the gradebook's copy and writes what it
found into the notebook's metadata, ``deepgrad.flags`` (``{grade_id: [flag, ...]}``, beside
the judge's and the scan's flags, which the report reads):

- ``changed the type of test cell X (code -> markdown)``;
- ``changed the points of test cell X (1 -> 10)``;
- ``edited the source of test cell X`` (a locked cell: the source differs from the
  release's, which is the gradebook's with its hidden tests cleared);
- ``unlocked test cell X``; ``unmarked the grading of test cell X`` (``grade`` turned off);
- ``brought deepgrad metadata of its own`` (``"notebook"``): a submission carries no
  ``deepgrad`` metadata (no release notebook has any); whatever it brings is removed, so
  that only the grader writes the flags and the judge's records.

"test" is "answer" for an answer cell and "locked" for the course's given cells. A cell
whose grade id the gradebook does not know is left to ``OverwriteCells`` (it drops the id);
a deleted test cell is reported by :mod:`.report` (``TEST CELL DELETED``).

In ``nbgrader_config.py``::

    from deepgrad_instructor.edits import use_edit_flags
    use_edit_flags(c)
"""

from __future__ import annotations

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from nbgrader.utils import is_grade, is_solution

from .cells import grade_id

__all__ = ["FlagEditedCells", "use_edit_flags", "add_flags", "NOTEBOOK", "OWN_METADATA"]

NOTEBOOK = "notebook"  # the key of flags about the notebook as a whole
OWN_METADATA = "brought deepgrad metadata of its own"


def add_flags(nb, key: str, flags) -> None:
    """Append ``flags`` to ``nb.metadata["deepgrad"]["flags"][key]`` (no duplicates)."""
    flags = list(flags)
    if not flags:
        return
    have = nb.metadata.setdefault("deepgrad", {}).setdefault("flags", {}).setdefault(key, [])
    have.extend(f for f in flags if f not in have)


def _kind(solution: bool, grade: bool) -> str:
    return "answer" if solution else "test" if grade else "locked"


def _released_source(source: str, config=None) -> str:
    """``source`` (the gradebook's, hidden tests included) as the release has it: nbgrader's
    own ``ClearHiddenTests`` with the course's delimiters."""
    c = NotebookNode({"source": source})
    ClearHiddenTests(config=config)._remove_hidden_test_region(c)
    return c.source


class FlagEditedCells(NbGraderPreprocessor):
    """Before ``OverwriteCells``: flags the course's cells the submission changed (module
    docstring). It changes nothing else in the notebook."""

    def preprocess(self, nb, resources):
        from nbgrader.api import Gradebook, MissingEntry
        own = [i for i, c in enumerate(nb.cells) if "deepgrad" in c.get("metadata", {})]
        brought = "deepgrad" in nb.metadata or bool(own)
        nb.metadata.pop("deepgrad", None)
        for i in own:
            del nb.cells[i].metadata["deepgrad"]
        if brought:
            add_flags(nb, NOTEBOOK, [OWN_METADATA])
        info = resources["nbgrader"]
        notebook, assignment = info["notebook"], info["assignment"]
        with Gradebook(info["db_url"]) as gb:
            try:  # the notebook's cells in three queries, not three a cell
                book = gb.find_notebook(notebook, assignment)
            except MissingEntry:
                return nb, resources
            sources = {c.name: c for c in book.source_cells}
            graded_cells = {c.name: c for c in [*book.task_cells, *book.grade_cells]}
            solutions = {c.name for c in book.solution_cells}
            for cell in nb.cells:
                gid = grade_id(cell)
                if gid is None or gid not in sources:
                    continue
                flags = self.compare(cell, sources[gid], graded_cells.get(gid),
                                     gid in solutions, self.config)
                if flags:
                    add_flags(nb, gid, flags)
                    self.log.warning("cell %s was edited: %s", gid, "; ".join(flags))
        return nb, resources

    @staticmethod
    def compare(cell, src, graded, solution: bool, config=None) -> list[str]:
        """What differs between a submitted cell and the gradebook's ``src`` (a SourceCell)
        and ``graded`` (its GradeCell, or None); ``config``: the course's (delimiters)."""
        gid = src.name
        what = f"{_kind(solution, graded is not None)} cell {gid}"
        flags = []
        if cell.cell_type != src.cell_type:
            flags.append(f"changed the type of {what} ({src.cell_type} -> {cell.cell_type})")
        if graded is not None:
            if not is_grade(cell):
                flags.append(f"unmarked the grading of {what}")
            else:
                try:
                    points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
                except (TypeError, ValueError):
                    points = None
                if points != float(graded.max_score):
                    shown = "?" if points is None else f"{points:g}"
                    flags.append(f"changed the points of {what} "
                                 f"({float(graded.max_score):g} -> {shown})")
        if src.locked:
            # the cell's own flag (nbgrader's is_locked says True for every grade cell)
            if not (cell.metadata.get("nbgrader", {}) or {}).get("locked", False):
                flags.append(f"unlocked {what}")
            if not is_solution(cell) and cell.source != _released_source(src.source, config):
                flags.append(f"edited the source of {what}")
        return flags


def use_edit_flags(c) -> None:
    """Put :class:`FlagEditedCells` right before ``OverwriteCells`` in nbgrader's autograde
    (configuration ``c``). ``OverwriteCells`` is one of autograde's *sanitize*
    preprocessors (``c.Autograde.sanitize_preprocessors``: the pass that copies the
    submission into ``autograded/`` before anything runs), so that is the list changed; the
    flags travel in the notebook to the execute pass. Idempotent."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import OverwriteCells
    current = c.Autograde.get("sanitize_preprocessors")
    if current is None or not isinstance(current, list):
        current = list(Autograde.class_traits()["sanitize_preprocessors"].default())
    out = []
    for p in current:
        if p is FlagEditedCells:
            continue
        if isinstance(p, type) and issubclass(p, OverwriteCells):
            out.append(FlagEditedCells)
        out.append(p)
    if FlagEditedCells not in out:
        raise ValueError("autograde's sanitize preprocessors have no OverwriteCells to put "
                         "FlagEditedCells before")
    c.Autograde.sanitize_preprocessors = out
