r"""The sweep file: a base experiment config and axes over its dotted keys.

A sweep file is TOML::

    [sweep]                      # optional: how the axes combine
    mode = "grid"                # or "random": `samples` points drawn from the grid
    samples = 20                 # random only
    seed = 0                     # random only: the seed of the draw
    keep = ["train.seed"]        # random only: axes crossed in full with every drawn point
    exclude = [{ "model.name" = "qlstm", budget = [600, 2500] }]  # grid only: points
                                 # dropped (every key matches; a list means any of its values)

    [resources]                  # optional: what each run asks of the executor
    cpus = 1                     # CPU cores per run (its torch threads)
    gpus = 0                     # GPUs per run (fractions allowed on Ray); default 1 when
                                 # [base] train.device = "cuda", else 0

    [base]                       # a whole `qmem run` config
    data = { name = "damped_shm", window = 4 }
    model = { name = "lstm", hidden_size = 2 }
    train = { epochs = 1, batch_size = 16, seed = 0 }

    [axes]                       # the grid: dotted keys of [base], a list of values each
    "model.name" = ["lstm", "qkan_lstm"]
    "train.seed" = [0, 1]
    budget = [50, 150]           # instead of model.hidden_size: the size nearest each budget

    [models.qkan_lstm]           # optional: options given only where model.name is this
    reps = 1                     # ([datasets.NAME] likewise for dataset options)

Every point of the grid (or of the random draw) is one experiment config, checked as
``qmem run`` checks one; the sweep is refused before anything runs if any point is invalid.
Keys are checked when the file is read: an unknown dotted key, section or option names the
nearest valid one; an empty or non-list axis, a repeated value, a bad ``[sweep]`` or
``[resources]`` value raise ``ValueError`` / ``TypeError`` naming the key.

>>> sweep = sweep_from_dict({
...     "base": {"data": {"name": "sine", "num": 60}, "model": {"name": "lstm",
...              "hidden_size": 2}, "train": {"epochs": 1}},
...     "axes": {"model.name": ["lstm", "gru"], "train.seed": [0, 1]}})
>>> len(sweep.configs), sweep.points[1]
(4, {'model.name': 'lstm', 'train.seed': 1})
>>> isinstance(sweep, Sweep), sweep.options.mode, sweep.resources.cpus, sweep.gpus_per_run
(True, 'grid', 1, 0.0)
>>> SweepOptions(mode="random", samples=3).samples, Resources(gpus=0.5).gpus
(3, 0.5)
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "sweep.toml"
>>> _ = path.write_text('[base]\ndata = { name = "sine" }\n'
...                     'model = { name = "gru", hidden_size = 2 }\n[axes]\n"budget" = [20, 40]\n')
>>> [c.model.budget for c in load_sweep(path, ["train.epochs=2"]).configs]
[20, 40]
>>> sweep_from_dict({"base": sweep.base, "axes": {"train.epoch": [1]}})
Traceback (most recent call last):
...
ValueError: sweep: [axes] unknown key 'train.epoch' (did you mean 'train.epochs'?); ...
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ..config import Config, suggest
from .config import DataSection, ExperimentConfig, ModelSection, TrainSection
from .toml_io import apply_overrides, load_toml

__all__ = [
    "MAX_RUNS",
    "Resources",
    "Sweep",
    "SweepOptions",
    "load_sweep",
    "sweep_from_dict",
]

MAX_RUNS = 100_000
"""A sweep with more points than this is refused (split it into several sweeps)."""

_TOP = ("sweep", "resources", "base", "axes", "models", "datasets")
_SECTIONS = ("data", "model", "train")
BUDGET = "budget"
"""The axis of parameter budgets (``model.budget``): each model at the hidden size nearest."""


class SweepOptions(Config):
    """``[sweep]``: how the axes combine.

    Attributes:
        mode: ``"grid"`` (every combination) or ``"random"`` (``samples`` combinations
            drawn without replacement with ``seed``).
        samples: points drawn in random mode.
        seed: the seed of the random draw.
        keep: axes not drawn but crossed in full with every drawn point (e.g. the seeds, so
            that each drawn setup gets mean ± std).
        exclude: grid mode: points left out, each a table ``{axis key: value or [values]}``;
            a point is dropped when it matches every key of one table (e.g. a model at the
            budgets it cannot reach). A table naming no axis, or matching no point, is refused.
    """

    label = "[sweep]"

    mode: Literal["grid", "random"] = "grid"
    samples: int | None = Field(None, ge=1, le=MAX_RUNS)
    seed: int = Field(0, ge=0)
    keep: tuple[str, ...] = ()
    exclude: tuple[dict[str, Any], ...] = ()

    @model_validator(mode="after")
    def _check(self) -> SweepOptions:
        if self.mode == "random" and self.samples is None:
            raise ValueError("mode 'random' needs samples = N (points to draw)")
        if self.mode == "grid" and (self.samples is not None or self.keep):
            raise ValueError("samples and keep apply to mode = 'random' only")
        if self.mode == "random" and self.exclude:
            raise ValueError("exclude applies to mode = 'grid' only")
        return self


class Resources(Config):
    """``[resources]``: what each run asks of the executor.

    Attributes:
        cpus: CPU cores per run (the run's torch threads; Ray's ``num_cpus``).
        gpus: GPUs per run (Ray's ``num_gpus``, fractions allowed); None: 1 when the base
            config's device is ``"cuda"``, else 0.
    """

    label = "[resources]"

    cpus: int = Field(1, ge=1, le=1024)
    gpus: float | None = Field(None, ge=0.0, le=64.0)


@dataclass(frozen=True)
class Sweep:
    """A read sweep file: its parts and every point's experiment config.

    Attributes:
        base: the ``[base]`` table (overrides applied).
        axes: axis key -> its values, in file order.
        options: the ``[sweep]`` section.
        resources: the ``[resources]`` section.
        points: per run, the axis values that made it (``{key: value}``).
        configs: per run, its experiment config (same order as ``points``).
    """

    base: dict[str, Any]
    axes: dict[str, tuple[Any, ...]]
    options: SweepOptions
    resources: Resources
    points: list[dict[str, Any]] = field(repr=False)
    configs: list[ExperimentConfig] = field(repr=False)

    @property
    def gpus_per_run(self) -> float:
        """GPUs each run asks for (``[resources] gpus``, defaulting from the device)."""
        if self.resources.gpus is not None:
            return float(self.resources.gpus)
        return 1.0 if any(c.train.device == "cuda" for c in self.configs) else 0.0


def _names(value: Any) -> list[str]:
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]


def _allowed_keys(section: str, base: Mapping[str, Any], axes: Mapping[str, Any],
                  extra: Mapping[str, Any]) -> list[str]:
    """Every key an axis may set in ``section``, given the names the sweep uses."""
    from .. import datasets, models

    if section == "train":
        return sorted(TrainSection.model_fields)
    own = DataSection.model_fields if section == "data" else ModelSection.model_fields
    names = set(_names((base.get(section) or {}).get("name")))
    names.update(_names(list(axes.get(f"{section}.name", []))))
    names.update(extra)  # [models.NAME] / [datasets.NAME] tables
    keys = {k for k in own if k != "options"}
    for name in names:
        try:
            fields = (datasets.config_type(name) if section == "data"
                      else models.config_class(name)).model_fields
        except (KeyError, ValueError, TypeError):
            continue  # an unknown name is reported when the point's config is made
        keys.update(fields)
    return sorted(keys)


def _check_axes(axes: Any, base: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]],
                owner: str) -> dict[str, tuple[Any, ...]]:
    if not isinstance(axes, Mapping):
        raise TypeError(f"{owner}: [axes] must be a table of key = [values], "
                        f"got {type(axes).__name__}")
    out: dict[str, tuple[Any, ...]] = {}
    for key, values in axes.items():
        parts = str(key).split(".")
        if key == BUDGET:
            key, parts = "model.budget", ["model", "budget"]
        elif key == "name":
            pass
        elif len(parts) != 2 or parts[0] not in _SECTIONS:
            choices = [*(f"{s}.<key>" for s in _SECTIONS), "name", BUDGET]
            head = parts[0] if parts else key
            raise ValueError(
                f"{owner}: [axes] key {key!r} must be section.key with section data, model or "
                f"train (or name, budget){suggest(head, _SECTIONS)}; allowed: "
                + ", ".join(choices)
            )
        else:
            section, name = parts
            allowed = _allowed_keys(section, base, axes,
                                    extra["models" if section == "model" else "datasets"])
            if name not in allowed:
                dotted = [f"{section}.{k}" for k in allowed]
                raise ValueError(
                    f"{owner}: [axes] unknown key {key!r}{suggest(key, dotted)}; "
                    f"[{section}] keys here: {', '.join(allowed)}"
                )
        if key in out:
            raise ValueError(f"{owner}: [axes] sets {key!r} twice (budget is model.budget)")
        if not isinstance(values, list):
            raise TypeError(f"{owner}: [axes] {key!r} must be a list of values, got "
                            f"{values!r} ({type(values).__name__})")
        if not values:
            raise ValueError(f"{owner}: [axes] {key!r} is empty: give at least one value")
        if len(values) > MAX_RUNS:
            raise ValueError(f"{owner}: [axes] {key!r} has {len(values)} values; at most "
                             f"{MAX_RUNS} runs in a sweep")
        seen: set[str] = set()
        for v in values:
            mark = f"{type(v).__name__}:{v!r}"  # 1 and 1.0 and True are different values
            if mark in seen:
                raise ValueError(f"{owner}: [axes] {key!r} repeats the value {v!r}")
            seen.add(mark)
        out[key] = tuple(values)
    if "model.budget" in out and "model.hidden_size" in out:
        raise ValueError(f"{owner}: [axes] give budget or model.hidden_size, not both")
    return out


def _extra_tables(data: Mapping[str, Any], owner: str) -> dict[str, dict[str, Any]]:
    """``[models.NAME]`` and ``[datasets.NAME]``: options per model / dataset name."""
    from .. import datasets, models

    out: dict[str, dict[str, Any]] = {"models": {}, "datasets": {}}
    for table, registered in (("models", models.names()), ("datasets", datasets.names())):
        value = data.get(table, {})
        if not isinstance(value, Mapping):
            raise TypeError(f"{owner}: [{table}] must hold one table per name, got "
                            f"{type(value).__name__}")
        for name, options in value.items():
            if name not in registered:
                raise ValueError(f"{owner}: [{table}.{name}] names no registered "
                                 f"{table[:-1]}{suggest(name, registered)}")
            if not isinstance(options, Mapping):
                raise TypeError(f"{owner}: [{table}.{name}] must be a table of options, got "
                                f"{type(options).__name__}")
            out[table][name] = dict(options)
    return out


def _set(nested: dict[str, Any], key: str, value: Any) -> None:
    if key == "name":
        nested["name"] = value
        return
    section, name = key.split(".")
    table = nested.setdefault(section, {})
    if not isinstance(table, dict):
        raise TypeError(f"[base] {section} must be a table, got {type(table).__name__}")
    table[name] = value
    if section == "model" and name == "budget":
        table.pop("hidden_size", None)
    elif section == "model" and name == "hidden_size":
        table.pop("budget", None)


def _point_config(base: Mapping[str, Any], point: Mapping[str, Any],
                  extra: Mapping[str, Mapping[str, Any]], owner: str) -> ExperimentConfig:
    nested = copy.deepcopy(dict(base))
    for key, value in point.items():
        _set(nested, key, value)
    for section, table in (("model", "models"), ("data", "datasets")):
        sec = nested.get(section)
        if isinstance(sec, dict):
            for k, v in extra[table].get(sec.get("name"), {}).items():
                if f"{section}.{k}" not in point:  # an axis value wins over the table
                    sec[k] = copy.deepcopy(v)
    try:
        return ExperimentConfig.from_dict(nested)
    except (TypeError, ValueError) as err:  # name the point: the section names the key
        where = ", ".join(f"{k} = {v!r}" for k, v in point.items()) or "[base]"
        raise type(err)(f"{owner}: at {where}: {err}") from None


def _exclude(points: list[dict[str, Any]], axes: Mapping[str, tuple[Any, ...]],
             tables: Sequence[Mapping[str, Any]], owner: str) -> list[dict[str, Any]]:
    """``points`` without those matching every key of one ``[sweep] exclude`` table."""
    rules = []
    for n, table in enumerate(tables):
        if not table:
            raise ValueError(f"{owner}: [sweep] exclude[{n}] is empty: name axis = value(s)")
        rule = {}
        for key, value in table.items():
            axis = "model.budget" if key == BUDGET else key
            if axis not in axes:
                raise ValueError(f"{owner}: [sweep] exclude[{n}] names {key!r}, which is no "
                                 f"axis{suggest(key, list(axes))}; axes: {', '.join(axes)}")
            rule[axis] = value if isinstance(value, list) else [value]
        rules.append(rule)

    def hit(point: Mapping[str, Any], rule: Mapping[str, list[Any]]) -> bool:
        return all(any(type(point[k]) is type(v) and point[k] == v for v in vs)
                   for k, vs in rule.items())

    for n, rule in enumerate(rules):
        if not any(hit(p, rule) for p in points):
            raise ValueError(f"{owner}: [sweep] exclude[{n}] = {dict(tables[n])!r} matches "
                             "no point of the grid (a misspelt value?)")
    return [p for p in points if not any(hit(p, rule) for rule in rules)]


def _draw(axes: dict[str, tuple[Any, ...]], options: SweepOptions,
          owner: str) -> list[dict[str, Any]]:
    keys = list(axes)
    if options.mode == "grid":
        total = 1
        for v in axes.values():
            total *= len(v)
        if total > MAX_RUNS:
            raise ValueError(f"{owner}: the grid has {total} points; at most {MAX_RUNS}")
        points = [dict(zip(keys, combo, strict=True))
                  for combo in itertools.product(*axes.values())]
        return _exclude(points, axes, options.exclude, owner)
    kept = list(options.keep)
    for k in kept:
        if k not in axes and not (k == BUDGET and "model.budget" in axes):
            raise ValueError(f"{owner}: [sweep] keep names {k!r}, which is no axis"
                             f"{suggest(k, keys)}; axes: {', '.join(keys)}")
    kept = ["model.budget" if k == BUDGET else k for k in kept]
    drawn = [k for k in keys if k not in kept]
    sizes = [len(axes[k]) for k in drawn]
    total = 1
    for n in sizes:
        total *= n
    samples = int(options.samples or 0)
    if samples > total:
        raise ValueError(f"{owner}: [sweep] samples = {samples} but the drawn axes have only "
                         f"{total} combinations; lower samples or use mode = 'grid'")
    picks = sorted(random.Random(options.seed).sample(range(total), samples))
    kept_combos = list(itertools.product(*(axes[k] for k in kept)))
    if samples * len(kept_combos) > MAX_RUNS:
        raise ValueError(f"{owner}: the sweep has {samples * len(kept_combos)} points; "
                         f"at most {MAX_RUNS}")
    points = []
    for index in picks:
        combo: dict[str, Any] = {}
        for k, n in zip(reversed(drawn), reversed(sizes), strict=True):  # mixed radix
            index, r = divmod(index, n)
            combo[k] = axes[k][r]
        for rest in kept_combos:
            full = {**combo, **dict(zip(kept, rest, strict=True))}
            points.append({k: full[k] for k in keys})
    return points


def sweep_from_dict(data: Mapping[str, Any], *, owner: str = "sweep",
                    overrides: Sequence[str] = ()) -> Sweep:
    """A sweep from the sweep file's tables (see the module docstring).

    Args:
        data: the parsed TOML.
        owner: names the file in messages.
        overrides: ``--set`` style ``section.key=value`` changes of ``[base]``.

    Raises:
        TypeError: a wrong type (a table that is not one, an axis that is no list, a value
            of the wrong type at some point).
        ValueError: an unknown key, an empty axis, a repeated value, a bad option, too many
            points, or an invalid config at some point (the message names the point).
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"{owner}: expected a table, got {type(data).__name__}")
    for key in data:
        if key not in _TOP:
            raise ValueError(f"{owner}: unknown table [{key}]{suggest(key, _TOP)}; allowed: "
                             + ", ".join(_TOP))
    if "base" not in data:
        raise ValueError(f"{owner}: missing [base] (a whole `qmem run` config)")
    base = data["base"]
    if not isinstance(base, Mapping):
        raise TypeError(f"{owner}: [base] must be a table, got {type(base).__name__}")
    base = apply_overrides(base, overrides)
    for table in ("sweep", "resources"):
        if not isinstance(data.get(table, {}), Mapping):
            raise TypeError(f"{owner}: [{table}] must be a table, got "
                            f"{type(data[table]).__name__}")
    options = SweepOptions.from_dict(data.get("sweep", {}), owner=f"{owner}: [sweep]")
    resources = Resources.from_dict(data.get("resources", {}), owner=f"{owner}: [resources]")
    extra = _extra_tables(data, owner)
    axes = _check_axes(data.get("axes", {}), base, extra, owner)
    points = _draw(axes, options, owner)
    configs = [_point_config(base, p, extra, owner) for p in points]
    return Sweep(base=dict(base), axes=axes, options=options, resources=resources,
                 points=points, configs=configs)


def load_sweep(path: str | Path, overrides: Sequence[str] = ()) -> Sweep:
    """Read and check a sweep file (every point's config is made; nothing runs).

    Raises:
        FileNotFoundError: no such file.
        TypeError, ValueError: see :func:`sweep_from_dict`.
    """
    return sweep_from_dict(load_toml(path), owner=f"sweep file {str(path)!r}",
                           overrides=overrides)
