"""The demo class: who hands in what (used by tests/demo/grade_demo.py and tests/pipeline).

Every assignment gets the same honest and broken students; the wrong ones are built from
the assignment's mutants (tests/mutants/<assignment>.py), by mutant name. An assignment
not listed in WRONG gets two automatic wrong students (one mutant; two mutants in two
different cells), so a new assignment plugs in with no edit here. Prefer mutants that
keep the notebook fast (a mutant that makes training crawl costs the per-cell timeout).
"""

WRONG = {
    "01_logistic_regression": {
        "wrong_sigmoid": ["sigmoid_naive_exp"],
        # a wrong gradient sign also spoils every training cell below it
        "wrong_cost_and_grads": ["cost_no_divide_by_m", "grads_sign"],
        "wrong_features": ["quad_no_cross_term"],
        # NameErrors in hidden test cells: their tracebacks must not quote the hidden code
        "wrong_renamed_function": ["sigmoid_renamed"],
    },
    "03_cnn": {
        # two naive layers wrong; the training cell below them does not use them
        "wrong_conv_layers": ["fwd_pad_one_side", "poolb_every_cell"],
        # gradient ascent: the CNN trains away from the labels (its accuracy check fails)
        "wrong_momentum": ["mom_plus"],
    },
}

# Built from the solution by deepgrad.grading (see build_submissions in grade_demo.py).
BROKEN = ["deleted_test_cell", "corrupted", "dead_kernel", "infinite_loop"]

HONEST = ["solution", "blank"]
