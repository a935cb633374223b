"""Argument validation for every public function of deepgrad: one rule, one set of messages.

The rule
--------
- **TypeError** when an argument has the wrong *type*: a list where an array is
  expected, a str where a number is, a float where an int is, a bool where a number is,
  an object that is not the expected class.
- **ValueError** when the type is right but the *value* is wrong: out of range, not
  finite, an array of the wrong shape or the wrong dtype, not C-contiguous, empty.

Every message names the argument and says what was expected, with the shape text the
caller passes (``"x must have shape (m, h, w, c) (4-D), got shape (7, 7, 3)"``), so a
student reading it in a notebook knows what to change.

Each function returns the validated value (an ``int`` for :func:`integer`, a ``float``
for :func:`number`, the array itself for :func:`array`), so a call site reads::

    stride = validation.integer("stride", stride, low=1)
    x = validation.array("x", x, ndim=4, shape_text="(m, h, w, c)",
                         dtypes=(np.float32, np.float64), contiguous=True)

Checks that relate several arguments (the channels of ``w`` must match those of ``x``)
stay at the call site, which knows how to explain them.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = ["integer", "number", "boolean", "one_of", "instance", "array", "same_dtype",
           "shape_tuple"]

# Bounds included by each value of ``inclusive`` (as in pandas' ``Series.between``).
_INCLUSIVE = {"both": (True, True), "left": (True, False), "right": (False, True),
              "neither": (False, False)}
# Names of numpy dtype kinds, for messages.
_KIND_NAMES = {"b": "bool", "i": "int", "u": "unsigned int", "f": "float", "c": "complex",
               "m": "timedelta", "M": "datetime", "O": "object", "S": "bytes",
               "U": "str", "V": "void"}


# ----------------------------------------------------------------------------- text
def _got(value: Any) -> str:
    """``'0.1' (str)``: the value, shortened, and its type (for TypeError messages)."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _bound_text(bound: float) -> str:
    """``1000000`` for an int bound, ``1e+06`` / ``0.5`` for a float one."""
    return str(bound) if isinstance(bound, (int, np.integer)) else f"{bound:g}"


def _range_text(low: float | None, high: float | None, inclusive: str) -> str:
    """``' in (0, 1]'``, ``' >= 0'``, ``' < 1'`` or ``''``."""
    low_in, high_in = _INCLUSIVE[inclusive]
    if low is not None and high is not None:
        return (f" in {'[' if low_in else '('}{_bound_text(low)}, "
                f"{_bound_text(high)}{']' if high_in else ')'}")
    if low is not None:
        return f" {'>=' if low_in else '>'} {_bound_text(low)}"
    if high is not None:
        return f" {'<=' if high_in else '<'} {_bound_text(high)}"
    return ""


def _in_range(v: float, low: float | None, high: float | None, inclusive: str) -> bool:
    low_in, high_in = _INCLUSIVE[inclusive]
    above = low is None or (v >= low if low_in else v > low)
    below = high is None or (v <= high if high_in else v < high)
    return above and below


def _or_list(words: Sequence[str]) -> str:
    """``'a'``, ``'a or b'``, ``'a, b or c'``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _shape_text(ndim: int | None, shape: Sequence[int | None] | None) -> str:
    """A shape text for callers that give none: ``(2, *)`` (``*`` is any length)."""
    if shape is not None:
        axes = ["*" if s is None else str(s) for s in shape]
    elif ndim is not None:
        axes = ["*"] * ndim
    else:
        return "of any shape"
    return f"({', '.join(axes)}{',' if len(axes) == 1 else ''})"


# ----------------------------------------------------------------------------- scalars
def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None,
            what: str | None = None) -> int:
    """Check that ``value`` is an int (not a bool) in ``[low, high]``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        Python ``int`` or numpy integer (anything with ``__index__`` except a bool).
    low, high : int, optional
        Inclusive bounds; ``None`` for no bound.
    what : str, optional
        What the argument means, added to the message (``"the number of examples"``).

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer (a float, even ``2.0``, a bool, a str...).
    ValueError
        If it is out of range.

    Examples
    --------
    >>> integer("stride", 2, low=1)
    2
    >>> integer("stride", 0, low=1)
    Traceback (most recent call last):
    ...
    ValueError: stride must be an int >= 1, got 0
    """
    expected = f"{name} must be an int{_range_text(low, high, 'both')}" + (
        f" ({what})" if what else "")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{expected}, got {_got(value)}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{expected}, got {_got(value)}") from None
    if not _in_range(v, low, high, "both"):
        raise ValueError(f"{expected}, got {v}")
    return int(v)


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
           inclusive: str = "both", what: str | None = None) -> float:
    """Check that ``value`` is a finite real number (not a bool) between ``low`` and ``high``.

    Parameters
    ----------
    name : str
        The argument's name, used in the message.
    value : object
        Python ``int`` or ``float``, or a numpy integer or floating scalar.
    low, high : float, optional
        Bounds; ``None`` for no bound.
    inclusive : {'both', 'left', 'right', 'neither'}
        Which bounds are allowed values (``'left'``: ``low <= value < high``).
    what : str, optional
        What the argument means, added to the message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (a str, a bool, None, an array...).
    ValueError
        If it is nan, infinite or out of range.

    Examples
    --------
    >>> number("beta", 0.9, low=0, high=1, inclusive="left")
    0.9
    >>> number("beta", 1.0, low=0, high=1, inclusive="left")
    Traceback (most recent call last):
    ...
    ValueError: beta must be a real number in [0, 1), got 1.0
    """
    if inclusive not in _INCLUSIVE:
        raise ValueError(f"inclusive must be one of {list(_INCLUSIVE)}, got {inclusive!r}")
    bounded = low is not None and high is not None
    expected = (f"{name} must be a {'' if bounded else 'finite '}real number"
                f"{_range_text(low, high, inclusive)}" + (f" ({what})" if what else ""))
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{expected}, got {_got(value)}")
    v = float(value)
    if not math.isfinite(v) or not _in_range(v, low, high, inclusive):
        raise ValueError(f"{expected}, got {value!r}")
    return v


def boolean(name: str, value: Any) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (a numpy bool too).

    Raises
    ------
    TypeError
        For anything else (``1``, ``"yes"``, ``None``). A bool has no wrong value, so
        this function never raises ValueError.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_got(value)}")
    return bool(value)


def one_of(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Check that ``value`` is one of ``choices`` (e.g. the keys of a dict).

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` has none of the choices' types (a number where a name is expected).
    ValueError
        If it has the right type but is not a choice.
    """
    options = list(choices)
    try:
        shown = sorted(options)
    except TypeError:  # choices of mixed types: keep their order
        shown = options
    expected = f"{name} must be one of {shown}"
    if not isinstance(value, tuple({type(c) for c in options})):
        raise TypeError(f"{expected}, got {_got(value)}")
    if value not in options:
        raise ValueError(f"{expected}, got {value!r}")
    return value


def instance(name: str, value: Any, types: type | tuple[type, ...], *,
             what: str | None = None) -> Any:
    """Check that ``value`` is an instance of ``types``.

    Parameters
    ----------
    name : str
    value : object
    types : type or tuple of types
        As for :func:`isinstance` (``collections.abc.Callable`` for a function).
    what : str, optional
        How to describe the expected value (``"the ConvCache returned by conv_forward"``);
        by default the class names.

    Returns
    -------
    object
        ``value``.

    Raises
    ------
    TypeError
        If ``value`` is not an instance. (No ValueError: a wrong value of the right
        class is for the caller to judge.)
    """
    if what is None:
        classes = types if isinstance(types, tuple) else (types,)
        what = "a " + _or_list([c.__name__ for c in classes])
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def shape_tuple(name: str, value: Any, *, ndim: int, shape_text: str) -> tuple[int, ...]:
    """Check that ``value`` is a tuple (or list) of ``ndim`` ints >= 1, an array shape.

    Parameters
    ----------
    name : str
    value : object
    ndim : int
        The number of entries.
    shape_text : str
        What the entries are, e.g. ``"(m, h, w, c)"``.

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError
        If ``value`` is not a tuple or list, or an entry is not an int.
    ValueError
        If it has the wrong number of entries, or an entry is below 1.
    """
    expected = f"{name} must be a tuple of {ndim} ints {shape_text}"
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{expected}, got {_got(value)}")
    if len(value) != ndim:
        raise ValueError(f"{expected}, got {tuple(value)!r} ({len(value)} entries)")
    return tuple(integer(f"{name}[{i}]", s, low=1) for i, s in enumerate(value))


# ----------------------------------------------------------------------------- arrays
def array(name: str, value: Any, *, shape_text: str | None = None, ndim: int | None = None,
          shape: Sequence[int | None] | None = None, dtypes: Sequence[Any] | None = None,
          dtype_kinds: str | None = None, finite: bool = False, contiguous: bool = False,
          nonempty: bool = True) -> np.ndarray:
    """Check that ``value`` is a numpy array with the given shape, dtype and layout.

    Parameters
    ----------
    name : str
        The argument's name, used in every message.
    value : object
        Must be an ``ndarray`` (convert array-likes with ``np.asarray`` first where
        they are welcome).
    shape_text : str, optional
        The expected shape in the course's letters, e.g. ``"(m, h, w, c)"``; shown in
        every message. By default built from ``shape`` / ``ndim`` (``*`` for any length).
    ndim : int, optional
        Number of axes (implied by ``shape``).
    shape : sequence of int or None, optional
        Required length of each axis, ``None`` for any length: ``(2, None)``.
    dtypes : sequence of dtype-like, optional
        The allowed dtypes, e.g. ``(np.float32, np.float64)``.
    dtype_kinds : str, optional
        The allowed dtype kinds (``np.dtype.kind``), e.g. ``"biuf"`` for real numbers.
    finite : bool
        Require every entry to be finite (no nan or inf).
    contiguous : bool
        Require C-contiguous memory (what a Numba kernel indexing raw memory needs).
    nonempty : bool
        Require every axis to have length >= 1.

    Returns
    -------
    ndarray
        ``value`` itself (never a copy).

    Raises
    ------
    TypeError
        If ``value`` is not a numpy array (a list, a scalar, None...).
    ValueError
        For the wrong number of axes, shape, dtype or layout, an empty axis, or a
        non-finite entry.

    Examples
    --------
    >>> array("points", np.zeros((3, 5)), shape=(2, None), shape_text="(2, m)")
    Traceback (most recent call last):
    ...
    ValueError: points must have shape (2, m), got shape (3, 5)
    """
    if shape is not None:
        ndim = len(shape)
    text = shape_text if shape_text is not None else _shape_text(ndim, shape)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array of shape {text}, "
                        f"got {type(value).__name__}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must have shape {text} ({ndim}-D), "
                         f"got shape {value.shape}")
    if shape is not None and any(s is not None and s != v
                                 for s, v in zip(shape, value.shape)):
        raise ValueError(f"{name} must have shape {text}, got shape {value.shape}")
    if nonempty and 0 in value.shape:
        raise ValueError(f"{name} must have shape {text} with no zero-length axis, "
                         f"got {value.shape}")
    if dtypes is not None:
        allowed = [np.dtype(d) for d in dtypes]
        if value.dtype not in allowed:
            raise ValueError(f"{name} {text} must have dtype "
                             f"{_or_list([str(d) for d in allowed])}, got {value.dtype}")
    if dtype_kinds is not None and value.dtype.kind not in dtype_kinds:
        kinds = _or_list([_KIND_NAMES.get(k, k) for k in dtype_kinds])
        raise ValueError(f"{name} {text} must have a {kinds} dtype, got {value.dtype}")
    if contiguous and not value.flags.c_contiguous:
        raise ValueError(f"{name} {text} must be C-contiguous "
                         f"(use np.ascontiguousarray({name}))")
    if finite and value.dtype.kind in "fc" and not np.isfinite(value).all():
        raise ValueError(f"{name} {text} must contain only finite values (no nan or inf)")
    return value


def same_dtype(first: tuple[str, np.ndarray], *others: tuple[str, np.ndarray]) -> None:
    """Check that named arrays share the first one's dtype: ``same_dtype(("x", x), ("w", w))``.

    Raises
    ------
    TypeError
        If one of them is not a numpy array.
    ValueError
        If a dtype differs from the first array's.
    """
    name0, a0 = first
    instance(name0, a0, np.ndarray, what="a numpy array")
    for name, a in others:
        instance(name, a, np.ndarray, what="a numpy array")
        if a.dtype != a0.dtype:
            raise ValueError(f"{name} must have the same dtype as {name0} ({a0.dtype}), "
                             f"got {a.dtype}")
