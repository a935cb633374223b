"""Compile (or load from the on-disk cache) every Numba kernel, so no student waits on the JIT.

Run by ``make lab`` and ``make test``: ``python -m deepgrad.precompile``. The kernels are
discovered: every module of :mod:`deepgrad.kernels` that defines ``precompile()`` (its
kernels called once on tiny inputs) is run, so a new kernel module needs no list here.
Compiling is one core's work per module and the modules share no kernel, so they are
compiled side by side, one process per core (a fresh checkout: ~120 s of compiling).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import time
from concurrent.futures import ProcessPoolExecutor
from types import ModuleType

import deepgrad.kernels


def kernel_modules() -> list[ModuleType]:
    """The modules of :mod:`deepgrad.kernels` that define ``precompile()``, by name."""
    modules = (importlib.import_module(info.name) for info in
               pkgutil.iter_modules(deepgrad.kernels.__path__, deepgrad.kernels.__name__ + "."))
    return sorted((m for m in modules if callable(getattr(m, "precompile", None))),
                  key=lambda m: m.__name__)


def _precompile(name: str) -> float:
    start = time.perf_counter()
    importlib.import_module(name).precompile()
    return time.perf_counter() - start


def main() -> None:
    start = time.perf_counter()
    modules = kernel_modules()
    workers = min(len(modules), os.cpu_count() or 1)
    if workers > 1:
        # spawn: each worker starts clean (no threading layer inherited from this process)
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            list(pool.map(_precompile, [m.__name__ for m in modules]))
    else:
        for module in modules:
            module.precompile()
    names = ", ".join(m.__name__ for m in modules)
    print(f"deepgrad: {len(modules)} kernel module(s) ready "
          f"in {time.perf_counter() - start:.1f} s: {names}")


if __name__ == "__main__":
    main()
