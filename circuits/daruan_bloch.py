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
from collections.abc import Callable
from typing import Literal

import torch

from .daruan_def import Ansatz

__all__ = ["Readout", "apply_readout", "bloch_expval"]

Readout = Literal["z", "abs"]


def apply_readout(expval_z: torch.Tensor, readout: Readout) -> torch.Tensor:
    """Map exact ``⟨Z⟩`` to the chosen readout (``"z"``: unchanged; ``"abs"``: |α| - |β|)."""
    if readout == "z":
        return expval_z
    one = torch.ones((), dtype=expval_z.dtype, device=expval_z.device)
    plus = (one + expval_z).clamp_min(0.0).sqrt()
    minus = (one - expval_z).clamp_min(0.0).sqrt()
    return (plus - minus) * (1.0 / math.sqrt(2.0))


def _rz(x: torch.Tensor, y: torch.Tensor, phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    c, s = torch.cos(phi), torch.sin(phi)
    return torch.addcmul(x * c, y, s, value=-1.0), torch.addcmul(x * s, y, c)


def _ry(
    x: torch.Tensor, z: torch.Tensor, c: torch.Tensor, s: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.addcmul(x * c, z, s), torch.addcmul(z * c, x, s, value=-1.0)


PhaseFn = Callable[[int], torch.Tensor]


def _pz(phase: PhaseFn, reps: int, theta: torch.Tensor) -> torch.Tensor:
    # theta: (..., r+1, 2); phase(l) = w_l x + b_l + θ_{l+1,0} (RZ(z_l) merged with RZ(θ_l+1,0))
    ry = theta[..., 1].movedim(-1, 0)  # (r+1, ...): one contiguous slice per layer
    c, s = torch.cos(ry), torch.sin(ry)
    # H|0> = (1, 0, 0); RZ(θ_0,0); RY(θ_0,1): the batch-independent start
    t00 = theta[..., 0, 0]
    y = torch.sin(t00)
    x, z = _ry(torch.cos(t00), torch.zeros_like(t00), c[0], s[0])
    for layer in range(reps):
        x, y = _rz(x, y, phase(layer))
        if layer == reps - 1:
            break
        x, z = _ry(x, z, c[layer + 1], s[layer + 1])
    return torch.addcmul(z * c[reps], x, s[reps], value=-1.0)  # Z after the last RY


def _rpz(phase: PhaseFn, reps: int, theta: torch.Tensor) -> torch.Tensor:
    # theta: (..., r+1); phase(l) = w_l x + b_l
    ry = theta.movedim(-1, 0)  # (r+1, ...)
    c, s = torch.cos(ry), torch.sin(ry)
    x, z = c[0], -s[0]  # RY(θ_0) on (1, 0, 0)
    y = torch.zeros_like(x)
    for layer in range(reps):
        x, y = _rz(x, y, phase(layer))
        if layer == reps - 1:
            break
        x, z = _ry(x, z, c[layer + 1], s[layer + 1])
    return torch.addcmul(z * c[reps], x, s[reps], value=-1.0)


def _real(phase: PhaseFn, reps: int, theta: torch.Tensor) -> torch.Tensor:
    # X RY(θ) Z RY(z): every gate keeps Y = 0, so the state lives in the (Z, X) plane.
    ry = theta.movedim(-1, 0)  # (r, ...)
    c, s = torch.cos(ry), torch.sin(ry)
    x = torch.ones_like(theta[..., 0])
    z = torch.zeros_like(x)
    for layer in range(reps):
        x, z = _ry(x, -z, c[layer], s[layer])  # X: z -> -z, then RY(θ_l)
        x = -x  # Z
        p = phase(layer)
        cz, sz = torch.cos(p), torch.sin(p)
        if layer == reps - 1:
            return torch.addcmul(z * cz, x, sz, value=-1.0)
        x, z = _ry(x, z, cz, sz)
    raise AssertionError("unreachable")  # pragma: no cover


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

    The encoded input of layer l, ``z_l = w_l·x + b_l``, is formed one layer at a time (one
    fused multiply-add into a contiguous tensor), merged with the ``RZ(θ_l+1,0)`` that
    follows it in ``pz``.

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
        merged = theta[..., 1:, 0]
        offset = merged if b is None else b + merged  # (..., r)
    else:
        reps = theta.shape[-1] - (ansatz == "rpz")
        offset = b
    off = None if offset is None else offset.movedim(-1, 0)  # (r, ...)
    wl = None if w is None else w.movedim(-1, 0)  # (r, ...)

    def phase(layer: int) -> torch.Tensor:
        if wl is None:
            return x if off is None else x + off[layer]
        if off is None:
            return x * wl[layer]
        return torch.addcmul(off[layer], x, wl[layer])

    engine = {"pz": _pz, "rpz": _rpz, "real": _real}[ansatz]
    return apply_readout(engine(phase, reps, theta), readout)
