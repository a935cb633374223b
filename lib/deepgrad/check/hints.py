"""Hints: which known or generic mistake a wrong output looks like, as Hint records.

Listed :class:`~deepgrad.check.records.Mistake` s come first; without a match, the
mistakes that look the same in every exercise are recognised (transposed, opposite sign,
a constant factor -- named after the int argument or the input axis it is, or √2 --,
broadcasting, 1-D instead of 2-D, not summed over the batch, which axes of a wrong shape
are off and by how much), and a warning gets an explanation. Nothing here renders
several hints together: that is the report's job
(:func:`deepgrad.check.render.hint_texts`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from .records import HIDDEN, Case, Hint, Mistake
from .render import and_list, factor_end, factor_phrase, ratio_text, whole_factor
from .safe import (all_finite, asarray, close, integer, is_plain, isclose, ndarray,
                   relative_error)

_WARNING_HINTS = (
    ("overflow encountered in exp",
     "np.exp overflows for large inputs (np.exp(710.0) is inf): rearrange the formula so "
     "that exp only sees inputs <= 0 (clipping the input instead changes the result for "
     "large inputs)"),
    ("divide by zero encountered in log",
     "np.log(0) is -inf: a probability reached exactly 0 or 1 (clip it away from 0 and 1 "
     "before the log)"),
    ("divide by zero",
     "a division by zero: check what can be 0 in a denominator"),
    ("invalid value",
     "a computation gave nan: 0/0, inf - inf, 0 * inf or the log/sqrt of a negative "
     "number"),
)


def warning_hint(warnings: Sequence[str]) -> list[Hint]:
    """What the first recognised warning usually means (at most one hint)."""
    for text, hint in _WARNING_HINTS:
        if any(text in w for w in warnings):
            return [Hint("warning", hint)]
    return []


def check_mistakes(mistakes: Sequence[Any], expected: Any,
                   outputs: Sequence[str] | None = None) -> None:
    """A mistake in the test cell itself (not the student's): say so at once.

    Every entry must be a :class:`Mistake`; the ``output`` of a shape mistake must name
    one of the outputs, and its shape must differ from the expected one (else it would
    match every wrong value of the right shape).
    """
    for m in mistakes:
        if type(m) is not Mistake:
            raise TypeError("mistakes must hold check.Mistake(...) records, got an object "
                            f"of type {type(m).__name__}")
        if m.shape is None or expected is HIDDEN:
            continue
        e = expected if m.output is None else expected[output_key(m.output, expected,
                                                                  outputs)]
        if type(e) is ndarray and e.shape == m.shape:
            raise ValueError(f"Mistake(shape={m.shape}) is the expected shape: a shape "
                             "mistake must give a shape the right answer does not have")


def output_key(output: str | int, expected: Any, outputs: Sequence[str] | None) -> Any:
    """The index (or dict key) in ``expected`` of the output a Mistake names.

    Raises ValueError, listing the outputs there are, when it names none of them.
    """
    if type(expected) is dict:
        if output in expected:
            return output
        choices = f"one of the keys {list(expected)!r}"
    elif type(expected) in (tuple, list):
        names = list(outputs) if outputs is not None and len(outputs) == len(expected) \
            else []
        if type(output) is str and output in names:
            return names.index(output)
        if type(output) is int and 0 <= output < len(expected):
            return output
        choices = (f"one of {names!r} or " if names else "") \
            + f"an index from 0 to {len(expected) - 1}"
    else:
        raise ValueError(f"output={output!r}: this check has a single output, leave "
                         "output= out")
    raise ValueError(f"output={output!r} names no output of this check: give {choices}")


def _has_shape(m: Mistake, case: Case) -> bool:
    """Whether the output (or the output ``m.output`` names) is a plain array of m.shape."""
    got = case.got
    if m.output is not None:
        key = output_key(m.output, case.expected, case.outputs)
        if type(got) is dict and type(key) is not int and key in got:
            got = got[key]
        elif type(got) in (tuple, list) and len(got) == len(case.expected) \
                and type(key) is int:
            got = got[key]
        else:
            return False
    return type(got) is ndarray and is_plain(got) and got.shape == m.shape


def mistake_hints(case: Case) -> list[Hint]:
    """The hint of every listed mistake the output matches."""
    hints = []
    for m in case.mistakes:
        try:
            if m.shape is not None:
                matched = _has_shape(m, case)
            else:
                wrong = m.wrong_output(case.expected)
                matched = wrong is not None and close(case.got, wrong, case.rtol, case.atol)
            if matched:
                hints.append(Hint("mistake", m.hint))
        except Exception:  # a hint that cannot be computed is just not shown
            continue
    return hints


def output_hints(pairs: list[tuple[str, Any, Any]],
                 inputs: dict[str, Any] | None = None) -> list[Hint]:
    """Generic hints for each ``(name, got, expected)``; named when there are several."""
    if len(pairs) == 1:
        return generic_hints(pairs[0][1], pairs[0][2], inputs)
    return [replace(h, output=name)
            for name, got, expected in pairs if type(expected) not in (tuple, list, dict)
            for h in generic_hints(got, expected, inputs)]


def generic_hints(got: Any, expected: Any, inputs: dict[str, Any] | None = None
                  ) -> list[Hint]:
    """Hints for mistakes that look the same in every exercise.

    ``inputs`` (the function's, by name) let a constant factor be named after the input
    axis it is the length of.
    """
    if not is_plain(got) or type(got) in (tuple, list):
        return []
    e = asarray(expected, dtype=float)
    g = asarray(got, dtype=float)
    hints = []
    if type(got) is ndarray and e.ndim == 2:
        n, m = e.shape
        if g.shape == (m, n) and n != m:
            hints.append(Hint("transposed", "your output has the transposed shape "
                              f"{g.shape} instead of {e.shape}: check which axis holds the "
                              "examples (one column per example)"))
        if g.ndim == 2 and n == 1 and m > 1 and g.shape == (m, m):
            hints.append(Hint("broadcast", f"an output of shape {g.shape} instead of "
                              f"{e.shape} usually comes from broadcasting a (1, m) array "
                              "against an (m, 1) array: check the shapes you combine"))
        if g.ndim == 2 and m == 1 and n > 1 and g.shape == (n, n):
            hints.append(Hint("broadcast", f"an output of shape {g.shape} instead of "
                              f"{e.shape} usually comes from broadcasting an (n, 1) array "
                              "against a (1, n) array: check the shapes you combine"))
        if g.ndim == 1 and g.size == e.size:
            hints.append(Hint("1-D", f"your output is 1-D {g.shape}; keep it 2-D {e.shape} "
                              "(reshape, or keepdims=True)"))
    if not hints and type(got) is ndarray and g.shape != e.shape:
        hints.extend(axes_hint(g.shape, e.shape))
    if g.shape != e.shape or not e.size or not all_finite(g) or not all_finite(e):
        return hints
    if not (abs(e) > 0).any():
        return hints
    if asarray(isclose(g, -e, 1e-6, 1e-9)).all():
        hints.append(Hint("sign", "your output has the opposite sign: check the sign of "
                          "your formula"))
        return hints
    nz = abs(e) > 1e-12
    if (abs(g[~nz]) <= 1e-12).all():
        ratio = g[nz] / e[nz]
        r0 = float(ratio.reshape(-1)[0])
        # a factor that is not a round number is only believed from two values or more
        if (r0 != 0 and float(ratio.max() - ratio.min()) <= 1e-6 * max(1.0, abs(r0))
                and not bool(isclose(r0, 1.0, 1e-6, 0.0))
                and (ratio_text(r0) is not None or int(nz.sum()) >= 2)):
            what = "every value is" if g.ndim else "your value is"
            args, axes = factor_inputs(r0, inputs or {})
            hints.append(Hint("factor", f"{what} {factor_phrase(r0)} the expected "
                              f"one{factor_end(r0, args, axes)}", ratio=r0,
                              factor_args=args, factor_axes=axes))
    return hints


def factor_inputs(ratio: float, inputs: dict[str, Any]
                  ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What n is, when the ratio is ±n or ±1/n: (int arguments, input axes).

    The int arguments equal to n (``"size"``) come first: a number passed to the function
    is more telling than an axis that happens to have that length, so the axes
    (``"x.shape[3]"``, also of the arrays in a dict input: ``"params['W'].shape[0]"``) are
    only looked for when no argument is n. More than 4 axes say nothing: none is returned.
    """
    n = whole_factor(ratio)
    if n is None:
        return (), ()
    args = tuple(name for name, v in inputs.items()
                 if (type(v) is int or isinstance(v, integer)) and v == n)
    if args:
        return args, ()
    arrays = []
    for name, v in inputs.items():
        if type(v) is ndarray:
            arrays.append((name, v))
        elif type(v) is dict:
            arrays.extend((f"{name}[{k!r}]", a) for k, a in v.items() if type(a) is ndarray)
    axes = tuple(f"{name}.shape[{i}]" for name, a in arrays
                 for i, length in enumerate(a.shape) if length == n)
    return (), axes if len(axes) <= 4 else ()


def axes_hint(got: tuple[int, ...], expected: tuple[int, ...]) -> list[Hint]:
    """Which axes of a wrong shape are off and by how much (at most one hint).

    "axes 1 and 2 have one entry too few (4 instead of 5)", "one axis too many: ...";
    nothing when the shapes are not comparable axis by axis.
    """
    if not got or not expected or got == expected:
        return []
    if len(got) == len(expected):
        if len(got) > 2 and sorted(got) == sorted(expected):
            return [Hint("axes", f"the right axis lengths in another order: {got} instead "
                     f"of {expected}; check which axis holds what (np.transpose?)")]
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                groups.setdefault((g, e), []).append(i)
        parts = []
        for (g, e), axes in groups.items():
            n = abs(g - e)
            amount = ("one entry" if n == 1 else f"{n} entries") \
                + (" too few" if g < e else " too many")
            which = (f"axis {axes[0]} has" if len(axes) == 1
                     else f"axes {and_list([str(a) for a in axes])} have")
            parts.append(f"{which} {amount} ({g} instead of {e})")
        return [Hint("axes", "; ".join(parts))]
    k = abs(len(got) - len(expected))
    more = len(got) > len(expected)
    it = "it" if k == 1 else "them"
    text = (f"{'one axis' if k == 1 else f'{k} axes'} too {'many' if more else 'few'}: "
            f"{got} instead of {expected}")
    if tuple(n for n in got if n != 1) == tuple(n for n in expected if n != 1):
        if more:
            return [Hint("axes", f"{text}, {'an extra axis' if k == 1 else 'extra axes'} "
                         f"of length 1 (drop {it} with a reshape, or leave out "
                         "keepdims=True)")]
        return [Hint("axes", f"{text}, {'a missing axis' if k == 1 else 'missing axes'} "
                     f"of length 1 (add {it} with a reshape, or keepdims=True)")]
    # the shorter shape is the end (or the start) of the longer one: those axes are right
    long, short = (got, expected) if more else (expected, got)
    ends = long[k:] == short
    starts = long[:len(short)] == short
    if not (ends or starts):
        return []
    if ends and starts:  # (3, 3, 3) and (3,): which axes are extra is not known
        return [Hint("axes", text + (" (not summed over the extra axes?)" if more
                                     else " (summed over axes that should stay?)"))]
    axes = list(range(k)) if ends else list(range(len(short), len(long)))
    which = (f"axis {axes[0]} is" if k == 1
             else f"axes {and_list([str(a) for a in axes])} are")
    if more:
        return [Hint("axes", f"{text}, {which} extra (not summed over {it}?)")]
    return [Hint("axes", f"{text}, {which} missing (summed over {it} by mistake?)")]


# ----------------------------------------------------------------------------- gradients
def gradient_mistake_hints(case: Case) -> list[Hint]:
    """The hint of every listed mistake the gradient matches (to the check's tolerance)."""
    hints = []
    for m in case.mistakes:
        try:
            if m.shape is not None:
                if _has_shape(m, case):
                    hints.append(Hint("mistake", m.hint))
                continue
            wrong = m.wrong_output(case.expected)
            if wrong is None or not is_plain(wrong) or not is_plain(case.got):
                continue
            w = asarray(wrong, dtype=float)
            g = asarray(case.got, dtype=float)
            if w.shape == g.shape and relative_error(g, w) < max(case.rtol, 1e-6):
                hints.append(Hint("mistake", m.hint))
        except Exception:  # a hint that cannot be computed is just not shown
            continue
    return hints


def gradient_hints(got: Any, expected: Any, rtol: float) -> list[Hint]:
    """Mistakes every backward pass can make: factor, sign, transpose, no batch sum."""
    if not is_plain(got) or type(got) in (tuple, list):
        return []
    g = asarray(got, dtype=float)
    e = expected
    tol = max(rtol, 1e-6)
    if not all_finite(g) or not (abs(e) > 0).any():
        return []
    if g.shape != e.shape:
        return _gradient_shape_hints(g, e, tol)
    if relative_error(g, -e) < tol:
        return [Hint("sign", "your gradient has the opposite sign: check the sign of each "
                     "local derivative (d(-x)/dx = -1; d(1 - a)/da = -1)")]
    if e.ndim == 2 and e.shape[0] == e.shape[1] and e.shape[0] > 1 \
            and relative_error(g, e.T) < tol:
        return [Hint("transposed", "your gradient is the transpose of the right one: check "
                     "the order of the factors in the product (and which one is "
                     "transposed)")]
    c = float((g * e).sum()) / float((e * e).sum())
    if c != 0 and abs(c - 1) > 1e-6 and relative_error(g, c * e) < tol:
        return [Hint("factor", f"every value of your gradient is {factor_phrase(c)} the "
                     f"right one{factor_end(c)}", ratio=c)]
    return []


def _gradient_shape_hints(g: Any, e: Any, tol: float) -> list[Hint]:
    if e.ndim == 2 and g.shape == e.shape[::-1]:
        if relative_error(g.T, e) < tol:
            return [Hint("transposed", "your gradient is the transpose of the right one "
                         f"(shape {g.shape} instead of {e.shape}): a gradient has the "
                         "shape of the variable it is taken with respect to")]
        return [Hint("transposed", f"your gradient has the transposed shape {g.shape} "
                     f"instead of {e.shape}: check the order of the factors in the product "
                     "(and which one is transposed)")]
    if g.ndim == e.ndim and all(ge == ee or ee == 1 for ge, ee in zip(g.shape, e.shape)):
        axes = tuple(i for i, (ge, ee) in enumerate(zip(g.shape, e.shape)) if ge != ee)
        summed = g.sum(axis=axes, keepdims=True)
        what = ("and summing it over the examples gives the right gradient"
                if relative_error(summed, e) < tol else "")
        return [Hint("batch", f"your gradient has shape {g.shape} instead of {e.shape}: "
                     "it was not summed over the batch (sum over axis "
                     f"{axes[0] if len(axes) == 1 else axes}, keepdims=True)"
                     + (f" -- {what}" if what else ""))]
    if g.size == e.size:
        return [Hint("shape", f"your gradient has shape {g.shape} instead of {e.shape}: it "
                     "must have the shape of the variable it is taken with respect to "
                     "(reshape, or keepdims=True)")]
    return axes_hint(g.shape, e.shape)
