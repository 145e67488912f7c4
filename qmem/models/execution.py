"""Switch a built model's circuits to another executor (e.g. re-evaluate after training).

>>> from qmem.models import build
>>> set_executor(build("lstm", input_size=1, hidden_size=2), "fourier")  # no circuits
0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from torch import nn

from .circuit_options import check_model_executor

__all__ = ["set_executor"]


def _kind(module: nn.Module) -> Literal["daruan", "vqc"] | None:
    from qmem.circuits import QKANLayer, VQCLayer

    if isinstance(module, VQCLayer):
        return "vqc"
    if isinstance(module, QKANLayer):
        return "daruan"
    return None


def set_executor(
    model: nn.Module, executor: str, options: Mapping[str, Any] | None = None
) -> int:
    """Switch every circuit layer of ``model`` to ``executor``.

    Calls ``set_executor(executor, **options)`` on submodules that have it (VQC layers) and
    sets ``executor`` / ``executor_options`` on those that have both attributes (QKAN
    layers). The name is checked against the circuits' executor registry for each layer's
    circuit kind (``qmem.circuits.executor_names("vqc")`` / ``("daruan")``) before any
    layer is changed.

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
    from qmem.circuits import executor_names

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(executor, str):
        raise TypeError(f"executor must be a str, got {executor!r} ({type(executor).__name__})")
    if options is not None and not isinstance(options, Mapping):
        raise TypeError(f"options must be a mapping or None, got {type(options).__name__}")
    known = tuple(dict.fromkeys(executor_names("daruan") + executor_names("vqc")))
    if executor not in known:
        raise ValueError(f"executor must be one of {known}, got {executor!r}")
    calls, assigns = [], []
    for module in model.modules():
        if callable(getattr(module, "set_executor", None)):
            calls.append(module)
        elif hasattr(module, "executor") and hasattr(module, "executor_options"):
            assigns.append(module)
    for module in calls + assigns:
        kind = _kind(module)
        if kind is not None:
            try:
                check_model_executor(kind, executor)
            except ValueError as err:
                raise ValueError(
                    f"executor of {type(module).__name__}: {err}, got {executor!r}"
                ) from None
    for module in calls:
        module.set_executor(executor, **dict(options or {}))
    for module in assigns:
        module.executor = executor
        module.executor_options = dict(options or {})
    return len(calls) + len(assigns)
