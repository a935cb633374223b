"""Tamper-resistant primitives: the numpy the judge uses, captured when the package loads.

A student who monkeypatches ``np.allclose`` / ``np.isclose`` / ``np.asarray`` in their
notebook does not change how the judge compares. The comparisons are written with array
operators (which numpy binds in C, not through the ``np`` namespace), so even a patch
made *before* this package was imported does not reach them. Types are matched exactly:
an object with its own ``__eq__`` (an ndarray or float subclass, anything else) is never
"plain", so it can never pass.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

asarray = np.asarray
ndarray = np.ndarray
integer = np.integer
array2string = np.array2string
errstate = np.errstate
zeros = np.zeros
unravel_index = np.unravel_index
deepcopy = copy.deepcopy

#: The scalar types a graded function may return, matched by exact type (a subclass can
#: override ``__eq__`` or ``__float__``).
NUMPY_SCALARS = frozenset(
    t for t in set(np.sctypeDict.values())
    if issubclass(t, (np.bool_, np.integer, np.floating)))
EXACT_SCALARS = frozenset({bool, int, float}) | NUMPY_SCALARS
#: The smallest positive normal float64 (a relative error never divides by zero).
TINY = float(np.finfo(np.float64).tiny)


def is_plain(x: Any, _depth: int = 0) -> bool:
    """True for the types a graded function may return: arrays, numbers, tuples of them.

    Types are matched exactly: an ndarray subclass, a float subclass or any object with
    its own ``__eq__`` is never plain, so it can never pass.
    """
    t = type(x)
    if t is ndarray:
        return x.dtype.kind in "biuf"
    if t in (tuple, list):
        return _depth < 16 and all(is_plain(v, _depth + 1) for v in x)
    return t in EXACT_SCALARS


def is_number(x: Any) -> bool:
    """A plain number, or a plain 0-d array."""
    return type(x) in EXACT_SCALARS or (type(x) is ndarray and x.ndim == 0
                                        and is_plain(x))


def isclose(a: Any, b: Any, rtol: float, atol: float) -> Any:
    """``numpy.isclose(a, b, rtol, atol, equal_nan=True)``, written with array operators.

    Operators dispatch to ufuncs bound in C, so monkeypatching ``np.isclose``,
    ``np.allclose`` or ``np.abs`` (before or after import) cannot change the result.
    """
    a = asarray(a, dtype=float)
    b = asarray(b, dtype=float)
    with errstate(all="ignore"):
        return (abs(a - b) <= atol + rtol * abs(b)) | (a == b) | ((a != a) & (b != b))


def all_finite(a: Any) -> bool:
    a = asarray(a, dtype=float)
    with errstate(all="ignore"):
        return bool(((a == a) & (abs(a) != math.inf)).all())


def close(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Whether ``got`` would pass against ``expected`` (used to match known mistakes)."""
    t = type(expected)
    if t is dict:
        return (type(got) is dict and list(got) == list(expected)
                and all(close(got[k], expected[k], rtol, atol) for k in expected))
    if t in (tuple, list):
        return (type(got) in (tuple, list) and len(got) == len(expected)
                and all(close(g, e, rtol, atol) for g, e in zip(got, expected)))
    if expected is None or not is_plain(got) or type(got) in (tuple, list):
        return False
    e = asarray(expected)
    if e.ndim == 0:
        if not is_number(got):
            return False
    elif type(got) is not ndarray or got.shape != e.shape:
        return False
    return bool(asarray(isclose(got, e, rtol, atol)).all())


def relative_error(a: Any, n: Any) -> float:
    """``max|a - n| / max(max(|a| + |n|), tiny)``: 0 for equal, 1 for unrelated."""
    with errstate(all="ignore"):
        return float(abs(a - n).max() / max(float((abs(a) + abs(n)).max()), TINY))


def same(a: Any, b: Any, _depth: int = 0) -> bool:
    """Whether an input still equals its copy taken before the call (nan equals nan)."""
    if _depth > 16 or a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            with errstate(all="ignore"):
                eq = a == b
                if a.dtype.kind in "fc":
                    eq = eq | ((a != a) & (b != b))
                return bool(asarray(eq).all())
        except Exception:
            return True
    if type(a) is dict:
        return (list(a) == list(b)
                and all(same(a[k], b[k], _depth + 1) for k in a))
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same(x, y, _depth + 1) for x, y in zip(a, b))
    if type(a) is float:
        return a == b or (a != a and b != b)
    try:
        return bool(a == b)
    except Exception:
        return True
