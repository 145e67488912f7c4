"""An independent numpy simulator of one qubit, gate by gate, for the DARUAN tests."""

import numpy as np

from qmem.circuits.ir import Circuit

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Z = np.diag([1, -1]).astype(complex)


def gate(name: str, angle: float | None = None) -> np.ndarray:
    if name == "H":
        return _H
    if name == "X":
        return _X
    if name == "Z":
        return _Z
    c, s = np.cos(angle / 2), np.sin(angle / 2)
    if name == "RY":
        return np.array([[c, -s], [s, c]], dtype=complex)
    if name == "RZ":
        return np.diag([np.exp(-0.5j * angle), np.exp(0.5j * angle)])
    if name == "RX":
        return np.array([[c, -1j * s], [-1j * s, c]], dtype=complex)
    raise ValueError(name)


def amplitudes(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """Final (α, β) for angles of shape (n_slots,)."""
    psi = np.array([1, 0], dtype=complex)
    for op in circuit.ops:
        psi = gate(op.gate, None if op.slot is None else float(angles[op.slot])) @ psi
    return psi


def expval_z(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """⟨Z⟩ for angles of shape (..., n_slots), looping over the leading dims."""
    flat = angles.reshape(-1, angles.shape[-1])
    out = np.empty(flat.shape[0])
    for k, a in enumerate(flat):
        alpha, beta = amplitudes(circuit, a)
        out[k] = abs(alpha) ** 2 - abs(beta) ** 2
    return out.reshape(angles.shape[:-1])


def abs_readout(circuit: Circuit, angles: np.ndarray) -> np.ndarray:
    """qkan's |α| - |β| for angles of shape (..., n_slots)."""
    flat = angles.reshape(-1, angles.shape[-1])
    out = np.array([abs(a) - abs(b) for a, b in (amplitudes(circuit, v) for v in flat)])
    return out.reshape(angles.shape[:-1])
