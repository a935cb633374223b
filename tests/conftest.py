"""Shared fixtures. Keep small; append, do not rewrite (several people add to it)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


# ---- grading pipeline (tests/pipeline, tests/mutants) -------------------------------
@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The instructor's cycle on the demo class, run ONCE for the whole session: for every
    assignment, {assignment: grade_demo.DemoAssignment} (scratch course in a temp dir,
    validation and the mutant harness on a second process). The broken submissions are
    handed in for the first assignment only (``make grade`` hands them in for every one)."""
    sys.path.insert(0, str(REPO / "tests" / "demo"))
    import grade_demo
    return grade_demo.run_all(tmp_path_factory.mktemp("demo"), broken="first",
                              progress=lambda msg: None)
