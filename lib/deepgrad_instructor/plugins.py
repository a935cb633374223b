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
