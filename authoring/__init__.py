"""Authoring checks: what a course author runs to trust an assignment before releasing it.

Never installed and never imported by a notebook (students cannot reach it). One job per
module:

- :mod:`.mutants`      plausible student mistakes, as text replacements in solution cells
- :mod:`.submissions`  demo submissions built from ``source/`` and ``release/``
- :mod:`.harness`      one kernel runs a solution once, then each mutant is tried and undone
- :mod:`.leaks`        solution and hidden-test lines, and where they must never appear
- :mod:`.demo`         the demo class graded by the real nbgrader cycle (``make grade``)
- :mod:`.docs`         the generated tables in ``docs/``

Run ``python -m authoring --help`` from the repository root.
"""
