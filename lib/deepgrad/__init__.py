"""deepgrad: the student runtime of the deepgrad course -- what a notebook imports.

Modules, one job each:

- :mod:`deepgrad.check`    the checking API every visible and hidden test goes through
- :mod:`deepgrad.data`     data sets that ship inside packages, with seeded splits
- :mod:`deepgrad.plotting` cost curves, decision boundaries, image grids
- :mod:`deepgrad.kernels`  Numba kernels (cached, precompiled at setup)
- :mod:`deepgrad.widgets`  the interactive demos
- :mod:`deepgrad.layers`   convolution and pooling layers over the kernels
- :mod:`deepgrad.validation` argument validation at the public boundary

The instructor's tools are in the ``deepgrad_instructor`` package (the ``instructor``
extra); the authoring checks (mutants, demo class) live outside the installed packages.

The library never contains the answer to a graded exercise in a form a student could
call instead of writing it.
"""

__version__ = "0.1.0"
