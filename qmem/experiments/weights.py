"""Weights with their model's config: every checkpoint names the model it belongs to.

Two models of equal parameter shapes may mean different functions (an sLSTM with
``forget="sigmoid"`` or ``"exp"``, a QKAN-LSTM with the ``rpz`` or the ``real`` ansatz), so a
``state_dict`` alone loads silently into the wrong one. Every checkpoint the toolkit writes
(a run's ``checkpoint.pt`` and ``model.pt``, :func:`save_weights`) therefore holds a *model
spec* beside the weights: the model's name, its resolved options and its input, hidden and
output sizes. A load compares the spec of the model it loads into with the saved one and
refuses a difference with a ``ValueError`` naming every differing key.

Options that do not change what the weights mean are recorded but not compared:
:data:`UNCOMPARED` (the initialisation ``seed`` and the circuit ``executor`` and its options,
which re-evaluation switches on purpose).

Files load with ``torch.load(..., weights_only=True)`` (:func:`~qmem.experiments.files.load_torch`).

>>> import tempfile, pathlib
>>> from qmem import models
>>> tmp = tempfile.TemporaryDirectory()
>>> path = pathlib.Path(tmp.name) / "w.pt"
>>> spec = model_spec("slstm", {"forget": "sigmoid"}, input_size=1, hidden_size=2)
>>> save_weights(path, models.build("slstm", input_size=1, hidden_size=2, forget="sigmoid"),
...              spec)
>>> other = model_spec("slstm", {"forget": "exp"}, input_size=1, hidden_size=2)
>>> load_weights(path, models.build("slstm", input_size=1, hidden_size=2, forget="exp"), other)
Traceback (most recent call last):
...
ValueError: ...w.pt' holds weights of another model: options.forget: saved 'sigmoid', here 'exp'
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import nn

from .files import atomic_save_torch, load_torch

__all__ = [
    "UNCOMPARED",
    "WEIGHTS_FORMAT",
    "check_model_spec",
    "config_differences",
    "load_weights",
    "model_spec",
    "save_weights",
    "spec_of",
]

WEIGHTS_FORMAT = "qmem.weights/1"
"""The ``format`` tag of a file written by :func:`save_weights` (beside ``model_spec`` and
``state_dict``)."""
UNCOMPARED = frozenset({"seed", "executor", "executor_options"})
"""Model options recorded in a spec but not compared on load."""


def model_spec(
    name: str,
    options: Mapping[str, Any] | None = None,
    *,
    input_size: int,
    hidden_size: int | None,
    output_size: int = 1,
) -> dict[str, Any]:
    """The spec of a registered model: name, resolved options (every default), sizes.

    Args:
        name: a registered model name.
        options: its options (checked and completed by :func:`qmem.models.make_config`).
        input_size: I.
        hidden_size: H (None for a model's default width).
        output_size: O.

    Raises:
        ValueError, TypeError: as :func:`qmem.models.make_config`.
    """
    from .. import models

    resolved = models.make_config(name, dict(options or {})).to_dict()
    return {"name": name, "options": _plain(resolved), "input_size": input_size,
            "hidden_size": hidden_size, "output_size": output_size}


def spec_of(cfg: Any, input_size: int, hidden_size: int | None, output_size: int) -> dict:
    """:func:`model_spec` of an experiment config's ``[model]`` (seed resolved as a run does).

    Args:
        cfg: an :class:`~qmem.experiments.config.ExperimentConfig`.
        input_size: I (the data's features).
        hidden_size: H, as resolved by the run (None for a model's default width).
        output_size: O (the horizon).

    Returns:
        The spec dict; its ``seed`` option is the ``[train]`` seed unless ``[model]`` names one.

    >>> from qmem.experiments.config import ExperimentConfig
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...     "model": {"name": "lstm", "hidden_size": 2}, "train": {"seed": 5}})
    >>> spec_of(cfg, 1, 2, 1)
    {'name': 'lstm', 'options': {'seed': 5, 'fused': True}, 'input_size': 1, 'hidden_size': 2,
     'output_size': 1}
    """
    return model_spec(cfg.model.name, cfg.model_options(), input_size=input_size,
                      hidden_size=hidden_size, output_size=output_size)


def _plain(value: Any) -> Any:
    """Tuples as lists, so that a spec compares equal after a torch/JSON round trip."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def config_differences(saved: Any, here: Any, prefix: str = "") -> list[str]:
    """The keys where two nested configs differ, as ``"key: saved X, here Y"`` lines.

    >>> config_differences({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4})
    ['b.c: saved 2, here 3', 'd: saved (missing), here 4']
    """
    if isinstance(saved, Mapping) and isinstance(here, Mapping):
        out: list[str] = []
        for key in sorted(set(saved) | set(here), key=str):
            name = f"{prefix}{key}"
            if key not in saved:
                out.append(f"{name}: saved (missing), here {here[key]!r}")
            elif key not in here:
                out.append(f"{name}: saved {saved[key]!r}, here (missing)")
            else:
                out.extend(config_differences(saved[key], here[key], f"{name}."))
        return out
    if _plain(saved) != _plain(here):
        return [f"{prefix.removesuffix('.')}: saved {saved!r}, here {here!r}"]
    return []


def check_model_spec(saved: Any, here: Mapping[str, Any], where: str) -> None:
    """Refuse weights saved for another model than ``here`` (options in :data:`UNCOMPARED`
    aside).

    Args:
        saved: the spec read from the file (anything: a file may hold none).
        here: the spec of the model being loaded into.
        where: names the file in messages (e.g. ``"'run/model.pt'"``).

    Raises:
        ValueError: ``saved`` is no spec, or it differs (the message names every key).

    >>> saved = model_spec("lstm", {"seed": 1}, input_size=1, hidden_size=2)
    >>> check_model_spec(saved, model_spec("lstm", {"seed": 7}, input_size=1, hidden_size=2),
    ...                  "'w.pt'")  # another seed: the same model
    >>> check_model_spec(saved, model_spec("lstm", input_size=1, hidden_size=3), "'w.pt'")
    Traceback (most recent call last):
    ...
    ValueError: 'w.pt' holds weights of another model: hidden_size: saved 2, here 3
    >>> check_model_spec(None, saved, "'w.pt'")
    Traceback (most recent call last):
    ...
    ValueError: 'w.pt' names no model (no model spec beside its weights)
    """
    if not isinstance(saved, Mapping):
        raise ValueError(f"{where} names no model (no model spec beside its weights)")

    def compared(spec: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(spec)
        out["options"] = {k: v for k, v in dict(spec.get("options") or {}).items()
                          if k not in UNCOMPARED}
        return out

    diff = config_differences(compared(saved), compared(here))
    if diff:
        raise ValueError(f"{where} holds weights of another model: " + "; ".join(diff))


def save_weights(path: str | Path, model: nn.Module, spec: Mapping[str, Any]) -> None:
    """Write ``model``'s ``state_dict`` with its spec, atomically.

    Args:
        path: the file.
        model: the model.
        spec: its :func:`model_spec`.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    atomic_save_torch(path, {"format": WEIGHTS_FORMAT, "model_spec": _plain(dict(spec)),
                             "state_dict": model.state_dict()})


def load_weights(path: str | Path, model: nn.Module, spec: Mapping[str, Any]) -> nn.Module:
    """Load weights written by :func:`save_weights` (or a run's ``model.pt``) into ``model``.

    Args:
        path: the file.
        model: a model built for ``spec``.
        spec: the :func:`model_spec` of ``model``.

    Returns:
        ``model``, with the weights loaded.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a corrupt file, a file without model spec, or a spec other than ``spec``
            (naming every differing key).
    """
    saved = load_torch(path)
    where = f"{str(path)!r}"
    check_model_spec(saved.get("model_spec"), _plain(dict(spec)), where)
    state = saved.get("state_dict")
    if not isinstance(state, Mapping):
        raise ValueError(f"{where} holds no state_dict")
    model.load_state_dict(state)
    return model
