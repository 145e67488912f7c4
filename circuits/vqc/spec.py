"""The VQC spec: a frozen, strict config describing a variational quantum circuit.

A :class:`VQCSpec` (on the shared config base :class:`qmem.config.Config`) is a data
encoding applied once to every qubit, then ``n_layers`` variational layers of *entangler,
then trainable rotations on every qubit*, then ``⟨Z⟩`` readout on some wires. It is
hashable (used as a cache key) and round-trips through :meth:`VQCSpec.to_dict` /
:meth:`VQCSpec.from_dict`. The circuit itself is built by :mod:`qmem.circuits.vqc.builder`.

The two circuit families of the QLSTM literature are two configurations of it:

- ``chen2020`` (Chen, Yoo, Fang 2020, arXiv 2009.01783): encoding ``H, RY(arctan x_i),
  RZ(arctan x_i²)``; each layer ``CNOT(i, i+1 mod n)`` for all ``i``, then
  ``CNOT(i, i+2 mod n)`` for all ``i``, then ``Rot(α, β, γ) = RZ(γ) RY(β) RZ(α)`` on each
  qubit. Weights ``(n_layers, n_qubits, 3)``.
- ``chen2024`` (the authors' later public QLSTM variant): encoding ``H, RY(x_i)``; each layer
  CNOTs on even pairs ``(0,1), (2,3), …``, then odd pairs ``(1,2), (3,4), …``, then one
  ``RY`` per qubit. Weights ``(n_layers, n_qubits)``.

>>> spec = chen2020_spec(n_qubits=4, n_layers=2)
>>> spec.weight_shape, spec.n_parameters, spec.n_slots
((2, 4, 3), 24, 32)
>>> VQCSpec.from_dict(spec.to_dict()) == spec
True
>>> VQCSpec(n_qubits=0)
Traceback (most recent call last):
...
ValueError: VQCSpec: option 'n_qubits' must be greater than or equal to 1, got 0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

from qmem.config import Config
from qmem.validation import check_int

__all__ = [
    "FAMILIES",
    "MAX_GATES",
    "MAX_QUBITS",
    "Encoding",
    "Entangler",
    "EntanglerGate",
    "Family",
    "RotationGate",
    "VQCSpec",
    "chen2020_spec",
    "chen2024_spec",
    "family_spec",
]

Encoding = Literal["arctan", "plain"]
"""The data encodings of :attr:`VQCSpec.encoding`: ``"arctan"`` (``RY(arctan x_i)`` then
``RZ(arctan x_i²)``, two slots a qubit) or ``"plain"`` (``RY(x_i)``, one slot)."""
Entangler = Literal["ring", "brick", "all_to_all", "none"]
"""The entangler patterns of :attr:`VQCSpec.entangler` (see :class:`VQCSpec`)."""
EntanglerGate = Literal["CNOT", "CZ"]
"""The two-qubit gates of :attr:`VQCSpec.entangler_gate`."""
RotationGate = Literal["RX", "RY", "RZ"]
"""The trainable single-qubit rotations of :attr:`VQCSpec.rotations`."""
Family = Literal["chen2020", "chen2024"]
"""The named VQC families of the QLSTM literature (:func:`family_spec`)."""
FAMILIES: tuple[str, ...] = get_args(Family)
"""The values of :data:`Family`, in order: ``("chen2020", "chen2024")``."""

MAX_QUBITS = 24
"""Largest ``n_qubits``: a state vector of 2^24 amplitudes is 256 MiB per sample (complex128);
past it no executor of this package, nor PennyLane's or aer's state vector, is practical."""

MAX_GATES = 2**20
"""Largest gate count of a spec's circuit (encoding, entanglers and rotations of all layers):
a larger one is a typo (``n_layers=10**9``), refused before any list is built."""

_ROT: tuple[RotationGate, ...] = ("RZ", "RY", "RZ")  # PennyLane's Rot(α, β, γ) in time order


class VQCSpec(Config):
    """Description of a VQC: encoding, entangler pattern, rotation set, depth, readout.

    Args:
        n_qubits: number of qubits (>= 1); also the input width ``x.shape[-1]``.
        n_layers: number of variational layers (>= 0).
        encoding: ``"arctan"``: ``RY(arctan x_i)`` then ``RZ(arctan x_i²)`` (chen2020);
            ``"plain"``: ``RY(x_i)`` (chen2024). Both are angle encodings into a product state
            (no amplitude encoding: it would break the product-state structure).
        hadamard: apply ``H`` to every qubit before the encoding rotations.
        entangler: ``"ring"``: ``CNOT(i, i+d mod n)`` for all ``i``, for each distance ``d`` in
            ``ring_distances``; ``"brick"``: even pairs ``(0,1), (2,3), …`` then odd pairs
            ``(1,2), (3,4), …`` (no wrap-around); ``"all_to_all"``: ``CNOT(i, j)`` for all
            ``i < j``; ``"none"``: no entangler.
        ring_distances: distances of the ``"ring"`` pattern (ignored otherwise); a distance
            that is a multiple of ``n_qubits`` contributes no gate.
        entangler_gate: ``"CNOT"`` or ``"CZ"``.
        rotations: trainable rotations applied to every qubit in every layer, in time order;
            the string ``"rot"`` is accepted for ``("RZ", "RY", "RZ")`` (``Rot(α, β, γ)``).
        readout: wires whose ``⟨Z⟩`` is returned, in order; ``None`` means all qubits.

    Raises:
        ValueError: on any option outside the allowed values or an unknown key (the message
            names it).
        TypeError: on a value of the wrong type (``"2"`` for an int, ``1`` for a bool).

    >>> VQCSpec(n_qubits=3, n_layers=1, entangler="all_to_all", rotations=("RY",)).weight_shape
    (1, 3)
    """

    n_qubits: int = Field(4, ge=1, le=MAX_QUBITS)
    n_layers: int = Field(2, ge=0, le=MAX_GATES)
    encoding: Encoding = "arctan"
    hadamard: bool = True
    entangler: Entangler = "ring"
    ring_distances: tuple[Annotated[int, Field(ge=1)], ...] = Field((1,), max_length=MAX_QUBITS)
    entangler_gate: EntanglerGate = "CNOT"
    rotations: tuple[RotationGate, ...] = Field(_ROT, min_length=1)
    readout: tuple[int, ...] | None = None

    @field_validator("rotations", mode="before")
    @classmethod
    def _rot_alias(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.lower() != "rot":
                raise ValueError(
                    f"must be a sequence of {get_args(RotationGate)} or 'rot', got {value!r}"
                )
            return _ROT
        return value

    @model_validator(mode="after")
    def _check_readout(self) -> VQCSpec:
        if self.n_gates > MAX_GATES:
            raise ValueError(
                f"the circuit would have {self.n_gates} gates (n_layers={self.n_layers}, "
                f"n_qubits={self.n_qubits}); the limit is MAX_GATES = {MAX_GATES}"
            )
        if self.readout is None:
            return self
        if not self.readout:
            raise ValueError("readout must name at least one wire, got ()")
        for w in self.readout:
            if not 0 <= w < self.n_qubits:
                raise ValueError(f"readout wire {w!r} outside 0..{self.n_qubits - 1} (n_qubits)")
        if len(set(self.readout)) != len(self.readout):
            raise ValueError(f"readout has a repeated wire: {self.readout}")
        return self

    @property
    def n_gates(self) -> int:
        """Gates of the built circuit (counted without building it)."""
        n = self.n_qubits
        if self.entangler == "ring":
            pairs = n * sum(d % n != 0 for d in self.ring_distances)
        elif self.entangler == "brick":
            pairs = n - 1
        elif self.entangler == "all_to_all":
            pairs = n * (n - 1) // 2
        else:
            pairs = 0
        encoding = n * (int(self.hadamard) + (2 if self.encoding == "arctan" else 1))
        return encoding + self.n_layers * (pairs + n * len(self.rotations))

    @property
    def readout_wires(self) -> tuple[int, ...]:
        """The readout wires (all qubits when ``readout`` is ``None``)."""
        return tuple(range(self.n_qubits)) if self.readout is None else self.readout

    @property
    def n_outputs(self) -> int:
        """Number of ``⟨Z⟩`` readouts."""
        return len(self.readout_wires)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(n_layers, n_qubits)`` for one rotation per qubit, else
        ``(n_layers, n_qubits, len(rotations))``."""
        if len(self.rotations) == 1:
            return (self.n_layers, self.n_qubits)
        return (self.n_layers, self.n_qubits, len(self.rotations))

    @property
    def n_parameters(self) -> int:
        """Number of trainable circuit angles (``n_layers * n_qubits * len(rotations)``)."""
        return self.n_layers * self.n_qubits * len(self.rotations)

    @property
    def n_encoding_slots(self) -> int:
        """Number of data-dependent angle slots (they come first in the angle vector)."""
        return self.n_qubits * (2 if self.encoding == "arctan" else 1)

    @property
    def n_slots(self) -> int:
        """Total number of angle slots of the built circuit."""
        return self.n_encoding_slots + self.n_parameters

    @classmethod
    def from_dict(cls, options: Mapping[str, Any] | None, *, owner: str = "") -> VQCSpec:
        """Build a spec from a plain dict (e.g. parsed TOML); unknown keys are an error.

        A key ``"family"`` (``"chen2020"``/``"chen2024"``) starts from that family's
        configuration, which the other keys then override.

        >>> VQCSpec.from_dict({"family": "chen2024", "n_qubits": 5, "n_layers": 1}).entangler
        'brick'
        >>> VQCSpec.from_dict({"n_qubit": 3})
        Traceback (most recent call last):
        ...
        ValueError: VQCSpec: unknown option 'n_qubit' (did you mean 'n_qubits'?); allowed: ...
        """
        if isinstance(options, Mapping) and "family" in options:
            base = family_spec(options["family"]).to_dict()
            base.update({k: v for k, v in options.items() if k != "family"})
            options = base
        return super().from_dict(options, owner=owner)


def chen2020_spec(n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None) -> VQCSpec:
    """The QLSTM paper's VQC (Chen, Yoo, Fang 2020) as a :class:`VQCSpec`.

    Args:
        n_qubits: number of qubits (input width).
        n_layers: number of variational layers.
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (``None``: all).

    >>> chen2020_spec().ring_distances, chen2020_spec().rotations
    ((1, 2), ('RZ', 'RY', 'RZ'))
    """
    return VQCSpec(
        n_qubits=n_qubits,
        n_layers=n_layers,
        encoding="arctan",
        hadamard=True,
        entangler="ring",
        ring_distances=(1, 2),
        entangler_gate="CNOT",
        rotations=_ROT,
        readout=_first(n_qubits, n_outputs),
    )


def chen2024_spec(n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None) -> VQCSpec:
    """The later public QLSTM variant: ``H, RY(x)`` encoding, brick CNOTs, one RY per qubit.

    Args:
        n_qubits: number of qubits (input + hidden size in a QLSTM).
        n_layers: number of variational layers.
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (``None``: all).

    >>> chen2024_spec(5, 1, n_outputs=3).weight_shape, chen2024_spec(5, 1, 3).readout
    ((1, 5), (0, 1, 2))
    """
    return VQCSpec(
        n_qubits=n_qubits,
        n_layers=n_layers,
        encoding="plain",
        hadamard=True,
        entangler="brick",
        entangler_gate="CNOT",
        rotations=("RY",),
        readout=_first(n_qubits, n_outputs),
    )


def family_spec(
    family: str, n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None
) -> VQCSpec:
    """The :class:`VQCSpec` of a named family (``"chen2020"`` or ``"chen2024"``).

    >>> family_spec("chen2020", 2, 1) == chen2020_spec(2, 1)
    True
    """
    if family == "chen2020":
        return chen2020_spec(n_qubits, n_layers, n_outputs)
    if family == "chen2024":
        return chen2024_spec(n_qubits, n_layers, n_outputs)
    raise ValueError(f"unknown VQC family {family!r}; allowed: {FAMILIES}")


def _first(n_qubits: int, n_outputs: int | None) -> tuple[int, ...] | None:
    if n_outputs is None:
        return None
    check_int("n_outputs", n_outputs)
    if not 1 <= n_outputs <= n_qubits:
        raise ValueError(f"n_outputs must be in 1..{n_qubits} (n_qubits), got {n_outputs}")
    return tuple(range(n_outputs))

