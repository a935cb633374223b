"""deepgrad.precompile finds the kernel modules by itself (no list to keep)."""

import pkgutil

import numpy as np

import deepgrad.kernels
from deepgrad import precompile
from deepgrad.kernels import conv, lane_tiles

# kernel modules without a precompile() of their own, and why
NOT_SELF_COMPILED = {
    "deepgrad.kernels.lane_tiles": "conv.precompile compiles the tile width of this CPU",
    "deepgrad.kernels.lane_tiles_template": "no kernels: renders lane_tiles.py",
    "deepgrad.kernels.threads": "no kernels: chooses a call's thread count",
}


def test_every_kernel_module_with_a_precompile_is_discovered():
    found = [m.__name__ for m in precompile.kernel_modules()]
    on_disk = sorted(f"deepgrad.kernels.{info.name}"
                     for info in pkgutil.iter_modules(deepgrad.kernels.__path__))
    assert found == sorted(set(on_disk) - set(NOT_SELF_COMPILED))
    assert {"deepgrad.kernels.conv", "deepgrad.kernels.pool",
            "deepgrad.kernels.logistic"} <= set(found)


def test_main_names_the_modules_it_compiled(capsys):
    precompile.main()  # loads the cached kernels (make test precompiles first)
    out = capsys.readouterr().out
    modules = precompile.kernel_modules()
    assert f"{len(modules)} kernel module(s) ready" in out
    assert all(m.__name__ in out for m in modules)



def test_conv_precompile_covers_the_lanes_kernels_of_this_cpus_tile_width():
    conv.precompile()
    for dtype in (np.float32, np.float64):
        assert all(k.signatures for k in lane_tiles.TILES[conv.tile_width(dtype)])
