"""Demo submissions, built from ``source/`` and ``release/`` exactly as a student hands
them in (they carry the release's nbgrader metadata and checksums)."""

from __future__ import annotations

import copy
from typing import Sequence

import nbformat

from deepgrad_instructor.cells import MARKERS, grade_id, is_answer, is_test
from deepgrad_instructor.expectations import solution_notebook

from .mutants import Mutant, apply_mutants

__all__ = ["solution_notebook", "build_solution", "build_blank", "build_wrong", "BROKEN_BUILDERS",
           "build_deleted_test_cell", "build_dead_kernel", "build_infinite_loop",
           "build_corrupted", "TAMPER_BUILDERS", "build_changed_points", "build_changed_type",
           "build_edited_tests"]


def build_solution(source_nb, release_nb):
    """The release notebook with every answer cell holding the source's solution."""
    sol = {grade_id(c): MARKERS.solution_code(c.source)
           for c in source_nb.cells if is_answer(c) and grade_id(c)}
    nb = copy.deepcopy(release_nb)
    for c in nb.cells:
        if is_answer(c):
            if grade_id(c) not in sol:
                raise ValueError(f"answer cell {grade_id(c)!r} of the release is not in the "
                                 "source")
            c.source = sol[grade_id(c)]
    return nb


def build_blank(release_nb):
    """What a student who did nothing hands in: the release notebook as is."""
    return copy.deepcopy(release_nb)


def build_wrong(source_nb, release_nb, mutants: Sequence[Mutant], *, strict: bool = True):
    """The solution submission with ``mutants`` applied to its answer cells."""
    return apply_mutants(build_solution(source_nb, release_nb), mutants, strict=strict)


def build_deleted_test_cell(source_nb, release_nb, test_id: str | None = None):
    """The solution submission with one test cell removed (default: the first).

    Returns ``(notebook, grade_id of the removed cell)``.
    """
    nb = build_solution(source_nb, release_nb)
    for i, c in enumerate(nb.cells):
        if is_test(c) and (test_id is None or grade_id(c) == test_id):
            del nb.cells[i]
            return nb, grade_id(c)
    raise ValueError(f"no test cell {test_id or ''} to delete")


def _first_code_answer(nb) -> int:
    for i, c in enumerate(nb.cells):
        if is_answer(c) and c.cell_type == "code":
            return i
    raise ValueError("the notebook has no code answer cell")


def build_dead_kernel(source_nb, release_nb):
    """The solution submission whose first answer cell kills the kernel (``os._exit``)."""
    nb = build_solution(source_nb, release_nb)
    c = nb.cells[_first_code_answer(nb)]
    c.source = c.source + "\n\nimport os; os._exit(1)\n"
    return nb


def build_infinite_loop(source_nb, release_nb):
    """The solution submission with a stray ``while True: pass`` cell after the first answer."""
    nb = build_solution(source_nb, release_nb)
    nb.cells.insert(_first_code_answer(nb) + 1, nbformat.v4.new_code_cell("while True:\n    pass"))
    return nb


def build_corrupted(source_nb, release_nb) -> str:
    """The solution submission's file cut in the middle of its JSON (an interrupted
    upload): returns the raw text to write as the .ipynb."""
    text = nbformat.writes(build_solution(source_nb, release_nb))
    return text[: len(text) // 2]


#: The broken students of the demo class: each builder gives that student's first notebook.
BROKEN_BUILDERS = {
    "deleted_test_cell": lambda src, rel: build_deleted_test_cell(src, rel)[0],
    "corrupted": build_corrupted,
    "dead_kernel": build_dead_kernel,
    "infinite_loop": build_infinite_loop,
}


# ---- students who attack the grader (the toy course: its answer cells are double, total).
# Each is the blank submission with the first answer cell replaced by the attack; what
# each must never do is score a point on a cell with hidden checks.
_TAMPER = {
    # the checking API made a no-op: no check records at all
    "tamper_patch_checks": (
        "from deepgrad import check as _check\n"
        "_check.returns = _check.value = lambda *args, **kwargs: None\n"
        "def double(x):\n    raise NotImplementedError()"),
    # numpy's and Python's own comparisons made to always agree
    "tamper_patch_numpy": (
        "import builtins as _builtins\n"
        "np.allclose = np.array_equal = lambda *args, **kwargs: True\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "_builtins.all = _builtins.any = lambda iterable: True\n"
        "def double(x):\n    return x"),
    # the expected value read from the checks' frames, or the hidden reference from globals
    "tamper_steal_expected": (
        "import sys\n"
        "def double(x):\n"
        "    f = sys._getframe(1)\n"
        "    while f is not None:\n"
        "        for got in (f.f_locals.get('expected'), f.f_globals.get('reference')):\n"
        "            if got is not None and repr(got) != 'HIDDEN':\n"
        "                return got\n"
        "        f = f.f_back\n"
        "    return x"),
    # an array whose comparisons always succeed
    "tamper_lying_output": (
        "class _Yes(np.ndarray):\n"
        "    def __eq__(self, other): return np.ones(np.shape(other), bool)\n"
        "    __ne__ = lambda self, other: np.zeros(np.shape(other), bool)\n"
        "def double(x):\n    return np.asarray(x).view(_Yes)"),
    # a judge that records the expected value as the output
    "tamper_forged_records": (
        "from deepgrad.check import judge as _judge, recording as _recording\n"
        "class _Forger(_recording.RecordingJudge):\n"
        "    def record(self, case):\n"
        "        case.got = case.expected\n"
        "        return super().record(case)\n"
        "_judge.use_judge(_Forger('got'))\n"
        "def double(x):\n    return x"),
    # the instructor's solutions: walk up from the working folder to a course with source/,
    # run every solution cell found there
    "tamper_read_source": (
        "import json, pathlib\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "for _d in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents]:\n"
        "    for _p in sorted(_d.glob('source/*/*.ipynb')):\n"
        "        for _c in json.loads(_p.read_text())['cells']:\n"
        "            _src = ''.join(_c['source'])\n"
        "            if _c['cell_type'] == 'code' and 'BEGIN SOLUTION' in _src:\n"
        "                try:\n"
        "                    exec('\\n'.join(ln for ln in _src.split('\\n')\n"
        "                                   if 'SOLUTION' not in ln), globals())\n"
        "                except Exception:\n"
        "                    pass"),
    # the gradebook read: the hidden tests' source, printed into the student's feedback
    "tamper_read_gradebook": (
        "import pathlib, sqlite3\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "for _d in pathlib.Path.cwd().parents:\n"
        "    if (_d / 'gradebook.db').is_file():\n"
        "        _db = sqlite3.connect(f'file:{_d / \"gradebook.db\"}?mode=ro', uri=True)\n"
        "        print(_db.execute('SELECT name, source FROM source_cell').fetchall())\n"
        "        _db.close()"),
    # another student's submission: the first answer found that passes the visible check
    "tamper_read_other_student": (
        "import json, pathlib\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "_done = False\n"
        "for _d in pathlib.Path.cwd().parents:\n"
        "    for _p in sorted(_d.glob('submitted/*/*/*.ipynb')):\n"
        "        for _c in json.loads(_p.read_text())['cells']:\n"
        "            _src = ''.join(_c['source'])\n"
        "            if _done or 'def double' not in _src or 'import' in _src \\\n"
        "                    or 'NotImplementedError' in _src:\n"
        "                continue\n"
        "            try:\n"
        "                exec(_src, globals())\n"
        "                _done = bool(np.all(double(np.array([1.0, 2.0])) == [2.0, 4.0]))\n"
        "            except Exception:\n"
        "                pass"),
    # the gradebook written: every grade of every student set to 1000 by hand
    "tamper_write_gradebook": (
        "import pathlib, sqlite3\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "for _d in pathlib.Path.cwd().parents:\n"
        "    if (_d / 'gradebook.db').is_file():\n"
        "        _db = sqlite3.connect(str(_d / 'gradebook.db'), timeout=1)\n"
        "        _db.execute('UPDATE grade SET manual_score = 1000, extra_credit = 1000')\n"
        "        _db.commit()\n"
        "        _db.close()"),
    # a socket to the internet and one to this machine
    "tamper_network": (
        "import socket\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "for _addr in [('1.1.1.1', 80), ('127.0.0.1', 22)]:\n"
        "    try:\n"
        "        socket.create_connection(_addr, timeout=1).close()\n"
        "        print('connected to', _addr)\n"
        "    except OSError as _e:\n"
        "        print('no connection to', _addr, _e)"),
    # SystemExit: sys.exit() here, raise SystemExit in the second answer cell
    # (os._exit is the broken student dead_kernel)
    "tamper_exit": (
        "import sys\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "sys.exit(0)"),
    # a fork bomb: every process forks as fast as it can. In the sandbox (its own pid
    # namespace, whose process 1 is bwrap) only the pids cgroup stops it, and the processes
    # live until the kernel's namespace ends. Anywhere else (a course that grades without
    # the sandbox) it stops itself: a budget of 64 processes split between parent and child
    # at each fork (33 processes at the peak, all gone 20 s after the start, measured on its
    # own), so that the test suite never takes the machine down.
    "tamper_fork_bomb": (
        "import os, time\n"
        "def double(x):\n    raise NotImplementedError()\n"
        "try:\n"
        "    _sandboxed = b'bwrap' in open('/proc/1/cmdline', 'rb').read()\n"
        "except OSError:\n"
        "    _sandboxed = False\n"
        "_budget, _child, _end = (10**9 if _sandboxed else 64), False, time.time() + 3\n"
        "while time.time() < _end and _budget > 1:\n"
        "    try:\n"
        "        _pid = os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n"
        "        continue\n"
        "    _half = (_budget - 1) // 2\n"
        "    if _pid == 0:\n"
        "        _budget, _child = _half, True\n"
        "    else:\n"
        "        _budget -= 1 + _half\n"
        "if _child:\n"
        "    try:\n"
        "        while _sandboxed or time.time() < _end + 17:\n"
        "            time.sleep(0.5)\n"
        "    finally:\n"
        "        os._exit(0)"),
    # 4 GB at once (over the address-space cap of 3 GB)
    "tamper_alloc_4gb": (
        "_big = np.ones(4 * 1024**3 // 8)\n"
        "def double(x):\n    raise NotImplementedError()"),
    # 4 x 1 GB, one after the other (over the memory cgroup's 1 GB at the first)
    "tamper_alloc_steps": (
        "_kept = []\n"
        "for _ in range(4):\n"
        "    _kept.append(np.ones(1024**3 // 8))\n"
        "def double(x):\n    raise NotImplementedError()"),
    # the expected values: the grader's expectation files, looked for above the working
    # folder and then anywhere (os.walk from /, 3 s at most), and answered from
    "tamper_find_expected": (
        "import base64, json, os, pathlib, time\n"
        "_table = {}\n"
        "def _nd(v):\n"
        "    if isinstance(v, dict) and 'nd' in v:\n"
        "        dt, shape, data = v['nd']\n"
        "        return np.frombuffer(base64.b64decode(data), dtype=dt).reshape(shape)\n"
        "    return v\n"
        "def _learn(path):\n"
        "    try:\n"
        "        cells = json.loads(pathlib.Path(path).read_text()).get('cells', {})\n"
        "        for check in (k for c in cells.values() for k in c.get('checks', [])):\n"
        "            x = check.get('inputs', {}).get('x')\n"
        "            if check.get('function') == 'double' and x is not None:\n"
        "                _table[np.asarray(_nd(x), float).tobytes()] = _nd(check['expected'])\n"
        "    except Exception:\n"
        "        pass\n"
        "_end = time.time() + 3\n"
        "_tops = [str(d / '.deepgrad') for d in pathlib.Path.cwd().parents] + ['/']\n"
        "for _top in _tops:\n"
        "    for _root, _dirs, _files in os.walk(_top):\n"
        "        if time.time() > _end:\n"
        "            break\n"
        "        _dirs[:] = [d for d in _dirs if _root != '/' or d not in ('proc', 'sys', 'dev')]\n"
        "        for _f in _files:\n"
        "            if _f.endswith('.json') and ('expected' in _root or 'deepgrad' in _root):\n"
        "                _learn(os.path.join(_root, _f))\n"
        "def double(x):\n"
        "    got = _table.get(np.asarray(x, float).tobytes())\n"
        "    if got is None:\n"
        "        raise NotImplementedError()\n"
        "    return got"),
}

#: What some attacks put in the second answer cell (``total``) as well.
_TAMPER_SECOND = {
    "tamper_exit": "def total(x):\n    raise NotImplementedError()\nraise SystemExit(1)",
}


def _tamper_builder(code, second=None):
    def build(source_nb, release_nb):
        nb = build_blank(release_nb)
        answers = [i for i, c in enumerate(nb.cells) if is_answer(c) and c.cell_type == "code"]
        nb.cells[answers[0]].source = code
        if second is not None:
            nb.cells[answers[1]].source = second
        return nb
    return build


def _test_cells(nb):
    return [c for c in nb.cells if is_test(c)]


def build_changed_points(source_nb, release_nb, *, solved: bool = True):
    """The solution (the blank submission when not ``solved``) with every test cell worth
    ten times its points (nbgrader's OverwriteCells puts the gradebook's points back)."""
    nb = build_solution(source_nb, release_nb) if solved else build_blank(release_nb)
    for c in _test_cells(nb):
        c.metadata.nbgrader["points"] = 10 * c.metadata.nbgrader["points"]
    return nb


def build_changed_type(source_nb, release_nb):
    """The blank submission with its test cells turned into markdown cells (no code runs,
    so nothing fails)."""
    nb = build_blank(release_nb)
    for i, c in enumerate(nb.cells):
        if is_test(c):
            md = nbformat.v4.new_markdown_cell(c.source)
            md.metadata = copy.deepcopy(c.metadata)
            nb.cells[i] = md
    return nb


def build_edited_tests(source_nb, release_nb):
    """The blank submission with every test cell's code replaced by ``pass``."""
    nb = build_blank(release_nb)
    for c in _test_cells(nb):
        c.source = "pass"
    return nb


#: The attacking students of the toy course (``make test``).
TAMPER_BUILDERS = {name: _tamper_builder(code, _TAMPER_SECOND.get(name))
                   for name, code in _TAMPER.items()}
TAMPER_BUILDERS.update({
    # blank: authoring.demo.verify allows no attacker a point on a hidden cell (the solved
    # one, which must score exactly the solution's points, is in tests/pipeline/test_edits.py)
    "tamper_changed_points": lambda src, rel: build_changed_points(src, rel, solved=False),
    "tamper_changed_type": build_changed_type,
    "tamper_edited_tests": build_edited_tests,
})
