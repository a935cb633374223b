"""Tests of deepgrad.data.load_pydoc_text: a split of paragraphs (disjoint, complete, in text
order, seeded), the ASCII rewriting, argument checks."""

from __future__ import annotations

import pytest

from deepgrad import data


def _all_paragraphs(ascii: bool = True) -> list[str]:
    return list(data._pydoc_paragraphs(ascii))


def test_paragraphs_are_the_topics_text():
    from pydoc_data.topics import topics

    paragraphs = _all_paragraphs(ascii=False)
    assert all(p and "\n\n" not in p and p == p.strip("\n") for p in paragraphs)
    assert all(line == line.rstrip() for p in paragraphs for line in p.split("\n"))
    # the paragraphs hold every non-space character of the topics, in order
    joined = "".join(topics[name] for name in sorted(topics))
    assert "".join("".join(paragraphs).split()) == "".join(joined.split())
    assert len("".join(paragraphs)) > 400_000


def test_ascii_text_is_printable_ascii():
    text = "".join(_all_paragraphs())
    assert set(text) <= {"\n"} | {chr(c) for c in range(32, 127)}
    assert len(_all_paragraphs()) == len(_all_paragraphs(ascii=False))


@pytest.mark.parametrize("raw,ascii", [
    ("\u2018a\u2019 \u201cb\u201d", "'a' \"b\""), ("x \u2013 y \u2014 z\u2026", "x - y -- z..."),
    ("Stra\u00dfe 20\u00b0", "Strasse 20 degrees"), ("caf\u00e9\tbar", "cafe    bar"),
    ("\u03bb \u4e2d ok", "  ok"),
])
def test_to_ascii(raw, ascii):
    assert data._to_ascii(raw) == ascii


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("fractions", [(0.1, 0.1), (0.2, 0.05), (0.01, 0.3)])
def test_split_is_of_paragraphs_disjoint_complete_in_order(seed, fractions):
    split = data.load_pydoc_text(validation_fraction=fractions[0], test_fraction=fractions[1],
                                 seed=seed)
    every = _all_paragraphs()
    position = {}
    for i, p in enumerate(every):
        position.setdefault(p, []).append(i)
    # every paragraph (repeated ones counted as often as they occur) is in exactly one list
    assert sorted(split.train + split.validation + split.test) == sorted(every)
    assert len(split.validation) == round(len(every) * fractions[0])
    assert len(split.test) == round(len(every) * fractions[1])
    for part in (split.train, split.validation, split.test):     # the text's order is kept
        firsts = [position[p][0] for p in part if len(position[p]) == 1]
        assert firsts == sorted(firsts)


def test_split_is_seeded():
    a, b = data.load_pydoc_text(seed=3), data.load_pydoc_text(seed=3)
    c = data.load_pydoc_text(seed=4)
    assert (a.train, a.validation, a.test) == (b.train, b.validation, b.test)
    assert a.test != c.test


def test_defaults_and_repr():
    split = data.load_pydoc_text()
    n = len(_all_paragraphs())
    assert (len(split.validation), len(split.test)) == (round(0.1 * n), round(0.1 * n))
    assert split.characters("train") == sum(map(len, split.train))
    assert split.characters("train") > 5 * split.characters("test") > 0
    assert f"{len(split.train)} train paragraphs" in repr(split)
    with pytest.raises(ValueError, match="part"):
        split.characters("everything")


def test_lists_are_fresh():
    a = data.load_pydoc_text()
    a.train.clear()
    assert data.load_pydoc_text().train


@pytest.mark.parametrize("kwargs,error,match", [
    ({"validation_fraction": 0.0}, ValueError, "validation_fraction"),
    ({"validation_fraction": "0.1"}, TypeError, "validation_fraction"),
    ({"test_fraction": 1.5}, ValueError, "test_fraction"),
    ({"validation_fraction": 0.6, "test_fraction": 0.5}, ValueError, "below 1"),
    ({"validation_fraction": 1e-6}, ValueError, "empty"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"ascii": "yes"}, TypeError, "ascii"),
])
def test_bad_arguments_name_the_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        data.load_pydoc_text(**kwargs)
