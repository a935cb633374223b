"""The guarded call: run the student's code the way a graded cell would, but keep it quiet.

:func:`guarded_call` is the one place where a check runs student code. It passes deep
copies of the inputs, records every warning (``simplefilter("always")``, with numpy's
default error handling, so an overflow is seen), redirects ``sys.stderr``, and turns an
exception (``SystemExit`` and ``NotImplementedError`` included) into a sentence for the
student instead of letting it escape. nbgrader scores a cell that writes to stderr 0,
so nothing a check runs may reach stderr: :func:`quiet` keeps the checks' own work
silent too.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .records import ForbiddenCall
from .safe import deepcopy, errstate, same

#: numpy's default error handling: what would reach stderr in a notebook. Underflow is
#: ignored by default (exp(-1000) == 0.0 is the right answer, not a problem).
NUMPY_DEFAULT_ERRSTATE = dict(divide="warn", over="warn", invalid="warn", under="ignore")
#: Frames in this folder are the checks' own, never shown to the student.
_PACKAGE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Call:
    """What one guarded call of ``fn`` did."""

    fn: Callable
    before: tuple[tuple, dict]  # copies of (args, kwargs) taken before the call
    after: tuple[tuple, dict]  # the (args, kwargs) the function received, after the call
    value: Any = None  # what it returned
    error: BaseException | None = None  # what it raised instead
    warnings: list[str] = field(default_factory=list)
    stderr: str = ""  # what it printed to sys.stderr

    @property
    def inputs(self) -> dict[str, Any]:
        """The inputs by parameter name, as they were before the call."""
        return bind(self.fn, *self.before)

    @property
    def modified_inputs(self) -> list[str]:
        """The names of the inputs the function changed in place."""
        after = bind(self.fn, *self.after)
        return [k for k, v in self.inputs.items() if k in after and not same(v, after[k])]

    def problem(self, failed: str = "it raised an exception", *, who: str = "it",
                test_frames: int = 0) -> str | None:
        """The exception in a sentence for the student; None when the call returned.

        ``failed`` opens the sentence; ``who`` names the caller of a helper that is
        not written yet ("f calls sigmoid, which is not written yet"); the
        ``test_frames`` outermost frames of the student's traceback are test code (a
        lambda in the test cell) and are never shown, so a hidden test cannot leak
        through the message.
        """
        if self.error is None:
            return None
        if isinstance(self.error, NotImplementedError):
            return _not_written(self.error, self.fn, who)
        if isinstance(self.error, ForbiddenCall):
            return (f"{who} calls {self.error.called}, which this exercise does not allow: "
                    f"{self.error}")
        return f"{failed}:\n    " + _student_frames(self.error, test_frames)


def guarded_call(fn: Callable, args: tuple = (), kwargs: dict | None = None) -> Call:
    """Call ``fn(*args, **kwargs)`` on deep copies, capturing everything it does.

    Warnings, stderr output and exceptions (except ``KeyboardInterrupt``) are recorded
    in the returned :class:`Call`, never passed on.
    """
    kwargs = kwargs or {}
    before = deepcopy((args, kwargs))
    call_args, call_kwargs = deepcopy((args, kwargs))
    call = Call(fn=fn, before=before, after=(call_args, call_kwargs))
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, \
            errstate(**NUMPY_DEFAULT_ERRSTATE), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        try:
            call.value = fn(*call_args, **call_kwargs)
        except (Exception, SystemExit) as exc:  # report the student's error, not ours
            call.error = exc
    call.warnings = [_warning_text(w, fn) for w in caught]
    call.stderr = err.getvalue()
    return call


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Nothing the checks themselves do (judge, report, arithmetic) may reach stderr."""
    with warnings.catch_warnings(), errstate(all="ignore"), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def bind(fn: Callable, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The arguments by parameter name (``arg0``, ``arg1``... when that fails)."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
        return dict(bound.arguments)
    except (TypeError, ValueError):
        named = {f"arg{i}": a for i, a in enumerate(args)}
        named.update(kwargs)
        return named


def _student_frames(exc: BaseException, test_frames: int) -> str:
    """The exception with only the frames inside the student's code.

    The frames of this package come first (the call is made here) and are dropped, then
    ``test_frames`` frames of test code.
    """
    tb = exc.__traceback__
    while tb is not None and os.path.dirname(tb.tb_frame.f_code.co_filename) == _PACKAGE:
        tb = tb.tb_next
    for _ in range(test_frames):
        tb = tb.tb_next if tb is not None else None
    if tb is None:
        text = "".join(traceback.format_exception_only(type(exc), exc))
    else:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    return text.rstrip().replace("\n", "\n    ")


def _not_written(exc: NotImplementedError, fn: Callable, who: str) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].name if len(frames) > 1 else None
    if where is not None and where != getattr(fn, "__name__", None):
        return (f"{who} calls {where}, which is not written yet: replace the "
                "`raise NotImplementedError()` in it with your code")
    return "it is not written yet: replace `raise NotImplementedError()` with your code"


def _warning_text(w: warnings.WarningMessage, fn: Callable) -> str:
    text = f"{w.category.__name__}: {w.message}"
    code = getattr(fn, "__code__", None)
    if code is not None and w.filename == code.co_filename:
        text += f" (line {w.lineno})"
    return text
