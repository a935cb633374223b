"""What a cell of a course notebook is, in nbgrader's own terms.

The predicates are nbgrader's (``nbgrader.utils``); the solution and hidden-test markers
are the delimiters nbgrader's preprocessors are configured with (a line holding
``BEGIN SOLUTION`` ... ``END SOLUTION``, ``BEGIN HIDDEN TESTS`` ... ``END HIDDEN TESTS``,
read from the course's config when given), so these tools and nbgrader always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from nbgrader.utils import determine_grade, is_grade, is_solution, is_task

__all__ = ["Markers", "MARKERS", "grade_id", "is_answer", "is_test", "is_manual", "points",
           "determine_grade"]


@dataclass(frozen=True)
class Markers:
    """The delimiters nbgrader looks for (a line *containing* one of them)."""

    begin_solution: str
    end_solution: str
    begin_hidden: str
    end_hidden: str

    @classmethod
    def from_config(cls, config=None) -> "Markers":
        """nbgrader's defaults, overridden by ``config`` (a traitlets Config) when given."""
        def get(klass, trait):
            default = klass.class_traits()[trait].default_value
            if config is None:
                return default
            return config[klass.__name__].get(trait, default)
        return cls(get(ClearSolutions, "begin_solution_delimeter"),
                   get(ClearSolutions, "end_solution_delimeter"),
                   get(ClearHiddenTests, "begin_test_delimeter"),
                   get(ClearHiddenTests, "end_test_delimeter"))

    def is_marker(self, line: str) -> bool:
        return any(d in line for d in (self.begin_solution, self.end_solution,
                                       self.begin_hidden, self.end_hidden))

    def solution_code(self, source: str) -> str:
        """The solution code of a source cell: the solution marker lines removed."""
        return "\n".join(line for line in source.split("\n")
                         if self.begin_solution not in line and self.end_solution not in line)

    def solution_lines(self, source: str) -> list[str]:
        return _between(source, self.begin_solution, self.end_solution)

    def hidden_lines(self, source: str) -> list[str]:
        return _between(source, self.begin_hidden, self.end_hidden)

    def has_hidden_tests(self, cell) -> bool:
        return cell.get("cell_type") == "code" and self.begin_hidden in cell.get("source", "")


def _between(source: str, begin: str, end: str) -> list[str]:
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            out.append(line)
    return out


#: nbgrader's default delimiters (the course's config does not change them).
MARKERS = Markers.from_config()


def grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id")


def is_answer(cell) -> bool:
    """A cell the student writes in (nbgrader ``solution: true``)."""
    return bool(is_solution(cell))


def is_test(cell) -> bool:
    """An autograder test cell: a graded code cell that is not an answer."""
    return cell.cell_type == "code" and bool(is_grade(cell)) and not is_solution(cell)


def is_manual(cell) -> bool:
    """A manually graded answer or task (a graded markdown cell, or a task cell)."""
    return (cell.cell_type == "markdown" and bool(is_grade(cell))) or bool(is_task(cell))


def points(cell) -> float:
    return float((cell.get("metadata", {}).get("nbgrader", {}) or {}).get("points", 0) or 0)
