"""Shared fixtures, the hypothesis profile and the layer markers. Keep small; append, do
not rewrite (several people add to it). Shared strategies and reference implementations
are in tests/support."""

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"

# ---- hypothesis: one profile for every property test ---------------------------------
# No deadline: a first call compiles or loads a Numba kernel, and the machine is shared.
# Tests set only max_examples, where the default (100) is not the right amount.
settings.register_profile(
    "deepgrad", deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile("deepgrad")

# ---- markers by layer ----------------------------------------------------------------
# The test's folder under tests/ says its layer (markers are described in pytest.ini).
LAYERS = {"lib": "runtime", "pipeline": "instructor", "mutants": "authoring",
          "notebooks": "notebooks", "browser": "browser"}
SLOW_LAYERS = {"notebooks", "browser"}
# Layers whose tests use the session fixture ``demo`` below (the whole grading cycle).
# tests/lib has fixtures of the same name (the widget demos), hence the restriction.
DEMO_LAYERS = {"instructor", "authoring"}


def pytest_collection_modifyitems(items):
    for item in items:
        try:
            folder = item.path.relative_to(TESTS).parts[0]
        except ValueError:  # a test outside tests/ (given on the command line)
            continue
        layer = LAYERS.get(folder)
        if layer is None:
            continue
        item.add_marker(layer)
        if layer in SLOW_LAYERS or (layer in DEMO_LAYERS and "demo" in item.fixturenames):
            item.add_marker("slow")


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
