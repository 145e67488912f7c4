"""qmem.config_schema(): valid JSON Schema that accepts the shipped configs and refuses typos."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

import qmem
from qmem.experiments.toml_io import load_toml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema():
    out = qmem.config_schema()
    json.dumps(out)  # serialisable
    jsonschema.Draft202012Validator.check_schema(out)
    return out


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "configs").rglob("*.toml")
                                         if p.parent.name != "study"),  # study: sweep files
                         ids=lambda p: p.name)
def test_shipped_configs_validate(schema, path):
    jsonschema.validate(load_toml(path), schema)


@pytest.mark.parametrize(
    "bad",
    [
        {"data": {"name": "damped_shm", "windw": 4}, "model": {"name": "lstm"}},
        {"data": {"name": "damped_shm"}, "model": {"name": "qkan_lstm", "reps": 0}},
        {"data": {"name": "damped_shm"}, "model": {"name": "lstm"}, "train": {"lr": "0.1"}},
        {"data": {"name": "nope"}, "model": {"name": "lstm"}},
        {"model": {"name": "lstm"}},
    ],
)
def test_schema_refuses_what_the_loader_refuses(schema, bad):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
