"""Numba kernel behind the optimizer widget: six update rules raced on four 2-D surfaces.

:func:`race` takes the widget's settings -- a surface (by name), a start point, two
learning rates, β, β1, β2 and a number of steps -- and returns whole trajectories and
loss curves (:class:`Race`). It is not an update rule: it takes no gradient and no
state, only runs on the four surfaces below, and everything that computes a step is
private. Assignment 4 grades ``update(w, dw, config) -> (next_w, config)`` for each rule;
nothing here has that shape or could stand in for it.

Surfaces (``(x, y)`` the two parameters; the minimum and its loss in :data:`SURFACES`):

- ``quadratic``: ``0.5 (x² + κ y²)``, κ = :data:`CONDITION` (an ill-conditioned bowl,
  its axes along the parameters);
- ``rotated``: the same bowl turned by 45°: ``0.5 (u² + κ v²)`` with ``u = (x + y)/√2``,
  ``v = (y - x)/√2`` (the long valley is diagonal: per-parameter rates no longer help);
- ``saddle``: ``0.5 x² - 0.5 y² + 0.25 y⁴``, a saddle point at the origin (curvatures 1
  and -1) between two minima at ``(0, ±1)`` (loss -0.25);
- ``rosenbrock``: ``(1 - x)² + 100 (y - x²)²``, the curved valley, minimum at (1, 1).

Update rules (``g`` the gradient at the current point, every state starting at 0; the
conventions of the course's notes and of CS231n's assignment, with ε = 1e-8):

- SGD: ``w -= lr g``;
- momentum: ``v = β v - lr g; w += v``;
- Nesterov: the gradient at the look-ahead point, ``g = ∇f(w + β v)``; then as momentum;
- AdaGrad: ``G += g²; w -= lr_a g / (√G + ε)``;
- RMSProp: ``s = β2 s + (1 - β2) g²; w -= lr_a g / (√s + ε)`` (its decay rate is β2);
- Adam: ``m = β1 m + (1 - β1) g; s = β2 s + (1 - β2) g²``, bias-corrected
  ``m̂ = m / (1 - β1^t)``, ``ŝ = s / (1 - β2^t)`` with t = 1, 2, ...;
  ``w -= lr_a m̂ / (√ŝ + ε)``.

``lr`` is the learning rate of the first three, ``lr_a`` that of the adaptive three: their
steps have different units (``lr g`` against about ``lr_a`` per parameter), so one rate
for all six would always leave one family far from its best.

A run that leaves the box ``|x|, |y| <= DIVERGED`` (or stops being finite) has diverged:
its path and loss are nan from that step on, and :attr:`Race.diverged_at` says when.

:func:`momentum_stability` gives the spectral radius of momentum's iteration on a
quadratic, for a grid of (learning rate, β): the largest ``|λ|`` of the 2x2 matrices
``[[1 - lr h, β], [-lr h, β]]`` over the curvatures ``h`` (the iteration on
``(w, v)`` along one eigenvector of the Hessian). Below 1 the iteration converges, and
the error shrinks by about that factor per step.

Invariants: ``@njit(cache=True)``, so ``NUMBA_DISABLE_JIT=1`` runs the same code as Python;
no bounds checks inside: the public functions validate every argument first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from deepgrad import validation

__all__ = ["SURFACES", "RULES", "CONDITION", "MAX_STEPS", "DIVERGED", "EPSILON", "Race",
           "race", "surface_loss", "momentum_stability", "precompile"]

#: Condition number of the quadratic (and rotated) surface: curvatures 1 and κ.
CONDITION = 20.0
#: Surface key -> (label, (x, y) of a minimum, loss there, plotted box (x0, x1, y0, y1)).
SURFACES = {
    "quadratic": (f"ill-conditioned quadratic 0.5(x² + {CONDITION:g}y²)", (0.0, 0.0), 0.0,
                  (-3.0, 3.0, -1.5, 1.5)),
    "rotated": ("the same valley, rotated 45°", (0.0, 0.0), 0.0, (-2.5, 2.5, -2.5, 2.5)),
    "saddle": ("saddle point 0.5x² − 0.5y² + 0.25y⁴", (0.0, 1.0), -0.25,
               (-2.5, 2.5, -1.6, 1.6)),
    "rosenbrock": ("Rosenbrock (1 − x)² + 100(y − x²)²", (1.0, 1.0), 0.0,
                   (-2.0, 2.0, -1.0, 3.0)),
}
#: Rule key -> label, in the order of :attr:`Race.paths`.
RULES = {"sgd": "SGD", "momentum": "momentum", "nesterov": "Nesterov",
         "adagrad": "AdaGrad", "rmsprop": "RMSProp", "adam": "Adam"}
MAX_STEPS = 5000
#: A path that leaves |x|, |y| <= DIVERGED has diverged.
DIVERGED = 1e6
EPSILON = 1e-8
_SURFACE_CODES = {name: k for k, name in enumerate(SURFACES)}
_SQRT_HALF = math.sqrt(0.5)


# ----------------------------------------------------------------------------- kernels
@njit(cache=True)
def _loss(code, x, y):
    if code == 0:
        return 0.5 * (x * x + 20.0 * y * y)
    if code == 1:
        u = (x + y) * 0.7071067811865476
        v = (y - x) * 0.7071067811865476
        return 0.5 * (u * u + 20.0 * v * v)
    if code == 2:
        return 0.5 * x * x - 0.5 * y * y + 0.25 * y * y * y * y
    r = x * x - y
    return (1.0 - x) * (1.0 - x) + 100.0 * r * r


@njit(cache=True)
def _gradient(code, x, y):
    if code == 0:
        return x, 20.0 * y
    if code == 1:
        # f = 0.5 (u² + κ v²): ∂f/∂x = (u - κ v)/√2, ∂f/∂y = (u + κ v)/√2
        u = (x + y) * 0.7071067811865476
        v = (y - x) * 0.7071067811865476
        return (u - 20.0 * v) * 0.7071067811865476, (u + 20.0 * v) * 0.7071067811865476
    if code == 2:
        return x, -y + y * y * y
    r = x * x - y
    return -2.0 * (1.0 - x) + 400.0 * x * r, -200.0 * r


@njit(cache=True)
def _race(code, x0, y0, lr, lr_adaptive, beta, beta1, beta2, epsilon, steps, paths,
          losses, diverged_at):
    """Fill paths (6, steps + 1, 2), losses (6, steps + 1) and diverged_at (6,)."""
    for rule in range(6):
        x, y = x0, y0
        vx, vy, sx, sy = 0.0, 0.0, 0.0, 0.0  # velocity / first moment, squares
        b1t, b2t = 1.0, 1.0
        paths[rule, 0, 0] = x
        paths[rule, 0, 1] = y
        losses[rule, 0] = _loss(code, x, y)
        diverged_at[rule] = -1
        for t in range(1, steps + 1):
            if rule == 2:  # Nesterov: the gradient at the look-ahead point
                gx, gy = _gradient(code, x + beta * vx, y + beta * vy)
            else:
                gx, gy = _gradient(code, x, y)
            if rule == 0:
                x -= lr * gx
                y -= lr * gy
            elif rule == 1 or rule == 2:
                vx = beta * vx - lr * gx
                vy = beta * vy - lr * gy
                x += vx
                y += vy
            elif rule == 3:
                sx += gx * gx
                sy += gy * gy
                x -= lr_adaptive * gx / (math.sqrt(sx) + epsilon)
                y -= lr_adaptive * gy / (math.sqrt(sy) + epsilon)
            elif rule == 4:
                sx = beta2 * sx + (1.0 - beta2) * gx * gx
                sy = beta2 * sy + (1.0 - beta2) * gy * gy
                x -= lr_adaptive * gx / (math.sqrt(sx) + epsilon)
                y -= lr_adaptive * gy / (math.sqrt(sy) + epsilon)
            else:
                vx = beta1 * vx + (1.0 - beta1) * gx
                vy = beta1 * vy + (1.0 - beta1) * gy
                sx = beta2 * sx + (1.0 - beta2) * gx * gx
                sy = beta2 * sy + (1.0 - beta2) * gy * gy
                b1t *= beta1
                b2t *= beta2
                mx, my = vx / (1.0 - b1t), vy / (1.0 - b1t)
                x -= lr_adaptive * mx / (math.sqrt(sx / (1.0 - b2t)) + epsilon)
                y -= lr_adaptive * my / (math.sqrt(sy / (1.0 - b2t)) + epsilon)
            # |x| <= 1e6 is False for nan too: a non-finite point has diverged as well.
            if not (abs(x) <= 1e6 and abs(y) <= 1e6):
                diverged_at[rule] = t
                for k in range(t, steps + 1):
                    paths[rule, k, 0] = np.nan
                    paths[rule, k, 1] = np.nan
                    losses[rule, k] = np.nan
                break
            paths[rule, t, 0] = x
            paths[rule, t, 1] = y
            losses[rule, t] = _loss(code, x, y)


@njit(cache=True)
def _loss_grid(code, xs, ys, out):
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            out[i, j] = _loss(code, xs[j], ys[i])


@njit(cache=True)
def _spectral_radius(learning_rates, betas, curvatures, out):
    """Largest |λ| of [[1 - a, β], [-a, β]] (a = lr h) over h, per (β, lr)."""
    for i in range(betas.shape[0]):
        beta = betas[i]
        for j in range(learning_rates.shape[0]):
            worst = 0.0
            for h in curvatures:
                a = learning_rates[j] * h
                # λ² - (1 - a + β) λ + β = 0
                trace = 1.0 - a + beta
                disc = trace * trace - 4.0 * beta
                if disc < 0.0:
                    radius = math.sqrt(beta)  # complex pair: |λ|² = det = β
                else:
                    root = math.sqrt(disc)
                    radius = max(abs(trace + root), abs(trace - root)) * 0.5
                if radius > worst:
                    worst = radius
            out[i, j] = worst


# ----------------------------------------------------------------------------- wrappers
@dataclass(frozen=True)
class Race:
    """The six rules run from one start on one surface.

    Attributes
    ----------
    surface : str
        A key of :data:`SURFACES`.
    start : (float, float)
    learning_rate, adaptive_learning_rate, beta, beta1, beta2 : float
    steps : int
    rules : tuple of str
        Keys of :data:`RULES`, the order of the rows below.
    paths : ndarray, shape (6, steps + 1, 2)
        ``paths[r, t]``: where rule r is after t steps (nan once it diverged).
    losses : ndarray, shape (6, steps + 1)
        The loss there (nan once it diverged).
    diverged_at : ndarray of int, shape (6,)
        The step at which the rule left the box (-1: it did not).
    minimum : (float, float)
        The surface's minimum (one of the two for the saddle).
    minimum_loss : float
    """

    surface: str
    start: tuple
    learning_rate: float
    adaptive_learning_rate: float
    beta: float
    beta1: float
    beta2: float
    steps: int
    rules: tuple
    paths: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray
    minimum: tuple
    minimum_loss: float

    @property
    def gaps(self) -> np.ndarray:
        """``loss - minimum loss`` after the last step, per rule (nan: diverged)."""
        return self.losses[:, -1] - self.minimum_loss


def _surface(surface: object) -> int:
    return _SURFACE_CODES[validation.one_of("surface", surface, SURFACES)]


def race(surface: str = "quadratic", start: tuple = (-2.5, 1.0),
         learning_rate: float = 0.05, adaptive_learning_rate: float = 0.1,
         beta: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
         steps: int = 100) -> Race:
    """Run SGD, momentum, Nesterov, AdaGrad, RMSProp and Adam from ``start`` on ``surface``.

    Parameters
    ----------
    surface : {'quadratic', 'rotated', 'saddle', 'rosenbrock'}
    start : (x, y), each in [-100, 100]
    learning_rate : float in (0, 10]
        Of SGD, momentum and Nesterov.
    adaptive_learning_rate : float in (0, 10]
        Of AdaGrad, RMSProp and Adam.
    beta : float in [0, 1)
        Momentum's (and Nesterov's).
    beta1 : float in [0, 1)
        Adam's first-moment decay.
    beta2 : float in [0, 1)
        Adam's second-moment decay, and RMSProp's.
    steps : int in [1, 5000]

    Returns
    -------
    Race

    Raises
    ------
    TypeError
        For an argument of the wrong type (named).
    ValueError
        For an unknown surface or an out-of-range value (named).
    """
    code = _surface(surface)
    validation.instance("start", start, (tuple, list, np.ndarray),
                        what="a pair (x, y) of numbers")
    if len(start) != 2:
        raise ValueError(f"start must be a pair (x, y), got {len(start)} numbers")
    x0 = validation.number("start[0]", start[0], low=-100.0, high=100.0)
    y0 = validation.number("start[1]", start[1], low=-100.0, high=100.0)
    lr = validation.number("learning_rate", learning_rate, low=0.0, high=10.0)
    lr_a = validation.number("adaptive_learning_rate", adaptive_learning_rate, low=0.0,
                             high=10.0)
    if lr == 0.0 or lr_a == 0.0:
        raise ValueError("learning rates must be above 0, got "
                         f"learning_rate={lr}, adaptive_learning_rate={lr_a}")
    beta = validation.number("beta", beta, low=0.0, high=1.0, inclusive="left")
    beta1 = validation.number("beta1", beta1, low=0.0, high=1.0, inclusive="left")
    beta2 = validation.number("beta2", beta2, low=0.0, high=1.0, inclusive="left")
    steps = validation.integer("steps", steps, low=1, high=MAX_STEPS)
    paths = np.empty((6, steps + 1, 2))
    losses = np.empty((6, steps + 1))
    diverged_at = np.empty(6, dtype=np.int64)
    _race(code, x0, y0, lr, lr_a, beta, beta1, beta2, EPSILON, steps, paths, losses,
          diverged_at)
    _, minimum, minimum_loss, _ = SURFACES[surface]
    return Race(surface=surface, start=(x0, y0), learning_rate=lr,
                adaptive_learning_rate=lr_a, beta=beta, beta1=beta1, beta2=beta2,
                steps=steps, rules=tuple(RULES), paths=paths, losses=losses,
                diverged_at=diverged_at, minimum=minimum, minimum_loss=minimum_loss)


def surface_loss(surface: str, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """The surface's loss on the grid ``xs × ys``: shape ``(len(ys), len(xs))``."""
    code = _surface(surface)
    xs = validation.array("xs", np.asarray(xs, dtype=np.float64), ndim=1,
                          shape_text="(n,)")
    ys = validation.array("ys", np.asarray(ys, dtype=np.float64), ndim=1,
                          shape_text="(n,)")
    for name, v in (("xs", xs), ("ys", ys)):
        if not np.isfinite(v).all() or np.abs(v).max() > 1e3:
            raise ValueError(f"{name} must be finite numbers in [-1000, 1000]")
    out = np.empty((ys.size, xs.size))
    _loss_grid(code, xs, ys, out)
    return out


def momentum_stability(learning_rates: np.ndarray, betas: np.ndarray,
                       curvatures: tuple = (1.0, CONDITION)) -> np.ndarray:
    """Spectral radius of momentum's iteration on a quadratic with these curvatures.

    Parameters
    ----------
    learning_rates : ndarray, shape (n,), each > 0
    betas : ndarray, shape (k,), each in [0, 1)
    curvatures : sequence of float > 0
        The Hessian's eigenvalues (default: the quadratic surface's, 1 and κ).

    Returns
    -------
    ndarray, shape (k, n)
        ``max_h |λ|`` per (β, learning rate): below 1, momentum converges on every
        direction of the quadratic; above, it diverges along one.
    """
    lrs = validation.array("learning_rates", np.asarray(learning_rates, dtype=np.float64),
                           ndim=1, shape_text="(n,)")
    betas = validation.array("betas", np.asarray(betas, dtype=np.float64), ndim=1,
                             shape_text="(k,)")
    hs = validation.array("curvatures", np.asarray(curvatures, dtype=np.float64), ndim=1,
                          shape_text="(c,)")
    if not (np.isfinite(lrs).all() and (lrs > 0).all() and lrs.max() <= 1e3):
        raise ValueError("learning_rates must be finite numbers in (0, 1000]")
    if not (np.isfinite(betas).all() and (betas >= 0).all() and (betas < 1).all()):
        raise ValueError("betas must be numbers in [0, 1)")
    if not (np.isfinite(hs).all() and (hs > 0).all() and hs.max() <= 1e6):
        raise ValueError("curvatures must be finite numbers in (0, 1e6]")
    out = np.empty((betas.size, lrs.size))
    _spectral_radius(lrs, betas, hs, out)
    return out


def precompile() -> None:
    """Compile the kernels (or load them from Numba's on-disk cache) on tiny inputs."""
    for surface in SURFACES:
        race(surface, steps=2)
    surface_loss("quadratic", np.zeros(2), np.zeros(2))
    momentum_stability(np.ones(2), np.zeros(2))
