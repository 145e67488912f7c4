"""An independent numpy state-vector simulator and the papers' circuits written out by hand
(the reference the VQC tests compare against)."""

from __future__ import annotations

import math

import numpy as np
import torch

from qmem.circuits.ir import Circuit, Op
from qmem.circuits.vqc import VQCSpec, chen2020_spec, chen2024_spec

_I = np.eye(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]])
_Z = np.diag([1.0, -1.0]).astype(complex)
_H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
_P0 = np.diag([1.0, 0.0])
_P1 = np.diag([0.0, 1.0])


def _rot(pauli: np.ndarray, theta: float) -> np.ndarray:
    return math.cos(theta / 2) * _I - 1j * math.sin(theta / 2) * pauli


def _on(n: int, mats: dict[int, np.ndarray]) -> np.ndarray:
    """Kronecker product with ``mats[w]`` on wire ``w`` (wire 0 = most significant)."""
    out = np.eye(1)
    for w in range(n):
        out = np.kron(out, mats.get(w, _I))
    return out


def gate_matrix(n: int, gate: str, wires: tuple[int, ...], theta: float) -> np.ndarray:
    single = {"H": _H, "X": _X, "Y": _Y, "Z": _Z}
    paulis = {"RX": _X, "RY": _Y, "RZ": _Z}
    if gate in single:
        return _on(n, {wires[0]: single[gate]})
    if gate in paulis:
        return _on(n, {wires[0]: _rot(paulis[gate], theta)})
    a, b = wires
    if gate == "CNOT":
        return _on(n, {a: _P0}) + _on(n, {a: _P1, b: _X})
    return np.eye(2**n) - 2 * _on(n, {a: _P1, b: _P1})  # CZ


def ref_state(n: int, gates: list[tuple[str, tuple[int, ...], float]]) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    for gate, wires, theta in gates:
        psi = gate_matrix(n, gate, wires, theta) @ psi
    return psi


def ref_z(n: int, psi: np.ndarray, readout: tuple[int, ...]) -> np.ndarray:
    probs = np.abs(psi) ** 2
    return np.array([probs @ np.diag(_on(n, {w: _Z})).real for w in readout])


def ref_circuit(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """``⟨Z⟩`` of an IR circuit, angles ``(B, n_slots)`` -> ``(B, R)``, by full matrices."""
    rows = []
    for a in np.atleast_2d(angles):
        gates = [(op.gate, op.wires, 0.0 if op.slot is None else a[op.slot]) for op in circuit.ops]
        rows.append(ref_z(circuit.n_qubits, ref_state(circuit.n_qubits, gates), circuit.readout))
    return np.array(rows)


def paper_chen2020(x: np.ndarray, w: np.ndarray, n_out: int) -> np.ndarray:
    """The QLSTM paper's VQC written out from its description (not from the builder)."""
    n = x.shape[-1]
    gates: list[tuple[str, tuple[int, ...], float]] = []
    for i in range(n):
        gates += [("H", (i,), 0), ("RY", (i,), math.atan(x[i])), ("RZ", (i,), math.atan(x[i] ** 2))]
    for layer in w:
        gates += [("CNOT", (i, (i + 1) % n), 0) for i in range(n)]
        gates += [("CNOT", (i, (i + 2) % n), 0) for i in range(n)]
        for i in range(n):  # Rot(α, β, γ) = RZ(γ) RY(β) RZ(α)
            alpha, beta, gamma = layer[i]
            gates += [("RZ", (i,), alpha), ("RY", (i,), beta), ("RZ", (i,), gamma)]
    return ref_z(n, ref_state(n, gates), tuple(range(n_out)))


def paper_chen2024(x: np.ndarray, w: np.ndarray, n_out: int) -> np.ndarray:
    n = x.shape[-1]
    gates: list[tuple[str, tuple[int, ...], float]] = []
    for i in range(n):
        gates += [("H", (i,), 0), ("RY", (i,), x[i])]
    for layer in w:
        gates += [("CNOT", (i, i + 1), 0) for i in range(0, n - 1, 2)]
        gates += [("CNOT", (i, i + 1), 0) for i in range(1, n - 1, 2)]
        gates += [("RY", (i,), layer[i]) for i in range(n)]
    return ref_z(n, ref_state(n, gates), tuple(range(n_out)))


GENERIC = VQCSpec(
    n_qubits=4,
    n_layers=3,
    encoding="plain",
    hadamard=False,
    entangler="all_to_all",
    entangler_gate="CZ",
    rotations=("RX", "RY"),
    readout=(3, 1),
)
SPECS = {
    "chen2020": chen2020_spec(4, 2),
    "chen2024": chen2024_spec(5, 2, n_outputs=3),
    "generic": GENERIC,
}


def data(spec: VQCSpec, batch: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, spec.n_qubits, generator=g, dtype=torch.float64)
    w = torch.randn(spec.weight_shape, generator=g, dtype=torch.float64)
    return x, w


def random_circuit(rng: np.random.Generator, n: int, n_ops: int) -> Circuit:
    ops, n_slots = [], 0
    gates = ["H", "X", "Y", "Z", "RX", "RY", "RZ", "RX", "RY", "RZ"]
    if n > 1:
        gates += ["CNOT", "CNOT", "CZ"]
    for _ in range(n_ops):
        gate = gates[rng.integers(len(gates))]
        if gate in ("CNOT", "CZ"):
            a, b = rng.choice(n, size=2, replace=False)
            ops.append(Op(gate, (int(a), int(b))))
        elif gate.startswith("R"):
            ops.append(Op(gate, (int(rng.integers(n)),), n_slots))
            n_slots += 1
        else:
            ops.append(Op(gate, (int(rng.integers(n)),)))
    readout = tuple(int(w) for w in rng.permutation(n)[: rng.integers(1, n + 1)])
    return Circuit(n, tuple(ops), tuple(f"t{i}" for i in range(n_slots)), readout)
