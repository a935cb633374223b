"""A static scan of a submission's own code for what an honest answer never does.

The judge outside the kernel (:mod:`.judging`) already keeps these from winning points on
hidden checks; the scan makes sure the instructor *sees* them. It reads the student's cells
only -- answer cells, and cells the student added -- never the course's given code, and
flags, per cell:

- assigning to (or deleting) an attribute of numpy, deepgrad, builtins, sys or os, or
  ``setattr`` / ``delattr`` on them;
- changing ``sys.modules``;
- exiting or signalling: ``os._exit``, ``sys.exit``, ``exit``, ``quit``, ``os.kill``,
  ``signal.*``;
- reading other frames: ``sys._getframe``, ``inspect.currentframe`` / ``stack`` /
  ``getouterframes``, ``f_back``, ``f_locals``, ``f_globals``;
- reaching into the checking machinery: importing ``deepgrad.check``'s judge, recording,
  wire or records modules, or calling ``use_judge`` / ``judged_by``;
- a class that defines its own comparison (``__eq__``, ``__ne__``, ``__bool__``,
  ``__array_ufunc__``, ``__array_function__``);
- reaching files outside the submission folder: a literal absolute path, ``..`` or ``~``
  path, ``.parent`` / ``.parents``, ``Path.home``, ``os.path.expanduser``, ``os.chdir``;
- searching the file system: ``os.walk`` / ``fwalk`` / ``listdir`` / ``scandir``,
  ``glob``, ``Path.glob`` / ``rglob`` / ``iterdir``;
- opening a database (importing ``sqlite3``, ``dbm``, ``shelve``, ``sqlalchemy``), where
  the gradebook is;
- opening a network socket: importing ``socket``, ``ssl``, ``http``, ``urllib``,
  ``requests`` and the like, or calling ``create_connection``;
- starting processes: ``os.fork`` / ``system`` / ``popen`` / ``spawn*`` / ``exec*`` /
  ``posix_spawn*``, importing ``subprocess``, ``multiprocessing`` or ``pty``, a shell line
  (``!cmd``, ``%%bash``, ``%sx``...);
- ``raise SystemExit`` (besides the exits above);
- allocating an array of 1 GB or more with a literal size (``np.ones``, ``zeros``,
  ``empty``, ``full``, ``arange``, ``bytearray``...: the product of a shape made of number
  literals, times the item size of a literal dtype, 8 bytes when none is given).

Each of these is something no answer of the course needs: a solution notebook or a
mutant of one raises no flag (tests/pipeline/test_scan.py checks every one).

A cell that does not parse is not flagged here (it fails on its own), unless it has a
shell line.
"""

from __future__ import annotations

import ast
import re

from .cells import grade_id

__all__ = ["scan_source", "scan_notebook"]

_MODULES = {"numpy", "deepgrad", "builtins", "sys", "os"}
_EXITS = {("os", "_exit"), ("sys", "exit"), ("os", "kill"), ("os", "abort")}
_FRAMES = {("sys", "_getframe"), ("inspect", "currentframe"), ("inspect", "stack"),
           ("inspect", "getouterframes"), ("inspect", "trace")}
_FRAME_ATTRS = {"f_back", "f_locals", "f_globals"}
_MACHINERY = {"judge", "recording", "wire", "records"}
_COMPARISONS = {"__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__"}

OUTSIDE = "reaches files outside the submission"
SEARCH = "searches the file system"
DATABASE = "opens a database"
NETWORK = "opens a network socket"
PROCESSES = "starts processes"
EXITS = "exits or sends a signal"
MEMORY = "allocates an array of 1 GB or more"

_DATABASE_MODULES = {"sqlite3", "dbm", "shelve", "sqlalchemy"}
_NETWORK_MODULES = {"socket", "ssl", "http", "urllib", "urllib3", "requests", "httpx",
                    "aiohttp", "ftplib", "smtplib", "poplib", "imaplib", "telnetlib",
                    "socketserver", "xmlrpc", "zmq", "websocket", "websockets"}
_PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "pexpect", "sh"}
_OS_PROCESS = re.compile(r"^(fork|forkpty|system|popen|spawn\w*|exec\w+|posix_spawnp?)$")
_SEARCH_CALLS = {("os", "walk"), ("os", "fwalk"), ("os", "listdir"), ("os", "scandir"),
                 ("glob", "glob"), ("glob", "iglob")}
_SEARCH_METHODS = {"rglob", "iterdir"}  # Path methods (``glob`` too, on a path-like object)
_SHELL = re.compile(r"^\s*(!|%%?(sx|system|bash|sh|script|perl|ruby)\b)")
# numpy constructors whose first argument (or ``shape``) is the array's shape
_ALLOCATORS = {"ones", "zeros", "empty", "full", "arange", "ones_like", "eye", "identity",
               "bytearray", "bytes", "rand", "randn", "random", "normal", "uniform",
               "standard_normal", "integers"}
_ITEMSIZE = {"bool": 1, "bool_": 1, "int8": 1, "uint8": 1, "byte": 1, "ubyte": 1,
             "int16": 2, "uint16": 2, "float16": 2, "half": 2, "int32": 4, "uint32": 4,
             "float32": 4, "single": 4, "complex128": 16, "complex256": 32, "longdouble": 16}
GB = 1024**3


def _is_outside_path(text: str) -> bool:
    """A path literal that leaves the submission folder: absolute, home, or with ``..``."""
    t = text.strip()
    if not t or len(t) > 4096 or any(ch.isspace() for ch in t):
        return False
    return (bool(re.match(r"/[\w.~-]", t)) or t.startswith("~/") or t in ("~", "..")
            or t.startswith("../") or "/../" in t or t.endswith("/.."))


def _const(node):
    """The value of an expression of number literals (None when it is not one)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        vals = [_const(e) for e in node.elts]
        return None if any(v is None for v in vals) else tuple(vals)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const(node.operand)
        return -v if isinstance(v, (int, float)) else None
    if isinstance(node, ast.BinOp):
        a, b = _const(node.left), _const(node.right)
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return None
        try:
            if isinstance(node.op, ast.Pow) and abs(b) <= 64 and abs(a) <= 1 << 20:
                return a ** b
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.FloorDiv: lambda: a // b, ast.Div: lambda: a / b,
                   ast.LShift: lambda: a << b if isinstance(a, int) and 0 <= b <= 64 else None}
            fn = ops.get(type(node.op))
            return fn() if fn else None
        except (ArithmeticError, TypeError, ValueError):
            return None
    return None


def _elements(shape) -> float:
    if isinstance(shape, tuple):
        n = 1.0
        for v in shape:
            n *= max(float(v), 0.0)
        return n
    return max(float(shape), 0.0) if shape is not None else 0.0


def _allocation(call: ast.Call, name: str) -> float:
    """Bytes a constructor call with literal sizes allocates (0 when it is not one)."""
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    if name in ("arange",):
        vals = [_const(a) for a in call.args[:3]]
        if not vals or any(not isinstance(v, (int, float)) for v in vals):
            return 0.0
        start, stop, step = (0, vals[0], 1) if len(vals) == 1 else (vals + [1])[:3]
        n = (stop - start) / step if step else 0.0
    elif name in ("bytearray", "bytes"):
        v = _const(call.args[0]) if call.args else None
        return float(v) if isinstance(v, (int, float)) else 0.0
    elif name in ("eye", "identity"):
        v = _const(call.args[0]) if call.args else None
        n = float(v) ** 2 if isinstance(v, (int, float)) else 0.0
    elif name in ("rand", "randn"):
        vals = [_const(a) for a in call.args]
        n = _elements(tuple(vals)) if vals and all(isinstance(v, (int, float))
                                                   for v in vals) else 0.0
    elif name in ("random", "normal", "uniform", "standard_normal", "integers"):
        size = kw.get("size")
        if size is None and name in ("random", "standard_normal") and call.args:
            size = call.args[0]
        n = _elements(_const(size)) if size is not None else 0.0
    else:  # ones, zeros, empty, full, ones_like: the shape first
        shape = kw.get("shape", call.args[0] if call.args else None)
        n = _elements(_const(shape)) if shape is not None else 0.0
    dtype = kw.get("dtype")
    if dtype is None and name == "full" and len(call.args) > 2:
        dtype = call.args[2]
    elif dtype is None and name in ("ones", "zeros", "empty") and len(call.args) > 1:
        dtype = call.args[1]
    size = 8
    if isinstance(dtype, ast.Constant) and isinstance(dtype.value, str):
        size = _ITEMSIZE.get(dtype.value, 8)
    elif isinstance(dtype, (ast.Attribute, ast.Name)):
        size = _ITEMSIZE.get(dtype.attr if isinstance(dtype, ast.Attribute) else dtype.id, 8)
    return n * size


def _root(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str) -> list[str]:
    """The flags of one cell's code (empty when it is clean)."""
    shell = any(_SHELL.match(ln) for ln in source.split("\n"))
    lines = [ln if not ln.lstrip().startswith(("%", "!")) else "" for ln in source.split("\n")]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return [PROCESSES] if shell else []
    alias = {m: m for m in _MODULES | {"inspect", "signal", "glob", "pathlib"}}
    alias["np"] = "numpy"
    origin: dict[str, tuple[str, str]] = {}  # a name imported from a module: (module, name)
    for node in ast.walk(tree):  # names the cell binds to the modules that matter
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top in alias:
                    alias[a.asname or top] = top
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            for a in node.names:
                if top in _MODULES | {"glob"}:
                    alias[a.asname or a.name] = top
                    origin[a.asname or a.name] = (top, a.name)
    flags: list[str] = []

    def flag(text):
        if text not in flags:
            flags.append(text)

    def imported(top):
        if top in _DATABASE_MODULES:
            flag(DATABASE)
        if top in _NETWORK_MODULES:
            flag(NETWORK)
        if top in _PROCESS_MODULES:
            flag(PROCESSES)

    if shell:
        flag(PROCESSES)
    # the literal pieces of f-strings ("/" in f"{a}/{b}") are no paths of their own
    formatted = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}

    def module_of(node) -> str | None:
        return alias.get(_root(node) or "")

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                       else [node.target])
            todo = list(targets)
            while todo:  # the assigned places only, not the expressions in their indices
                t = todo.pop()
                if isinstance(t, (ast.Tuple, ast.List)):
                    todo.extend(t.elts)
                elif isinstance(t, ast.Starred):
                    todo.append(t.value)
                elif isinstance(t, ast.Subscript):
                    if isinstance(t.value, ast.Attribute) and t.value.attr == "modules" \
                            and module_of(t.value) == "sys":
                        flag("changes sys.modules")
                    elif isinstance(t.value, ast.Attribute) and module_of(t.value) in _MODULES:
                        flag(f"changes an attribute of {module_of(t.value)}")
                elif isinstance(t, ast.Attribute) and module_of(t) in _MODULES:
                    flag(f"changes an attribute of {module_of(t)}")
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) \
                else None
            owner = module_of(f.value) if isinstance(f, ast.Attribute) else None
            if isinstance(f, ast.Name) and f.id in origin:  # from os import fork as f; f()
                owner, name = origin[f.id]
            if name in ("setattr", "delattr") and node.args and module_of(node.args[0]) in _MODULES:
                flag(f"changes an attribute of {module_of(node.args[0])}")
            if (owner, name) in _EXITS or (isinstance(f, ast.Name) and name in ("exit", "quit")) \
                    or owner == "signal":
                flag(EXITS)
            if (owner, name) in _FRAMES:
                flag("reads other frames")
            if name in ("use_judge", "judged_by"):
                flag("switches the checks' judge")
            if owner == "os" and name and _OS_PROCESS.match(name):
                flag(PROCESSES)
            if name == "create_connection" or (owner == "socket" and name == "socket"):
                flag(NETWORK)
            if (owner, name) in _SEARCH_CALLS or (
                    isinstance(f, ast.Attribute) and name in _SEARCH_METHODS | {"glob"}):
                flag(SEARCH)
            if name in ("home", "expanduser", "chdir") and (
                    isinstance(f, ast.Attribute) or owner == "os"):
                flag(OUTSIDE)
            if name in ("system", "getoutput", "system_raw") and isinstance(f, ast.Attribute) \
                    and isinstance(f.value, ast.Call) \
                    and getattr(f.value.func, "id", None) == "get_ipython":
                flag(PROCESSES)
            if name in _ALLOCATORS and _allocation(node, name) >= GB:
                flag(MEMORY)
            if isinstance(f, ast.Attribute) and f.attr in ("pop", "update", "clear",
                                                          "__setitem__", "setdefault") \
                    and isinstance(f.value, ast.Attribute) and f.value.attr == "modules" \
                    and module_of(f.value) == "sys":
                flag("changes sys.modules")
        elif isinstance(node, ast.Attribute) and node.attr in _FRAME_ATTRS:
            flag("reads other frames")
        elif isinstance(node, ast.Attribute) and node.attr in ("parent", "parents"):
            flag(OUTSIDE)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in formatted and _is_outside_path(node.value):
            flag(OUTSIDE)
        elif isinstance(node, ast.Raise) and node.exc is not None and (
                getattr(node.exc, "id", None) == "SystemExit"
                or getattr(getattr(node.exc, "func", None), "id", None) == "SystemExit"):
            flag(EXITS)
        elif isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            imported(parts[0])
            if parts[0] == "os" and {a.name for a in node.names} & {"fork", "system", "popen"}:
                flag(PROCESSES)
            if parts[:2] == ["deepgrad", "check"] and (
                    set(parts[2:]) & _MACHINERY or {a.name for a in node.names} & _MACHINERY):
                flag("imports the checks' machinery")
        elif isinstance(node, ast.Import):
            for a in node.names:
                imported(a.name.split(".")[0])
            if any(a.name.split(".")[:2] == ["deepgrad", "check"]
                   and set(a.name.split(".")[2:]) & _MACHINERY for a in node.names):
                flag("imports the checks' machinery")
        elif isinstance(node, ast.ClassDef):
            defined = {b.name for b in node.body if isinstance(b, (ast.FunctionDef,
                                                                    ast.AsyncFunctionDef))}
            assigned = {t.id for b in node.body if isinstance(b, ast.Assign)
                        for t in b.targets if isinstance(t, ast.Name)}
            if (defined | assigned) & _COMPARISONS:
                flag("defines its own comparison")
    return flags


def scan_notebook(nb) -> dict[str, list[str]]:
    """Flags per student cell: answer cells (by grade id) and cells the student added
    (``cell N``); the course's own cells are not read."""
    out = {}
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and not meta.get("solution"):
            continue  # given or test code: the course's
        flags = scan_source(cell.get("source", ""))
        if flags:
            out[grade_id(cell) or f"cell {i + 1}"] = flags
    return out
