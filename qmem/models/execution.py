"""Switch a built model's circuits to another executor (e.g. re-evaluate after training).

>>> from qmem.models import build
>>> set_executor(build("lstm", input_size=1, hidden_size=2), "fourier")  # no circuits
0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from qmem.circuits import executor_names

from .circuit_options import check_model_executor

__all__ = ["set_executor"]


def set_executor(
    model: nn.Module, executor: str, options: Mapping[str, Any] | None = None
) -> int:
    """Switch every circuit layer of ``model`` to ``executor``.

    Calls ``set_executor(executor, **options)`` on every submodule that has it (the circuit
    layers, ``QKANLayer`` and ``VQCLayer``). The name is checked against the circuits'
    executor registry for each layer's ``circuit_kind`` (``qmem.circuits.executor_names("vqc")``
    / ``("daruan")``) before any layer is changed.

    Args:
        model: a model (any ``nn.Module``).
        executor: the executor's name.
        options: the executor's options (device, shots, seed, noise model), or None.

    Returns:
        The number of layers changed.

    Raises:
        TypeError: ``model`` is not a module, ``executor`` not a str, ``options`` not a
            mapping.
        ValueError: ``executor`` names no executor of some layer's circuit kind.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(executor, str):
        raise TypeError(f"executor must be a str, got {executor!r} ({type(executor).__name__})")
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping or None, got {type(options).__name__}")
    known = tuple(dict.fromkeys(executor_names("daruan") + executor_names("vqc")))
    if executor not in known:
        raise ValueError(f"executor must be one of {known}, got {executor!r}")
    layers = [m for m in model.modules() if callable(getattr(m, "set_executor", None))]
    for layer in layers:
        kind = getattr(layer, "circuit_kind", None)
        if kind is not None:
            try:
                check_model_executor(kind, executor)
            except ValueError as err:
                raise ValueError(
                    f"executor of {type(layer).__name__}: {err}, got {executor!r}"
                ) from None
    for layer in layers:
        layer.set_executor(executor, **dict(options or {}))
    return len(layers)
