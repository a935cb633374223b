"""nbgrader preprocessors of the course (named in ``nbgrader_config.py``).

:class:`ScrubHiddenTestTracebacks` runs in ``generate_feedback`` before nbgrader's
``ClearHiddenTests``. ``ClearHiddenTests`` removes the hidden tests from a cell's *source*,
but not from its *outputs*: when a hidden test cell fails with an ordinary exception (a
``NameError`` because the student renamed a function, say), IPython's traceback quotes the
lines of the cell around the failure -- hidden test code, in the feedback. This keeps only
the exception's name and message there. (:class:`deepgrad.check.CheckFailure` tracebacks
never quote source, so the checks' own messages reach the student in full.)
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbgrader.plugins import CsvExportPlugin
from traitlets import Bool

from .cells import Markers

__all__ = ["ScrubHiddenTestTracebacks", "scrub_outputs"]


def scrub_outputs(cell) -> None:
    """Reduce every error output of ``cell`` to ``ename: evalue``, with no source lines."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            evalue = str(output.get("evalue", ""))
            output["traceback"] = [f"{output.get('ename', 'Error')}: {evalue}"]


class ScrubHiddenTestTracebacks(Preprocessor):
    """Strip source-quoting tracebacks from the outputs of hidden-test cells."""

    # nbconvert skips a registered preprocessor unless it is enabled
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        self._markers = Markers.from_config(self.config)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if self._markers.has_hidden_tests(cell):
            scrub_outputs(cell)
        return cell, resources


class IntegrityCsvExport(CsvExportPlugin):
    """nbgrader's CSV export with two more columns per student and assignment:
    ``sandboxed`` (yes; NO when a notebook was graded without the sandbox, which the
    instructor must know; empty when no kernel ran) and ``flags`` (what the judge, the scan
    and the sandbox flagged, by notebook and cell: :func:`.report.integrity`; for a
    student whose autograde failed, why, from :mod:`.cycle`'s results).
    In ``nbgrader_config.py``: ``c.ExportApp.plugin_class = IntegrityCsvExport``."""

    def export(self, gradebook) -> None:
        import csv
        from pathlib import Path

        from nbgrader.coursedir import CourseDirectory

        from .course import read_nb
        from .cycle import read_result
        from .report import integrity
        super().export(gradebook)
        dest = Path(self.to or "grades.csv")
        rows = list(csv.reader(dest.open(newline="")))
        root = Path(CourseDirectory(config=self.config).root)
        out = [rows[0] + ["sandboxed", "flags"]]
        for row in rows[1:]:
            info = dict(zip(rows[0], row))
            folder = root / "autograded" / info["student_id"] / info["assignment"]
            sandboxed, flags = "", []
            run = read_result(root, info["assignment"], info["student_id"])
            if run is not None and not run.success:  # no autograded notebook to read
                flags.append(f"AUTOGRADE FAILED ({run.reason})")
                if run.sandbox is not None:
                    sandboxed = "yes" if run.sandbox.get("sandboxed") else "NO"
                    flags += run.sandbox.get("flags", [])
            else:
                for path in sorted(folder.glob("*.ipynb")):
                    found, sandbox = integrity(read_nb(path))
                    sandboxed = "NO" if sandboxed == "NO" or not (
                        sandbox and sandbox.get("sandboxed")) else "yes"
                    flags += [f"{path.stem}/{g}: {', '.join(f)}" for g, f in found.items()]
            out.append(row + [sandboxed, "; ".join(flags)])
        with dest.open("w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(out)
