"""Numba kernels for the time loops of recurrent layers (RNN, LSTM, GRU) and embeddings.

Inside, everything is *time-major and batch-major*: a sequence is ``(T, m, width)``, so the
examples of one time step are contiguous rows and each example's gates are one contiguous
row. The dispatchers (:func:`rnn_forward` ... below) convert from and to the course's
``(n_x, m, T)`` layout once, outside the time loop. Per time step:

- **one matrix product for all gates**: ``[a<t-1>, x<t>]`` (a row per example, stored once in
  ``HX[t]``) times the stacked, transposed weights ``(n_a + n_x, G)`` -- ``G = n_a`` for the
  RNN, ``4 n_a`` for the LSTM (gates f, i, c~, o); the GRU needs a second, smaller one for
  its candidate, whose input ``Γr * a<t-1>`` exists only after the gates;
- **one fused pass** over the ``(m, G)`` pre-activations computes every gate's
  nonlinearity and the new states, and keeps what the backward needs.

The backward walks the time steps in reverse with the same structure: one fused pass turns
``da`` (and ``dc``) into the gates' pre-activation gradients ``dz<t>``, then one product
``dz<t> @ W`` gives ``[da<t-1>, dx<t>]`` at once. The weight gradient is not accumulated per
step: the dispatcher computes it after the loop as one large product, ``dZ^T @ HX`` over
all ``T * m`` rows.

The products are BLAS calls (``np.dot`` in Numba, i.e. SciPy's OpenBLAS) on **one BLAS
thread**; the cores are used by splitting the batch: ``prange`` over parts of the examples,
each part running the whole time loop on its own rows (the examples of a batch never
interact), so no thread ever waits for another inside the loop and no two write the same
memory. BLAS's own threads would fight the fused passes for the cores (measured: 10x slower).

Nonlinearities: in float32, ``tanh`` is a rational approximation (|error| < 4e-7, a few
float32 ulps; ``sigmoid(v) = (1 + tanh(v/2)) / 2``) that LLVM vectorizes -- libm's
``tanhf`` / ``expf`` are scalar calls here (no SVML) and were 3/4 of the forward's time.
float64 keeps libm's exact ``tanh`` and ``exp``.

Invariants: ``@njit(cache=True)``, plain loops and ``np.dot``, so ``NUMBA_DISABLE_JIT=1``
runs the same code as Python; no bounds checks inside, so the kernels are reached only
through :mod:`deepgrad.recurrent`, which validates every argument first. Measurements:
docs/kernels.md.
"""

from __future__ import annotations

import contextlib
import math

import numba
import numpy as np
from numba import njit, prange

__all__ = ["rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "gru_forward",
           "gru_backward", "embedding_backward", "precompile"]

# Reassociation and contraction only: a NaN in the data stays a NaN.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# error_model="numpy": a float division by zero gives inf instead of raising, so Numba
# emits no zero test per division -- that test alone kept every fused pass scalar.
_JIT = dict(cache=True, fastmath=_FASTMATH, error_model="numpy")
_MIN_PART = 8  # fewest examples per thread's part: smaller parts make poor products

# Eigen's rational approximation of tanh in float32 (numerator odd, denominator even).
_TANH_CLAMP = np.float32(7.90531110763549805)
_A1, _A3, _A5, _A7 = (np.float32(4.89352455891786e-03), np.float32(6.37261928875436e-04),
                      np.float32(1.48572235717979e-05), np.float32(5.12229709037114e-08))
_A9, _A11, _A13 = (np.float32(-8.60467152213735e-11), np.float32(2.00018790482477e-13),
                   np.float32(-2.76076847742355e-16))
_B0, _B2, _B4, _B6 = (np.float32(4.89352518554385e-03), np.float32(2.26843463243900e-03),
                      np.float32(1.18534705686654e-04), np.float32(1.19825839466702e-06))
_HALF32 = np.float32(0.5)


# ----------------------------------------------------------------------------- activations
@njit(**_JIT)
def _tanh32(v):
    """tanh of a float32 by a rational function: |error| < 4e-7; branch-free, vectorizes."""
    v = _TANH_CLAMP if v > _TANH_CLAMP else v  # selects, not min/max: they vectorize
    v = -_TANH_CLAMP if v < -_TANH_CLAMP else v
    v2 = v * v
    p = ((((((_A13 * v2 + _A11) * v2 + _A9) * v2 + _A7) * v2 + _A5) * v2 + _A3) * v2
         + _A1) * v
    q = ((_B6 * v2 + _B4) * v2 + _B2) * v2 + _B0
    return p / q


@njit(**_JIT)
def _tanh(v, fast):
    """``tanh(v)``: the float32 approximation when ``fast``, else libm's."""
    if fast:
        return _tanh32(v)
    return math.tanh(v)


@njit(**_JIT)
def _sigmoid(v, fast):
    """``1 / (1 + exp(-v))`` without overflow (``exp`` of ``-|v|`` only)."""
    if fast:
        return _HALF32 * _tanh32(_HALF32 * v) + _HALF32
    e = math.exp(-abs(v))
    if v >= 0:
        return 1.0 / (1.0 + e)
    return e / (1.0 + e)


def _parts(m: int) -> int:
    """How many parts the batch is split into: one per thread, at least _MIN_PART rows each."""
    return max(1, min(numba.get_num_threads(), m // _MIN_PART))


@njit(cache=True)
def _part_rows(part, nparts, m):
    return part * m // nparts, (part + 1) * m // nparts


# ----------------------------------------------------------------------------- RNN
@njit(parallel=True, **_JIT)
def _rnn_forward(HX, WT, b, a_out, nparts):
    """RNN over a whole sequence: ``a<t> = tanh([a<t-1>, x<t>] @ WT + b)``.

    HX : (T+1, m, n_a + n_x), rows ``[a<t-1>, x<t>]``; ``HX[0, :, :n_a]`` holds a0 and the
        x columns of ``HX[:T]`` the inputs on entry; the kernel fills ``HX[t+1, :, :n_a]``
        with ``a<t>``. WT : (n_a + n_x, n_a) = ``[Waa, Wax].T``; b : (n_a,).
    a_out : (n_a, m, T) receives the hidden states in the course layout as well.
    """
    T = HX.shape[0] - 1
    m = HX.shape[1]
    na = WT.shape[1]
    fast = HX.itemsize == 4
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        z = np.empty((hi - lo, na), dtype=HX.dtype)
        for t in range(T):
            np.dot(HX[t, lo:hi], WT, z)
            for r in range(hi - lo):
                for j in range(na):
                    a = _tanh(z[r, j] + b[j], fast)
                    HX[t + 1, lo + r, j] = a
                    a_out[j, lo + r, t] = a


@njit(parallel=True, **_JIT)
def _rnn_backward(da, HX, W, DZ, dHX, nparts):
    """Backward through time of :func:`_rnn_forward`.

    da : (T, m, n_a) upstream gradient, time-major. W : (n_a, n_a + n_x).
    Fills DZ (T, m, n_a) with the pre-activation gradients and dHX (T, m, n_a + n_x) with
    ``[da<t-1>, dx<t>]`` per step (``dHX[0, :, :n_a]`` is da0).
    """
    T = DZ.shape[0]
    m = DZ.shape[1]
    na = DZ.shape[2]
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        for t in range(T - 1, -1, -1):
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    g = da[t, n, j]
                    if t + 1 < T:
                        g += dHX[t + 1, n, j]
                    a = HX[t + 1, n, j]
                    DZ[t, n, j] = g * (1.0 - a * a)
            np.dot(DZ[t, lo:hi], W, dHX[t, lo:hi])


# ----------------------------------------------------------------------------- LSTM
@njit(parallel=True, **_JIT)
def _lstm_forward(HX, WT, b, C, Gs, TC, a_out, c_out, nparts):
    """LSTM over a whole sequence, gates in the order f, i, c~, o of the stacked weights.

    HX : (T+1, m, n_a + n_x) as for :func:`_rnn_forward`; C : (T+1, m, n_a) with c0 in
    ``C[0]``, filled with ``c<t>``; Gs : (T, m, 4 n_a) receives the gates after their
    nonlinearities; TC : (T, m, n_a) receives ``tanh(c<t>)``. WT : (n_a + n_x, 4 n_a).
    a_out, c_out : (n_a, m, T) receive the hidden and cell states in the course layout.
    """
    T = HX.shape[0] - 1
    m = HX.shape[1]
    G = WT.shape[1]
    na = G // 4
    fast = HX.itemsize == 4
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        z = np.empty((hi - lo, G), dtype=HX.dtype)
        for t in range(T):
            np.dot(HX[t, lo:hi], WT, z)
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    f = _sigmoid(z[r, j] + b[j], fast)
                    i = _sigmoid(z[r, na + j] + b[na + j], fast)
                    cc = _tanh(z[r, 2 * na + j] + b[2 * na + j], fast)
                    o = _sigmoid(z[r, 3 * na + j] + b[3 * na + j], fast)
                    c = f * C[t, n, j] + i * cc
                    tc = _tanh(c, fast)
                    C[t + 1, n, j] = c
                    TC[t, n, j] = tc
                    HX[t + 1, n, j] = o * tc
                    a_out[j, n, t] = o * tc
                    c_out[j, n, t] = c
                    Gs[t, n, j] = f
                    Gs[t, n, na + j] = i
                    Gs[t, n, 2 * na + j] = cc
                    Gs[t, n, 3 * na + j] = o


@njit(parallel=True, **_JIT)
def _lstm_backward(da, dc, use_dc, C, Gs, TC, W, DZ, dHX, dC0, nparts):
    """Backward through time of :func:`_lstm_forward`.

    da : (T, m, n_a) upstream gradient of the hidden states, dc : (T, m, n_a) of the cell
    states (time-major; read only when ``use_dc``). W : (4 n_a, n_a + n_x). Fills DZ (T, m, 4 n_a), dHX
    (T, m, n_a + n_x) (``dHX[0, :, :n_a]`` is da0) and dC0 (m, n_a).
    """
    T = DZ.shape[0]
    m = DZ.shape[1]
    na = DZ.shape[2] // 4
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        dcn = np.zeros((hi - lo, na), dtype=DZ.dtype)  # dc carried from step t+1
        for t in range(T - 1, -1, -1):
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    g = da[t, n, j]
                    if t + 1 < T:
                        g += dHX[t + 1, n, j]
                    f = Gs[t, n, j]
                    i = Gs[t, n, na + j]
                    cc = Gs[t, n, 2 * na + j]
                    o = Gs[t, n, 3 * na + j]
                    tc = TC[t, n, j]
                    d_c = dcn[r, j] + g * o * (1.0 - tc * tc)
                    if use_dc:
                        d_c += dc[t, n, j]
                    DZ[t, n, j] = d_c * C[t, n, j] * f * (1.0 - f)
                    DZ[t, n, na + j] = d_c * cc * i * (1.0 - i)
                    DZ[t, n, 2 * na + j] = d_c * i * (1.0 - cc * cc)
                    DZ[t, n, 3 * na + j] = g * tc * o * (1.0 - o)
                    dcn[r, j] = d_c * f
            np.dot(DZ[t, lo:hi], W, dHX[t, lo:hi])
        for r in range(hi - lo):
            for j in range(na):
                dC0[lo + r, j] = dcn[r, j]


# ----------------------------------------------------------------------------- GRU
@njit(parallel=True, **_JIT)
def _gru_forward(HX, WT, b, WcaT, Gs, RA, a_out, nparts):
    """GRU over a whole sequence (Cho et al. 2014, the Deep Learning Specialization's form).

    ``Γu = σ(Wu [a, x] + bu)``, ``Γr = σ(Wr [a, x] + br)``,
    ``c~ = tanh(Wc [Γr * a, x] + bc)``, ``a<t> = Γu * c~ + (1 - Γu) * a<t-1>``.
    HX : (T+1, m, n_a + n_x) as for :func:`_rnn_forward`; WT : (n_a + n_x, 3 n_a) =
    ``[Wu; Wr; Wc with its a-columns zeroed].T`` (so the product gives the gates' and the
    candidate's x-part); WcaT : (n_a, n_a) = the a-columns of Wc, transposed; b : (3 n_a,).
    Gs : (T, m, 3 n_a) receives Γu, Γr, c~; RA : (T, m, n_a) receives ``Γr * a<t-1>``;
    a_out : (n_a, m, T) the hidden states in the course layout.
    """
    T = HX.shape[0] - 1
    m = HX.shape[1]
    G = WT.shape[1]
    na = G // 3
    fast = HX.itemsize == 4
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        z = np.empty((hi - lo, G), dtype=HX.dtype)
        zc = np.empty((hi - lo, na), dtype=HX.dtype)
        for t in range(T):
            np.dot(HX[t, lo:hi], WT, z)
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    u = _sigmoid(z[r, j] + b[j], fast)
                    g = _sigmoid(z[r, na + j] + b[na + j], fast)
                    Gs[t, n, j] = u
                    Gs[t, n, na + j] = g
                    RA[t, n, j] = g * HX[t, n, j]
            np.dot(RA[t, lo:hi], WcaT, zc)
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    cc = _tanh(zc[r, j] + z[r, 2 * na + j] + b[2 * na + j], fast)
                    u = Gs[t, n, j]
                    Gs[t, n, 2 * na + j] = cc
                    a = u * cc + (1.0 - u) * HX[t, n, j]
                    HX[t + 1, n, j] = a
                    a_out[j, n, t] = a


@njit(parallel=True, **_JIT)
def _gru_backward(da, HX, Gs, W, Wca, DZ, dHX, nparts):
    """Backward through time of :func:`_gru_forward`.

    da : (T, m, n_a) upstream gradient (time-major); W : (3 n_a, n_a + n_x) as stacked
    for the forward (Wc's a-columns zeroed), Wca : (n_a, n_a). Fills DZ (T, m, 3 n_a)
    (pre-activation gradients of Γu, Γr, c~) and dHX (T, m, n_a + n_x) (``dHX[0, :, :n_a]`` is da0).
    """
    T = DZ.shape[0]
    m = DZ.shape[1]
    na = DZ.shape[2] // 3
    for part in prange(nparts):
        lo, hi = _part_rows(part, nparts, m)
        dap = np.empty((hi - lo, na), dtype=DZ.dtype)  # direct part of da<t-1>
        dzc = np.empty((hi - lo, na), dtype=DZ.dtype)  # the candidate's dz, contiguous
        dra = np.empty((hi - lo, na), dtype=DZ.dtype)  # dzc @ Wca: d(Γr * a<t-1>)
        for t in range(T - 1, -1, -1):
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    g = da[t, n, j]
                    if t + 1 < T:
                        g += dHX[t + 1, n, j]
                    u = Gs[t, n, j]
                    cc = Gs[t, n, 2 * na + j]
                    a_prev = HX[t, n, j]
                    DZ[t, n, j] = g * (cc - a_prev) * u * (1.0 - u)
                    d = g * u * (1.0 - cc * cc)
                    DZ[t, n, 2 * na + j] = d
                    dzc[r, j] = d
                    dap[r, j] = g * (1.0 - u)
            np.dot(dzc, Wca, dra)
            for r in range(hi - lo):
                n = lo + r
                for j in range(na):
                    gr = Gs[t, n, na + j]
                    DZ[t, n, na + j] = dra[r, j] * HX[t, n, j] * gr * (1.0 - gr)
                    dap[r, j] += dra[r, j] * gr
            np.dot(DZ[t, lo:hi], W, dHX[t, lo:hi])
            for r in range(hi - lo):
                for j in range(na):
                    dHX[t, lo + r, j] += dap[r, j]


# ----------------------------------------------------------------------------- embedding
@njit(cache=True)
def _embedding_backward(ids, dout, dE):
    """``dE[:, ids[n, t]] += dout[:, n, t]`` (scatter-add; ``dE`` zeroed first).

    ids : (m, T) int64 in [0, V); dout : (n_e, m, T); dE : (n_e, V).
    """
    ne = dE.shape[0]
    m, T = ids.shape
    for e in range(ne):
        for v in range(dE.shape[1]):
            dE[e, v] = 0.0
        for n in range(m):
            for t in range(T):
                dE[e, ids[n, t]] += dout[e, n, t]


# ----------------------------------------------------------------------------- dispatch
@contextlib.contextmanager
def _one_blas_thread():
    """Run the block with every OpenBLAS loaded (NumPy's and SciPy's) on one thread.

    The kernels' per-step products are small, and the kernels split the batch over the
    cores themselves: BLAS threads would only spin against them.
    """
    libs = _blas_libraries()
    before = [lib.num_threads for lib in libs]
    for lib in libs:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in zip(libs, before):
            lib.set_num_threads(n)


_BLAS: list | None = None


def _blas_libraries() -> list:
    """The OpenBLAS libraries of this process (found once; none if threadpoolctl is absent)."""
    global _BLAS
    if _BLAS is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (what Numba's np.dot calls)
            from threadpoolctl import ThreadpoolController
            _BLAS = [lib for lib in ThreadpoolController().lib_controllers
                     if lib.internal_api == "openblas"]
        except ImportError:  # pragma: no cover - both come with scikit-learn
            _BLAS = []
    return _BLAS


def _stack_input(x, a0, width):
    """``HX`` (T+1, m, n_a + n_x): a0 in ``HX[0, :, :n_a]``, ``x<t>`` in ``HX[t, :, n_a:]``."""
    n_x, m, T = x.shape
    na = a0.shape[0]
    HX = np.empty((T + 1, m, width), dtype=x.dtype)
    HX[0, :, :na] = a0.T
    HX[:T, :, na:] = x.transpose(2, 1, 0)
    HX[T, :, na:] = 0.0
    return HX


def _time_major(d):
    """(k, m, T) -> (T, m, k), C-contiguous."""
    return np.ascontiguousarray(d.transpose(2, 1, 0))


def rnn_forward(x, a0, W, b):
    """Hidden states (n_a, m, T) and the kernel's array for the backward.

    x (n_x, m, T), a0 (n_a, m), W (n_a, n_a + n_x) = [Waa, Wax], b (n_a,): validated, one
    float dtype (by :func:`deepgrad.recurrent.rnn_forward`).
    """
    n_x, m, T = x.shape
    na = W.shape[0]
    HX = _stack_input(x, a0, W.shape[1])
    a = np.empty((na, m, T), dtype=x.dtype)
    with _one_blas_thread():
        _rnn_forward(HX, np.ascontiguousarray(W.T), b, a, _parts(m))
    return a, HX


def rnn_backward(da, HX, W):
    """``(dW, db, dx, da0)`` of :func:`rnn_forward`; da (n_a, m, T)."""
    na, m, T = da.shape
    DZ = np.empty((T, m, na), dtype=da.dtype)
    dHX = np.empty((T, m, W.shape[1]), dtype=da.dtype)
    with _one_blas_thread():
        _rnn_backward(_time_major(da), HX, W, DZ, dHX, _parts(m))
    return _weight_grads(DZ, HX, dHX, na)


def _weight_grads(DZ, HX, dHX, na):
    """dW = dZ^T @ HX over all (t, example) rows; db; dx (n_x, m, T); da0 (n_a, m)."""
    T, m, G = DZ.shape
    DZ2 = DZ.reshape(T * m, G)
    dW = DZ2.T @ HX[:T].reshape(T * m, -1)
    db = DZ2.sum(axis=0)
    return (dW, db, np.ascontiguousarray(dHX[:, :, na:].transpose(2, 1, 0)),
            np.ascontiguousarray(dHX[0, :, :na].T))


def lstm_forward(x, a0, c0, W, b):
    """Hidden and cell states (n_a, m, T) each, and the kernel's arrays for the backward.

    W (4 n_a, n_a + n_x) = [Wf; Wi; Wc; Wo], b (4 n_a,).
    """
    n_x, m, T = x.shape
    na = a0.shape[0]
    HX = _stack_input(x, a0, W.shape[1])
    C = np.empty((T + 1, m, na), dtype=x.dtype)
    C[0] = c0.T
    Gs = np.empty((T, m, 4 * na), dtype=x.dtype)
    TC = np.empty((T, m, na), dtype=x.dtype)
    a = np.empty((na, m, T), dtype=x.dtype)
    c = np.empty((na, m, T), dtype=x.dtype)
    with _one_blas_thread():
        _lstm_forward(HX, np.ascontiguousarray(W.T), b, C, Gs, TC, a, c, _parts(m))
    return a, c, (HX, C, Gs, TC)


def lstm_backward(da, dc, saved, W):
    """``(dW, db, dx, da0, dc0)`` of :func:`lstm_forward`; da, dc (n_a, m, T), dc may be
    None (no gradient on the cell states from outside)."""
    HX, C, Gs, TC = saved
    na, m, T = da.shape
    DZ = np.empty((T, m, 4 * na), dtype=da.dtype)
    dHX = np.empty((T, m, W.shape[1]), dtype=da.dtype)
    dC0 = np.empty((m, na), dtype=da.dtype)
    da_t = _time_major(da)
    dc_t = da_t if dc is None else _time_major(dc)  # not read when dc is None
    with _one_blas_thread():
        _lstm_backward(da_t, dc_t, dc is not None, C, Gs, TC, W, DZ, dHX, dC0, _parts(m))
    return _weight_grads(DZ, HX, dHX, na) + (np.ascontiguousarray(dC0.T),)


def gru_forward(x, a0, W, b):
    """Hidden states (n_a, m, T) and the kernel's arrays for the backward.

    W (3 n_a, n_a + n_x) = [Wu; Wr; Wc], b (3 n_a,).
    """
    n_x, m, T = x.shape
    na = a0.shape[0]
    Wg, Wca = _gru_weights(W, na)
    HX = _stack_input(x, a0, W.shape[1])
    Gs = np.empty((T, m, 3 * na), dtype=x.dtype)
    RA = np.empty((T, m, na), dtype=x.dtype)
    a = np.empty((na, m, T), dtype=x.dtype)
    with _one_blas_thread():
        _gru_forward(HX, np.ascontiguousarray(Wg.T), b, np.ascontiguousarray(Wca.T), Gs,
                     RA, a, _parts(m))
    return a, (HX, Gs, RA)


def _gru_weights(W, na):
    """The stacked weights with Wc's a-columns zeroed, and those columns (n_a, n_a)."""
    Wg = W.copy()
    Wg[2 * na:, :na] = 0.0
    return Wg, np.ascontiguousarray(W[2 * na:, :na])


def gru_backward(da, saved, W):
    """``(dW, db, dx, da0)`` of :func:`gru_forward`; da (n_a, m, T)."""
    HX, Gs, RA = saved
    na, m, T = da.shape
    Wg, Wca = _gru_weights(W, na)
    DZ = np.empty((T, m, 3 * na), dtype=da.dtype)
    dHX = np.empty((T, m, W.shape[1]), dtype=da.dtype)
    with _one_blas_thread():
        _gru_backward(_time_major(da), HX, Gs, Wg, Wca, DZ, dHX, _parts(m))
    dW, db, dx, da0 = _weight_grads(DZ, HX, dHX, na)
    # The candidate's a-columns saw Γr * a<t-1>, not a<t-1>.
    dZc = DZ[:, :, 2 * na:].reshape(T * m, na)
    dW[2 * na:, :na] = dZc.T @ RA.reshape(T * m, na)
    return dW, db, dx, da0


def embedding_backward(ids, dout, V):
    """dE (n_e, V): the scatter-add of dout (n_e, m, T) onto the columns ``ids`` (m, T)."""
    dE = np.empty((dout.shape[0], V), dtype=dout.dtype)
    _embedding_backward(ids, dout, dE)
    return dE


def precompile() -> None:
    """Compile (or load from cache) every kernel for float32 and float64."""
    for dtype in (np.float32, np.float64):
        x = np.zeros((3, 2, 2), dtype=dtype)
        a0 = np.zeros((2, 2), dtype=dtype)
        b1 = np.zeros(2, dtype=dtype)
        a, HX = rnn_forward(x, a0, np.zeros((2, 5), dtype=dtype), b1)
        rnn_backward(a, HX, np.zeros((2, 5), dtype=dtype))
        W4 = np.zeros((8, 5), dtype=dtype)
        a, c, saved = lstm_forward(x, a0, a0, W4, np.zeros(8, dtype=dtype))
        lstm_backward(a, c, saved, W4)
        lstm_backward(a, None, saved, W4)
        W3 = np.zeros((6, 5), dtype=dtype)
        a, saved = gru_forward(x, a0, W3, np.zeros(6, dtype=dtype))
        gru_backward(a, saved, W3)
        embedding_backward(np.zeros((2, 2), dtype=np.int64), x, 4)
