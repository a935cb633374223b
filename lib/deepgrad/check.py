"""The checking API: every visible and hidden test of the course goes through it.

A test cell reads like a sentence::

    from deepgrad import check
    check.returns(sigmoid, args=(np.array([-1000.0, 0.0, 1000.0]),),
                  expected=np.array([0.0, 0.5, 1.0]),
                  mistakes=[check.Mistake("...", value=...)])

How it works, in three steps that are kept apart on purpose:

1. **Collect** -- :func:`returns` calls the student's function on *copies* of the inputs,
   with warnings captured (a warning would reach stderr, and nbgrader scores a cell that
   writes to stderr 0), and records a :class:`Case`: the function, its named inputs,
   what it returned or raised, and what was expected.
2. **Judge** -- a :class:`Judge` turns the case into a :class:`Verdict`. The default,
   :class:`InKernelJudge`, compares inside the student's kernel with numpy functions
   captured when this module was imported. Because tests only ever build cases, the
   verdict can later be reached elsewhere (for example by a judge that serialises the
   case to a grader process outside the kernel) with :func:`use_judge`, without
   rewriting a single test.
3. **Report** -- a failing verdict raises :class:`CheckFailure`, whose message names the
   function, the inputs, expected vs got (shape, dtype, the values that differ) and,
   when the wrong output matches a known mistake, the hint for that mistake. Its
   traceback shows only that message (no test-cell source, so a hidden test cannot leak
   through a traceback in the feedback).

Gradients: :func:`gradient` checks a backward pass against a centred-difference
gradient of a scalar function. The course's decision: students write their *own*
numerical gradient as a graded exercise in assignment 2, so the library's copy
(``_numerical_gradient``) is private and exists only inside the checking API as a
verdict -- :func:`gradient` returns nothing (it passes or raises), never the gradient.

Nothing here writes to stderr.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import math
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np

__all__ = [
    "CheckFailure",
    "Mistake",
    "Case",
    "Verdict",
    "Judge",
    "InKernelJudge",
    "use_judge",
    "returns",
    "value",
    "at_least",
    "raises",
    "gradient",
    "forbidding",
]

# Captured at import: a student who monkeypatches np.allclose / np.isclose / np.asarray in
# their notebook does not change how the judge compares. The comparison itself is written
# with array operators (which numpy binds in C, not through the ``np`` namespace), so even
# a patch made *before* this module was imported does not reach it.
_asarray = np.asarray
_ndarray = np.ndarray
_array2string = np.array2string
_errstate = np.errstate
_deepcopy = copy.deepcopy

# The scalar types a graded function may return, matched by exact type (a subclass can
# override ``__eq__`` or ``__float__``).
_NUMPY_SCALARS = frozenset(
    t for t in set(np.sctypeDict.values())
    if issubclass(t, (np.bool_, np.integer, np.floating)))
_EXACT_SCALARS = frozenset({bool, int, float}) | _NUMPY_SCALARS
_SCALAR_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)
# numpy's default error handling: what would reach stderr in a notebook. Underflow is
# ignored by default (exp(-1000) == 0.0 is the right answer, not a problem).
_NUMPY_DEFAULT_ERRSTATE = dict(divide="warn", over="warn", invalid="warn", under="ignore")


# ----------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the hint to show when a student's output matches it.

    Parameters
    ----------
    hint : str
        What the student probably did, phrased as a question they can act on, e.g.
        ``"did you forget to divide by m?"``.
    value : object, optional
        The output this mistake produces for the checked input.
    transform : callable, optional
        ``transform(expected) -> wrong output``; use it when the wrong output is a
        function of the right one (``lambda e: -e``), so a visible test never has to
        spell out a formula.
    """

    hint: str
    value: Any = None
    transform: Callable[[Any], Any] | None = None

    def output(self, expected: Any) -> Any:
        if self.transform is not None:
            return self.transform(expected)
        return self.value


@dataclass
class Case:
    """One checked call (or one checked value): everything a judge needs, nothing else."""

    function: str
    inputs: dict[str, Any]
    expected: Any
    got: Any = None
    raised: str | None = None  # what went wrong with the call, in a sentence for the student
    warnings: list[str] = field(default_factory=list)
    modified_inputs: list[str] = field(default_factory=list)
    outputs: Sequence[str] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: Sequence[Mistake] = ()
    kind: str = "equal"  # "equal" | "at_least" | "raises" | "gradient"
    stderr: str = ""  # what the function printed to sys.stderr
    call: bool = True  # False for value() and at_least(): a variable, not a call


@dataclass
class Verdict:
    passed: bool
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    #: False when the output itself was compared and is wrong (the report then shows
    #: expected vs got); None when a judge does not say.
    output_ok: bool | None = None


class CheckFailure(AssertionError):
    """A check failed. The message is the whole story; the traceback is just the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead
        return ["CheckFailure: " + line if i == 0 else line
                for i, line in enumerate(self.message.splitlines())]


class Judge(Protocol):
    def judge(self, case: Case) -> Verdict: ...


# ----------------------------------------------------------------------------- comparing
def _is_plain(x: Any, _depth: int = 0) -> bool:
    """True for the types a graded function may return: arrays, numbers, tuples of them.

    Types are matched exactly: an ndarray subclass, a float subclass or any object with
    its own ``__eq__`` is never plain, so it can never pass.
    """
    t = type(x)
    if t is _ndarray:
        return x.dtype.kind in "biuf"
    if t in (tuple, list):
        return _depth < 16 and all(_is_plain(v, _depth + 1) for v in x)
    return t in _EXACT_SCALARS


def _is_number(x: Any) -> bool:
    return type(x) in _EXACT_SCALARS or (type(x) is _ndarray and x.ndim == 0
                                         and _is_plain(x))


def _isclose(a: Any, b: Any, rtol: float, atol: float) -> Any:
    """``numpy.isclose(a, b, rtol, atol, equal_nan=True)``, written with array operators.

    Operators dispatch to ufuncs bound in C, so monkeypatching ``np.isclose``,
    ``np.allclose`` or ``np.abs`` (before or after import) cannot change the result.
    """
    a = _asarray(a, dtype=float)
    b = _asarray(b, dtype=float)
    with _errstate(all="ignore"):
        return (abs(a - b) <= atol + rtol * abs(b)) | (a == b) | ((a != a) & (b != b))


def _all_finite(a: Any) -> bool:
    a = _asarray(a, dtype=float)
    with _errstate(all="ignore"):
        return bool(((a == a) & (abs(a) != math.inf)).all())


def _type_name(x: Any) -> str:
    return type(x).__name__


def _describe(x: Any) -> str:
    t = type(x)
    if t is _ndarray:
        return f"an array of shape {x.shape}, dtype {x.dtype}"
    if isinstance(x, _ndarray):
        return (f"a {_type_name(x)} of shape {x.shape} (a subclass of np.ndarray, not a "
                "plain array)")
    if t in _EXACT_SCALARS:
        return f"a number ({_type_name(x)})"
    if t in (tuple, list):
        return f"a {t.__name__} of length {len(x)}"
    if t is dict:
        return f"a dict with keys {_safe_repr(list(x), 120)}"
    if x is None:
        return "None (did you forget a `return`?)"
    return f"an object of type {_type_name(x)}"


def _safe_repr(x: Any, limit: int = 200) -> str:
    """``repr(x)`` that survives a student's object whose ``__repr__`` misbehaves."""
    try:
        r = repr(x)
        if type(r) is not str:
            raise TypeError
    except Exception:
        return f"<{_type_name(x)} object>"
    return r if len(r) <= limit else r[:limit] + "..."


def _fmt(x: Any, limit: int = 12, indent: str = "    ") -> str:
    """A short, readable rendering of a value; continuation lines start with ``indent``."""
    t = type(x)
    if t is _ndarray and x.dtype.kind in "biufc":
        try:
            text = _array2string(x, precision=6, threshold=limit, edgeitems=3,
                                 separator=", ", suppress_small=False)
        except Exception:  # np.array2string relies on numpy functions a student can patch
            flat = x.reshape(-1)[:limit].tolist()
            return f"<array of shape {x.shape} starting {_safe_repr(flat, 120)}>"
        return text.replace("\n", "\n" + indent)
    if t in (float, np.float64, np.float32, np.float16):
        return repr(float(x))
    if t in _EXACT_SCALARS:
        return repr(x.item() if hasattr(x, "item") else x)
    if t is dict:
        items = [f"{_safe_repr(k, 40)}: {_fmt_inner(v)}" for k, v in list(x.items())[:8]]
        more = ", ..." if len(x) > 8 else ""
        return "{" + ", ".join(items) + more + "}"
    if t in (tuple, list):
        items = [_fmt_inner(v) for v in x[:8]]
        more = ", ..." if len(x) > 8 else ""
        trail = "," if t is tuple and len(x) == 1 else ""
        o, c = ("(", ")") if t is tuple else ("[", "]")
        return o + ", ".join(items) + more + trail + c
    return _safe_repr(x)


def _fmt_inner(x: Any) -> str:
    """A value inside a container: small arrays inline, larger ones by shape."""
    if type(x) is _ndarray:
        if x.size <= 6:
            return " ".join(_fmt(x, 6).split())
        return f"<array of shape {x.shape}, dtype {x.dtype}>"
    if type(x) in (dict, tuple, list):
        return f"<{_describe(x)}>"
    return _fmt(x)


def _fmt_pair(e: float, g: float) -> tuple[str, str]:
    """Expected and got with 6 significant digits, or more when those look the same."""
    def g_(x: float, digits: int) -> str:
        text = f"{x:.{digits}g}"
        return text + ".0" if text.lstrip("-").isdigit() else text

    for digits in (6, 10):
        es, gs = g_(e, digits), g_(g, digits)
        if es != gs:
            return es, gs
    return repr(float(e)), repr(float(g))


def _wrong_type(name: str, want: str, got: Any) -> str:
    t = type(got)
    if t is _ndarray:  # not plain: dtype object, str, complex...
        return (f"{name}: expected {want}, got an array of dtype {got.dtype}; it should "
                "hold real numbers (float or int)")
    if isinstance(got, _ndarray):
        return (f"{name}: expected {want}, got a {_type_name(got)} (a subclass of "
                "np.ndarray); return a plain array, e.g. np.asarray(...)")
    if t in (tuple, list):
        return (f"{name}: expected {want}, got a {t.__name__} that does not hold only "
                "numbers")
    return f"{name}: expected {want}, got {_describe(got)}"


def _compare_scalar(name: str, got: Any, expected: Any, rtol: float,
                    atol: float) -> list[str]:
    ev = float(expected)
    if not _is_plain(got):
        return [_wrong_type(name, "a number", got)]
    if type(got) is _ndarray and got.ndim > 0:
        if got.size == 1:
            return [f"{name}: expected a number, got an array of shape {got.shape} "
                    f"(holding {_fmt(got.reshape(-1)[0])}); return a plain number, e.g. "
                    "with float(...), or np.sum(...) without keepdims=True"]
        return [f"{name}: expected a number, got {_describe(got)}"]
    if type(got) in (tuple, list):
        return [f"{name}: expected a number, got {_describe(got)}"]
    gv = float(got)
    if bool(_isclose(gv, ev, rtol, atol)):
        return []
    if math.isnan(gv):
        return [f"{name}: expected {_fmt(ev)}, got nan (a log of 0, 0/0, or an overflow?)"]
    es, gs = _fmt_pair(ev, gv)
    return [f"{name}: expected {es}, got {gs}"]


def _compare_array(name: str, got: Any, e: Any, rtol: float, atol: float) -> list[str]:
    want = f"an array of shape {e.shape}"
    if type(got) is not _ndarray or not _is_plain(got):
        if type(got) in (tuple, list) and _is_plain(got):
            return [f"{name}: expected {want}, got {_describe(got)}; return a numpy "
                    "array, e.g. np.array(...)"]
        if type(got) in _EXACT_SCALARS:
            return [f"{name}: expected {want}, got a single number ({_fmt(got)})"]
        return [_wrong_type(name, want, got)]
    g = got
    if g.shape != e.shape:
        return [f"{name}: expected shape {e.shape}, got shape {g.shape}"]
    problems = []
    if e.dtype.kind == "f" and g.dtype.kind in "biu":
        problems.append(f"{name}: expected an array of floats, got dtype {g.dtype} "
                        "(an array built from ints, or a comparison instead of a value?)")
    ok = _asarray(_isclose(g, e, rtol, atol))
    if not ok.all():
        gf, ef = _asarray(g, dtype=float), _asarray(e, dtype=float)
        bad = list(zip(*(~ok).nonzero())) if ok.ndim else [()]
        lines = [f"{name}: {len(bad)} of {e.size} values differ"]
        for idx in bad[:5]:
            i = tuple(int(k) for k in idx)
            es, gs = _fmt_pair(float(ef[i]), float(gf[i]))
            lines.append(f"    at index {i}: expected {es}, got {gs}")
        if len(bad) > 5:
            lines.append(f"    ... and {len(bad) - 5} more")
        if not _all_finite(gf):
            lines.append("    (your output has nan or inf: a log of 0, 0/0, or an overflow?)")
        problems.append("\n".join(lines))
    return problems


def _compare(name: str, got: Any, expected: Any, rtol: float, atol: float) -> list[str]:
    """Problems with one output, each a short sentence (empty when it is right)."""
    e = _asarray(expected)
    if e.ndim == 0:
        return _compare_scalar(name, got, e, rtol, atol)
    return _compare_array(name, got, e, rtol, atol)


def _close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Whether ``got`` would pass against ``expected`` (used to match known mistakes)."""
    t = type(expected)
    if t is dict:
        return (type(got) is dict and list(got) == list(expected)
                and all(_close(got[k], expected[k], rtol, atol) for k in expected))
    if t in (tuple, list):
        return (type(got) in (tuple, list) and len(got) == len(expected)
                and all(_close(g, e, rtol, atol) for g, e in zip(got, expected)))
    if expected is None or not _is_plain(got) or type(got) in (tuple, list):
        return False
    e = _asarray(expected)
    if e.ndim == 0:
        if not _is_number(got):
            return False
    elif type(got) is not _ndarray or got.shape != e.shape:
        return False
    return bool(_asarray(_isclose(got, e, rtol, atol)).all())


def _ratio_text(r: float) -> str | None:
    """'4 times' / '1/4 of' for a ratio that looks like a forgotten factor, else None."""
    a = abs(r)
    sign = "-" if r < 0 else ""
    if a >= 1.5 and abs(a - round(a)) <= 1e-6 * a:
        return f"{sign}{round(a)} times"
    if 0 < a <= 0.75 and abs(1 / a - round(1 / a)) <= 1e-6 / a:
        return f"{sign}1/{round(1 / a)} of"
    return None


def _generic_hints(got: Any, expected: Any) -> list[str]:
    """Hints for mistakes that look the same in every exercise."""
    if not _is_plain(got) or type(got) in (tuple, list):
        return []
    e = _asarray(expected, dtype=float)
    g = _asarray(got, dtype=float)
    hints = []
    if type(got) is _ndarray and e.ndim == 2:
        n, m = e.shape
        if g.shape == (m, n) and n != m:
            hints.append(f"your output has the transposed shape {g.shape} instead of "
                         f"{e.shape}: check which axis holds the examples (one column "
                         "per example)")
        if g.ndim == 2 and n == 1 and m > 1 and g.shape == (m, m):
            hints.append(f"an output of shape {g.shape} instead of {e.shape} usually "
                         "comes from broadcasting a (1, m) array against an (m, 1) "
                         "array: check the shapes you combine")
        if g.ndim == 2 and m == 1 and n > 1 and g.shape == (n, n):
            hints.append(f"an output of shape {g.shape} instead of {e.shape} usually "
                         "comes from broadcasting an (n, 1) array against a (1, n) "
                         "array: check the shapes you combine")
        if g.ndim == 1 and g.size == e.size:
            hints.append(f"your output is 1-D {g.shape}; keep it 2-D {e.shape} "
                         "(reshape, or keepdims=True)")
    if g.shape != e.shape or not e.size or not _all_finite(g) or not _all_finite(e):
        return hints
    if not (abs(e) > 0).any():
        return hints
    if _asarray(_isclose(g, -e, 1e-6, 1e-9)).all():
        hints.append("your output has the opposite sign: check the sign of your formula")
        return hints
    nz = abs(e) > 1e-12
    if (abs(g[~nz]) <= 1e-12).all():
        ratio = g[nz] / e[nz]
        r0 = float(ratio.reshape(-1)[0])
        if (r0 != 0 and float(ratio.max() - ratio.min()) <= 1e-6 * max(1.0, abs(r0))
                and not bool(_isclose(r0, 1.0, 1e-6, 0.0))):
            text = _ratio_text(r0)
            if text is None and int(nz.sum()) >= 2:
                text = f"{r0:.6g} times"
            if text is not None:
                what = "every value is" if g.ndim else "your value is"
                hints.append(f"{what} {text} the expected one{_FACTOR}")
    return hints


_FACTOR = ": a missing or extra scale factor (1/m? the learning rate? a factor 2?)"


def _output_hints(pairs: list[tuple[str, Any, Any]]) -> list[str]:
    """Generic hints for each output; named when there are several outputs."""
    if len(pairs) == 1:
        return _generic_hints(pairs[0][1], pairs[0][2])
    named = [(n, h) for n, g, e in pairs if type(e) not in (tuple, list, dict)
             for h in _generic_hints(g, e)]
    factors = {h.split(" times", 1)[0].split(" of ", 1)[0].split(" is ", 1)[1]
               for _, h in named if h.endswith(_FACTOR)}
    if len(named) > 1 and len(factors) == 1 and all(h.endswith(_FACTOR) for _, h in named):
        text = named[0][1].split(" is ", 1)[1].split(" the expected", 1)[0]
        return [f"{', '.join(n for n, _ in named)} are all {text} the expected values"
                + _FACTOR]
    return [f"{n}: {h}" for n, h in named]


_WARNING_HINTS = (
    ("overflow encountered in exp",
     "np.exp overflows for large inputs (np.exp(710.0) is inf): rearrange the formula so "
     "that exp only sees inputs <= 0, or clip its input"),
    ("divide by zero encountered in log",
     "np.log(0) is -inf: a probability reached exactly 0 or 1 (clip it away from 0 and 1 "
     "before the log)"),
    ("divide by zero",
     "a division by zero: check what can be 0 in a denominator"),
    ("invalid value",
     "a computation gave nan: 0/0, inf - inf, 0 * inf or the log/sqrt of a negative "
     "number"),
)


class InKernelJudge:
    """Decides in the student's kernel, with numpy functions captured at import."""

    def judge(self, case: Case) -> Verdict:
        try:
            return self._judge(case)
        except Exception as exc:  # a pathological output must fail, never crash the check
            return Verdict(passed=False, output_ok=False, problems=[
                f"{_output_name(case)}: its output could not be checked "
                f"({type(exc).__name__}: {_safe_repr(str(exc), 200)}); return numbers or "
                "numpy arrays"])

    def _judge(self, case: Case) -> Verdict:
        v = Verdict(passed=True)
        if case.raised is not None:
            v.problems.append(case.raised)
        if case.warnings:
            v.problems.append(
                "it emitted a warning (in a graded cell a warning is printed to stderr, "
                "and a cell that writes to stderr scores 0):\n    "
                + "\n    ".join(case.warnings))
            for text, hint in _WARNING_HINTS:
                if any(text in w for w in case.warnings):
                    v.hints.append(hint)
                    break
        if case.stderr:
            v.problems.append("it printed to stderr (a graded cell that writes to stderr "
                              "scores 0):\n    " + case.stderr.strip()[:300]
                              .replace("\n", "\n    "))
        if case.modified_inputs:
            v.problems.append("it modified its input(s) "
                              + ", ".join(case.modified_inputs)
                              + " in place; work on a copy instead (e.g. x = x.copy(), "
                                "or x = x - ... instead of x -= ...)")
        if case.raised is None and case.kind == "at_least":
            out = []
            if not _is_number(case.got):
                out.append(f"{_output_name(case)}: expected a number, got "
                           f"{_describe(case.got)}")
            elif not float(case.got) >= float(case.expected):
                out.append(f"{_output_name(case)}: expected at least "
                           f"{_fmt(case.expected)}, got {_fmt(case.got)}")
            v.problems.extend(out)
            if out:
                v.hints.extend(self._mistake_hints(case))
        elif case.raised is None and case.kind == "gradient":
            out = _gradient_problems(case)
            v.output_ok = not out
            v.problems.extend(out)
            if out:
                v.hints.extend(_gradient_mistake_hints(case)
                               or _gradient_hints(case.got, case.expected, case.rtol))
        elif case.raised is None and case.kind == "equal":
            out = self._outputs(case)
            v.output_ok = not out
            v.problems.extend(out)
            if out:
                hints = self._mistake_hints(case)
                if not hints:
                    hints = _output_hints(self._pairs(case)[0])
                v.hints.extend(hints)
        v.passed = not v.problems
        return v

    @staticmethod
    def _mistake_hints(case: Case) -> list[str]:
        hints = []
        for m in case.mistakes:
            try:
                wrong = m.output(case.expected)
                if wrong is not None and _close(case.got, wrong, case.rtol, case.atol):
                    hints.append(m.hint)
            except Exception:  # a hint that cannot be computed is just not shown
                continue
        return hints

    @staticmethod
    def _pairs(case: Case) -> tuple[list[tuple[str, Any, Any]], list[str]]:
        """(name, got, expected) for each output, and problems with the structure."""
        label, e, g = _output_name(case), case.expected, case.got
        if type(e) is dict:
            if type(g) is not dict:
                return [], [f"{label}: expected a dict with keys {_safe_repr(list(e))}, "
                             f"got {_describe(g)}"]
                
            problems = []
            missing = [k for k in e if k not in g]
            extra = [k for k in g if k not in e]
            if missing:
                problems.append(f"{label}: the dict has no key(s) "
                                + ", ".join(_safe_repr(k, 40) for k in missing))
            if extra:
                problems.append(f"{label}: unexpected key(s) "
                                + ", ".join(_safe_repr(k, 40) for k in extra[:8]))
            return [(f"{label}[{k!r}]", g[k], e[k]) for k in e if k in g], problems
        if type(e) in (tuple, list):
            if case.outputs is not None and len(case.outputs) == len(e):
                names = [str(n) for n in case.outputs]
            else:
                names = [f"{label}[{i}]" for i in range(len(e))]
            if type(g) not in (tuple, list) or len(g) != len(e):
                return [], [f"{label}: expected {len(e)} values ({', '.join(names)}), "
                            f"got {_describe(g)}"]
            return list(zip(names, g, e)), []
        return [(label, g, e)], []

    def _outputs(self, case: Case) -> list[str]:
        pairs, problems = self._pairs(case)
        for name, g, e in pairs:
            if type(e) in (tuple, list, dict):
                if not _close(g, e, case.rtol, case.atol):
                    problems.append(f"{name}: expected {_fmt(e)}, got {_fmt(g)}")
            else:
                problems.extend(_compare(name, g, e, case.rtol, case.atol))
        return problems


def _output_name(case: Case) -> str:
    return f"{case.function}(...)" if case.call else case.function


_judge: Judge = InKernelJudge()


def use_judge(judge: Judge) -> Judge:
    """Replace the judge every check goes through; returns the previous one.

    ``previous = use_judge(MyJudge())`` ... ``use_judge(previous)`` restores it.
    """
    global _judge
    previous, _judge = _judge, judge
    return previous


# ----------------------------------------------------------------------------- reporting
def _report(case: Case, verdict: Verdict) -> str:
    lines = [f"{case.function} is not right yet."]
    if case.inputs:
        lines.append("Gradient checked at:" if case.kind == "gradient" else "Called with:")
        for k, v in case.inputs.items():
            desc = f"  ({_describe(v)[3:]})" if type(v) is _ndarray else ""
            lines.append(f"  {k} = {_fmt(v, indent='      ')}{desc}")
    lines.append("Problem:" if len(verdict.problems) == 1 else "Problems:")
    for p in verdict.problems:
        lines.append("  - " + p.replace("\n", "\n  "))
    show = verdict.output_ok is False or (
        verdict.output_ok is None and case.raised is None and case.kind == "equal")
    if show and case.kind == "gradient":
        lines.extend(_fmt_out("Expected (numerical gradient):", case.expected, case))
        lines.extend(_fmt_out("Got (your gradient):          ", case.got, case))
    elif show:
        lines.extend(_fmt_out("Expected:", case.expected, case))
        lines.extend(_fmt_out("Got:     ", case.got, case))
    for h in verdict.hints:
        lines.append("Hint: " + h)
    return "\n".join(lines)


def _fmt_out(head: str, x: Any, case: Case) -> list[str]:
    e = case.expected
    if type(e) in (tuple, list) and type(x) in (tuple, list) and len(x) == len(e):
        names = (list(case.outputs) if case.outputs is not None
                 and len(case.outputs) == len(e) else [f"[{i}]" for i in range(len(e))])
        return [head.rstrip()] + [f"    {n} = {_fmt(v, 6, ' ' * (7 + len(str(n))))}"
                         + (f"  ({_describe(v)[3:]})" if type(v) is _ndarray else "")
                         for n, v in zip(names, x)]
    if type(e) is dict and type(x) is dict:
        return [head.rstrip()] + [f"    {k!r} = {_fmt(v, 6, ' ' * 12)}"
                         + (f"  ({_describe(v)[3:]})" if type(v) is _ndarray else "")
                         for k, v in list(x.items())[:12]]
    text = _fmt(x, 6, " " * (len(head) + 1))
    if type(x) is _ndarray:
        text += f"  ({_describe(x)[3:]})"
    return [f"{head} {text}"]


@contextlib.contextmanager
def _quiet():
    """Nothing the judge or the report does may reach stderr."""
    with warnings.catch_warnings(), _errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _decide(case: Case) -> None:
    with _quiet():
        verdict = _judge.judge(case)
        message = None
        if not verdict.passed:
            try:
                message = _report(case, verdict)
            except Exception:  # never let a broken rendering turn a failure into a crash
                message = "\n".join([f"{case.function} is not right yet.", "Problems:"]
                                     + ["  - " + str(p) for p in verdict.problems]
                                     + ["Hint: " + str(h) for h in verdict.hints])
    if message is not None:
        raise CheckFailure(message) from None


# ----------------------------------------------------------------------------- the API
def _bind(fn: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"arg{i}": a for i, a in enumerate(args)}
        named.update(kwargs)
        return named


def _same(a: Any, b: Any, _depth: int = 0) -> bool:
    """Whether an input still equals its copy taken before the call (nan equals nan)."""
    if _depth > 16 or a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, _ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            with _errstate(all="ignore"):
                eq = a == b
                if a.dtype.kind in "fc":
                    eq = eq | ((a != a) & (b != b))
                return bool(_asarray(eq).all())
        except Exception:
            return True
    if type(a) is dict:
        return (list(a) == list(b)
                and all(_same(a[k], b[k], _depth + 1) for k in a))
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(_same(x, y, _depth + 1) for x, y in zip(a, b))
    if type(a) is float:
        return a == b or (a != a and b != b)
    try:
        return bool(a == b)
    except Exception:
        return True


def _student_frames(exc: BaseException) -> str:
    """The exception with only the frames inside the student's code (not the test's)."""
    tb = exc.__traceback__
    tb = tb.tb_next if tb is not None else None  # drop the frame of returns() itself
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return text.rstrip().replace("\n", "\n    ")


def _not_written(exc: NotImplementedError, fn: Callable) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].name if len(frames) > 1 else None
    if where is not None and where != getattr(fn, "__name__", None):
        return (f"it calls {where}, which is not written yet: replace the "
                "`raise NotImplementedError()` in it with your code")
    return "it is not written yet: replace `raise NotImplementedError()` with your code"


def _not_callable(label: str, fn: Any) -> str:
    return (f"{label} is not a function (it is {_describe(fn)}): did the cell that "
            "defines it run without an error?")


def _warning_text(w: warnings.WarningMessage, fn: Callable) -> str:
    text = f"{w.category.__name__}: {w.message}"
    code = getattr(fn, "__code__", None)
    if code is not None and w.filename == code.co_filename:
        text += f" (line {w.lineno})"
    return text


def _check_args(args: Any, kwargs: Any) -> None:
    """A mistake in the test cell itself (not the student's): say so at once."""
    if type(args) not in (tuple, list):
        raise TypeError(f"args must be a tuple of inputs, e.g. args=(z,) (note the comma); "
                        f"got {_describe(args)}")
    if kwargs is not None and type(kwargs) is not dict:
        raise TypeError(f"kwargs must be a dict, got {_describe(kwargs)}")


def returns(fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
            expected: Any, outputs: Sequence[str] | None = None,
            mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-8,
            name: str | None = None) -> None:
    """Check that ``fn(*args, **kwargs)`` returns ``expected``.

    Parameters
    ----------
    fn : callable
        The student's function.
    args, kwargs : tuple, dict
        Its inputs. The function receives deep copies, so a function that modifies an
        input in place is caught and the test's inputs stay intact.
    expected : array, number, or tuple / list / dict of them
        The right output. A scalar expects a scalar (a ``(1, 1)`` array fails, with a
        hint); an array expects the same shape, and a float array a float dtype. A tuple
        (or list) expects that many outputs; a dict expects a dict with the same keys.
    outputs : sequence of str, optional
        Names of the outputs when ``fn`` returns a tuple, e.g. ``("dw", "db")``.
    mistakes : sequence of Mistake
        Known wrong answers; the hint of each one the output matches is shown.
    rtol, atol : float
        Tolerances of the value comparison (the rule of ``numpy.isclose``).
    name : str, optional
        How to call the function in the message (default: its ``__name__``).

    Raises
    ------
    CheckFailure
        If the output is wrong, an exception was raised, a warning was emitted, something
        was printed to stderr or an input was modified in place.
    """
    _check_args(args, kwargs)
    kwargs = dict(kwargs or {})
    label = name or getattr(fn, "__name__", None) or "the function"
    case = Case(function=label, inputs={}, expected=expected, outputs=outputs,
                rtol=rtol, atol=atol, mistakes=tuple(mistakes))
    if not callable(fn):
        case.raised = _not_callable(label, fn)
        _decide(case)
        return
    originals = _deepcopy((args, kwargs))
    call_args, call_kwargs = _deepcopy((args, kwargs))
    case.inputs = _bind(fn, originals[0], originals[1])
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            _errstate(**_NUMPY_DEFAULT_ERRSTATE), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        try:
            case.got = fn(*call_args, **call_kwargs)
        except NotImplementedError as exc:
            case.raised = _not_written(exc, fn)
        except (Exception, SystemExit) as exc:  # report the student's error, not ours
            case.raised = "it raised an exception:\n    " + _student_frames(exc)
    case.warnings = [_warning_text(w, fn) for w in caught]
    case.stderr = err.getvalue()
    bound_after = _bind(fn, call_args, call_kwargs)
    case.modified_inputs = [k for k, v in case.inputs.items()
                            if k in bound_after and not _same(v, bound_after[k])]
    _decide(case)


def value(name: str, got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-8,
          mistakes: Sequence[Mistake] = ()) -> None:
    """Check a value the student computed (a variable, not a call) against ``expected``."""
    _decide(Case(function=name, inputs={}, got=got, expected=expected, rtol=rtol,
                 atol=atol, mistakes=tuple(mistakes), call=False))


def at_least(name: str, got: Any, floor: float, *, hint: str | None = None) -> None:
    """Check that the number ``got`` (e.g. a test accuracy) is at least ``floor``."""
    mistakes = (Mistake(hint, transform=lambda e: got),) if hint else ()
    _decide(Case(function=name, inputs={}, got=got, expected=floor, kind="at_least",
                 mistakes=mistakes, call=False))


def _exc_name(exception: Any) -> str:
    if type(exception) is tuple:
        return " or ".join(_exc_name(e) for e in exception)
    return getattr(exception, "__name__", str(exception))


def raises(fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
           exception: type[BaseException], name: str | None = None) -> None:
    """Check that ``fn(*args, **kwargs)`` raises ``exception`` (e.g. on bad input)."""
    _check_args(args, kwargs)
    kwargs = dict(kwargs or {})
    label = name or getattr(fn, "__name__", None) or "the function"
    case = Case(function=label, inputs={}, expected=None, kind="raises")
    if not callable(fn):
        case.raised = _not_callable(label, fn)
        _decide(case)
        return
    case.inputs = _bind(fn, *_deepcopy((args, kwargs)))
    want = _exc_name(exception)
    with warnings.catch_warnings(record=True), _errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("always")
        try:
            fn(*_deepcopy(args), **_deepcopy(kwargs))
        except exception:
            return
        except NotImplementedError as exc:
            case.raised = _not_written(exc, fn)
        except (Exception, SystemExit) as exc:
            case.raised = (f"it should raise {want} for these inputs, but it raised "
                           f"{type(exc).__name__} instead:\n    " + _student_frames(exc))
        else:
            case.raised = (f"it should raise {want} for these inputs, but it returned "
                           "without an error")
    _decide(case)


# ----------------------------------------------------------------------------- gradients
_EPS = float(np.finfo(np.float64).eps)
_TINY = float(np.finfo(np.float64).tiny)
#: Differences below ``_NOISE_FACTOR * eps * max|f| / h`` are rounding noise of the
#: centred difference itself (a gradient that is zero to numerical precision).
_NOISE_FACTOR = 64.0
_CHECK_FILE = __file__


class _FError(Exception):
    """Calling ``f`` went wrong; the message is a sentence for the student."""


def _frames_after_f(exc: BaseException) -> str:
    """The exception, with only the frames *below* ``f`` (the student's code).

    ``f`` itself is written in the test cell, possibly a hidden one: its source line is
    never quoted, nor is any frame of this module.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == _CHECK_FILE:
        tb = tb.tb_next
    tb = tb.tb_next if tb is not None else None  # the frame of f (test code)
    if tb is None:
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip()
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return text.rstrip().replace("\n", "\n    ")


def _call_f(f: Callable, x: np.ndarray) -> float:
    """``f(copy of x)`` as a float; raises :class:`_FError` with a readable reason."""
    try:
        out = f(x.copy())
    except NotImplementedError as exc:
        raise _FError(_not_written(exc, f).replace("it calls", "f calls", 1)) from None
    except (Exception, SystemExit) as exc:
        raise _FError("calling f (the function whose gradient is checked) raised an "
                      "exception:\n    " + _frames_after_f(exc)) from None
    if not _is_number(out) and not (type(out) is _ndarray and out.size == 1
                                    and _is_plain(out)):
        raise _FError(f"f must return a single number (a scalar such as a cost, or "
                      f"np.sum(out * dout)), but it returned {_describe(out)}")
    value = float(_asarray(out, dtype=float).reshape(-1)[0])
    if not math.isfinite(value):
        raise _FError(f"f returned {value} (not a finite number) near the checked point: "
                      "an overflow, a log of 0 or 0/0 in the forward pass?")
    return value


def _numerical_gradient(f: Callable, x: np.ndarray, h: float) -> tuple[np.ndarray, float]:
    """Centred differences ``(f(x + h e_i) - f(x - h e_i)) / (2h)`` for every index i.

    Private on purpose (see the module docstring). ``f`` gets a fresh copy of the
    perturbed point on every call, so an ``f`` that modifies its input changes nothing.
    Returns the gradient (shape of ``x``) and the largest ``|f|`` seen (for the
    rounding-noise floor).
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_grad = grad.reshape(-1)
    point = x.astype(np.float64, copy=True)
    flat = point.reshape(-1)
    f_max = abs(_call_f(f, point))
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = _call_f(f, point)
        flat[i] = old - h
        minus = _call_f(f, point)
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2.0 * h)
        f_max = max(f_max, abs(plus), abs(minus))
    return grad, f_max


def _relative_error(a: np.ndarray, n: np.ndarray) -> float:
    """``max|a - n| / max(max(|a| + |n|), tiny)``: 0 for equal, 1 for unrelated."""
    with _errstate(all="ignore"):
        return float(abs(a - n).max() / max(float((abs(a) + abs(n)).max()), _TINY))


def _gradient_structure(case: Case) -> list[str]:
    """Problems with the type or shape of the student's gradient (empty when it fits)."""
    e, g = case.expected, case.got
    name = case.function
    if e.ndim == 0:
        if _is_number(g) or (type(g) is _ndarray and g.size == 1 and _is_plain(g)):
            return []
        return _compare_scalar(name, g, e, case.rtol, case.atol)
    if type(g) is not _ndarray or not _is_plain(g) or g.shape != e.shape:
        return _compare_array(name, g, e, case.rtol, case.atol)
    return []


def _gradient_problems(case: Case) -> list[str]:
    problems = _gradient_structure(case)
    if problems:
        return problems
    e = case.expected
    a = _asarray(case.got, dtype=float).reshape(e.shape)
    if not _all_finite(a):
        return [f"{case.function}: your gradient has nan or inf (a log of 0, 0/0, or an "
                "overflow?)"]
    with _errstate(all="ignore"):
        diff = abs(a - e)
    worst_diff = float(diff.max())
    error = _relative_error(a, e)
    if error < case.rtol or worst_diff <= case.atol:
        return []
    lines = [f"{case.function}: your gradient differs from the numerical gradient: "
             f"relative error {error:.3g} (it must be below {case.rtol:.3g})"]
    order = diff.reshape(-1).argsort()[::-1]
    bad = int((diff > case.atol + case.rtol * (abs(a) + abs(e)).max()).sum())
    if a.ndim:
        lines[0] += f"; {bad} of {e.size} values differ"
        lines.append("    largest differences:")
        for k in order[:5]:
            i = tuple(int(j) for j in np.unravel_index(int(k), e.shape))
            es, gs = _fmt_pair(float(e[i]), float(a[i]))
            lines.append(f"    at index {i}: expected {es}, got {gs}")
    else:
        es, gs = _fmt_pair(float(e), float(a))
        lines.append(f"    expected {es}, got {gs}")
    return ["\n".join(lines)]


def _gradient_mistake_hints(case: Case) -> list[str]:
    hints = []
    for m in case.mistakes:
        try:
            wrong = m.output(case.expected)
            if wrong is None or not _is_plain(wrong) or not _is_plain(case.got):
                continue
            w = _asarray(wrong, dtype=float)
            g = _asarray(case.got, dtype=float)
            if w.shape == g.shape and _relative_error(g, w) < max(case.rtol, 1e-6):
                hints.append(m.hint)
        except Exception:  # a hint that cannot be computed is just not shown
            continue
    return hints


def _gradient_hints(got: Any, expected: np.ndarray, rtol: float) -> list[str]:
    """Mistakes every backward pass can make: factor, sign, transpose, no batch sum."""
    if not _is_plain(got) or type(got) in (tuple, list):
        return []
    g = _asarray(got, dtype=float)
    e = expected
    tol = max(rtol, 1e-6)
    if not _all_finite(g) or not (abs(e) > 0).any():
        return []
    hints = []
    if g.shape != e.shape:
        if e.ndim == 2 and g.shape == e.shape[::-1]:
            if _relative_error(g.T, e) < tol:
                hints.append(f"your gradient is the transpose of the right one (shape "
                             f"{g.shape} instead of {e.shape}): a gradient has the shape "
                             "of the variable it is taken with respect to")
            else:
                hints.append(f"your gradient has the transposed shape {g.shape} instead "
                             f"of {e.shape}: check the order of the factors in the "
                             "product (and which one is transposed)")
        elif g.ndim == e.ndim and all(ge == ee or ee == 1 for ge, ee in zip(g.shape, e.shape)):
            axes = tuple(i for i, (ge, ee) in enumerate(zip(g.shape, e.shape)) if ge != ee)
            summed = g.sum(axis=axes, keepdims=True)
            what = ("and summing it over the examples gives the right gradient"
                    if _relative_error(summed, e) < tol else "")
            hints.append(f"your gradient has shape {g.shape} instead of {e.shape}: it "
                         "was not summed over the batch (sum over axis "
                         f"{axes[0] if len(axes) == 1 else axes}, keepdims=True)"
                         + (f" -- {what}" if what else ""))
        elif g.size == e.size:
            hints.append(f"your gradient has shape {g.shape} instead of {e.shape}: it "
                         "must have the shape of the variable it is taken with respect to "
                         "(reshape, or keepdims=True)")
        return hints
    if _relative_error(g, -e) < tol:
        return ["your gradient has the opposite sign: check the sign of each local "
                "derivative (d(-x)/dx = -1; d(1 - a)/da = -1)"]
    if e.ndim == 2 and e.shape[0] == e.shape[1] and e.shape[0] > 1 \
            and _relative_error(g, e.T) < tol:
        return ["your gradient is the transpose of the right one: check the order of "
                "the factors in the product (and which one is transposed)"]
    en = float((e * e).sum())
    c = float((g * e).sum()) / en
    if c != 0 and abs(c - 1) > 1e-6 and _relative_error(g, c * e) < tol:
        text = _ratio_text(c) or f"{c:.6g} times"
        hints.append(f"every value of your gradient is {text} the right one{_FACTOR}")
    return hints


def gradient(name: str, f: Callable[[np.ndarray], float], x: np.ndarray, analytic: Any,
             *, h: float = 1e-5, rtol: float = 1e-6,
             mistakes: Sequence[Mistake] = ()) -> None:
    """Check that ``analytic`` is the gradient of the scalar function ``f`` at ``x``.

    The reference is the centred difference ``(f(x + h e_i) - f(x - h e_i)) / (2h)``
    for every entry i of ``x``, computed privately; this function returns nothing
    (it passes or raises) and never hands out the numerical gradient.

    Typical use, for a backward pass (``dout`` fixed, ``f`` the forward pass reduced
    to a number so that its gradient with respect to ``Z`` is ``dZ``)::

        out, cache = relu_forward(Z); dZ = relu_backward(dout, cache)
        check.gradient("relu_backward", lambda Z: np.sum(relu_forward(Z)[0] * dout),
                       Z, dZ)

    Parameters
    ----------
    name : str
        What is checked, as the student knows it (``"relu_backward"``, ``"dW"``).
    f : callable, ``f(x) -> float``
        A scalar function of an array of ``x``'s shape. It receives a fresh copy of the
        perturbed point on every call, so an ``f`` that modifies its input changes
        nothing. Warnings, stderr output and exceptions raised while it runs (by the
        student's forward pass inside it) fail the check with an explanation and never
        reach stderr.
    x : ndarray, any shape, real
        The point at which the gradient is checked (converted to float64; not modified).
    analytic : ndarray of x's shape, a number when x is 0-d, or a callable
        The gradient to check, e.g. the ``dZ`` returned by the student's backward pass.
        May also be a function of no arguments returning it
        (``lambda: relu_backward(dout, cache)``): the student's code then runs inside the
        check, with its warnings and exceptions reported instead of reaching stderr.
    h : float > 0
        The step of the centred difference.
    rtol : float > 0
        The check passes when the relative error

            ``max_i |a_i - n_i| / max(max_i (|a_i| + |n_i|), tiny)``

        (``a`` = analytic, ``n`` = numerical, ``tiny`` = the smallest positive normal
        float64, 2.2e-308) is below ``rtol``; or when ``max_i |a_i - n_i|`` is at most
        the rounding noise of the centred difference, ``64 * eps * max|f| / h`` (eps =
        2.2e-16, max|f| over all evaluations), i.e. when both gradients are zero to
        numerical precision.
    mistakes : sequence of Mistake
        Known wrong gradients; ``transform`` receives the numerical gradient.
        Generic mistakes are hinted without being listed: a constant factor (a missing
        1/m), the opposite sign, a transposed gradient, a gradient not summed over the
        batch.

    Raises
    ------
    CheckFailure
        If the gradient is wrong or has the wrong shape, or calling ``f`` (or
        ``analytic``) raised, warned or printed to stderr.
    TypeError, ValueError
        For a mistake in the test itself (name, f, x, h or rtol), naming the argument.
    """
    if type(name) is not str or not name:
        raise ValueError(f"name must be a non-empty str (what is checked), got {name!r}")
    if not callable(f):
        raise TypeError(f"f must be a function f(x) -> float, got {_describe(f)}")
    if type(x) is not _ndarray or x.dtype.kind not in "biuf":
        raise ValueError(f"x must be a numpy array of real numbers, got {_describe(x)}")
    if x.size == 0:
        raise ValueError(f"x must have at least one entry, got shape {x.shape}")
    x = x.astype(np.float64, copy=True)
    if not _all_finite(x):
        raise ValueError("x must hold finite numbers (no nan or inf)")
    for arg, val in (("h", h), ("rtol", rtol)):
        if type(val) not in _EXACT_SCALARS or type(val) in (bool, np.bool_) \
                or not 0.0 < float(val) < math.inf:
            raise ValueError(f"{arg} must be a positive finite number, got {val!r}")
    case = Case(function=name, inputs={"x": x.copy()}, expected=None, kind="gradient",
                rtol=float(rtol), atol=0.0, mistakes=tuple(mistakes), call=False)
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            _errstate(**_NUMPY_DEFAULT_ERRSTATE), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        if callable(analytic):
            try:
                analytic = analytic()
            except NotImplementedError as exc:
                case.raised = _not_written(exc, analytic)
            except (Exception, SystemExit) as exc:
                case.raised = ("computing your gradient raised an exception:\n    "
                               + _frames_after_f(exc))
        case.got = analytic
        if case.raised is None:
            try:
                numerical, f_max = _numerical_gradient(f, x, float(h))
                case.expected = numerical
                case.atol = _NOISE_FACTOR * _EPS * f_max / float(h)
            except _FError as exc:
                case.raised = str(exc)
    case.warnings = [_warning_text(w, f) for w in caught]
    case.stderr = err.getvalue()
    _decide(case)


# ----------------------------------------------------------------------------- forbidding
@contextlib.contextmanager
def forbidding(module: Any, message: str, namespace: dict | None = None):
    """Within the block, the public functions of ``module`` raise ``RuntimeError(message)``.

    For exercises whose answer the library already holds in fast form (the naive
    convolution of assignment 3 vs ``deepgrad.layers``): a hidden test calls the student's
    function inside ``with check.forbidding(layers, "...", namespace=globals()):`` and a
    function that calls the library instead of doing the work fails with ``message``.
    The public functions are the names in ``module.__all__`` (or, without one, the
    callables defined in the module). Names in ``namespace`` (the notebook's globals)
    bound to one of those functions (``from deepgrad.layers import conv_forward``) are
    replaced too. Everything is restored on exit, also when the block raises.
    """
    if type(message) is not str or not message:
        raise ValueError(f"message must be a non-empty str, got {message!r}")
    names = getattr(module, "__all__", None)
    if names is None:
        names = [k for k, v in vars(module).items() if not k.startswith("_") and callable(v)
                 and not inspect.isclass(v) and not inspect.ismodule(v)
                 and getattr(v, "__module__", None) == module.__name__]
    originals = {k: getattr(module, k) for k in names if hasattr(module, k)}

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(message)

    bound = {}
    if namespace is not None:
        targets = [id(v) for v in originals.values()]
        bound = {k: v for k, v in namespace.items() if id(v) in targets}
    try:
        for k in originals:
            setattr(module, k, refuse)
        for k in bound:
            namespace[k] = refuse
        yield
    finally:
        for k, v in originals.items():
            setattr(module, k, v)
        for k, v in bound.items():
            namespace[k] = v
