"""Comparison: one comparator per check kind, selected by ``Case.kind``.

A comparator looks at the output of a call that returned (or at a value) and says, as a
partial :class:`~deepgrad.check.records.Verdict`, what is wrong with it and which hints
apply. What went wrong with the call itself (an exception, a warning, stderr, modified
inputs) is the judge's part, common to every kind.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from . import hints
from .records import Case, Hint, Verdict
from .render import describe, fmt, fmt_pair, output_name, safe_repr, type_name
from .safe import (EXACT_SCALARS, all_finite, asarray, close, errstate, is_number,
                   is_plain, isclose, ndarray, relative_error, unravel_index)


# ----------------------------------------------------------------------------- one output
def _wrong_type(name: str, want: str, got: Any) -> str:
    t = type(got)
    if t is ndarray:  # not plain: dtype object, str, complex...
        return (f"{name}: expected {want}, got an array of dtype {got.dtype}; it should "
                "hold real numbers (float or int)")
    if isinstance(got, ndarray):
        return (f"{name}: expected {want}, got a {type_name(got)} (a subclass of "
                "np.ndarray); return a plain array, e.g. np.asarray(...)")
    if t in (tuple, list):
        return (f"{name}: expected {want}, got a {t.__name__} that does not hold only "
                "numbers")
    return f"{name}: expected {want}, got {describe(got)}"


def _shown(e: Any) -> float | int:
    """An entry of the expected array as the message writes it: an int when it is one."""
    return e.item() if e.dtype.kind in "iu" else float(e)


def _compare_scalar(name: str, got: Any, expected: Any, rtol: float,
                    atol: float) -> list[str]:
    ev = float(expected)
    if not is_plain(got):
        return [_wrong_type(name, "a number", got)]
    if type(got) is ndarray and got.ndim > 0:
        if got.size == 1:
            return [f"{name}: expected a number, got an array of shape {got.shape} "
                    f"(holding {fmt(got.reshape(-1)[0])}); return a plain number, e.g. "
                    "with float(...), or np.sum(...) without keepdims=True"]
        return [f"{name}: expected a number, got {describe(got)}"]
    if type(got) in (tuple, list):
        return [f"{name}: expected a number, got {describe(got)}"]
    gv = float(got)
    if bool(isclose(gv, ev, rtol, atol)):
        return []
    if math.isnan(gv):
        return [f"{name}: expected {fmt(_shown(expected))}, got nan (a log of 0, 0/0, or "
                "an overflow?)"]
    es, gs = fmt_pair(_shown(expected), gv)
    return [f"{name}: expected {es}, got {gs}"]


def _compare_array(name: str, got: Any, e: Any, rtol: float, atol: float) -> list[str]:
    want = f"an array of shape {e.shape}"
    if type(got) is not ndarray or not is_plain(got):
        if type(got) in (tuple, list) and is_plain(got):
            return [f"{name}: expected {want}, got {describe(got)}; return a numpy "
                    "array, e.g. np.array(...)"]
        if type(got) in EXACT_SCALARS:
            return [f"{name}: expected {want}, got a single number ({fmt(got)})"]
        return [_wrong_type(name, want, got)]
    g = got
    if g.shape != e.shape:
        return [f"{name}: expected shape {e.shape}, got shape {g.shape}"]
    problems = []
    if e.dtype.kind == "f" and g.dtype.kind in "biu":
        problems.append(f"{name}: expected an array of floats, got dtype {g.dtype} "
                        "(an array built from ints, or a comparison instead of a value?)")
    ok = asarray(isclose(g, e, rtol, atol))
    if not ok.all():
        gf = asarray(g, dtype=float)
        bad = list(zip(*(~ok).nonzero())) if ok.ndim else [()]
        lines = [f"{name}: {len(bad)} of {e.size} values differ"]
        for idx in bad[:5]:
            i = tuple(int(k) for k in idx)
            es, gs = fmt_pair(_shown(e[i]), float(gf[i]))
            lines.append(f"    at index {i}: expected {es}, got {gs}")
        if len(bad) > 5:
            lines.append(f"    ... and {len(bad) - 5} more")
        if not all_finite(gf):
            lines.append("    (your output has nan or inf: a log of 0, 0/0, or an "
                         "overflow?)")
        problems.append("\n".join(lines))
    return problems


def _compare(name: str, got: Any, expected: Any, rtol: float, atol: float) -> list[str]:
    """Problems with one output, each a short sentence (empty when it is right)."""
    e = asarray(expected)
    if e.ndim == 0:
        return _compare_scalar(name, got, e, rtol, atol)
    return _compare_array(name, got, e, rtol, atol)


# ----------------------------------------------------------------------------- equal
def _pairs(case: Case) -> tuple[list[tuple[str, Any, Any]], list[str]]:
    """(name, got, expected) for each output, and problems with the structure."""
    label, e, g = output_name(case), case.expected, case.got
    if type(e) is dict:
        if type(g) is not dict:
            return [], [f"{label}: expected a dict with keys {safe_repr(list(e))}, "
                        f"got {describe(g)}"]
        problems = []
        missing = [k for k in e if k not in g]
        extra = [k for k in g if k not in e]
        if missing:
            problems.append(f"{label}: the dict has no key(s) "
                            + ", ".join(safe_repr(k, 40) for k in missing))
        if extra:
            problems.append(f"{label}: unexpected key(s) "
                            + ", ".join(safe_repr(k, 40) for k in extra[:8]))
        return [(f"{label}[{k!r}]", g[k], e[k]) for k in e if k in g], problems
    if type(e) in (tuple, list):
        if case.outputs is not None and len(case.outputs) == len(e):
            names = [str(n) for n in case.outputs]
        else:
            names = [f"{label}[{i}]" for i in range(len(e))]
        if type(g) not in (tuple, list) or len(g) != len(e):
            return [], [f"{label}: expected {len(e)} values ({', '.join(names)}), "
                        f"got {describe(g)}"]
        return list(zip(names, g, e)), []
    return [(label, g, e)], []


def equal(case: Case) -> Verdict:
    """The output equals ``case.expected`` (to rtol/atol), output by output."""
    pairs, problems = _pairs(case)
    for name, g, e in pairs:
        if type(e) in (tuple, list, dict):
            if not close(g, e, case.rtol, case.atol):
                problems.append(f"{name}: expected {fmt(e)}, got {fmt(g)}")
        else:
            problems.extend(_compare(name, g, e, case.rtol, case.atol))
    found = []
    if problems:
        found = hints.mistake_hints(case) or hints.output_hints(pairs, case.inputs)
    return Verdict(passed=not problems, problems=problems, hints=found,
                   output_ok=not problems)


# ----------------------------------------------------------------------------- at_least
def at_least(case: Case) -> Verdict:
    """The output is a number at least ``case.expected``."""
    problems = []
    if not is_number(case.got):
        problems.append(f"{output_name(case)}: expected a number, got {describe(case.got)}")
    elif not float(case.got) >= float(case.expected):
        problems.append(f"{output_name(case)}: expected at least {fmt(case.expected)}, "
                        f"got {fmt(case.got)}")
    # an at_least hint says what a low number usually means: shown whenever it is low
    found = [Hint("mistake", m.hint) for m in case.mistakes] if problems else []
    return Verdict(passed=not problems, problems=problems, hints=found)


# ----------------------------------------------------------------------------- raises
def raises(case: Case) -> Verdict:
    """Nothing to compare: whether the call raised is all there is (``case.raised``)."""
    return Verdict(passed=True)


# ----------------------------------------------------------------------------- gradient
def _gradient_structure(case: Case) -> list[str]:
    """Problems with the type or shape of the student's gradient (empty when it fits)."""
    e, g = case.expected, case.got
    name = case.function
    if e.ndim == 0:
        if is_number(g) or (type(g) is ndarray and g.size == 1 and is_plain(g)):
            return []
        return _compare_scalar(name, g, e, case.rtol, case.atol)
    if type(g) is not ndarray or not is_plain(g) or g.shape != e.shape:
        return _compare_array(name, g, e, case.rtol, case.atol)
    return []


def _gradient_problems(case: Case) -> list[str]:
    problems = _gradient_structure(case)
    if problems:
        return problems
    e = case.expected
    a = asarray(case.got, dtype=float).reshape(e.shape)
    if not all_finite(a):
        return [f"{case.function}: your gradient has nan or inf (a log of 0, 0/0, or an "
                "overflow?)"]
    with errstate(all="ignore"):
        diff = abs(a - e)
    worst_diff = float(diff.max())
    error = relative_error(a, e)
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
            i = tuple(int(j) for j in unravel_index(int(k), e.shape))
            es, gs = fmt_pair(float(e[i]), float(a[i]))
            lines.append(f"    at index {i}: expected {es}, got {gs}")
    else:
        es, gs = fmt_pair(float(e), float(a))
        lines.append(f"    expected {es}, got {gs}")
    return ["\n".join(lines)]


def gradient(case: Case) -> Verdict:
    """The student's gradient (``case.got``) matches the numerical one (``case.expected``).

    ``case.rtol`` bounds the relative error, ``case.atol`` is the rounding noise of the
    centred difference (see :func:`deepgrad.check.gradient`).
    """
    problems = _gradient_problems(case)
    found = []
    if problems:
        found = (hints.gradient_mistake_hints(case)
                 or hints.gradient_hints(case.got, case.expected, case.rtol))
    return Verdict(passed=not problems, problems=problems, hints=found,
                   output_ok=not problems)


#: The comparator of each ``Case.kind``.
COMPARATORS: dict[str, Callable[[Case], Verdict]] = {
    "equal": equal,
    "at_least": at_least,
    "raises": raises,
    "gradient": gradient,
}
