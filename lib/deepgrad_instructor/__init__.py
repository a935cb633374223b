"""deepgrad_instructor: the instructor's tools around nbgrader.

Installed with the ``instructor`` extra (``pip install -e "lib[instructor]"``), which brings
nbgrader and nbclient; a student's notebook never imports it. One job per module:

- :mod:`.course`   the course directory: its config, nbgrader's API on it, its assignments
- :mod:`.cells`    what a cell is (answer, test, manual), with nbgrader's own predicates
- :mod:`.plugins`  nbgrader preprocessors and the export named in ``nbgrader_config.py``
- :mod:`.cycle`    the grading cycle: collect, autograde, feedback, export
- :mod:`.report`   per student, the score *and* whether the submission is broken or flagged
- :mod:`.release`  regenerate ``release/`` from ``source/`` (and check it is not stale)
- :mod:`.expectations`, :mod:`.references`, :mod:`.judging`, :mod:`.outside_judge`
                   the hidden checks' verdicts, decided outside the student's kernel
- :mod:`.scan`     a static scan of the student's own cells for tampering
- :mod:`.edits`    flags graded or locked cells that differ from the gradebook's
- :mod:`.sandbox`  the grading kernel under bubblewrap, with cgroups (``use_sandbox(c)``)
- :mod:`.audited_kernel`  the sandboxed kernel's entry point, with an audit hook
- :mod:`.cli`      the ``deepgrad`` command

Nothing in here knows an answer: solutions are read from ``source/`` at run time.
"""
