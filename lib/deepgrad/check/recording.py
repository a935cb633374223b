"""The recording judge: while grading, a check records what it saw and decides nothing.

nbgrader runs the hidden checks inside the student's kernel, where the student's code can
patch anything. So while grading, the kernel does not judge: every check hands its
:class:`~deepgrad.check.records.Case` to a :class:`RecordingJudge`, which sends a record
of it out of the kernel (a display output of MIME type :data:`MIME` in the test cell) and
lets the check pass. The grading process reads the records and decides
(:mod:`deepgrad_instructor.judging`), comparing with what the *solution* produced on the
same inputs; a record is a claim, never a verdict.

Two modes, chosen by the environment variable :data:`ENV` when the package is imported:

``"got"`` (a student's kernel while grading)
    The record holds what the student's code did: its output, what it raised, warned or
    printed to stderr, which inputs it modified, and a :func:`~deepgrad.check.wire.digest`
    of the inputs. Nothing the test cell computed as "expected" leaves the kernel, and the
    judge never reads it -- except for a *consistency* check (``consistency=True``: the
    expected value is the student's own work, e.g. the accuracy of their trained model),
    whose expected value and mistakes come along.
``"spec"`` (the solution's kernel, on the instructor's side)
    The same, plus the whole check: expected value, tolerances, inputs, and each listed
    mistake resolved to its wrong output. These records are the judge's expectations.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from . import wire
from .records import HIDDEN, Case, Verdict

__all__ = ["ENV", "MIME", "MODES", "RecordingJudge", "from_environment"]

#: The environment variable that turns recording on, and its values.
ENV = "DEEPGRAD_CHECK_RECORD"
MODES = ("got", "spec")
#: The MIME type of a record in a cell's outputs.
MIME = "application/vnd.deepgrad.check+json"
#: The record format's version.
VERSION = 1
#: Inputs larger than this (bytes of one array) travel as their dtype and shape only.
_BIG = 1 << 20


def _publish(record: dict) -> None:
    from IPython.display import publish_display_data
    publish_display_data({MIME: record}, metadata={MIME: {"deepgrad": VERSION}})


def _inputs_tree(inputs: dict[str, Any]) -> Any:
    from .safe import ndarray
    small = {}
    for k, v in inputs.items():
        if type(v) is ndarray and v.nbytes > _BIG:
            small[k] = {"big": [v.dtype.str, list(v.shape)]}
        else:
            small[k] = wire.encode(v)
    return small


def _mistakes_tree(case: Case) -> list[dict]:
    out = []
    for m in case.mistakes:
        if m.shape is not None:
            out.append({"hint": m.hint, "shape": list(m.shape), "output": m.output})
            continue
        try:
            wrong = m.wrong_output(case.expected)
        except Exception:  # a mistake that cannot be computed here is never shown
            continue
        out.append({"hint": m.hint, "value": wire.encode(wrong)})
    return out


def _digest(inputs: Any) -> str:
    try:
        return wire.digest(inputs)
    except Exception:  # an input whose attributes raise: it cannot be the grader's
        return "undigestable"


class RecordingJudge:
    """Records each case (see the module docstring) and lets every check pass.

    Parameters
    ----------
    mode : {"got", "spec"}
        What a record holds.
    sink : callable, optional
        ``sink(record)`` receives each record (a dict of JSON values). By default records
        are published as display outputs of the running IPython kernel.
    """

    def __init__(self, mode: str, sink: Callable[[dict], None] | None = None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if sink is not None and not callable(sink):
            raise TypeError("sink must be a function sink(record), got "
                            f"{type(sink).__name__}")
        self.mode = mode
        self.sink = sink or _publish

    def record(self, case: Case) -> dict:
        """The record of ``case`` in this judge's mode."""
        rec = {
            "v": VERSION, "mode": self.mode, "function": str(case.function),
            "kind": str(case.kind), "digest": _digest(case.inputs),
            "got": wire.encode(case.got), "raised": case.raised,
            "warnings": [str(w) for w in case.warnings], "stderr": str(case.stderr),
            "modified_inputs": [str(n) for n in case.modified_inputs],
        }
        if case.consistency:
            # the expected value is the student's own work: the judge takes it from here
            rec.update({"consistency": True, "expected": wire.encode(case.expected),
                        "mistakes": _mistakes_tree(case)})
        if self.mode == "spec":
            if case.expected is HIDDEN:
                raise ValueError(f"{case.function}: a check's expected value is HIDDEN in "
                                 "the solution's run (a reference block was stripped where "
                                 "it must run)")
            rec.update({
                "expected": wire.encode(case.expected),
                "outputs": None if case.outputs is None else [str(n) for n in case.outputs],
                "rtol": float(case.rtol), "atol": float(case.atol), "call": bool(case.call),
                "inputs": _inputs_tree(case.inputs), "mistakes": _mistakes_tree(case),
            })
        return rec

    def judge(self, case: Case) -> Verdict:
        self.sink(self.record(case))
        return Verdict(passed=True)


def from_environment() -> RecordingJudge | None:
    """The recording judge :data:`ENV` asks for, or None when it is unset or empty."""
    mode = os.environ.get(ENV, "")
    if not mode:
        return None
    if mode not in MODES:
        raise ValueError(f"the environment variable {ENV} must be one of {MODES} or "
                         f"empty, got {mode!r}")
    return RecordingJudge(mode)
