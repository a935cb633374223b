"""The initialization widget's kernel against a plain numpy forward and backward pass.

Every agreement test runs compiled and as plain Python (the kernels' ``.py_func``, what
``NUMBA_DISABLE_JIT=1`` runs); one test runs a child process with that variable set.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepgrad.kernels import init_stats
from deepgrad.kernels.init_stats import (ACTIVATIONS, HIST_HIGH_EXPONENT, HIST_LOW_EXPONENT,
                                         SCHEMES, layer_statistics, precompile)
from tests.support.reference import deep_net_forward_backward
from tests.support.strategies import seeds

# A warning would reach stderr in a student's notebook: make every one an error here.
pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.kernels]

REPO = Path(__file__).resolve().parents[2]
KERNELS = ("_activate", "_slope", "_describe", "_network_statistics")


@contextlib.contextmanager
def plain_python():
    """Run the wrapper on the kernels' Python source, as NUMBA_DISABLE_JIT=1 does."""
    with contextlib.ExitStack() as stack:
        for name in KERNELS:
            kernel = getattr(init_stats, name)
            stack.enter_context(mock.patch.object(init_stats, name,
                                                  getattr(kernel, "py_func", kernel)))
        yield


MODES = {"compiled": contextlib.nullcontext, "py_func": plain_python}


def reference(scheme, depth, width, activation, batch_norm, seed=0):
    """The same network in numpy, in float64 from the kernel's float32 draws and inputs:
    (activations, gradients, loss)."""
    X, labels = init_stats._mini_batch()
    X = X.astype(np.float64)
    first, hidden, out = (w.astype(np.float64) for w in init_stats._weights(seed, width))
    scales = init_stats._weight_std(scheme, [784] + [width] * depth)
    weights = ([scales[0] * first] + [scales[l] * hidden[l - 1] for l in range(1, depth)]
               + [scales[depth] * out])
    return deep_net_forward_backward(X, labels, weights, activation, batch_norm)


def histogram(values):
    """Shares of |v| per factor-2 bin (np.frexp), end bins catching the rest; zeros."""
    v = values[values != 0]
    k = np.clip(np.frexp(v)[1], HIST_LOW_EXPONENT + 1, HIST_HIGH_EXPONENT)
    counts = np.bincount(k - HIST_LOW_EXPONENT - 1,
                         minlength=HIST_HIGH_EXPONENT - HIST_LOW_EXPONENT)
    return counts / values.size, 1.0 - v.size / values.size


# ----------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("run", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("scheme", ["xavier", "large", 0.3])
def test_statistics_match_numpy_reference(run, activation, batch_norm, scheme):
    depth, width = 4, 24
    with run():
        s = layer_statistics(scheme, depth, width, activation, batch_norm, seed=3)
    acts, grads, loss = reference(scheme, depth, width, activation, batch_norm, seed=3)
    # The kernel's products are float32 (sums of up to 784 terms): ~1e-6 apart; a
    # saturated slope 1 - a² magnifies that in the gradients.
    assert s.loss == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(s.activation_std, [a.std() for a in acts], rtol=1e-5)
    np.testing.assert_allclose(s.gradient_std, [g.std() for g in grads], rtol=1e-4,
                               atol=1e-300)
    for layer in range(depth):
        for hist, zeros, values in ((s.activation_hist, s.activation_zero_share, acts),
                                    (s.gradient_hist, s.gradient_zero_share, grads)):
            # A value within the float32 products' rounding of a bin edge may fall on
            # either side: the kernel's cumulative shares lie between the two readings
            # (and a few values may round to exactly 0 in one and not the other).
            slack = 4.0 / values[layer].size
            low, expected_zeros = histogram(values[layer] * (1 - 1e-5))
            high, _ = histogram(values[layer] * (1 + 1e-5))
            got = np.cumsum(hist[layer])
            assert (got >= np.cumsum(high) - slack).all()
            assert (got <= np.cumsum(low) + slack).all()
            assert zeros[layer] == pytest.approx(expected_zeros, abs=slack)


def test_saturation_and_dead_units_match_their_definitions():
    s = layer_statistics("large", 3, 32, "tanh", False)
    acts, _, _ = reference("large", 3, 32, "tanh", False)
    for layer, a in enumerate(acts):
        flat = (1.0 - a * a) < 0.01
        assert s.saturated_share[layer] == pytest.approx(flat.mean())
        assert s.dead_share[layer] == pytest.approx(flat.all(axis=1).mean())
    s = layer_statistics("xavier", 5, 64, "relu", False)
    acts, _, _ = reference("xavier", 5, 64, "relu", False)
    for layer, a in enumerate(acts):
        assert s.saturated_share[layer] == pytest.approx((a == 0).mean())
        assert s.dead_share[layer] == pytest.approx((a == 0).all(axis=1).mean())
    assert not layer_statistics("large", 5, 64, "linear", False).saturated_share.any()


def test_zero_init_makes_every_unit_equal_and_no_gradient():
    for activation in ACTIVATIONS:
        s = layer_statistics("zero", 6, 32, activation, False)
        assert not s.activation_std.any() and not s.gradient_std.any()
        assert s.loss == pytest.approx(math.log(10))
        assert (s.gradient_zero_share == 1).all()
    assert (layer_statistics("zero", 3, 8, "tanh", True).activation_zero_share == 1).all()


def test_schemes_use_their_documented_scale():
    s = layer_statistics("he", 3, 50, "relu", False)
    np.testing.assert_allclose(s.weight_std, np.sqrt(2.0 / np.array([784, 50, 50, 50])))
    s = layer_statistics("xavier", 2, 50, "tanh", False)
    np.testing.assert_allclose(s.weight_std, np.sqrt(1.0 / np.array([784, 50, 50])))
    assert (layer_statistics("small", 2, 8, "tanh", False).weight_std == 0.01).all()
    assert (layer_statistics("large", 2, 8, "tanh", False).weight_std == 1.0).all()
    assert (layer_statistics(2, 2, 8, "tanh", False).weight_std == 2.0).all()


def test_batch_norm_makes_linear_layers_unit_std():
    s = layer_statistics("small", 8, 64, "linear", True)
    np.testing.assert_allclose(s.activation_std, 1.0, rtol=1e-2)  # ε = 1e-5 in the var


def test_disable_jit_child_process_gives_the_same_numbers():
    code = ("import json; from deepgrad.kernels.init_stats import layer_statistics as f; "
            "s = f('he', 3, 8, 'tanh', True, seed=5); "
            "print(json.dumps([s.activation_std.tolist(), s.gradient_std.tolist(), "
            "s.loss]))")
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300,
                         env=dict(os.environ, NUMBA_DISABLE_JIT="1"))
    assert run.returncode == 0 and run.stderr == "", run.stderr
    act, grad, loss = json.loads(run.stdout)
    s = layer_statistics("he", 3, 8, "tanh", True, seed=5)
    np.testing.assert_allclose(act, s.activation_std, rtol=1e-12)
    np.testing.assert_allclose(grad, s.gradient_std, rtol=1e-12)
    assert loss == pytest.approx(s.loss, rel=1e-12)


# ----------------------------------------------------------------------------- properties
schemes = st.one_of(st.sampled_from(list(SCHEMES)), st.floats(0.0, 10.0))


@settings(max_examples=40)
@given(scheme=schemes, depth=st.integers(1, 20), width=st.integers(1, 48),
       activation=st.sampled_from(list(ACTIVATIONS)), batch_norm=st.booleans(),
       seed=seeds)
def test_property_any_setting_gives_finite_consistent_statistics(
        scheme, depth, width, activation, batch_norm, seed):
    s = layer_statistics(scheme, depth, width, activation, batch_norm, seed)
    for per_layer in (s.activation_std, s.gradient_std, s.saturated_share, s.dead_share,
                      s.activation_zero_share, s.gradient_zero_share):
        assert per_layer.shape == (depth,) and np.isfinite(per_layer).all()
        assert (per_layer >= 0).all()
    for hist, zeros in ((s.activation_hist, s.activation_zero_share),
                        (s.gradient_hist, s.gradient_zero_share)):
        np.testing.assert_allclose(hist.sum(axis=1) + zeros, 1.0)
    assert (s.saturated_share <= 1 + 1e-12).all() and (s.dead_share <= 1 + 1e-12).all()
    assert np.isfinite(s.loss) and s.loss >= 0


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("batch_norm", [False, True])
def test_largest_scale_deepest_widest_net_is_finite_and_silent(activation, batch_norm,
                                                               capfd):
    s = layer_statistics(10.0, 20, 512, activation, batch_norm)
    assert np.isfinite(s.activation_std).all() and np.isfinite(s.gradient_std).all()
    assert np.isfinite(s.loss)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_precompile_writes_nothing(capfd):
    precompile()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kwargs, argument, error", [
    (dict(scheme="glorot"), "scheme", ValueError),
    (dict(scheme=-0.1), "scheme", ValueError),
    (dict(scheme=11.0), "scheme", ValueError),
    (dict(scheme=float("nan")), "scheme", ValueError),
    (dict(scheme=True), "scheme", TypeError),
    (dict(scheme=None), "scheme", TypeError),
    (dict(depth=0), "depth", ValueError),
    (dict(depth=21), "depth", ValueError),
    (dict(depth=2.0), "depth", TypeError),
    (dict(width=0), "width", ValueError),
    (dict(width=513), "width", ValueError),
    (dict(width="64"), "width", TypeError),
    (dict(activation="elu"), "activation", ValueError),
    (dict(activation=1), "activation", TypeError),
    (dict(batch_norm=1), "batch_norm", TypeError),
    (dict(seed=-1), "seed", ValueError),
    (dict(seed=1.5), "seed", TypeError),
])
def test_bad_settings_raise_naming_the_argument(kwargs, argument, error):
    args = dict(scheme="he", depth=2, width=8, activation="relu", batch_norm=False, seed=0)
    args.update(kwargs)
    with pytest.raises(error, match=argument):
        layer_statistics(**args)


def test_only_statistics_are_public():
    # Initializing weights and backpropagating are graded exercises: no weights, no
    # gradient arrays, no kernel in the public interface.
    assert not [n for n in init_stats.__all__
                if n.startswith("_") or "weight" in n.lower() or "init" in n.lower()
                or "forward" in n or "backward" in n]
    s = layer_statistics("he", 3, 16, "relu", False)
    arrays = [v for v in vars(s).values() if isinstance(v, np.ndarray)]
    n_bins = HIST_HIGH_EXPONENT - HIST_LOW_EXPONENT
    # Per layer (depth or depth + 1 entries), histograms (depth, n_bins), bin edges.
    assert all(a.shape in ((3,), (4,), (3, n_bins), (n_bins + 1,)) for a in arrays)
