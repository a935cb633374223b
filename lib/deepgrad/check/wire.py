"""The wire format of a check's values: JSON trees a grader can read without trusting them.

A grading kernel sends what a student's function returned to the judge in the grading
process (:mod:`deepgrad.check.recording`). The judge must never run the kernel's code, so
values travel as plain JSON: :func:`encode` turns arrays, numbers, strings and containers
of them into a tree; :func:`decode` gives them back as objects of exactly those types
(no pickle, nothing imported or called). Anything else -- a subclass with its own
``__eq__``, a lying object, a function -- travels as :class:`Opaque`, its type name only,
and can never compare equal to an expected value.

:func:`digest` is a fingerprint of a check's inputs: the judge compares it with the one
the solution's run produced, to know the kernel called the function on the grader's
inputs.

Types are matched exactly (``type(x) is float``), as in :mod:`deepgrad.check.safe`.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from dataclasses import dataclass
from typing import Any

from .safe import NUMPY_SCALARS, ndarray

import numpy as np

__all__ = ["Opaque", "encode", "decode", "digest", "WireError"]

_frombuffer = np.frombuffer
_dtype = np.dtype
#: Array kinds that travel (bool, ints, floats, complex, text); never objects.
_KINDS = "biufcU"
_MAX_DEPTH = 32


class WireError(ValueError):
    """A tree that is not in the wire format (forged or corrupted)."""


@dataclass(frozen=True)
class Opaque:
    """A value that cannot travel: only its type's name does. Never equal to anything
    a check expects (comparators match types exactly)."""

    type_name: str

    def __repr__(self) -> str:
        return f"<an object of type {self.type_name}>"


def _type_name(x: Any) -> str:
    t = type(x)
    return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', '?')}"


def _float(x: float) -> Any:
    return x if math.isfinite(x) else {"float": repr(x)}


def encode(x: Any, _depth: int = 0) -> Any:
    """``x`` as a JSON-serialisable tree (see the module docstring)."""
    t = type(x)
    if _depth > _MAX_DEPTH:
        return {"opaque": "a structure nested too deeply"}
    if x is None or t in (bool, int, str):
        return x if t is not int or abs(x) < 2 ** 53 else {"int": str(x)}
    if t is float:
        return _float(x)
    if t is ndarray:
        if x.dtype.kind not in _KINDS or x.dtype.hasobject:
            return {"opaque": f"numpy.ndarray of dtype {x.dtype}"}
        c = np.ascontiguousarray(x)
        return {"nd": [x.dtype.str, list(x.shape),
                       base64.b64encode(c.tobytes()).decode("ascii")]}
    if t in NUMPY_SCALARS:
        return {"np": [x.dtype.str, base64.b64encode(x.tobytes()).decode("ascii")]}
    if t is tuple:
        return {"tuple": [encode(v, _depth + 1) for v in x]}
    if t is list:
        return [encode(v, _depth + 1) for v in x]
    if t is dict:
        return {"dict": [[encode(k, _depth + 1), encode(v, _depth + 1)]
                         for k, v in x.items()]}
    return {"opaque": _type_name(x)}


def decode(tree: Any, _depth: int = 0) -> Any:
    """The value :func:`encode` made ``tree`` from; raises :class:`WireError` when
    ``tree`` is not in the wire format."""
    if _depth > _MAX_DEPTH + 1:
        raise WireError("nested too deeply")
    t = type(tree)
    if tree is None or t in (bool, int, float, str):
        return tree
    if t is list:
        return [decode(v, _depth + 1) for v in tree]
    if t is not dict or len(tree) != 1:
        raise WireError(f"not a wire value: {t.__name__}")
    (tag, body), = tree.items()
    try:
        if tag == "float":
            return float(body) if body in ("nan", "inf", "-inf") else _bad(tag)
        if tag == "int":
            return int(body)
        if tag == "nd":
            dtype, shape, data = body
            dt = _dtype(dtype)
            if dt.kind not in _KINDS or dt.hasobject:
                return _bad(tag)
            shape = tuple(int(n) for n in shape)
            raw = base64.b64decode(data, validate=True)
            if len(raw) != dt.itemsize * math.prod(shape):
                return _bad(tag)
            return _frombuffer(raw, dtype=dt).reshape(shape).copy()
        if tag == "np":
            dtype, data = body
            dt = _dtype(dtype)
            if dt.kind not in "biufc":
                return _bad(tag)
            raw = base64.b64decode(data, validate=True)
            if len(raw) != dt.itemsize:
                return _bad(tag)
            return _frombuffer(raw, dtype=dt)[0]
        if tag == "tuple":
            return tuple(decode(v, _depth + 1) for v in body)
        if tag == "dict":
            out = {}
            for k, v in body:
                key = decode(k, _depth + 1)
                if type(key) not in (str, int, bool, float, tuple) or key is None:
                    return _bad(tag)
                out[key] = decode(v, _depth + 1)
            return out
        if tag == "opaque":
            return Opaque(str(body)[:200])
    except WireError:
        raise
    except Exception as exc:  # malformed body: a forged or corrupted record
        raise WireError(f"malformed {tag!r} value ({type(exc).__name__})") from None
    raise WireError(f"unknown tag {tag!r}")


def _bad(tag: str):
    raise WireError(f"malformed {tag!r} value")


def digest(x: Any) -> str:
    """A fingerprint of ``x`` (a check's inputs): equal values of equal types give equal
    digests; arrays by dtype, shape and bytes; functions by their qualified name;
    other objects by their type's name."""
    h = hashlib.sha256()
    _feed(h, x, 0)
    return h.hexdigest()[:32]


def _feed(h, x: Any, depth: int) -> None:
    t = type(x)
    if depth > _MAX_DEPTH:
        h.update(b"<deep>")
    elif x is None or t in (bool, int, str):
        h.update(f"{t.__name__}:{x!r};".encode())
    elif t is float:
        h.update(b"f" + struct.pack("<d", x))
    elif t is ndarray and not x.dtype.hasobject:
        h.update(f"nd:{x.dtype.str}:{x.shape};".encode())
        h.update(np.ascontiguousarray(x).tobytes())
    elif t in NUMPY_SCALARS:
        h.update(f"np:{x.dtype.str};".encode() + x.tobytes())
    elif t in (tuple, list):
        h.update(f"{t.__name__}[{len(x)}".encode())
        for v in x:
            _feed(h, v, depth + 1)
        h.update(b"]")
    elif t is dict:
        h.update(f"dict[{len(x)}".encode())
        for k in sorted(x, key=repr):
            _feed(h, k, depth + 1)
            _feed(h, x[k], depth + 1)
        h.update(b"]")
    elif callable(x) and hasattr(x, "__qualname__"):
        h.update(f"fn:{getattr(x, '__qualname__', '?')};".encode())
    else:
        h.update(f"obj:{_type_name(x)};".encode())
