"""The sandboxed grading kernel's cost (deepgrad_instructor.sandbox), against the plain one.

Run from the repository root: ``python -m benchmarks.bench_sandbox [NOTEBOOK ...]`` (not part
of ``make bench``: it needs bwrap). Prints:

- kernel start to its first reply, sandboxed and plain (median of 5 after one untimed
  round), and the same plus importing numpy and deepgrad and loading the conv kernels from
  Numba's cache;
- nbgrader autograde of one toy submission (authoring/toy_course.py), both ways (median of
  3 after one untimed run);
- for each NOTEBOOK given (a source notebook), its run with the solution through nbclient,
  both ways: seconds, errors or stderr, and the kernel's VmPeak / VmHWM (the sandboxed
  kernel's address space is capped at 1 GB).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbformat.v4 import new_code_cell

from deepgrad_instructor.course import grading_environment
from deepgrad_instructor.sandbox import RUNS, SandboxedKernelManager

KINDS = {"plain": AsyncKernelManager, "sandboxed": SandboxedKernelManager}
LOAD = "import numpy, deepgrad\nfrom deepgrad.kernels import conv\nconv.precompile()"


async def _start(cls, cwd: str) -> tuple[float, float]:
    t = time.perf_counter()
    km = cls(kernel_name="python3")
    await km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    ready = time.perf_counter() - t
    await kc.execute_interactive(LOAD, timeout=60)
    loaded = time.perf_counter() - t
    kc.stop_channels()
    await km.shutdown_kernel(now=False)
    return ready, loaded


def kernel_start(rounds: int = 5) -> None:
    cwd = tempfile.mkdtemp()
    res: dict[str, list] = {k: [] for k in KINDS}
    for r in range(rounds + 1):
        for kind, cls in KINDS.items():
            x = asyncio.run(_start(cls, cwd))
            if r:
                res[kind].append(x)
    for kind, v in res.items():
        print(f"- kernel ready, {kind}: median {statistics.median(a for a, _ in v):.2f} s "
              f"({', '.join(f'{a:.2f}' for a, _ in v)}); with numpy, deepgrad and the conv "
              f"kernels loaded: {statistics.median(b for _, b in v):.2f} s")


def toy_autograde(runs: int = 3) -> None:
    from authoring.submissions import build_solution
    from authoring.toy_course import ASSIGNMENT, make_toy_course
    from deepgrad_instructor.course import open_api
    from deepgrad_instructor.cycle import nbgrader_ok, write_submission
    root = Path(tempfile.mkdtemp())
    for kind in KINDS:
        course = make_toy_course(root / kind)
        if kind == "sandboxed":
            with open(course / "nbgrader_config.py", "a") as f:
                f.write("\nfrom deepgrad_instructor.sandbox import use_sandbox\n"
                        "use_sandbox(c)\n")
        api = open_api(course)
        nbgrader_ok(api.generate_assignment(ASSIGNMENT, force=True), "generate_assignment")
        src = nbformat.read(str(course / "source" / ASSIGNMENT / "toy.ipynb"), 4)
        rel = nbformat.read(str(course / "release" / ASSIGNMENT / "toy.ipynb"), 4)
        write_submission(course, ASSIGNMENT, "s", {"toy.ipynb": build_solution(src, rel)})
        ts = []
        for i in range(runs + 1):
            t = time.perf_counter()
            r = api.autograde(ASSIGNMENT, "s", force=True, create=True)
            assert r["success"], r
            if i:
                ts.append(time.perf_counter() - t)
        print(f"- autograde of one toy submission, {kind}: median "
              f"{statistics.median(ts):.2f} s ({', '.join(f'{x:.2f}' for x in ts)})")


def notebook(path: Path) -> None:
    from nbclient import NotebookClient

    from authoring.submissions import solution_notebook
    for kind, cls in KINDS.items():
        nb = solution_notebook(nbformat.read(str(path), 4))
        nb.cells.append(new_code_cell(
            "s = open('/proc/self/status').read()\n"
            "print(' '.join(l.split()[1] for l in s.splitlines() "
            "if l.startswith(('VmPeak', 'VmHWM'))))"))
        work = Path(tempfile.mkdtemp()) / path.parent.name
        shutil.copytree(path.parent, work)
        client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                                kernel_manager_class=cls,
                                resources={"metadata": {"path": str(work)}})
        t = time.perf_counter()
        client.execute()
        dt = time.perf_counter() - t
        bad = [i for i, c in enumerate(nb.cells[:-1]) if c.cell_type == "code"
               for o in c.get("outputs", [])
               if o.output_type == "error" or o.get("name") == "stderr"]
        peak, hwm = (int(x) / 1024 for x in nb.cells[-1].outputs[0]["text"].split())
        used = ""
        if kind == "sandboxed" and RUNS and RUNS[-1].usage:
            used = (f", cgroup peak {RUNS[-1].usage['peak_memory'] / 1024**2:.0f} MB"
                    f" (limit {RUNS[-1].memory_limit / 1024**2:.0f} MB), sandbox flags "
                    f"{RUNS[-1].flags() or 'none'}")
        print(f"- {path.parent.name}/{path.name}, {kind}: {dt:.1f} s, cells with an error "
              f"or stderr: {bad or 'none'}, VmPeak {peak:.0f} MB, VmHWM {hwm:.0f} MB{used}",
              flush=True)
        shutil.rmtree(work.parent, ignore_errors=True)


def main(argv: list[str]) -> None:
    grading_environment()
    if "--notebooks-only" in argv:
        argv = [a for a in argv if a != "--notebooks-only"]
    else:
        kernel_start()
        toy_autograde()
    for p in argv:
        notebook(Path(p))


if __name__ == "__main__":
    main(sys.argv[1:])
