"""The worked example of docs/architecture_datasets.md runs as written."""

import re
from pathlib import Path

from qmem import datasets

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture_datasets.md"


def test_add_a_dataset_example_runs(capsys) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "(500,) 0.02" and out[1] == "torch.Size([392, 8, 1])"
    assert out[2].startswith("chirp: unknown option 'rat' (did you mean 'rate'?)")
    assert out[3] == "chirp: option 'num' must be a valid integer, got '500' (str)"
    assert "chirp" not in datasets.names()
