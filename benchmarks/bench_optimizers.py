"""Update rules: one step of the optimizers notebook's solution against torch.optim's own step.

The six rules (sgd, momentum, Nesterov, AdaGrad, RMSProp, Adam) are exec'd from the answer cells
of source/04_optimization/optimizers.ipynb -- plain numpy, ``next_w, config = rule(w, dw,
config)``, a new array per step -- and timed on a vector of 1e6 parameters in float32 and
float64 against the matching ``torch.optim`` optimizer stepping a tensor of the same size in
place (its foreach implementation, the default on CPU). Both are first run a few steps on the
same gradients and must agree. They are timed in alternating blocks
(``timing.alternating_medians``); the ratio is numpy's time over PyTorch's (> 1: slower).

``python -m benchmarks.run --only opt`` (or ``python -m benchmarks.bench_optimizers``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.timing import COMMAND, ROOT, alternating_medians, environment

try:
    import torch
except ImportError:  # torch is optional: benchmarks/requirements.txt
    torch = None

SECTION = "update rules benchmark"
NOTEBOOK = ROOT / "source" / "04_optimization" / "optimizers.ipynb"
N = 1_000_000
RULES = ("sgd", "sgd_momentum", "nesterov", "adagrad", "rmsprop", "adam")
CONFIGS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "nesterov": {"learning_rate": 1e-2, "momentum": 0.9},
    "adagrad": {"learning_rate": 1e-2, "epsilon": 1e-8},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}


def torch_optimizer(name: str, params):
    """torch.optim's optimizer with the same hyperparameters as CONFIGS[name]."""
    c = CONFIGS[name]
    if name == "sgd":
        return torch.optim.SGD(params, lr=c["learning_rate"])
    if name in ("sgd_momentum", "nesterov"):
        return torch.optim.SGD(params, lr=c["learning_rate"], momentum=c["momentum"],
                               nesterov=name == "nesterov")
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=c["learning_rate"], eps=c["epsilon"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=c["learning_rate"], alpha=c["decay_rate"],
                                   eps=c["epsilon"])
    return torch.optim.Adam(params, lr=c["learning_rate"], betas=(c["beta1"], c["beta2"]),
                            eps=c["epsilon"])


def solution_rules(path: Path = NOTEBOOK) -> dict:
    """The notebook's update rules, from its answer cells with the solution."""
    from authoring.submissions import solution_notebook
    from deepgrad_instructor.cells import grade_id, is_answer
    from deepgrad_instructor.course import read_nb

    namespace = {"np": np}
    for cell in solution_notebook(read_nb(path)).cells:
        if cell.cell_type == "code" and is_answer(cell) and grade_id(cell) in RULES:
            exec(compile(cell.source, f"<{grade_id(cell)}>", "exec"), namespace)
    return {name: namespace[name] for name in RULES}


class NumpyStepper:
    def __init__(self, rule, w, g, config):
        self.rule, self.w, self.g, self.config = rule, w.copy(), g, dict(config)

    def step(self):
        self.w, self.config = self.rule(self.w, self.g, self.config)


class TorchStepper:
    def __init__(self, name, w, g):
        self.p = torch.tensor(w, requires_grad=True)
        self.p.grad = torch.from_numpy(g.copy())
        self.opt = torch_optimizer(name, [self.p])

    def step(self):
        self.opt.step()  # the gradient stays set: the same gradient every step, as for numpy


def check_agreement(rule, name, dtype) -> None:
    """A few steps on the same gradients (they depend on nothing): the same parameters."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=1000).astype(dtype)
    grads = (rng.normal(size=(5, 1000)) * np.array([[1.0]] * 4 + [[1e-4]])).astype(dtype)
    ours, cfg = w.copy(), dict(CONFIGS[name])
    p = torch.tensor(w, requires_grad=True)
    opt = torch_optimizer(name, [p])
    for g in grads:
        ours, cfg = rule(ours, g, cfg)
        p.grad = torch.from_numpy(g.copy())
        opt.step()
    assert ours.dtype == dtype, f"{name} returned {ours.dtype} for {np.dtype(dtype)} input"
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours, p.detach().numpy(), **tol, err_msg=name)


def run(repeats: int, rounds: int) -> list[tuple[str, str, float, float]]:
    """(rule, dtype, numpy ms, torch ms) per rule and dtype."""
    rules = solution_rules()
    rows = []
    for dtype in (np.float32, np.float64):
        rng = np.random.default_rng(1)
        w = rng.normal(size=N).astype(dtype)
        g = rng.normal(size=N).astype(dtype)
        for name in RULES:
            check_agreement(rules[name], name, dtype)
            ours = NumpyStepper(rules[name], w, g, CONFIGS[name])
            theirs = TorchStepper(name, w, g)
            med = alternating_medians({"numpy": ours.step, "torch": theirs.step}, repeats,
                                      rounds)
            rows.append((name, np.dtype(dtype).name, med["numpy"], med["torch"]))
    return rows


def table(rows) -> str:
    lines = [f"| rule | dtype | notebook's rule, numpy (ms) | torch.optim step (ms) "
             f"| numpy / torch |", "|---|---|---:|---:|---:|"]
    for name, dtype, ours, theirs in rows:
        lines.append(f"| {name} | {dtype} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.1f}x |")
    return "\n".join(lines)


def report(repeats: int = 20, rounds: int = 3) -> tuple[str, str]:
    """(section name, markdown) of this benchmark."""
    if torch is None:
        return SECTION, ("## Update rules: one step on 1e6 parameters\n\nSkipped: torch is "
                         "not installed (`pip install -r benchmarks/requirements.txt`).")
    threads = torch.get_num_threads()
    rows = run(repeats, rounds)
    return SECTION, (
        "## Update rules: one step on 1e6 parameters\n\n"
        f"`{COMMAND} --only opt` (`make bench` runs all). The optimizers notebook's solution "
        "(numpy, a new array per step) against torch.optim's in-place step, same "
        "hyperparameters, agreement checked first; alternating blocks of "
        f"{repeats} steps, {rounds} rounds.\n\n" + table(rows) + "\n\n"
        + environment(f", torch {torch.__version__} ({threads} threads)") + ".")


if __name__ == "__main__":
    print(report()[1])
