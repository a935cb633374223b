"""nbgrader's autograde with the verdicts decided outside the student's kernel.

Two preprocessors around nbgrader's ``Execute`` (or the sandbox's ``SandboxedExecute``):

- :class:`RecordChecks`, before it: the kernel it starts records its checks instead of
  judging them (``DEEPGRAD_CHECK_RECORD=got``, inherited by the kernel), and the test
  cells' reference blocks, which compute the expected values, are stripped from the code
  it runs (:mod:`deepgrad_instructor.references`);
- :class:`JudgeChecks`, right after it: the judge (:mod:`deepgrad_instructor.judging`)
  decides every graded test cell from those records and the solution's
  (:mod:`deepgrad_instructor.expectations`, made on first use and whenever the source
  notebook changes), and rewrites the cells' outputs, so that nbgrader's
  ``SaveAutoGrades`` stores the judge's verdict in the gradebook. Its flags (missing,
  forged or extra records) go into the autograded notebook's metadata,
  ``deepgrad.judge``, beside a static scan of the student's own cells (:mod:`.scan`:
  patching numpy or deepgrad, sys.modules, exits, reading frames...), ``deepgrad.scan``.

In ``nbgrader_config.py``::

    from deepgrad_instructor.outside_judge import use_outside_judge
    use_outside_judge(c)
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from deepgrad.check.recording import ENV

from .cells import is_test
from .expectations import ensure
from .judging import judge_notebook
from .references import has_references, strip_references
from .scan import scan_notebook

__all__ = ["RecordChecks", "JudgeChecks", "use_outside_judge"]


class RecordChecks(NbGraderPreprocessor):
    """Before ``Execute``: the grading kernel records its checks (mode ``"got"``), and the
    reference blocks of the test cells are replaced by names bound to ``HIDDEN``
    (:mod:`deepgrad_instructor.references`); :class:`JudgeChecks` puts them back."""

    def preprocess(self, nb, resources):
        os.environ[ENV] = "got"
        for cell in nb.cells:
            if is_test(cell) and has_references(cell.source):
                cell.metadata.setdefault("deepgrad", {})["source"] = cell.source
                cell.source = strip_references(cell.source)
        return nb, resources


class JudgeChecks(NbGraderPreprocessor):
    """After ``Execute``: the judge decides every graded test cell (module docstring)."""

    def preprocess(self, nb, resources):
        os.environ.pop(ENV, None)  # kernels this process starts later judge as usual
        for cell in nb.cells:  # the test cells as the gradebook has them
            kept = cell.get("metadata", {}).get("deepgrad", {}).pop("source", None)
            if kept is not None:
                cell.source = kept
                if not cell.metadata["deepgrad"]:
                    del cell.metadata["deepgrad"]
        from nbgrader.coursedir import CourseDirectory
        info = resources["nbgrader"]
        course = Path(CourseDirectory(config=self.config).root).resolve()
        timeout = self.config.Execute.get("timeout", 60) or 60
        expectations = ensure(course, info["assignment"], info["notebook"] + ".ipynb",
                              timeout=int(timeout))
        judgements = judge_notebook(nb, expectations)
        nb.metadata.setdefault("deepgrad", {})["judge"] = {
            g: {"passed": j.passed, "flags": j.flags} for g, j in judgements.items()}
        nb.metadata["deepgrad"]["scan"] = scan_notebook(nb)  # the student's own cells
        failed = [g for g, j in judgements.items() if not j.passed]
        flagged = {g: j.flags for g, j in judgements.items() if j.flags}
        self.log.info("judged %d test cells outside the kernel: %d failed%s", len(judgements),
                      len(failed), f"; flags: {flagged}" if flagged else "")
        return nb, resources


def use_outside_judge(c) -> None:
    """Put :class:`RecordChecks` and :class:`JudgeChecks` around the execute step of
    nbgrader's autograde (configuration ``c``), whatever runs it (``Execute`` or the
    sandbox's subclass); the other preprocessors are unchanged. Idempotent."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    current = c.Autograde.get("autograde_preprocessors")
    if current is None or not isinstance(current, list):
        current = list(Autograde.class_traits()["autograde_preprocessors"].default())
    out = []
    for p in current:
        if p in (RecordChecks, JudgeChecks):
            continue
        if isinstance(p, type) and issubclass(p, Execute):
            out += [RecordChecks, p, JudgeChecks]
        else:
            out.append(p)
    c.Autograde.autograde_preprocessors = out
