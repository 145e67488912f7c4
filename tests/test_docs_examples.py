"""The Python examples of every docs page and of README.md run as written, and the relative
links of every page point at files and headings that exist.

A page reads like a notebook: its ```python blocks, concatenated in order, run as one script
in a fresh interpreter in an empty temporary folder. A block that cannot run here (it needs
the user's own download, say) is marked on the line right before its fence with
``<!-- not run: the reason -->``; only such blocks are skipped, each needs a reason, and a
page may have at most ``MAX_NOT_RUN`` of them. Skipped blocks must still be valid Python.
docs/architecture.md has its own test (tests/test_docs_architecture.py).
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MAX_NOT_RUN = 2
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
RUN_PAGES = [p for p in PAGES if p != DOCS / "architecture.md"]  # it has its own test
MARKER = re.compile(r"<!--\s*not[ -]run\b(.*?)-->", re.I | re.S)
REASON = re.compile(r"^\s*:\s*(\S.*?)\s*$", re.S)
PYTHON = ("python", "py")


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix() if page.is_relative_to(ROOT) else page.name


@dataclass(frozen=True)
class Block:
    """One fenced code block: its first code line (1-based), language, code, marker line."""

    line: int
    lang: str
    code: str
    before: str  # the line right before the opening fence


def _blocks(page: Path) -> list[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    out, i = [], 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith("```"):
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        lang = stripped[3:].strip().split(" ")[0].lower()
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        assert j < len(lines), f"{_name(page)}:{i + 1}: code fence never closed"
        code = "\n".join(line[indent:] for line in lines[i + 1 : j]) + "\n"
        out.append(Block(i + 2, lang, code, lines[i - 1] if i else ""))
        i = j + 1
    return out


def _python(page: Path) -> list[tuple[Block, str | None]]:
    """The page's Python blocks, each with its not-run reason (None: it runs)."""
    out = []
    for block in _blocks(page):
        if block.lang not in PYTHON:
            continue
        marker = MARKER.search(block.before)
        reason = None
        if marker:
            found = REASON.match(marker.group(1))
            assert found, (f"{_name(page)}:{block.line - 1}: a not-run marker needs a reason: "
                           "<!-- not run: why -->")
            reason = found.group(1)
        out.append((block, reason))
    return out


def _script(page: Path) -> str:
    """The runnable blocks at their own line numbers (tracebacks name lines of the page)."""
    lines: list[str] = []
    for block, reason in _python(page):
        if reason is not None:
            continue
        lines.extend([""] * (block.line - 1 - len(lines)))
        lines.extend(block.code.splitlines())
    return "\n".join(lines) + "\n"


def _run(page: Path, tmp_path: Path) -> str:
    script = tmp_path / f"{page.stem}_example.py"
    script.write_text(_script(page), encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False, env=env)
    assert proc.returncode == 0, (f"{_name(page)} (line numbers are the page's):\n"
                                  f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def _printed(out: str, *expected: str) -> None:
    """Each expected line (a regular expression) is printed, in this order."""
    lines = out.splitlines()
    at = 0
    for pattern in expected:
        while at < len(lines) and not re.fullmatch(pattern, lines[at]):
            at += 1
        assert at < len(lines), f"no line {pattern!r} (in order) in:\n{out}"
        at += 1


# What the pages say their examples print (the comments next to the code), checked.
EXPECTED: dict[str, tuple[str, ...]] = {
    "README.md": (r"\(16, 4\) \(5,\)",),
    "docs/interpret.md": (r"'' 0 0 5", r"φ\(x\) = .* \+ 0\.5 silu\(x\)"),
    "docs/datasets.md": (
        r"\('damped_shm', 'bessel', 'sine', 'delayed_quantum_control', "
        r"'population_inversion', 'narma', 'milan_telecom', 'csv'\)",
        r"\(240,\) float64 False \(240,\)",
        r"\(188, 4, 1\) \(188, 1\)",
        r"\(48, 1\)",
        r"True",
        r"\(1000,\)",
        r"\[0\.5 0\.7\] \('sms_in@5161',\)",
        r"\[\[10\.1, 3\.5\], \[0\.0, 3\.5\]\]",
        r"\[1\. 2\. 3\.\] datetime64\[m\]",
        r"2 1",
    ),
    "docs/errors.md": (r".*holds weights of another model: options\.forget: saved 'sigmoid', "
                       r"here 'exp'.*",),
    "docs/math.md": (r"\(3, 4\)", r"True"),
    "docs/models.md": (r"32 2 34", r"34", r"5", r"True", r"``qkan_lstm``: QKAN-LSTM, .*",
                       r"Parameters: ``4H\(I \+ H\)·e \+ \(H \+ 1\)O`` .*"),
    "docs/sweeps.md": (r"2 \{\}", r"2 \{\}", r"0 2"),
    "docs/vqc.md": (r"24 10 32", r"\(32, 4\) \(32, 2\) True True", r"\{\} True",
                    r"OPENQASM 3\.0;", r".*Ry\(x0_ry\).*"),
}


def test_every_page_is_seen():
    names = {_name(p) for p in RUN_PAGES}
    assert {"README.md", "docs/datasets.md", "docs/vqc.md"} <= names
    assert "docs/architecture.md" not in names
    with_code = {_name(p) for p in RUN_PAGES if _python(p)}
    assert with_code == set(EXPECTED), "a page with examples needs an entry in EXPECTED"


def _marker_problems(page: Path) -> list[str]:
    """What is wrong with the page's not-run markers (empty: nothing)."""
    problems = []
    placed = [r for _, r in _python(page) if r is not None]  # raises on a missing reason
    if len(MARKER.findall(page.read_text(encoding="utf-8"))) != len(placed):
        problems.append("a not-run marker must be on the line right before a ```python fence")
    if len(placed) > MAX_NOT_RUN:
        problems.append(f"{len(placed)} blocks marked not run (at most {MAX_NOT_RUN}): "
                        "make them runnable")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_not_run_markers(page):
    """Markers sit right before a python fence, give a reason, and stay few."""
    assert not _marker_problems(page), f"{_name(page)}: {_marker_problems(page)}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_python_blocks_are_python(page):
    """Every python fence, run or not, holds valid Python (signatures belong in ```text)."""
    for block, _ in _python(page):
        code = block.code
        if code.lstrip().startswith(">>>"):  # an interactive session (architecture.md's test)
            assert page not in RUN_PAGES, (f"{_name(page)}:{block.line}: write the example as "
                                           "a script that prints, not as a >>> session")
            code = doctest.script_from_examples(code)
        try:
            compile(code, f"{_name(page)}:{block.line}", "exec")
        except SyntaxError as err:
            pytest.fail(f"{_name(page)}: block at line {block.line} is no Python: {err}")


@pytest.mark.parametrize("page", [p for p in RUN_PAGES if _python(p)], ids=_name)
def test_page_examples_run(page, tmp_path):
    out = _run(page, tmp_path)
    _printed(out, *EXPECTED[_name(page)])


def test_the_marker_rules_can_fail(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("<!-- not run -->\n```python\nx = 1\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="needs a reason"):
        _python(page)
    page.write_text("<!-- not run: the user's files -->\n```python\nx = (\n```\n"
                    "```python\nprint(2)\n```\n", encoding="utf-8")
    (block, reason), (_, none) = _python(page)
    assert reason == "the user's files" and none is None and block.line == 3
    assert _script(page) == "\n" * 5 + "print(2)\n"  # print(2) at its line of the page
    assert not _marker_problems(page)
    page.write_text("<!-- not run: far from its fence -->\n\n```python\nx = 1\n```\n",
                    encoding="utf-8")
    assert _marker_problems(page) == [
        "a not-run marker must be on the line right before a ```python fence"]
    page.write_text("<!-- not run: files -->\n```python\nx = 1\n```\n" * 3, encoding="utf-8")
    assert _marker_problems(page) == [
        f"3 blocks marked not run (at most {MAX_NOT_RUN}): make them runnable"]
    page.write_text("```python\nimport sys\nsys.exit(3)\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="line numbers are the page's"):
        _run(page, tmp_path)


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes; a repeated
    heading gets -1, -2, ...; lines inside code fences are no headings."""
    out: set[str] = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or not re.match(r"#{1,6} ", line):
            continue
        text = line.lstrip("#").strip().lower()
        anchor = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        n, unique = 0, anchor
        while unique in out:
            n += 1
            unique = f"{anchor}-{n}"
        out.add(unique)
    return out


GENERATED_PLOTS = (Path(__file__).resolve().parents[1] / "docs" / "results").resolve()
"""Where the plots linked from docs/results.md are generated (gitignored: ``*.png``)."""


def _broken_links(page: Path) -> list[str]:
    """The page's relative links (to files, folders, headings) that point at nothing."""
    broken = []
    for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", link):  # https://, mailto:
            continue
        target, _, anchor = link.partition("#")
        path = page.parent / target if target else page
        if path.suffix == ".png" and path.resolve().parent == GENERATED_PLOTS:
            continue  # drawn by qmem study / explain, not committed (test_study_results)
        if not path.exists():
            broken.append(f"{link!r}: no {path}")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            broken.append(f"{link!r}: no heading #{anchor}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_resolve(page):
    """README.md's links are relative to the repository root, a docs page's to docs/."""
    assert not _broken_links(page), f"{_name(page)}: {_broken_links(page)}"


def test_the_link_check_can_fail(tmp_path):
    (tmp_path / "other.md").write_text("# A b\n\n```bash\n# not a heading\n```\n# A b\n"
                                       "## `x` — y\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-b) [dup](other.md#a-b-1) [code](other.md#x--y) "
                    "[self](#t) [web](https://example.org/x.md)\n# T\n"
                    "[gone](missing.md) [bad](other.md#not-a-heading)\n", encoding="utf-8")
    assert _broken_links(page) == [f"'missing.md': no {tmp_path / 'missing.md'}",
                                   "'other.md#not-a-heading': no heading #not-a-heading"]
