"""Tests of deepgrad.check: the API every test cell of the course goes through.

Nothing the checks do may reach stderr (nbgrader scores such a cell 0), so most tests
run inside ``silent()``, which fails if a warning is emitted or stderr is written to.
"""

from __future__ import annotations

import contextlib
import io
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from deepgrad import check
from deepgrad.check import CheckFailure, Mistake
from deepgrad.check.compare import COMPARATORS
from deepgrad.check.records import Hint
from deepgrad.check.render import hint_texts
from tests.support.strategies import array_shapes


@contextlib.contextmanager
def silent():
    """Fail if anything inside emits a warning or writes to sys.stderr."""
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]
    assert err.getvalue() == ""


def failure(fn, *args, **kwargs) -> str:
    """Run a check that must fail; return its message (checking nothing leaks)."""
    with silent():
        with pytest.raises(CheckFailure) as info:
            fn(*args, **kwargs)
    return info.value.message


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


Z = np.array([-1000.0, 0.0, 1000.0])
SIG = np.array([0.0, 0.5, 1.0])


# ----------------------------------------------------------------------------- passing
def test_correct_function_passes_without_output(capfd):
    with silent():
        check.returns(sigmoid, (Z,), expected=SIG)  # exp(-1000) underflows: not a warning
        check.returns(lambda x, y: x @ y, (np.eye(2),), {"y": np.ones((2, 1))},
                      expected=np.ones((2, 1)), name="matmul")
        check.returns(lambda: (np.ones((2, 1)), 3.0), expected=(np.ones((2, 1)), 3.0),
                      outputs=("dw", "db"), name="grads")
        check.returns(lambda: {"W": np.zeros((2, 3)), "b": np.zeros((2, 1))},
                      expected={"W": np.zeros((2, 3)), "b": np.zeros((2, 1))}, name="init")
        check.returns(lambda: np.float64(0.25), expected=0.25, name="cost")
        check.returns(lambda: np.array(0.25), expected=0.25, name="cost")  # 0-d is a number
        check.returns(lambda: float("nan"), expected=float("nan"), name="nan")
        check.returns(lambda: np.array([np.nan, np.inf]), expected=np.array([np.nan, np.inf]),
                      name="nan")
        check.value("w", np.ones(3), np.ones(3))
        check.at_least("accuracy", 0.93, 0.9)
        check.raises(lambda x: int("x"), (1,), exception=ValueError, name="parse")
    assert capfd.readouterr().err == ""


def test_tolerances_are_respected():
    with silent():
        check.returns(lambda: 1.0 + 1e-8, expected=1.0, name="f")
        check.returns(lambda: 1.05, expected=1.0, rtol=0.1, name="f")
    failure(check.returns, lambda: 1.05, expected=1.0, name="f")
    failure(check.returns, lambda: 1.0 + 1e-3, expected=1.0, rtol=1e-6, name="f")


def test_function_receives_copies_and_test_inputs_stay_intact():
    x = np.arange(3.0)
    seen = []

    def f(a):
        seen.append(a)
        return a * 2

    with silent():
        check.returns(f, (x,), expected=x * 2)
    assert seen[0] is not x


# ----------------------------------------------------------------------------- messages
def test_message_names_function_inputs_expected_and_got():
    msg = failure(check.returns, lambda z: 1 / (1 + np.exp(z)), (np.array([0.0, 2.0]),),
                  expected=naive_sigmoid(np.array([0.0, 2.0])), name="sigmoid")
    assert msg.startswith("sigmoid is not right yet.")
    assert "Called with:" in msg and "z = [0., 2.]" in msg
    assert "1 of 2 values differ" in msg
    assert "at index (1,): expected 0.880797, got 0.119203" in msg
    assert "Expected:" in msg and "Got:" in msg


def test_shape_and_dtype_problems_are_named():
    msg = failure(check.returns, lambda: np.zeros((3, 2)), expected=np.zeros((2, 4)),
                  name="f")
    assert "expected shape (2, 4), got shape (3, 2)" in msg
    msg = failure(check.returns, lambda: np.array([1, 2]), expected=np.array([1.0, 2.0]),
                  name="f")
    assert "expected an array of floats, got dtype int64" in msg


def test_integers_are_written_as_integers():
    msg = failure(check.returns, lambda: 200704.0, expected=200960, name="flops")
    assert "flops(...): expected 200960, got 200704\n" in msg
    msg = failure(check.returns, lambda: 200960.4, expected=np.int64(200960), rtol=0,
                  name="flops")
    assert "expected 200960, got 200960.4\n" in msg
    msg = failure(check.returns, lambda: (73728, 9344), expected=(73728, 8768),
                  outputs=("params", "separable_params"), name="cost")
    assert "separable_params: expected 8768, got 9344\n" in msg
    msg = failure(check.returns, lambda: np.array([3, 5]), expected=np.array([3, 4]),
                  name="sizes")
    assert "at index (1,): expected 4, got 5\n" in msg
    msg = failure(check.returns, lambda: float("nan"), expected=7, name="n")
    assert "n(...): expected 7, got nan" in msg
    # floats keep their rendering
    msg = failure(check.returns, lambda: 200704.0, expected=200960.0, name="flops")
    assert "expected 200960.0, got 200704.0" in msg


def test_nested_tuples_and_lists_are_written_out():
    layers = [(5, 1), (2, 2), (5, 1), (2, 2)]
    msg = failure(check.returns, lambda layers: 11, (layers,), expected=16, name="rf")
    assert "  layers = [(5, 1), (2, 2), (5, 1), (2, 2)]\n" in msg
    rows = [((28, 28, 6), 156, 117600), ((14, 14, 6), 0, 4704)]
    wrong = [((27, 27, 6), 156, 117600), ((14, 14, 6), 0, 4704)]
    msg = failure(check.returns, lambda: wrong, expected=rows, name="table")
    assert ("table(...)[0]: expected ((28, 28, 6), 156, 117600), got ((27, 27, 6), 156, "
            "117600)") in msg
    assert "    [0] = ((28, 28, 6), 156, 117600)\n" in msg  # Expected
    assert "    [0] = ((27, 27, 6), 156, 117600)\n" in msg  # Got
    msg = failure(check.value, "cfg", {"a": [(1, 2)], "b": (3,)}, {"a": [(1, 2)], "b": (4,)})
    assert "cfg['b']: expected (4,), got (3,)" in msg
    # too deep or too long: said by what it is
    deep = ((((((1,),),),),),)
    assert "<a tuple of length 1>" in failure(check.returns, lambda: deep, expected=(1.0,),
                                               name="f")
    msg = failure(check.returns, lambda x: 1.0, ([tuple(range(40))],), expected=2.0, name="f")
    assert "x = [(0, 1, 2, 3, 4, 5, 6, 7, ...)]" in msg  # 8 items at most, as at the top
    msg = failure(check.returns, lambda x: 1.0, ([("a" * 40,) * 3],), expected=2.0, name="f")
    assert "x = [<a tuple of length 3>]" in msg


def test_many_differences_are_summarised():
    msg = failure(check.returns, lambda: np.zeros((10, 10)), expected=np.ones((10, 10)),
                  name="f")
    assert "100 of 100 values differ" in msg and "... and 95 more" in msg
    assert len(msg) < 2000


def test_render_traceback_is_just_the_message():
    with pytest.raises(CheckFailure) as info:
        check.returns(lambda: 2.0, expected=1.0, name="f")
    lines = info.value._render_traceback_()
    assert lines[0] == "CheckFailure: f is not right yet."
    assert "\n".join(lines)[len("CheckFailure: "):] == info.value.message
    assert not any("Traceback" in line or "test_check" in line for line in lines)
    assert isinstance(info.value, AssertionError)
    assert info.value.__suppress_context__ or info.value.__context__ is None


def test_not_callable_is_reported():
    msg = failure(check.returns, None, expected=1.0, name="sigmoid")
    assert "sigmoid is not a function" in msg
    msg = failure(check.raises, 3, exception=ValueError, name="f")
    assert "f is not a function" in msg


def test_args_that_are_not_a_tuple_are_a_test_cell_error():
    with pytest.raises(TypeError, match=r"args=\(z,\)"):
        check.returns(sigmoid, args=(Z), expected=SIG)
    with pytest.raises(TypeError, match="kwargs"):
        check.raises(sigmoid, kwargs=[Z], exception=ValueError)


# ----------------------------------------------------------------------------- hints
def test_mistake_value_hint_is_shown_only_when_it_matches():
    hint = "did you forget to divide by m?"
    msg = failure(check.returns, lambda: 8.0, expected=2.0, name="cost",
                  mistakes=[Mistake(hint, value=8.0), Mistake("other", value=3.0)])
    assert "Hint: " + hint in msg and "other" not in msg
    assert "times the expected" not in msg  # a matched mistake replaces generic hints


def test_mistake_transform_hint():
    hint = "is the minus sign missing?"
    mistakes = [Mistake(hint, transform=lambda e: -e)]
    msg = failure(check.returns, lambda: -np.array([[1.0, 2.0]]),
                  expected=np.array([[1.0, 2.0]]), name="f", mistakes=mistakes)
    assert "Hint: " + hint in msg
    msg = failure(check.returns, lambda: (1.0, -2.0), expected=(1.0, 2.0), name="f",
                  outputs=("a", "b"),
                  mistakes=[Mistake("b sign", transform=lambda e: (e[0], -e[1]))])
    assert "Hint: b sign" in msg


def test_broken_mistakes_are_ignored():
    msg = failure(check.returns, lambda: 2.0, expected=1.0, name="f",
                  mistakes=[Mistake("boom", transform=lambda e: 1 / 0)])
    assert "boom" not in msg


def test_mistake_shape_hint_fires_on_that_shape_only():
    hint = "the output size is (n - f) // s + 1: did you forget the + 1?"
    mistakes = [Mistake(hint, shape=(2, 4, 4, 3))]
    msg = failure(check.returns, lambda: np.zeros((2, 4, 4, 3)),
                  expected=np.ones((2, 5, 5, 3)), name="conv", mistakes=mistakes)
    assert "Hint: " + hint in msg
    assert msg.count("Hint:") == 1  # a matched mistake replaces the generic hints
    for got in (np.zeros((2, 6, 6, 3)), np.zeros((2, 5, 5, 3)), [[0.0] * 3] * 4):
        msg = failure(check.returns, lambda: got, expected=np.ones((2, 5, 5, 3)),
                      name="conv", mistakes=mistakes)
        assert hint not in msg
    msg = failure(check.value, "out", np.zeros((3, 1)), np.ones(3),
                  mistakes=[Mistake("keepdims=True where none is wanted", shape=[3, 1])])
    assert "Hint: keepdims=True where none is wanted" in msg


def test_mistake_shape_names_one_output():
    dw, db = np.ones((4, 3, 3, 2)), np.ones(4)
    hint = "db has one entry per filter: sum dout over axes 0, 1 and 2"
    for output in ("db", 1):
        msg = failure(check.returns, lambda: (dw, np.ones((2, 3, 3, 4))), expected=(dw, db),
                      outputs=("dw", "db"), name="grads",
                      mistakes=[Mistake(hint, shape=(2, 3, 3, 4), output=output)])
        assert "Hint: " + hint in msg
    # a dict output by its key; no hint when another output has that shape
    msg = failure(check.returns, lambda: {"W": np.zeros((3, 2)), "b": np.zeros((3, 2))},
                  expected={"W": np.zeros((2, 3)), "b": np.zeros((3, 1))}, name="init",
                  mistakes=[Mistake("b is a column", shape=(3, 2), output="b"),
                            Mistake("W is transposed", shape=(3, 2), output="W")])
    assert "Hint: b is a column" in msg and "Hint: W is transposed" in msg
    msg = failure(check.returns, lambda: (np.ones((2, 3, 3, 4)), db), expected=(dw, db),
                  outputs=("dw", "db"), name="grads",
                  mistakes=[Mistake(hint, shape=(2, 3, 3, 4), output="db")])
    assert hint not in msg


def test_mistake_needs_exactly_one_of_value_transform_shape():
    for kwargs in ({}, {"value": 1.0, "shape": (2,)},
                   {"value": 1.0, "transform": abs, "shape": (2,)}):
        with pytest.raises(ValueError, match="exactly one of value=, transform= and shape="):
            Mistake("hint", **kwargs)
    with pytest.raises(ValueError, match="got value= and shape="):
        Mistake("hint", value=1.0, shape=(2,))
    with pytest.raises(ValueError, match="output= only goes with shape="):
        Mistake("hint", value=1.0, output="db")
    with pytest.raises(TypeError, match="shape must be a tuple of ints"):
        Mistake("hint", shape=3)
    with pytest.raises(ValueError, match=r"shape\[1\]"):
        Mistake("hint", shape=(2, -1))
    with pytest.raises(TypeError, match="transform must be a function"):
        Mistake("hint", transform=3.0)
    with pytest.raises(TypeError, match="hint must be a str"):
        Mistake(None, value=1.0)
    assert Mistake("h", shape=[np.int64(2), 3]).shape == (2, 3)


def test_mistake_shape_errors_in_the_test_cell_are_raised_at_once():
    expected = (np.ones((2, 1)), 1.0)
    names = r"output='dz' names no output of this check: give one of \['dw', 'db'\] or "
    with pytest.raises(ValueError, match=names + "an index from 0 to 1"):
        check.returns(lambda: expected, expected=expected, outputs=("dw", "db"),
                      mistakes=[Mistake("h", shape=(3,), output="dz")])
    with pytest.raises(ValueError, match="single output"):
        check.value("v", np.ones(2), np.ones(2), mistakes=[Mistake("h", shape=(3,), output=0)])
    with pytest.raises(ValueError, match=r"Mistake\(shape=\(2, 1\)\) is the expected shape"):
        check.returns(lambda: expected, expected=expected, outputs=("dw", "db"),
                      mistakes=[Mistake("h", shape=(2, 1), output="dw")])
    with pytest.raises(TypeError, match="mistakes must hold check.Mistake"):
        check.value("v", 1.0, 1.0, mistakes=["forgot 1/m?"])


@pytest.mark.parametrize("got, expected, words", [
    (np.ones((3, 2)), np.ones((2, 3)), "transposed shape (3, 2)"),
    (-np.arange(1.0, 5.0).reshape(2, 2), np.arange(1.0, 5.0).reshape(2, 2), "opposite sign"),
    (-0.7, 0.7, "opposite sign"),
    (np.arange(1.0, 5.0) * 4, np.arange(1.0, 5.0), "every value is 4 times"),
    (np.arange(1.0, 5.0) / 8, np.arange(1.0, 5.0), "every value is 1/8 of"),
    (2.4, 0.3, "your value is 8 times"),
    (0.3 / 5, 0.3, "your value is 1/5 of"),
    (np.ones((4, 4)), np.ones((1, 4)), "broadcasting a (1, m) array against an (m, 1)"),
    (np.ones((3, 3)), np.ones((3, 1)), "broadcasting an (n, 1) array against a (1, n)"),
    (np.ones(4), np.ones((1, 4)), "your output is 1-D (4,); keep it 2-D (1, 4)"),
])
def test_generic_hints(got, expected, words):
    msg = failure(check.returns, lambda: got, expected=expected, name="f")
    assert "Hint: " in msg and words in msg


@pytest.mark.parametrize("got, expected, hint", [
    ((2, 4, 4, 3), (2, 5, 5, 3), "axes 1 and 2 have one entry too few (4 instead of 5)"),
    ((5, 5, 5, 3), (2, 5, 5, 3), "axis 0 has 3 entries too many (5 instead of 2)"),
    ((3, 6, 4), (2, 5, 4), "axis 0 has one entry too many (3 instead of 2); axis 1 has "
                           "one entry too many (6 instead of 5)"),
    ((3, 1), (3,), "one axis too many: (3, 1) instead of (3,), an extra axis of length 1 "
                   "(drop it with a reshape, or leave out keepdims=True)"),
    ((1, 3, 1), (3,), "2 axes too many: (1, 3, 1) instead of (3,), extra axes of length 1 "
                      "(drop them with a reshape, or leave out keepdims=True)"),
    ((4,), (1, 1, 1, 4), "3 axes too few: (4,) instead of (1, 1, 1, 4), missing axes of "
                         "length 1 (add them with a reshape, or keepdims=True)"),
    ((2, 3), (2, 3, 1), "one axis too few: (2, 3) instead of (2, 3, 1), a missing axis of "
                        "length 1 (add it with a reshape, or keepdims=True)"),
    ((2, 3, 5, 5), (2, 5, 5, 3), "the right axis lengths in another order: (2, 3, 5, 5) "
                                 "instead of (2, 5, 5, 3); check which axis holds what "
                                 "(np.transpose?)"),
    ((2, 3), (3,), "one axis too many: (2, 3) instead of (3,), axis 0 is extra (not summed "
                   "over it?)"),
    ((5, 5, 3), (3,), "2 axes too many: (5, 5, 3) instead of (3,), axes 0 and 1 are extra "
                      "(not summed over them?)"),
    ((4, 3), (4,), "one axis too many: (4, 3) instead of (4,), axis 1 is extra (not summed "
                   "over it?)"),
    ((3, 3, 3), (3,), "2 axes too many: (3, 3, 3) instead of (3,) (not summed over the "
                      "extra axes?)"),
    ((3,), (2, 3), "one axis too few: (3,) instead of (2, 3), axis 0 is missing (summed "
                   "over it by mistake?)"),
    ((3,), (3, 3, 3), "2 axes too few: (3,) instead of (3, 3, 3) (summed over axes that "
                      "should stay?)"),
])
def test_shape_hints_say_which_axis_is_off_and_by_how_much(got, expected, hint):
    verdict, msg = verdict_of(check.returns, lambda: np.zeros(got),
                              expected=np.ones(expected), name="f")
    assert f"expected shape {expected}, got shape {got}" in msg  # the problem is unchanged
    assert verdict.hints == [Hint("axes", hint)]
    assert msg.endswith("\nHint: " + hint)


def test_shape_hints_stay_quiet_when_nothing_lines_up():
    for got, expected in (((2, 3), (4, 5, 6)), ((6,), (2, 2, 3)), ((2, 3, 4), (2, 4))):
        verdict, _ = verdict_of(check.returns, lambda: np.zeros(got),
                                expected=np.ones(expected), name="f")
        assert verdict.hints == []
    # the more specific 2-D hints are not repeated axis by axis
    verdict, _ = verdict_of(check.returns, lambda: np.zeros((3, 2)), expected=np.ones((2, 3)),
                            name="f")
    assert [h.kind for h in verdict.hints] == ["transposed"]
    msg = failure(check.returns, lambda: (np.ones(2), np.zeros((4, 1))),
                  expected=(np.ones(2), np.ones((3, 1))), outputs=("dw", "db"), name="g")
    assert "Hint: db: axis 0 has one entry too many (4 instead of 3)" in msg


def test_generic_hints_name_the_output_when_there_are_several():
    expected = (np.array([[-0.25], [0.5]]), 0.25)
    msg = failure(check.returns, lambda: (expected[0] * 3, 0.75), expected=expected,
                  outputs=("dw", "db"), name="grads")
    assert "Hint: dw, db are all 3 times the expected values" in msg
    assert msg.count("Hint:") == 1
    msg = failure(check.returns, lambda: (expected[0] * 3, -0.25), expected=expected,
                  outputs=("dw", "db"), name="grads")
    assert "Hint: dw: every value is 3 times" in msg
    assert "Hint: db: your output has the opposite sign" in msg


def test_factor_hint_names_the_input_axis_it_is_the_length_of():
    x, w = np.ones((2, 5, 5, 3)), np.ones((4, 2, 2, 3))
    db = np.arange(1.0, 5.0)
    msg = failure(check.returns, lambda x, w: db * 3, (x, w), expected=db, name="db")
    assert ("Hint: every value is 3 times the expected one; 3 is x.shape[3] and w.shape[3] "
            "(an axis you summed over or divided by?)") in msg
    msg = failure(check.returns, lambda x, w: db / 5, (x, w), expected=db, name="db")
    assert ("Hint: every value is 1/5 of the expected one; 3 is" not in msg
            and "1/5 of the expected one; 5 is x.shape[1] and x.shape[2] (an axis" in msg)
    A, Y = np.full((1, 4), 0.5), np.ones((1, 4))
    msg = failure(check.returns, lambda A, Y: 8.0, (A, Y), expected=2.0, name="cost")
    assert ("Hint: your value is 4 times the expected one; 4 is A.shape[1] and Y.shape[1] "
            "(an axis you summed over or divided by?)") in msg
    # an array inside a dict input; several outputs said together
    verdict, msg = verdict_of(check.returns, lambda p: (DW * 7, 1.75),
                              ({"W": np.ones((7, 1))},), expected=(DW, 0.25),
                              outputs=("dw", "db"), name="grads")
    assert [h.factor_axes for h in verdict.hints] == [("p['W'].shape[0]",)] * 2
    assert ("Hint: dw, db are all 7 times the expected values; 7 is p['W'].shape[0] (an "
            "axis you summed over or divided by?)") in msg


def test_factor_hint_names_the_int_argument_it_is_first():
    x = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    verdict, msg = verdict_of(check.returns, lambda x, size, stride: x / 2, (x, 2, 1),
                              expected=x, name="pool")
    assert (verdict.hints[0].factor_args, verdict.hints[0].factor_axes) == (("size",), ())
    assert msg.endswith("Hint: every value is 1/2 of the expected one; 2 is size (a missing "
                        "or extra factor?)")
    msg = failure(check.returns, lambda x, size, stride: x * 2, (x, np.int64(2), 2),
                  expected=x, name="pool")
    assert msg.endswith("every value is 2 times the expected one; 2 is size and stride (a "
                        "missing or extra factor?)")
    msg = failure(check.returns, lambda x, flag: x * 2, (x, True), expected=x, name="f")
    assert "2 is flag" not in msg  # a bool is not a number here


def test_factor_hint_keeps_the_usual_end_when_no_input_axis_is_the_factor():
    x = np.ones((2, 2, 2, 2, 2))  # 2 is the length of five axes: that names none
    msg = failure(check.returns, lambda x: DW * 2, (x,), expected=DW, name="f")
    assert msg.endswith("Hint: every value is 2 times the expected one: a missing or extra "
                        "scale factor (1/m? the learning rate? a factor 2?)")
    msg = failure(check.returns, lambda x: DW * 3, (np.ones((2, 4)),), expected=DW, name="f")
    assert msg.endswith("every value is 3 times the expected one: a missing or extra "
                        "scale factor (1/m? the learning rate? a factor 2?)")
    msg = failure(check.returns, lambda x: DW * 2.37, (np.ones((2, 4)),), expected=DW,
                  name="f")
    assert "2.37 times the expected one: a missing or extra scale factor" in msg


def test_factor_of_sqrt2_is_named():
    w = np.arange(1.0, 5.0)
    msg = failure(check.returns, lambda n: w / np.sqrt(2), (4,), expected=w, name="init")
    assert msg.endswith("Hint: every value is 1/√2 of the expected one: a factor 2 missing "
                        "or extra under a square root?")
    msg = failure(check.returns, lambda: 0.3 * np.sqrt(2), expected=0.3, name="f")
    assert msg.endswith("Hint: your value is √2 times the expected one: a factor 2 missing "
                        "or extra under a square root?")


def test_no_misleading_factor_hint_for_unrelated_numbers():
    msg = failure(check.returns, lambda: 0.4137, expected=0.3, name="cost")
    assert "Hint" not in msg


def test_scalar_expected_but_1x1_array_fails_with_hint():
    msg = failure(check.returns, lambda: np.array([[0.5]]), expected=0.5, name="cost")
    assert "expected a number, got an array of shape (1, 1)" in msg
    assert "float(...)" in msg
    failure(check.returns, lambda: np.array([0.5]), expected=0.5, name="cost")
    failure(check.value, "cost", [0.5], 0.5)
    failure(check.returns, lambda: 0.5, expected=np.array([[0.5]]), name="f")


def test_multiple_outputs():
    msg = failure(check.returns, lambda: (np.ones((2, 1)), 1.0),
                  expected=(np.ones((2, 1)), 2.0), outputs=("dw", "db"), name="propagate")
    assert "db: expected 2.0, got 1.0" in msg and "dw:" not in msg.split("Expected")[0]
    msg = failure(check.returns, lambda: np.ones((2, 1)), expected=(np.ones((2, 1)), 2.0),
                  outputs=("dw", "db"), name="propagate")
    assert "expected 2 values (dw, db), got an array of shape (2, 1)" in msg
    msg = failure(check.returns, lambda: (1.0, 2.0, 3.0), expected=(1.0, 2.0), name="f")
    assert "expected 2 values (f(...)[0], f(...)[1]), got a tuple of length 3" in msg


def test_dict_outputs():
    msg = failure(check.returns, lambda: {"W": np.zeros((2, 3))},
                  expected={"W": np.zeros((3, 2)), "b": np.zeros((3, 1))}, name="init")
    assert "no key(s) 'b'" in msg and "init(...)['W']: expected shape (3, 2)" in msg


# ----------------------------------------------------------------------------- warnings
def test_overflow_warning_fails_with_explanation_and_never_reaches_stderr(capfd):
    msg = failure(check.returns, naive_sigmoid, (Z,), expected=SIG)
    assert "RuntimeWarning: overflow encountered in exp" in msg
    assert "stderr" in msg and "Hint: np.exp overflows" in msg
    assert "(line " in msg
    assert capfd.readouterr().err == ""


def test_warnings_warn_and_prints_to_stderr_fail(capfd):
    def warns(x):
        warnings.warn("careful")
        return x

    def prints(x):
        print("debug", file=sys.stderr)
        return x

    assert "UserWarning: careful" in failure(check.returns, warns, (1.0,), expected=1.0)
    assert "printed to stderr" in failure(check.returns, prints, (1.0,), expected=1.0)
    assert capfd.readouterr().err == ""


def test_log_of_zero_gets_a_hint():
    msg = failure(check.returns, lambda p: -np.log(p).mean(), (np.array([0.0, 1.0]),),
                  expected=0.0, name="cost")
    assert "divide by zero encountered in log" in msg and "Hint: np.log(0)" in msg


# ----------------------------------------------------------------------------- in place
def test_input_modified_in_place_is_reported():
    def normalize(x):
        x -= x.mean()
        return x

    x = np.array([1.0, 2.0, 3.0])
    msg = failure(check.returns, normalize, (x,), expected=np.array([-1.0, 0.0, 1.0]))
    assert "modified its input(s) x in place" in msg
    assert (x == [1.0, 2.0, 3.0]).all()

    def update(params, lr):
        params["W"] -= lr
        return params

    msg = failure(check.returns, update, ({"W": np.ones(2)}, 0.5),
                  expected={"W": np.full(2, 0.5)})
    assert "modified its input(s) params in place" in msg


def test_unchanged_inputs_with_nan_are_not_reported():
    with silent():
        check.returns(lambda x, d: 1.0, (np.array([np.nan, 1.0]), {"a": [float("nan")]}),
                      expected=1.0, name="f")


# ----------------------------------------------------------------------------- exceptions
def _helper(x):
    return x.T @ undefined_name  # noqa: F821


def student_fn(x):
    return _helper(x) + 1


def test_exception_shows_only_student_frames():
    msg = failure(check.returns, student_fn, (np.ones(2),), expected=1.0)
    assert "it raised an exception" in msg
    assert "NameError" in msg and "undefined_name" in msg
    assert "in student_fn" in msg and "in _helper" in msg
    assert "deepgrad/check/" not in msg and "in returns" not in msg
    assert "in guarded_call" not in msg
    assert "test_exception_shows_only_student_frames" not in msg  # the test cell's frame


def test_not_implemented_error_is_friendly():
    def sigmoid_todo(z):
        raise NotImplementedError()

    def model(x):
        return sigmoid_todo(x)

    msg = failure(check.returns, sigmoid_todo, (Z,), expected=SIG)
    assert "it is not written yet: replace `raise NotImplementedError()`" in msg
    assert "Traceback" not in msg
    msg = failure(check.returns, model, (Z,), expected=SIG)
    assert "it calls sigmoid_todo, which is not written yet" in msg
    msg = failure(check.raises, sigmoid_todo, (Z,), exception=ValueError)
    assert "not written yet" in msg


def test_system_exit_is_reported_not_propagated():
    msg = failure(check.returns, lambda: sys.exit(1), expected=1.0, name="f")
    assert "SystemExit" in msg


# ----------------------------------------------------------------------------- cheating
class AlwaysEqual:
    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False  # noqa: E731
    __array_priority__ = 1000


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)


SneakyFloat = type("float", (float,), {"__module__": "builtins",
                                        "__eq__": lambda self, o: True,
                                        "__hash__": float.__hash__})


class SneakyNumpy(np.float64):
    __module__ = "numpy"

    def __eq__(self, other):
        return True


@pytest.mark.parametrize("cheat", [
    AlwaysEqual(),
    np.zeros((2, 2)).view(SneakyArray),
    ["0.5", "0.5"],
    np.array([[0.5, 0.5], [0.5, 0.5]], dtype=object),
    np.array([[0.5, 0.5], [0.5, 0.5]], dtype=complex),
    SneakyFloat(0.0),
    SneakyNumpy(0.0),
    None,
], ids=["always-equal", "ndarray-subclass", "strings", "object-array", "complex",
        "float-subclass", "numpy-scalar-subclass", "none"])
@pytest.mark.parametrize("expected", [np.full((2, 2), 0.5), 0.5, (0.5, 0.5)],
                         ids=["array", "scalar", "tuple"])
def test_objects_that_are_not_plain_numbers_never_pass(cheat, expected):
    msg = failure(check.returns, lambda: cheat, expected=expected, name="f")
    assert "f is not right yet" in msg
    failure(check.value, "v", cheat, expected)
    if np.ndim(expected) == 0 and not isinstance(expected, tuple):
        failure(check.at_least, "accuracy", cheat, 0.5)


def test_pathological_outputs_fail_cleanly():
    class BadRepr:
        def __repr__(self):
            raise RuntimeError("boom")

    loop = []
    loop.append(loop)
    for got in (BadRepr(), 10 ** 400, loop, {"a": 1}):
        msg = failure(check.returns, lambda: got, expected=1.0, name="f")
        assert msg.startswith("f is not right yet.")


@pytest.mark.parametrize("attr", ["allclose", "isclose", "array_equal", "abs", "asarray",
                                  "all", "isnan", "isfinite"])
def test_monkeypatching_numpy_does_not_change_verdicts(monkeypatch, attr):
    monkeypatch.setattr(np, attr, lambda *a, **k: True)
    failure(check.returns, lambda: np.zeros(3), expected=np.ones(3), name="f")
    failure(check.returns, lambda: 0.0, expected=1.0, name="f")
    failure(check.value, "v", np.zeros((2, 1)), np.ones((2, 1)))
    monkeypatch.undo()
    with silent():
        check.returns(lambda: np.ones(3), expected=np.ones(3), name="f")


# ----------------------------------------------------------------------------- value, at_least, raises
def test_value():
    msg = failure(check.value, "w", np.zeros((2, 1)), np.ones((2, 1)))
    assert msg.startswith("w is not right yet.")
    assert "w: 2 of 2 values differ" in msg and "w(...)" not in msg
    msg = failure(check.value, "w", np.zeros((2, 1)), np.ones((2, 1)),
                  mistakes=[Mistake("initialised to zero?", value=np.zeros((2, 1)))])
    assert "Hint: initialised to zero?" in msg


def test_at_least():
    msg = failure(check.at_least, "test accuracy", 0.71, 0.9, hint="train longer?")
    assert "test accuracy: expected at least 0.9, got 0.71" in msg
    assert "Hint: train longer?" in msg
    assert "expected a number" in failure(check.at_least, "acc", np.array([[0.95]]), 0.9)
    assert "got nan" in failure(check.at_least, "acc", float("nan"), 0.9)


def test_raises():
    def safe_log(x):
        if x <= 0:
            raise ValueError("x must be positive")
        return np.log(x)

    with silent():
        check.raises(safe_log, (-1.0,), exception=ValueError)
        check.raises(safe_log, (-1.0,), exception=(TypeError, ValueError))
    msg = failure(check.raises, safe_log, (2.0,), exception=ValueError)
    assert "it should raise ValueError for these inputs, but it returned" in msg
    assert "x = 2.0" in msg
    msg = failure(check.raises, safe_log, ("a",), exception=ValueError)
    assert "but it raised TypeError instead" in msg
    msg = failure(check.raises, lambda x: sys.exit(1), (1.0,), exception=ValueError,
                  name="f")
    assert "but it raised SystemExit instead" in msg


def test_raises_runs_the_function_quietly(capfd):
    def noisy_check(x):
        print("checking", x, file=sys.stderr)
        np.log(np.zeros(1))
        raise ValueError("x must be positive")

    with silent():
        check.raises(noisy_check, (-1.0,), exception=ValueError)
    assert capfd.readouterr().err == ""


# ----------------------------------------------------------------------------- judge
class RecordingJudge:
    def __init__(self, passed):
        self.cases, self.passed = [], passed

    def judge(self, case):
        self.cases.append(case)
        return check.Verdict(passed=self.passed, problems=["decided elsewhere"])


def test_custom_judge_is_used():
    judge = RecordingJudge(passed=True)
    previous = check.use_judge(judge)
    try:
        check.returns(lambda x: 42.0, (1.0,), expected=1.0, name="f")  # wrong, but passes
        check.value("v", 0, 1)
        assert [c.function for c in judge.cases] == ["f", "v"]
        assert judge.cases[0].got == 42.0 and judge.cases[0].inputs == {"x": 1.0}
        judge.passed = False
        msg = failure(check.returns, lambda: 1.0, expected=1.0, name="g")
        assert "decided elsewhere" in msg
    finally:
        assert check.use_judge(previous) is judge
    assert isinstance(check.use_judge(previous), check.InKernelJudge)


class KeepingJudge:
    """Judges in the kernel, and keeps every verdict."""

    def __init__(self):
        self.verdicts = []

    def judge(self, case):
        verdict = check.InKernelJudge().judge(case)
        self.verdicts.append(verdict)
        return verdict


def test_judged_by_switches_the_judge_for_the_block_only():
    default = check.use_judge(check.InKernelJudge())
    check.use_judge(default)
    judge = RecordingJudge(passed=True)
    with check.judged_by(judge) as active:
        assert active is judge
        check.returns(lambda: 42.0, expected=1.0, name="f")  # wrong, but this judge passes
        with check.judged_by(RecordingJudge(passed=False)):
            failure(check.value, "v", 1.0, 1.0)
        check.value("w", 0, 1)  # the outer judge is back after the inner block
    assert [c.function for c in judge.cases] == ["f", "w"]
    failure(check.returns, lambda: 42.0, expected=1.0, name="f")  # the default is back
    assert check.use_judge(default) is default


def test_judged_by_restores_the_judge_when_the_block_raises():
    default = check.use_judge(check.InKernelJudge())
    check.use_judge(default)
    with pytest.raises(CheckFailure, match="decided elsewhere"):
        with check.judged_by(RecordingJudge(passed=False)):
            check.returns(lambda: 1.0, expected=1.0, name="f")
    with pytest.raises(KeyError):
        with check.judged_by(RecordingJudge(passed=True)):
            raise KeyError("x")
    assert check.use_judge(default) is default


def test_a_judge_without_judge_method_is_refused_at_once():
    default = check.use_judge(check.InKernelJudge())
    check.use_judge(default)
    with pytest.raises(TypeError, match="judge"):
        with check.judged_by(object()):
            pass
    with pytest.raises(TypeError, match="judge"):
        check.use_judge(None)
    assert check.use_judge(default) is default


def test_each_check_kind_has_its_comparator():
    assert set(COMPARATORS) == {"equal", "at_least", "raises", "gradient"}
    case = check.Case(function="f", inputs={}, expected=1.0, got=1.0, kind="no such kind")
    verdict = check.InKernelJudge().judge(case)
    assert not verdict.passed  # an unknown kind fails, it never passes silently


def test_public_names():
    assert check.__all__ == [
        "HIDDEN", "CheckFailure", "Mistake", "Case", "Verdict", "Judge", "InKernelJudge",
        "use_judge", "judged_by", "returns", "value", "at_least", "raises", "gradient",
        "forbidding"]
    assert all(callable(getattr(check, name)) for name in check.__all__[1:])


# ----------------------------------------------------------------------------- hints as data
def verdict_of(fn, *args, **kwargs):
    """The verdict the in-kernel judge gives (the check must fail)."""
    judge = KeepingJudge()
    with check.judged_by(judge):
        message = failure(fn, *args, **kwargs)
    (verdict,) = judge.verdicts
    return verdict, message


DW = np.array([[-0.25], [0.5]])


def test_factor_hints_are_data_one_per_output():
    verdict, msg = verdict_of(check.returns, lambda: (DW * 3, 0.75), expected=(DW, 0.25),
                              outputs=("dw", "db"), name="grads")
    assert [(h.kind, h.output) for h in verdict.hints] == [("factor", "dw"),
                                                         ("factor", "db")]
    assert [h.ratio for h in verdict.hints] == pytest.approx([3.0, 3.0])
    assert verdict.hints[0].text.startswith("every value is 3 times the expected one")
    assert verdict.hints[1].text.startswith("your value is 3 times the expected one")
    # the report says them in one sentence
    assert msg.count("Hint:") == 1
    assert "Hint: dw, db are all 3 times the expected values: a missing" in msg


def test_factor_hints_with_different_factors_stay_apart():
    verdict, msg = verdict_of(check.returns, lambda: (DW * 3, 0.5, DW.T / 4),
                              expected=(DW, 0.25, DW.T), name="g")
    assert [h.ratio for h in verdict.hints] == pytest.approx([3.0, 2.0, 0.25])
    assert "Hint: g(...)[0]: every value is 3 times the expected one" in msg
    assert "Hint: g(...)[1]: your value is 2 times the expected one" in msg
    assert "Hint: g(...)[2]: every value is 1/4 of the expected one" in msg


def test_factor_hints_combine_from_the_ratio_not_from_the_text():
    # 2.37 is not a round factor: said with its digits, and still combined
    verdict, msg = verdict_of(check.returns, lambda: {"W": DW * -2.37, "b": DW.T * -2.37},
                              expected={"W": DW, "b": DW.T}, name="init")
    assert [h.kind for h in verdict.hints] == ["factor", "factor"]
    assert ("Hint: init(...)['W'], init(...)['b'] are all -2.37 times the expected "
            "values") in msg


def test_a_warning_hint_does_not_stop_outputs_from_combining():
    def grads(z):
        np.exp(z)  # overflows: a warning
        return DW * 3, 0.75

    verdict, msg = verdict_of(check.returns, grads, (np.array([1000.0]),),
                              expected=(DW, 0.25), outputs=("dw", "db"))
    assert [h.kind for h in verdict.hints] == ["warning", "factor", "factor"]
    assert msg.count("Hint:") == 2
    assert "Hint: np.exp overflows" in msg and "Hint: dw, db are all 3 times" in msg


def test_sign_and_shape_hints_are_data():
    verdict, _ = verdict_of(check.returns, lambda: (np.ones((3, 2)), -0.25),
                            expected=(np.ones((2, 3)), 0.25), outputs=("A", "b"), name="g")
    assert [(h.kind, h.output) for h in verdict.hints] == [("transposed", "A"),
                                                         ("sign", "b")]
    verdict, _ = verdict_of(check.returns, lambda: 8.0, expected=2.0, name="cost",
                            mistakes=[Mistake("forgot 1/m?", value=8.0)])
    assert verdict.hints == [Hint("mistake", "forgot 1/m?")]


def test_hint_texts_render_last():
    factor = "every value is 3 times the expected one: x"
    hints = [Hint("warning", "w"), Hint("factor", factor, output="a", ratio=3.0),
             Hint("factor", factor, output="b", ratio=3.0000000001)]
    assert hint_texts(hints)[0] == "w"
    assert hint_texts(hints)[1].startswith("a, b are all 3 times the expected values")
    assert len(hint_texts(hints)) == 2
    assert hint_texts(hints[1:2]) == ["a: " + factor]
    assert hint_texts([Hint("factor", factor, ratio=3.0)]) == [factor]
    assert hint_texts(["a str from another judge"]) == ["a str from another judge"]


# ----------------------------------------------------------------------------- properties
shapes = array_shapes()
floats = st.floats(-1e6, 1e6, allow_nan=False, width=64)


@settings(max_examples=60)
@given(hnp.arrays(np.float64, shapes, elements=floats))
def test_any_array_matches_itself(expected):
    with silent():
        check.returns(lambda: expected.copy(), expected=expected, name="f")
        if expected.ndim == 0:
            check.returns(lambda: float(expected), expected=float(expected), name="f")


@settings(max_examples=60)
@given(hnp.arrays(np.float64, shapes.filter(lambda s: int(np.prod(s)) > 0), elements=floats),
       st.data())
def test_any_perturbed_array_fails_and_says_where(expected, data):
    got = expected.copy()
    flat = got.reshape(-1)
    i = data.draw(st.integers(0, flat.size - 1))
    flat[i] = flat[i] + 1.0 + abs(flat[i]) * 1e-3
    msg = failure(check.returns, lambda: got, expected=expected, name="f")
    if expected.ndim:
        assert f"1 of {expected.size} values differ" in msg
        index = tuple(int(k) for k in np.unravel_index(i, expected.shape))
        assert f"at index {index}" in msg


@settings(max_examples=60)
@given(shapes, shapes)
def test_any_wrong_shape_fails(s_expected, s_got):
    if s_expected == s_got:
        return
    msg = failure(check.returns, lambda: np.zeros(s_got), expected=np.zeros(s_expected),
                  name="f")
    if s_expected and s_got:
        assert f"expected shape {s_expected}, got shape {s_got}" in msg


weird = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3)
    | st.complex_numbers() | hnp.arrays(hnp.scalar_dtypes(), shapes),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=2), inner, max_size=2),
    max_leaves=6)


@settings(max_examples=150)
@given(weird, st.sampled_from([1.0, np.ones((2, 1)), (1.0, np.zeros(2)),
                               {"W": np.ones((1, 2))}]))
def test_arbitrary_outputs_pass_or_fail_cleanly(got, expected):
    with silent():
        try:
            check.returns(lambda: got, expected=expected, name="f")
        except CheckFailure as e:
            assert e.message.startswith("f is not right yet.")
