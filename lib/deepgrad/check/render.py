"""Rendering: values, hints and the whole failure report, as text for the student.

Rendering happens last, from data: the judge only ever builds problems and
:class:`~deepgrad.check.records.Hint` records; :func:`report` turns a failing verdict
into the message of a :class:`~deepgrad.check.records.CheckFailure`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .records import Case, Hint, Verdict
from .safe import EXACT_SCALARS, array2string, ndarray

#: The end of every constant-factor hint.
FACTOR = ": a missing or extra scale factor (1/m? the learning rate? a factor 2?)"


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
    if t is dict:
        items = [f"{safe_repr(k, 40)}: {_fmt_inner(v)}" for k, v in list(x.items())[:8]]
        more = ", ..." if len(x) > 8 else ""
        return "{" + ", ".join(items) + more + "}"
    if t in (tuple, list):
        items = [_fmt_inner(v) for v in x[:8]]
        more = ", ..." if len(x) > 8 else ""
        trail = "," if t is tuple and len(x) == 1 else ""
        o, c = ("(", ")") if t is tuple else ("[", "]")
        return o + ", ".join(items) + more + trail + c
    return safe_repr(x)


def _fmt_inner(x: Any) -> str:
    """A value inside a container: small arrays inline, larger ones by shape."""
    if type(x) is ndarray:
        if x.size <= 6:
            return " ".join(fmt(x, 6).split())
        return f"<array of shape {x.shape}, dtype {x.dtype}>"
    if type(x) in (dict, tuple, list):
        return f"<{describe(x)}>"
    return fmt(x)


def fmt_pair(e: float, g: float) -> tuple[str, str]:
    """Expected and got with 6 significant digits, or more when those look the same."""
    def g_(x: float, digits: int) -> str:
        text = f"{x:.{digits}g}"
        return text + ".0" if text.lstrip("-").isdigit() else text

    for digits in (6, 10):
        es, gs = g_(e, digits), g_(g, digits)
        if es != gs:
            return es, gs
    return repr(float(e)), repr(float(g))


def ratio_text(r: float) -> str | None:
    """'4 times' / '1/4 of' for a ratio that looks like a forgotten factor, else None."""
    a = abs(r)
    sign = "-" if r < 0 else ""
    if a >= 1.5 and abs(a - round(a)) <= 1e-6 * a:
        return f"{sign}{round(a)} times"
    if 0 < a <= 0.75 and abs(1 / a - round(1 / a)) <= 1e-6 / a:
        return f"{sign}1/{round(1 / a)} of"
    return None


def factor_phrase(r: float) -> str:
    """How a constant factor is said: '4 times', '1/4 of', or '2.37 times'."""
    return ratio_text(r) or f"{r:.6g} times"


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
                and len({factor_phrase(h.ratio) for h in named}) == 1)
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
                         f"{factor_phrase(h.ratio)} the expected values{FACTOR}")
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
