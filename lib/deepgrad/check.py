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

Nothing here writes to stderr.
"""

from __future__ import annotations

import copy
import inspect
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
]

# Captured at import: a student who monkeypatches np.allclose in their notebook does not
# change how the judge compares.
_isclose = np.isclose
_asarray = np.asarray
_isfinite = np.isfinite
_ndarray = np.ndarray
_array2string = np.array2string

_SCALAR_TYPES = (bool, int, float, np.bool_, np.integer, np.floating)


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
    raised: str | None = None
    warnings: list[str] = field(default_factory=list)
    modified_inputs: list[str] = field(default_factory=list)
    outputs: Sequence[str] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: Sequence[Mistake] = ()
    kind: str = "equal"  # "equal" | "at_least"


@dataclass
class Verdict:
    passed: bool
    problems: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)


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
def _is_plain(x: Any) -> bool:
    """True for the types a graded function may return: arrays, numbers, tuples of them."""
    if type(x) is _ndarray:
        return x.dtype.kind in "biuf"
    if type(x) in (tuple, list):
        return all(_is_plain(v) for v in x)
    return isinstance(x, _SCALAR_TYPES) and type(x).__module__ in ("builtins", "numpy")


def _describe(x: Any) -> str:
    if type(x) is _ndarray:
        return f"array of shape {x.shape}, dtype {x.dtype}"
    if isinstance(x, _SCALAR_TYPES):
        return f"scalar {type(x).__name__}"
    if type(x) in (tuple, list):
        return f"{type(x).__name__} of length {len(x)}"
    return f"object of type {type(x).__name__}"


def _fmt(x: Any, limit: int = 12) -> str:
    if type(x) is _ndarray:
        return _array2string(x, precision=6, threshold=limit, edgeitems=3,
                             separator=", ", suppress_small=False).replace("\n", "\n    ")
    if isinstance(x, (float, np.floating)):
        return repr(float(x))
    return repr(x)


def _close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Same kind (array vs scalar), same shape, values within tolerance, no stray NaN."""
    if type(expected) in (tuple, list):
        return (type(got) in (tuple, list) and len(got) == len(expected)
                and all(_close(g, e, rtol, atol) for g, e in zip(got, expected)))
    if not _is_plain(got):
        return False
    e = _asarray(expected)
    g = _asarray(got)
    if e.ndim == 0 and type(got) is _ndarray and g.ndim != 0:
        return False
    if g.shape != e.shape:
        return False
    return bool(_isclose(g.astype(float), e.astype(float), rtol=rtol, atol=atol,
                         equal_nan=True).all())


def _compare(name: str, got: Any, expected: Any, rtol: float, atol: float) -> list[str]:
    """Problems with one output, each a short sentence (empty when it is right)."""
    if not _is_plain(got):
        return [f"{name}: expected {_describe(expected)}, got {_describe(got)}"]
    e = _asarray(expected)
    if e.ndim == 0:
        g = _asarray(got)
        if type(got) is _ndarray and g.size == 1 and g.ndim > 0:
            return [f"{name}: expected a scalar, got an array of shape {g.shape} "
                    f"(value {_fmt(got)}); return a plain number, e.g. with float(...) "
                    f"or np.sum(...) without keepdims"]
        if type(got) is _ndarray and g.ndim > 0:
            return [f"{name}: expected a scalar, got {_describe(got)}"]
        gv, ev = float(g), float(e)
        if math.isnan(gv):
            return [f"{name}: expected {_fmt(ev)}, got nan (a log of 0, or an overflow?)"]
        if not _isclose(gv, ev, rtol=rtol, atol=atol):
            return [f"{name}: expected {_fmt(ev)}, got {_fmt(gv)}"]
        return []
    if type(got) is not _ndarray:
        return [f"{name}: expected an array of shape {e.shape}, got {_describe(got)}"]
    g = got
    if g.shape != e.shape:
        return [f"{name}: expected shape {e.shape}, got shape {g.shape} (dtype {g.dtype})"]
    problems = []
    if e.dtype.kind == "f" and g.dtype.kind in "biu":
        problems.append(f"{name}: expected a float array, got dtype {g.dtype}")
    gf, ef = g.astype(float), e.astype(float)
    ok = _isclose(gf, ef, rtol=rtol, atol=atol, equal_nan=True)
    if not ok.all():
        bad = np.argwhere(~ok)
        n_bad = len(bad)
        lines = [f"{name}: {n_bad} of {e.size} values differ (shape {e.shape}, "
                 f"dtype {g.dtype})"]
        for idx in bad[:5]:
            i = tuple(int(k) for k in idx)
            lines.append(f"    at index {i}: expected {_fmt(ef[i])}, got {_fmt(gf[i])}")
        if n_bad > 5:
            lines.append(f"    ... and {n_bad - 5} more")
        if not _isfinite(gf).all():
            lines.append("    (your output has nan or inf: a log of 0, or an overflow?)")
        problems.append("\n".join(lines))
    return problems


def _generic_hints(got: Any, expected: Any) -> list[str]:
    """Hints for mistakes that look the same in every exercise."""
    if type(got) is not _ndarray or not _is_plain(got):
        return []
    e = _asarray(expected)
    g = got
    hints = []
    if e.ndim == 2 and g.shape == e.shape[::-1] and e.shape[0] != e.shape[1]:
        hints.append(f"your output has the transposed shape {g.shape} instead of {e.shape}:"
                     " check which axis holds the examples (one column per example)")
    if e.ndim == 2 and g.ndim == 2 and e.shape[0] == 1 and g.shape == (e.shape[1],) * 2:
        hints.append("an output of shape (m, m) usually means broadcasting a (1, m) array"
                     " against an (m, 1) array: check the shapes you combine")
    if e.ndim >= 1 and g.ndim == 1 and e.ndim == 2 and e.size == g.size:
        hints.append(f"your output is 1-D {g.shape}; keep it 2-D {e.shape} "
                     "(reshape, or keepdims=True)")
    if g.shape == e.shape and e.size and np.abs(e).max() > 0:
        gf, ef = g.astype(float), e.astype(float)
        if _isclose(gf, -ef, rtol=1e-6, atol=1e-9).all():
            hints.append("your output has the opposite sign: check the sign of your formula")
        else:
            nz = np.abs(ef) > 1e-12
            if nz.any() and (np.abs(gf[~nz]) <= 1e-12).all():
                ratio = gf[nz] / ef[nz]
                if np.ptp(ratio) <= 1e-6 * max(1.0, abs(ratio[0])) and not _isclose(
                        ratio[0], 1.0):
                    hints.append(f"every value is {ratio[0]:.6g} times the expected one: "
                                 "a missing or extra scale factor (1/m? the learning rate?)")
    return hints


class InKernelJudge:
    """Decides in the student's kernel, with numpy functions captured at import."""

    def judge(self, case: Case) -> Verdict:
        v = Verdict(passed=True)
        if case.raised is not None:
            v.problems.append(f"it raised an exception:\n    {case.raised}")
        if case.warnings:
            v.problems.append(
                "it emitted a warning (a warning writes to stderr, and a graded cell that"
                " writes to stderr scores 0):\n    " + "\n    ".join(case.warnings))
        if case.modified_inputs:
            v.problems.append("it modified its input(s) "
                              + ", ".join(case.modified_inputs)
                              + " in place; work on a copy instead")
        if case.raised is None:
            if case.kind == "at_least":
                if not _is_plain(case.got) or _asarray(case.got).ndim != 0:
                    v.problems.append(f"{case.function}: expected a number, got "
                                      f"{_describe(case.got)}")
                elif not float(case.got) >= float(case.expected):
                    v.problems.append(f"{case.function}: expected at least "
                                      f"{_fmt(case.expected)}, got {_fmt(case.got)}")
            else:
                v.problems.extend(self._outputs(case))
        if v.problems and case.raised is None:
            for m in case.mistakes:
                try:
                    wrong = m.output(case.expected)
                except Exception:  # a hint that cannot be computed is just not shown
                    continue
                if _close(case.got, wrong, case.rtol, case.atol):
                    v.hints.append(m.hint)
            if not v.hints and case.kind == "equal":
                outs = self._pairs(case)
                if outs is not None:
                    for _, g, e in outs:
                        v.hints.extend(_generic_hints(g, e))
        v.passed = not v.problems
        return v

    @staticmethod
    def _pairs(case: Case):
        if case.outputs is None:
            return [(case.function + "(...)", case.got, case.expected)]
        if type(case.got) not in (tuple, list) or len(case.got) != len(case.outputs):
            return None
        return list(zip(case.outputs, case.got, case.expected))

    def _outputs(self, case: Case) -> list[str]:
        pairs = self._pairs(case)
        if pairs is None:
            return [f"expected a tuple of {len(case.outputs)} values "
                    f"({', '.join(case.outputs)}), got {_describe(case.got)}"]
        problems = []
        for name, g, e in pairs:
            problems.extend(_compare(name, g, e, case.rtol, case.atol))
        return problems


_judge: Judge = InKernelJudge()


def use_judge(judge: Judge) -> Judge:
    """Replace the judge every check goes through; returns the previous one."""
    global _judge
    previous, _judge = _judge, judge
    return previous


# ----------------------------------------------------------------------------- reporting
def _report(case: Case, verdict: Verdict) -> str:
    lines = [f"{case.function} is not right yet."]
    if case.inputs:
        lines.append("Called with:")
        for k, v in case.inputs.items():
            desc = f" ({_describe(v)})" if type(v) is _ndarray else ""
            lines.append(f"  {k} = {_fmt(v)}{desc}")
    lines.append("Problem:" if len(verdict.problems) == 1 else "Problems:")
    for p in verdict.problems:
        lines.append("  - " + p)
    if case.raised is None and case.kind == "equal":
        lines.append(f"Expected: {_fmt_out(case.expected, case.outputs)}")
        lines.append(f"Got:      {_fmt_out(case.got, case.outputs)}")
    for h in verdict.hints:
        lines.append("Hint: " + h)
    return "\n".join(lines)


def _fmt_out(x: Any, names: Sequence[str] | None) -> str:
    if names is not None and type(x) in (tuple, list) and len(x) == len(names):
        return ", ".join(f"{n} = {_fmt(v, 6)}" for n, v in zip(names, x))
    if type(x) is _ndarray:
        return f"{_fmt(x, 6)}  [{_describe(x)}]"
    return _fmt(x)


def _decide(case: Case) -> None:
    verdict = _judge.judge(case)
    if not verdict.passed:
        raise CheckFailure(_report(case, verdict))


# ----------------------------------------------------------------------------- the API
def _bind(fn: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"arg{i}": a for i, a in enumerate(args)}
        named.update(kwargs)
        return named


def _same(a: Any, b: Any) -> bool:
    if type(a) is _ndarray:
        return type(b) is _ndarray and a.shape == b.shape and bool(
            (a == b).all() | (np.isnan(a).all() if a.dtype.kind == "f" else False))
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
    expected : array, number, or tuple of them
        The right output. A scalar expects a scalar (a ``(1, 1)`` array fails, with a
        hint); an array expects the same shape, and a float array a float dtype.
    outputs : sequence of str, optional
        Names of the outputs when ``fn`` returns a tuple, e.g. ``("dw", "db")``.
    mistakes : sequence of Mistake
        Known wrong answers; the hint of each one the output matches is shown.
    rtol, atol : float
        Tolerances of the value comparison (``numpy.isclose``).
    name : str, optional
        How to call the function in the message (default: its ``__name__``).

    Raises
    ------
    CheckFailure
        If the output is wrong, an exception was raised, a warning was emitted or an
        input was modified in place.
    """
    kwargs = dict(kwargs or {})
    label = name or getattr(fn, "__name__", "the function")
    originals = copy.deepcopy((args, kwargs))
    call_args, call_kwargs = copy.deepcopy((args, kwargs))
    inputs = _bind(fn, originals[0], originals[1]) if callable(fn) else {}
    case = Case(function=label, inputs=inputs, expected=expected, outputs=outputs,
                rtol=rtol, atol=atol, mistakes=tuple(mistakes))
    if not callable(fn):
        case.raised = f"{label} is not a function (it is {_describe(fn)})"
        _decide(case)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            case.got = fn(*call_args, **call_kwargs)
        except NotImplementedError:
            case.raised = "NotImplementedError: replace `raise NotImplementedError()` " \
                          "with your code"
        except Exception as exc:  # report the student's error, not ours
            case.raised = _student_frames(exc)
    case.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    bound_after = _bind(fn, call_args, call_kwargs)
    case.modified_inputs = [k for k, v in inputs.items()
                            if k in bound_after and not _same(v, bound_after[k])]
    _decide(case)


def value(name: str, got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-8,
          mistakes: Sequence[Mistake] = ()) -> None:
    """Check a value the student computed (a variable, not a call) against ``expected``."""
    _decide(Case(function=name, inputs={}, got=got, expected=expected, rtol=rtol,
                 atol=atol, mistakes=tuple(mistakes)))


def at_least(name: str, got: Any, floor: float, *, hint: str | None = None) -> None:
    """Check that the number ``got`` (e.g. a test accuracy) is at least ``floor``."""
    mistakes = (Mistake(hint, transform=lambda e: got),) if hint else ()
    _decide(Case(function=name, inputs={}, got=got, expected=floor, kind="at_least",
                 mistakes=mistakes))


def raises(fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
           exception: type[BaseException], name: str | None = None) -> None:
    """Check that ``fn(*args, **kwargs)`` raises ``exception`` (e.g. on bad input)."""
    kwargs = dict(kwargs or {})
    label = name or getattr(fn, "__name__", "the function")
    case = Case(function=label, inputs=_bind(fn, args, kwargs), expected=None,
                kind="raises")
    with warnings.catch_warnings(record=True), np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        except exception:
            return
        except Exception as exc:
            case.raised = (f"expected {exception.__name__}, but it raised "
                           f"{type(exc).__name__}: {exc}")
        else:
            case.raised = f"expected it to raise {exception.__name__}, but it returned"
    _decide(case)
