"""Reference implementations that tests and benchmarks compare deepgrad against.

Each is written to be obviously right, never with the library's method: plain loops where
that is fast enough, plain numpy where a test needs bigger shapes. Every function computes
in the dtype of its inputs (pass float64 arrays for a float64 reference); the benchmarks
time the numpy ones as baselines, so they must not upcast a float32 input.

Shapes follow the course: volumes ``(m, h, w, c)``, filters ``(K, f, f, c)``, one bias per
filter ``(K,)``, convolution outputs ``(m, ho, wo, K)`` with ``ho = (h + 2 pad - f) //
stride + 1``; fully connected data ``(n, m)``, one column per example.
"""

from __future__ import annotations

import math

import numpy as np


# ----------------------------------------------------------------------------- convolution
def output_size(n: int, f: int, stride: int, pad: int) -> int:
    """Output length of a window of ``f`` sliding by ``stride`` over ``n + 2 pad``."""
    return (n + 2 * pad - f) // stride + 1


def pad_volume(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` (m, h, w, c) with ``pad`` zeros around each image: (m, h + 2 pad, w + 2 pad, c)."""
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def naive_conv_forward(x, w, b, stride, pad):
    """Convolution by loops, one ``np.sum`` per output value.

    x (m, h, w, c), w (K, f, f, c), b (K,) -> out (m, ho, wo, K).
    """
    m, h, wd, _ = x.shape
    K, f = w.shape[0], w.shape[1]
    ho, wo = output_size(h, f, stride, pad), output_size(wd, f, stride, pad)
    xp = pad_volume(x, pad)
    out = np.zeros((m, ho, wo, K), dtype=np.result_type(x, w))
    for n in range(m):
        for r in range(ho):
            for q in range(wo):
                window = xp[n, r * stride:r * stride + f, q * stride:q * stride + f, :]
                for k in range(K):
                    out[n, r, q, k] = np.sum(window * w[k]) + b[k]
    return out


def naive_conv_backward(dout, x, w, stride, pad):
    """Gradients of ``naive_conv_forward`` by loops: each output value sends its gradient
    back to the window and the filter that made it.

    dout (m, ho, wo, K), x (m, h, w, c), w (K, f, f, c) -> dx (m, h, w, c),
    dw (K, f, f, c), db (K,).
    """
    h, wd = x.shape[1], x.shape[2]
    K, f = w.shape[0], w.shape[1]
    m, ho, wo, _ = dout.shape
    xp = pad_volume(x, pad).astype(np.result_type(x, w))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w, dtype=xp.dtype)
    for n in range(m):
        for r in range(ho):
            for q in range(wo):
                rows = slice(r * stride, r * stride + f)
                cols = slice(q * stride, q * stride + f)
                for k in range(K):
                    g = dout[n, r, q, k]
                    dxp[n, rows, cols, :] += g * w[k]
                    dw[k] += g * xp[n, rows, cols, :]
    db = dout.sum(axis=(0, 1, 2))
    return dxp[:, pad:pad + h, pad:pad + wd, :], dw, db


def windows(x, f, stride, pad):
    """Every ``f`` x ``f`` window of the padded ``x``, as a view (numpy's sliding windows).

    x (m, h, w, c) -> (m, ho, wo, c, f, f).
    """
    v = np.lib.stride_tricks.sliding_window_view(pad_volume(x, pad), (f, f), axis=(1, 2))
    return v[:, ::stride, ::stride]


def numpy_im2col(x, f, stride, pad):
    """The windows as rows: one row per output position in (example, row, column) order,
    its values in (i, j, channel) order, the order of ``w.reshape(K, -1)``.

    x (m, h, w, c) -> cols (m * ho * wo, f * f * c).
    """
    v = windows(x, f, stride, pad)
    m, ho, wo, c = v.shape[:4]
    return v.transpose(0, 1, 2, 4, 5, 3).reshape(m * ho * wo, f * f * c)


def numpy_conv_forward(x, w, b, stride, pad):
    """Convolution as numpy im2col and one matrix product.

    x (m, h, w, c), w (K, f, f, c), b (K,) -> out (m, ho, wo, K).
    """
    K, f = w.shape[0], w.shape[1]
    ho = output_size(x.shape[1], f, stride, pad)
    wo = output_size(x.shape[2], f, stride, pad)
    cols = numpy_im2col(x, f, stride, pad)
    return (cols @ w.reshape(K, -1).T + b).reshape(x.shape[0], ho, wo, K)


def numpy_conv_backward(dout, x, w, stride, pad, cols=None):
    """Gradients of ``numpy_conv_forward``: two matrix products, and col2im as ``f * f``
    strided additions.

    dout (m, ho, wo, K), x (m, h, w, c), w (K, f, f, c); ``cols``: ``numpy_im2col(x, f,
    stride, pad)`` if already computed -> dx (m, h, w, c), dw (K, f, f, c), db (K,).
    """
    m, h, wd, c = x.shape
    K, f = w.shape[0], w.shape[1]
    _, ho, wo, _ = dout.shape
    if cols is None:
        cols = numpy_im2col(x, f, stride, pad)
    d2 = dout.reshape(-1, K)
    db = d2.sum(axis=0)
    dw = (d2.T @ cols).reshape(w.shape)
    dcols = (d2 @ w.reshape(K, -1)).reshape(m, ho, wo, f, f, c)
    dxp = np.zeros((m, h + 2 * pad, wd + 2 * pad, c), dtype=dcols.dtype)
    for i in range(f):
        for j in range(f):
            dxp[:, i:i + stride * ho:stride, j:j + stride * wo:stride, :] += dcols[:, :, :, i, j]
    return dxp[:, pad:pad + h, pad:pad + wd, :], dw, db


# ----------------------------------------------------------------------------- pooling
def naive_pool_forward(x, size, stride, kind):
    """Max or average pooling by loops, no padding.

    x (m, h, w, c), ``kind`` "max" or "avg" -> out (m, ho, wo, c).
    """
    m, h, wd, c = x.shape
    ho, wo = output_size(h, size, stride, 0), output_size(wd, size, stride, 0)
    out = np.zeros((m, ho, wo, c), dtype=x.dtype)
    for n in range(m):
        for r in range(ho):
            for q in range(wo):
                for ch in range(c):
                    window = x[n, r * stride:r * stride + size, q * stride:q * stride + size, ch]
                    out[n, r, q, ch] = window.max() if kind == "max" else window.mean()
    return out


def naive_pool_backward(dout, x, size, stride, kind):
    """Gradient of ``naive_pool_forward`` by loops: max pooling sends each value to the
    first maximum of its window (row-major order), average pooling spreads it evenly.

    dout (m, ho, wo, c), x (m, h, w, c) -> dx (m, h, w, c).
    """
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    m, ho, wo, c = dout.shape
    for n in range(m):
        for r in range(ho):
            for q in range(wo):
                for ch in range(c):
                    rows = slice(r * stride, r * stride + size)
                    cols = slice(q * stride, q * stride + size)
                    if kind == "max":
                        i, j = np.unravel_index(np.argmax(x[n, rows, cols, ch]), (size, size))
                        dx[n, r * stride + i, q * stride + j, ch] += dout[n, r, q, ch]
                    else:
                        dx[n, rows, cols, ch] += dout[n, r, q, ch] / size ** 2
    return dx


# ----------------------------------------------------------------------------- logistic regression
def logistic_features(points, mode):
    """points (2, m) -> features: (2, m) for "linear", (5, m) for "quadratic"
    (x1, x2, x1², x2², x1 x2)."""
    x1, x2 = points
    rows = [x1, x2] if mode == "linear" else [x1, x2, x1 ** 2, x2 ** 2, x1 * x2]
    return np.vstack(rows)


def sigmoid(z):
    """The logistic function as ``(1 + tanh(z / 2)) / 2``: no overflow for any z, and not
    the formula the kernels use."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def logistic_gradient_descent(points, labels, mode, learning_rate, num_iterations, beta=0.0):
    """Batch gradient descent with heavy-ball momentum on standardized features, from
    w = 0, b = 0, vectorized over the examples.

    points (2, m), labels (1, m) in {0, 1} -> w (n, 1), b, costs (num_iterations + 1,)
    (the cost before each step and after the last), feature mean (n,), feature scale (n,)
    (a constant feature gets scale 1).
    """
    F = logistic_features(points, mode)
    mean = F.mean(axis=1, keepdims=True)
    scale = F.std(axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    F = (F - mean) / scale
    m = F.shape[1]
    w = np.zeros((F.shape[0], 1))
    b = 0.0
    vw, vb = np.zeros_like(w), 0.0
    costs = np.empty(num_iterations + 1)
    for it in range(num_iterations + 1):
        z = w.T @ F + b
        costs[it] = np.mean(np.logaddexp(0.0, z) - labels * z)
        if it == num_iterations:
            break
        dz = sigmoid(z) - labels
        vw = beta * vw + F @ dz.T / m
        vb = beta * vb + float(np.mean(dz))
        w = w - learning_rate * vw
        b = b - learning_rate * vb
    return w, b, costs, mean[:, 0], scale[:, 0]


def logistic_probabilities(w, b, mean, scale, points, mode):
    """P(y = 1) of the model from ``logistic_gradient_descent``: points (2, m) -> (1, m)."""
    F = (logistic_features(points, mode) - mean[:, None]) / scale[:, None]
    return sigmoid(w.T @ F + b)


# ----------------------------------------------------------------------------- init stats
def deep_net_forward_backward(X, labels, weights, activation, batch_norm, eps=1e-5):
    """One forward and backward pass of a fully connected net with no bias, in numpy.

    X (n_x, m); labels (m,) ints; weights [W1 (n_1, n_x), ..., W_L, W_out (n_c, n_L)];
    hidden layers ``Z = W A_prev``, optionally ``Ẑ = (Z - mean) / sqrt(var + eps)`` over
    the batch (no learned scale), ``A = g(Ẑ)``; softmax and mean cross-entropy on the
    output. Returns (A per hidden layer, dloss/dZ per hidden layer (before the
    normalization), loss).
    """
    tanh = np.vectorize(math.tanh)  # libm's, as the kernel: both round tanh(z) to 1 alike

    def sigmoid_stable(z):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    g = {"tanh": tanh, "relu": lambda z: np.maximum(z, 0.0), "sigmoid": sigmoid_stable,
         "linear": lambda z: z}
    # Slopes from the outputs (1 - a², a (1 - a)), as written in the notes.
    dg = {"tanh": lambda z, a: 1.0 - a * a, "relu": lambda z, a: (z > 0).astype(float),
          "sigmoid": lambda z, a: a * (1.0 - a), "linear": lambda z, a: np.ones_like(z)}
    m = X.shape[1]
    A, acts, caches = X, [], []
    for W in weights[:-1]:
        Z = W @ A
        if batch_norm:
            mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
            Zh = (Z - mu) / np.sqrt(var + eps)
        else:
            Zh, var = Z, None
        A = g[activation](Zh)
        acts.append(A)
        caches.append((Zh, var))
    logits = weights[-1] @ A
    shifted = logits - logits.max(axis=0, keepdims=True)
    P = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
    Y = np.zeros_like(P)
    Y[labels, np.arange(m)] = 1.0
    picked = shifted[labels, np.arange(m)]
    loss = float(np.mean(np.log(np.exp(shifted).sum(axis=0)) - picked))
    dA = weights[-1].T @ ((P - Y) / m)
    grads = [None] * len(acts)
    for layer in range(len(acts) - 1, -1, -1):
        Zh, var = caches[layer]
        dZh = dA * dg[activation](Zh, acts[layer])
        if batch_norm:
            dZ = (dZh - dZh.mean(axis=1, keepdims=True)
                  - Zh * (dZh * Zh).mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
        else:
            dZ = dZh
        grads[layer] = dZ
        dA = weights[layer].T @ dZ
    return acts, grads, loss
