"""Benchmarks of the deepgrad kernels against baselines, in one process.

Run from the repository root: ``python -m benchmarks.run`` (``make bench``). Each
benchmark prints a markdown section; ``--write`` also puts it into docs/benchmarks.md
between its markers (other sections are kept).

- ``conv`` (benchmarks/conv_bench.py): deepgrad.layers.conv_forward / conv_backward on the
  course's shapes against naive loops, numpy im2col and PyTorch CPU when it is importable.
- ``lr`` (benchmarks/learning_rate_bench.py): one slider move of the learning-rate widget,
  the Numba kernel against the same computation in numpy.
- ``opt`` (benchmarks/bench_optimizers.py): one step of each update rule of the optimizers
  notebook on 1e6 parameters against torch.optim's step, when torch is importable.
- ``widgets`` (benchmarks/bench_widgets.py): each widget's compute and render (before and
  with deepgrad.widgets.live), the optimizer widget's kernel against NumPy and torch.optim.
- ``rnn`` (benchmarks/bench_recurrent.py): deepgrad.recurrent's RNN, LSTM and GRU layers and a
  character-model training step against the cell-by-cell NumPy layers and torch.nn.
- ``step`` (benchmarks/bench_step.py): one training step (forward + backward) of assignment
  3's CNN with deepgrad.layers against the same network in torch.nn, 1 and 2 threads,
  float32 and float64, and where the step's time goes (layers against glue).

Every section ends with the CPU's instruction set (``timing.instruction_set``), printed and
written with it.

How they time is in benchmarks/timing.py.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import (bench_optimizers, bench_recurrent, bench_step, bench_widgets,
                        conv_bench, learning_rate_bench)
from benchmarks.timing import DOC, ROOT, instruction_set, write_section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only",
                        choices=["all", "lr", "conv", "opt", "widgets", "rnn", "step"],
                        default="all",
                        help="which benchmark to run (default: all)")
    parser.add_argument("--repeats", type=int, default=20,
                        help="timed calls per block for the fast implementations "
                             "(the slow baselines get fewer)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="conv, opt, step: alternating deepgrad/PyTorch rounds (median "
                             "taken)")
    parser.add_argument("--threads", type=int, default=None,
                        help="conv, rnn, step: Numba and PyTorch thread count (default: all "
                             "cores; step: 1 and 2); with --write, each thread count has "
                             "its own section")
    parser.add_argument("--write", action="store_true",
                        help=f"also write the sections into {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    reports = {"conv": lambda: conv_bench.report(args.repeats, args.threads, args.rounds),
               "lr": lambda: learning_rate_bench.report(args.repeats),
               "opt": lambda: bench_optimizers.report(args.repeats, args.rounds),
               "widgets": lambda: bench_widgets.report(args.repeats, args.rounds),
               "rnn": lambda: bench_recurrent.report(args.repeats, args.threads, args.rounds),
               "step": lambda: bench_step.report(args.repeats, args.rounds, args.threads)}
    isa = instruction_set()
    for key, report in reports.items():
        if args.only not in ("all", key):
            continue
        section, text = report()
        text += f"\n\nCPU: {isa}."
        print(text + "\n", flush=True)
        if args.write:
            write_section(section, text)
            print(f"written to {DOC.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
