"""Rendering: values, hints and the whole failure report, as text for the student.

Rendering happens last, from data: the judge only ever builds problems and
:class:`~deepgrad.check.records.Hint` records; :func:`report` turns a failing verdict
into the message of a :class:`~deepgrad.check.records.CheckFailure`.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .records import Case, Hint, Verdict
from .safe import EXACT_SCALARS, array2string, ndarray

#: The end of a constant-factor hint when nothing names the factor.
FACTOR = ": a missing or extra scale factor (1/m? the learning rate? a factor 2?)"
#: The end of a factor of √2 or 1/√2 (He's sqrt(2 / n) against sqrt(1 / n), say).
SQRT2_FACTOR = ": a factor 2 missing or extra under a square root?"
#: The end of a factor that is the length of an input's axis (after "; 3 is x.shape[3]").
AXIS_FACTOR = " (an axis you summed over or divided by?)"
#: The end of a factor that is an int argument (after "; 2 is size").
ARG_FACTOR = " (a missing or extra factor?)"
_SQRT2 = math.sqrt(2.0)
#: Nested tuples, lists and dicts are written out up to this depth and length.
_NESTED_DEPTH = 4
_NESTED_CHARS = 100


def type_name(x: Any) -> str:
    return type(x).__name__


def describe(x: Any) -> str:
    """What ``x`` is, in words ("an array of shape (2, 3), dtype float64")."""
    t = type(x)
    if t is ndarray:
        return f"an array of shape {x.shape}, dtype {x.dtype}"
    if isinstance(x, ndarray):
        return (f"a {type_name(x)} of shape {x.shape} (a subclass of np.ndarray, not a "
                "plain array)")
    if t in EXACT_SCALARS:
        return f"a number ({type_name(x)})"
    if t in (tuple, list):
        return f"a {t.__name__} of length {len(x)}"
    if t is dict:
        return f"a dict with keys {safe_repr(list(x), 120)}"
    if x is None:
        return "None (did you forget a `return`?)"
    return f"an object of type {type_name(x)}"


def safe_repr(x: Any, limit: int = 200) -> str:
    """``repr(x)`` that survives a student's object whose ``__repr__`` misbehaves."""
    try:
        r = repr(x)
        if type(r) is not str:
            raise TypeError
    except Exception:
        return f"<{type_name(x)} object>"
    return r if len(r) <= limit else r[:limit] + "..."


def fmt(x: Any, limit: int = 12, indent: str = "    ") -> str:
    """A short, readable rendering of a value; continuation lines start with ``indent``."""
    t = type(x)
    if t is ndarray and x.dtype.kind in "biufc":
        try:
            text = array2string(x, precision=6, threshold=limit, edgeitems=3,
                                separator=", ", suppress_small=False)
        except Exception:  # np.array2string relies on numpy functions a student can patch
            flat = x.reshape(-1)[:limit].tolist()
            return f"<array of shape {x.shape} starting {safe_repr(flat, 120)}>"
        return text.replace("\n", "\n" + indent)
    if t in (float, np.float64, np.float32, np.float16):
        return repr(float(x))
    if t in EXACT_SCALARS:
        return repr(x.item() if hasattr(x, "item") else x)
    if t in (dict, tuple, list):
        return _fmt_container(x, 1)
    return safe_repr(x)


def _fmt_container(x: Any, depth: int) -> str:
    """A tuple, list or dict on one line, its first 8 items each by :func:`_fmt_inner`."""
    if type(x) is dict:
        items = [f"{safe_repr(k, 40)}: {_fmt_inner(v, depth)}"
                 for k, v in list(x.items())[:8]]
        more = ", ..." if len(x) > 8 else ""
        return "{" + ", ".join(items) + more + "}"
    items = [_fmt_inner(v, depth) for v in x[:8]]
    more = ", ..." if len(x) > 8 else ""
    trail = "," if type(x) is tuple and len(x) == 1 else ""
    o, c = ("(", ")") if type(x) is tuple else ("[", "]")
    return o + ", ".join(items) + more + trail + c


def _fmt_inner(x: Any, depth: int) -> str:
    """A value inside a container: small arrays and small containers inline, larger ones
    (or ones nested deeper than ``_NESTED_DEPTH``) by what they are."""
    if type(x) is ndarray:
        if x.size <= 6:
            return " ".join(fmt(x, 6).split())
        return f"<array of shape {x.shape}, dtype {x.dtype}>"
    if type(x) in (dict, tuple, list):
        if depth < _NESTED_DEPTH:
            text = _fmt_container(x, depth + 1)
            if len(text) <= _NESTED_CHARS:
                return text
        return f"<{describe(x)}>"
    return fmt(x)


def fmt_pair(e: float | int, g: float) -> tuple[str, str]:
    """Expected and got with 6 significant digits, or more when those look the same.

    An int ``e`` (the expected value of an integer check) is written as an int, and so
    is ``g`` when it is a whole number too: "expected 200960, got 200704".
    """
    def g_(x: float, digits: int) -> str:
        text = f"{x:.{digits}g}"
        return text + ".0" if text.lstrip("-").isdigit() else text

    if type(e) is int:
        if float(g).is_integer() and abs(g) < 1e16:
            return str(e), str(int(g))
        for digits in (6, 10):  # enough digits that g does not read as e
            gs = f"{g:.{digits}g}"
            if float(gs) != e:
                return str(e), gs
        return str(e), repr(float(g))
    for digits in (6, 10):
        es, gs = g_(e, digits), g_(g, digits)
        if es != gs:
            return es, gs
    return repr(float(e)), repr(float(g))


def whole_factor(r: float) -> int | None:
    """n when the ratio r is ±n or ±1/n for a whole n >= 2 (a forgotten factor n)."""
    a = abs(r)
    if a >= 1.5 and abs(a - round(a)) <= 1e-6 * a:
        return round(a)
    if 0 < a <= 0.75 and abs(1 / a - round(1 / a)) <= 1e-6 / a:
        return round(1 / a)
    return None


def is_sqrt2(r: float) -> bool:
    """Whether the ratio r is ±√2 or ±1/√2."""
    a = abs(r)
    return abs(a - _SQRT2) <= 1e-6 * _SQRT2 or abs(a - 1 / _SQRT2) <= 1e-6 / _SQRT2


def ratio_text(r: float) -> str | None:
    """'4 times' / '1/4 of' / '√2 times' for a ratio that looks like a forgotten factor,
    else None."""
    sign = "-" if r < 0 else ""
    n = whole_factor(r)
    if n is not None:
        return f"{sign}{n} times" if abs(r) > 1 else f"{sign}1/{n} of"
    if is_sqrt2(r):
        return f"{sign}√2 times" if abs(r) > 1 else f"{sign}1/√2 of"
    return None


def factor_phrase(r: float) -> str:
    """How a constant factor is said: '4 times', '1/4 of', '√2 times' or '2.37 times'."""
    return ratio_text(r) or f"{r:.6g} times"


def factor_end(r: float, args: Sequence[str] = (),
               axes: Sequence[str] = ()) -> str:
    """How a constant-factor hint ends: what the factor is, when something names it.

    ``args`` are the int arguments equal to the factor (or its inverse), ``axes`` the
    input axes whose length it is (found by :func:`deepgrad.check.hints.factor_inputs`):
    "; 2 is size (a missing or extra factor?)", "; 3 is x.shape[3] (an axis you summed
    over or divided by?)". Else √2 is named, or the usual suspects are listed.
    """
    if args:
        return f"; {whole_factor(r)} is {and_list(args)}{ARG_FACTOR}"
    if axes:
        return f"; {whole_factor(r)} is {and_list(axes)}{AXIS_FACTOR}"
    return SQRT2_FACTOR if is_sqrt2(r) else FACTOR


def and_list(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def output_name(case: Case) -> str:
    return f"{case.function}(...)" if case.call else case.function


# ----------------------------------------------------------------------------- hints
def hint_texts(hints: Sequence[Hint | str]) -> list[str]:
    """The hints as sentences, each named after its output when there are several.

    When every output that got a hint is off by the same constant factor, they are said
    together in one sentence ("dw, db are all 3 times the expected values").
    """
    named = [h for h in hints if type(h) is Hint and h.output is not None]
    together = (len(named) > 1 and all(h.kind == "factor" for h in named)
                and len({(factor_phrase(h.ratio), h.factor_args, h.factor_axes)
                         for h in named}) == 1)
    texts = []
    for h in hints:
        if type(h) is not Hint:
            texts.append(str(h))
        elif h.output is None:
            texts.append(h.text)
        elif not together:
            texts.append(f"{h.output}: {h.text}")
        elif h is named[0]:
            texts.append(f"{', '.join(n.output for n in named)} are all "
                         f"{factor_phrase(h.ratio)} the expected values"
                         f"{factor_end(h.ratio, h.factor_args, h.factor_axes)}")
    return texts


# ----------------------------------------------------------------------------- the report
def report(case: Case, verdict: Verdict) -> str:
    """The message of a failing check: the call, its problems, expected vs got, hints."""
    lines = [f"{case.function} is not right yet."]
    if case.inputs:
        lines.append("Gradient checked at:" if case.kind == "gradient" else "Called with:")
        for k, v in case.inputs.items():
            desc = f"  ({describe(v)[3:]})" if type(v) is ndarray else ""
            lines.append(f"  {k} = {fmt(v, indent='      ')}{desc}")
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
    for h in hint_texts(verdict.hints):
        lines.append("Hint: " + h)
    return "\n".join(lines)


def hidden_report(case: Case, verdict: Verdict, call_problems: Sequence[str]) -> str:
    """The message of a failing *hidden* check: what the student's code did wrong and the
    hints, never the hidden inputs or the expected output. ``call_problems`` are the
    verdict's problems about the call itself (an exception, a warning, stderr, an input
    modified in place), shown in full; a wrong output is only said to be wrong."""
    lines = [f"{case.function} is not right yet: it fails a hidden check."]
    problems = [p for p in verdict.problems if p in call_problems]
    if len(problems) < len(verdict.problems):
        what = describe(case.got) if case.raised is None else ""
        problems.append(f"{output_name(case)} gives the wrong output on a hidden input"
                        + (f" (it returned {what})" if what else ""))
    lines.append("Problem:" if len(problems) == 1 else "Problems:")
    lines.extend("  - " + p.replace("\n", "\n  ") for p in problems)
    for h in hint_texts(verdict.hints):
        lines.append("Hint: " + h)
    return "\n".join(lines)


def plain_report(case: Case, verdict: Verdict) -> str:
    """The report without any rendering of values, for when :func:`report` fails."""
    return "\n".join([f"{case.function} is not right yet.", "Problems:"]
                     + ["  - " + str(p) for p in verdict.problems]
                     + ["Hint: " + str(getattr(h, "text", h)) for h in verdict.hints])


def _fmt_out(head: str, x: Any, case: Case) -> list[str]:
    e = case.expected
    if type(e) in (tuple, list) and type(x) in (tuple, list) and len(x) == len(e):
        names = (list(case.outputs) if case.outputs is not None
                 and len(case.outputs) == len(e) else [f"[{i}]" for i in range(len(e))])
        return [head.rstrip()] + [f"    {n} = {fmt(v, 6, ' ' * (7 + len(str(n))))}"
                                  + (f"  ({describe(v)[3:]})" if type(v) is ndarray else "")
                                  for n, v in zip(names, x)]
    if type(e) is dict and type(x) is dict:
        return [head.rstrip()] + [f"    {k!r} = {fmt(v, 6, ' ' * 12)}"
                                  + (f"  ({describe(v)[3:]})" if type(v) is ndarray else "")
                                  for k, v in list(x.items())[:12]]
    text = fmt(x, 6, " " * (len(head) + 1))
    if type(x) is ndarray:
        text += f"  ({describe(x)[3:]})"
    return [f"{head} {text}"]
