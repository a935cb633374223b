"""The wire format and the recording judge: what a grading kernel sends to the judge."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from deepgrad import check
from deepgrad.check import wire
from deepgrad.check.recording import ENV, RecordingJudge


def _roundtrip(x):
    return wire.decode(json.loads(json.dumps(wire.encode(x))))


def _same(a, b):
    if type(a) is not type(b):
        return False
    if type(a) is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if type(a) in (tuple, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if type(a) is float and math.isnan(a):
        return math.isnan(b)
    return a == b


@pytest.mark.parametrize("x", [
    None, True, 3, -2 ** 70, 2.5, float("nan"), float("-inf"), "text",
    np.float32(1.5), np.int64(-3), np.bool_(True),
    np.arange(6.0).reshape(2, 3), np.zeros((0, 4), np.float32), np.array(["a", "bc"]),
    np.arange(12).reshape(3, 4)[:, ::2],  # not contiguous
    (np.ones(2), 0.5), [1, [2, (3,)]], {"W1": np.eye(2), 3: "x"},
])
def test_values_travel_unchanged(x):
    assert _same(_roundtrip(x), x)


class _LyingArray(np.ndarray):
    def __eq__(self, other):
        return True


class _LyingFloat(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize("x", [
    np.ones(3).view(_LyingArray), _LyingFloat(1.0), object(), lambda: 0,
    np.array([1, None], dtype=object)])
def test_anything_else_travels_as_its_type_name_only(x):
    got = _roundtrip(x)
    assert type(got) is wire.Opaque and "Lying" not in repr(got) or "_Lying" in got.type_name


_NUMERIC = st.one_of(hnp.boolean_dtypes(), hnp.integer_dtypes(), hnp.unsigned_integer_dtypes(),
                    hnp.floating_dtypes(), hnp.complex_number_dtypes())


@given(hnp.arrays(_NUMERIC, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
@settings(max_examples=60, deadline=None)
def test_any_numeric_array_travels(a):
    assert _same(_roundtrip(a), a)


@pytest.mark.parametrize("tree", [
    {"nd": ["<f8", [2], "AAAA"]},          # too few bytes for the shape
    {"nd": ["|O", [1], ""]},               # an object array
    {"np": ["<f8", "AA=="]},               # wrong size
    {"float": "1e308"},                    # a finite float must travel as a number
    {"what": 1}, {"nd": 1, "np": 2}, 3j, {"dict": [[[1], 2]]}])
def test_forged_trees_are_refused(tree):
    with pytest.raises(wire.WireError):
        wire.decode(tree)


def test_digest_tells_inputs_apart():
    a = {"x": np.arange(4.0), "k": 2}
    assert wire.digest(a) == wire.digest({"k": 2, "x": np.arange(4.0)})
    assert wire.digest(a) != wire.digest({"x": np.arange(4.0), "k": 3})
    assert wire.digest(a) != wire.digest({"x": np.arange(4.0).astype(np.float32), "k": 2})
    assert wire.digest(a) != wire.digest({"x": np.arange(4.0).reshape(2, 2), "k": 2})
    x = np.arange(4.0)
    y = x.copy()
    y[1] = np.nextafter(1.0, 2.0)
    assert wire.digest({"x": x}) != wire.digest({"x": y})


def _records(fn):
    got = []
    with check.judged_by(RecordingJudge("got", sink=got.append)):
        fn()
    spec = []
    with check.judged_by(RecordingJudge("spec", sink=spec.append)):
        fn()
    return got, spec


def test_a_failing_check_records_and_passes_in_the_kernel():
    got, spec = _records(lambda: check.returns(
        lambda z: z * 2, args=(np.ones(3),), expected=np.ones(3),
        mistakes=[check.Mistake("doubled?", transform=lambda e: 2 * e)]))
    assert len(got) == len(spec) == 1
    assert "expected" not in got[0] and "inputs" not in got[0] and "mistakes" not in got[0]
    assert _same(wire.decode(got[0]["got"]), np.full(3, 2.0))
    assert got[0]["digest"] == spec[0]["digest"]
    assert _same(wire.decode(spec[0]["expected"]), np.ones(3))
    # the mistake travels resolved: its wrong output, not the function that makes it
    assert spec[0]["mistakes"] == [{"hint": "doubled?", "value": wire.encode(np.full(3, 2.0))}]
    json.dumps(spec)  # plain JSON


def test_every_kind_of_check_records():
    def checks():
        check.returns(abs, args=(-1,), expected=1)
        check.value("n", 3, expected=3)
        check.at_least("accuracy", 0.9, 0.5, hint="more epochs?")
        check.raises(int, args=("x",), exception=ValueError)
        check.gradient("square", lambda x: float(np.sum(x ** 2)), np.ones(2), 2 * np.ones(2))
    got, spec = _records(checks)
    assert [r["kind"] for r in got] == ["equal", "equal", "at_least", "raises", "gradient"]
    assert all(r["raised"] is None for r in got)


def test_the_environment_turns_recording_on():
    code = ("from deepgrad import check; from deepgrad.check import judge; "
            "print(type(judge._judge).__name__, judge._judge.mode)")
    env = dict(os.environ, **{ENV: "got"})
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == ["RecordingJudge", "got"]
    env[ENV] = "judge"
    bad = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and ENV in bad.stderr


def test_recording_judge_validates():
    with pytest.raises(ValueError, match="mode"):
        RecordingJudge("all")
    with pytest.raises(TypeError, match="sink"):
        RecordingJudge("got", sink=3)
