"""Numba kernels. Each is ``@njit(cache=True)``, runs as plain Python under
``NUMBA_DISABLE_JIT=1``, and sits behind a public function that validates its arguments
(a kernel does no bounds checking)."""
