"""deepgrad.recurrent's public contract: shapes, dtypes, caches, and the documented errors
(TypeError for a wrong type, ValueError for a wrong value, each naming the argument and
the expected shape). Agreement with references is in test_kernels_recurrent.py."""

from __future__ import annotations

import numpy as np
import pytest

from deepgrad import recurrent
from tests.lib.test_kernels_recurrent import make_problem, run_layer

pytestmark = pytest.mark.filterwarnings("error")

FORWARD = {"rnn": recurrent.rnn_forward, "lstm": recurrent.lstm_forward,
           "gru": recurrent.gru_forward}
BACKWARD = {"rnn": recurrent.rnn_backward, "lstm": recurrent.lstm_backward,
            "gru": recurrent.gru_backward}


def forward(kind, x, a0, p):
    out = FORWARD[kind](x, a0, p)
    return out[0], out[-1]


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shapes_dtypes_and_gradient_names(kind, dtype):
    n_x, n_a, m, T = 3, 4, 2, 5
    x, a0, p, da = make_problem(kind, n_x, n_a, m, T, dtype, seed=0)
    states, grads = run_layer(kind, x, a0, p, da)
    assert all(s.shape == (n_a, m, T) and s.dtype == dtype for s in states)
    assert len(states) == (2 if kind == "lstm" else 1)
    expected = {"dx": x.shape, "da0": a0.shape, **{"d" + k: v.shape for k, v in p.items()}}
    if kind == "lstm":
        expected["dc0"] = a0.shape
    assert {k: g.shape for k, g in grads.items()} == expected
    assert all(g.dtype == dtype and g.flags.c_contiguous for g in grads.values())


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_inputs_are_not_modified_and_extra_params_are_ignored(kind):
    x, a0, p, da = make_problem(kind, 2, 3, 2, 4, np.float64, seed=1)
    p_extra = dict(p, Wya=np.ones((5, 3)), by=np.ones((5, 1)), note="output layer")
    copies = [a.copy() for a in (x, a0, da, *p.values())]
    states, grads = run_layer(kind, x, a0, p_extra, da)
    for a, c in zip((x, a0, da, *p.values()), copies):
        np.testing.assert_array_equal(a, c)
    again, grads2 = run_layer(kind, x, a0, p, da)
    np.testing.assert_array_equal(states[0], again[0])
    assert set(grads) == set(grads2)


def test_last_hidden_state_continues_a_sequence():
    """Running T = 6 at once equals T = 4 then T = 2 from the last states (a, c)."""
    x, a0, p, da = make_problem("lstm", 2, 3, 2, 6, np.float64, seed=2)
    a, c, _ = recurrent.lstm_forward(x, a0, p)
    a1, c1, _ = recurrent.lstm_forward(x[:, :, :4], a0, p)
    a2, c2, _ = recurrent.lstm_forward(x[:, :, 4:], a1[:, :, -1], p, c1[:, :, -1])
    np.testing.assert_allclose(np.concatenate([a1, a2], axis=2), a, rtol=1e-14)
    np.testing.assert_allclose(np.concatenate([c1, c2], axis=2), c, rtol=1e-14)


def test_gradient_is_a_sum_over_examples():
    x, a0, p, da = make_problem("rnn", 2, 3, 1, 3, np.float64, seed=3)
    _, g1 = run_layer("rnn", x, a0, p, da)
    x2, a02, da2 = (np.concatenate([v, v], axis=1) for v in (x, a0, da))
    _, g2 = run_layer("rnn", x2, a02, p, da2)
    np.testing.assert_allclose(g2["dWaa"], 2 * g1["dWaa"], rtol=1e-13)


# ----------------------------------------------------------------------------- errors
def problem(kind="lstm", dtype=np.float64):
    return make_problem(kind, 2, 3, 4, 5, dtype, seed=4)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_wrong_x_and_a0(kind):
    x, a0, p, _ = problem(kind)
    f = FORWARD[kind]
    with pytest.raises(TypeError,
                       match=r"x must be a numpy array of shape \(n_x, m, T_x\)"):
        f(x.tolist(), a0, p)
    with pytest.raises(ValueError, match=r"x must have shape \(n_x, m, T_x\) \(3-D\)"):
        f(x[:, :, 0], a0, p)
    with pytest.raises(ValueError, match=r"x \(n_x, m, T_x\) must have dtype float32 or "
                                         r"float64, got int64"):
        f(x.astype(np.int64), a0, p)
    with pytest.raises(ValueError, match="no zero-length axis"):
        f(x[:, :, :0], a0, p)
    with pytest.raises(ValueError, match=r"a0 must have shape \(n_a, m\) = \(n_a, 4\)"):
        f(x, a0[:, :3], p)
    with pytest.raises(ValueError, match=r"a0 must have the same dtype as x \(float64\)"):
        f(x, a0.astype(np.float32), p)
    with pytest.raises(TypeError, match="params must be a dict of parameters, got list"):
        f(x, a0, list(p.values()))


def test_wrong_rnn_params():
    x, a0, p, _ = problem("rnn")
    with pytest.raises(ValueError, match=r"params must contain 'Waa' of shape \(n_a, n_a\) "
                                         r"= \(3, 3\)"):
        recurrent.rnn_forward(x, a0, {k: v for k, v in p.items() if k != "Waa"})
    with pytest.raises(ValueError, match=r"params\['Wax'\] must have shape \(n_a, n_x\) = "
                                         r"\(3, 2\), got \(3, 3\)"):
        recurrent.rnn_forward(x, a0, dict(p, Wax=np.zeros((3, 3))))
    with pytest.raises(ValueError, match=r"params\['ba'\] must have shape \(n_a, 1\) = "
                                         r"\(3, 1\) \(2-D\), got shape \(3,\)"):
        recurrent.rnn_forward(x, a0, dict(p, ba=np.zeros(3)))
    with pytest.raises(ValueError, match=r"params\['Waa'\] must have the same dtype as x "
                                         r"\(float64\), got float32"):
        recurrent.rnn_forward(x, a0, dict(p, Waa=p["Waa"].astype(np.float32)))
    with pytest.raises(TypeError, match=r"params\['Waa'\] must be a numpy array"):
        recurrent.rnn_forward(x, a0, dict(p, Waa=p["Waa"].tolist()))


@pytest.mark.parametrize("kind, name", [("lstm", "Wo"), ("lstm", "bf"), ("gru", "Wr"),
                                        ("gru", "bc")])
def test_wrong_gate_params(kind, name):
    x, a0, p, _ = problem(kind)
    with pytest.raises(ValueError, match=rf"params must contain '{name}'"):
        FORWARD[kind](x, a0, {k: v for k, v in p.items() if k != name})
    shape = "(n_a, n_a + n_x) = (3, 5)" if name[0] == "W" else "(n_a, 1) = (3, 1)"
    with pytest.raises(ValueError, match=rf"params\['{name}'\] must have shape "
                                         + shape.replace("(", r"\(").replace(")", r"\)")
                                         .replace("+", r"\+")):
        FORWARD[kind](x, a0, dict(p, **{name: np.zeros((3, 2))}))


def test_wrong_c0():
    x, a0, p, _ = problem("lstm")
    with pytest.raises(ValueError, match=r"c0 must have shape \(n_a, m\) = \(3, 4\)"):
        recurrent.lstm_forward(x, a0, p, a0[:2])
    with pytest.raises(ValueError, match=r"c0 must have the same dtype as x"):
        recurrent.lstm_forward(x, a0, p, a0.astype(np.float32))
    with pytest.raises(TypeError, match=r"c0 must be a numpy array"):
        recurrent.lstm_forward(x, a0, p, 0.0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_wrong_backward_arguments(kind):
    x, a0, p, da = problem(kind)
    _, cache = forward(kind, x, a0, p)
    b = BACKWARD[kind]
    with pytest.raises(TypeError, match=rf"cache must be the {kind.upper()}Cache returned "
                                        rf"by {kind}_forward, got dict"):
        b(da, {})
    other = "gru" if kind != "gru" else "rnn"
    with pytest.raises(TypeError, match="cache must be the"):
        b(da, forward(other, *problem(other)[:3])[1])
    with pytest.raises(ValueError, match=r"da must have shape \(n_a, m, T_x\) = "
                                         r"\(3, 4, 5\), the shape of the .*; "
                                         r"got \(3, 4, 4\)"):
        b(da[:, :, :4], cache)
    with pytest.raises(ValueError, match=r"da must have the forward input's dtype float64"):
        b(da.astype(np.float32), cache)
    with pytest.raises(TypeError, match=r"da must be a numpy array"):
        b(None, cache)


def test_wrong_dc():
    x, a0, p, da = problem("lstm")
    _, _, cache = recurrent.lstm_forward(x, a0, p)
    with pytest.raises(ValueError,
                       match=r"dc must have shape \(n_a, m, T_x\) = \(3, 4, 5\)"):
        recurrent.lstm_backward(da, cache, da[:, :1])


def test_embedding_errors():
    E = np.ones((4, 6))
    ids = np.array([[0, 5, 2]])
    out, cache = recurrent.embedding_forward(ids, E)
    assert out.shape == (4, 1, 3)
    with pytest.raises(ValueError, match=r"ids \(m, T_x\) must hold word indices in "
                                         r"\[0, V\) = \[0, 6\) .* got values from 1 to 6"):
        recurrent.embedding_forward(ids + 1, E)
    with pytest.raises(ValueError, match="got values from -1 to 4"):
        recurrent.embedding_forward(ids - 1, E)
    with pytest.raises(ValueError,
                       match=r"ids \(m, T_x\) must have a int or unsigned int dtype"):
        recurrent.embedding_forward(ids.astype(float), E)
    with pytest.raises(ValueError, match=r"ids must have shape \(m, T_x\) \(2-D\)"):
        recurrent.embedding_forward(ids[0], E)
    with pytest.raises(TypeError, match=r"E must be a numpy array of shape \(n_e, V\)"):
        recurrent.embedding_forward(ids, E.tolist())
    with pytest.raises(ValueError, match=r"dout must have shape \(n_e, m, T_x\) = "
                                         r"\(4, 1, 3\)"):
        recurrent.embedding_backward(np.ones((4, 3, 1)), cache)
    with pytest.raises(ValueError, match="dout must have E's dtype float64, got float32"):
        recurrent.embedding_backward(out.astype(np.float32), cache)
    with pytest.raises(TypeError, match="cache must be the EmbeddingCache"):
        recurrent.embedding_backward(out, None)


def test_embedding_gradient_of_a_repeated_word_adds_up():
    E = np.arange(6.0).reshape(2, 3)
    out, cache = recurrent.embedding_forward(np.array([[1, 1], [1, 2]]), E)
    np.testing.assert_array_equal(out[:, 0, 0], E[:, 1])
    dE = recurrent.embedding_backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dE, [[0, 3, 1], [0, 3, 1]])


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_a_cache_built_by_hand_is_refused(kind):
    x, a0, p, da = problem(kind)
    _, cache = forward(kind, x, a0, p)
    cls = type(cache)
    bad = [cls((2, 3, 4, 6), cache.W, cache.saved),  # a longer sequence than was run
           cls(cache.shape, cache.W.astype(np.float32), cache.saved),
           cls(cache.shape, cache.W, None)]
    for c in bad:
        with pytest.raises(ValueError,
                           match=f"cache does not belong to a valid {kind}_forward"):
            BACKWARD[kind](da, c)


def test_blas_threads_are_restored():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [lib["num_threads"] for lib in threadpoolctl.threadpool_info()]
    x, a0, p, da = problem("lstm")
    run_layer("lstm", x, a0, p, da)
    assert [lib["num_threads"] for lib in threadpoolctl.threadpool_info()] == before
