"""The ``bloch`` executor of DARUAN: closed-form SU(2) products in their Bloch form.

A single-qubit pure state ``|ψ⟩`` is fully described (up to a global phase, which no
expectation sees) by its Bloch vector ``(⟨X⟩, ⟨Y⟩, ⟨Z⟩)``, and an SU(2) gate acts on it as the
SO(3) rotation of its adjoint representation:

- ``RZ(φ)`` rotates ``(X, Y)`` by φ: ``X' = X cos φ - Y sin φ``, ``Y' = X sin φ + Y cos φ``;
- ``RY(φ)`` rotates ``(Z, X)`` by φ: ``X' = X cos φ + Z sin φ``, ``Z' = Z cos φ - X sin φ``;
- ``X`` maps ``(X, Y, Z) -> (X, -Y, -Z)``; ``Z`` maps it to ``(-X, -Y, Z)``;
  ``H|0⟩`` is ``(1, 0, 0)``.

So the whole circuit is a handful of real multiply-adds per gate on three real tensors — the
same numbers as the 2x2 complex matrix products, with fewer operations and no complex
arithmetic. The schedule is derived from the ansatz table
(:mod:`qmem.circuits.daruan.ansatz`): a data rotation followed by a trainable rotation about
the same axis merges into one (``RZ(z_l)`` then ``RZ(θ_l+1,0)`` is ``RZ(z_l + θ_l+1,0)``) when
every layer allows it. Ansätze with gates outside ``RZ, RY, X, Z`` are not supported here.

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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch

from ..emulation.bloch import BlochGate, bloch_run
from ..executors import CircuitKind, register_executor
from .ansatz import derived_cache, get_ansatz

__all__ = [
    "BlochExecutor",
    "BlochSchedule",
    "Readout",
    "apply_readout",
    "bloch_expval",
    "bloch_schedule",
    "bloch_supports",
]

Readout = Literal["z", "abs"]
"""A DARUAN readout: ``"z"`` the exact expectation ⟨Z⟩, ``"abs"`` qkan's |α| - |β| (a
deterministic function of ⟨Z⟩, see :func:`apply_readout`)."""

_BLOCH_GATES = {"RZ": "rz", "RY": "ry", "X": "x", "Z": "z"}


def apply_readout(expval_z: torch.Tensor, readout: Readout) -> torch.Tensor:
    """Map exact ``⟨Z⟩`` to the chosen readout (``"z"``: unchanged; ``"abs"``: |α| - |β|).

    Args:
        expval_z: exact ⟨Z⟩ values in [-1, 1], any shape.
        readout: ``"z"`` or ``"abs"``.

    Returns:
        The readout, same shape; for ``"abs"`` ``(√(1+⟨Z⟩) - √(1-⟨Z⟩))/√2`` (its gradient
        kept finite at ⟨Z⟩ = ±1).

    >>> z = torch.tensor([1.0, 0.0, -0.6], dtype=torch.float64)
    >>> [round(v, 4) for v in apply_readout(z, "abs").tolist()]   # |0>: 1; |+>: 0
    [1.0, 0.0, -0.4472]
    >>> apply_readout(z, "z") is z
    True
    """
    if readout == "z":
        return expval_z
    one = torch.ones((), dtype=expval_z.dtype, device=expval_z.device)
    tiny = torch.finfo(expval_z.dtype).tiny  # keeps the gradient finite at |⟨Z⟩| = 1
    plus = (one + expval_z).clamp_min(tiny).sqrt()
    minus = (one - expval_z).clamp_min(tiny).sqrt()
    return (plus - minus) * (1.0 / math.sqrt(2.0))


@derived_cache
def bloch_supports(ansatz: str) -> bool:
    """Whether the Bloch engine runs ``ansatz`` (its gates are among RZ, RY, X, Z).

    >>> bloch_supports("pz")
    True
    """
    spec = get_ansatz(ansatz)
    return all(gate in _BLOCH_GATES for gate, _ in (*spec.layer, *spec.final))


@dataclass(frozen=True)
class BlochSchedule:
    """The Bloch-engine program of one ansatz at ``reps`` re-uploadings.

    Attributes:
        gates: ``(kind, source, index)`` after ``H``, as :func:`bloch_run` reads them
            (``"f"`` indexes ``fixed``, ``"d"`` the layer).
        fixed: per ``"f"`` gate, its column of θ flattened over its trailing dims.
        offsets: per layer, the θ column merged into its data rotation, or None.

    >>> s = bloch_schedule("real", 1)                      # X RY(θ_0) Z RY(z_0): no merge
    >>> s.gates, s.fixed, s.offsets
    ((('x', None, 0), ('ry', 'f', 0), ('z', None, 0), ('ry', 'd', 0)), (0,), None)
    >>> bloch_schedule("rpz", 2).offsets                 # RZ(z_l) never meets an RZ(θ)
    >>> bloch_schedule("pz", 2).offsets                  # RZ(z_l) RZ(θ_l+1,0): merged
    (2, 4)
    """

    gates: tuple[BlochGate, ...]
    fixed: tuple[int, ...]
    offsets: tuple[int, ...] | None


@derived_cache
def bloch_schedule(ansatz: str, reps: int) -> BlochSchedule:
    """The :class:`BlochSchedule` derived from the ansatz table.

    >>> s = bloch_schedule("pz", 1)
    >>> s.gates, s.fixed, s.offsets
    ((('rz', 'f', 0), ('ry', 'f', 1), ('rz', 'd', 0), ('ry', 'f', 2)), (0, 1, 3), (2,))
    """
    spec = get_ansatz(ansatz)
    if not bloch_supports(ansatz):
        raise ValueError(f"ansatz {ansatz!r} has gates the Bloch engine does not run")
    seq = spec.gates(reps)
    # merge each data rotation with a same-axis θ rotation right after it, if all layers can
    merge = all(
        k + 1 < len(seq) and seq[k + 1][1] == "theta" and seq[k + 1][0] == gate
        for k, (gate, kind, _) in enumerate(seq)
        if kind == "data"
    )
    gates: list[BlochGate] = []
    fixed: list[int] = []
    offsets: list[int] = []
    skip = False
    for k, (gate, kind, index) in enumerate(seq):
        if skip:
            skip = False
            continue
        name = _BLOCH_GATES[gate]
        if kind is None:
            gates.append((name, None, 0))  # type: ignore[arg-type]
        elif kind == "theta":
            gates.append((name, "f", len(fixed)))  # type: ignore[arg-type]
            fixed.append(index)
        else:
            gates.append((name, "d", index))  # type: ignore[arg-type]
            if merge:
                offsets.append(seq[k + 1][2])
                skip = True
    return BlochSchedule(tuple(gates), tuple(fixed), tuple(offsets) if merge else None)


_INDEX: dict[tuple[tuple[int, ...], torch.device], torch.Tensor] = {}


def _columns(theta: torch.Tensor, nd: int, cols: tuple[int, ...]) -> torch.Tensor:
    """θ's columns ``cols`` (of θ flattened over its ``nd`` trailing dims), first: (c, ...)."""
    flat = theta.flatten(-nd) if nd > 1 else theta  # (..., n_θ)
    if cols == tuple(range(flat.shape[-1])):
        return flat.movedim(-1, 0).contiguous()
    key = (cols, theta.device)
    index = _INDEX.get(key)
    if index is None:
        with torch.inference_mode(False):  # cached for every caller: a normal tensor
            index = _INDEX[key] = torch.tensor(cols, device=theta.device)
    return flat.index_select(-1, index).movedim(-1, 0).contiguous()  # (c, ...)


def _layer_first(t: torch.Tensor, ndim: int) -> torch.Tensor:
    """(..., r) -> (r, 1, ..., 1, ...): the layer axis first, the leading dims right-aligned
    in ``ndim`` dims (``ndim >= t.dim() - 1``), so terms of different ranks broadcast."""
    r = t.shape[-1]
    return t.movedim(-1, 0).reshape(r, *([1] * (ndim + 1 - t.dim())), *t.shape[:-1])


def bloch_expval(
    x: torch.Tensor,
    theta: torch.Tensor,
    ansatz: str,
    *,
    w: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
    readout: Readout = "z",
) -> torch.Tensor:
    """Exact DARUAN output (no validation; see ``qmem.circuits.daruan``).

    The encoded inputs of all layers, ``z_l = w_l·x + b_l``, are formed at once as one
    (r, ...) tensor, merged with the θ rotation that follows each where the schedule merges
    them; the gates then run on :func:`~qmem.circuits.emulation.bloch.bloch_run`
    (hand-written adjoint backward).

    Args:
        x: inputs, shape (...), broadcast against the parameters' leading dims.
        theta: angles, shape (..., *theta_shape(ansatz, r)).
        ansatz: a registered ansatz the Bloch engine runs.
        w: pre-activation weights (..., r) or None (w = 1).
        b: pre-activation biases (..., r) or None (b = 0).
        readout: ``"z"`` (exact ⟨Z⟩) or ``"abs"`` (|α| - |β|).

    Returns:
        φ, shape: the broadcast of ``x.shape`` and the parameters' leading dims.
    """
    spec = get_ansatz(ansatz)
    nd = spec.theta_ndim
    reps = spec.reps_of(theta.shape)
    plan = bloch_schedule(spec.name, reps)
    offset = b
    if plan.offsets is not None:  # θ merged into the data rotation before it: (..., r)
        merged = _columns(theta, nd, plan.offsets).movedim(0, -1)
        offset = merged if b is None else b + merged
    fixed = _columns(theta, nd, plan.fixed)  # (n_fixed, ...)
    if w is None:  # every layer encodes x itself: its trig is shared by all layers
        data = None if offset is None else offset.movedim(-1, 0).contiguous()  # (r, ...)
        out = bloch_run(plan.gates, fixed, data, x)
    else:  # z_l = w_l x + offset_l, all layers at once, layer axis first
        # align every term's leading dims on the right of one (r, *ndim) layout: offset
        # carries b's and (merged) θ's leading dims, which may be longer than x's and w's
        ndim = max(x.dim(), w.dim() - 1, -1 if offset is None else offset.dim() - 1)
        data = x * _layer_first(w, ndim)  # (r, ...)
        if offset is not None:
            data = data + _layer_first(offset, ndim)  # (r, ...)
        out = bloch_run(plan.gates, fixed, data)
    return apply_readout(out, readout)


class BlochExecutor:
    """``"bloch"``: DARUAN on the closed-form Bloch engine (any w, b, readout).

    ``unsupported(job)`` names why a job cannot run here (an ansatz with gates outside RZ,
    RY, X, Z), None when it can; ``run(job, options)`` returns ⟨Z⟩ on the one readout wire,
    shape (..., 1), the readout applied afterwards by
    :func:`~qmem.circuits.daruan.core.run_daruan`.

    >>> from qmem.circuits.daruan.core import DaruanJob
    >>> from qmem.circuits.executors import get_executor
    >>> x = torch.tensor([[0.0], [0.5]], dtype=torch.float64)        # (2, 1): 2 samples
    >>> theta = torch.full((3, 2, 2), 0.3, dtype=torch.float64)      # 3 edges, pz, r = 1
    >>> w = torch.tensor([[1.0], [2.0], [3.0]], dtype=torch.float64) # (3, 1): per edge
    >>> job = DaruanJob(x, theta, "pz", w, None, "z", 1)
    >>> out = BlochExecutor().run(job, {})
    >>> out.shape, torch.allclose(out, get_executor("statevector").run(job, {}), atol=1e-12)
    (torch.Size([2, 3, 1]), True)
    """

    name = "bloch"
    kinds: tuple[CircuitKind, ...] = ("daruan",)
    options: tuple[str, ...] = ()

    def unsupported(self, job: Any) -> str | None:
        if not bloch_supports(job.ansatz):
            return f"runs only ansätze of RZ, RY, X, Z gates, not {job.ansatz!r}"
        return None

    def run(self, job: Any, options: Mapping[str, Any]) -> torch.Tensor:
        out = bloch_expval(job.x, job.theta, job.ansatz, w=job.w, b=job.b)
        return out.unsqueeze(-1)  # (..., 1): ⟨Z⟩ on the one readout wire


register_executor(BlochExecutor())
