"""Shared fixtures, the hypothesis profile and the layer markers. Keep small; append, do
not rewrite (several people add to it). Shared strategies and reference implementations
are in tests/support."""

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
          "notebooks": "notebooks", "browser": "browser", "dev": "oracle"}
SLOW_LAYERS = {"notebooks", "browser"}
# Tests that use the session fixture ``demo_class`` below (the whole grading cycle) are slow.


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
        if layer in SLOW_LAYERS or "demo_class" in item.fixturenames:
            item.add_marker("slow")


# ---- grading pipeline (tests/pipeline, tests/mutants, tests/notebooks) --------------
@pytest.fixture(scope="session")
def demo_class(tmp_path_factory):
    """The instructor's cycle on the demo class, run ONCE for the whole session
    (:func:`authoring.demo.run_all`: a scratch course in a temp dir, one nbgrader cycle per
    assignment, the mutant harness -- each notebook's one solution run -- on a second
    process). The broken submissions go to the toy course, whose 5 s cell timeout keeps
    the infinite loop cheap (``make grade`` hands them in to every assignment)."""
    from authoring.demo import run_all
    return run_all(tmp_path_factory.mktemp("demo"), broken="toy", progress=lambda msg: None)


# ---- the bounds-checked kernel run starts early (tests/support/boundscheck.py) -------
BOUNDSCHECK_TEST = "test_kernel_tests_pass_with_bounds_checking"


def pytest_collection_finish(session):
    if any(item.name == BOUNDSCHECK_TEST for item in session.items):
        from tests.support import boundscheck
        boundscheck.start()


def pytest_sessionfinish(session, exitstatus):
    from tests.support import boundscheck
    boundscheck.stop()
