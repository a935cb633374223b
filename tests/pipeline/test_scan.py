"""The static scan of a student's cells: each pattern flagged, honest code never."""

from pathlib import Path

import pytest

from deepgrad_instructor.scan import scan_notebook, scan_source

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("code, flag", [
    ("np.allclose = lambda *a, **k: True", "changes an attribute of numpy"),
    ("import numpy as xp\nsetattr(xp, 'isclose', None)", "changes an attribute of numpy"),
    ("from deepgrad import check as c\nc.returns = print", "changes an attribute of deepgrad"),
    ("import builtins\ndel builtins.print", "changes an attribute of builtins"),
    ("import sys\nsys.modules['numpy'] = None", "changes sys.modules"),
    ("import sys\nsys.modules.pop('deepgrad')", "changes sys.modules"),
    ("import os\nos._exit(0)", "exits or sends a signal"),
    ("raise SystemExit if exit() else 0", "exits or sends a signal"),
    ("raise SystemExit", "exits or sends a signal"),
    ("raise SystemExit(3)", "exits or sends a signal"),
    ("import signal\nsignal.alarm(1)", "exits or sends a signal"),
    ("import sys\nf = sys._getframe(1)", "reads other frames"),
    ("def f(frame):\n    return frame.f_back.f_locals", "reads other frames"),
    ("from deepgrad.check import judge", "imports the checks' machinery"),
    ("import deepgrad.check.recording", "imports the checks' machinery"),
    ("check.use_judge(None)", "switches the checks' judge"),
    ("class A(np.ndarray):\n    __eq__ = lambda s, o: True", "defines its own comparison"),
    # files outside the submission folder
    ("open('/etc/passwd').read()", "reaches files outside the submission"),
    ("open('../../source/00_toy/toy.ipynb')", "reaches files outside the submission"),
    ("from pathlib import Path\nfor p in Path.cwd().parents: pass",
     "reaches files outside the submission"),
    ("import os\nos.chdir(d)", "reaches files outside the submission"),
    ("p = Path.home() / 'x'", "reaches files outside the submission"),
    # searching
    ("import os\nfor r, ds, fs in os.walk(top): pass", "searches the file system"),
    ("from os import listdir\nlistdir(d)", "searches the file system"),
    ("import glob\nglob.glob('*.json')", "searches the file system"),
    ("from glob import glob as g\ng('**/*.json', recursive=True)", "searches the file system"),
    ("list(Path(d).rglob('*.json'))", "searches the file system"),
    # database, network
    ("import sqlite3\nsqlite3.connect(db)", "opens a database"),
    ("import socket\ns = socket.socket()", "opens a network socket"),
    ("from socket import create_connection\ncreate_connection(('1.1.1.1', 80))",
     "opens a network socket"),
    ("import urllib.request\nurllib.request.urlopen(u)", "opens a network socket"),
    # processes
    ("import os\nos.fork()", "starts processes"),
    ("from os import fork\nfork()", "starts processes"),
    ("import os\nos.system('ls')", "starts processes"),
    ("import os\nos.execv(a, b)", "starts processes"),
    ("import subprocess\nsubprocess.run(['ls'])", "starts processes"),
    ("from multiprocessing import Pool", "starts processes"),
    ("!ls /", "starts processes"),
    ("%%bash\nls", "starts processes"),
    ("x = 1\nget_ipython().system('ls')", "starts processes"),
    # memory
    ("a = np.ones(4 * 1024**3 // 8)", "allocates an array of 1 GB or more"),
    ("a = np.ones((2**15, 2**15))", "allocates an array of 1 GB or more"),
    ("a = np.zeros(shape=(1024, 1024, 1024), dtype=np.uint8)",
     "allocates an array of 1 GB or more"),
    ("xs = [np.ones(2**27) for _ in range(4)]", "allocates an array of 1 GB or more"),
    ("b = bytearray(2 * 1024**3)", "allocates an array of 1 GB or more"),
    ("x = rng.normal(size=(20000, 20000))", "allocates an array of 1 GB or more"),
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
    "parts = name.split('/')",
    "print(f'{a}/{b} = {a / b}')",
    "'''Returns dW / m, the mean.'''",
    "a = np.zeros((1024, 1024))",  # 8 MB
    "a = np.ones(2**26, dtype=np.float32)",  # 256 MB
    "%matplotlib inline\nx = 1",
    "data = np.load('data/train.npz')",
])
def test_honest_code_is_not_flagged(code):
    assert scan_source(code) == []


def test_no_solution_notebook_nor_mutant_is_flagged():
    # Every flag is something no answer needs: the solution notebooks as the demo's
    # ``solution`` student hands them in, and each mutant applied to them, raise none.
    from authoring.mutants import apply_mutants, load_assignment
    from authoring.submissions import build_solution
    from deepgrad_instructor.course import assignments, read_nb
    problems, n_solutions, n_mutants = [], 0, 0
    for a in assignments(REPO):
        mutants, _ = load_assignment(REPO, a)
        for path in sorted((REPO / "source" / a).glob("*.ipynb")):
            sol = build_solution(read_nb(path), read_nb(REPO / "release" / a / path.name))
            n_solutions += 1
            if scan_notebook(sol):
                problems.append(f"{a}/{path.name}: solution flagged {scan_notebook(sol)}")
            for m in mutants:
                nb = apply_mutants(sol, [m], strict=False)
                if nb == sol:
                    continue  # a mutant of the assignment's other notebook
                n_mutants += 1
                if scan_notebook(nb):
                    problems.append(f"{a}/{path.name} mutant {m.name}: {scan_notebook(nb)}")
    assert n_solutions >= 9 and n_mutants >= 600, (n_solutions, n_mutants)
    assert not problems, "\n".join(problems)
