"""check.forbidding: a module's public functions refuse inside the block, and come back."""

import types

import numpy as np
import pytest

from deepgrad import check


def _module():
    mod = types.ModuleType("fake_layers")
    mod.__all__ = ["fast"]
    mod.fast = lambda x: x * 2
    mod.other = lambda x: x  # not public: not in __all__
    return mod


def test_refuses_inside_and_restores_after():
    mod = _module()
    fast = mod.fast
    ns = {"fast": fast, "alias": fast, "x": 3}
    with check.forbidding(mod, "write it yourself", namespace=ns):
        with pytest.raises(RuntimeError, match="write it yourself"):
            mod.fast(1)
        with pytest.raises(RuntimeError):
            ns["alias"](1)
        assert mod.other(1) == 1 and ns["x"] == 3
    assert mod.fast is fast and ns["fast"] is fast and ns["alias"] is fast


def test_restores_when_the_block_raises():
    mod = _module()
    fast = mod.fast
    with pytest.raises(KeyError):
        with check.forbidding(mod, "no"):
            raise KeyError
    assert mod.fast is fast


def test_a_student_function_calling_the_module_fails_the_check():
    mod = _module()

    def student(x):
        return mod.fast(x)

    with check.forbidding(mod, "write the loops yourself"):
        with pytest.raises(check.CheckFailure) as failure:
            check.returns(student, args=(np.ones(2),), expected=2 * np.ones(2))
    # the mistake is named, without a traceback through the library
    assert ("it calls fake_layers.fast, which this exercise does not allow: write the loops "
            "yourself") in failure.value.message
    assert "Traceback" not in failure.value.message
    check.returns(student, args=(np.ones(2),), expected=2 * np.ones(2))


def test_without_all_uses_callables_defined_in_the_module():
    mod = types.ModuleType("fake2")
    exec("def f():\n    return 1\n", mod.__dict__)
    mod.imported = len  # defined elsewhere: left alone
    with check.forbidding(mod, "no"):
        with pytest.raises(RuntimeError):
            mod.f()
        assert mod.imported([1]) == 1
    assert mod.f() == 1


def test_bad_message():
    with pytest.raises(ValueError):
        with check.forbidding(_module(), ""):
            pass
