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
>>> z = torch.tensor([[0.3]], dtype=torch.float64)
>>> float(bloch_expval(z, theta, "pz"))                     # H|0> stays on the equator
0.0
>>> theta = torch.tensor([[0.0, math.pi / 2], [0.0, 0.0]], dtype=torch.float64)
>>> round(float(bloch_expval(z, theta, "pz")), 12)          # RY(π/2) takes |+> to |1>
-1.0
"""

from __future__ import annotations

import math
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
    return x * c - y * s, x * s + y * c


def _ry(
    x: torch.Tensor, z: torch.Tensor, c: torch.Tensor, s: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    return x * c + z * s, z * c - x * s


def _pz(phases: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    # phases: (..., r) = z_l + θ_{l+1,0}; theta: (..., r+1, 2)
    reps = phases.shape[-1]
    c = torch.cos(theta[..., 1])  # (..., r+1) RY cosines
    s = torch.sin(theta[..., 1])
    # H|0> = (1, 0, 0); RZ(θ_0,0); RY(θ_0,1): batch-independent start
    t00 = theta[..., 0, 0]
    x0, y, z = torch.cos(t00), torch.sin(t00), torch.zeros_like(t00)
    x, z = _ry(x0, z, c[..., 0], s[..., 0])
    for layer in range(reps):
        x, y = _rz(x, y, phases[..., layer])
        if layer == reps - 1:
            return z * c[..., reps] - x * s[..., reps]
        x, z = _ry(x, z, c[..., layer + 1], s[..., layer + 1])
    raise AssertionError("unreachable")  # pragma: no cover


def _rpz(phases: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    # phases: (..., r) = z_l; theta: (..., r+1)
    reps = phases.shape[-1]
    c, s = torch.cos(theta), torch.sin(theta)  # (..., r+1)
    x, z = c[..., 0], -s[..., 0]  # RY(θ_0) on (1, 0, 0)
    y = torch.zeros_like(x)
    for layer in range(reps):
        x, y = _rz(x, y, phases[..., layer])
        if layer == reps - 1:
            return z * c[..., reps] - x * s[..., reps]
        x, z = _ry(x, z, c[..., layer + 1], s[..., layer + 1])
    raise AssertionError("unreachable")  # pragma: no cover


def _real(phases: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    # X RY(θ) Z RY(z): every gate keeps Y = 0, so the state lives in the (Z, X) plane.
    reps = phases.shape[-1]
    c, s = torch.cos(theta), torch.sin(theta)  # (..., r)
    x = torch.ones_like(theta[..., 0])
    z = torch.zeros_like(x)
    for layer in range(reps):
        # X: z -> -z; RY(θ); Z: x -> -x
        x, z = _ry(x, -z, c[..., layer], s[..., layer])
        x = -x
        cz, sz = torch.cos(phases[..., layer]), torch.sin(phases[..., layer])
        if layer == reps - 1:
            return z * cz - x * sz
        x, z = _ry(x, z, cz, sz)
    raise AssertionError("unreachable")  # pragma: no cover


def bloch_expval(
    z: torch.Tensor, theta: torch.Tensor, ansatz: Ansatz, readout: Readout = "z"
) -> torch.Tensor:
    """Exact DARUAN output for encoded inputs ``z`` (no validation; see ``daruan``).

    Args:
        z: encoded inputs ``w_l·x + b_l``, shape (..., r).
        theta: angles, shape (..., r+1, 2) for pz, (..., r+1) for rpz, (..., r) for real;
            leading dims broadcast against those of ``z``.
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        readout: ``"z"`` (exact ⟨Z⟩) or ``"abs"`` (|α| - |β|).

    Returns:
        φ, shape: the broadcast of the leading dims of ``z`` and ``theta``.
    """
    if ansatz == "pz":
        phases = z + theta[..., 1:, 0]  # merge RZ(z_l) with the next RZ(θ_l+1,0)
        out = _pz(phases, theta)
    elif ansatz == "rpz":
        out = _rpz(z, theta)
    else:
        out = _real(z, theta)
    return apply_readout(out, readout)
