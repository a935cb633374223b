"""forbidding: make a module's public functions refuse for a block (write it yourself)."""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Iterator

from .records import ForbiddenCall


@contextlib.contextmanager
def forbidding(module: Any, message: str, namespace: dict | None = None) -> Iterator[None]:
    """Within the block, the public functions of ``module`` raise ``ForbiddenCall(message)``
    (a RuntimeError; a check reports it as "it calls module.name, which this exercise does
    not allow: message").

    For exercises whose answer the library already holds in fast form (the naive
    convolution of assignment 3 vs ``deepgrad.layers``): a hidden test calls the student's
    function inside ``with check.forbidding(layers, "...", namespace=globals()):`` and a
    function that calls the library instead of doing the work fails with ``message``.
    The public functions are the names in ``module.__all__`` (or, without one, the
    callables defined in the module). Names in ``namespace`` (the notebook's globals)
    bound to one of those functions (``from deepgrad.layers import conv_forward``) are
    replaced too. Everything is restored on exit, also when the block raises.
    """
    if type(message) is not str or not message:
        raise ValueError(f"message must be a non-empty str, got {message!r}")
    names = getattr(module, "__all__", None)
    if names is None:
        names = [k for k, v in vars(module).items() if not k.startswith("_") and callable(v)
                 and not inspect.isclass(v) and not inspect.ismodule(v)
                 and getattr(v, "__module__", None) == module.__name__]
    originals = {k: getattr(module, k) for k in names if hasattr(module, k)}

    def refusal(name: str) -> Callable[..., Any]:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise ForbiddenCall(message, f"{module.__name__}.{name}")
        return refuse

    bound: dict[str, Any] = {}
    by_id: dict[int, str] = {}
    if namespace is not None:
        by_id = {id(v): k for k, v in originals.items()}
        bound = {k: v for k, v in namespace.items() if id(v) in by_id}
    try:
        for k in originals:
            setattr(module, k, refusal(k))
        for k, v in bound.items():
            namespace[k] = refusal(by_id[id(v)])
        yield
    finally:
        for k, v in originals.items():
            setattr(module, k, v)
        for k, v in bound.items():
            namespace[k] = v
