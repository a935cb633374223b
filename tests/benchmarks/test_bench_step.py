"""benchmarks/bench_step.py (the training step against torch.nn) and timing.instruction_set.

Fast: one step of each library per dtype, and the report rendered with the timing replaced
by a single call of each timed function.
"""

from __future__ import annotations

import platform

import numpy as np
import pytest

from benchmarks import bench_step, timing


def test_instruction_set_is_one_non_empty_line():
    line = timing.instruction_set()
    assert line.strip() and "\n" not in line
    assert platform.machine() in line


def test_instruction_set_names_an_isa_numba_was_limited_to(monkeypatch):
    monkeypatch.setenv("NUMBA_CPU_NAME", "haswell")
    monkeypatch.setenv("NUMBA_CPU_FEATURES", "+avx,+avx2,+fma,+sse4.2")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    line = timing.instruction_set()
    assert "NUMBA_CPU_NAME=haswell" in line and "NUMBA_CPU_FEATURES: AVX2" in line
    assert "ATEN_CPU_CAPABILITY=avx2" in line


def test_instruction_set_names_the_lanes_tile_width():
    from deepgrad.kernels import conv
    line = timing.instruction_set()
    assert f"deepgrad lanes tile {conv.tile_width(np.float32)} (float32)" in line


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_deepgrad_step_agrees_with_torch(dtype):
    pytest.importorskip("torch")
    X, y = bench_step.make_batch(dtype)
    params = bench_step.init_params(dtype)
    err = bench_step.check_agreement(X, y, params)  # raises above the bound
    assert err <= bench_step.TOL[np.dtype(dtype)]
    loss, grads, dX = bench_step.cnn_loss(X, y, params)
    assert dX.shape == X.shape and np.isfinite(loss)
    assert all(grads[k].dtype == np.dtype(dtype) for k in params)


def test_check_agreement_catches_a_wrong_gradient(monkeypatch):
    pytest.importorskip("torch")
    X, y = bench_step.make_batch(np.float32)
    params = bench_step.init_params(np.float32)
    right = bench_step.cnn_loss

    def wrong(X, y, p, need_dx=True):  # db2 off by 1 %
        loss, grads, dX = right(X, y, p, need_dx)
        grads["b2"] = grads["b2"] * 1.01
        return loss, grads, dX

    monkeypatch.setattr(bench_step, "cnn_loss", wrong)
    with pytest.raises(AssertionError, match="b2"):
        bench_step.check_agreement(X, y, params)


def test_report_renders_every_table(monkeypatch):
    calls = []

    def once(fn, repeats):
        fn()
        calls.append(fn)
        return 1.0

    monkeypatch.setattr(timing, "median_ms", once)
    section, text = bench_step.report(repeats=1, rounds=1)
    assert section == bench_step.SECTION
    for heading in ("| dtype | threads |", "| conv2 backward |", "glue share",
                    "OpenBLAS"):
        assert heading in text
    assert len(calls) > 20
