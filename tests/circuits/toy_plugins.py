"""A toy ansatz and a toy executor, registered from outside the package (tests only).

``toy_dense`` simulates any IR circuit by full 2^n x 2^n matrices in torch (an executor
written from scratch against the public registry API); ``toy`` is a DARUAN ansatz with a
``Z`` reflection and a data rotation the Bloch engine merges; ``toy_rx`` uses an ``RX``
angle, which the Bloch and Fourier executors do not run (``"auto"`` falls back to
``"statevector"``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from qmem.circuits import AnsatzDef, register_ansatz, register_executor
from qmem.circuits.daruan import ansatz_names
from qmem.circuits.executors import executor_names

_I = torch.eye(2, dtype=torch.complex128)
_FIXED = {
    "H": torch.tensor([[1, 1], [1, -1]], dtype=torch.complex128) / math.sqrt(2),
    "X": torch.tensor([[0, 1], [1, 0]], dtype=torch.complex128),
    "Y": torch.tensor([[0, -1j], [1j, 0]], dtype=torch.complex128),
    "Z": torch.tensor([[1, 0], [0, -1]], dtype=torch.complex128),
}
_PAULI = {"RX": _FIXED["X"], "RY": _FIXED["Y"], "RZ": _FIXED["Z"]}


def _on(n: int, wire: int, mat: torch.Tensor) -> torch.Tensor:
    """``mat`` (..., 2, 2) on ``wire`` of ``n`` (wire 0 most significant): (..., 2^n, 2^n)."""
    out = torch.ones((1, 1), dtype=torch.complex128)
    for w in range(n):
        out = torch.kron(out, mat) if w == wire and mat.dim() == 2 else out
        if w != wire:
            out = torch.kron(out, _I)
        elif mat.dim() > 2:  # batched: (..., a, a) ⊗ (..., 2, 2)
            a = out.shape[-1]
            out = (out[..., :, None, :, None] * mat[..., None, :, None, :]).reshape(
                *mat.shape[:-2], 2 * a, 2 * a
            )
    return out


def _cnot(n: int, control: int, target: int, gate: str) -> torch.Tensor:
    size = 2**n
    out = torch.zeros(size, size, dtype=torch.complex128)
    for i in range(size):
        c = (i >> (n - 1 - control)) & 1
        if gate == "CNOT":
            out[i ^ (c << (n - 1 - target)), i] = 1
        else:
            t = (i >> (n - 1 - target)) & 1
            out[i, i] = -1 if c and t else 1
    return out


class ToyDenseExecutor:
    """Full-matrix simulation of any IR circuit (slow, independent, for tests)."""

    name = "toy_dense"
    kinds = ("daruan", "vqc")
    options = ("verbose",)

    def unsupported(self, job: Any) -> str | None:
        return "runs at most 4 qubits" if job.circuit.n_qubits > 4 else None

    def run(self, job: Any, options: Mapping[str, Any]) -> torch.Tensor:
        circuit, angles = job.circuit, job.angles()
        n, lead = circuit.n_qubits, angles.shape[:-1]
        theta = angles.reshape(-1, circuit.n_slots).to(torch.float64)  # (B, S)
        psi = torch.zeros(theta.shape[0], 2**n, dtype=torch.complex128)  # (B, 2^n)
        psi[:, 0] = 1
        for op in circuit.ops:
            if op.gate in ("CNOT", "CZ"):
                u = _cnot(n, *op.wires, op.gate)
            elif op.slot is None:
                u = _on(n, op.wires[0], _FIXED[op.gate])
            else:
                half = (0.5 * theta[:, op.slot]).to(torch.complex128)[:, None, None]  # (B, 1, 1)
                mat = torch.cos(half) * _I - 1j * torch.sin(half) * _PAULI[op.gate]  # (B, 2, 2)
                u = _on(n, op.wires[0], mat)
            psi = (u @ psi[..., None])[..., 0]  # (B, 2^n)
        probs = psi.abs() ** 2  # (B, 2^n)
        idx = torch.arange(2**n)
        out = [
            (probs * (1 - 2 * ((idx >> (n - 1 - w)) & 1))).sum(-1) for w in circuit.readout
        ]  # R x (B,)
        return torch.stack(out, -1).to(angles.dtype).reshape(*lead, len(circuit.readout))


def install() -> None:
    """Register the toys once (idempotent: several test modules import this)."""
    if "toy" not in ansatz_names():
        register_ansatz(
            AnsatzDef(
                "toy",
                (("RY", "theta"), ("Z", None), ("RZ", "data"), ("RZ", "theta")),
                (("RY", "theta"), ("RZ", "theta")),
            )
        )
        register_ansatz(AnsatzDef("toy_rx", (("RX", "theta"), ("RZ", "data")), (("RY", "theta"),)))
    if "toy_dense" not in executor_names("daruan"):
        register_executor(ToyDenseExecutor())


install()
