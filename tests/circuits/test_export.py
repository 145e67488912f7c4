"""Export to Qiskit / OpenQASM 3 / text: structure, qubit order and round trips."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmem.circuits.backends import pennylane as pennylane_backend
from qmem.circuits.backends import qiskit as qiskit_backend
from qmem.circuits.export import draw, to_qasm3, to_qiskit
from qmem.circuits.ir import Circuit, Op

# An independent reference state: dense 2^n matrices, wire 0 the most significant bit.
_M1 = {
    "H": np.array([[1, 1], [1, -1]]) / np.sqrt(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1, -1]),
}
_P0, _P1 = np.diag([1, 0]), np.diag([0, 1])


def _embed(n: int, mats: dict[int, np.ndarray]) -> np.ndarray:
    out = np.eye(1)
    for w in range(n):  # kron left to right: wire 0 is the most significant factor
        out = np.kron(out, mats.get(w, np.eye(2)))
    return out


def ref_state(c: Circuit, theta: np.ndarray) -> np.ndarray:
    psi = np.zeros(2**c.n_qubits, dtype=complex)
    psi[0] = 1
    for op in c.ops:
        if op.slot is not None:
            t = theta[op.slot]
            pauli = _M1[op.gate[1]]
            rot = np.cos(t / 2) * np.eye(2) - 1j * np.sin(t / 2) * pauli  # exp(-i t P / 2)
            u = _embed(c.n_qubits, {op.wires[0]: rot})
        elif op.gate in _M1:
            u = _embed(c.n_qubits, {op.wires[0]: _M1[op.gate]})
        else:
            ctl, tgt = op.wires
            flip = _M1["X"] if op.gate == "CNOT" else _M1["Z"]
            u = _embed(c.n_qubits, {ctl: _P0}) + _embed(c.n_qubits, {ctl: _P1, tgt: flip})
        psi = u @ psi
    return psi


def _circuit() -> Circuit:
    ops = (
        Op("H", (0,)),
        Op("RY", (1,), 2),
        Op("CNOT", (0, 2)),
        Op("RX", (2,), 0),
        Op("Y", (1,)),
        Op("CZ", (1, 0)),
        Op("RZ", (0,), 1),
        Op("X", (2,)),
        Op("Z", (1,)),
    )
    return Circuit(3, ops, ("alpha", "beta", "gamma"), (2, 0))


THETA = np.array([0.7, -1.3, 2.1])


def test_reference_state_order() -> None:
    # X on wire 0 of 2 wires is |10>, index 2 with wire 0 most significant
    c = Circuit(2, (Op("X", (0,)),), (), (0,))
    np.testing.assert_allclose(ref_state(c, np.zeros(0)), [0, 0, 1, 0])


def test_symbolic_export_structure() -> None:
    c = _circuit()
    qc = to_qiskit(c)
    assert isinstance(qc, QuantumCircuit)
    assert qc.num_qubits == 3 and qc.num_clbits == 0
    assert sorted(p.name for p in qc.parameters) == ["alpha", "beta", "gamma"]
    names = [ins.operation.name for ins in qc.data]
    assert names == ["h", "ry", "cx", "rx", "y", "cz", "rz", "x", "z"]
    qubits = [tuple(qc.find_bit(q).index for q in ins.qubits) for ins in qc.data]
    assert qubits == [op.wires for op in c.ops]  # wire w is qubit w, control first
    assert qc.data[1].operation.params[0].name == "gamma"  # RY reads slot 2


def test_bound_export_statevector_is_reference_in_qmem_order() -> None:
    c = _circuit()
    psi = Statevector(to_qiskit(c, THETA))
    # Qiskit is little-endian: reversing the qubit order gives the qmem/PennyLane vector
    np.testing.assert_allclose(psi.reverse_qargs().data, ref_state(c, THETA), atol=1e-12)
    # binding the symbolic circuit by slot name gives the same state
    qc = to_qiskit(c)
    bound = qc.assign_parameters({p: THETA[c.slot_names.index(p.name)] for p in qc.parameters})
    assert Statevector(bound).equiv(psi)


def test_exported_expectation_equals_executors() -> None:
    c = _circuit()
    psi = Statevector(to_qiskit(c, torch.tensor(THETA)))
    exported = []
    for w in c.readout:
        label = "".join("Z" if q == w else "I" for q in reversed(range(c.n_qubits)))
        exported.append(psi.expectation_value(SparsePauliOp(label)).real)
    angles = torch.tensor(THETA, dtype=torch.float64)
    for got in (qiskit_backend.expval_z(c, angles), pennylane_backend.expval_z(c, angles)):
        np.testing.assert_allclose(got.numpy(), exported, atol=1e-10)


def test_qasm3_symbolic_and_bound() -> None:
    c = _circuit()
    text = to_qasm3(c)
    assert text.startswith("OPENQASM 3.0;")
    for name in c.slot_names:
        assert f"input float[64] {name};" in text
    assert "ry(gamma) q[1];" in text and "cx q[0], q[2];" in text and "cz q[1], q[0];" in text
    bound = to_qasm3(c, THETA)
    assert "input" not in bound and "rx(0.7) q[2];" in bound
    # round trip through Qiskit's native OpenQASM 3 reader
    from qiskit import qasm3

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = qasm3.loads_experimental(bound)
    np.testing.assert_allclose(
        Statevector(loaded).reverse_qargs().data, ref_state(c, THETA), atol=1e-12
    )


def test_draw() -> None:
    c = _circuit()
    text = draw(c)
    assert isinstance(text, str)
    for q in range(3):
        assert f"q_{q}:" in text
    assert "Ry(gamma)" in text and "Rx(alpha)" in text
    numbers = draw(c, [0.5, 0.25, math.pi])
    assert "Rx(0.5)" in numbers and "Ry(π)" in numbers
    assert max(len(line) for line in draw(c, fold=40).splitlines()) <= 40


def test_errors() -> None:
    c = _circuit()
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        to_qiskit(c, [0.1, 0.2])
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        to_qiskit(c, np.zeros((2, 3)))
    with pytest.raises(TypeError, match="floating"):
        to_qiskit(c, torch.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="sequence of floats"):
        to_qiskit(c, ["a", "b", "c"])
    with pytest.raises(TypeError, match="Circuit"):
        to_qasm3("h q[0];")
    dup = Circuit(1, (Op("RX", (0,), 0), Op("RY", (0,), 1)), ("w", "w"), (0,))
    with pytest.raises(ValueError, match=r"unique slot names.*'w'"):
        to_qiskit(dup)
    assert to_qiskit(dup, [0.1, 0.2]).num_parameters == 0  # bound export still works
    with pytest.raises(TypeError, match="fold"):
        draw(c, fold=2.5)
