"""Compile (or load from the on-disk cache) every Numba kernel, so no student waits on the JIT.

Run by ``make lab`` and ``make test``: ``python -m deepgrad.precompile``. The kernels are
discovered: every module of :mod:`deepgrad.kernels` that defines ``precompile()`` (its
kernels called once on tiny inputs) is run, so a new kernel module needs no list here.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from types import ModuleType

import deepgrad.kernels


def kernel_modules() -> list[ModuleType]:
    """The modules of :mod:`deepgrad.kernels` that define ``precompile()``, by name."""
    modules = (importlib.import_module(info.name) for info in
               pkgutil.iter_modules(deepgrad.kernels.__path__, deepgrad.kernels.__name__ + "."))
    return sorted((m for m in modules if callable(getattr(m, "precompile", None))),
                  key=lambda m: m.__name__)


def main() -> None:
    start = time.perf_counter()
    modules = kernel_modules()
    for module in modules:
        module.precompile()
    names = ", ".join(m.__name__ for m in modules)
    print(f"deepgrad: {len(modules)} kernel module(s) ready "
          f"in {time.perf_counter() - start:.1f} s: {names}")


if __name__ == "__main__":
    main()
