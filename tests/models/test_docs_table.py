"""The parameter table in docs/models.md matches count_parameters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qmem.models import build, names
from qmem.params import count_parameters

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"
ROW = re.compile(r"^\| `(\w+)` \| (\d+)(?: \[(\d+)\])? \| (\d+)(?: \[(\d+)\])? \|")


def _rows() -> list[tuple[str, int, int, int]]:
    text = DOC.read_text(encoding="utf-8").split("## Parameter table", 1)[1]
    out = []
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            name, t1, q1, t5, q5 = m.groups()
            for hidden, total, quantum in ((1, t1, q1), (5, t5, q5)):
                out.append((name, hidden, int(total), int(quantum or 0)))
    return out


def test_table_covers_every_buildable_model() -> None:
    listed = {r[0] for r in _rows()}
    assert listed == set(names()) - {"xlstm_ref"}


@pytest.mark.parametrize(("name", "hidden", "total", "quantum"), _rows())
def test_table_entry(name: str, hidden: int, total: int, quantum: int) -> None:
    counts = count_parameters(build(name, input_size=1, hidden_size=hidden))
    assert (counts["total"], counts["quantum"]) == (total, quantum)
