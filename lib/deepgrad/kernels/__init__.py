"""Numba kernels, one module per family: :mod:`.conv` (its register-tiled kernels in
:mod:`.lane_tiles`, rendered from :mod:`.lane_tiles_template`), :mod:`.pool`,
:mod:`.logistic`, :mod:`.init_stats` and :mod:`.surfaces` (the widgets' computations),
:mod:`.recurrent`; :mod:`.threads` runs a conv or pool call on one thread when that is
faster (timed per kernel and shape).

Every kernel is ``@njit(cache=True)`` (compiled once, then loaded from the on-disk cache),
written as plain loops so ``NUMBA_DISABLE_JIT=1`` runs the same code as Python, does no
bounds checking (Numba does none) and so sits behind a public function that validates its
arguments first (:mod:`deepgrad.validation`), and writes nothing to stderr. A module with
a ``precompile()`` (its kernels called once on tiny inputs) is found by
:mod:`deepgrad.precompile`; its tests carry ``pytestmark = pytest.mark.kernels`` so the
bounds-check test re-runs them with ``NUMBA_BOUNDSCHECK=1``.

Importing this package sets ``OMP_WAIT_POLICY=PASSIVE`` unless already set: idle OpenMP
threads sleep instead of spinning, so on a shared machine a parallel call does not wait a
scheduler time slice for a descheduled partner. It takes effect if Numba's OpenMP runtime
was not loaded before (it loads at the first parallel call). Measurements: docs/kernels.md.

Importing it also fixes glibc malloc's mmap and trim thresholds (:func:`_keep_freed_memory`),
so the arrays a training step frees are reused by the next step, not faulted in again.

:func:`one_blas_thread` runs a kernel's ``np.dot`` calls (SciPy's OpenBLAS, under Numba)
on one BLAS thread, for the same reason: OpenBLAS's second thread, descheduled by another
process, stalled the products of a widget's kernel for a time slice each (a move of the
initialization widget took 140-250 ms instead of 14 ms on a busy machine).
"""

import contextlib
import ctypes
import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# glibc's mallopt parameters (malloc.h) and the values set by _keep_freed_memory
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest (HEAP_MAX_SIZE / 2 on 64-bit)
TRIM_THRESHOLD = 128 << 20


def _keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory for the next allocation instead of handing it
    back to the kernel; True if set.

    A training step allocates ~15 MB of arrays (the course CNN at batch 64, float32) and
    frees them. With glibc's defaults, arrays above its mmap threshold (dynamic, from
    128 KB) are fresh mappings and a heap top with more than twice that free is trimmed,
    so every step faulted its memory in again: 3,750 page faults per step, and the step
    took 12.5-14.2 ms instead of 7.4 ms (docs/kernels.md, "Memory that stays mapped").
    Fixing both thresholds (which also ends the dynamic adjustment) leaves at most
    ``TRIM_THRESHOLD`` of free memory mapped at the heap's top; peak memory is unchanged.
    Skipped where there is no glibc (``mallopt`` missing) and for each threshold whose
    ``MALLOC_*_`` variable the user set (glibc read it at start-up).
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: macOS, musl
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    done = False
    for name, param, value in (("MALLOC_MMAP_THRESHOLD_", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                               ("MALLOC_TRIM_THRESHOLD_", _M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        if name not in os.environ:
            done = bool(mallopt(param, value)) or done
    return done


MALLOC_TUNED = _keep_freed_memory()

__all__ = ["one_blas_thread"]

_BLAS: list | None = None
# Saving and restoring the thread counts is one step: two widgets drawing at once on
# threads of their own would otherwise restore each other's "1".
_BLAS_LOCK = threading.RLock()


def _blas_libraries() -> list:
    """The BLAS libraries of this process (found once; none without threadpoolctl)."""
    global _BLAS
    if _BLAS is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401  (what Numba's np.dot calls)
            from threadpoolctl import ThreadpoolController
            _BLAS = [lib for lib in ThreadpoolController().lib_controllers
                     if lib.user_api == "blas"]
        except ImportError:  # pragma: no cover - both come with scikit-learn
            _BLAS = []
    return _BLAS


@contextlib.contextmanager
def one_blas_thread():
    """Run the block with every BLAS loaded (NumPy's and SciPy's OpenBLAS) on one thread,
    and restore their thread counts after it.

    For kernels whose products are small (a widget's net, a recurrent step), or that
    split the work over the cores themselves: BLAS threads would only spin against them
    or wait for a descheduled partner.
    """
    with _BLAS_LOCK:
        libs = _blas_libraries()
        before = [lib.num_threads for lib in libs]
        for lib in libs:
            lib.set_num_threads(1)
        try:
            yield
        finally:
            for lib, n in zip(libs, before):
                lib.set_num_threads(n)
