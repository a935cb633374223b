"""Plain NumPy recurrent layers, what tests and benchmarks compare deepgrad.recurrent to.

Written the way the course teaches them (the Deep Learning Specialization's cell-by-cell
form): one function per cell, a Python loop over the time steps, the concatenation
``[a<t-1>; x<t>]`` built at every step, every gate its own product. Obviously right, and
never the library's method (no stacking, no fused passes, no time-major layout). Each
computes in the dtype of its inputs, so the benchmarks can time them as float32 baselines.

Shapes follow the course: x (n_x, m, T), hidden and cell states (n_a, m) per step and
(n_a, m, T) for a sequence, weights on the concatenation (n_a, n_a + n_x) (RNN: Waa (n_a,
n_a) and Wax (n_a, n_x)), biases (n_a, 1). Backward functions return dicts keyed like the
library's: dx, da0 (dc0), and ``"d" + name`` for every parameter.
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----------------------------------------------------------------------------- RNN
def rnn_forward(x, a0, p):
    """a<t> = tanh(Waa a<t-1> + Wax x<t> + ba) for t = 1..T; returns (a, cache)."""
    n_x, m, T = x.shape
    a = np.zeros((a0.shape[0], m, T), dtype=x.dtype)
    a_prev = a0
    for t in range(T):
        a_prev = np.tanh(p["Waa"] @ a_prev + p["Wax"] @ x[:, :, t] + p["ba"])
        a[:, :, t] = a_prev
    return a, (x, a0, a, p)


def rnn_backward(da, cache):
    """Backpropagation through time: da (n_a, m, T) is the loss's gradient on every a<t>."""
    x, a0, a, p = cache
    n_x, m, T = x.shape
    g = {"dx": np.zeros_like(x), "dWaa": np.zeros_like(p["Waa"]),
         "dWax": np.zeros_like(p["Wax"]), "dba": np.zeros_like(p["ba"])}
    da_next = np.zeros_like(a0)
    for t in reversed(range(T)):
        a_prev = a[:, :, t - 1] if t > 0 else a0
        dz = (da[:, :, t] + da_next) * (1 - a[:, :, t] ** 2)
        g["dx"][:, :, t] = p["Wax"].T @ dz
        g["dWax"] += dz @ x[:, :, t].T
        g["dWaa"] += dz @ a_prev.T
        g["dba"] += dz.sum(axis=1, keepdims=True)
        da_next = p["Waa"].T @ dz
    g["da0"] = da_next
    return g


# ----------------------------------------------------------------------------- LSTM
def lstm_cell_forward(xt, a_prev, c_prev, p):
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    a_next = ot * np.tanh(c_next)
    return a_next, c_next, (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt)


def lstm_forward(x, a0, p, c0=None):
    """Returns (a, c, cache), a and c (n_a, m, T)."""
    n_x, m, T = x.shape
    n_a = a0.shape[0]
    a = np.zeros((n_a, m, T), dtype=x.dtype)
    c = np.zeros((n_a, m, T), dtype=x.dtype)
    a_prev = a0
    c_prev = np.zeros_like(a0) if c0 is None else c0
    caches = []
    for t in range(T):
        a_prev, c_prev, cache = lstm_cell_forward(x[:, :, t], a_prev, c_prev, p)
        a[:, :, t], c[:, :, t] = a_prev, c_prev
        caches.append(cache)
    return a, c, (caches, p)


def lstm_backward(da, cache, dc=None):
    """da, dc (n_a, m, T): the loss's gradients on every a<t> and c<t> (dc optional)."""
    caches, p = cache
    n_a, m, T = da.shape
    n_x = caches[0][8].shape[0]
    g = {"dx": np.zeros((n_x, m, T), dtype=da.dtype)}
    for k in ("f", "i", "c", "o"):
        g["dW" + k] = np.zeros_like(p["W" + k])
        g["db" + k] = np.zeros_like(p["b" + k])
    da_next = np.zeros((n_a, m), dtype=da.dtype)
    dc_next = np.zeros((n_a, m), dtype=da.dtype)
    for t in reversed(range(T)):
        a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt = caches[t]
        dat = da[:, :, t] + da_next
        dct = dc_next + dat * ot * (1 - np.tanh(c_next) ** 2)
        if dc is not None:
            dct = dct + dc[:, :, t]
        dz = {"o": dat * np.tanh(c_next) * ot * (1 - ot),
              "c": dct * it * (1 - cct ** 2),
              "i": dct * cct * it * (1 - it),
              "f": dct * c_prev * ft * (1 - ft)}
        concat = np.concatenate([a_prev, xt], axis=0)
        dconcat = 0
        for k, d in dz.items():
            g["dW" + k] += d @ concat.T
            g["db" + k] += d.sum(axis=1, keepdims=True)
            dconcat = dconcat + p["W" + k].T @ d
        da_next = dconcat[:n_a]
        g["dx"][:, :, t] = dconcat[n_a:]
        dc_next = dct * ft
    g["da0"] = da_next
    g["dc0"] = dc_next
    return g


# ----------------------------------------------------------------------------- GRU
def gru_forward(x, a0, p):
    """The full GRU (Cho et al. 2014, the Deep Learning Specialization's form):
    Γu = σ(Wu [a; x] + bu), Γr = σ(Wr [a; x] + br), c~ = tanh(Wc [Γr * a; x] + bc),
    a<t> = Γu * c~ + (1 - Γu) * a<t-1>. Returns (a, cache)."""
    n_x, m, T = x.shape
    a = np.zeros((a0.shape[0], m, T), dtype=x.dtype)
    a_prev = a0
    caches = []
    for t in range(T):
        xt = x[:, :, t]
        concat = np.concatenate([a_prev, xt], axis=0)
        u = sigmoid(p["Wu"] @ concat + p["bu"])
        r = sigmoid(p["Wr"] @ concat + p["br"])
        cc = np.tanh(p["Wc"] @ np.concatenate([r * a_prev, xt], axis=0) + p["bc"])
        a_next = u * cc + (1 - u) * a_prev
        caches.append((a_prev, xt, u, r, cc))
        a[:, :, t] = a_prev = a_next
    return a, (caches, p)


def gru_backward(da, cache):
    caches, p = cache
    n_a, m, T = da.shape
    n_x = caches[0][1].shape[0]
    g = {"dx": np.zeros((n_x, m, T), dtype=da.dtype)}
    for k in ("u", "r", "c"):
        g["dW" + k] = np.zeros_like(p["W" + k])
        g["db" + k] = np.zeros_like(p["b" + k])
    da_next = np.zeros((n_a, m), dtype=da.dtype)
    for t in reversed(range(T)):
        a_prev, xt, u, r, cc = caches[t]
        dat = da[:, :, t] + da_next
        dzc = dat * u * (1 - cc ** 2)
        dzu = dat * (cc - a_prev) * u * (1 - u)
        concat = np.concatenate([a_prev, xt], axis=0)
        concat_r = np.concatenate([r * a_prev, xt], axis=0)
        dconcat_r = p["Wc"].T @ dzc
        dra = dconcat_r[:n_a]
        dzr = dra * a_prev * r * (1 - r)
        g["dWc"] += dzc @ concat_r.T
        g["dWu"] += dzu @ concat.T
        g["dWr"] += dzr @ concat.T
        for k, d in (("c", dzc), ("u", dzu), ("r", dzr)):
            g["db" + k] += d.sum(axis=1, keepdims=True)
        dconcat = p["Wu"].T @ dzu + p["Wr"].T @ dzr
        da_next = dconcat[:n_a] + dra * r + dat * (1 - u)
        g["dx"][:, :, t] = dconcat[n_a:] + dconcat_r[n_a:]
    g["da0"] = da_next
    return g


# ----------------------------------------------------------------------------- embedding
def embedding_forward(ids, E):
    """E (n_e, V) times the one-hot columns of ids (m, T): (n_e, m, T), the notes' E·o_v."""
    V = E.shape[1]
    onehot = (ids[None, :, :] == np.arange(V)[:, None, None]).astype(E.dtype)  # (V, m, T)
    return np.einsum("ev,vmt->emt", E, onehot), onehot


def embedding_backward(dout, onehot):
    """dE = dout · onehot^T over every (example, step)."""
    return np.einsum("emt,vmt->ev", dout, onehot)
