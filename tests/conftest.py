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
    # the tests of the demo class last (it runs in the background meanwhile; see below)
    items[:] = [i for i in items if not _uses_demo(i)] + [i for i in items if _uses_demo(i)]


# ---- grading pipeline (tests/pipeline, tests/mutants, tests/notebooks) --------------
# The demo class starts in the background as soon as collection has selected a test that
# uses it (its two worker processes keep both cores busy); those tests run last, so every
# other test runs meanwhile, and the fixture only waits for it.
DEMO_FIXTURE = "demo_class"
_demo = None  # the authoring.demo.DemoRun under way


def _uses_demo(item) -> bool:
    return DEMO_FIXTURE in getattr(item, "fixturenames", ())


def _demo_progress():
    """DEEPGRAD_DEMO_LOG=FILE: the demo's progress, timed, in FILE (else nowhere)."""
    import os
    import time
    log, t0 = os.environ.get("DEEPGRAD_DEMO_LOG"), time.perf_counter()

    def progress(msg):
        if log:
            with open(log, "a") as f:
                print(f"{time.perf_counter() - t0:7.1f} {msg}", file=f)
    return progress


def _start_demo(config):
    """The instructor's cycle on the demo class, run ONCE for the whole session
    (:func:`authoring.demo.start_all`: a scratch course in a temp dir, one nbgrader cycle per
    assignment and the mutant harness -- each notebook's one solution run -- as jobs shared
    by two processes). The broken submissions go to the toy course, whose 5 s cell timeout
    keeps the infinite loop cheap (``make grade`` hands them in to every assignment)."""
    global _demo
    if _demo is None:
        from authoring.demo import start_all
        factory = config._tmp_path_factory  # pytest's own tmp_path_factory
        _demo = start_all(factory.mktemp("demo"), broken="toy", progress=_demo_progress())
    return _demo


@pytest.fixture(scope="session")
def demo_class(pytestconfig):
    """The demo class (see :func:`_start_demo`), waited for."""
    return _start_demo(pytestconfig).result()


# ---- the bounds-checked kernel run starts early (tests/support/boundscheck.py) -------
BOUNDSCHECK_TEST = "test_kernel_tests_pass_with_bounds_checking"


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    if any(_uses_demo(item) for item in session.items):
        _start_demo(session.config)
    if any(item.name == BOUNDSCHECK_TEST for item in session.items):
        from tests.support import boundscheck
        boundscheck.start()


def pytest_sessionfinish(session, exitstatus):
    from tests.support import boundscheck
    boundscheck.stop()
    if _demo is not None and not _demo.done():  # the session ended before it was used
        _demo.cancel()
