"""Numba kernels, one module per family: :mod:`.conv`, :mod:`.pool`, :mod:`.logistic`,
:mod:`.init_stats` and :mod:`.surfaces` (the widgets' computations), :mod:`.recurrent`.

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

:func:`one_blas_thread` runs a kernel's ``np.dot`` calls (SciPy's OpenBLAS, under Numba)
on one BLAS thread, for the same reason: OpenBLAS's second thread, descheduled by another
process, stalled the products of a widget's kernel for a time slice each (a move of the
initialization widget took 140-250 ms instead of 14 ms on a busy machine).
"""

import contextlib
import os
import threading

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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
