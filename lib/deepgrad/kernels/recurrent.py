"""Numba kernels for the time loops of recurrent layers (RNN, LSTM, GRU) and embeddings.

Inputs and outputs are in the course's layout (``x`` (n_x, m, T), states (n_a, m, T)).
Inside, the batch is split into parts, one per thread, and each part runs the whole time
loop on its own examples -- the examples of a batch never interact, so no thread waits for
another inside the loop and no two write the same memory. The kernels are serial and
release the GIL (``nogil``); :func:`_run_parts` runs the parts on a small pool of Python
threads. (``parallel=True`` with ``prange`` ran as fast but cost 2.4x the compile time:
35.5 s against 14.9 s for a cold :func:`precompile`.) A part's rows
are *time-major and batch-major*: the mp examples of step t are the contiguous rows
``T lo + t mp + r`` (``(T+1) lo + t mp + r`` in the arrays that also hold step T), each
example's gates one contiguous row, all T steps of a part one contiguous block. Per step:

- **one matrix product for all gates**: the rows ``[a<t-1>, x<t>]`` (``HX``) times the
  stacked, transposed weights ``(n_a + n_x, G)`` -- ``G = n_a`` for the RNN, ``4 n_a`` for
  the LSTM (gates f, i, c~, o); the GRU needs a second, smaller one for its candidate,
  whose input ``Γr * a<t-1>`` exists only after the gates;
- **one fused pass** over the ``(mp, G)`` pre-activations computes every gate's
  nonlinearity and the new states, writes them where the next step's product reads
  them, and keeps what the backward needs.

The backward walks the steps in reverse with the same structure: one fused pass turns
``da`` (and ``dc``) into the gates' pre-activation gradients ``dz<t>``, then one product
``dz<t> @ W`` gives ``[da<t-1>, dx<t>]`` at once. The weight gradient is not accumulated
per step: after its loop each part computes it as one large product ``dZ^T @ HX`` over its
T mp rows (:func:`_part_grads`); the dispatcher adds the parts.

The products are BLAS calls (``np.dot`` in Numba: SciPy's OpenBLAS) made on **one BLAS
thread** (:func:`deepgrad.kernels.one_blas_thread` sets every OpenBLAS of the process to one thread for
the call, and restores it): the threads are the parts'. Multi-threaded BLAS beside them
stalled whole calls for a scheduler time slice (~24 ms) on a busy machine
(docs/kernels.md).

Nonlinearities: in float32, ``tanh`` is a rational approximation (|error| < 4e-7, a few
float32 ulps; ``sigmoid(v) = (1 + tanh(v/2)) / 2``) that LLVM vectorizes -- libm's
``tanhf`` / ``expf`` are scalar calls here (no SVML), ~60x slower (docs/kernels.md).
float64 keeps libm's exact ``tanh`` and ``exp``.

Invariants: ``@njit(cache=True)``, plain loops and ``np.dot``, so ``NUMBA_DISABLE_JIT=1``
runs the same code as Python; no bounds checks inside, so the kernels are reached only
through :mod:`deepgrad.recurrent`, which validates every argument first. Measurements:
docs/kernels.md.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit

from deepgrad.kernels import one_blas_thread

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
    v = _TANH_CLAMP if v > _TANH_CLAMP else v
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
    """How many parts the batch is split into: one per thread, >= _MIN_PART rows each."""
    return max(1, min(numba.get_num_threads(), m // _MIN_PART))


def _run_parts(kernel, m, nparts, *args):
    """Run ``kernel(*args, part, lo, hi)`` on every part [lo, hi) of the m examples, the
    parts on threads of their own (the kernels release the GIL), with one BLAS thread."""
    bounds = [(p, p * m // nparts, (p + 1) * m // nparts) for p in range(nparts)]
    with one_blas_thread():
        if nparts == 1:
            kernel(*args, 0, 0, m)
            return
        done = [_pool().submit(kernel, *args, *b) for b in bounds[1:]]
        kernel(*args, *bounds[0])  # this thread takes the first part
        for future in done:
            future.result()


_POOL: tuple[int, ThreadPoolExecutor] | None = None


def _pool() -> ThreadPoolExecutor:
    """The worker threads (created once per process: a forked child makes its own)."""
    global _POOL
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1),
                                                 thread_name_prefix="deepgrad-recurrent"))
    return _POOL[1]


@njit(cache=True)
def _load_step(HX, s, x, lo, mp, t, na):
    """Copy x<t> of the part's examples into the x-columns of rows s .. s+mp of HX."""
    for r in range(mp):
        for k in range(x.shape[0]):
            HX[s + r, na + k] = x[k, lo + r, t]


@njit(cache=True)
def _store_step(dhx, dn, dx, lo, mp, t, na):
    """Split ``[da<t-1>, dx<t>]`` rows: da<t-1> into dn, dx<t> into dx (course layout)."""
    for r in range(mp):
        for j in range(na):
            dn[r, j] = dhx[r, j]
        for k in range(dx.shape[0]):
            dx[k, lo + r, t] = dhx[r, na + k]


@njit(cache=True)
def _part_grads(DZ, HX, T, lo, hi, dW, db):
    """dW = DZ^T HX and db = column sums of DZ over the part's T * mp rows."""
    mp = hi - lo
    rows = DZ[T * lo:T * hi]
    np.dot(rows.T, HX[(T + 1) * lo:(T + 1) * lo + T * mp], dW)
    for g in range(db.shape[0]):
        db[g] = 0.0
    for row in range(rows.shape[0]):
        for g in range(db.shape[0]):
            db[g] += rows[row, g]


# ----------------------------------------------------------------------------- RNN
@njit(nogil=True, **_JIT)
def _rnn_forward(x, a0, WT, b, HX, a_out, part, lo, hi):
    """RNN over a whole sequence: ``a<t> = tanh([a<t-1>, x<t>] @ WT + b)``.

    x : (n_x, m, T), a0 : (n_a, m) (course layout); WT : (n_a + n_x, n_a) = ``[Waa,
    Wax].T``; b : (n_a,). Fills HX ((T+1) m, n_a + n_x), the rows ``[a<t-1>, x<t>]`` part
    by part (row ``(T+1) lo + t mp + r`` for example ``lo + r`` of the part [lo, hi) of
    mp examples; block T holds a<T> only), and a_out (n_a, m, T).
    """
    T = x.shape[2]
    na = WT.shape[1]
    fast = HX.itemsize == 4
    mp = hi - lo
    z = np.empty((mp, na), dtype=HX.dtype)
    base = (T + 1) * lo
    for r in range(mp):
        for j in range(na):
            HX[base + r, j] = a0[j, lo + r]
    for t in range(T):
        s = base + t * mp
        _load_step(HX, s, x, lo, mp, t, na)
        np.dot(HX[s:s + mp], WT, z)
        for r in range(mp):
            for j in range(na):
                a = _tanh(z[r, j] + b[j], fast)
                HX[s + mp + r, j] = a
                a_out[j, lo + r, t] = a


@njit(nogil=True, **_JIT)
def _rnn_backward(da, HX, W, DZ, dx, da0, dW_parts, db_parts, part, lo, hi):
    """Backward through time of :func:`_rnn_forward`.

    da : (T, m, n_a) upstream gradient, time-major; W : (n_a, n_a + n_x). Fills DZ
    (T m, n_a) (row ``T lo + t mp + r``) with the pre-activation gradients, dx (n_x, m, T),
    da0 (n_a, m), and each part's weight and bias gradients dW_parts[part] (n_a, n_a + n_x),
    db_parts[part] (n_a,).
    """
    T = da.shape[0]
    na = da.shape[2]
    mp = hi - lo
    dhx = np.empty((mp, W.shape[1]), dtype=DZ.dtype)
    dn = np.zeros((mp, na), dtype=DZ.dtype)  # da<t> from step t+1
    for t in range(T - 1, -1, -1):
        sG = T * lo + t * mp
        sH = (T + 1) * lo + (t + 1) * mp
        for r in range(mp):
            for j in range(na):
                a = HX[sH + r, j]
                DZ[sG + r, j] = (da[t, lo + r, j] + dn[r, j]) * (1.0 - a * a)
        np.dot(DZ[sG:sG + mp], W, dhx)
        _store_step(dhx, dn, dx, lo, mp, t, na)
    for r in range(mp):
        for j in range(na):
            da0[j, lo + r] = dn[r, j]
    _part_grads(DZ, HX, T, lo, hi, dW_parts[part], db_parts[part])


# ----------------------------------------------------------------------------- LSTM
@njit(nogil=True, **_JIT)
def _lstm_forward(x, a0, c0, WT, b, HX, Cp, Gs, TC, a_out, c_out, part, lo, hi):
    """LSTM over a whole sequence, gates in the order f, i, c~, o of the stacked weights.

    x, a0, HX as for :func:`_rnn_forward`; c0 (n_a, m); WT : (n_a + n_x, 4 n_a); b (4 n_a,).
    Fills Cp ((T+1) m, n_a) with c<t-1> (rows as HX's), Gs (T m, 4 n_a) with the gates
    after their nonlinearities and TC (T m, n_a) with tanh(c<t>) (row ``T lo + t mp + r``),
    and a_out, c_out (n_a, m, T) with the hidden and cell states.
    """
    T = x.shape[2]
    G = WT.shape[1]
    na = G // 4
    fast = HX.itemsize == 4
    mp = hi - lo
    z = np.empty((mp, G), dtype=HX.dtype)
    base = (T + 1) * lo
    for r in range(mp):
        for j in range(na):
            HX[base + r, j] = a0[j, lo + r]
            Cp[base + r, j] = c0[j, lo + r]
    for t in range(T):
        s = base + t * mp
        sG = T * lo + t * mp
        _load_step(HX, s, x, lo, mp, t, na)
        np.dot(HX[s:s + mp], WT, z)
        for r in range(mp):
            for j in range(na):
                f = _sigmoid(z[r, j] + b[j], fast)
                i = _sigmoid(z[r, na + j] + b[na + j], fast)
                cc = _tanh(z[r, 2 * na + j] + b[2 * na + j], fast)
                o = _sigmoid(z[r, 3 * na + j] + b[3 * na + j], fast)
                c = f * Cp[s + r, j] + i * cc
                tc = _tanh(c, fast)
                Cp[s + mp + r, j] = c
                HX[s + mp + r, j] = o * tc
                TC[sG + r, j] = tc
                Gs[sG + r, j] = f
                Gs[sG + r, na + j] = i
                Gs[sG + r, 2 * na + j] = cc
                Gs[sG + r, 3 * na + j] = o
                a_out[j, lo + r, t] = o * tc
                c_out[j, lo + r, t] = c


@njit(nogil=True, **_JIT)
def _lstm_backward(da, dc, use_dc, HX, Cp, Gs, TC, W, DZ, dx, da0, dc0, dW_parts, db_parts,
                   part, lo, hi):
    """Backward through time of :func:`_lstm_forward`.

    da, dc : (T, m, n_a) upstream gradients of the hidden and the cell states, time-major
    (dc read only when ``use_dc``). W : (4 n_a, n_a + n_x). Fills DZ (T m, 4 n_a), dx
    (n_x, m, T), da0 and dc0 (n_a, m), dW_parts[part] and db_parts[part].
    """
    T = da.shape[0]
    na = da.shape[2]
    mp = hi - lo
    dhx = np.empty((mp, W.shape[1]), dtype=DZ.dtype)
    dn = np.zeros((mp, na), dtype=DZ.dtype)  # da<t> from step t+1
    dcn = np.zeros((mp, na), dtype=DZ.dtype)  # dc<t> from step t+1
    for t in range(T - 1, -1, -1):
        sG = T * lo + t * mp
        sH = (T + 1) * lo + t * mp
        for r in range(mp):
            for j in range(na):
                g = da[t, lo + r, j] + dn[r, j]
                f = Gs[sG + r, j]
                i = Gs[sG + r, na + j]
                cc = Gs[sG + r, 2 * na + j]
                o = Gs[sG + r, 3 * na + j]
                tc = TC[sG + r, j]
                d_c = dcn[r, j] + g * o * (1.0 - tc * tc)
                if use_dc:
                    d_c += dc[t, lo + r, j]
                DZ[sG + r, j] = d_c * Cp[sH + r, j] * f * (1.0 - f)
                DZ[sG + r, na + j] = d_c * cc * i * (1.0 - i)
                DZ[sG + r, 2 * na + j] = d_c * i * (1.0 - cc * cc)
                DZ[sG + r, 3 * na + j] = g * tc * o * (1.0 - o)
                dcn[r, j] = d_c * f
        np.dot(DZ[sG:sG + mp], W, dhx)
        _store_step(dhx, dn, dx, lo, mp, t, na)
    for r in range(mp):
        for j in range(na):
            da0[j, lo + r] = dn[r, j]
            dc0[j, lo + r] = dcn[r, j]
    _part_grads(DZ, HX, T, lo, hi, dW_parts[part], db_parts[part])


# ----------------------------------------------------------------------------- GRU
@njit(nogil=True, **_JIT)
def _gru_forward(x, a0, WT, b, WcaT, HX, Gs, RA, a_out, part, lo, hi):
    """GRU over a whole sequence (Cho et al. 2014, the Deep Learning Specialization's form).

    ``Γu = σ(Wu [a, x] + bu)``, ``Γr = σ(Wr [a, x] + br)``,
    ``c~ = tanh(Wc [Γr * a, x] + bc)``, ``a<t> = Γu * c~ + (1 - Γu) * a<t-1>``.
    x, a0, HX as for :func:`_rnn_forward`; WT : (n_a + n_x, 3 n_a) = ``[Wu; Wr; Wc with
    its a-columns zeroed].T`` (the product gives the gates and the candidate's x-part);
    WcaT : (n_a, n_a), the a-columns of Wc transposed; b : (3 n_a,). Fills Gs (T m, 3 n_a)
    with Γu, Γr, c~, RA (T m, n_a) with ``Γr * a<t-1>`` and a_out (n_a, m, T).
    """
    T = x.shape[2]
    G = WT.shape[1]
    na = G // 3
    fast = HX.itemsize == 4
    mp = hi - lo
    z = np.empty((mp, G), dtype=HX.dtype)
    zc = np.empty((mp, na), dtype=HX.dtype)
    base = (T + 1) * lo
    for r in range(mp):
        for j in range(na):
            HX[base + r, j] = a0[j, lo + r]
    for t in range(T):
        s = base + t * mp
        sG = T * lo + t * mp
        _load_step(HX, s, x, lo, mp, t, na)
        np.dot(HX[s:s + mp], WT, z)
        for r in range(mp):
            for j in range(na):
                u = _sigmoid(z[r, j] + b[j], fast)
                g = _sigmoid(z[r, na + j] + b[na + j], fast)
                Gs[sG + r, j] = u
                Gs[sG + r, na + j] = g
                RA[sG + r, j] = g * HX[s + r, j]
        np.dot(RA[sG:sG + mp], WcaT, zc)
        for r in range(mp):
            for j in range(na):
                cc = _tanh(zc[r, j] + z[r, 2 * na + j] + b[2 * na + j], fast)
                u = Gs[sG + r, j]
                Gs[sG + r, 2 * na + j] = cc
                a = u * cc + (1.0 - u) * HX[s + r, j]
                HX[s + mp + r, j] = a
                a_out[j, lo + r, t] = a


@njit(nogil=True, **_JIT)
def _gru_backward(da, HX, Gs, RA, W, Wca, DZ, DZc, dx, da0, dW_parts, db_parts, dWc_parts,
                  part, lo, hi):
    """Backward through time of :func:`_gru_forward`.

    da : (T, m, n_a) upstream gradient (time-major); W : (3 n_a, n_a + n_x) as stacked for
    the forward (Wc's a-columns zeroed), Wca : (n_a, n_a). Fills DZ (T m, 3 n_a) (the
    pre-activation gradients of Γu, Γr, c~), DZc (T m, n_a) (c~'s again, contiguous), dx,
    da0, and per part dW_parts, db_parts and dWc_parts[part] (n_a, n_a), the gradient of
    Wc's a-columns (which saw Γr * a<t-1>, not a<t-1>).
    """
    T = da.shape[0]
    na = da.shape[2]
    mp = hi - lo
    dhx = np.empty((mp, W.shape[1]), dtype=DZ.dtype)
    dn = np.zeros((mp, na), dtype=DZ.dtype)  # da<t> from step t+1
    dap = np.empty((mp, na), dtype=DZ.dtype)  # the direct part of da<t-1>
    dra = np.empty((mp, na), dtype=DZ.dtype)  # dzc @ Wca: d(Γr * a<t-1>)
    for t in range(T - 1, -1, -1):
        sG = T * lo + t * mp
        sH = (T + 1) * lo + t * mp
        for r in range(mp):
            for j in range(na):
                g = da[t, lo + r, j] + dn[r, j]
                u = Gs[sG + r, j]
                cc = Gs[sG + r, 2 * na + j]
                a_prev = HX[sH + r, j]
                DZ[sG + r, j] = g * (cc - a_prev) * u * (1.0 - u)
                d = g * u * (1.0 - cc * cc)
                DZ[sG + r, 2 * na + j] = d
                DZc[sG + r, j] = d
                dap[r, j] = g * (1.0 - u)
        np.dot(DZc[sG:sG + mp], Wca, dra)
        for r in range(mp):
            for j in range(na):
                gr = Gs[sG + r, na + j]
                DZ[sG + r, na + j] = dra[r, j] * HX[sH + r, j] * gr * (1.0 - gr)
                dap[r, j] += dra[r, j] * gr
        np.dot(DZ[sG:sG + mp], W, dhx)
        _store_step(dhx, dn, dx, lo, mp, t, na)
        for r in range(mp):
            for j in range(na):
                dn[r, j] += dap[r, j]
    for r in range(mp):
        for j in range(na):
            da0[j, lo + r] = dn[r, j]
    _part_grads(DZ, HX, T, lo, hi, dW_parts[part], db_parts[part])
    np.dot(DZc[T * lo:T * hi].T, RA[T * lo:T * hi], dWc_parts[part])


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
def _time_major(d):
    """(k, m, T) -> (T, m, k), C-contiguous."""
    return np.ascontiguousarray(d.transpose(2, 1, 0))


def _empty(shape, dtype):
    return np.empty(shape, dtype=dtype)


def _grad_buffers(nparts, G, width, x_shape, na, dtype):
    """dW_parts, db_parts, dx (n_x, m, T) and da0 (n_a, m) for a backward kernel."""
    n_x, m, T = x_shape
    return (_empty((nparts, G, width), dtype), _empty((nparts, G), dtype),
            _empty((n_x, m, T), dtype), _empty((na, m), dtype))


def rnn_forward(x, a0, W, b):
    """Hidden states (n_a, m, T) and the kernel's array for the backward.

    x (n_x, m, T), a0 (n_a, m), W (n_a, n_a + n_x) = [Waa, Wax], b (n_a,): validated, one
    float dtype, x and a0 C-contiguous (by :func:`deepgrad.recurrent.rnn_forward`).
    """
    n_x, m, T = x.shape
    na = W.shape[0]
    HX = _empty(((T + 1) * m, W.shape[1]), x.dtype)
    a = _empty((na, m, T), x.dtype)
    _run_parts(_rnn_forward, m, _parts(m), x, a0, np.ascontiguousarray(W.T), b, HX, a)
    return a, HX


def rnn_backward(da, HX, W, x_shape):
    """``(dW, db, dx, da0)`` of :func:`rnn_forward`; da (n_a, m, T)."""
    na, m, T = da.shape
    nparts = _parts(m)
    DZ = _empty((T * m, na), da.dtype)
    dW_parts, db_parts, dx, da0 = _grad_buffers(nparts, na, W.shape[1], x_shape, na,
                                                da.dtype)
    _run_parts(_rnn_backward, m, nparts, _time_major(da), HX, W, DZ, dx, da0, dW_parts,
               db_parts)
    return dW_parts.sum(axis=0), db_parts.sum(axis=0), dx, da0


def lstm_forward(x, a0, c0, W, b):
    """Hidden and cell states (n_a, m, T) each, and the kernel's arrays for the backward.

    W (4 n_a, n_a + n_x) = [Wf; Wi; Wc; Wo], b (4 n_a,).
    """
    n_x, m, T = x.shape
    na = a0.shape[0]
    HX = _empty(((T + 1) * m, W.shape[1]), x.dtype)
    Cp = _empty(((T + 1) * m, na), x.dtype)
    Gs = _empty((T * m, 4 * na), x.dtype)
    TC = _empty((T * m, na), x.dtype)
    a = _empty((na, m, T), x.dtype)
    c = _empty((na, m, T), x.dtype)
    _run_parts(_lstm_forward, m, _parts(m), x, a0, c0, np.ascontiguousarray(W.T), b, HX, Cp,
               Gs, TC, a, c)
    return a, c, (HX, Cp, Gs, TC)


def lstm_backward(da, dc, saved, W, x_shape):
    """``(dW, db, dx, da0, dc0)`` of :func:`lstm_forward`; da, dc (n_a, m, T), dc may be
    None (no gradient on the cell states from outside)."""
    HX, Cp, Gs, TC = saved
    na, m, T = da.shape
    nparts = _parts(m)
    DZ = _empty((T * m, 4 * na), da.dtype)
    dW_parts, db_parts, dx, da0 = _grad_buffers(nparts, 4 * na, W.shape[1], x_shape, na,
                                                da.dtype)
    dc0 = _empty((na, m), da.dtype)
    da_t = _time_major(da)
    dc_t = da_t if dc is None else _time_major(dc)  # not read when dc is None
    _run_parts(_lstm_backward, m, nparts, da_t, dc_t, dc is not None, HX, Cp, Gs, TC, W, DZ,
               dx, da0, dc0, dW_parts, db_parts)
    return dW_parts.sum(axis=0), db_parts.sum(axis=0), dx, da0, dc0


def _gru_weights(W, na):
    """The stacked weights with Wc's a-columns zeroed, and those columns (n_a, n_a)."""
    Wg = W.copy()
    Wg[2 * na:, :na] = 0.0
    return Wg, np.ascontiguousarray(W[2 * na:, :na])


def gru_forward(x, a0, W, b):
    """Hidden states (n_a, m, T) and the kernel's arrays for the backward.

    W (3 n_a, n_a + n_x) = [Wu; Wr; Wc], b (3 n_a,).
    """
    n_x, m, T = x.shape
    na = a0.shape[0]
    Wg, Wca = _gru_weights(W, na)
    HX = _empty(((T + 1) * m, W.shape[1]), x.dtype)
    Gs = _empty((T * m, 3 * na), x.dtype)
    RA = _empty((T * m, na), x.dtype)
    a = _empty((na, m, T), x.dtype)
    _run_parts(_gru_forward, m, _parts(m), x, a0, np.ascontiguousarray(Wg.T), b,
               np.ascontiguousarray(Wca.T), HX, Gs, RA, a)
    return a, (HX, Gs, RA)


def gru_backward(da, saved, W, x_shape):
    """``(dW, db, dx, da0)`` of :func:`gru_forward`; da (n_a, m, T)."""
    HX, Gs, RA = saved
    na, m, T = da.shape
    nparts = _parts(m)
    Wg, Wca = _gru_weights(W, na)
    DZ = _empty((T * m, 3 * na), da.dtype)
    DZc = _empty((T * m, na), da.dtype)
    dW_parts, db_parts, dx, da0 = _grad_buffers(nparts, 3 * na, W.shape[1], x_shape, na,
                                                da.dtype)
    dWc_parts = _empty((nparts, na, na), da.dtype)
    _run_parts(_gru_backward, m, nparts, _time_major(da), HX, Gs, RA, Wg, Wca, DZ, DZc, dx,
               da0, dW_parts, db_parts, dWc_parts)
    dW = dW_parts.sum(axis=0)
    dW[2 * na:, :na] = dWc_parts.sum(axis=0)
    return dW, db_parts.sum(axis=0), dx, da0


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
        W1 = np.zeros((2, 5), dtype=dtype)
        a, HX = rnn_forward(x, a0, W1, np.zeros(2, dtype=dtype))
        rnn_backward(a, HX, W1, x.shape)
        W4 = np.zeros((8, 5), dtype=dtype)
        a, c, saved = lstm_forward(x, a0, a0, W4, np.zeros(8, dtype=dtype))
        lstm_backward(a, c, saved, W4, x.shape)
        lstm_backward(a, None, saved, W4, x.shape)
        W3 = np.zeros((6, 5), dtype=dtype)
        a, saved = gru_forward(x, a0, W3, np.zeros(6, dtype=dtype))
        gru_backward(a, saved, W3, x.shape)
        embedding_backward(np.zeros((2, 2), dtype=np.int64), x, 4)
