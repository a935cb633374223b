"""The static scan of a student's cells: each pattern flagged, honest code never."""

import pytest

from deepgrad_instructor.scan import scan_source


@pytest.mark.parametrize("code, flag", [
    ("np.allclose = lambda *a, **k: True", "changes an attribute of numpy"),
    ("import numpy as xp\nsetattr(xp, 'isclose', None)", "changes an attribute of numpy"),
    ("from deepgrad import check as c\nc.returns = print", "changes an attribute of deepgrad"),
    ("import builtins\ndel builtins.print", "changes an attribute of builtins"),
    ("import sys\nsys.modules['numpy'] = None", "changes sys.modules"),
    ("import sys\nsys.modules.pop('deepgrad')", "changes sys.modules"),
    ("import os\nos._exit(0)", "exits or sends a signal"),
    ("raise SystemExit if exit() else 0", "exits or sends a signal"),
    ("import signal\nsignal.alarm(1)", "exits or sends a signal"),
    ("import sys\nf = sys._getframe(1)", "reads other frames"),
    ("def f(frame):\n    return frame.f_back.f_locals", "reads other frames"),
    ("from deepgrad.check import judge", "imports the checks' machinery"),
    ("import deepgrad.check.recording", "imports the checks' machinery"),
    ("check.use_judge(None)", "switches the checks' judge"),
    ("class A(np.ndarray):\n    __eq__ = lambda s, o: True", "defines its own comparison"),
])
def test_each_pattern_is_flagged(code, flag):
    assert flag in scan_source(code)


@pytest.mark.parametrize("code", [
    "Y[labels, np.arange(m)] = 1.0",
    "config['m'], config['v'] = m, v",
    "params = {'W1': np.zeros((2, 2))}\nparams['W1'] -= 0.1",
    "rng = np.random.default_rng(0)\nx = rng.normal(size=3)",
    "import inspect\nsig = inspect.signature(print)",
    "def f(x):\n    return x == 0",
    "x = (",  # does not parse: not flagged here
])
def test_honest_code_is_not_flagged(code):
    assert scan_source(code) == []
