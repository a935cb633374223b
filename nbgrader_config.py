"""nbgrader configuration of the deepgrad course (read from the repository root only)."""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "deepgrad"
c.CourseDirectory.root = "."
# Where `nbgrader release_assignment` puts assignments and the Assignment List in JupyterLab
# finds them: a folder of this course (git-ignored), not nbgrader's /srv/nbgrader/exchange,
# which a single machine rarely has. A JupyterHub course sets its shared exchange here.
c.Exchange.root = str(Path(__file__).resolve().parent / ".exchange")
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

# Verdicts decided outside the student's kernel (docs/architecture.md, "The judge outside
# the kernel"): while autograding, the kernel's checks only record what the student's code
# returned, and a judge in the grading process compares that with what the solution
# returned on the same inputs (kept in .deepgrad/expected/, made on first use). Patching the
# checking API or forging a record cannot turn a failing cell into points.
from deepgrad_instructor.outside_judge import use_outside_judge  # noqa: E402

use_outside_judge(c)

# A submission whose graded or locked cells differ from the gradebook's (points, type,
# source) is flagged; nbgrader itself only logs a warning and grades the gradebook's copy.
from deepgrad_instructor.edits import use_edit_flags  # noqa: E402

use_edit_flags(c)

# Sandboxed grading kernel (issue 12; docs/architecture.md, "The sandboxed grading kernel"):
# bubblewrap, no network, only the Python environment and a scratch copy of the student's
# folder visible; memory in use (a memory cgroup), address space, CPU time and processes
# capped; an audit hook reports file access outside the folder, sockets and processes.
# Where bwrap cannot run, grading still works and every report says UNSANDBOXED.
# (`c.Execute.kernel_manager_class` does not work: nbgrader 0.9.6's Execute overrides it.)
from deepgrad_instructor.sandbox import use_sandbox  # noqa: E402

use_sandbox(c)
# c.SandboxedKernelManager.memory_limit = 1024**3         # bytes in use (memory cgroup)
# c.SandboxedKernelManager.address_space_limit = 3 * 1024**3  # RLIMIT_AS, a backstop
# c.SandboxedKernelManager.cpu_limit = 900                # CPU seconds of the whole kernel
# c.SandboxedKernelManager.process_limit = 256            # processes and threads
# c.SandboxedKernelManager.require_sandbox = True         # refuse to grade without it

# `nbgrader export` adds two columns: sandboxed (NO: graded without the sandbox) and flags.
from deepgrad_instructor.plugins import IntegrityCsvExport  # noqa: E402

c.ExportApp.plugin_class = IntegrityCsvExport

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
