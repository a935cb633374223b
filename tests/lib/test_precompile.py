"""deepgrad.precompile finds the kernel modules by itself (no list to keep)."""

import pkgutil

import deepgrad.kernels
from deepgrad import precompile


def test_every_kernel_module_with_a_precompile_is_discovered():
    found = [m.__name__ for m in precompile.kernel_modules()]
    on_disk = sorted(f"deepgrad.kernels.{info.name}"
                     for info in pkgutil.iter_modules(deepgrad.kernels.__path__))
    assert found == on_disk  # today every kernel module has a precompile()
    assert {"deepgrad.kernels.conv", "deepgrad.kernels.pool",
            "deepgrad.kernels.logistic"} <= set(found)


def test_main_names_the_modules_it_compiled(capsys):
    precompile.main()  # loads the cached kernels (make test precompiles first)
    out = capsys.readouterr().out
    modules = precompile.kernel_modules()
    assert f"{len(modules)} kernel module(s) ready" in out
    assert all(m.__name__ in out for m in modules)
