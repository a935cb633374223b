"""Regenerate docs/mutants.md: run the mutant harness on every assignment with a mutants
file (tests/mutants/<assignment>.py). ``python tests/mutants/update_doc.py``"""

from __future__ import annotations

import sys
from pathlib import Path

from deepgrad import grading

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "mutants.md"


def tables(repo: Path = REPO) -> dict[str, list[grading.MutantOutcome]]:
    out = {}
    timeout = int(grading.load_config(repo).Execute.get("timeout", 30) or 30)
    for a in grading.assignments(repo):
        path = repo / "tests" / "mutants" / f"{a}.py"
        if not path.exists():
            continue
        mutants = grading.load_mutants(path)
        out[a] = []
        for nb in grading.notebook_names(repo, a):
            outs, _ = grading.run_mutants(repo / "source" / a / nb, mutants, timeout=timeout)
            out[a].extend(outs)
    return out


def main() -> int:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(grading.mutants_markdown(tables()) + "\n")
    print(f"wrote {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
