"""Every worked example of docs/architecture.md runs as written (each in a fresh interpreter)."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _run(code: str, tmp_path: Path) -> str:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_there_are_examples_for_each_extension_point():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("How to add an ansatz", "How to add an executor", "Adding a model",
                    "How to add a dataset"):
        assert heading in text
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index, tmp_path):
    if BLOCKS[index].lstrip().startswith(">>>"):  # an interactive session: run as a doctest
        test = doctest.DocTestParser().get_doctest(BLOCKS[index], {}, f"block{index}",
                                                   str(DOC), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.summarize(verbose=False).failed == 0
        return
    out = _run(BLOCKS[index], tmp_path)
    if "register_dataset" in BLOCKS[index]:
        lines = out.splitlines()
        assert lines[0] == "(500,) 0.02" and lines[1] == "torch.Size([392, 8, 1])"
        assert lines[2].startswith("chirp: unknown option 'rat' (did you mean 'rate'?)")
        assert lines[3] == "chirp: option 'num' must be a valid integer, got '500' (str)"
