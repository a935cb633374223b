"""nbgrader configuration of the deepgrad course (read from the repository root only)."""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "deepgrad"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Every assignment the course has, so `nbgrader` knows them without the formgrader: each
# folder of source/ that holds a notebook (the rule of deepgrad_instructor.course.assignments).
_source = Path(__file__).resolve().parent / "source"  # noqa: F821 (__file__: set by traitlets)
c.CourseDirectory.db_assignments = [
    {"name": p.name} for p in sorted(_source.iterdir())
    if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))]

# The release carries no outputs and no solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell that runs longer than this is interrupted and graded as failed. The longest cell
# of a solution is assignment 3's CNN training (~10 s on 2 cores, ~20 s when the grader
# shares them): 60 s leaves a margin on a slower grading machine, and the notebook tells
# the student the limit.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Feedback shows the student's work and the visible tests, never the hidden ones: neither
# their source (ClearHiddenTests) nor source lines quoted in a traceback (our scrubber).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import ClearHiddenTests, GetGrades  # noqa: E402

from deepgrad_instructor.plugins import ScrubHiddenTestTracebacks  # noqa: E402

c.GenerateFeedback.preprocessors = [
    GetGrades,
    ScrubHiddenTestTracebacks,
    ClearHiddenTests,
    CSSHTMLHeaderPreprocessor,
]
