"""The judge outside the kernel: a graded test cell's verdict, from its records.

While grading, the student's kernel only records what each check saw
(:mod:`deepgrad.check.recording`, mode ``"got"``). Here, in the grading process, each
graded test cell's records are compared with the solution's
(:mod:`deepgrad_instructor.expectations`), case by case, with the same comparators and
hints as the in-kernel judge (:class:`deepgrad.check.InKernelJudge`), and the cell's
outputs are rewritten so that nbgrader's own scoring (``determine_grade``: an error output
scores 0) stores the judge's verdict:

- the records and any ``execute_result`` (read by nbgrader as partial credit) are removed;
- a failing cell gets an error output with the report (for a hidden cell: the function,
  what its code did wrong and the hints, never the hidden inputs or expected values);
- an error the kernel raised is kept: it scores 0 as before.

A kernel cannot turn a failing cell into points: a record is only a claim about an output,
and the judge never reads a verdict, an expected value or a tolerance from the kernel. A
record that is missing, extra or forged (wrong format or kind) fails its cell and raises a
flag (:attr:`Judgement.flags`). A record made on other inputs than the solution's is judged
all the same (against the solution's output on the grader's inputs), with a note.

A *consistency* check (``consistency=True`` in the test cell: the expected value is the
student's own work, such as the accuracy of their trained model) is compared with the
expected value and mistakes the kernel computed; the solution's run, not the kernel, says
which checks those are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import nbformat
import numpy as np

from deepgrad.check import wire
from deepgrad.check.judge import InKernelJudge, call_problems
from deepgrad.check.recording import MIME, VERSION
from deepgrad.check.records import Case, Mistake, Verdict
from deepgrad.check.render import hidden_report, plain_report, report

from .cells import grade_id, is_test
from .expectations import CellSpec, Expectations, ExpectationsError, cell_hash, records

__all__ = ["Judgement", "judge_cell", "judge_notebook", "apply", "case_of"]

#: The flags a judgement can raise (part of the instructor's report).
MISSING, EXTRA, FORGED = ("missing check records", "extra check records",
                          "forged check record")


@dataclass
class Judgement:
    """The judge's verdict on one graded test cell."""

    grade_id: str
    passed: bool
    message: str = ""  # the report shown in the cell when it failed
    flags: list[str] = field(default_factory=list)
    checks: int = 0  # how many checks the solution made in this cell
    hidden: bool = False  # a cell with hidden checks: its printed output is not kept
    cut: int | None = None  # the output where the failure ends the cell's story


def _decode_inputs(tree: Any) -> dict[str, Any]:
    out = {}
    for k, v in (tree or {}).items():
        if type(v) is dict and set(v) == {"big"}:
            dtype, shape = v["big"]
            out[k] = np.broadcast_to(np.zeros((), dtype=np.dtype(dtype)), tuple(shape))
        else:
            out[k] = wire.decode(v)
    return out


def _mistakes(spec: dict) -> tuple[Mistake, ...]:
    out = []
    for m in spec.get("mistakes", []):
        if "shape" in m:
            out.append(Mistake(m["hint"], shape=tuple(m["shape"]), output=m.get("output")))
        else:
            value = wire.decode(m["value"])
            if value is not None:
                out.append(Mistake(m["hint"], value=value))
    return tuple(out)


def case_of(spec: dict, got: dict) -> Case:
    """The case to judge: everything from the solution's ``spec`` record, except what
    the student's code did (``got`` record: output, exception, warnings, stderr, inputs
    modified in place)."""
    # a consistency check's expected value is the student's own work: the kernel's (the
    # solution's spec, not the kernel, says which checks are consistency checks)
    own = got if spec.get("consistency") else spec
    return Case(
        function=spec["function"], inputs=_decode_inputs(spec.get("inputs")),
        expected=wire.decode(own["expected"]), got=wire.decode(got["got"]),
        raised=None if got.get("raised") is None else str(got["raised"]),
        warnings=[str(w) for w in got.get("warnings", [])],
        modified_inputs=[str(n) for n in got.get("modified_inputs", [])],
        outputs=spec.get("outputs"), rtol=float(spec["rtol"]), atol=float(spec["atol"]),
        mistakes=_mistakes(own), kind=spec["kind"], stderr=str(got.get("stderr", "")),
        call=bool(spec.get("call", True)))


def _forged(rec: Any, spec: dict) -> str | None:
    """Why ``rec`` cannot be the record of the check ``spec`` describes (None: it can)."""
    if type(rec) is not dict or rec.get("v") != VERSION or rec.get("mode") not in ("got", "spec"):
        return "not a check record"
    # (the function's name is not compared: a student's function may be a lambda or
    # wrapped by a decorator, and is reported under the check's name anyway)
    if rec.get("kind") != spec["kind"]:
        return f"its kind is {str(rec.get('kind'))[:60]!r}, the check's is {spec['kind']!r}"
    if type(rec.get("warnings", [])) is not list or type(rec.get("modified_inputs", [])) \
            is not list:
        return "malformed fields"
    return None


def _is_record(output) -> bool:
    return output.get("output_type") == "display_data" and MIME in output.get("data", {})


def judge_cell(cell, spec: CellSpec) -> Judgement:
    """Judge one executed graded test cell against the solution's records of it.

    The cell tells the story the in-kernel judge would have told: its outputs are read in
    order, and the first failure -- a failing check, or an error the kernel raised -- ends
    it (in the kernel, a failing check would have stopped the cell there).
    """
    gid = grade_id(cell)
    if cell_hash(cell.source) != spec.source_hash:
        raise ExpectationsError(
            f"test cell {gid} is not the one the expected values were made from: generate "
            "the assignment again (nbgrader generate_assignment) so that the gradebook and "
            "the source notebook agree")
    j = Judgement(gid, True, checks=len(spec.checks), hidden=spec.hidden)
    judge = InKernelJudge()
    n = 0
    for pos, output in enumerate(cell.get("outputs", [])):
        if output.get("output_type") == "error":
            j.passed = False  # the kernel's own error: it scores 0, shown as it is
            break
        if not _is_record(output):
            continue
        if n >= len(spec.checks):
            j.flags.append(EXTRA)
            j.message = (f"This cell made more check records than the {len(spec.checks)} "
                         "its checks make: records not made by the checks do not count.")
        else:
            j.message = _judge_record(records({"outputs": [output]})[0], spec.checks[n],
                                      spec.hidden, judge, j.flags)
        n += 1
        if j.message:
            j.passed, j.cut = False, pos
            break
    else:
        if n < len(spec.checks):
            j.flags.append(MISSING)
            j.passed, j.cut = False, len(cell.get("outputs", []))
            j.message = (f"Only {n} of the {len(spec.checks)} checks of this cell ran to the "
                         "end. Did your code stop the cell early, or change how the checks "
                         "run?")
    return j


def _judge_record(rec: Any, spec: dict, hidden: bool, judge: InKernelJudge,
                  flags: list[str]) -> str:
    """The report of the check ``spec`` from its record ``rec`` ("" when it passes)."""
    why = _forged(rec, spec)
    if why is not None:
        flags.append(FORGED)
        return f"A check record of {spec['function']} is not genuine ({why})."
    try:
        case = case_of(spec, rec)
    except (wire.WireError, KeyError, TypeError, ValueError) as exc:
        flags.append(FORGED)
        return f"A check record of {spec['function']} is malformed ({type(exc).__name__})."
    verdict = judge.judge(case)
    if verdict.passed:
        return ""
    message = _render(case, verdict, hidden)
    if rec.get("digest") != spec["digest"] and not spec.get("consistency"):
        # not a flag: a wrong function upstream legitimately changes a later check's inputs
        # (and the expected output is the solution's on the grader's inputs either way)
        message += ("\nNote: this check ran on other inputs than the grader's: a cell "
                    "above (or your code) changed a variable it uses.")
    return message


def _render(case: Case, verdict: Verdict, hidden: bool) -> str:
    try:
        if hidden:
            return hidden_report(case, verdict, call_problems(case))
        return report(case, verdict)
    except Exception:  # never let a broken rendering turn a failure into a crash
        return plain_report(case, verdict)


def apply(cell, judgement: Judgement) -> None:
    """Rewrite ``cell``'s outputs so that nbgrader scores the judgement (see the module
    docstring)."""
    outputs = []
    kept = cell.get("outputs", [])
    if judgement.cut is not None:
        kept = kept[:judgement.cut]  # what the cell showed before its failing check
    for o in kept:
        kind = o.get("output_type")
        if kind == "execute_result" or (kind == "display_data" and MIME in o.get("data", {})):
            continue
        if judgement.hidden and kind in ("display_data", "update_display_data"):
            continue  # what the student's code showed while a hidden check ran it
        if judgement.hidden and kind == "stream":
            if o.get("name") != "stderr":
                continue
            # kept, so that the cell still scores 0, but without the text
            o = nbformat.from_dict(dict(o, text="(this cell wrote to stderr; hidden checks' output is not "
                             "shown)\n"))
        outputs.append(o)
    if not judgement.passed and not any(o.get("output_type") == "error" for o in outputs):
        outputs.append(nbformat.v4.new_output("error", ename="CheckFailure", evalue=judgement.message,
                                  traceback=["CheckFailure: " + line if i == 0 else line
                                             for i, line in
                                             enumerate(judgement.message.splitlines())]))
    cell["outputs"] = outputs


def judge_notebook(nb, expectations: Expectations) -> dict[str, Judgement]:
    """Judge every graded test cell of an executed notebook and rewrite its outputs;
    returns the judgements by grade id. A test cell the expectations do not know stops
    grading with :class:`ExpectationsError` (they were made from another notebook)."""
    out = {}
    for cell in nb.cells:
        gid = grade_id(cell)
        if cell.get("cell_type") != "code" or gid is None:
            continue
        if not is_test(cell):
            continue
        spec = expectations.cells.get(gid)
        if spec is None:
            raise ExpectationsError(f"test cell {gid} has no expected values in "
                                    f"{expectations.notebook}: generate the assignment again")
        out[gid] = judgement = judge_cell(cell, spec)
        apply(cell, judgement)
    return out
