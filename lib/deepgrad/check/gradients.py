"""Gradient checks: a backward pass against a centred-difference gradient.

The course's decision: students write their *own* numerical gradient as a graded
exercise in assignment 2, so the library's copy (``_numerical_gradient``) is private and
exists only inside the checking API as a verdict -- :func:`gradient` returns nothing (it
passes or raises), never the gradient.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from .capture import guarded_call, quiet
from .hints import check_mistakes
from .judge import decide
from .records import HIDDEN, Case, Mistake
from .render import describe
from .safe import EXACT_SCALARS, all_finite, asarray, is_number, is_plain, ndarray, zeros

_EPS = float(np.finfo(np.float64).eps)
#: Differences below ``_NOISE_FACTOR * eps * max|f| / h`` are rounding noise of the
#: centred difference itself (a gradient that is zero to numerical precision).
_NOISE_FACTOR = 64.0


class _FError(Exception):
    """Calling ``f`` went wrong; the message is a sentence for the student."""


class _Hidden(Exception):
    """``f`` returned ``HIDDEN``: it is (or calls) a reference implementation stripped from
    a grading kernel."""


class _GuardedF:
    """``f`` as a float-valued function, every evaluation a guarded call.

    ``f`` gets a fresh copy of the point on every call, so an ``f`` that modifies its
    input changes nothing. The warnings and stderr output of all evaluations are kept;
    an evaluation that raises or does not return a finite number raises :class:`_FError`.
    """

    def __init__(self, f: Callable):
        self.f = f
        self.warnings: list[str] = []
        self.stderr = ""

    def __call__(self, x: np.ndarray) -> float:
        call = guarded_call(self.f, (x,))
        self.warnings.extend(call.warnings)
        self.stderr += call.stderr
        # f itself is written in the test cell (possibly a hidden one): never quote it
        problem = call.problem("calling f (the function whose gradient is checked) raised "
                               "an exception", who="f", test_frames=1)
        if problem is not None:
            raise _FError(problem)
        out = call.value
        if out is HIDDEN:  # f reads a stripped reference (a grading kernel): nothing to do
            raise _Hidden()
        if not is_number(out) and not (type(out) is ndarray and out.size == 1
                                       and is_plain(out)):
            raise _FError(f"f must return a single number (a scalar such as a cost, or "
                          f"np.sum(out * dout)), but it returned {describe(out)}")
        value = float(asarray(out, dtype=float).reshape(-1)[0])
        if not math.isfinite(value):
            raise _FError(f"f returned {value} (not a finite number) near the checked "
                          "point: an overflow, a log of 0 or 0/0 in the forward pass?")
        return value


def _numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                        h: float) -> tuple[np.ndarray, float]:
    """Centred differences ``(f(x + h e_i) - f(x - h e_i)) / (2h)`` for every index i.

    Private on purpose (see the module docstring). ``f`` receives the perturbed point
    itself and must not keep or change it (:func:`gradient` passes a :class:`_GuardedF`,
    which hands the student's function a copy). Returns the gradient (shape of ``x``)
    and the largest ``|f|`` seen (for the rounding-noise floor).
    """
    grad = zeros(x.shape, dtype=np.float64)
    flat_grad = grad.reshape(-1)
    point = x.astype(np.float64, copy=True)
    flat = point.reshape(-1)
    f_max = abs(f(point))
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(point)
        flat[i] = old - h
        minus = f(point)
        flat[i] = old
        flat_grad[i] = (plus - minus) / (2.0 * h)
        f_max = max(f_max, abs(plus), abs(minus))
    return grad, f_max


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
    f : callable, ``f(x) -> float``, or ``check.HIDDEN``
        A scalar function of an array of ``x``'s shape. It receives a fresh copy of the
        perturbed point on every call, so an ``f`` that modifies its input changes
        nothing. Warnings, stderr output and exceptions raised while it runs (by the
        student's forward pass inside it) fail the check with an explanation and never
        reach stderr. ``HIDDEN`` when ``f`` is a reference implementation defined in a
        reference block that a grading kernel does not run: the check then only records
        the student's gradient, for the judge outside the kernel.
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
        Known wrong gradients; ``transform`` receives the numerical gradient, a
        ``shape`` mistake matches a gradient of that shape.
        Generic mistakes are hinted without being listed: a constant factor (a missing
        1/m), the opposite sign, a transposed gradient, a gradient not summed over the
        batch.

    Raises
    ------
    CheckFailure
        If the gradient is wrong or has the wrong shape, or calling ``f`` (or
        ``analytic``) raised, warned or printed to stderr.
    TypeError, ValueError
        For a mistake in the test itself (name, f, x, h, rtol or mistakes), naming the
        argument.
    """
    if type(name) is not str or not name:
        raise ValueError(f"name must be a non-empty str (what is checked), got {name!r}")
    if not callable(f):
        raise TypeError(f"f must be a function f(x) -> float, got {describe(f)}")
    if type(x) is not ndarray or x.dtype.kind not in "biuf":
        raise ValueError(f"x must be a numpy array of real numbers, got {describe(x)}")
    if x.size == 0:
        raise ValueError(f"x must have at least one entry, got shape {x.shape}")
    x = x.astype(np.float64, copy=True)
    if not all_finite(x):
        raise ValueError("x must hold finite numbers (no nan or inf)")
    for arg, val in (("h", h), ("rtol", rtol)):
        if type(val) not in EXACT_SCALARS or type(val) in (bool, np.bool_) \
                or not 0.0 < float(val) < math.inf:
            raise ValueError(f"{arg} must be a positive finite number, got {val!r}")
    check_mistakes(mistakes, x)  # a shape mistake must differ from x's shape
    case = Case(function=name, inputs={"x": x.copy()}, expected=None, got=analytic,
                kind="gradient", rtol=float(rtol), atol=0.0, mistakes=tuple(mistakes),
                call=False)
    if callable(analytic):
        call = guarded_call(analytic)
        case.got = call.value
        case.warnings = call.warnings
        case.stderr = call.stderr
        # the callable is a lambda in the test cell: only the student's frames are shown
        case.raised = call.problem("computing your gradient raised an exception",
                                   test_frames=1)
    if f is HIDDEN:
        # a grading kernel, with the reference block that defines f stripped: the judge
        # outside takes the numerical gradient from the solution's run
        case.expected = HIDDEN
    elif case.raised is None:
        guarded_f = _GuardedF(f)
        try:
            with quiet():  # the differences themselves never warn (f's warnings are kept)
                numerical, f_max = _numerical_gradient(guarded_f, x, float(h))
            case.expected = numerical
            case.atol = _NOISE_FACTOR * _EPS * f_max / float(h)
        except _FError as exc:
            case.raised = str(exc)
        except _Hidden:  # f calls a stripped reference: the same as f is HIDDEN
            case.expected = HIDDEN
        case.warnings += guarded_f.warnings
        case.stderr += guarded_f.stderr
    decide(case)
