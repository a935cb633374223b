"""deepgrad.validation: TypeError for a wrong type, ValueError for a wrong value, and every
message names the argument."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from deepgrad import validation as v

F64 = np.zeros((2, 3))


@pytest.mark.parametrize("call, error, text", [
    # integer
    (lambda: v.integer("stride", 1.5, low=1), TypeError, "stride must be an int >= 1"),
    (lambda: v.integer("stride", True, low=1), TypeError, "stride must be an int >= 1"),
    (lambda: v.integer("stride", "2", low=1), TypeError, "got '2' (str)"),
    (lambda: v.integer("stride", 0, low=1), ValueError, "stride must be an int >= 1, got 0"),
    (lambda: v.integer("depth", 201, low=1, high=200), ValueError,
     "depth must be an int in [1, 200]"),
    (lambda: v.integer("m", 1, low=2, what="the number of examples"), ValueError,
     "m must be an int >= 2 (the number of examples), got 1"),
    # number
    (lambda: v.number("rate", "0.1", low=0, high=1), TypeError, "rate must be a real number"),
    (lambda: v.number("rate", np.True_), TypeError, "rate must be a finite real number"),
    (lambda: v.number("rate", None), TypeError, "rate"),
    (lambda: v.number("rate", 0.0, low=0, high=1e3, inclusive="right"), ValueError,
     "rate must be a real number in (0, 1000], got 0.0"),
    (lambda: v.number("beta", 1.0, low=0, high=1, inclusive="left"), ValueError, "[0, 1)"),
    (lambda: v.number("noise", float("inf"), low=0), ValueError,
     "noise must be a finite real number >= 0, got inf"),
    (lambda: v.number("noise", float("nan")), ValueError, "noise"),
    # boolean (no wrong value of the right type)
    (lambda: v.boolean("scale", 1), TypeError, "scale must be True or False, got 1 (int)"),
    (lambda: v.boolean("scale", "no"), TypeError, "scale"),
    # one_of
    (lambda: v.one_of("mode", 2, {"linear": 0, "quadratic": 1}), TypeError,
     "mode must be one of ['linear', 'quadratic'], got 2 (int)"),
    (lambda: v.one_of("mode", "cubic", ("quadratic", "linear")), ValueError,
     "mode must be one of ['linear', 'quadratic'], got 'cubic'"),
    # instance
    (lambda: v.instance("cache", (1, 2), dict), TypeError, "cache must be a dict, got tuple"),
    (lambda: v.instance("f", 3, Callable, what="a function"), TypeError,
     "f must be a function, got int"),
    # shape_tuple
    (lambda: v.shape_tuple("x_shape", "2x3", ndim=2, shape_text="(h, w)"), TypeError,
     "x_shape must be a tuple of 2 ints (h, w)"),
    (lambda: v.shape_tuple("x_shape", (2, 3.0), ndim=2, shape_text="(h, w)"), TypeError,
     "x_shape[1] must be an int"),
    (lambda: v.shape_tuple("x_shape", (2, 3, 4), ndim=2, shape_text="(h, w)"), ValueError,
     "x_shape must be a tuple of 2 ints (h, w), got (2, 3, 4) (3 entries)"),
    (lambda: v.shape_tuple("x_shape", (2, 0), ndim=2, shape_text="(h, w)"), ValueError,
     "x_shape[1] must be an int >= 1"),
    # array
    (lambda: v.array("x", [[1.0]], ndim=2, shape_text="(n_x, m)"), TypeError,
     "x must be a numpy array of shape (n_x, m), got list"),
    (lambda: v.array("x", F64[0], ndim=2, shape_text="(n_x, m)"), ValueError,
     "x must have shape (n_x, m) (2-D), got shape (3,)"),
    (lambda: v.array("p", F64, shape=(3, None)), ValueError,
     "p must have shape (3, *), got shape (2, 3)"),
    (lambda: v.array("p", np.zeros((2, 0)), shape=(2, None), shape_text="(2, m)"), ValueError,
     "p must have shape (2, m) with no zero-length axis"),
    (lambda: v.array("x", F64.astype(np.int64), dtypes=(np.float32, np.float64),
                     shape_text="(m, n)"), ValueError,
     "x (m, n) must have dtype float32 or float64, got int64"),
    (lambda: v.array("x", F64.astype(complex), dtype_kinds="biuf"), ValueError,
     "must have a bool, int, unsigned int or float dtype, got complex128"),
    (lambda: v.array("x", np.asfortranarray(F64), contiguous=True), ValueError,
     "x of any shape must be C-contiguous (use np.ascontiguousarray(x))"),
    (lambda: v.array("x", np.array([1.0, np.nan]), finite=True), ValueError,
     "must contain only finite values"),
    # same_dtype
    (lambda: v.same_dtype(("x", F64), ("w", [1.0])), TypeError, "w must be a numpy array"),
    (lambda: v.same_dtype(("x", F64), ("w", F64.astype(np.float32))), ValueError,
     "w must have the same dtype as x (float64), got float32"),
])
def test_wrong_type_is_a_type_error_wrong_value_a_value_error(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error
    assert text in str(info.value)


def test_valid_values_come_back_normalised():
    assert v.integer("n", np.int64(3), low=1) == 3 and type(v.integer("n", np.int64(3))) is int
    assert v.number("r", 1, low=0, high=1) == 1.0
    assert type(v.number("r", np.float32(1))) is float
    assert v.boolean("b", np.True_) is True
    assert v.one_of("mode", "linear", {"linear": 0}) == "linear"
    assert v.shape_tuple("s", [2, np.int64(3)], ndim=2, shape_text="(h, w)") == (2, 3)
    assert v.array("x", F64, shape=(2, None), dtypes=(np.float64,), contiguous=True,
                   finite=True) is F64
    assert v.array("x", np.zeros((0,)), nonempty=False).shape == (0,)
    assert v.array("x", np.array([1, 2]), finite=True, dtype_kinds="i") is not None
    v.same_dtype(("x", F64), ("w", F64.copy()))


def test_inclusive_bounds():
    assert v.number("r", 0.0, low=0, high=1, inclusive="left") == 0.0
    assert v.number("r", 1.0, low=0, high=1, inclusive="right") == 1.0
    for inclusive, bad in (("left", 1.0), ("right", 0.0), ("neither", 0.0), ("neither", 1.0)):
        with pytest.raises(ValueError, match="r must be a real number in"):
            v.number("r", bad, low=0, high=1, inclusive=inclusive)
    with pytest.raises(ValueError, match="inclusive"):
        v.number("r", 0.5, low=0, high=1, inclusive="closed")


def test_long_values_are_shortened_in_messages():
    with pytest.raises(TypeError) as info:
        v.integer("n", "x" * 1000)
    assert len(str(info.value)) < 120
