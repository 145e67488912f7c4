"""Export one DARUAN, for given parameters and input, to Qiskit, OpenQASM 3 or a drawing.

>>> import torch
>>> theta = torch.tensor([[0.1, 0.2], [0.3, 0.4]])
>>> print(daruan_draw(0.5, theta))                        # doctest: +NORMALIZE_WHITESPACE
   ┌───┐┌─────────┐┌─────────┐┌─────────┐┌─────────┐┌─────────┐
q: ┤ H ├┤ Rz(0.1) ├┤ Ry(0.2) ├┤ Rz(0.5) ├┤ Rz(0.3) ├┤ Ry(0.4) ├
   └───┘└─────────┘└─────────┘└─────────┘└─────────┘└─────────┘
>>> daruan_qiskit(0.5, theta).num_qubits
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..export import draw, to_qasm3, to_qiskit
from ..ir import Circuit
from .ansatz import daruan_angles, daruan_circuit, get_ansatz
from .core import encode, validate_daruan_inputs

if TYPE_CHECKING:
    from qiskit import QuantumCircuit

__all__ = ["daruan_bound_angles", "daruan_draw", "daruan_qasm3", "daruan_qiskit"]


def daruan_bound_angles(
    x: float | torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: str = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
) -> torch.Tensor:
    """Slot angles of one DARUAN at input ``x``.

    Args:
        x: a scalar input.
        theta: the angles of ONE activation: (r+1, 2) for pz, (r+1,) for rpz, (r,) for real
            (in general ``theta_shape(ansatz, r)``).
        ansatz: the ansatz.
        w, b: pre-activations, shape (r,), or None (w = 1, b = 0).

    Returns:
        Angles in slot order of ``daruan_circuit(ansatz, r)``, shape (n_slots,).

    Raises:
        TypeError: a non-number x, a non-tensor θ (and :func:`validate_daruan_inputs`'s).
        ValueError: a non-scalar x, parameters with leading dims (and the shape checks).

    >>> theta = torch.tensor([[0.1, 0.2], [0.3, 0.4]])              # pz, r = 1
    >>> [round(v, 4) for v in daruan_bound_angles(0.5, theta).tolist()]   # z_0 = x in slot 2
    [0.1, 0.2, 0.5, 0.3, 0.4]
    >>> w, b = torch.tensor([2.0]), torch.tensor([0.25])
    >>> round(float(daruan_bound_angles(0.5, theta, w=w, b=b)[2]), 4)     # w·x + b
    1.25
    """
    if isinstance(x, bool) or not isinstance(x, (int, float, torch.Tensor)):
        raise TypeError(f"x must be a number or a 0-d tensor, got {x!r} ({type(x).__name__})")
    if not isinstance(theta, torch.Tensor):
        raise TypeError(f"theta must be a torch.Tensor, got {type(theta).__name__}")
    xt = torch.as_tensor(x, dtype=theta.dtype if theta.is_floating_point() else None)
    if xt.dim() != 0:
        raise ValueError(f"x must be a scalar for export, got shape {tuple(xt.shape)}")
    reps = validate_daruan_inputs(xt, theta, ansatz, w, b, "z")
    lead = theta.shape[: -get_ansatz(ansatz).theta_ndim]
    if lead or any(t is not None and t.dim() != 1 for t in (w, b)):
        raise ValueError("export takes the parameters of one activation (no leading dims)")
    return daruan_angles(encode(xt, reps, w, b), theta, ansatz).detach()


def _bound(
    x: float | torch.Tensor,
    theta: torch.Tensor,
    ansatz: str,
    w: torch.Tensor | None,
    b: torch.Tensor | None,
) -> tuple[Circuit, torch.Tensor]:
    reps = get_ansatz(ansatz).reps_of(theta.shape)
    angles = daruan_bound_angles(x, theta, ansatz=ansatz, w=w, b=b)
    return daruan_circuit(ansatz, reps), angles


def daruan_qiskit(
    x: float | torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: str = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
) -> QuantumCircuit:
    """The DARUAN at input ``x`` as a bound ``qiskit.QuantumCircuit`` (one qubit); arguments
    as :func:`daruan_bound_angles`."""
    return to_qiskit(*_bound(x, theta, ansatz, w, b))


def daruan_qasm3(
    x: float | torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: str = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
) -> str:
    """The DARUAN at input ``x`` as an OpenQASM 3 program; arguments as
    :func:`daruan_bound_angles`.

    >>> theta = torch.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=torch.float64)   # pz, r = 1
    >>> print(daruan_qasm3(0.5, theta))
    OPENQASM 3.0;
    include "stdgates.inc";
    qubit[1] q;
    h q[0];
    rz(0.1) q[0];
    ry(0.2) q[0];
    rz(0.5) q[0];
    rz(0.3) q[0];
    ry(0.4) q[0];
    """
    return to_qasm3(*_bound(x, theta, ansatz, w, b))


def daruan_draw(
    x: float | torch.Tensor,
    theta: torch.Tensor,
    *,
    ansatz: str = "pz",
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
) -> str:
    """A text drawing of the DARUAN at input ``x`` (angles rounded by Qiskit's drawer)."""
    return draw(*_bound(x, theta, ansatz, w, b))
