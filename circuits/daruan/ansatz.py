"""The DARUAN circuit, defined once: ansatz gate orders, parameter shapes and slot binding.

DARUAN (data re-uploading activation) is one qubit started in ``|0⟩`` and measured in Z,
``φ(x) = ⟨ψ(x)|Z|ψ(x)⟩``. The three ansätze use the gate orders of the reference library
``qkan`` (time order, left to right; ``z_l = w_l·x + b_l`` is the l-th encoded input):

- ``pz``:   H; for l = 1..r: RZ(θ_l,0) RY(θ_l,1) RZ(z_l); then RZ(θ_r+1,0) RY(θ_r+1,1).
- ``rpz``:  H; for l = 1..r: RY(θ_l) RZ(z_l); then RY(θ_r+1).
- ``real``: H; for l = 1..r: X RY(θ_l) Z RY(z_l).

This module turns that into the :class:`~qmem.circuits.ir.Circuit` gate list every executor
reads (:func:`daruan_circuit`), and maps ``(x, θ, w, b)`` to the flat slot angles in gate
order (:func:`daruan_angles`), in torch so that autograd reaches every parameter.

>>> c = daruan_circuit("rpz", 2)
>>> [op.gate for op in c.ops]
['H', 'RY', 'RZ', 'RY', 'RZ', 'RY']
>>> theta_shape("pz", 3), theta_shape("rpz", 3), theta_shape("real", 3)
((4, 2), (4,), (3,))
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, get_args

import torch

from .ir import Circuit, Op

__all__ = [
    "Ansatz",
    "check_ansatz",
    "check_reps",
    "daruan_angles",
    "daruan_circuit",
    "theta_shape",
]

Ansatz = Literal["pz", "rpz", "real"]


def check_ansatz(ansatz: object) -> Ansatz:
    """Return ``ansatz`` if it names a DARUAN ansatz, else raise ``ValueError``."""
    allowed = get_args(Ansatz)
    if ansatz not in allowed:
        raise ValueError(f"unknown ansatz {ansatz!r}; allowed: {', '.join(allowed)}")
    return ansatz  # type: ignore[return-value]


def check_reps(reps: object) -> int:
    """Return ``reps`` if it is an int >= 1, else raise ``TypeError``/``ValueError``."""
    if isinstance(reps, bool) or not isinstance(reps, int):
        raise TypeError(f"reps must be an int >= 1, got {reps!r}")
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    return reps


def theta_shape(ansatz: Ansatz, reps: int) -> tuple[int, ...]:
    """Trailing shape of θ for one DARUAN: (r+1, 2) for pz, (r+1,) for rpz, (r,) for real."""
    check_ansatz(ansatz)
    check_reps(reps)
    if ansatz == "pz":
        return (reps + 1, 2)
    if ansatz == "rpz":
        return (reps + 1,)
    return (reps,)


@lru_cache(maxsize=64)
def daruan_circuit(ansatz: Ansatz, reps: int) -> Circuit:
    """The DARUAN gate list on one wire, slots numbered in gate order.

    Args:
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        reps: number of data re-uploadings r (>= 1).

    Returns:
        A :class:`Circuit` with readout ``(0,)``; its slot names are ``theta[l,k]``,
        ``theta[l]`` and ``z[l]`` (the encoded input ``w_l·x + b_l``).
    """
    check_ansatz(ansatz)
    check_reps(reps)
    ops: list[Op] = [Op("H", (0,))]
    names: list[str] = []

    def rot(gate: Literal["RX", "RY", "RZ"], name: str) -> None:
        ops.append(Op(gate, (0,), len(names)))
        names.append(name)

    for layer in range(reps):
        if ansatz == "pz":
            rot("RZ", f"theta[{layer},0]")
            rot("RY", f"theta[{layer},1]")
            rot("RZ", f"z[{layer}]")
        elif ansatz == "rpz":
            rot("RY", f"theta[{layer}]")
            rot("RZ", f"z[{layer}]")
        else:
            ops.append(Op("X", (0,)))
            rot("RY", f"theta[{layer}]")
            ops.append(Op("Z", (0,)))
            rot("RY", f"z[{layer}]")
    if ansatz == "pz":
        rot("RZ", f"theta[{reps},0]")
        rot("RY", f"theta[{reps},1]")
    elif ansatz == "rpz":
        rot("RY", f"theta[{reps}]")
    return Circuit(1, tuple(ops), tuple(names), (0,))


def daruan_angles(z: torch.Tensor, theta: torch.Tensor, ansatz: Ansatz) -> torch.Tensor:
    """Slot angles of :func:`daruan_circuit` in slot order.

    Args:
        z: encoded inputs ``w_l·x + b_l``, shape (..., r).
        theta: variational angles, shape (..., *theta_shape(ansatz, r)).
        ansatz: the ansatz.

    Returns:
        Angles, shape (..., n_slots) with leading dims broadcast from ``z`` and ``theta``.

    >>> a = daruan_angles(torch.zeros(1), torch.arange(4.0).reshape(2, 2), "pz")
    >>> a.tolist()
    [0.0, 1.0, 0.0, 2.0, 3.0]
    """
    reps = z.shape[-1]
    if ansatz == "pz":
        lead = torch.broadcast_shapes(z.shape[:-1], theta.shape[:-2])
        th = theta.expand(*lead, reps + 1, 2)
        zz = z.expand(*lead, reps)
        body = torch.cat([th[..., :reps, :], zz.unsqueeze(-1)], dim=-1)  # (..., r, 3)
        body = body.reshape(*lead, 3 * reps)  # (..., 3r) in gate order
        return torch.cat([body, th[..., reps, :]], dim=-1)  # (..., 3r + 2)
    lead = torch.broadcast_shapes(z.shape[:-1], theta.shape[:-1])
    zz = z.expand(*lead, reps)
    th = theta.expand(*lead, theta.shape[-1])
    body = torch.stack([th[..., :reps], zz], dim=-1).reshape(*lead, 2 * reps)  # (..., 2r)
    if ansatz == "rpz":
        return torch.cat([body, th[..., reps:]], dim=-1)  # (..., 2r + 1)
    return body
