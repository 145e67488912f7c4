"""docs/results.md: its tables are what qmem.experiments.study computes from docs/results/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qmem.experiments.study import (
    evaluations_markdown,
    pairs_markdown,
    parse_pair,
    read_csv_records,
    select,
    study_markdown,
    write_study,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = DOCS / "results.md"
RESULTS = DOCS / "results"


def _block(text: str, name: str) -> str:
    start, end = f"<!-- generated: {name} -->\n", f"<!-- end generated: {name} -->"
    assert start in text and end in text, f"docs/results.md has no {name} block"
    return text.split(start, 1)[1].split(end, 1)[0].rstrip("\n")


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return select(read_csv_records(RESULTS / "runs.csv"))


def test_the_study_tables_equal_the_committed_runs(page, rows):
    assert _block(page, "study") == study_markdown(rows, plot_dir="results"), (
        "regenerate: qmem study docs/results --out docs/results --page docs/results.md "
        "(see the top of docs/results.md)")


def test_the_linked_plots_are_drawn_from_the_committed_runs(page, tmp_path):
    # the PNGs are generated files (not committed): qmem study draws them from runs.csv
    write_study(RESULTS, tmp_path)
    linked = re.findall(r"\]\(results/([^)]+\.png)\)", _block(page, "study"))
    assert linked
    for png in linked:
        assert (tmp_path / png).is_file(), png


def test_the_evaluation_and_pair_tables_equal_the_committed_files(page, rows):
    ev_path = RESULTS / "evaluations.csv"
    evaluations = read_csv_records(ev_path) if ev_path.is_file() else []
    assert _block(page, "study-evaluations") == evaluations_markdown(evaluations)
    block = _block(page, "study-pairs")
    spec = re.match(r"<!-- pairs: (.*) -->", block).group(1)
    pairs = [parse_pair(p) for p in spec.split(",")]
    assert block == pairs_markdown(rows, pairs)


def test_docs_results_holds_small_files_only():
    files = [p for p in RESULTS.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".csv", ".json", ".png", ".md", ".txt"}
    assert sum(p.stat().st_size for p in files) < 1_500_000
