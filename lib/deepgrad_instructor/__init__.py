"""deepgrad_instructor: the instructor's tools around nbgrader.

Installed with the ``instructor`` extra (``pip install -e "lib[instructor]"``), which brings
nbgrader and nbclient; a student's notebook never imports it. One job per module:

- :mod:`.course`   the course directory: its config, nbgrader's API on it, its assignments
- :mod:`.cells`    what a cell is (answer, test, manual), with nbgrader's own predicates
- :mod:`.plugins`  nbgrader preprocessors named in ``nbgrader_config.py``
- :mod:`.cycle`    the grading cycle: collect, autograde, feedback, export
- :mod:`.report`   per student, the score *and* whether the submission is broken
- :mod:`.release`  regenerate ``release/`` from ``source/`` (and check it is not stale)
- :mod:`.sandbox`  the grading kernel under bubblewrap (``use_sandbox(c)``; not on by default)
- :mod:`.cli`      the ``deepgrad`` command

Nothing in here knows an answer: solutions are read from ``source/`` at run time.
"""
