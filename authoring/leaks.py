"""Solution and hidden-test lines of a source notebook, and finding them where they must
never appear (a release, a feedback page)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Iterable

from deepgrad_instructor.cells import MARKERS, is_answer

__all__ = ["norm", "public_lines", "secret_lines", "html_text", "file_text", "find_leaks"]


def norm(text: str) -> str:
    """Whitespace collapsed: how lines are compared."""
    return " ".join(text.split())


def _split(source_nb) -> tuple[set[str], set[str], set[str]]:
    """(public, solution, hidden) lines of a source notebook, whitespace-normalised."""
    public: set[str] = set()
    sol: set[str] = set()
    hid: set[str] = set()
    for cell in source_nb.cells:
        src = cell.source
        s_lines = MARKERS.solution_lines(src) if is_answer(cell) else []
        if is_answer(cell) and MARKERS.begin_solution not in src:
            s_lines = src.split("\n")  # whole cell is the solution
        h_lines = MARKERS.hidden_lines(src)
        secret = set(s_lines) | set(h_lines)
        public.update(norm(line) for line in src.split("\n")
                      if line not in secret and not MARKERS.is_marker(line))
        sol.update(norm(line) for line in s_lines)
        hid.update(norm(line) for line in h_lines)
    return public, sol, hid


def public_lines(source_nb) -> set[str]:
    """The lines of a source notebook that its release shows (everything outside the solution
    regions and the hidden tests), whitespace-normalised."""
    return _split(source_nb)[0]


def secret_lines(source_nb, *, min_chars: int = 12,
                 also_public: Iterable[str] = ()) -> dict[str, set[str]]:
    """Non-trivial lines of the solution regions and hidden tests of a source notebook.

    A line counts when it is at least ``min_chars`` long once whitespace is collapsed, is
    not just a comment, and does not also appear anywhere in a public part of the
    notebook (so ``import numpy as np`` repeated in a visible cell, or a formula the
    instructions spell out, is not a "secret") or in ``also_public`` (lines other
    notebooks already hand out: ``for epoch in range(epochs):`` given in one notebook
    is no secret of another).
    Returns ``{"solution": {...}, "hidden": {...}}`` with whitespace-normalised lines.
    """
    public, sol, hid = _split(source_nb)
    public_text = "\n".join(sorted(public | set(also_public)))

    def keep(lines: set[str]) -> set[str]:
        return {ln for ln in lines if len(ln) >= min_chars and not ln.startswith("#")
                and ln not in public_text and re.search(r"[A-Za-z0-9]", ln)
                and not re.fullmatch(r"(return|raise|pass|else:|try:)\b.{0,12}", ln)}

    return {"solution": keep(sol), "hidden": keep(hid)}


def html_text(raw: str) -> str:
    """Visible text of an HTML page (tags dropped, entities decoded, whitespace collapsed)."""
    raw = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", raw)
    return norm(html.unescape(re.sub(r"<[^>]+>", "", raw)))


def _notebook_strings(nb) -> str:
    parts: list[str] = []

    def walk(x):
        if isinstance(x, str):
            parts.append(x)
        elif isinstance(x, list):
            if all(isinstance(v, str) for v in x):
                parts.append("".join(x))
            else:
                for v in x:
                    walk(v)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
    walk(nb)
    return "\n".join(parts)


def file_text(path: Path) -> str:
    """The text a reader of ``path`` sees, whitespace collapsed: a notebook's strings
    unescaped, an HTML page's visible text, any other file as is."""
    raw = Path(path).read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            return norm(_notebook_strings(json.loads(raw)))
        except ValueError:
            return norm(raw)
    if path.suffix in (".html", ".htm"):
        return html_text(raw)
    return norm(raw)


def find_leaks(paths: Iterable[Path], lines: set[str]) -> list[str]:
    """``"<path>: <line>"`` for every secret line found in one of ``paths``."""
    found = []
    for p in paths:
        text = file_text(p)
        found += [f"{p}: {ln!r}" for ln in sorted(lines) if ln in text]
    return found
