"""On how many threads a parallel kernel call runs: all of Numba's, or the caller's alone.

Starting a parallel region wakes Numba's sleeping threads (``OMP_WAIT_POLICY=PASSIVE``,
see :mod:`deepgrad.kernels`) and waits for them at its end. On the course's 2-core
virtual machine (waking a thread goes through the hypervisor) that costs 59-102 µs
(median, back to back), and small kernels ran up to 3.5x *faster* on one thread: the
course CNN's pool2 forward 48 µs against 167 µs on 2 threads, its conv2 bias gradient 44
against 141 µs (docs/kernels.md, "Small kernels on one thread"). Where idle cores wake
faster, more threads win on smaller calls. So :func:`run` times the first calls of a
kernel for each argument shape on one thread and on all, alternating, and from then on
uses the faster; a call that takes over 0.5 ms on one thread goes to all threads at once
(a sample slowed by another process must not keep a large kernel on one thread). The
work is split the same way either way: the callers size their per-part scratch and
partial sums from Numba's thread count *before* the call, and ``prange`` over those
parts runs them one after the other on one thread. So the choice changes the time, never
a bit of the result.
"""

from __future__ import annotations

import time

import numba

__all__ = ["run", "choices", "forget"]

TRIALS = 3  # timed calls per thread count before choosing (the fastest of each counts)
# A call that takes longer than this on one thread uses all threads without more timing:
# no wake-up measured here comes near it, and a sample taken while another process held
# a core must not keep a large kernel on one thread for good.
SERIAL_LIMIT = 0.5e-3  # seconds

_samples: dict = {}  # key -> {threads: [seconds, ...]}
_chosen: dict = {}   # key -> threads


def _key(kernel, n, args) -> tuple:
    """What a choice is kept for: the kernel, the thread count, each argument's shape and
    dtype (an array) or value (anything else)."""
    return (kernel, n, *((a.shape, a.dtype.char) if hasattr(a, "shape") else a
                         for a in args))


def _call(kernel, args, threads: int, n: int):
    if threads == n:
        return kernel(*args)
    numba.set_num_threads(threads)  # this thread's setting only
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(n)


def run(kernel, *args):
    """``kernel(*args)`` on the faster of one thread and all of Numba's threads for
    these argument shapes (see the module docstring)."""
    n = numba.get_num_threads()
    if n == 1:
        return kernel(*args)
    key = _key(kernel, n, args)
    threads = _chosen.get(key)
    if threads is not None:
        return _call(kernel, args, threads, n)
    times = _samples.setdefault(key, {1: [], n: []})
    threads = 1 if len(times[1]) <= len(times[n]) else n
    t0 = time.perf_counter()
    out = _call(kernel, args, threads, n)
    seconds = time.perf_counter() - t0
    times[threads].append(seconds)
    if threads == 1 and seconds > SERIAL_LIMIT and len(times[1]) > 1:  # the first may compile
        _chosen[key] = n
        del _samples[key]
    elif len(times[n]) >= TRIALS:
        _chosen[key] = 1 if min(times[1]) < min(times[n]) else n
        del _samples[key]
    return out


def choices() -> dict:
    """``{(kernel name, threads available, shapes...): threads used}`` so far."""
    return {(k[0].__name__, *k[1:]): v for k, v in _chosen.items()}


def forget() -> None:
    """Drop every timing and choice (the next calls time again)."""
    _samples.clear()
    _chosen.clear()
