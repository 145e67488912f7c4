"""TOML in and out: read an experiment config with ``--set`` overrides, write a resolved one.

Reading uses the standard library's ``tomllib``; writing needs only the value kinds a config
holds (strings, booleans, numbers, arrays, inline tables), so a small writer is enough.

>>> text = dumps({"data": {"name": "damped_shm", "fractions": [0.7, 0.1, 0.2]},
...               "model": {"name": "lstm", "hidden_size": 2}})
>>> print(text)
[data]
name = "damped_shm"
fractions = [0.7, 0.1, 0.2]
<BLANKLINE>
[model]
name = "lstm"
hidden_size = 2
<BLANKLINE>
>>> apply_overrides({"model": {"name": "lstm"}}, ["model.hidden_size=3", "train.lr=1e-3"])
{'model': {'name': 'lstm', 'hidden_size': 3}, 'train': {'lr': 0.001}}
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import tomllib

from .config import ExperimentConfig

__all__ = ["apply_overrides", "dumps", "load_config", "load_toml", "parse_value"]

MAX_CONFIG_BYTES = 1_000_000
"""A config file larger than this is refused (configs are a few hundred bytes)."""


def load_toml(path: str | Path) -> dict[str, Any]:
    r"""Read a TOML file into a dict.

    Args:
        path: the file.

    Returns:
        The parsed tables as nested dicts (nothing validated yet: see :func:`load_config`).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not valid TOML (the message gives the file and the parser's position),
            not UTF-8, or larger than :data:`MAX_CONFIG_BYTES`.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "exp.toml"
    ...     _ = path.write_text('[data]\nname = "sine"\nnum = 60\n')
    ...     table = load_toml(path)
    ...     _ = path.write_text('[data\nname = "sine"\n')
    ...     load_toml(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: config file '...exp.toml' is not valid TOML: Expected ']' at the end of a table ...
    >>> table
    {'data': {'name': 'sine', 'num': 60}}
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file {str(p)!r} does not exist")
    size = p.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ValueError(f"config file {str(p)!r} is {size} bytes; configs are at most 1 MB")
    try:
        return tomllib.loads(p.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"config file {str(p)!r} is not UTF-8 text: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config file {str(p)!r} is not valid TOML: {err}") from None


def parse_value(raw: str) -> Any:
    """A ``--set`` value: a TOML value (``2``, ``1e-3``, ``true``, ``"pz"``, ``[1, 2]``), or
    else the bare text as a string.

    >>> parse_value("2"), parse_value("true"), parse_value("pz"), parse_value("[0.5, 0.5]")
    (2, True, 'pz', [0.5, 0.5])
    """
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(config: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``key.sub=value`` overrides to a nested dict (a new dict is returned).

    Raises:
        ValueError: an override without ``=`` or with an empty key part.
    """
    out = copy.deepcopy(dict(config))
    for item in overrides:
        key, sep, raw = str(item).partition("=")
        parts = key.strip().split(".")
        if not sep or any(not p for p in parts):
            raise ValueError(f"--set {item!r} must look like section.key=value")
        node: dict[str, Any] = out
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ValueError(f"--set {item!r}: {part!r} is not a table")
            node = child
        node[parts[-1]] = parse_value(raw.strip())
    return out


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> ExperimentConfig:
    r"""Load an experiment config from TOML, apply ``--set`` overrides, validate strictly.

    Args:
        path: the TOML file (``[data]``, ``[model]``, optional ``[train]`` and ``name``).
        overrides: ``section.key=value`` items applied before validation (as ``--set``).

    Returns:
        The validated :class:`~qmem.experiments.config.ExperimentConfig`.

    Raises:
        FileNotFoundError, ValueError: as :func:`load_toml`; ``ValueError`` also for an
            unknown key (naming the nearest valid one) or a value out of range, and for a
            malformed override.
        TypeError: a value of the wrong type.

    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "exp.toml"
    ...     _ = path.write_text('[data]\nname = "sine"\n\n[model]\nname = "lstm"\n'
    ...                         'hidden_size = 2\n')
    ...     cfg = load_config(path, ["model.hidden_size=4", "train.epochs=3"])
    >>> cfg.model.hidden_size, cfg.train.epochs, cfg.train.lr
    (4, 3, 0.01)
    """
    return ExperimentConfig.from_dict(
        apply_overrides(load_toml(path), overrides), owner=f"config {str(path)!r}"
    )


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"cannot write the non-finite float {v!r} to TOML")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write a {type(v).__name__} to TOML: {v!r}")


def _key(k: str) -> str:
    bare = k and all(c.isalnum() or c in "-_" for c in k)
    return k if bare else json.dumps(k)


def dumps(config: Mapping[str, Any]) -> str:
    """TOML text of a nested dict: scalars first, then one ``[table]`` per sub-dict.

    ``None`` values are left out (TOML has no null). Sub-dicts of tables are written as
    inline tables.
    """
    lines: list[str] = []
    tables = []
    for k, v in config.items():
        if v is None:
            continue
        if isinstance(v, Mapping):
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_value(v)}")
    if lines:
        lines.append("")
    for name, table in tables:
        lines.append(f"[{_key(name)}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in table.items() if v is not None)
        lines.append("")
    return "\n".join(lines)
