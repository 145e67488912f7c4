"""The Python examples of docs/interpret.md and docs/getting-started.md run as written, and
the relative links of the pages written with them point at files and headings that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUN = ("interpret.md", "getting-started.md")
LINKED = ("README.md", "interpret.md", "getting-started.md", "cli.md", "config.md")
BLOCKS = [(page, code) for page in RUN
          for code in re.findall(r"```python\n(.*?)```", (DOCS / page).read_text("utf-8"), re.S)]


@pytest.mark.parametrize(("page", "code"), BLOCKS, ids=[p for p, _ in BLOCKS])
def test_example_runs(page, code, tmp_path):
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{page}: {proc.stderr[-3000:]}"
    if page == "interpret.md":
        lines = proc.stdout.splitlines()
        assert lines[0] == "'' 0 0 5"
        assert lines[1].startswith("φ(x) = ") and lines[1].endswith(" + 0.5 silu(x)")


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return out


@pytest.mark.parametrize("page", LINKED)
def test_relative_links_resolve(page):
    text = (DOCS / page).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (DOCS / page).parent / target if target else DOCS / page
        assert path.exists(), f"{page}: link {link!r}: no {path}"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{page}: link {link!r}: no heading #{anchor}"
