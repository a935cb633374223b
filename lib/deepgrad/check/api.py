"""The checks a test cell calls: returns, value, at_least, raises.

Each one only collects a :class:`~deepgrad.check.records.Case` (running the student's
function through the guarded call) and hands it to :func:`~deepgrad.check.judge.decide`.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from .capture import guarded_call
from .hints import check_mistakes
from .judge import decide
from .records import Case, Mistake
from .render import describe


def _check_args(args: Any, kwargs: Any) -> None:
    """A mistake in the test cell itself (not the student's): say so at once."""
    if type(args) not in (tuple, list):
        raise TypeError(f"args must be a tuple of inputs, e.g. args=(z,) (note the comma); "
                        f"got {describe(args)}")
    if kwargs is not None and type(kwargs) is not dict:
        raise TypeError(f"kwargs must be a dict, got {describe(kwargs)}")


def _not_callable(label: str, fn: Any) -> str:
    return (f"{label} is not a function (it is {describe(fn)}): did the cell that "
            "defines it run without an error?")


def returns(fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
            expected: Any, outputs: Sequence[str] | None = None,
            mistakes: Sequence[Mistake] = (), rtol: float = 1e-6, atol: float = 1e-8,
            name: str | None = None, consistency: bool = False) -> None:
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
        Known wrong answers (a value, a transform of ``expected``, or a shape); the hint
        of each one the output matches is shown.
    rtol, atol : float
        Tolerances of the value comparison (the rule of ``numpy.isclose``).
    name : str, optional
        How to call the function in the message (default: its ``__name__``).
    consistency : bool
        Say True when ``expected`` (or a listed mistake) is computed from the student's
        own work -- their functions, their trained parameters, their hyperparameters --
        rather than being a fixed truth the solution also produces. While grading, the
        judge outside the kernel compares with the solution's expected output unless the
        check says it is a consistency check.

    Raises
    ------
    CheckFailure
        If the output is wrong, an exception was raised, a warning was emitted, something
        was printed to stderr or an input was modified in place.
    TypeError, ValueError
        For a mistake in the test cell itself (args, kwargs or mistakes).
    """
    _check_args(args, kwargs)
    check_mistakes(mistakes, expected, outputs)
    label = name or getattr(fn, "__name__", None) or "the function"
    case = Case(function=label, inputs={}, expected=expected, outputs=outputs,
                rtol=rtol, atol=atol, mistakes=tuple(mistakes),
                consistency=_flag("consistency", consistency))
    if not callable(fn):
        case.raised = _not_callable(label, fn)
    else:
        call = guarded_call(fn, args, kwargs)
        case.inputs = call.inputs
        case.got = call.value
        case.raised = call.problem()
        case.warnings = call.warnings
        case.stderr = call.stderr
        case.modified_inputs = call.modified_inputs
    decide(case)


def value(name: str, got: Any, expected: Any, *, rtol: float = 1e-6, atol: float = 1e-8,
          mistakes: Sequence[Mistake] = (), consistency: bool = False) -> None:
    """Check a value the student computed (a variable, not a call) against ``expected``.

    ``consistency=True`` when ``expected`` comes from the student's own work (the accuracy
    of *their* trained model), as in :func:`returns`.
    """
    check_mistakes(mistakes, expected)
    decide(Case(function=name, inputs={}, got=got, expected=expected, rtol=rtol,
                atol=atol, mistakes=tuple(mistakes), call=False,
                consistency=_flag("consistency", consistency)))


def _flag(name: str, x: Any) -> bool:
    if type(x) is not bool:
        raise TypeError(f"{name} must be True or False, got {describe(x)}")
    return x


def at_least(name: str, got: Any, floor: float, *, hint: str | None = None) -> None:
    """Check that the number ``got`` (e.g. a test accuracy) is at least ``floor``."""
    # shown whenever the number is too low (see compare.at_least)
    mistakes = (Mistake(hint, value=floor),) if hint else ()
    decide(Case(function=name, inputs={}, got=got, expected=floor, kind="at_least",
                mistakes=mistakes, call=False))


def _exc_name(exception: Any) -> str:
    if type(exception) is tuple:
        return " or ".join(_exc_name(e) for e in exception)
    return getattr(exception, "__name__", str(exception))


def raises(fn: Callable, args: tuple = (), kwargs: dict | None = None, *,
           exception: type[BaseException], name: str | None = None) -> None:
    """Check that ``fn(*args, **kwargs)`` raises ``exception`` (e.g. on bad input).

    Warnings and stderr output of the call are not judged here (only what it raised).
    """
    _check_args(args, kwargs)
    label = name or getattr(fn, "__name__", None) or "the function"
    case = Case(function=label, inputs={}, expected=None, kind="raises")
    if not callable(fn):
        case.raised = _not_callable(label, fn)
        decide(case)
        return
    call = guarded_call(fn, args, kwargs)
    case.inputs = call.inputs
    if call.error is not None and isinstance(call.error, exception):
        decide(case)  # it passes; a recording judge still records that it ran
        return
    want = _exc_name(exception)
    if call.error is None:
        case.raised = (f"it should raise {want} for these inputs, but it returned "
                       "without an error")
    else:
        case.raised = call.problem(f"it should raise {want} for these inputs, but it "
                                   f"raised {type(call.error).__name__} instead")
    decide(case)
