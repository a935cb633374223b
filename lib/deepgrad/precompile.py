"""Compile (or load from the on-disk cache) every Numba kernel, so no student waits on the JIT.

Run by ``make lab`` and ``make test``: ``python -m deepgrad.precompile``.
"""

from __future__ import annotations

import importlib
import time

# Each module listed here has a ``precompile()`` that calls its kernels once on tiny inputs.
KERNEL_MODULES = [
    "deepgrad.kernels.logistic",
    "deepgrad.kernels.conv",
    "deepgrad.kernels.pool",
]


def main() -> None:
    start = time.perf_counter()
    for name in KERNEL_MODULES:
        importlib.import_module(name).precompile()
    print(f"deepgrad: {len(KERNEL_MODULES)} kernel module(s) ready "
          f"in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
