"""The records a check is made of: what was called (Case), how it was judged (Verdict).

A test builds a :class:`Case`, a judge turns it into a :class:`Verdict` (problems and
:class:`Hint` records, as data), and only a failing verdict is rendered, last, into the
message of a :class:`CheckFailure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections import abc
from typing import Any, Callable, Protocol, Sequence

from .. import validation


class _Hidden:
    """The expected value of a hidden check in a student's grading kernel: computed by the
    grader, never here (:mod:`deepgrad_instructor.references`).

    What a test cell does with a reference value outside its block (``reference.reshape(2,
    13)``, ``reference[0]``, ``2 * reference``) gives HIDDEN again, so the cell runs the same
    with the block stripped.
    """

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "HIDDEN"

    def __reduce__(self):
        return (_Hidden, ())

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def _same(self, *args, **kwargs):
        return self

    __call__ = __getitem__ = __neg__ = __pos__ = __abs__ = _same
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _same
    __truediv__ = __rtruediv__ = __floordiv__ = __rfloordiv__ = __pow__ = __rpow__ = _same
    __matmul__ = __rmatmul__ = __mod__ = __rmod__ = _same


#: The one :class:`_Hidden` value.
HIDDEN = _Hidden()


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the hint to show when a student's output matches it.

    Give exactly one of ``value``, ``transform`` and ``shape``::

        check.Mistake("did you forget to divide by m?", value=2.448767603172127)
        check.Mistake("is the minus sign missing?", transform=lambda e: -e)
        check.Mistake("the output size is (n - f) // s + 1: did you forget the + 1?",
                      shape=(2, 4, 4, 3))
        check.Mistake("db has one entry per filter: sum dout over axes 0, 1 and 2",
                      shape=(2, 3, 3, 4), output="db")

    Parameters
    ----------
    hint : str
        What the student probably did, phrased as a question they can act on, e.g.
        ``"did you forget to divide by m?"``. It is shown as written.
    value : object, optional
        The output this mistake produces for the checked input.
    transform : callable, optional
        ``transform(expected) -> wrong output``; use it when the wrong output is a
        function of the right one (``lambda e: -e``), so a visible test never has to
        spell out a formula.
    shape : tuple of int, optional
        The mistake is recognised by the shape it gives: it matches when the output is
        a plain array of exactly this shape, whatever its values (an off-by-one in an
        output size, a sum over the wrong axes). It must differ from the expected shape.
    output : str or int, optional
        Only with ``shape``, for a check of several outputs: the output the shape is
        about -- its name in ``outputs=`` (``"db"``), its index in the expected tuple, or
        its key in the expected dict. Without it, the whole output is compared (a shape
        mistake then matches a function that returned one array instead of a tuple).

    Raises
    ------
    ValueError
        If not exactly one of ``value``, ``transform`` and ``shape`` is given, if a
        shape entry is negative, or if ``output`` is given without ``shape``.
    TypeError
        If ``hint`` is not a str, ``transform`` is not callable, ``shape`` is not a
        tuple (or list) of ints, or ``output`` is not a str or an int.
    """

    hint: str
    value: Any = None
    transform: Callable[[Any], Any] | None = None
    shape: tuple[int, ...] | None = None
    output: str | int | None = None

    def __post_init__(self) -> None:
        validation.instance("hint", self.hint, str)
        given = [k for k in ("value", "transform", "shape") if getattr(self, k) is not None]
        if len(given) != 1:
            got = " and ".join(k + "=" for k in given) or "none of them"
            raise ValueError("a Mistake needs exactly one of value=, transform= and "
                             f"shape=, got {got}")
        if self.transform is not None:
            validation.instance("transform", self.transform, abc.Callable,
                                what="a function of the expected output")
        if self.shape is not None:
            validation.instance("shape", self.shape, (tuple, list),
                                what="a tuple of ints, e.g. shape=(2, 4, 4, 3)")
            object.__setattr__(self, "shape", tuple(  # frozen: set once, as ints
                validation.integer(f"shape[{i}]", n, low=0)
                for i, n in enumerate(self.shape)))
        if self.output is not None:
            if self.shape is None:
                raise ValueError("output= only goes with shape= (a value= or transform= "
                                 "mistake describes every output)")
            validation.instance("output", self.output, (str, int),
                                what="the name (str) or index (int) of one output")

    def wrong_output(self, expected: Any) -> Any:
        """The wrong output of a ``value`` or ``transform`` mistake (None for ``shape``)."""
        if self.transform is not None:
            return self.transform(expected)
        return self.value


@dataclass(frozen=True)
class Hint:
    """A hint for the student, kept as data until the report renders it.

    Parameters
    ----------
    kind : str
        What the hint is about: ``"mistake"`` (a listed :class:`Mistake` matched),
        ``"warning"``, ``"factor"``, ``"sign"``, ``"transposed"``, ``"broadcast"``,
        ``"1-D"``, ``"shape"``, ``"axes"`` (which axes of a wrong shape are off, and by
        how much) or ``"batch"`` (a gradient not summed over the batch).
    text : str
        The sentence, about one output, without that output's name.
    output : str, optional
        The output it is about, when the function returns several; the report puts the
        name in front of ``text``.
    ratio : float, optional
        For ``kind="factor"``: the constant ``got / expected``. Outputs that are all off
        by the same factor are reported in one sentence.
    factor_args : tuple of str
        For ``kind="factor"``: the int arguments of the call equal to the factor (or to
        its inverse), e.g. ``("size",)``; empty when none is.
    factor_axes : tuple of str
        For ``kind="factor"``, when no argument is the factor: the input axes whose
        length it is, e.g. ``("x.shape[3]",)``; empty when none is.
    """

    kind: str
    text: str
    output: str | None = None
    ratio: float | None = None
    factor_args: tuple[str, ...] = ()
    factor_axes: tuple[str, ...] = ()


@dataclass
class Case:
    """One checked call (or one checked value): everything a judge needs, nothing else."""

    function: str
    inputs: dict[str, Any]
    expected: Any
    got: Any = None
    raised: str | None = None  # what went wrong with the call, a sentence for the student
    warnings: list[str] = field(default_factory=list)
    modified_inputs: list[str] = field(default_factory=list)
    outputs: Sequence[str] | None = None
    rtol: float = 1e-6
    atol: float = 1e-8
    mistakes: Sequence[Mistake] = ()
    kind: str = "equal"  # "equal" | "at_least" | "raises" | "gradient"
    stderr: str = ""  # what the function printed to sys.stderr
    call: bool = True  # False for value() and at_least(): a variable, not a call
    #: True when ``expected`` is computed from the student's own work (their functions,
    #: their hyperparameters), not a fixed truth: a judge outside the kernel then takes
    #: it, and the mistakes, from the kernel instead of from the solution's run
    consistency: bool = False


@dataclass
class Verdict:
    """What a judge decided about a :class:`Case`."""

    passed: bool
    problems: list[str] = field(default_factory=list)
    #: :class:`Hint` records (a plain str is shown as it is).
    hints: list[Hint | str] = field(default_factory=list)
    #: False when the output itself was compared and is wrong (the report then shows
    #: expected vs got); None when a judge does not say.
    output_ok: bool | None = None


class CheckFailure(AssertionError):
    """A check failed. The message is the whole story; the traceback is just the message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def _render_traceback_(self) -> list[str]:  # IPython shows these lines instead
        return ["CheckFailure: " + line if i == 0 else line
                for i, line in enumerate(self.message.splitlines())]


class Judge(Protocol):
    def judge(self, case: Case) -> Verdict: ...


class ForbiddenCall(RuntimeError):
    """Raised by a library function that :func:`~deepgrad.check.forbidding` switched off:
    the student's code called ``called`` where the exercise asks them to write it."""

    def __init__(self, message: str, called: str):
        super().__init__(message)
        self.called = called
