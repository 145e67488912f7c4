"""The circuit options shared by the quantum model configs, checked against qmem.circuits.

``executor`` is a ``str`` validated against the circuits' executor registry
(:func:`qmem.circuits.check_executor`), so an executor registered there is accepted here
without a change; ``executor_options`` is a plain mapping handed to that executor (a dict
field: these configs are not hashable, and nothing needs to hash them), its keys checked
against the options that executor takes
(:func:`qmem.circuits.executors.check_executor_options`) when the config is made.

>>> QKANOptions(executor="fourier").executor
'fourier'
>>> VQCOptions(executor="cirq")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: VQCOptions: option 'executor' must be a vqc executor ('auto', ...), got 'cirq'
>>> VQCOptions(executor="qiskit", executor_options={"shotz": 10})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: VQCOptions: executor_options: unknown option 'shotz' for executor 'qiskit' (did ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from qmem.circuits import Ansatz, BaseActivation, check_executor, executor_names
from qmem.circuits.executors import CircuitKind, check_executor_options
from qmem.config import suggest

from .base import ModelConfig

__all__ = ["MAX_REPS", "CircuitOptions", "QKANOptions", "VQCOptions", "check_model_executor"]

MAX_REPS = 64
"""Upper bound of ``reps`` and ``n_layers`` (a larger value is a typo, not a model)."""


def check_model_executor(kind: CircuitKind, name: Any) -> str:
    """Return ``name`` if it names an executor of circuit ``kind`` (``"auto"`` included).

    :func:`qmem.circuits.check_executor`, its ``ValueError`` worded for a config message.

    Raises:
        TypeError: ``name`` is not a str.
        ValueError: no such executor; the message lists the allowed names.

    >>> check_model_executor("daruan", "fourier")
    'fourier'
    """
    try:
        return check_executor(kind, name)
    except ValueError:
        allowed = executor_names(kind)
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"must be a {kind} executor ({listed}){suggest(name, allowed)}") from None


class CircuitOptions(ModelConfig):
    """Base of the circuit options: ``executor`` and ``executor_options`` checked for circuit
    kind ``circuit_kind``.

    Subclasses set ``circuit_kind`` and declare the two fields (with their defaults).

    >>> QKANOptions(executor="tpu")
    Traceback (most recent call last):
    ...
    ValueError: QKANOptions: option 'executor' must be a daruan executor (...), got 'tpu'
    >>> VQCOptions(executor="statevector", executor_options={"shots": 5})
    Traceback (most recent call last):
    ...
    ValueError: VQCOptions: executor_options: unknown option 'shots' for executor ...
    """

    circuit_kind: ClassVar[CircuitKind]
    if TYPE_CHECKING:  # fields of the subclasses (declared there, to keep their order)
        executor: str
        executor_options: Mapping[str, Any] | None

    @field_validator("executor", check_fields=False)
    @classmethod
    def _known_executor(cls, value: str) -> str:
        return check_model_executor(cls.circuit_kind, value)

    @model_validator(mode="after")
    def _known_executor_options(self) -> CircuitOptions:
        if self.executor_options:
            try:
                check_executor_options(self.circuit_kind, self.executor, self.executor_options)
            except ValueError as err:
                raise ValueError(f"executor_options: {err}") from None
        return self


class QKANOptions(CircuitOptions):
    """Options of the QKAN layers (see ``qmem.circuits.QKANLayer``).

    Attributes:
        reps: data re-uploadings per DARUAN edge (1 to 64).
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        base_activation: ``"none"`` (default here, as qkan's ``QKAN`` container) or
            ``"silu"`` (one more trainable weight per edge).
        preact_trainable: trainable ``w·x + b`` per re-uploading (``2r`` per edge).
        executor: a DARUAN executor of ``qmem.circuits.executor_names("daruan")``
            (default ``"auto"``); may be changed after training with
            :func:`qmem.models.set_executor`.
        executor_options: options of that executor (device, shots, seed, noise model).
    """

    reps: int = Field(3, ge=1, le=MAX_REPS)
    ansatz: Ansatz = "pz"
    base_activation: BaseActivation = "none"
    preact_trainable: bool = False
    executor: str = "auto"
    executor_options: Mapping[str, Any] | None = None

    circuit_kind: ClassVar[CircuitKind] = "daruan"


class VQCOptions(CircuitOptions):
    """Options of the VQCs (see ``qmem.circuits.VQCLayer``).

    Attributes:
        n_layers: variational layers per VQC (1 to 64).
        executor: a VQC executor of ``qmem.circuits.executor_names("vqc")`` (default
            ``"statevector"``, the exact torch emulation; ``"pennylane"``, ``"qiskit"``);
            may be changed after training with :func:`qmem.models.set_executor`.
        executor_options: options of that executor (e.g. ``{"shots": 1000, "seed": 1}``).
    """

    n_layers: int = Field(2, ge=1, le=MAX_REPS)
    executor: str = "statevector"
    executor_options: Mapping[str, Any] | None = None

    circuit_kind: ClassVar[CircuitKind] = "vqc"
