"""Fast recurrent layers (RNN, LSTM, GRU) and the embedding layer, forward and backward.

Layout as in the course: a sequence ``x`` is ``(n_x, m, T_x)`` (features, examples, time
steps), a hidden state ``(n_a, m)``, the hidden states of a whole sequence ``(n_a, m,
T_x)``. Parameters are a dict with the course's names (extra keys, such as an output
layer's ``Wya`` and ``by``, are ignored); every gate's weights act on the concatenation
``[a<t-1>; x<t>]``, biases are columns ``(n_a, 1)``:

- RNN: ``a<t> = tanh(Waa a<t-1> + Wax x<t> + ba)``; ``Waa`` (n_a, n_a), ``Wax`` (n_a, n_x).
- LSTM: ``Γf = σ(Wf [a<t-1>; x<t>] + bf)``, likewise ``Γi`` (the notes' update gate Γu)
  and ``Γo``; ``c~<t> = tanh(Wc [a<t-1>; x<t>] + bc)``, ``c<t> = Γf * c<t-1> + Γi * c~<t>``,
  ``a<t> = Γo * tanh(c<t>)``; ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x).
- GRU (the full one, with a relevance gate; the notes' simplified GRU is ``Γr = 1``):
  ``Γu = σ(Wu [a<t-1>; x<t>] + bu)``, ``Γr = σ(Wr [a<t-1>; x<t>] + br)``,
  ``c~<t> = tanh(Wc [Γr * a<t-1>; x<t>] + bc)``, ``a<t> = Γu * c~<t> + (1 - Γu) * a<t-1>``;
  ``Wu, Wr, Wc`` (n_a, n_a + n_x).
- Embedding: ``E`` (n_e, V), one column per word of the vocabulary; ``E o_v = e_v`` is a
  column lookup, no product.

Every layer is a pair

>>> a, cache = rnn_forward(x, a0, params)                   # doctest: +SKIP
>>> grads = rnn_backward(da, cache)                         # doctest: +SKIP

where ``da`` (n_a, m, T_x) is the loss's gradient with respect to every hidden state
(from the output layer at each step; zeros where no output is read) and ``grads`` a dict
with ``dx``, ``da0`` and ``"d" + name`` for each parameter (``dWaa`` ...), shaped as its
parameter. Gradients are *sums* over the examples: divide the loss by ``m`` to average.

float32 and float64 are both supported: all float arguments must share one of these dtypes,
and the results have it. Arguments are validated (:mod:`deepgrad.validation`) before any
kernel runs: ``TypeError`` for a wrong type, ``ValueError`` for a wrong value (shape, dtype,
a missing parameter), each naming the argument and the expected shape. How the kernels are
made fast: :mod:`deepgrad.kernels.recurrent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from deepgrad import validation
from deepgrad.kernels import recurrent as _rec

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward",
           "gru_backward", "embedding_forward", "embedding_backward", "RNNCache",
           "LSTMCache", "GRUCache", "EmbeddingCache"]

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_LSTM_GATES = ("f", "i", "c", "o")
_GRU_GATES = ("u", "r", "c")


# ----------------------------------------------------------------------------- caches
@dataclass(frozen=True, eq=False)
class RNNCache:
    """What :func:`rnn_forward` keeps for :func:`rnn_backward` (treat as opaque)."""

    shape: tuple  # (n_x, n_a, m, T)
    W: np.ndarray  # [Waa, Wax] (n_a, n_a + n_x)
    saved: object  # the kernel's arrays


@dataclass(frozen=True, eq=False)
class LSTMCache:
    """What :func:`lstm_forward` keeps for :func:`lstm_backward` (treat as opaque)."""

    shape: tuple
    W: np.ndarray  # [Wf; Wi; Wc; Wo] (4 n_a, n_a + n_x)
    saved: object


@dataclass(frozen=True, eq=False)
class GRUCache:
    """What :func:`gru_forward` keeps for :func:`gru_backward` (treat as opaque)."""

    shape: tuple
    W: np.ndarray  # [Wu; Wr; Wc] (3 n_a, n_a + n_x)
    saved: object


@dataclass(frozen=True, eq=False)
class EmbeddingCache:
    """What :func:`embedding_forward` keeps: the ids (int64) and the vocabulary size."""

    ids: np.ndarray
    V: int
    n_e: int
    dtype: np.dtype


# ----------------------------------------------------------------------------- checks
def _float_array(name, a, shape_text, ndim):
    return validation.array(name, a, ndim=ndim, shape_text=shape_text, dtypes=_DTYPES)


def _check_sequence(x, a0):
    x = _float_array("x", x, "(n_x, m, T_x)", 3)
    a0 = _float_array("a0", a0, "(n_a, m)", 2)
    validation.same_dtype(("x", x), ("a0", a0))
    n_x, m, T = x.shape
    if a0.shape[1] != m:
        raise ValueError(f"a0 must have shape (n_a, m) = (n_a, {m}), one column per "
                         f"example of x {x.shape}; got {a0.shape}")
    return x, a0, n_x, a0.shape[0], m, T


def _param(params, name, shape, text, dtype):
    if name not in params:
        raise ValueError(f"params must contain {name!r} of shape {text} = {shape}; "
                         f"its keys are {sorted(map(str, params))}")
    p = validation.array(f"params[{name!r}]", params[name], ndim=len(shape),
                         shape_text=f"{text} = {shape}", dtypes=_DTYPES)
    if p.shape != shape:
        raise ValueError(f"params[{name!r}] must have shape {text} = {shape}, "
                         f"got {p.shape}")
    if p.dtype != dtype:
        raise ValueError(f"params[{name!r}] must have the same dtype as x ({dtype}), "
                         f"got {p.dtype}")
    return p


def _check_params(params):
    validation.instance("params", params, Mapping, what="a dict of parameters")


def _gate_params(params, gates, n_a, n_x, dtype):
    """The gates' weights stacked (k n_a, n_a + n_x) and biases (k n_a,), k gates."""
    _check_params(params)
    W = np.concatenate([_param(params, "W" + g, (n_a, n_a + n_x), "(n_a, n_a + n_x)", dtype)
                        for g in gates], axis=0)
    W = np.ascontiguousarray(W)  # concatenating F-ordered arrays gives an F-ordered one
    b = np.concatenate([_param(params, "b" + g, (n_a, 1), "(n_a, 1)", dtype)[:, 0]
                        for g in gates])
    return W, b


def _split(dW, db, gates, n_a):
    grads = {}
    for k, g in enumerate(gates):
        grads["dW" + g] = np.ascontiguousarray(dW[k * n_a:(k + 1) * n_a])
        grads["db" + g] = db[k * n_a:(k + 1) * n_a].reshape(n_a, 1).copy()
    return grads


def _check_cache(cache, kind, cls):
    """The cache's type, and (a cache built by hand must not send a kernel out of bounds)
    the shapes, dtype and layout of every array it holds."""
    validation.instance("cache", cache, cls, what=f"the {cls.__name__} returned by "
                                                   f"{kind}_forward")
    try:
        n_x, n_a, m, T = validation.shape_tuple("shape", cache.shape, ndim=4,
                                                shape_text="(n_x, n_a, m, T_x)")
        G = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * n_a
        H = ((T + 1) * m, n_a + n_x)
        expected = {"rnn": [H], "lstm": [H, ((T + 1) * m, n_a), (T * m, G), (T * m, n_a)],
                    "gru": [H, (T * m, G), (T * m, n_a)]}[kind]
        saved = [cache.saved] if kind == "rnn" else list(cache.saved)
        arrays = [cache.W] + saved
        if (len(saved) != len(expected)
                or not all(isinstance(a, np.ndarray) for a in arrays)
                or [a.shape for a in arrays] != [(G, n_a + n_x)] + expected
                or cache.W.dtype not in _DTYPES
                or any(a.dtype != cache.W.dtype or not a.flags.c_contiguous
                       for a in arrays)):
            raise ValueError("its arrays do not have the shapes of that call")
    except (TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"cache does not belong to a valid {kind}_forward call: {err}") \
            from None


def _check_upstream(name, d, cache, what):
    n_x, n_a, m, T = cache.shape
    expected = (n_a, m, T)
    d = _float_array(name, d, f"(n_a, m, T_x) = {expected}", 3)
    if d.shape != expected:
        raise ValueError(f"{name} must have shape (n_a, m, T_x) = {expected}, the shape of "
                         f"the {what} this cache belongs to; got {d.shape}")
    if d.dtype != cache.W.dtype:
        raise ValueError(f"{name} must have the forward input's dtype {cache.W.dtype}, "
                         f"got {d.dtype}")
    return np.ascontiguousarray(d)


def _x_shape(cache):
    n_x, n_a, m, T = cache.shape
    return (n_x, m, T)


# ----------------------------------------------------------------------------- RNN
def rnn_forward(x: np.ndarray, a0: np.ndarray,
                params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, RNNCache]:
    """A basic RNN over a whole sequence: ``a<t> = tanh(Waa a<t-1> + Wax x<t> + ba)``.

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        The inputs of every time step, float32 or float64.
    a0 : ndarray, shape (n_a, m)
        The initial hidden state; same dtype as x.
    params : dict
        ``Waa`` (n_a, n_a), ``Wax`` (n_a, n_x), ``ba`` (n_a, 1); other keys are ignored.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        The hidden states a<1> ... a<T_x>.
    cache : RNNCache
        For :func:`rnn_backward`.
    """
    x, a0, n_x, n_a, m, T = _check_sequence(x, a0)
    _check_params(params)
    Waa = _param(params, "Waa", (n_a, n_a), "(n_a, n_a)", x.dtype)
    Wax = _param(params, "Wax", (n_a, n_x), "(n_a, n_x)", x.dtype)
    ba = _param(params, "ba", (n_a, 1), "(n_a, 1)", x.dtype)
    W = np.ascontiguousarray(np.concatenate([Waa, Wax], axis=1))
    a, saved = _rec.rnn_forward(np.ascontiguousarray(x), np.ascontiguousarray(a0), W,
                                np.ascontiguousarray(ba[:, 0]))
    return a, RNNCache((n_x, n_a, m, T), W, saved)


def rnn_backward(da: np.ndarray, cache: RNNCache) -> dict[str, np.ndarray]:
    """Backpropagation through time of :func:`rnn_forward`.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The loss's gradient with respect to every hidden state a<t> (not including what
        flows back from a<t+1>: the backward adds that itself).
    cache : RNNCache
        From the :func:`rnn_forward` call that produced those states.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWaa`` (n_a, n_a), ``dWax`` (n_a, n_x),
        ``dba`` (n_a, 1): sums over examples and time steps.
    """
    _check_cache(cache, "rnn", RNNCache)
    da = _check_upstream("da", da, cache, "rnn_forward output")
    n_a = cache.shape[1]
    dW, db, dx, da0 = _rec.rnn_backward(da, cache.saved, cache.W, _x_shape(cache))
    return {"dx": dx, "da0": da0, "dWaa": np.ascontiguousarray(dW[:, :n_a]),
            "dWax": np.ascontiguousarray(dW[:, n_a:]), "dba": db.reshape(n_a, 1)}


# ----------------------------------------------------------------------------- LSTM
def lstm_forward(x: np.ndarray, a0: np.ndarray, params: Mapping[str, np.ndarray],
                 c0: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, LSTMCache]:
    """An LSTM over a whole sequence (gates f, i, o and candidate c~, see the module).

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        float32 or float64.
    a0 : ndarray, shape (n_a, m)
        The initial hidden state; same dtype as x.
    params : dict
        ``Wf, Wi, Wc, Wo`` (n_a, n_a + n_x), acting on ``[a<t-1>; x<t>]``, and ``bf, bi,
        bc, bo`` (n_a, 1); other keys are ignored.
    c0 : ndarray, shape (n_a, m), optional
        The initial cell state; zeros by default.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        The hidden states a<1> ... a<T_x>.
    c : ndarray, shape (n_a, m, T_x)
        The cell states c<1> ... c<T_x>.
    cache : LSTMCache
        For :func:`lstm_backward`.
    """
    x, a0, n_x, n_a, m, T = _check_sequence(x, a0)
    if c0 is None:
        c0 = np.zeros_like(a0)
    else:
        c0 = _float_array("c0", c0, f"(n_a, m) = {a0.shape}", 2)
        if c0.shape != a0.shape:
            raise ValueError(f"c0 must have shape (n_a, m) = {a0.shape}, the shape of a0; "
                             f"got {c0.shape}")
        validation.same_dtype(("x", x), ("c0", c0))
    W, b = _gate_params(params, _LSTM_GATES, n_a, n_x, x.dtype)
    a, c, saved = _rec.lstm_forward(np.ascontiguousarray(x), np.ascontiguousarray(a0),
                                    np.ascontiguousarray(c0), W, b)
    return a, c, LSTMCache((n_x, n_a, m, T), W, saved)


def lstm_backward(da: np.ndarray, cache: LSTMCache,
                  dc: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Backpropagation through time of :func:`lstm_forward`.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The loss's gradient with respect to every hidden state a<t> (what flows back from
        step t+1 is added by the backward itself).
    cache : LSTMCache
        From the matching :func:`lstm_forward` call.
    dc : ndarray, shape (n_a, m, T_x), optional
        The loss's gradient with respect to the cell states c<t> from outside the layer
        (e.g. a decoder started from the last cell state); zeros by default.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dc0`` (n_a, m), and ``dWf, dWi, dWc,
        dWo`` (n_a, n_a + n_x), ``dbf, dbi, dbc, dbo`` (n_a, 1): sums over examples and
        time steps.
    """
    _check_cache(cache, "lstm", LSTMCache)
    da = _check_upstream("da", da, cache, "lstm_forward output")
    if dc is not None:
        dc = _check_upstream("dc", dc, cache, "lstm_forward cell states")
    n_a = cache.shape[1]
    dW, db, dx, da0, dc0 = _rec.lstm_backward(da, dc, cache.saved, cache.W, _x_shape(cache))
    return {"dx": dx, "da0": da0, "dc0": dc0, **_split(dW, db, _LSTM_GATES, n_a)}


# ----------------------------------------------------------------------------- GRU
def gru_forward(x: np.ndarray, a0: np.ndarray,
                params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, GRUCache]:
    """A GRU over a whole sequence (update gate Γu, relevance gate Γr, see the module).

    Parameters
    ----------
    x : ndarray, shape (n_x, m, T_x)
        float32 or float64.
    a0 : ndarray, shape (n_a, m)
        The initial hidden state; same dtype as x.
    params : dict
        ``Wu, Wr, Wc`` (n_a, n_a + n_x) and ``bu, br, bc`` (n_a, 1); ``Wc`` acts on
        ``[Γr * a<t-1>; x<t>]``. Other keys are ignored.

    Returns
    -------
    a : ndarray, shape (n_a, m, T_x)
        The hidden states a<1> ... a<T_x>.
    cache : GRUCache
        For :func:`gru_backward`.
    """
    x, a0, n_x, n_a, m, T = _check_sequence(x, a0)
    W, b = _gate_params(params, _GRU_GATES, n_a, n_x, x.dtype)
    a, saved = _rec.gru_forward(np.ascontiguousarray(x), np.ascontiguousarray(a0), W, b)
    return a, GRUCache((n_x, n_a, m, T), W, saved)


def gru_backward(da: np.ndarray, cache: GRUCache) -> dict[str, np.ndarray]:
    """Backpropagation through time of :func:`gru_forward`.

    Parameters
    ----------
    da : ndarray, shape (n_a, m, T_x)
        The loss's gradient with respect to every hidden state a<t>.
    cache : GRUCache
        From the matching :func:`gru_forward` call.

    Returns
    -------
    dict
        ``dx`` (n_x, m, T_x), ``da0`` (n_a, m), ``dWu, dWr, dWc`` (n_a, n_a + n_x),
        ``dbu, dbr, dbc`` (n_a, 1): sums over examples and time steps.
    """
    _check_cache(cache, "gru", GRUCache)
    da = _check_upstream("da", da, cache, "gru_forward output")
    n_a = cache.shape[1]
    dW, db, dx, da0 = _rec.gru_backward(da, cache.saved, cache.W, _x_shape(cache))
    return {"dx": dx, "da0": da0, **_split(dW, db, _GRU_GATES, n_a)}


# ----------------------------------------------------------------------------- embedding
def embedding_forward(ids: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, EmbeddingCache]:
    """Look up the embedding of every word: ``out[:, n, t] = E[:, ids[n, t]]`` (= E o_v).

    Parameters
    ----------
    ids : ndarray of int, shape (m, T_x)
        Word (or character) indices in ``[0, V)``.
    E : ndarray, shape (n_e, V)
        The embedding matrix, one column per word; float32 or float64.

    Returns
    -------
    out : ndarray, shape (n_e, m, T_x)
        A sequence in the layout recurrent layers take as ``x``; dtype of E.
    cache : EmbeddingCache
        For :func:`embedding_backward`.
    """
    ids = validation.array("ids", ids, ndim=2, shape_text="(m, T_x)", dtype_kinds="iu")
    E = _float_array("E", E, "(n_e, V)", 2)
    n_e, V = E.shape
    lo, hi = int(ids.min()), int(ids.max())
    if lo < 0 or hi >= V:
        raise ValueError(f"ids (m, T_x) must hold word indices in [0, V) = [0, {V}) for E "
                         f"of shape (n_e, V) = {E.shape}; got values from {lo} to {hi}")
    ids = np.ascontiguousarray(ids, dtype=np.int64)
    return E[:, ids], EmbeddingCache(ids, V, n_e, E.dtype)


def embedding_backward(dout: np.ndarray, cache: EmbeddingCache) -> np.ndarray:
    """The embedding's gradient: every ``dout[:, n, t]`` added onto column ``ids[n, t]``.

    Parameters
    ----------
    dout : ndarray, shape (n_e, m, T_x)
        The loss's gradient with respect to the looked-up vectors.
    cache : EmbeddingCache
        From the matching :func:`embedding_forward` call.

    Returns
    -------
    dE : ndarray, shape (n_e, V)
        Zero in the columns of words that did not occur (a scatter-add, no product).
    """
    validation.instance("cache", cache, EmbeddingCache,
                        what="the EmbeddingCache returned by embedding_forward")
    m, T = cache.ids.shape
    expected = (cache.n_e, m, T)
    dout = _float_array("dout", dout, f"(n_e, m, T_x) = {expected}", 3)
    if dout.shape != expected:
        raise ValueError(f"dout must have shape (n_e, m, T_x) = {expected}, the shape of "
                         f"the embedding_forward output this cache belongs to; "
                         f"got {dout.shape}")
    if dout.dtype != cache.dtype:
        raise ValueError(f"dout must have E's dtype {cache.dtype}, got {dout.dtype}")
    return _rec.embedding_backward(cache.ids, np.ascontiguousarray(dout), cache.V)
