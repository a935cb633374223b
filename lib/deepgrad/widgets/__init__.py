"""Interactive demos of the course (ipywidgets).

Each widget is split into a computation that tests can call directly and a thin
ipywidgets layer:

- :func:`learning_rate_widget` / :class:`LearningRateDemo` -- cost curve and decision
  boundary of logistic regression as the learning rate, the number of iterations and
  the momentum change.
"""

from .learning_rate import LearningRateDemo, LearningRateResult, learning_rate_widget

__all__ = ["LearningRateDemo", "LearningRateResult", "learning_rate_widget"]
