"""The language model notebook's recommended recipe meets its quality bar for five seeds.

The recipe is the solution of source/05_rnn/language_model.ipynb (its answer cells with their
solution and the given model cell, exec'd in a fresh namespace by tests/support/solutions.py).
For seeds 0..4, each seed choosing both the split of the census names (``data.load_names``) and
the training run (initialisation and shuffling), the LSTM's test loss per character (natural
log, end token included) must be at least 0.3 nats below the add-k bigram's (k = 0.1) counted
on the same training split, and the training cell must finish within the notebook's 60 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from authoring.submissions import solution_notebook
from deepgrad import data, recurrent
from deepgrad_instructor.cells import grade_id
from deepgrad_instructor.course import read_nb
from tests.support.solutions import solution_namespace

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "source" / "05_rnn" / "language_model.ipynb"
FUNCTIONS = ("build_vocabulary", "encode", "embedding_backward", "lm_loss", "bigram_model", "model")
SEED_LINE = "names_max_epochs, names_patience, names_seed = 8, 2, 0"
BAR = 0.3


def _train_cell() -> str:
    for cell in solution_notebook(read_nb(NOTEBOOK)).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader") and grade_id(cell) == "train_names":
            return cell.source
    raise AssertionError("no train_names cell")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_recipe_beats_the_bigram(seed, capsys):
    ns = solution_namespace(NOTEBOOK, FUNCTIONS, {"recurrent": recurrent, "time": time})
    split = data.load_names(seed=seed)
    c2i = ns["build_vocabulary"](split.train)
    V = len(c2i)
    train, val, test = (ns["encode"](names, c2i) for names in (split.train, split.validation, split.test))
    P = ns["bigram_model"](*train, V, 0.1)
    bigram = ns["lm_loss"](np.log(P)[:, test[0]], test[1], test[2])[0]
    source = _train_cell()
    assert source.count(SEED_LINE) == 1
    ns.update(V=V, train_data=train, validation_data=val, test_data=test)
    t0 = time.perf_counter()
    exec(compile(source.replace(SEED_LINE, SEED_LINE[:-1] + str(seed)), "<train_names>", "exec"), ns)
    seconds = time.perf_counter() - t0
    lstm = ns["names_test_loss"]
    with capsys.disabled():
        print(f"\nseed {seed}: bigram {bigram:.4f}, LSTM {lstm:.4f}, gap {bigram - lstm:.3f} nats per "
              f"character, {len(ns['names_history'])} epochs, {seconds:.1f} s")
    assert bigram - lstm >= BAR, (seed, bigram, lstm)
    assert seconds < 60
