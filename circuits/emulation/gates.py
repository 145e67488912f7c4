"""The gate-by-gate path of the torch state-vector emulation (no qubit limit but memory).

The state is a ``(..., 2^n)`` vector and every gate is one ``einsum`` (single-qubit, on a
``(..., 2^w, 2, 2^(n-w-1))`` view) or one index/multiply op (CNOT/CZ); used past the dense
limit and as an independent check of the dense path.

>>> from qmem.circuits.ir import Circuit, Op
>>> c = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1))), ("t",), (1,))
>>> gates_expval(c, torch.tensor([[0.0]], dtype=torch.float64), None)
tensor([[1.]], dtype=torch.float64)
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..ir import Circuit
from .dense import readout
from .plan import COMPLEX, FIXED_1Q, ROT_B, FixedRun, plan_of

__all__ = ["gates_expval"]


def gates_expval(circuit: Circuit, angles: Tensor, shared: Tensor | None) -> Tensor:
    """``⟨Z⟩`` ``(..., R)`` of ``circuit`` for ``angles`` ``(..., k)`` and optional
    ``shared`` ``(n_slots - k,)`` angles of the last slots (no validation)."""
    plan = plan_of(circuit)
    n = circuit.n_qubits
    full = angles
    if shared is not None:
        shared_b = shared.expand(*angles.shape[:-1], shared.shape[-1])  # (..., n_shared)
        full = torch.cat((angles, shared_b), dim=-1)  # (..., n_slots)
    batch, dtype, device = full.shape[:-1], full.dtype, full.device
    cdtype = COMPLEX[dtype]

    def make_tables() -> dict[str, Tensor]:
        tabs = {g: torch.as_tensor(m, dtype=cdtype, device=device) for g, m in FIXED_1Q.items()}
        tabs.update({g: torch.as_tensor(m, dtype=cdtype, device=device) for g, m in ROT_B.items()})
        tabs["I"] = torch.eye(2, dtype=cdtype, device=device)
        return tabs

    tabs = plan.cached(("gates", cdtype, device), make_tables)
    cos, sin = torch.cos(0.5 * full), torch.sin(0.5 * full)  # (..., n_slots)
    state = torch.zeros(*batch, 2**n, dtype=cdtype, device=device)  # (..., 2^n)
    state[..., 0] = 1.0
    for op in circuit.ops:
        if len(op.wires) == 2:
            fixed = plan.cached(("op", op), lambda op=op: FixedRun(n, [(op.gate, op.wires)]))
            if op.gate == "CNOT":
                perm = plan.cached(
                    ("perm", op, device), lambda f=fixed: torch.as_tensor(f.perm, device=device)
                )
                state = state[..., perm]  # (..., 2^n): basis states permuted
            else:
                sign = plan.cached(
                    ("sign", op, cdtype, device),
                    lambda f=fixed: torch.as_tensor(f.sign, dtype=cdtype, device=device),
                )
                state = state * sign
            continue
        if op.slot is None:
            mat = tabs[op.gate]  # (2, 2)
        else:
            c = cos[..., op.slot, None, None]  # (..., 1, 1)
            s = sin[..., op.slot, None, None]  # (..., 1, 1)
            mat = c * tabs["I"] + s * tabs[op.gate]  # (..., 2, 2)
        w = op.wires[0]
        view = state.reshape(*batch, 2**w, 2, 2 ** (n - 1 - w))  # (..., left, 2, right)
        state = torch.einsum("...ij,...ajb->...aib", mat, view).reshape(*batch, 2**n)
    out = readout(plan, state.reshape(-1, 2**n).T)  # (B, R)
    return out.reshape(*batch, out.shape[-1])  # (..., R)
