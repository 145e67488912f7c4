"""The executor switch shared by the circuit layers: validating ``executor`` and
``executor_options`` properties over the executor registry.

A layer sets the class variable ``circuit_kind`` and implements ``set_executor(name,
**options)``; this mixin gives it the two properties, so both layers check names and options
the same way.

>>> import torch
>>> from qmem.circuits import QKANLayer
>>> layer = QKANLayer(2, 1, reps=1, seed=0)
>>> layer.executor = "bloch"
>>> layer.executor, layer.executor_options
('bloch', {})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .executors import CircuitKind, check_executor_options

__all__ = ["ExecutorSwitch"]


class ExecutorSwitch:
    """Mixin for circuit layers: ``executor`` and ``executor_options`` as checked properties.

    Attributes:
        circuit_kind: ``"daruan"`` or ``"vqc"``: which executors apply.
    """

    circuit_kind: ClassVar[CircuitKind]
    _executor: str
    _options: dict[str, Any]

    def set_executor(self, name: str, **options: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def executor(self) -> str:
        """The executor name; assigning one (checked) switches to it with no options."""
        return self._executor

    @executor.setter
    def executor(self, name: str) -> None:
        self.set_executor(name)

    @property
    def executor_options(self) -> dict[str, Any]:
        """A copy of the executor options; assigning checks them against the executor."""
        return dict(self._options)

    @executor_options.setter
    def executor_options(self, options: Mapping[str, Any] | None) -> None:
        self._options = check_executor_options(
            self.circuit_kind, self._executor, dict(options or {})
        )
