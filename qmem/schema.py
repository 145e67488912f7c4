"""JSON Schema of qmem's configs, for editors and docs: :func:`config_schema`.

The schema describes an experiment file (``qmem run CONFIG.toml``): ``[data]`` is one of the
registered datasets (its section keys plus that dataset's options, flat), ``[model]`` one of
the registered models (``name``, ``hidden_size`` or ``budget``, plus the model's options),
``[train]`` the training section. It is built from the same typed configs that check a file
when it is loaded, so it cannot drift from them. Point an editor's TOML schema setting at
the output of ``python -c "import json, qmem; print(json.dumps(qmem.config_schema()))"``.

>>> schema = config_schema()
>>> schema["$schema"], sorted(schema["properties"])
('https://json-schema.org/draft/2020-12/schema', ['data', 'model', 'name', 'train'])
>>> "qkan_lstm" in {s["properties"]["name"]["const"] for s in schema["$defs"]["model"]["oneOf"]}
True
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["config_schema"]


def _inline(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a pydantic schema into (its body, its $defs)."""
    body = copy.deepcopy(schema)
    defs = body.pop("$defs", {})
    return body, defs


def _section(
    name: str, own: dict[str, Any], options: dict[str, Any], defs: dict[str, Any]
) -> dict[str, Any]:
    own_body, own_defs = _inline(own)
    opt_body, opt_defs = _inline(options)
    defs.update(own_defs)
    defs.update(opt_defs)
    props = {k: v for k, v in own_body.get("properties", {}).items() if k not in ("options",
                                                                                  "name")}
    props.update(opt_body.get("properties", {}))
    props["name"] = {"const": name}
    required = sorted({"name", *(r for r in opt_body.get("required", []))})
    return {
        "type": "object",
        "title": name,
        "description": (opt_body.get("description") or "").strip(),
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an experiment config file.

    Returns:
        A dict, JSON-serialisable; ``$defs`` holds one sub-schema per dataset and model.
    """
    from . import datasets, models
    from .experiments.config import DataSection, ModelSection, TrainSection

    defs: dict[str, Any] = {}
    data_own = DataSection.model_json_schema()
    model_own = ModelSection.model_json_schema()
    data = [_section(n, data_own, datasets.config_type(n).model_json_schema(), defs)
            for n in datasets.names()]
    model = [_section(n, model_own, models.config_class(n).model_json_schema(), defs)
             for n in models.names()]
    train, train_defs = _inline(TrainSection.model_json_schema())
    defs.update(train_defs)
    defs["data"] = {"oneOf": data}
    defs["model"] = {"oneOf": model}
    defs["train"] = train
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://qmem.invalid/schema/experiment.json",
        "title": "qmem experiment config",
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "data": {"$ref": "#/$defs/data"},
            "model": {"$ref": "#/$defs/model"},
            "train": {"$ref": "#/$defs/train"},
        },
        "required": ["data", "model"],
        "additionalProperties": False,
        "$defs": defs,
    }
