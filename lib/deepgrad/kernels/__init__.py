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
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
