"""Numba kernels. Each is ``@njit(cache=True)``, runs as plain Python under
``NUMBA_DISABLE_JIT=1``, and sits behind a public function that validates its arguments
(a kernel does no bounds checking).

Threads that sleep, not spin: the parallel kernels run on Numba's OpenMP pool, whose
idle threads by default spin-wait for the next parallel region. A student's kernel rarely
has the cores to itself (other kernels on a JupyterHub node, the autograder beside the
grading harness): when another process holds one of the two cores, every parallel call
waits a scheduler time slice for its descheduled partner. Measured here on 2 cores
with one other busy process, two epochs of the assignment 3 CNN took 6.8-16.6 s with
spinning threads and 0.9-1.3 s with ``OMP_WAIT_POLICY=PASSIVE`` (the same as one thread).
On an idle machine sleeping costs ~5 % of a training step (waking a thread takes tens of
microseconds; back-to-back kernel calls with nothing between them pay more, see
docs/benchmarks.md). So importing the kernels sets
``OMP_WAIT_POLICY=PASSIVE`` unless it is already set; it takes effect if Numba's OpenMP
runtime was not loaded before (it loads at the first parallel call).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
