"""Each source notebook, run with its solution, stays within a student's kernel budget.

A common per-student JupyterHub limit is 1 GB: the kernel's peak resident memory must stay
under it. The run time is recorded in docs/notebooks.md by hand from this test's output
(`pytest -s`), never asserted: speed is measured, not tested.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from deepgrad.grading import solution_notebook

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "source").glob("*/*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
PEAK_LIMIT_MB = 1024

PROBE = """
import json, resource
print("DEEPGRAD_PROBE" + json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_solution_notebook_fits_a_student_kernel(path: Path) -> None:
    nb = solution_notebook(nbformat.read(path, as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    probe = json.loads(text.split("DEEPGRAD_PROBE", 1)[1])
    print(f"\n{path.relative_to(ROOT)}: ran in {seconds:.1f} s, "
          f"kernel peak {probe['peak_mb']:.0f} MB")
    assert probe["peak_mb"] < PEAK_LIMIT_MB, (
        f"{path.name}: the kernel peaked at {probe['peak_mb']:.0f} MB, over the "
        f"{PEAK_LIMIT_MB} MB a student's kernel may have")
