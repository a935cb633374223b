"""Tests of deepgrad.check.gradient: a backward pass against a centred difference.

Every check runs inside ``silent()`` (no warning, nothing on stderr) and the tests that
matter most also assert with ``capfd`` that nothing reached the process's stderr.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad import check
from deepgrad.check import CheckFailure, Mistake
from tests.support.strategies import array_shapes, seeds


@contextlib.contextmanager
def silent():
    err = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        yield
    assert not caught, [str(w.message) for w in caught]
    assert err.getvalue() == ""


def failure(*args, **kwargs) -> str:
    with silent():
        with pytest.raises(CheckFailure) as info:
            check.gradient(*args, **kwargs)
    return info.value.message


RNG = np.random.default_rng(0)


# A layer, as the students write it in assignment 2 (reference versions of the test).
def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    A, W, b = cache
    return W.T @ dZ, dZ @ A.T, dZ.sum(axis=1, keepdims=True)


def relu_forward(Z):
    return np.maximum(Z, 0.0), Z


def relu_backward(dA, cache):
    return dA * (cache > 0)


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


A = RNG.standard_normal((5, 7))
W = RNG.standard_normal((3, 5))
B = RNG.standard_normal((3, 1))
DOUT = RNG.standard_normal((3, 7))
_, CACHE = linear_forward(A, W, B)
DA, DW, DB = linear_backward(DOUT, CACHE)


def f_W(W_):
    return np.sum(linear_forward(A, W_, B)[0] * DOUT)


def f_b(b_):
    return np.sum(linear_forward(A, W, b_)[0] * DOUT)


# ----------------------------------------------------------------------------- passing
def test_correct_gradients_pass_silently(capfd):
    Z = RNG.standard_normal((4, 6))
    dout = RNG.standard_normal((4, 6))
    _, cache = relu_forward(Z)
    with silent():
        check.gradient("relu_backward", lambda Z: np.sum(relu_forward(Z)[0] * dout), Z,
                       relu_backward(dout, cache))
        check.gradient("dW", f_W, W, DW)
        check.gradient("db", f_b, B, DB)
        check.gradient("dA", lambda A_: np.sum(linear_forward(A_, W, B)[0] * DOUT), A, DA)
        check.gradient("sigmoid", lambda z: np.sum(sigmoid(z)), Z,
                       sigmoid(Z) * (1 - sigmoid(Z)))
        x = RNG.standard_normal((2, 3, 4))
        check.gradient("quartic", lambda x: np.sum(x ** 4) / 4, x, x ** 3)
        check.gradient("scalar", lambda x: float(np.sin(x)), np.array(0.3), np.cos(0.3))
        check.gradient("vector", lambda v: v @ v, np.arange(3.0), 2 * np.arange(3.0))
        check.gradient("int x", lambda v: float(v @ v), np.arange(3), 2.0 * np.arange(3))
        # a constant: the numerical gradient is zero to rounding noise
        check.gradient("constant", lambda x: 3.0 + 0 * x.sum(), x, np.zeros_like(x))
        # the student's code may run inside the check
        check.gradient("relu_backward", lambda Z: np.sum(relu_forward(Z)[0] * dout), Z,
                       lambda: relu_backward(dout, cache))
    assert capfd.readouterr().err == ""


def test_f_gets_copies_and_x_is_untouched():
    x = RNG.standard_normal((3, 3))
    before = x.copy()

    def f(v):
        out = np.sum(v ** 2)
        v[...] = 1e6  # a forward pass that clobbers its input
        return out

    with silent():
        check.gradient("square", f, x, 2 * x)
    np.testing.assert_array_equal(x, before)


def test_returns_nothing():
    with silent():
        assert check.gradient("dW", f_W, W, DW) is None


# ----------------------------------------------------------------------------- failing
def test_factor_names_the_factor_and_the_relative_error():
    msg = failure("dW", f_W, W, DW / 7)
    assert msg.startswith("dW is not right yet.")
    assert "shape (3, 5)" in msg
    assert "relative error 0.75" in msg
    assert "at index" in msg
    assert "Expected (numerical gradient)" in msg and "Got (your gradient)" in msg
    assert "1/7 of the right one" in msg and "1/m" in msg
    assert "2 times the right one" in failure("dW", f_W, W, 2 * DW)


def test_sign():
    msg = failure("dW", f_W, W, -DW)
    assert "opposite sign" in msg
    assert "relative error 1" in msg


def test_transposed_shape_and_transposed_square():
    msg = failure("dW", f_W, W, DW.T)
    assert "expected shape (3, 5), got shape (5, 3)" in msg
    assert "transpose of the right one" in msg
    S = RNG.standard_normal((4, 4))
    M = RNG.standard_normal((4, 4))
    msg = failure("dS", lambda S_: np.sum(S_ * M), S, M.T)
    assert "transpose of the right one" in msg


def test_not_summed_over_the_batch():
    msg = failure("db", f_b, B, DOUT)
    assert "expected shape (3, 1), got shape (3, 7)" in msg
    assert "not summed over the batch" in msg and "axis 1" in msg
    assert "summing it over the examples gives the right gradient" in msg


def test_wrong_shape_says_which_axis_is_off():
    msg = failure("dW", f_W, W, np.zeros((3, 6)))
    assert "expected shape (3, 5), got shape (3, 6)" in msg
    assert msg.endswith("Hint: axis 1 has one entry too many (6 instead of 5)")
    msg = failure("dW", f_W, W, np.zeros((1, 5)))
    assert msg.endswith("Hint: axis 0 has 2 entries too few (1 instead of 3)")


def test_factor_of_sqrt2_is_named():
    msg = failure("dW", f_W, W, DW * np.sqrt(2))
    assert msg.endswith("Hint: every value of your gradient is √2 times the right one: a "
                        "factor 2 missing or extra under a square root?")


def test_known_mistake_hint_wins():
    wrong = DW + 1.0
    msg = failure("dW", f_W, W, wrong,
                  mistakes=[Mistake("did you add 1?", transform=lambda e: e + 1.0)])
    assert "Hint: did you add 1?" in msg


def test_known_shape_mistake_hint():
    hint = "db has one entry per output unit: sum dZ over the examples (axis 1)"
    msg = failure("db", f_b, B, DOUT, mistakes=[Mistake(hint, shape=DOUT.shape)])
    assert "Hint: " + hint in msg and msg.count("Hint:") == 1
    msg = failure("db", f_b, B, DOUT.T, mistakes=[Mistake(hint, shape=DOUT.shape)])
    assert hint not in msg
    with pytest.raises(ValueError, match="is the expected shape"):
        check.gradient("db", f_b, B, DB, mistakes=[Mistake(hint, shape=B.shape)])
    with pytest.raises(ValueError, match="single output"):
        check.gradient("db", f_b, B, DB, mistakes=[Mistake(hint, shape=(3,), output="db")])


def test_relu_mask_mistake_is_caught():
    Z = RNG.standard_normal((4, 6))
    dout = RNG.standard_normal((4, 6))
    # mask taken from the output instead of the input: the same here; mask inverted: wrong
    msg = failure("relu_backward", lambda Z: np.sum(relu_forward(Z)[0] * dout), Z,
                  dout * (Z <= 0))
    assert "values differ" in msg


def test_wrong_types():
    assert "got None" in failure("dW", f_W, W, None)
    assert "got a list" in failure("dW", f_W, W, DW.tolist())
    assert "nan or inf" in failure("dW", f_W, W, DW * np.nan)
    assert "1-D" in failure("dW", f_W, W, DW.reshape(-1)) or "shape" in failure(
        "dW", f_W, W, DW.reshape(-1))


def test_warning_and_exception_in_f_are_reported_not_printed(capfd):
    Z = np.array([[800.0, 1.0]])
    msg = failure("exp", lambda Z: np.sum(np.exp(Z)), Z, np.ones_like(Z))
    assert "overflow" in msg and "warning" in msg

    def broken_forward(Z):
        raise IndexError("index 3 is out of bounds")

    msg = failure("relu_backward", lambda Z: np.sum(broken_forward(Z)[0]), Z, Z)
    assert "raised an exception" in msg and "IndexError" in msg and "broken_forward" in msg
    assert "lambda Z" not in msg  # the test's own source is never quoted

    def unwritten(Z):
        raise NotImplementedError()

    msg = failure("relu_backward", lambda Z: np.sum(unwritten(Z)), Z, Z)
    assert "unwritten" in msg and "not written yet" in msg

    msg = failure("f", lambda Z: Z, Z, Z)  # not a scalar
    assert "single number" in msg

    def noisy(Z):
        import sys
        print("debug", file=sys.stderr)
        return np.sum(Z)

    msg = failure("noisy", noisy, Z, np.ones_like(Z))
    assert "stderr" in msg

    def student_backward():
        warnings.warn("careful")
        return np.ones_like(Z)

    msg = failure("sum", lambda Z: np.sum(Z), Z, student_backward)
    assert "careful" in msg

    msg = failure("sum", lambda Z: np.sum(Z), Z, lambda: 1 / 0)
    assert "ZeroDivisionError" in msg
    assert capfd.readouterr().err == ""


def test_bad_test_arguments_raise_at_once():
    with pytest.raises(ValueError, match="name"):
        check.gradient("", f_W, W, DW)
    with pytest.raises(TypeError, match="f must be"):
        check.gradient("dW", 3, W, DW)
    with pytest.raises(ValueError, match="x must"):
        check.gradient("dW", f_W, [1.0], DW)
    with pytest.raises(ValueError, match="x must"):
        check.gradient("dW", f_W, np.zeros((0, 2)), DW)
    with pytest.raises(ValueError, match="x must"):
        check.gradient("dW", f_W, np.array([np.nan]), DW)
    with pytest.raises(ValueError, match="h must"):
        check.gradient("dW", f_W, W, DW, h=0.0)
    with pytest.raises(ValueError, match="rtol must"):
        check.gradient("dW", f_W, W, DW, rtol=-1.0)


def test_numerical_gradient_is_private():
    assert "_numerical_gradient" not in check.__all__
    assert not hasattr(check, "numerical_gradient")
    assert not hasattr(check, "_numerical_gradient")


def test_gradient_hints_are_data():
    verdicts = []

    class KeepingJudge:
        def judge(self, case):
            verdicts.append(check.InKernelJudge().judge(case))
            return verdicts[-1]

    with check.judged_by(KeepingJudge()):
        msg = failure("dW", f_W, W, DW / 7)
    (hint,) = verdicts[0].hints
    assert hint.kind == "factor" and hint.output is None
    assert hint.ratio == pytest.approx(1 / 7)
    assert "Hint: " + hint.text in msg


def test_warnings_of_the_gradient_and_of_f_are_all_reported():
    Z = np.array([[1.0, 2.0]])

    def student_backward():
        warnings.warn("from the backward pass")
        return np.ones_like(Z)

    def forward(Z):
        warnings.warn("from the forward pass")
        return np.sum(Z)

    msg = failure("sum", lambda Z: forward(Z), Z, student_backward)
    assert msg.index("from the backward pass") < msg.index("from the forward pass")
    assert msg.count("from the forward pass") == 5  # every evaluation of f: 1 + 2 * 2


@pytest.mark.parametrize("attr", ["zeros", "unravel_index", "allclose", "abs", "asarray"])
def test_monkeypatching_numpy_does_not_change_gradient_verdicts(monkeypatch, attr):
    monkeypatch.setattr(np, attr, lambda *a, **k: True)
    failure("dW", f_W, W, 2 * DW)
    monkeypatch.undo()
    with silent():
        check.gradient("dW", f_W, W, DW)


# ----------------------------------------------------------------------------- property
@settings(max_examples=40)
@given(shape=array_shapes(min_side=1, max_side=4), seed=seeds,
       factor=st.sampled_from([-1.0, 0.5, 2.0, 3.0]))
def test_property_right_passes_wrong_fails(shape, seed, factor):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, size=shape)
    w = rng.uniform(0.5, 2, size=shape)
    f = lambda v: float(np.sum(np.sin(v) * w + 0.5 * v ** 2))  # noqa: E731
    right = np.cos(x) * w + x
    with silent():
        check.gradient("g", f, x, right)
        with pytest.raises(CheckFailure):
            check.gradient("g", f, x, factor * right)
