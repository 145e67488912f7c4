"""The ``statevector`` executor of DARUAN: closed-form SU(2) products in their Bloch form.

A single-qubit pure state ``|ψ⟩`` is fully described (up to a global phase, which no
expectation sees) by its Bloch vector ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)``, and an SU(2) gate acts on it as the
SO(3) rotation of its adjoint representation:

- ``RZ(φ)`` rotates ``(X, Y)`` by φ: ``X' = X cos φ - Y sin φ``, ``Y' = X sin φ + Y cos φ``;
- ``RY(φ)`` rotates ``(Z, X)`` by φ: ``X' = X cos φ + Z sin φ``, ``Z' = Z cos φ - X sin φ``;
- ``X`` maps ``(X, Y, Z) -> (X, -Y, -Z)``; ``Z`` maps it to ``(-X, -Y, Z)``;
  ``H|0⟩`` is ``(1, 0, 0)``.

So the whole circuit is a handful of real multiply-adds per gate on three real tensors — the
same numbers as the 2x2 complex matrix products, with fewer operations and no complex
arithmetic. Consecutive ``RZ`` gates merge (``RZ(z_l)`` followed by ``RZ(θ_l+1,0)`` is
``RZ(z_l + θ_l+1,0)``), and the last ``RY`` only needs the Z component.

The readout ``"z"`` is the exact ``⟨Z⟩``; ``"abs"`` is ``qkan``'s ``|α| - |β|`` which, for a
pure qubit state with ``|α|² = (1 + ⟨Z⟩)/2``, equals ``(√(1+⟨Z⟩) - √(1-⟨Z⟩))/√2`` — a
deterministic function of ``⟨Z⟩``, not itself a quantum expectation.

>>> import math
>>> theta = torch.zeros(2, 2, dtype=torch.float64)       # pz, r = 1: H RZ(0) RY(0) RZ(x) ...
>>> x = torch.tensor(0.3, dtype=torch.float64)
>>> float(bloch_expval(x, theta, "pz"))                     # H|0> stays on the equator
0.0
>>> theta = torch.tensor([[0.0, math.pi / 2], [0.0, 0.0]], dtype=torch.float64)
>>> round(float(bloch_expval(x, theta, "pz")), 12)          # RY(π/2) takes |+> to |1>
-1.0
"""

from __future__ import annotations

import math
from typing import Literal

import torch

from .bloch_engine import BlochGate, bloch_run
from .daruan_def import Ansatz

__all__ = ["Readout", "apply_readout", "bloch_expval"]

Readout = Literal["z", "abs"]


def apply_readout(expval_z: torch.Tensor, readout: Readout) -> torch.Tensor:
    """Map exact ``⟨Z⟩`` to the chosen readout (``"z"``: unchanged; ``"abs"``: |α| - |β|)."""
    if readout == "z":
        return expval_z
    one = torch.ones((), dtype=expval_z.dtype, device=expval_z.device)
    tiny = torch.finfo(expval_z.dtype).tiny  # keeps the gradient finite at |⟨Z⟩| = 1
    plus = (one + expval_z).clamp_min(tiny).sqrt()
    minus = (one - expval_z).clamp_min(tiny).sqrt()
    return (plus - minus) * (1.0 / math.sqrt(2.0))


def _schedule(ansatz: Ansatz, reps: int) -> tuple[BlochGate, ...]:
    """Gates after H: ``f`` indexes :func:`_fixed_angles`, ``d`` the encoded layers."""
    gates: list[BlochGate] = []
    if ansatz == "pz":  # RZ(θ_0,0) RY(θ_0,1), then per layer RZ(z_l + θ_l+1,0) RY(θ_l+1,1)
        gates += [("rz", "f", 0), ("ry", "f", 1)]
        for layer in range(reps):
            gates += [("rz", "d", layer), ("ry", "f", layer + 2)]
    elif ansatz == "rpz":  # RY(θ_0), then per layer RZ(z_l) RY(θ_l+1)
        gates.append(("ry", "f", 0))
        for layer in range(reps):
            gates += [("rz", "d", layer), ("ry", "f", layer + 1)]
    else:  # real: per layer X RY(θ_l) Z RY(z_l)
        for layer in range(reps):
            gates += [("x", None, 0), ("ry", "f", layer), ("z", None, 0), ("ry", "d", layer)]
    return tuple(gates)


def _fixed_angles(ansatz: Ansatz, theta: torch.Tensor) -> torch.Tensor:
    """The batch-independent angles in the order :func:`_schedule` reads them."""
    if ansatz == "pz":  # θ_0,0 then θ_l,1 for l = 0..r: (r+2, ...)
        return torch.cat([theta[..., :1, 0], theta[..., 1]], dim=-1).movedim(-1, 0).contiguous()
    return theta.movedim(-1, 0).contiguous()  # (r+1, ...) for rpz, (r, ...) for real


def bloch_expval(
    x: torch.Tensor,
    theta: torch.Tensor,
    ansatz: Ansatz,
    *,
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
    readout: Readout = "z",
) -> torch.Tensor:
    """Exact DARUAN output (no validation; see ``qmem.circuits.daruan``).

    The encoded inputs of all layers, ``z_l = w_l·x + b_l``, are formed at once as one
    (r, ...) tensor, merged with the ``RZ(θ_l+1,0)`` that follows each in ``pz``; the gates
    then run on :func:`~qmem.circuits.bloch_engine.bloch_run` (hand-written adjoint backward).

    Args:
        x: inputs, shape (...), broadcast against the parameters' leading dims.
        theta: angles, shape (..., r+1, 2) for pz, (..., r+1) for rpz, (..., r) for real.
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        w: pre-activation weights (..., r) or None (w = 1).
        b: pre-activation biases (..., r) or None (b = 0).
        readout: ``"z"`` (exact ⟨Z⟩) or ``"abs"`` (|α| - |β|).

    Returns:
        φ, shape: the broadcast of ``x.shape`` and the parameters' leading dims.
    """
    if ansatz == "pz":
        reps = theta.shape[-2] - 1
        merged = theta[..., 1:, 0]  # RZ(θ_l+1,0) merges with the data RZ before it
        offset = merged if b is None else b + merged  # (..., r)
    else:
        reps = theta.shape[-1] - (ansatz == "rpz")
        offset = b
    fixed = _fixed_angles(ansatz, theta)
    gates = _schedule(ansatz, reps)
    if w is None:  # every layer encodes x itself: its trig is shared by all layers
        data = None if offset is None else offset.movedim(-1, 0).contiguous()  # (r, ...)
        out = bloch_run(gates, fixed, data, x)
    else:  # z_l = w_l x + offset_l, all layers at once, layer axis first
        ndim = max(x.dim(), w.dim() - 1)
        w_first = w.movedim(-1, 0).reshape(reps, *([1] * (ndim + 1 - w.dim())), *w.shape[:-1])
        data = x * w_first  # (r, ...)
        if offset is not None:
            data = data + offset.movedim(-1, 0).reshape(
                reps, *([1] * (ndim + 1 - offset.dim())), *offset.shape[:-1]
            )
        out = bloch_run(gates, fixed, data)
    return apply_readout(out, readout)
