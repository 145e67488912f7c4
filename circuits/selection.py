"""The executor switch shared by the circuit layers: ``set_executor`` and validating
``executor`` / ``executor_options`` properties over the executor registry.

A layer sets the class variable ``circuit_kind`` and implements ``_job()`` (a job with its
parameters, for resolving ``"auto"`` and checking that the executor can run it); this mixin
gives it the rest, so both layers check names and options the same way, once when the
executor is set, and resolve it once on first use instead of on every call. For ``"auto"``
the executors that can run the layer are found once; which of them runs a call is then the
circuit kind's shape rule (:func:`~qmem.circuits.executors.pick_auto`), a few comparisons.

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

from .executors import (
    CircuitKind,
    Executor,
    auto_candidates,
    check_executor_options,
    get_executor,
    pick_auto,
    resolve_executor,
)

__all__ = ["ExecutorSwitch"]


class ExecutorSwitch:
    """Mixin for circuit layers: ``set_executor``, ``executor`` and ``executor_options``.

    Attributes:
        circuit_kind: ``"daruan"`` or ``"vqc"``: which executors apply.

    >>> from qmem.circuits import QKANLayer
    >>> layer = QKANLayer(2, 1, reps=1, seed=0)
    >>> isinstance(layer, ExecutorSwitch), layer.circuit_kind
    (True, 'daruan')
    >>> layer.set_executor("statevector", method="gates")
    >>> layer.executor, layer.executor_options
    ('statevector', {'method': 'gates'})
    >>> layer.set_executor("statevector", shots=3)
    Traceback (most recent call last):
    ...
    ValueError: unknown option 'shots' for executor 'statevector'; allowed: 'method'
    """

    circuit_kind: ClassVar[CircuitKind]
    _executor: str
    _options: dict[str, Any]
    _resolved: str | None  # the executor that runs this layer's job, once resolved
    _candidates: tuple[str, ...] | None  # for "auto": the executors that can run it

    def _job(self) -> Any:  # pragma: no cover - abstract
        """A job with this layer's circuit and parameters (what resolution reads)."""
        raise NotImplementedError

    def set_executor(self, name: str, **options: Any) -> None:
        """Switch executor and its options (e.g. ``"qiskit", shots=4096, seed=1``).

        Raises:
            TypeError: ``name`` is not a str.
            ValueError: unknown executor or an option it does not take (an executor that
                cannot run this layer raises on the first call).
        """
        self._set_executor(name, options)

    def _set_executor(self, name: str, options: Mapping[str, Any]) -> None:
        """:meth:`set_executor` with the options as a mapping (checked: type, keys, values)."""
        self._options = check_executor_options(self.circuit_kind, name, options)
        self._executor = name
        self._resolved = None
        self._candidates = None

    def _resolve(self, job: Any = None) -> Executor:
        """The executor that runs this layer, found once per switch; for ``"auto"``, the one
        the kind's shape rule picks for ``job`` (a job of this call), or without a job the
        first that can run the layer."""
        if self._executor == "auto":
            candidates = self._auto_candidates()
            return candidates[0] if job is None else pick_auto(self.circuit_kind, job, candidates)
        if self._resolved is None:
            self._resolved = resolve_executor(self.circuit_kind, self._executor, self._job()).name
        return get_executor(self._resolved)

    def _auto_candidates(self) -> tuple[Executor, ...]:
        """The executors ``"auto"`` chooses from for this layer (found once per switch;
        kept by name, so a re-registered executor is the one that runs)."""
        if self._candidates is None:
            found = auto_candidates(self.circuit_kind, self._job())
            self._candidates = tuple(ex.name for ex in found)
        return tuple(get_executor(name) for name in self._candidates)

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
            self.circuit_kind, self._executor, {} if options is None else options
        )
