"""Per student: the score *and* whether the submission is broken rather than an honest 0.

:func:`report` reads the gradebook, the autograded notebooks and what autograde returned
(:mod:`.cycle`) and returns rows as data; :func:`format_report` and
:func:`write_report_csv` render them. A submission is *broken* when autograde failed, a
test cell was deleted, a cell was interrupted by the timeout, or the judge outside the
kernel flagged its check records (missing, extra or forged: :mod:`.judging`) or the scan
of the student's cells flagged their code (:mod:`.scan`): nbgrader's own export
shows a plain 0 (or full marks) there, which an instructor must not take for a grade.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .cells import grade_id
from .course import grading_environment, load_config, read_nb
from .cycle import classify_failure, read_result

__all__ = ["ReportRow", "BROKEN", "PENDING", "TIMEOUT_ENAME", "UNSANDBOXED", "report",
           "integrity", "format_report", "write_report_csv"]

BROKEN = ("AUTOGRADE FAILED", "TEST CELL DELETED", "TIMED OUT", "NOT GRADED", "FLAGGED")
PENDING = "manual grading pending"
# What nbclient writes into a cell interrupted by the per-cell timeout.
TIMEOUT_ENAME = "CellTimeoutError"
CSV_HEADER = ["assignment", "student", "auto_score", "auto_max", "percent", "score",
              "max_score", "manual_pending", "broken", "flags", "sandboxed", "status"]
UNSANDBOXED = "UNSANDBOXED"
NO_SANDBOX = "the sandbox is not on (nbgrader_config.py: use_sandbox(c))"


@dataclass
class ReportRow:
    student: str
    score: float            # total (auto + manual so far)
    max_score: float        # total
    auto_score: float       # autograded test cells only
    auto_max: float
    manual_pending: float   # points of manually graded answers not graded yet
    status: list[str] = field(default_factory=list)
    cell_scores: dict[str, float] = field(default_factory=dict)  # grade_id -> score (tests)
    cell_max: dict[str, float] = field(default_factory=dict)     # grade_id -> points (tests)
    #: what the judge, the scan and the sandbox flagged, per cell ("notebook": the whole)
    flags: dict[str, list[str]] = field(default_factory=dict)
    #: whether every grading kernel ran in the sandbox (None: no kernel ran)
    sandboxed: bool | None = None

    def add_flags(self, found: dict[str, list[str]]) -> None:
        for g, f in found.items():
            self.flags[g] = self.flags.get(g, []) + [x for x in f if x not in self.flags.get(g, [])]

    def ran(self, sandbox: dict | None) -> None:
        """One grading run's sandbox summary (None: no sandbox metadata at all)."""
        ok = bool(sandbox and sandbox.get("sandboxed"))
        if not ok and self.sandboxed is not False:
            why = (sandbox or {}).get("reason") or NO_SANDBOX
            self.status.insert(0, f"{UNSANDBOXED}: graded without the sandbox ({why})")
        self.sandboxed = ok if self.sandboxed is None else (self.sandboxed and ok)

    @property
    def percent(self) -> float:
        return 100.0 * self.auto_score / self.auto_max if self.auto_max else 0.0

    @property
    def broken(self) -> bool:
        return any(s.split(":")[0] in BROKEN for s in self.status)

    @property
    def status_text(self) -> str:
        return "; ".join(self.status) if self.status else "OK"

    def csv_row(self, assignment: str) -> list[str]:
        return [assignment, self.student, f"{self.auto_score:g}", f"{self.auto_max:g}",
                f"{self.percent:.1f}", f"{self.score:g}", f"{self.max_score:g}",
                f"{self.manual_pending:g}", "yes" if self.broken else "no",
                "; ".join(f"{g}: {', '.join(f)}" for g, f in self.flags.items()),
                {True: "yes", False: "NO", None: ""}[self.sandboxed], self.status_text]


def _cell_label(i: int, cell) -> str:
    first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
    return f"cell {i + 1} `{first[:40]}`"


def _timeouts(nb) -> list[str]:
    return [_cell_label(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and any(o.get("output_type") == "error" and o.get("ename") == TIMEOUT_ENAME
                    for o in c.get("outputs", []))]


def report(course_dir, assignment: str, students: Iterable[str] | None = None) -> list[ReportRow]:
    """One row per student of ``assignment`` (default: everyone who submitted or is in the
    gradebook), from the gradebook, the autograded notebooks and the autograde results."""
    from nbgrader.api import Gradebook, MissingEntry
    grading_environment()
    course_dir = Path(course_dir).resolve()
    cfg = load_config(course_dir)
    rows: list[ReportRow] = []
    with Gradebook(cfg.CourseDirectory.db_url, cfg.CourseDirectory.course_id) as gb:
        a = gb.find_assignment(assignment)
        grade_cells = [gc for nb in a.notebooks for gc in nb.grade_cells]
        task_cells = [tc for nb in a.notebooks for tc in nb.task_cells]
        auto_max = sum(gc.max_score for gc in grade_cells if gc.cell_type == "code")
        total_max = sum(gc.max_score for gc in grade_cells + task_cells)
        if students is None:
            names = {p.parent.name for p in (course_dir / "submitted").glob(f"*/{assignment}")
                     if p.is_dir()}
            students = sorted(names | {s.student.id for s in a.submissions})
        for student in students:
            row = ReportRow(student, 0.0, total_max, 0.0, auto_max, 0.0)
            rows.append(row)
            run = read_result(course_dir, assignment, student)
            ag_dir = course_dir / "autograded" / student / assignment
            if (run is not None and not run.success) or not ag_dir.exists():
                if run is not None:
                    row.status.append(f"AUTOGRADE FAILED: {run.reason}; the 0 is not a grade")
                    if run.sandbox is not None:
                        row.ran(run.sandbox)
                        if run.sandbox.get("flags"):
                            row.add_flags({"notebook": run.sandbox["flags"]})
                            row.status.append(f"FLAGGED: {', '.join(run.sandbox['flags'])} "
                                              "(seen by the sandbox)")
                else:
                    why = classify_failure(course_dir / "submitted" / student / assignment)
                    row.status.append(f"NOT GRADED: no autograded notebook ({why}); the 0 "
                                      "is not a grade")
                continue
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                row.status.append("NOT GRADED: no submission in the gradebook")
                continue
            _score_submission(row, sub, ag_dir)
    return rows


def integrity(nb) -> tuple[dict[str, list[str]], dict | None]:
    """An autograded notebook's flags by cell (the judge's, the scan's and the sandbox's)
    and its sandbox summary (None: graded without the sandbox)."""
    meta = nb.metadata.get("deepgrad", {})
    found = {g: list(v["flags"]) for g, v in meta.get("judge", {}).items() if v["flags"]}
    for more in (meta.get("scan", {}), meta.get("flags", {})):
        for g, f in more.items():
            found[g] = found.get(g, []) + [x for x in f if x not in found.get(g, [])]
    return found, meta.get("sandbox")


def _score_submission(row: ReportRow, sub, ag_dir: Path) -> None:
    pending = 0.0
    for snb in sub.notebooks:
        nb_path = ag_dir / f"{snb.name}.ipynb"
        present: set[str] = set()
        timeouts: list[str] = []
        found: dict[str, list[str]] = {}
        if nb_path.exists():
            nb = read_nb(nb_path)
            present = {grade_id(c) for c in nb.cells if grade_id(c)}
            timeouts = _timeouts(nb)
            found, sandbox = integrity(nb)
            row.add_flags(found)
            row.ran(sandbox)
        else:
            row.status.append(f"NOT GRADED: {snb.name}.ipynb missing from autograded/")
        deleted = []
        for g in snb.grades:
            s = float(g.score or 0)
            row.score += s
            if g.cell.cell_type == "code":
                row.auto_score += s
                row.cell_scores[g.name] = s
                row.cell_max[g.name] = float(g.max_score)
                if g.name not in present:
                    deleted.append(g.name)
            elif g.needs_manual_grade and g.manual_score is None:
                pending += g.max_score
        for t in getattr(snb, "tasks", []) or []:
            if t.needs_manual_grade and t.manual_score is None:
                pending += t.max_score
            row.score += float(t.score or 0)
        if deleted:
            row.status.append(f"TEST CELL DELETED: {', '.join(deleted)} missing from "
                              f"{snb.name} (scored 0, flagged for manual grading)")
        flagged = sorted({flag for f in found.values() for flag in f})
        if flagged:
            row.status.append(f"FLAGGED: {', '.join(flagged)} in {snb.name} (the checks did not "
                              "run as written: look at this submission)")
        if timeouts:
            row.status.append(f"TIMED OUT: {'; '.join(timeouts)} interrupted after the time "
                              "limit (an infinite loop?)")
    row.manual_pending = pending
    if pending:
        row.status.append(f"{PENDING} ({pending:g} pts)")


def format_report(rows: Sequence[ReportRow], title: str = "") -> str:
    """The report as a fixed-width table an instructor reads in a terminal."""
    head = ["student", "auto score", "%", "total", "status"]
    body = [[r.student, f"{r.auto_score:g} / {r.auto_max:g}", f"{r.percent:.0f} %",
             f"{r.score:g} / {r.max_score:g}", r.status_text] for r in rows]
    widths = [max(len(x[i]) for x in [head] + body) for i in range(4)]

    def line(cols):
        return "  ".join(c.ljust(w) for c, w in zip(cols[:4], widths)) + "  " + cols[4]
    lines = [title] if title else []
    bare = [r.student for r in rows if r.sandboxed is False]
    if bare:
        lines.append(f"!! {UNSANDBOXED}: {len(bare)} of {len(rows)} students graded without "
                     "the sandbox: their code could read the course (source/, the gradebook, "
                     "other submissions) and the network. See docs/architecture.md.")
    lines.append(line(head))
    lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    lines.extend(line(b) for b in body)
    return "\n".join(lines)


def write_report_csv(rows_by_assignment: dict[str, Sequence[ReportRow]], path) -> Path:
    """One CSV for the rows of one or several assignments."""
    path = Path(path)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_HEADER)
        for assignment, rows in rows_by_assignment.items():
            for r in rows:
                w.writerow(r.csv_row(assignment))
    return path
