"""The checking API: every visible and hidden test of the course goes through it.

A test cell reads like a sentence::

    from deepgrad import check
    check.returns(sigmoid, args=(np.array([-1000.0, 0.0, 1000.0]),),
                  expected=np.array([0.0, 0.5, 1.0]),
                  mistakes=[check.Mistake("...", value=...)])

How it works, in three steps that are kept apart on purpose:

1. **Collect** -- a check calls the student's function on *copies* of the inputs, with
   warnings and stderr captured (nbgrader scores a cell that writes to stderr 0), and
   records a :class:`Case`: the function, its named inputs, what it returned or raised,
   and what was expected.
2. **Judge** -- a :class:`Judge` turns the case into a :class:`Verdict` (problems and
   hints, as data). The default, :class:`InKernelJudge`, compares inside the student's
   kernel with numpy functions captured at import. :func:`use_judge` and
   :func:`judged_by` let another judge decide (for example one outside the kernel)
   without rewriting a single test.
3. **Report** -- a failing verdict is rendered, last, into a :class:`CheckFailure`
   naming the function, the inputs, expected vs got and the hints. Its traceback shows
   only that message, so a hidden test cannot leak through it.

Nothing here writes to stderr. The modules, one job each:

- ``records``   Mistake, Case, Verdict, Hint, CheckFailure, the Judge protocol, HIDDEN
- ``recording`` RecordingJudge (while grading: record, decide outside); ``wire``: its
  JSON format
- ``safe``      the tamper-resistant primitives (numpy captured at import)
- ``capture``   the guarded call of the student's code
- ``compare``   one comparator per check kind; ``hints``: generic and known mistakes
- ``judge``     InKernelJudge, use_judge, judged_by; ``render``: the report
- ``api``       returns, value, at_least, raises; ``gradients``: gradient;
  ``forbid``: forbidding
"""

from .api import at_least, raises, returns, value
from .forbid import forbidding
from .gradients import gradient
from .judge import InKernelJudge, judged_by, use_judge
from .records import HIDDEN, Case, CheckFailure, Judge, Mistake, Verdict

__all__ = [
    "HIDDEN",
    "CheckFailure",
    "Mistake",
    "Case",
    "Verdict",
    "Judge",
    "InKernelJudge",
    "use_judge",
    "judged_by",
    "returns",
    "value",
    "at_least",
    "raises",
    "gradient",
    "forbidding",
]
