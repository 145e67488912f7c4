"""Export a :class:`~qmem.circuits.ir.Circuit` to Qiskit, OpenQASM 3 and a text drawing.

Wire ``w`` of the circuit becomes Qiskit qubit ``w`` (so a drawing shows wire 0 on
``q_0``). Qiskit numbers basis states little-endian (qubit 0 is the *least* significant
bit) while qmem and PennyLane put wire 0 first, so the amplitudes of
``Statevector(to_qiskit(c, angles))`` are those of the qmem state with the qubit order
reversed: ``Statevector(...).reverse_qargs().data`` is the qmem/PennyLane state vector.
Per-wire expectations ``⟨Z_w⟩`` are the same in both orders.

Without angles the export is symbolic: one Qiskit ``Parameter`` per slot, named by
``circuit.slot_names`` (they must be unique). Qiskit is imported lazily.

>>> from qmem.circuits.ir import Circuit, Op
>>> c = Circuit(2, (Op("H", (0,)), Op("CNOT", (0, 1)), Op("RZ", (1,), 0)), ("phi",), (0, 1))
>>> [p.name for p in to_qiskit(c).parameters]
['phi']
>>> print(to_qasm3(c, [0.5]))
OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
h q[0];
cx q[0], q[1];
rz(0.5) q[1];
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .ir import Circuit

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["QISKIT_BASIS", "build_qiskit", "draw", "to_qasm3", "to_qiskit"]

# qmem gate name -> QuantumCircuit method name
_QISKIT_METHOD = {
    "H": "h",
    "X": "x",
    "Y": "y",
    "Z": "z",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "CNOT": "cx",
    "CZ": "cz",
}
QISKIT_BASIS: tuple[str, ...] = tuple(_QISKIT_METHOD.values())
"""The Qiskit gate names a qmem circuit uses, one per IR gate (a transpile basis that changes
nothing): ``("h", "x", "y", "z", "rx", "ry", "rz", "cx", "cz")``."""


def build_qiskit(circuit: Circuit, values: Sequence[Any]) -> QuantumCircuit:
    """Qiskit circuit of ``circuit`` whose slot ``s`` reads ``values[s]``, unchecked (the
    checked front is :func:`to_qiskit`).

    Args:
        circuit: the circuit to build.
        values: one angle per slot, indexed by slot: a float or a ``qiskit.circuit.Parameter``
            (or a ``ParameterExpression``), ``len(values) >= circuit.n_slots``.

    Returns:
        A ``QuantumCircuit`` on ``circuit.n_qubits`` qubits, gates in the circuit's order.

    >>> from qiskit.circuit import Parameter
    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(2, (Op("RY", (0,), 0), Op("CZ", (0, 1)), Op("RX", (1,), 1)), ("a", "b"), (1,))
    >>> qc = build_qiskit(c, [0.5, Parameter("b")])
    >>> [(i.operation.name, i.operation.params) for i in qc.data]
    [('ry', [0.5]), ('cz', []), ('rx', [Parameter(b)])]
    """
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(circuit.n_qubits)
    for op in circuit.ops:
        method = getattr(qc, _QISKIT_METHOD[op.gate])
        if op.slot is None:
            method(*op.wires)
        else:
            method(values[op.slot], *op.wires)
    return qc


def _as_angle_vector(circuit: Circuit, angles: Any) -> np.ndarray:
    if isinstance(angles, torch.Tensor):
        if not angles.is_floating_point():
            raise TypeError(f"angles must be a floating tensor, got {angles.dtype}")
        arr = angles.detach().to("cpu", torch.float64).numpy()
    else:
        try:
            arr = np.asarray(angles, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"angles must be None, a float tensor or a sequence of floats, got {angles!r}"
            ) from err
    if arr.shape != (circuit.n_slots,):
        raise ValueError(
            f"angles must have shape ({circuit.n_slots},) (the circuit's n_slots), "
            f"got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError("angles hold non-finite values (NaN or inf): no circuit to export")
    return arr


def to_qiskit(circuit: Circuit, angles: Any = None) -> QuantumCircuit:
    """The circuit as a ``qiskit.QuantumCircuit`` (no measurements).

    Args:
        circuit: the circuit to export.
        angles: ``None`` for a symbolic circuit (one ``Parameter`` per slot, named by
            ``circuit.slot_names``), or the slot angles, shape ``(n_slots,)`` (torch tensor,
            numpy array or sequence of floats) for a bound circuit.

    Returns:
        A ``QuantumCircuit`` on ``circuit.n_qubits`` qubits; qmem wire ``w`` is qubit ``w``.

    Raises:
        TypeError: ``circuit`` is not a Circuit, or ``angles`` is not numeric.
        ValueError: ``angles`` has the wrong shape, or slot names repeat (symbolic export).

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(1, (Op("RY", (0,), 0),), ("theta",), (0,))
    >>> to_qiskit(c, [0.25]).data[0].operation.params
    [0.25]
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit must be a qmem Circuit, got {type(circuit).__name__}")
    if angles is None:
        from qiskit.circuit import Parameter

        names = circuit.slot_names
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"symbolic export needs unique slot names; repeated: {repeated}"
            )
        return build_qiskit(circuit, [Parameter(n) for n in names])
    return build_qiskit(circuit, [float(a) for a in _as_angle_vector(circuit, angles)])


def to_qasm3(circuit: Circuit, angles: Any = None) -> str:
    """The circuit as an OpenQASM 3 program (``qiskit.qasm3.dumps`` of :func:`to_qiskit`).

    Args:
        circuit: the circuit to export.
        angles: ``None`` (slots become ``input float[64]`` parameters) or shape ``(n_slots,)``.

    Returns:
        The OpenQASM 3 source text.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(1, (Op("RX", (0,), 0),), ("a",), (0,))
    >>> "input float[64] a;" in to_qasm3(c)
    True
    """
    from qiskit import qasm3

    return qasm3.dumps(to_qiskit(circuit, angles))


def draw(circuit: Circuit, angles: Any = None, *, fold: int = -1) -> str:
    """A text drawing of the circuit (Qiskit's ``text`` drawer).

    Args:
        circuit: the circuit to draw.
        angles: ``None`` (slot names shown) or shape ``(n_slots,)`` (numbers shown).
        fold: line width at which the drawing wraps; ``-1`` never wraps.

    Returns:
        The drawing as a string, one line per qubit row.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(2, (Op("H", (0,)), Op("CNOT", (0, 1))), (), (0,))
    >>> print(draw(c))
         ┌───┐
    q_0: ┤ H ├──■──
         └───┘┌─┴─┐
    q_1: ─────┤ X ├
              └───┘
    """
    if isinstance(fold, bool) or not isinstance(fold, int):
        raise TypeError(f"fold must be an int, got {fold!r}")
    if fold != -1 and fold < 1:
        raise ValueError(f"fold must be -1 (no wrapping) or a positive int, got {fold}")
    return str(to_qiskit(circuit, angles).draw(output="text", fold=fold))
