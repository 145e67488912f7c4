"""One circuit definition that every executor reads: a gate list with parameter slots.

A :class:`Circuit` is a fixed list of gates on ``n_qubits`` wires. Every rotation gate
(``RX``, ``RY``, ``RZ``) reads its angle from one *slot* of a flat angle vector; fixed gates
(``H``, ``X``, ``Y``, ``Z``, ``CNOT``, ``CZ``) have no slot. Each slot is used by exactly one
gate, so the parameter-shift rule ``d<Z>/dθ_s = (f(θ_s + π/2) - f(θ_s - π/2)) / 2`` is exact
for every slot.

How circuit parameters and data become slot angles (``w·x + b``, ``arctan x``, a trainable
θ) is the job of the circuit family (DARUAN, VQC), written in torch; executors then map
angles of shape ``(..., n_slots)`` to ``⟨Z⟩`` on the readout wires, shape
``(..., len(readout))``. Autograd reaches the family's parameters through the angles.

Gate conventions (identical to PennyLane and Qiskit):
``RX(φ) = exp(-iφX/2)``, ``RY(φ) = exp(-iφY/2)``, ``RZ(φ) = exp(-iφZ/2)``;
``CNOT`` has wires ``(control, target)``. Wire 0 is the *most significant* qubit of a
basis-state index (PennyLane's order; Qiskit's is the reverse and its executor converts).

>>> c = Circuit(1, (Op("H", (0,)), Op("RZ", (0,), 0), Op("RY", (0,), 1)), ("a", "b"), (0,))
>>> c.n_slots, c.rotation_slots()
(2, (0, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

__all__ = ["FIXED_GATES", "ROTATION_GATES", "Circuit", "GateName", "Op", "check_angles"]

GateName = Literal["H", "X", "Y", "Z", "RX", "RY", "RZ", "CNOT", "CZ"]
"""The gate names an :class:`Op` may carry (rotations read a slot, the others have none)."""
ROTATION_GATES: tuple[str, ...] = ("RX", "RY", "RZ")
"""The gates that read an angle slot: ``R_P(φ) = exp(-iφP/2)`` for the Pauli ``P``."""
FIXED_GATES: tuple[str, ...] = ("H", "X", "Y", "Z", "CNOT", "CZ")
"""The gates without a slot; ``CNOT`` and ``CZ`` take two wires, the others one."""
_ARITY = {"H": 1, "X": 1, "Y": 1, "Z": 1, "RX": 1, "RY": 1, "RZ": 1, "CNOT": 2, "CZ": 2}


@dataclass(frozen=True)
class Op:
    """One gate of a circuit.

    Args:
        gate: gate name, one of ``GateName``.
        wires: the wires it acts on (``(control, target)`` for ``CNOT``/``CZ``).
        slot: index into the angle vector for rotation gates; ``None`` for fixed gates.
    """

    gate: GateName
    wires: tuple[int, ...]
    slot: int | None = None


@dataclass(frozen=True)
class Circuit:
    """A gate list with named parameter slots and Z readout wires.

    Args:
        n_qubits: number of wires (>= 1).
        ops: the gates in time order.
        slot_names: one name per slot (``len(slot_names)`` is the number of slots); used as
            parameter names when the circuit is exported symbolically.
        readout: wires whose ``⟨Z⟩`` the executors return, in this order.

    Raises:
        ValueError: on an unknown gate, wrong arity, a wire out of range, a rotation without a
            slot, a fixed gate with one, or a slot not used exactly once.
    """

    n_qubits: int
    ops: tuple[Op, ...]
    slot_names: tuple[str, ...]
    readout: tuple[int, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.n_qubits, int) or self.n_qubits < 1:
            raise ValueError(f"n_qubits must be a positive int, got {self.n_qubits!r}")
        allowed = get_args(GateName)
        used: list[int] = []
        for k, op in enumerate(self.ops):
            if op.gate not in allowed:
                raise ValueError(f"op {k}: unknown gate {op.gate!r}; allowed: {allowed}")
            if len(op.wires) != _ARITY[op.gate]:
                raise ValueError(
                    f"op {k}: {op.gate} takes {_ARITY[op.gate]} wire(s), got {op.wires}"
                )
            if len(set(op.wires)) != len(op.wires):
                raise ValueError(f"op {k}: repeated wire in {op.wires}")
            for w in op.wires:
                if not 0 <= w < self.n_qubits:
                    raise ValueError(f"op {k}: wire {w} outside 0..{self.n_qubits - 1}")
            if op.gate in ROTATION_GATES:
                if op.slot is None or not 0 <= op.slot < len(self.slot_names):
                    raise ValueError(
                        f"op {k}: {op.gate} needs a slot in 0..{len(self.slot_names) - 1}, "
                        f"got {op.slot!r}"
                    )
                used.append(op.slot)
            elif op.slot is not None:
                raise ValueError(f"op {k}: fixed gate {op.gate} cannot have a slot")
        if sorted(used) != list(range(len(self.slot_names))):
            raise ValueError("every slot must be used by exactly one rotation gate")
        if not self.readout:
            raise ValueError("readout must name at least one wire")
        for w in self.readout:
            if not 0 <= w < self.n_qubits:
                raise ValueError(f"readout wire {w} outside 0..{self.n_qubits - 1}")

    @property
    def n_slots(self) -> int:
        """Number of angle slots (the last dimension of an executor's ``angles``)."""
        return len(self.slot_names)

    def rotation_slots(self) -> tuple[int, ...]:
        """Slots in gate order (the order in which rotation gates read their angles)."""
        return tuple(op.slot for op in self.ops if op.slot is not None)


def check_angles(circuit: Circuit, angles: object) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``angles`` is a real floating tensor of shape
    ``(..., circuit.n_slots)`` (what every executor takes).

    >>> import torch
    >>> c = Circuit(1, (Op("RY", (0,), 0),), ("a",), (0,))
    >>> check_angles(c, torch.zeros(3, 1))
    >>> check_angles(c, torch.zeros(3, 2))
    Traceback (most recent call last):
    ...
    ValueError: angles must have shape (..., 1) (the circuit's n_slots), got (3, 2)
    """
    import torch

    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit must be a qmem Circuit, got {type(circuit).__name__}")
    if not isinstance(angles, torch.Tensor):
        raise TypeError(f"angles must be a torch.Tensor, got {type(angles).__name__}")
    if not angles.is_floating_point():
        raise TypeError(
            f"angles must be a real floating tensor (float32 or float64), got {angles.dtype}"
        )
    if angles.dim() == 0 or angles.shape[-1] != circuit.n_slots:
        raise ValueError(
            f"angles must have shape (..., {circuit.n_slots}) (the circuit's n_slots), "
            f"got {tuple(angles.shape)}"
        )
