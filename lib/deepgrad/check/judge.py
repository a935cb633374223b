"""The judge: turns a Case into a Verdict, and the switch that says which judge decides.

Every check ends in :func:`decide`: the current judge gives a verdict, and a failing
verdict is rendered and raised as a :class:`~deepgrad.check.records.CheckFailure`. The
default :class:`InKernelJudge` decides inside the student's kernel; :func:`use_judge`
and :func:`judged_by` hand the same cases to another judge (for example one that
serialises them to a grader process) without rewriting a single test.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .capture import quiet
from .compare import COMPARATORS
from .hints import warning_hint
from .records import HIDDEN, Case, CheckFailure, Judge, Verdict
from .render import output_name, plain_report, report, safe_repr


class InKernelJudge:
    """Decides in the student's kernel, with numpy functions captured at import."""

    def judge(self, case: Case) -> Verdict:
        try:
            return self._judge(case)
        except Exception as exc:  # a pathological output must fail, never crash the check
            return Verdict(passed=False, output_ok=False, problems=[
                f"{output_name(case)}: its output could not be checked "
                f"({type(exc).__name__}: {safe_repr(str(exc), 200)}); return numbers or "
                "numpy arrays"])

    def _judge(self, case: Case) -> Verdict:
        if case.expected is HIDDEN:
            return Verdict(passed=False, problems=[
                f"{output_name(case)}: the expected value of this check is computed by the "
                "grader, not in this kernel: only the judge outside it can decide"])
        v = Verdict(passed=True, problems=call_problems(case))
        if case.warnings:
            v.hints.extend(warning_hint(case.warnings))
        if case.raised is None:
            output = COMPARATORS[case.kind](case)
            v.problems.extend(output.problems)
            v.hints.extend(output.hints)
            v.output_ok = output.output_ok
        v.passed = not v.problems
        return v


def call_problems(case: Case) -> list[str]:
    """What went wrong with the call itself, whatever the kind of check."""
    problems = []
    if case.raised is not None:
        problems.append(case.raised)
    if case.warnings:
        problems.append("it emitted a warning (in a graded cell a warning is printed to "
                        "stderr, and a cell that writes to stderr scores 0):\n    "
                        + "\n    ".join(case.warnings))
    if case.stderr:
        problems.append("it printed to stderr (a graded cell that writes to stderr "
                        "scores 0):\n    " + case.stderr.strip()[:300]
                        .replace("\n", "\n    "))
    if case.modified_inputs:
        problems.append("it modified its input(s) "
                        + ", ".join(case.modified_inputs)
                        + " in place; work on a copy instead (e.g. x = x.copy(), "
                          "or x = x - ... instead of x -= ...)")
    return problems


def _initial_judge() -> Judge:
    """A :class:`~deepgrad.check.recording.RecordingJudge` when the grader asks for one
    (the environment variable ``DEEPGRAD_CHECK_RECORD``), else the in-kernel judge."""
    from .recording import from_environment
    return from_environment() or InKernelJudge()


_judge: Judge = _initial_judge()


def use_judge(judge: Judge) -> Judge:
    """Replace the judge every check goes through; returns the previous one.

    ``previous = use_judge(MyJudge())`` ... ``use_judge(previous)`` restores it;
    :func:`judged_by` does both around a block.
    """
    global _judge
    if not callable(getattr(judge, "judge", None)):
        raise TypeError("judge must have a method judge(case) -> Verdict, got an object "
                        f"of type {type(judge).__name__}")
    previous, _judge = _judge, judge
    return previous


@contextlib.contextmanager
def judged_by(judge: Judge) -> Iterator[Judge]:
    """Within the block, every check goes through ``judge``; the previous one after.

    The previous judge comes back also when the block raises (a failing check, say)::

        with check.judged_by(MyJudge()):
            check.returns(sigmoid, (z,), expected=...)
    """
    previous = use_judge(judge)
    try:
        yield judge
    finally:
        use_judge(previous)


def decide(case: Case) -> None:
    """Judge ``case``; raise :class:`CheckFailure` with the report if it failed."""
    with quiet():
        verdict = _judge.judge(case)
        message = None
        if not verdict.passed:
            try:
                message = report(case, verdict)
            except Exception:  # never let a broken rendering turn a failure into a crash
                message = plain_report(case, verdict)
    if message is not None:
        raise CheckFailure(message) from None
