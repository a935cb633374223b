"""Tests of deepgrad.data.load_names: splits of names (disjoint, complete, seeded), argument checks."""

from __future__ import annotations

import pytest

from deepgrad import data


@pytest.mark.parametrize("sex,count", [("all", 5163), ("male", 1219), ("female", 4275)])
def test_names_are_the_census_lists(sex, count):
    split = data.load_names(sex)
    assert len(split.all) == count == len(set(split.all))
    assert split.all == sorted(split.all)
    assert all(name.isalpha() and name.islower() and name.isascii() for name in split.all)


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("fractions", [(0.1, 0.1), (0.2, 0.05), (0.01, 0.3)])
def test_split_is_of_names_disjoint_and_complete(seed, fractions):
    split = data.load_names(validation_fraction=fractions[0], test_fraction=fractions[1], seed=seed)
    train, val, test = set(split.train), set(split.validation), set(split.test)
    assert not (train & val or train & test or val & test)
    assert train | val | test == set(split.all)
    n = len(split.all)
    assert len(split.validation) == round(n * fractions[0])
    assert len(split.test) == round(n * fractions[1])


def test_split_is_seeded():
    a, b, c = data.load_names(seed=3), data.load_names(seed=3), data.load_names(seed=4)
    assert (a.train, a.validation, a.test) == (b.train, b.validation, b.test)
    assert a.test != c.test


def test_defaults():
    split = data.load_names()
    assert (len(split.train), len(split.validation), len(split.test)) == (4131, 516, 516)
    assert "4131 train" in repr(split)


@pytest.mark.parametrize("kwargs,error,match", [
    ({"sex": "boys"}, ValueError, "sex"),
    ({"sex": 1}, TypeError, "sex"),
    ({"validation_fraction": 0.0}, ValueError, "validation_fraction"),
    ({"test_fraction": 1.5}, ValueError, "test_fraction"),
    ({"validation_fraction": 0.6, "test_fraction": 0.5}, ValueError, "below 1"),
    ({"validation_fraction": 1e-6}, ValueError, "empty"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
])
def test_bad_arguments_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_names(**kwargs)
