"""The mutant harness: one kernel runs the solution once, then each mutant is tried and undone.

Besides the mutants' table, the solution's run is the course's one run of each source
notebook: it tells whether the solution passes every test (and writes nothing to stderr),
how long the notebook takes, its longest cell and the kernel's peak memory.
"""

from __future__ import annotations

import ast
import copy
import json
import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import nbformat

from deepgrad_instructor.cells import determine_grade, grade_id, is_answer, is_test
from deepgrad_instructor.course import grading_environment, read_nb
from deepgrad_instructor.expectations import (Expectations, ExpectationsError,
                                              expectations_path, notebook_hash, recording,
                                              solution_notebook)
from deepgrad_instructor.judging import apply, judge_cell
from deepgrad_instructor.references import strip_references

from .mutants import Mutant, answer_cells, apply_mutants

__all__ = ["HarnessError", "CellScore", "MutantOutcome", "SolutionRun", "MutantHarness",
           "run_mutants", "defined_names", "names_the_mistake"]

# Defined in the kernel once: keep the objects bound to some names and forget the names;
# put back every kept binding, newest first.
_KEEPER = """
def _dg_keep(names, forget=True, _stash=[]):
    g = globals()
    _stash.append((names, {n: g[n] for n in names if n in g}))
    for n in names if forget else ():
        g.pop(n, None)
def _dg_restore():
    g, stash = globals(), _dg_keep.__defaults__[1]
    while stash:
        names, kept = stash.pop()
        for n in names:
            g.pop(n, None)
        g.update(kept)
"""
_PROBE = ("import json as _dg_json, resource as _dg_res\n"
          "print('DEEPGRAD_PROBE' + _dg_json.dumps(_dg_res.getrusage("
          "_dg_res.RUSAGE_SELF).ru_maxrss / 1024))\ndel _dg_json, _dg_res")


class HarnessError(RuntimeError):
    """The mutant harness cannot trust its baseline (the solution itself fails a test)."""


@dataclass
class CellScore:
    grade_id: str
    points: float
    score: float
    error: str = ""  # what the cell showed: ``ename: evalue`` (a check's whole message)

    @property
    def failed(self) -> bool:
        return self.score < self.points


# Problems a check states that name the mistake without a hint.
_SELF_NAMING = ("in place", "emitted a warning", "printed to stderr",
                "which this exercise does not allow")


def names_the_mistake(message: str) -> bool:
    """Whether a failure message names the mistake -- a hint, or a problem that says
    what was done wrong -- rather than only "values differ" or a wrong shape."""
    return any(line.startswith("Hint: ") for line in message.splitlines()) or any(
        marker in message for marker in _SELF_NAMING)


@dataclass
class MutantOutcome:
    name: str                   # mutant name (or "+"-joined names for a combination)
    cells: list[str]            # solution cells mutated
    hint: str
    scores: dict[str, CellScore]

    @property
    def failed(self) -> list[str]:
        return [g for g, s in self.scores.items() if s.failed]

    @property
    def points_lost(self) -> float:
        return sum(s.points - s.score for s in self.scores.values())

    @property
    def first_failure(self) -> CellScore | None:
        """The first failing test cell in notebook order: what the student sees first."""
        return next((s for s in self.scores.values() if s.failed), None)

    @property
    def named(self) -> bool:
        first = self.first_failure
        return first is not None and names_the_mistake(first.error)

    @property
    def first_words(self) -> str:
        """What the student reads first that matters: the first hint of the first failing
        cell, else its first problem, else its first line."""
        first = self.first_failure
        if first is None:
            return ""
        lines = [ln.strip() for ln in first.error.splitlines() if ln.strip()]
        hint = next((ln for ln in lines if ln.startswith("Hint: ")), None)
        if hint is not None:
            return hint
        at = next((k for k, ln in enumerate(lines) if ln.startswith("- ")), None)
        if at is None:
            return lines[0] if lines else ""
        problem = lines[at][2:]
        if problem.endswith(":"):  # "it raised an exception:" -- and which one
            block = []
            for ln in lines[at + 1:]:
                if ln.startswith(("- ", "Expected", "Got", "Hint: ")):
                    break
                block.append(ln)
            problem += " " + (block[-1] if block else "")
        return problem


@dataclass
class SolutionRun:
    """The solution notebook, top to bottom in a fresh kernel."""

    notebook: str
    seconds: float
    peak_mb: float
    longest_cell: str
    longest_seconds: float
    problems: list[str] = field(default_factory=list)  # cells with an error or stderr


def _cell_error(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return f"{o.get('ename')}: {o.get('evalue', '')}"
        if o.get("output_type") == "stream" and o.get("name") == "stderr":
            return "wrote to stderr: " + str(o.get("text", ""))
    return ""


def _first_line(cell) -> str:
    return next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")[:60]


def _parse(source: str):
    lines = [ln if not ln.lstrip().startswith(("%", "!")) else "" for ln in
             source.split("\n")]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def defined_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, classes, imports, loops);
    names bound inside function bodies are local and left out."""
    tree = _parse(source)
    if tree is None:
        return set()
    top: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            top.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            top.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in tree.body:
        visit(node)
    return top


def used_names(source: str) -> set[str] | None:
    """Every name a cell reads, in function bodies too (None: it does not parse)."""
    tree = _parse(source)
    if tree is None:
        return None
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def late_bound(sources: Sequence[str]) -> dict[str, set[str]]:
    """For each function (or lambda) a cell binds at top level, the names its body reads
    when it is *called*: a function reaches a mistake through them (late binding)."""
    out: dict[str, set[str]] = {}
    for source in sources:
        tree = _parse(source)
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.setdefault(node.name, set()).update(
                    n.id for n in ast.walk(node) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                reads = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
                for target in node.targets:
                    for n in ast.walk(target):
                        if isinstance(n, ast.Name):
                            out.setdefault(n.id, set()).update(reads)
    return out


class MutantHarness:
    """One kernel, the solution run once, then each mutant tried and undone.

    >>> with MutantHarness("source/01_x/x.ipynb") as h:   # doctest: +SKIP
    ...     outcome = h.run([mutant])

    A try executes the mutated solution cell, then every graded test cell (visible and
    hidden) from that cell on, in notebook order; test cells above the mutated cell keep
    their baseline score (nbgrader runs them before the mistake is defined). With
    ``downstream=True`` every later answer cell runs again too (so a training cell that
    calls the mutated function recomputes what its test checks): the exact prediction
    of nbgrader's score for a wrong submission. A test cell fails on an error output or
    any stderr output; its score is nbgrader's own ``determine_grade`` of the cell once the
    judge outside the kernel has decided it (:mod:`deepgrad_instructor.judging`), against the
    solution's records; after the solution's run the kernel records as a student's grading
    kernel does, and test cells run without their reference blocks. Cells time out
    like in nbgrader (``timeout``; the course's config says 60 s).

    Undoing is lazy and costs no re-run: before a try runs a cell again, the kernel keeps
    the objects the cell's names are bound to; the next try first puts those bindings back,
    newest first, so every try sees the solution everywhere else (a training cell is not
    trained again to be undone). Only name bindings are undone: answer cells bind names.
    """

    def __init__(self, source_path, *, timeout: int = 30, kernel_name: str = "python3",
                 rerun_all: bool = False):
        self.source_path = Path(source_path).resolve()
        self.nb = solution_notebook(read_nb(self.source_path))
        self.timeout = timeout
        self.kernel_name = kernel_name
        self.rerun_all = rerun_all
        self._stack: ExitStack | None = None
        self.baseline: dict[str, CellScore] = {}
        self.solution_run: SolutionRun | None = None
        self.answers = answer_cells(self.nb)
        self.tests = [i for i, c in enumerate(self.nb.cells) if is_test(c)]
        self._late = late_bound([c.source for c in self.nb.cells if c.cell_type == "code"])
        self._reads = {i: used_names(self.nb.cells[i].source) for i in self.tests}
        self._stashed = False  # whether the last try re-bound names in the kernel
        self.seconds = 0.0

    # -- kernel
    def __enter__(self):
        from nbclient import NotebookClient
        grading_environment()
        t0 = time.perf_counter()
        # nbclient stores each executed cell back into the notebook it was given: give it
        # its own copy so self.nb always holds the solution.
        self.client = NotebookClient(
            copy.deepcopy(self.nb), timeout=self.timeout, kernel_name=self.kernel_name,
            allow_errors=True, interrupt_on_timeout=True,
            extra_arguments=["--HistoryManager.hist_file=:memory:"],
            resources={"metadata": {"path": str(self.source_path.parent)}})
        self._stack = ExitStack()
        # checks record, and the judge outside the kernel decides, as in nbgrader's
        # autograde with the course's config (deepgrad_instructor.outside_judge)
        with recording("spec"):
            self._stack.enter_context(self.client.setup_kernel())
        try:
            self.client.execute_cell(nbformat.v4.new_code_cell(_KEEPER), 0)
            self._run_solution(t0)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.seconds += time.perf_counter() - t0
        return self

    def _run_solution(self, t0: float) -> None:
        executed, times = {}, {}
        started = time.perf_counter()
        for i, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code":
                c0 = time.perf_counter()
                executed[i] = self._exec(cell, i)
                times[i] = time.perf_counter() - c0
        seconds = time.perf_counter() - started
        probe = self._exec(nbformat.v4.new_code_cell(_PROBE), 0)  # the index is nbclient's copy
        text = "".join(o.get("text", "") for o in probe.outputs)
        peak = json.loads(text.split("DEEPGRAD_PROBE", 1)[1]) if "DEEPGRAD_PROBE" in text \
            else float("nan")
        longest = max(times, key=times.get)
        self.solution_run = SolutionRun(
            self.source_path.name, seconds, peak, _first_line(self.nb.cells[longest]),
            times[longest],
            [f"cell {i + 1} `{_first_line(c)}`: {_cell_error(c)}"
             for i, c in executed.items() if _cell_error(c)])
        try:
            self.expectations = Expectations.from_executed(
                nbformat.from_dict({"cells": [executed.get(i, c) for i, c in
                                              enumerate(self.nb.cells)]}),
                f"{self.source_path.parent.name}/{self.source_path.name}",
                notebook_hash(read_nb(self.source_path)), seconds)
        except ExpectationsError as exc:
            raise HarnessError(f"{self.source_path.name}: {exc}") from None
        self._save_expectations()
        self.baseline = {grade_id(executed[i]): self._score(executed[i]) for i in self.tests}
        # from now on the kernel is a student's grading kernel: checks record what the code
        # returned, and test cells run without their reference blocks (see _rerun_test)
        self._exec(nbformat.v4.new_code_cell(
            "from deepgrad.check import judge as _dg_j, recording as _dg_r\n"
            "_dg_j.use_judge(_dg_r.RecordingJudge('got'))\ndel _dg_j, _dg_r"), 0)
        bad = {g: s for g, s in self.baseline.items() if s.failed}
        if bad:
            raise HarnessError(
                f"{self.source_path.name}: the solution itself fails "
                + "; ".join(f"{g} ({s.error[:300] or 'partial score'})" for g, s in bad.items()))

    def __exit__(self, *exc):
        if self._stack is not None:
            self._stack.close()
            self._stack = None

    def _save_expectations(self) -> None:
        """In a course directory, keep the solution's records where autograde looks for
        them (it would otherwise run the solution once more to make them)."""
        course = self.source_path.parents[2]
        if self.source_path.parent.parent.name == "source" and \
                (course / "nbgrader_config.py").exists():
            self.expectations.save(expectations_path(course, self.source_path.parent.name,
                                                     self.source_path.name))

    def _score(self, cell) -> CellScore:
        """nbgrader's score of an executed test cell, once the judge has decided it."""
        cell = copy.deepcopy(cell)
        apply(cell, judge_cell(cell, self.expectations.cells[grade_id(cell)]))
        score, max_score = determine_grade(cell, logging.getLogger("authoring.harness"))
        return CellScore(grade_id(cell), float(max_score), float(score), _cell_error(cell))

    def _exec(self, cell, index: int):
        cell = copy.deepcopy(cell)
        cell.outputs = []
        self.client.execute_cell(cell, index)
        return cell

    def _rerun(self, i: int, cell, *, forget: bool = True) -> None:
        """Run ``cell`` at index ``i`` instead of the solution's, so that :meth:`_undo` can
        put back what was there: keep the objects of every name either version binds,
        forget those names (a cell that raises leaves them undefined, as in nbgrader's
        fresh run, not stale), then run it."""
        names = sorted(defined_names(self.nb.cells[i].source) | defined_names(cell.source))
        code = f"_dg_keep({names!r}, {forget!r})"
        self.client.execute_cell(nbformat.v4.new_code_cell(code), i)
        self._stashed = True
        return self._exec(cell, i)

    def _rerun_test(self, i: int, cell):
        """Run test cell ``cell`` as autograde does: its reference blocks stripped; the
        executed cell comes back with its own source (the judge matches it)."""
        stripped = copy.deepcopy(cell)
        stripped.source = strip_references(cell.source)
        done = self._rerun(i, stripped, forget=False)
        done.source = cell.source
        return done

    def _affected(self, mutated, idx: Sequence[int]) -> set[int]:
        """The test cells a try must run again: those that read a name the mutated cells
        bind (in either version), or a function whose body reaches one of those names,
        however indirectly. The other tests would see the solution's objects only: they
        keep their baseline score. (What a cell does is taken to be the names it binds;
        a test that does not parse is always run.)"""
        tainted = set()
        for i in idx:
            tainted |= defined_names(self.nb.cells[i].source) | defined_names(
                mutated.cells[i].source)
        grew = True
        while grew:
            grew = False
            for name, reads in self._late.items():
                if name not in tainted and reads & tainted:
                    tainted.add(name)
                    grew = True
        return {i for i, reads in self._reads.items() if reads is None or reads & tainted}

    # -- one try
    def _undo(self) -> None:
        """Put back the bindings the last try changed, newest first: each re-run cell's
        names are forgotten and rebound to the objects kept before it ran."""
        if self._stashed:
            code = "_dg_restore()"
            self.client.execute_cell(nbformat.v4.new_code_cell(code), 0)
            self._stashed = False

    def run(self, mutants: Sequence[Mutant], name: str | None = None, *,
            downstream: bool = False) -> MutantOutcome:
        """Apply ``mutants`` (one, or several for a combined wrong submission), score
        every graded test cell, and leave the kernel to be undone before the next try.

        ``downstream=False`` (the fast table): only the mutated cells run again, then the
        test cells below the first of them; points lost are then a lower bound when a
        test checks a value computed by a later cell. ``downstream=True`` (a prediction
        of nbgrader's score): every later answer cell runs again too (``rerun_all``: every
        later code cell), in notebook order, exactly as the autograder would.
        Raises :class:`~authoring.mutants.MutantError` if a mutant cannot apply.
        """
        if self._stack is None:
            raise RuntimeError("use MutantHarness as a context manager")
        t0 = time.perf_counter()
        mutated = apply_mutants(self.nb, mutants)
        idx = sorted({self.answers[m.cell] for m in mutants})
        self._undo()
        scores = dict(self.baseline)
        affected = self._affected(mutated, idx) if not downstream else None
        for i in range(idx[0], len(self.nb.cells)):
            c = self.nb.cells[i]
            if i in idx:
                self._rerun(i, mutated.cells[i])
            elif is_test(c) and (affected is None or i in affected):
                scores[grade_id(c)] = self._score(self._rerun_test(i, c))
            elif downstream and c.cell_type == "code" and (self.rerun_all or is_answer(c)):
                self._rerun(i, c)
        self.seconds += time.perf_counter() - t0
        return MutantOutcome(name or "+".join(m.name for m in mutants),
                             [grade_id(self.nb.cells[i]) for i in idx],
                             "; ".join(m.hint for m in mutants), scores)


@dataclass
class NotebookChecks:
    """Everything the harness learnt about one source notebook."""

    solution: SolutionRun | None
    mutants: list[MutantOutcome]
    combos: dict[str, MutantOutcome]
    seconds: float
    error: str = ""


def run_mutants(source_path, mutants: Sequence[Mutant], *,
                combos: Mapping[str, Sequence[Mutant]] = (), timeout: int = 30
                ) -> NotebookChecks:
    """The solution once, every mutant alone (fast table), then every named combination
    (exact prediction, ``downstream=True``); one kernel for all of them.

    Mutants for cells not in this notebook are skipped (an assignment may have several
    notebooks). A harness that cannot trust its baseline is reported in ``error``.
    """
    from .mutants import MutantError
    t0 = time.perf_counter()
    h = MutantHarness(source_path, timeout=timeout)
    try:
        with h:
            mine = [m for m in mutants if m.cell in h.answers]
            # in notebook order: each undo is then only the cells between two mutated cells
            mine.sort(key=lambda m: h.answers[m.cell])
            outcomes = [h.run([m]) for m in mine]
            combo_out = {k: h.run(v, name=k, downstream=True)
                         for k, v in dict(combos or {}).items()
                         if all(m.cell in h.answers for m in v)}
    except (MutantError, HarnessError) as exc:
        return NotebookChecks(h.solution_run, [], {}, time.perf_counter() - t0,
                              f"{Path(source_path).name}: {exc}")
    return NotebookChecks(h.solution_run, outcomes, combo_out, time.perf_counter() - t0)
