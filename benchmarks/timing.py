"""How every benchmark here times, reports its environment and writes its table.

Method (see the shared STACK.md): implementations are timed in blocks, never alternated
call by call -- numpy's BLAS threads keep spinning ~0.1 s after a call and would slow
whatever runs next. Each block starts after a 0.3 s pause and one untimed call (which
also keeps compilation and cache loading out of the numbers); medians are quoted.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import time
from collections.abc import Callable, Hashable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
COMMAND = "python -m benchmarks.run"


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of ``fn``, in ms, after a 0.3 s pause and one
    untimed call."""
    time.sleep(0.3)  # let the previous implementation's threads go quiet
    fn()  # untimed
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return 1e3 * statistics.median(samples)


def alternating_medians(timed: dict[Hashable, Callable[[], object]], repeats: int,
                        rounds: int) -> dict[Hashable, float]:
    """Time each function in ``rounds`` rounds of one block each (``median_ms``), the
    functions taking turns, and give each the median of its per-round medians: a burst of
    load from another process then hits every implementation rather than one."""
    per_round: dict[Hashable, list[float]] = {key: [] for key in timed}
    for _ in range(rounds):
        for key, fn in timed.items():
            per_round[key].append(median_ms(fn, repeats))
    return {key: statistics.median(values) for key, values in per_round.items()}


def environment(extra: str = "") -> str:
    """One line on where the numbers come from: versions, threads, cores, load, date.
    ``extra`` (e.g. ", torch 2.13.0 (2 threads)") goes after Numba's part."""
    import numba

    return (f"Python {platform.python_version()}, numpy {np.__version__}, numba "
            f"{numba.__version__} ({numba.get_num_threads()} threads){extra}, "
            f"{os.cpu_count()} cores, {platform.machine()}, load average "
            f"{os.getloadavg()[0]:.1f} at the end; medians, {time.strftime('%Y-%m-%d')}")


def markers(section: str) -> tuple[str, str]:
    """The HTML comments that delimit a benchmark's section in docs/benchmarks.md."""
    return (f"<!-- BEGIN {section} ({COMMAND} --write) -->", f"<!-- END {section} -->")


def write_section(section: str, text: str) -> None:
    """Put ``text`` into docs/benchmarks.md between the section's markers, replacing what
    was there and keeping every other section; a new section goes at the end."""
    begin, end = markers(section)
    block = f"{begin}\n{text}\n{end}"
    old = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin in old and end in old:
        new = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, old,
                     flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(new)
