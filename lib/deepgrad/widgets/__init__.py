"""Interactive demos of the course (ipywidgets).

Each widget is split into a computation that tests can call directly and a thin
ipywidgets layer:

- :func:`learning_rate_widget` / :class:`LearningRateDemo` -- cost curve and decision
  boundary of logistic regression as the learning rate, the number of iterations and
  the momentum change.
- :func:`saturation_widget` / :class:`SaturationDemo` -- an activation's output and
  local gradient as the weight, input and bias change, the saturated region, and how
  the gradient through a chain of L such units vanishes or explodes with depth.
- :func:`initialization_widget` / :class:`InitializationDemo` -- per-layer distributions
  and standard deviations of the activations and gradients of a deep net on real digits
  as the initialization scheme, depth, width, activation and batch norm change.
- :func:`optimizer_widget` / :class:`OptimizerDemo` -- SGD, momentum, Nesterov, AdaGrad,
  RMSProp and Adam raced on an ill-conditioned, a rotated, a saddle and Rosenbrock's
  surface, with momentum's learning-rate/β stability map.

Every widget draws through :mod:`deepgrad.widgets.live`: only what changed is drawn on a
cached Agg background, and slider moves that arrive while a frame is drawn are merged
(docs/benchmarks.md, "Widgets").
"""

from .initialization import (InitializationDemo, InitializationResult,
                             initialization_widget)
from .learning_rate import LearningRateDemo, LearningRateResult, learning_rate_widget
from .optimizer import OptimizerDemo, OptimizerResult, optimizer_widget
from .saturation import SaturationDemo, SaturationResult, saturation_widget

__all__ = ["LearningRateDemo", "LearningRateResult", "learning_rate_widget",
           "SaturationDemo", "SaturationResult", "saturation_widget",
           "InitializationDemo", "InitializationResult", "initialization_widget",
           "OptimizerDemo", "OptimizerResult", "optimizer_widget"]
