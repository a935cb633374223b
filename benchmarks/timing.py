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


def alternating_rounds_with(timed: dict[Hashable, tuple[Callable[[], object],
                                                        Callable[[], object]]],
                            repeats: int, rounds: int) -> dict[Hashable, list[float]]:
    """Each entry ``(setup, fn)`` of ``timed`` timed in ``rounds`` rounds of one block each
    (``median_ms``), the entries taking turns; ``setup`` runs, untimed, before each of
    ``fn``'s blocks (e.g. to set thread counts), so configurations that cannot share a
    process state still take turns within one process. Gives each entry its per-round
    medians (ms), in round order: entries of the same round can be compared directly."""
    per_round: dict[Hashable, list[float]] = {key: [] for key in timed}
    for _ in range(rounds):
        for key, (setup, fn) in timed.items():
            setup()
            per_round[key].append(median_ms(fn, repeats))
    return per_round


def alternating_medians_with(timed: dict[Hashable, tuple[Callable[[], object],
                                                         Callable[[], object]]],
                             repeats: int, rounds: int) -> dict[Hashable, float]:
    """``alternating_medians`` where each entry is ``(setup, fn)`` (see
    ``alternating_rounds_with``): the median of each entry's per-round medians."""
    return {key: statistics.median(values)
            for key, values in alternating_rounds_with(timed, repeats, rounds).items()}


# The instruction-set extensions named in ``instruction_set``, by family (those present).
_ISA_FLAGS = {"AVX-512": ("avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                          "avx512_fp16"),
              "AVX2": ("avx2", "fma"), "AVX": ("avx",), "SSE4.2": ("sse4_2",),
              "NEON": ("asimd", "sve", "sve2")}


def instruction_set() -> str:
    """One line on the CPU the numbers come from, e.g. "AMD EPYC, x86_64, AVX-512
    (avx512f avx512bw avx512vl avx512_vnni avx512_bf16), LLVM host CPU znver4": the model
    and the widest vector extensions from /proc/cpuinfo (Linux; elsewhere only what the
    platform module and LLVM say), and the CPU Numba compiles for (LLVM's host CPU, or
    ``NUMBA_CPU_NAME`` and the widest extension of ``NUMBA_CPU_FEATURES`` when they are
    set), PyTorch's ISA limits when set (``ATEN_CPU_CAPABILITY``,
    ``ONEDNN_MAX_CPU_ISA``), and the register-tile width of deepgrad's lanes kernels
    (``deepgrad.kernels.conv.tile_width``), which follows that CPU."""
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("model name", "Model") and not model:
                model = value.strip()
            elif key in ("flags", "Features") and not flags:
                flags = set(value.split())
    except OSError:  # not Linux
        pass
    parts = [model or platform.processor() or "unknown CPU", platform.machine() or "?"]
    for family, names in _ISA_FLAGS.items():
        if names[0] in flags:
            parts.append(f"{family} ({' '.join(n for n in names if n in flags)})")
            break
    else:
        parts.append("vector extensions unknown" if not flags else "no AVX/NEON")
    try:
        import llvmlite.binding as llvm

        parts.append(f"LLVM host CPU {llvm.get_host_cpu_name()}")
    except Exception:  # noqa: BLE001 -- a footer line must never fail a benchmark
        pass
    if os.environ.get("NUMBA_CPU_NAME"):
        parts.append(f"NUMBA_CPU_NAME={os.environ['NUMBA_CPU_NAME']}")
    features = os.environ.get("NUMBA_CPU_FEATURES")
    if features:  # without it, NUMBA_CPU_NAME keeps the host's features (AVX-512 here)
        enabled = set(features.replace(",", " ").split())
        widest = ("AVX-512" if "+avx512f" in enabled else "AVX2" if "+avx2" in enabled
                  else "no AVX2")
        parts.append(f"NUMBA_CPU_FEATURES: {widest}")
    for name in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"):  # PyTorch's own limits
        if os.environ.get(name):
            parts.append(f"{name}={os.environ[name]}")
    try:  # the register tile deepgrad's lanes kernels use on this CPU (kernels.md)
        from deepgrad.kernels import conv

        parts.append(f"deepgrad lanes tile {conv.tile_width(np.float32)} (float32) / "
                     f"{conv.tile_width(np.float64)} (float64)")
    except Exception:  # noqa: BLE001 -- a footer line must never fail a benchmark
        pass
    return ", ".join(parts)


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
