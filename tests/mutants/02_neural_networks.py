"""Plausible student mistakes in assignment 2, one file per notebook in 02_neural_networks/.

Each file there holds a ``MUTANTS`` list for one notebook of the assignment; this file
gathers them, so the harness and the tests see one list per assignment.
"""

from pathlib import Path

from deepgrad.grading import load_mutants

MUTANTS = [m for path in sorted((Path(__file__).parent / "02_neural_networks").glob("*.py"))
           for m in load_mutants(path)]
