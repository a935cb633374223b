"""Hypothesis strategies shared by the property tests.

Settings (deadline, health checks) come from the one profile in tests/conftest.py; a test
sets only ``max_examples``, where it needs another amount.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: A seed for ``np.random.default_rng`` or any function of the library that takes one.
seeds = st.integers(0, 2 ** 32 - 1)

#: The dtypes the layers accept.
float_dtypes = st.sampled_from([np.float32, np.float64])


def array_shapes(min_side: int = 0, max_side: int = 5):
    """Shapes of 0 to 3 dimensions (a scalar's ``()`` included)."""
    return hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=max_side)


@st.composite
def conv_problems(draw, max_out: int = 4, filters=st.integers(1, 4),
                  channels=st.integers(1, 4)):
    """A convolution and its upstream gradient: ``(x, w, b, stride, pad, dout)`` with
    x (m, h, w, c), w (K, f, f, c), b (K,), dout (m, ho, wo, K), all of one dtype.

    Output sizes are drawn first (1 to ``max_out``) and the input sized to fit them
    exactly, so every stride/pad/filter combination gives a valid layer. ``filters``
    draws K, ``channels`` c.
    """
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    f = draw(st.integers(1, 5))
    ho = draw(st.integers(1, max_out))
    wo = draw(st.integers(1, max_out))
    h = (ho - 1) * stride + f - 2 * pad
    wd = (wo - 1) * stride + f - 2 * pad
    assume(h >= 1 and wd >= 1)
    m = draw(st.integers(1, 3))
    c = draw(channels)
    K = draw(filters)
    dtype = draw(float_dtypes)
    rng = np.random.default_rng(draw(seeds))
    x = rng.standard_normal((m, h, wd, c)).astype(dtype)
    w = rng.standard_normal((K, f, f, c)).astype(dtype)
    b = rng.standard_normal(K).astype(dtype)
    dout = rng.standard_normal((m, ho, wo, K)).astype(dtype)
    return x, w, b, stride, pad, dout


@st.composite
def pool_problems(draw):
    """A pooling layer and its upstream gradient: ``(x, size, stride, dout)`` with
    x (m, h, w, c) sized to fit the windows exactly and dout (m, ho, wo, c). x holds small
    integers, so windows have ties and "the first maximum" is really tested."""
    size = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    ho = draw(st.integers(1, 4))
    wo = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    c = draw(st.integers(1, 4))
    dtype = draw(float_dtypes)
    rng = np.random.default_rng(draw(seeds))
    shape = (m, (ho - 1) * stride + size, (wo - 1) * stride + size, c)
    x = rng.integers(-2, 3, shape).astype(dtype)
    dout = rng.standard_normal((m, ho, wo, c)).astype(dtype)
    return x, size, stride, dout
