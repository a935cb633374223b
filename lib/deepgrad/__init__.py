"""deepgrad: the helper library of the deepgrad course.

Modules, one job each:

- :mod:`deepgrad.check`    the checking API every visible and hidden test goes through
- :mod:`deepgrad.data`     data sets that ship inside packages, with seeded splits
- :mod:`deepgrad.plotting` cost curves, decision boundaries, image grids
- :mod:`deepgrad.kernels`  Numba kernels (cached, precompiled at setup)
- :mod:`deepgrad.widgets`  the interactive demos
- :mod:`deepgrad.grading`  the instructor's report on an nbgrader grading run

The library never contains the answer to a graded exercise in a form a student could
call instead of writing it.
"""

__version__ = "0.1.0"
