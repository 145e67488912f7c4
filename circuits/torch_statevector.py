"""Exact state-vector emulation of any :class:`~qmem.circuits.ir.Circuit` in plain torch.

Two paths, both differentiable to any order, float32 (complex64) or float64 (complex128),
on the caller's device (CPU or CUDA, no host round trips):

``"dense"`` — fast because of structure. Every wire's single-qubit gates before its first
two-qubit gate form the *prefix*: they make a product state, built per sample in closed form
(one 2x2 matrix per wire applied to ``|0⟩``, then a Kronecker product). The remaining gates
form the *block*, a ``2^n x 2^n`` unitary ``U``. When the block's angles are the same for
the whole batch (a VQC's trainable weights, passed as ``shared_angles``), ``U`` is built once
per call, so a batch costs one product-state build, one ``(2^n, 2^n) x (2^n, B)`` complex
matmul and a ``|amplitude|²`` readout. If some block angles differ per sample, ``U`` gets
the batch dimension too (correct, but no longer one matmul).

How ``U`` is built: each run of single-qubit gates becomes one 2x2 matrix per wire; a gate
``cos(θ/2)·A + sin(θ/2)·B`` equals ``e^{iθ/2}·P + e^{-iθ/2}·Q``, so the product of a wire's
gates is ``Σ_k (Π_d e^{±iθ_d/2})·C_k`` with constant ``C_k``: one gather, a few products and
one matmul for *all* runs and wires at once. Fixed gates (H, X, …) are folded into the
constants. A run of CNOT/CZ gates is a signed permutation, folded into the column indices
of the next layer's Kronecker product, which is itself one gather and ``n - 1`` products
(up to 6 qubits; at 7 and 8 the layers are applied to ``U`` wire by wire).
At VQC sizes the cost is the number of tensor ops, not flops, and this keeps it to a few
dozen per forward pass whatever the depth. Per-sample tensors keep the batch as their last
dimension so that gathers copy contiguous rows. Memory and time grow as ``n·4^n``, so the
path is limited to :data:`DENSE_MAX_QUBITS` qubits (``ValueError`` past it).

Its common case (per-sample prefix, shared block, up to 6 qubits, at most 3 rotations per
wire and run) is ONE autograd node with a hand-written backward: the forward also builds
``dψ/dθ`` per sample (a coefficient's derivative is itself times ``±i/2``), the backward is
a few matmuls plus, for the block's angles, one-wire partial traces of
``F_s P_s (∂L/∂U)^† U P_s^† F_s^†`` (``P_s`` the layers before layer ``s``, ``F_s`` its
CNOT/CZ run). About 25 tensor ops forward and 20 backward for the QLSTM circuit, against
~60 autograd nodes; a backward with ``create_graph=True`` recomputes through plain autograd
(so higher derivatives stay exact). Other dense cases run in plain autograd.

``"gates"`` — gate by gate: the state is a ``(..., 2^n)`` vector and every gate is one
``einsum`` (single-qubit, on a ``(..., 2^w, 2, 2^(n-w-1))`` view) or one index/multiply op
(CNOT/CZ). No qubit limit beyond memory (``B·2^n`` amplitudes); used past the dense limit
and as an independent check.

``"auto"`` (the default) takes ``"dense"`` up to :data:`DENSE_MAX_QUBITS` and ``"gates"``
beyond.

Conventions are the IR's: wire 0 is the most significant bit of a basis index,
``RX(φ) = exp(-iφX/2)`` etc., readout ``⟨Z_w⟩``.

>>> from qmem.circuits.ir import Circuit, Op
>>> c = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1))), ("t",), (0, 1))
>>> theta = torch.tensor([[0.0], [torch.pi / 3]], dtype=torch.float64)
>>> expval_z(c, theta)
tensor([[1.0000, 1.0000],
        [0.5000, 0.5000]], dtype=torch.float64)
>>> torch.allclose(expval_z(c, theta, method="gates"), expval_z(c, theta, method="dense"))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor

from .ir import Circuit

__all__ = [
    "DENSE_MAX_QUBITS",
    "Method",
    "block_unitary",
    "complex_dtype",
    "expval_z",
    "prefix_and_block",
    "shared_unitary",
]

Method = Literal["auto", "dense", "gates"]
_METHODS: tuple[str, ...] = ("auto", "dense", "gates")

DENSE_MAX_QUBITS = 8
"""Largest qubit count of the dense path. Building ``U`` costs ~n·4^n per layer whatever the
batch, and ``U`` has 4^n entries (1 MiB in complex128 at 8 qubits); measured here (CPU, one
thread, chen2020, 2 layers, batch 32, forward+backward) dense vs gate by gate is 0.56 vs
8.5 ms at 5 qubits, 7 vs 16 ms at 7, even at 8 and 1000 vs 57 ms at 10. Past it, ``"auto"`` runs
gate by gate and ``"dense"`` raises ``ValueError``."""

# Up to this many qubits, Kronecker products are built as one gather + product (4^n entries
# per factor); beyond, wire by wire.
_GATHER_MAX_QUBITS = 6
# Single-qubit factors fused per coefficient expansion (2^3 = 8 terms).
_CHUNK = 3

_COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}
_REAL = {c: r for r, c in _COMPLEX.items()}

_S2 = 1 / math.sqrt(2)
_FIXED_1Q = {
    "H": np.array([[_S2, _S2], [_S2, -_S2]], dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
# R(θ) = cos(θ/2)·I + sin(θ/2)·B with B = -i·Pauli
_ROT_B = {
    "RX": np.array([[0, -1j], [-1j, 0]], dtype=np.complex128),
    "RY": np.array([[0, -1], [1, 0]], dtype=np.complex128),
    "RZ": np.array([[-1j, 0], [0, 1j]], dtype=np.complex128),
}
_EYE2 = np.eye(2, dtype=np.complex128)
_ZERO2 = np.zeros((2, 2), dtype=np.complex128)


def _bits(n: int, wire: int) -> np.ndarray:
    """Bit of ``wire`` in every basis index ``0..2^n-1`` (wire 0 most significant)."""
    return (np.arange(2**n) >> (n - 1 - wire)) & 1


class _Run:
    """A run of single-qubit gates, fused per wire into factors ``cos(θ/2)·A + sin(θ/2)·B``.

    Fixed gates are folded into a neighbouring rotation at plan time, so a wire has one
    factor per rotation (a wire with only fixed gates gets one constant factor, slot -1).
    """

    def __init__(self, per_wire: list[list[tuple[str, int]]]) -> None:
        self.factors: list[list[tuple[int, np.ndarray, np.ndarray]]] = []
        for gates in per_wire:
            out: list[tuple[int, np.ndarray, np.ndarray]] = []
            pending = _EYE2
            for gate, slot in gates:
                if gate in _FIXED_1Q:
                    pending = _FIXED_1Q[gate] @ pending
                else:
                    out.append((slot, pending, _ROT_B[gate] @ pending))
                    pending = _EYE2
            if not np.allclose(pending, _EYE2):
                if out:
                    slot, a, b = out[-1]
                    out[-1] = (slot, pending @ a, pending @ b)
                else:
                    out.append((-1, pending, _ZERO2))
            self.factors.append(out)


class _Fixed:
    """A run of CNOT/CZ gates as ``psi_new[j] = sign[j] * psi_old[perm[j]]``."""

    def __init__(self, n: int, gates: list[tuple[str, tuple[int, ...]]]) -> None:
        idx = np.arange(2**n)
        perm, sign = idx.copy(), np.ones(2**n)
        for gate, (a, b) in gates:
            if gate == "CNOT":  # new[j] = old[j with the target flipped if the control is set]
                src = np.where(_bits(n, a) == 1, idx ^ (1 << (n - 1 - b)), idx)
                perm, sign = perm[src], sign[src]
            else:  # CZ: phase -1 where both bits are set
                sign = np.where(_bits(n, a) & _bits(n, b), -sign, sign)
        self.perm = perm
        self.sign = sign
        self.signed = bool((sign != 1).any())


class _RunTables:
    """Device tables to evaluate a stack of ``S`` runs from an angle source of width ``m``.

    A factor ``cos(θ/2)·A + sin(θ/2)·B`` equals ``e^{iθ/2}·P + e^{-iθ/2}·Q`` with
    ``P = (A - iB)/2``, ``Q = (A + iB)/2``. Each wire's factors are fused ``_CHUNK`` at a
    time by expanding their product into ``2^D`` terms ``(Π_d e^{±iθ_d/2}) · C_k``: the
    coefficients are one gather + product of the phase table, the matrices ``C_k`` are
    constants, so a whole stack costs a handful of tensor ops whatever its size. With
    ``single=True`` (one run) the run dimension is dropped.
    """

    def __init__(
        self,
        runs: list[_Run],
        offset: int,
        m: int,
        dtype: torch.dtype,
        device: torch.device,
        single: bool = False,
    ) -> None:
        n = len(runs[0].factors)
        depth = max(1, *(len(f) for run in runs for f in run.factors))
        dc = min(depth, _CHUNK)
        nch = -(-depth // dc)
        pad = (m, _EYE2, _ZERO2)  # row m of the phase table holds (1, 1)
        idx = np.zeros((len(runs), n, nch, dc, 2**dc), dtype=np.int64)
        terms = np.zeros((len(runs), n, nch, 2**dc, 4), dtype=np.complex128)
        self.padded = False
        for s, run in enumerate(runs):
            for w, factors in enumerate(run.factors):
                rows = [(slot - offset if slot >= 0 else m, a, b) for slot, a, b in factors]
                self.padded |= len(rows) < nch * dc or any(r[0] == m for r in rows)
                rows += [pad] * (nch * dc - len(rows))
                for c in range(nch):
                    chunk = rows[c * dc : (c + 1) * dc]
                    for k in range(2**dc):
                        mat = _EYE2
                        for d, (row, a, b) in enumerate(chunk):
                            bit = (k >> d) & 1
                            idx[s, w, c, d, k] = 2 * row + bit
                            # cA + sB = e^{iθ/2}(A - iB)/2 + e^{-iθ/2}(A + iB)/2
                            mat = ((a + 1j * b) / 2 if bit else (a - 1j * b) / 2) @ mat
                        terms[s, w, c, k] = mat.reshape(4)
        self.n_chunks = nch
        if nch == 1:  # drop the chunk dimension: (S, n, dc, K) and (S, n, K, 4)
            idx, terms = idx[:, :, 0], terms[:, :, 0]
        if single:  # drop the run dimension
            idx, terms = idx[0], terms[0]
        self.idx_np = np.moveaxis(idx, -2, 0).copy()  # dc first
        self.idx = torch.as_tensor(self.idx_np, device=device)
        self.terms_np = np.ascontiguousarray(np.swapaxes(terms, -1, -2))  # (..., 4, K)
        self.terms_t = torch.as_tensor(self.terms_np, dtype=_COMPLEX[dtype], device=device)
        self.ones = torch.ones(1, 2, dtype=_COMPLEX[dtype], device=device)


class _Plan:
    """Dense-path plan of a circuit: product-state prefix, block segments, readout signs."""

    def __init__(self, circuit: Circuit) -> None:
        n = circuit.n_qubits
        self.n = n
        prefix: list[list[tuple[str, int]]] = [[] for _ in range(n)]
        entangled = [False] * n
        segments: list[_Run | _Fixed] = []
        local: list[list[tuple[str, int]]] | None = None
        fixed: list[tuple[str, tuple[int, ...]]] = []
        prefix_slots: list[int] = []
        block_slots: list[int] = []
        for op in circuit.ops:
            slot = -1 if op.slot is None else op.slot
            if len(op.wires) == 1 and not entangled[op.wires[0]]:
                prefix[op.wires[0]].append((op.gate, slot))
                if slot >= 0:
                    prefix_slots.append(slot)
                continue
            if slot >= 0:
                block_slots.append(slot)
            if len(op.wires) == 1:
                if fixed:
                    segments.append(_Fixed(n, fixed))
                    fixed = []
                if local is None:
                    local = [[] for _ in range(n)]
                local[op.wires[0]].append((op.gate, slot))
            else:
                entangled[op.wires[0]] = entangled[op.wires[1]] = True
                if local is not None:
                    segments.append(_Run(local))
                    local = None
                fixed.append((op.gate, op.wires))
        if fixed:
            segments.append(_Fixed(n, fixed))
        if local is not None:
            segments.append(_Run(local))
        self.prefix = _Run(prefix)
        self.segments = segments
        # each run absorbs the fixed run just before it (U = G_S … G_1, G = K·F), a fixed
        # run after the last single-qubit run stays on its own
        self.chain: list[tuple[_Run, _Fixed | None]] = []
        before: _Fixed | None = None
        for seg in segments:
            if isinstance(seg, _Fixed):
                before = seg
            else:
                self.chain.append((seg, before))
                before = None
        self.trailing = before
        self.prefix_slots = tuple(prefix_slots)
        self.block_slots = tuple(block_slots)
        self.prefix_end = max(prefix_slots, default=-1) + 1  # prefix reads slots < this
        self.block_start = min(block_slots, default=circuit.n_slots)  # block reads >= this
        self.z_signs = np.stack([1 - 2 * _bits(n, w) for w in circuit.readout], 1)
        self.n_slots = circuit.n_slots
        self._cache: dict[tuple[object, ...], Any] = {}

    def cached(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """Per-(dtype, device, …) tensors, built once."""
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = make()
        return value

    def kron_index(self, device: torch.device, dtype: torch.dtype) -> tuple[Tensor, Tensor | None]:
        """Gather index ``(n, S, 2^n, 2^n)`` of ``G_s = K_s·F_s`` into the flat per-wire
        matrices ``(S * n * 4, ...)``, and the column signs ``(S, 1, 2^n)`` (or ``None``)."""

        def make() -> tuple[Tensor, Tensor | None]:
            n, size = self.n, 2**self.n
            idx = np.zeros((len(self.chain), n, size, size), dtype=np.int64)
            signs = np.ones((len(self.chain), 1, size))
            for s, (_, fixed) in enumerate(self.chain):
                cols = np.arange(size)
                if fixed is not None:  # (K F)[:, j] = K[:, perm⁻¹[j]] · sign[perm⁻¹[j]]
                    cols = np.argsort(fixed.perm)
                    signs[s, 0] = fixed.sign[cols]
                for w in range(n):
                    row_bit = _bits(n, w)[:, None]
                    col_bit = _bits(n, w)[cols][None, :]
                    idx[s, w] = (s * n + w) * 4 + 2 * row_bit + col_bit
            signed = any(f is not None and f.signed for _, f in self.chain)
            sign_t = torch.as_tensor(signs, dtype=dtype, device=device) if signed else None
            return torch.as_tensor(np.moveaxis(idx, 1, 0).copy(), device=device), sign_t

        return self.cached(("kron", device, dtype), make)


_PLANS: dict[int, tuple[Circuit, _Plan]] = {}


def _plan(circuit: Circuit) -> _Plan:
    """The plan of ``circuit``, cached by identity (hashing a long gate list on every call
    costs more than evaluating the small circuits it is cached for)."""
    entry = _PLANS.get(id(circuit))
    if entry is not None and entry[0] is circuit:
        return entry[1]
    if len(_PLANS) >= 256:
        _PLANS.clear()
    plan = _Plan(circuit)
    _PLANS[id(circuit)] = (circuit, plan)
    return plan


def prefix_and_block(circuit: Circuit) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Slots of the product-state prefix and of the block, as the dense path splits them.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> prefix_and_block(Circuit(2, ops, ("a", "b"), (0,)))
    ((0,), (1,))
    """
    plan = _plan(circuit)
    return plan.prefix_slots, plan.block_slots


def _gather_prod(x: Tensor, idx: Tensor) -> Tensor:
    """``out[s, ...] = Π_d x[idx[d, s], ...]``: gather rows of ``x`` and multiply them.

    The workhorse of the dense path (per-wire coefficients, product state, Kronecker
    products). ``x`` is ``(N, *T)`` and ``idx`` ``(D, *S)``; the result is ``(*S, *T)``.
    Per-sample tensors keep the batch as their *last* dimension, so that the gather copies
    contiguous rows (several times faster than gathering along the last dimension). The
    product is plain multiplications: ``Tensor.prod``'s backward, which guards against
    zeros, costs several times more at these sizes (and so, measured, does a hand-written
    ``autograd.Function``: its Python overhead eats the saving).
    """
    rows = x.index_select(0, idx.flatten())  # (D·|S|, *T)
    parts = rows.view(*idx.shape, *x.shape[1:]).unbind(0)  # D x (*S, *T)
    out = parts[0]
    for part in parts[1:]:
        out = out * part
    return out


def _trailing(x: Tensor, t: int) -> Tensor:
    """``x`` with ``t`` trailing singleton dimensions (to broadcast against a batch)."""
    return x.reshape(*x.shape, *([1] * t))


def _phases(source: Tensor) -> Tensor:
    """Angles ``(m, *T)`` -> complex ``(m, 2, *T)``: ``(e^{iθ/2}, e^{-iθ/2})``."""
    key = (source.dtype, source.device, source.dim())
    half = _HALF.get(key)
    if half is None:
        half = torch.tensor([0.5, -0.5], dtype=source.dtype, device=source.device)
        half = _HALF[key] = _trailing(half, source.dim() - 1)  # (2, 1…)
    angle = source.unsqueeze(1) * half  # (m, 2, *T)
    return torch.complex(torch.cos(angle), torch.sin(angle))


_HALF: dict[tuple[torch.dtype, torch.device, int], Tensor] = {}


def _run_matrices(phases: Tensor, tables: _RunTables) -> Tensor:
    """Fused per-wire 2x2 matrices of a stack of runs.

    Args:
        phases: ``(e^{iθ/2}, e^{-iθ/2})`` of the angle source, shape ``(m, 2, *T)`` with at
            most one batch dimension ``T`` (last).
        tables: the runs' tables for this source.

    Returns:
        Complex ``(S, n, 4, *T)`` (``(n, 4, *T)`` for ``single`` tables): each run's
        time-ordered product per wire, row-major.
    """
    t = phases.dim() - 2
    if tables.padded:  # padding factors read the row (1, 1) and have B = 0
        ones = _trailing(tables.ones, t).expand(1, 2, *phases.shape[2:])  # (1, 2, *T)
        phases = torch.cat((phases, ones), dim=0)  # (m + 1, 2, *T)
    lead = tables.idx.dim() - 2  # idx: (dc, S, n, [nch,] K)
    coef = _gather_prod(phases.flatten(0, 1), tables.idx)  # (S, n, [nch,] K, *T)
    if t:
        mats = tables.terms_t @ coef  # (S, n, [nch,] 4, K) x (…, K, B) -> (S, n, [nch,] 4, B)
    else:
        mats = (tables.terms_t @ coef.unsqueeze(-1)).squeeze(-1)  # (S, n, [nch,] 4)
    if tables.n_chunks == 1:
        return mats
    mats = mats.movedim(tuple(range(lead + 1, lead + 1 + t)), tuple(range(t)))  # (*T, …, 4)
    parts = mats.unflatten(-1, (2, 2)).unbind(-3)  # nch x (*T, S, n, 2, 2), time order
    out = parts[0]
    for part in parts[1:]:
        out = part @ out
    out = out.flatten(-2)  # (*T, S, n, 4)
    return out.movedim(tuple(range(t)), tuple(range(out.dim() - t, out.dim())))


def _apply_per_wire(u: Tensor, mats: Tensor, n: int) -> Tensor:
    """Left-multiply ``u`` ``(..., 2^n, C)`` by ``⊗_w mats[..., w]`` one wire at a time."""
    cols = u.shape[-1]
    batch = torch.broadcast_shapes(u.shape[:-2], mats.shape[:-3])
    u = u.expand(*batch, *u.shape[-2:])  # (..., 2^n, C)
    for w in range(n):
        u = u.reshape(*batch, 2**w, 2, 2 ** (n - 1 - w) * cols)  # (..., left, 2, right·C)
        u = mats[..., w, None, :, :] @ u  # (..., 1, 2, 2) x (..., left, 2, right·C)
    return u.reshape(*batch, 2**n, cols)  # (..., 2^n, C)


def _fixed_tensors(plan: _Plan, seg: _Fixed, cdtype: torch.dtype, device: torch.device) -> Any:
    return plan.cached(
        ("fixed", id(seg), cdtype, device),
        lambda: (
            torch.as_tensor(seg.perm, device=device),
            torch.as_tensor(seg.sign, dtype=cdtype, device=device)[:, None],
        ),
    )


def _block_tables(
    plan: _Plan, m: int, offset: int, dtype: torch.dtype, device: torch.device
) -> _RunTables:
    runs = [run for run, _ in plan.chain]
    return plan.cached(
        ("block", offset, m, dtype, device), lambda: _RunTables(runs, offset, m, dtype, device)
    )


def _block_unitary(plan: _Plan, phases: Tensor, offset: int) -> Tensor | None:
    """``U`` of the block from ``phases`` ``(m, 2, *T)`` (see :func:`_phases`) of a source
    whose row ``s - offset`` holds block slot ``s``.

    Returns:
        ``(*T, 2^n, 2^n)`` (batch first, ready for matmul), or ``None`` when the block is
        empty (identity).
    """
    n, cdtype, device = plan.n, phases.dtype, phases.device
    t = phases.dim() - 2
    if not plan.chain:
        if plan.trailing is None:
            return None
        perm, sign = _fixed_tensors(plan, plan.trailing, cdtype, device)
        return torch.eye(2**n, dtype=cdtype, device=device)[perm] * sign
    tables = _block_tables(plan, phases.shape[0], offset, _REAL[cdtype], device)
    mats = _run_matrices(phases, tables)  # (S, n, 4, *T)
    if n <= _GATHER_MAX_QUBITS:
        idx, signs = plan.kron_index(device, _REAL[cdtype])
        layers = _gather_prod(mats.flatten(0, 2), idx)  # (S, 2^n, 2^n, *T): G_s = K_s F_s
        if signs is not None:
            layers = layers * _trailing(signs, t)
        if t:
            layers = layers.movedim(-1, 0)  # (B, S, 2^n, 2^n)
        parts = layers.unbind(-3)
        u = parts[0]
        for part in parts[1:]:
            u = part @ u
    else:
        mats = mats.unflatten(2, (2, 2))  # (S, n, 2, 2, *T)
        if t:
            mats = mats.movedim(-1, 0)  # (B, S, n, 2, 2)
        u = torch.eye(2**n, dtype=cdtype, device=device)
        for s, (_, fixed) in enumerate(plan.chain):
            if fixed is not None:
                perm, sign = _fixed_tensors(plan, fixed, cdtype, device)
                u = u[..., perm, :] * sign if fixed.signed else u[..., perm, :]
            u = _apply_per_wire(u, mats[..., s, :, :, :], n)
    if plan.trailing is not None:
        perm, sign = _fixed_tensors(plan, plan.trailing, cdtype, device)
        u = u[..., perm, :] * sign if plan.trailing.signed else u[..., perm, :]
    return u


def block_unitary(circuit: Circuit, block_angles: Tensor) -> Tensor:
    """The block unitary of the dense path (gates after each wire's product-state prefix).

    Args:
        circuit: the circuit (at most :data:`DENSE_MAX_QUBITS` qubits).
        block_angles: angles of the block slots, shape ``(..., len(block_slots))`` in the
            order of :func:`prefix_and_block`.

    Returns:
        ``U``, complex, shape ``(..., 2^n, 2^n)``, with ``|out⟩ = U |in⟩`` (wire 0 most
        significant).

    Raises:
        ValueError: too many qubits, or ``block_angles`` of the wrong width.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(2, (Op("CNOT", (0, 1)),), (), (0,))
    >>> block_unitary(c, torch.zeros(0)).real
    tensor([[1., 0., 0., 0.],
            [0., 1., 0., 0.],
            [0., 0., 0., 1.],
            [0., 0., 1., 0.]])
    """
    _check_dense(circuit)
    _check_float("block_angles", block_angles)
    plan = _plan(circuit)
    if block_angles.dim() == 0 or block_angles.shape[-1] != len(plan.block_slots):
        raise ValueError(
            f"block_angles must have shape (..., {len(plan.block_slots)}) (block slots), "
            f"got {tuple(block_angles.shape)}"
        )
    batch, size = block_angles.shape[:-1], 2**plan.n
    # scatter into a full-width slot vector so that block slot s reads row s
    slots = torch.as_tensor(plan.block_slots, dtype=torch.long, device=block_angles.device)
    full = block_angles.new_zeros(*batch, circuit.n_slots)  # (..., n_slots)
    full = full.index_copy(-1, slots, block_angles)
    source = full.reshape(-1, circuit.n_slots).T if batch else full  # (n_slots, [B])
    u = _block_unitary(plan, _phases(source), 0)  # ([B,] 2^n, 2^n)
    if u is None:
        eye = torch.eye(size, dtype=_COMPLEX[block_angles.dtype], device=block_angles.device)
        return eye.expand(*batch, size, size)
    return u.expand(*batch, size, size) if u.dim() == 2 else u.reshape(*batch, size, size)


def _z_signs_t(plan: _Plan, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``(R, 2^n)``: eigenvalue ``±1`` of ``Z`` on each readout wire for each basis state."""
    return plan.cached(
        ("zT", dtype, device),
        lambda: torch.as_tensor(plan.z_signs.T.copy(), dtype=dtype, device=device),
    )


def _readout(plan: _Plan, amplitudes: Tensor) -> Tensor:
    """Complex amplitudes ``(2^n, B)`` -> ``⟨Z⟩`` ``(B, R)``."""
    probs = torch.view_as_real(amplitudes).square().sum(-1)  # (2^n, B); smooth at 0
    return (_z_signs_t(plan, probs.dtype, probs.device) @ probs).T  # (R, B) -> (B, R)


def _product_state(plan: _Plan, phases: Tensor) -> Tensor:
    """Per-sample product state ``(2^n, B)`` of the prefix from ``phases`` ``(m, 2, B)``
    (see :func:`_phases`) of a source whose row ``s`` holds slot ``s``."""
    n, m, device = plan.n, phases.shape[0], phases.device
    tables = _prefix_tables(plan, m, _REAL[phases.dtype], device)
    mats = _run_matrices(phases, tables)  # (n, 4, B): per-wire 2x2, row-major
    if n <= _GATHER_MAX_QUBITS:  # psi[j] = Π_w M_w[j_w, 0]  (entries 0 and 2 of the row-major M)

        def make() -> Tensor:
            idx = np.stack([4 * w + 2 * _bits(n, w) for w in range(n)])  # (n, 2^n)
            return torch.as_tensor(idx, device=device)

        idx = plan.cached(("psi", device), make)
        return _gather_prod(mats.flatten(0, 1), idx)  # Π over n -> (2^n, B)
    vec = mats[:, 0::2]  # (n, 2, B): each wire's gates applied to |0>
    psi = vec[0]
    for w in range(1, n):
        psi = (psi[:, None, :] * vec[w][None, :, :]).flatten(0, 1)  # (2 * 2^w, B)
    return psi


def _prefix_tables(plan: _Plan, m: int, dtype: torch.dtype, device: torch.device) -> _RunTables:
    return plan.cached(
        ("prefix", m, dtype, device),
        lambda: _RunTables([plan.prefix], 0, m, dtype, device, single=True),
    )


def _check_dense(circuit: Circuit) -> None:
    if circuit.n_qubits > DENSE_MAX_QUBITS:
        raise ValueError(
            f"the dense path handles at most DENSE_MAX_QUBITS={DENSE_MAX_QUBITS} qubits "
            f"(its unitary has 4^n entries), got n_qubits={circuit.n_qubits}; "
            f"use method='gates' (or 'auto') beyond"
        )


def _dense(
    circuit: Circuit, angles: Tensor, shared: Tensor | None, unitary: Tensor | None = None
) -> Tensor:
    _check_dense(circuit)
    plan = _plan(circuit)
    k = angles.shape[-1]
    prefix_in_angles = plan.prefix_end <= k  # the prefix reads only columns of `angles`
    block_shared = shared is not None and plan.block_start >= k  # ... the block only shared
    if prefix_in_angles and block_shared:
        out = _fast(plan, None, angles, shared, unitary, k)
        if out is not None:
            return out
    return _dense_autograd(plan, angles, shared, unitary)


def _fast(
    plan: _Plan,
    angle_map: Any,
    x: Tensor,
    shared: Tensor,
    unitary: Tensor | None,
    k: int,
) -> Tensor | None:
    """The fast path for per-sample ``angle_map(x)`` ``(..., k)`` (``x`` itself when
    ``angle_map`` is ``None``) and shared block angles ``shared`` (any shape, flattened and
    cast to ``x``'s dtype) or the given block ``unitary``; ``None`` where it does not apply."""
    grad = torch.is_grad_enabled()
    block = shared if unitary is None else None  # a given unitary carries the block's graph
    jx = grad and x.requires_grad
    jw = grad and block is not None and block.requires_grad
    t = _fast_tables(plan, k, x.dtype, x.device, jx, jw)
    if not t.ok:
        return None
    if jx or jw or (grad and unitary is not None and unitary.requires_grad):
        return _DenseFn.apply(plan, t, angle_map, x, block, unitary)
    angles = x if angle_map is None else angle_map(x)
    flat = None if block is None else block.to(dtype=x.dtype).reshape(-1)  # (n_shared,)
    return _fast_dense(t, angles, flat, unitary, False)[0]


def _expval_z_mapped(
    circuit: Circuit,
    x: Tensor,
    angle_map: Any,
    shared: Tensor,
    *,
    method: Method = "auto",
    unitary: Tensor | None = None,
) -> Tensor:
    """``expval_z(circuit, angle_map(x), shared_angles=shared.to(x.dtype).reshape(-1),
    method=method, unitary=unitary)``, as ONE autograd node where the fast path applies.

    For :mod:`qmem.circuits.vqc`: ``angle_map`` is the VQC's data encoding, a callable
    ``x (..., d) -> angles (..., k)`` of differentiable torch ops with a method
    ``vjp(x, grad_angles) -> grad_x``; fusing it (and the weights' reshape) into the
    emulation's node saves the autograd nodes that dominate at small batches.
    """
    if (
        method in ("auto", "dense")
        and circuit.n_qubits <= DENSE_MAX_QUBITS
        and isinstance(x, Tensor)
        and isinstance(shared, Tensor)
        and x.dtype in _COMPLEX
        and shared.dtype in _COMPLEX
    ):
        plan = _plan(circuit)
        k = circuit.n_slots - shared.numel()
        if plan.prefix_end <= k <= plan.block_start and (
            unitary is None or _unitary_ok(circuit, unitary, x.dtype)
        ):
            out = _fast(plan, angle_map, x, shared, unitary, k)
            if out is not None:
                return out
    angles = angle_map(x)  # (..., k)
    flat = shared.to(dtype=angles.dtype).reshape(-1)  # (n_shared,)
    return expval_z(circuit, angles, shared_angles=flat, method=method, unitary=unitary)


def _unitary_ok(circuit: Circuit, unitary: object, dtype: torch.dtype) -> bool:
    size = 2**circuit.n_qubits
    return (
        isinstance(unitary, Tensor)
        and unitary.shape == (size, size)
        and unitary.dtype == _COMPLEX[dtype]
    )


def _dense_autograd(
    plan: _Plan, angles: Tensor, shared: Tensor | None, unitary: Tensor | None = None
) -> Tensor:
    """The dense path in plain torch autograd (any circuit; any derivative order)."""
    batch, k = angles.shape[:-1], angles.shape[-1]
    size = math.prod(batch)
    full = angles
    prefix_in_angles = plan.prefix_end <= k  # the prefix reads only columns of `angles`
    given = shared is not None or unitary is not None
    block_shared = given and plan.block_start >= k  # ... the block only shared ones
    if not (prefix_in_angles and block_shared) and shared is not None:
        shared_b = shared.expand(*batch, shared.shape[-1])  # (..., n_shared)
        full = torch.cat((angles, shared_b), dim=-1)  # (..., n_slots)
    prefix_source = angles if prefix_in_angles else full
    rows = prefix_source.reshape(size, prefix_source.shape[-1]).T.contiguous()  # (m, B)
    psi = _product_state(plan, _phases(rows))  # (2^n, B)
    if block_shared:
        u = (
            unitary if unitary is not None else _block_unitary(plan, _phases(shared), k)
        )  # (2^n, 2^n): one for the whole batch
        if u is not None:
            psi = u @ psi  # (2^n, 2^n) x (2^n, B)
    else:
        full_rows = full.reshape(size, full.shape[-1]).T.contiguous()  # (n_slots, B)
        u = _block_unitary(plan, _phases(full_rows), 0)  # (B, 2^n, 2^n) or (2^n, 2^n)
        if u is not None:
            psi = (u @ psi.T[..., None])[..., 0].T  # (2^n, B), one unitary per sample
    out = _readout(plan, psi)  # (B, R)
    return out.reshape(*batch, out.shape[-1])  # (..., R)


# ----------------------------------------------------------------------------- fast path
# The VQC case: the prefix reads only per-sample angles, the block only shared ones (or a
# given unitary), at most _GATHER_MAX_QUBITS qubits and every wire's run within one chunk.
# The whole evaluation is then ONE autograd node (_DenseFn; with qmem.circuits.vqc's
# encoding and weight reshape fused in) with a hand-written backward, instead of autograd's
# graph of ~60 nodes: at these sizes the cost is the number of tensor ops, not flops.
# Forward: one trig evaluation for all angles (prefix and block), one gather + product for
# all term coefficients, one bmm per part for the wire states / matrices, one gather +
# product for the product state (and dψ/dθ: a term's coefficient is a product of phases
# e^{±iθ/2}, so its derivative is the same product times ±i/2, folded into the constant
# term matrices) and for the layers G_s, S - 1 matmuls for U.
# Backward: ∂L/∂φ -> ∂L/∂ψ = U^† ∂L/∂φ, input gradients Re Σ conj(∂L/∂ψ) dψ/dθ, and the
# block's through partial traces (_fast_unitary_backward). A backward that must itself be
# differentiable (create_graph=True) recomputes with the autograd path.


def _derivative_factors(dc: int) -> np.ndarray:
    """``(1 + dc, 2^dc)``: row 0 ones; row ``1 + d`` the factor ``±i/2`` that turns each
    term's coefficient into its derivative in angle ``d`` (bit 0: ``e^{iθ/2}``, bit 1:
    ``e^{-iθ/2}``)."""
    k = np.arange(2**dc)
    rows = [np.ones(2**dc, dtype=np.complex128)]
    rows += [0.5j * (1 - 2 * ((k >> d) & 1)) for d in range(dc)]
    return np.stack(rows)


def _row_positions(rows_of: np.ndarray, m: int) -> np.ndarray | None:
    """Position in flat ``rows_of`` of each source row ``0..m-1`` (rows ``>= m`` are
    padding), or ``None`` unless each row occurs exactly once."""
    flat = rows_of.reshape(-1)
    real = np.flatnonzero(flat < m)
    if sorted(flat[real].tolist()) != list(range(m)):
        return None
    pos = np.empty(m, dtype=np.int64)
    pos[flat[real]] = real
    return pos


def _wire_bits(n: int) -> np.ndarray:
    """``(n, 2^n)``: bit of each wire in every basis index."""
    return np.stack([_bits(n, w) for w in range(n)])


def _flat(idx: np.ndarray, device: torch.device) -> Tensor:
    """A gather index as a flat device tensor (viewed in its shape after the gather)."""
    return torch.as_tensor(np.ascontiguousarray(idx).reshape(-1), device=device)


def _factor_columns(n: int, dc: int, jac: bool) -> np.ndarray:
    """``(M, n)``: which coefficient column each of ``n`` factors reads, for the product
    itself (row 0: column 0 everywhere) and, with ``jac``, for its derivative in angle
    ``d`` of factor ``v`` (row ``1 + v·dc + d``: column ``1 + d`` at ``v``, else 0)."""
    col = np.zeros((1 + n * dc if jac else 1, n), dtype=np.int64)
    for v in range(n if jac else 0):
        col[1 + v * dc : 1 + (v + 1) * dc, v] = 1 + np.arange(dc)
    return col


class _PrefixFast:
    """Fast-path tables of the product state (``jac``: also ``dψ/dθ``)."""

    def __init__(self, plan: _Plan, m: int, dtype: torch.dtype, device: torch.device, jac: bool):
        rt = _prefix_tables(plan, m, dtype, device)
        n, cdtype = plan.n, _COMPLEX[dtype]
        self.ok = rt.n_chunks == 1
        pos = _row_positions(rt.idx_np[:, :, 0].T // 2, m) if self.ok else None  # (n, dc)
        self.ok = pos is not None
        if pos is None:
            return
        dc, k = rt.idx_np.shape[0], rt.idx_np.shape[-1]
        self.n, self.k, self.idx_np = n, k, rt.idx_np  # (dc, n, K): 2·row + bit
        self.j = j = 1 + dc if jac else 1  # coefficient columns: value (+ d/dθ per angle)
        # column 0 of each wire matrix (its state), and (jac) that state's derivatives: the
        # derivative factors ±i/2 of every term folded into the constant term matrices
        fext = _derivative_factors(dc)[:j]  # (J, K)
        terms0 = rt.terms_np[:, [0, 2], None, :] * fext  # (n, 2, J, K)
        self.terms0 = torch.as_tensor(terms0.reshape(n, 2 * j, k), dtype=cdtype, device=device)
        # wire states, flat (n, 2, J): amplitude a of column c of wire w; factor w of ψ (row
        # 0) reads column 0, of dψ/dθ (rows (v, d)) column 1 + d if w == v
        col = _factor_columns(n, dc, jac)  # (M, n)
        bits, wires = _wire_bits(n), np.arange(n)[:, None]  # (n, 2^n), (n, 1)
        table = (wires * 2 + bits) * j + col[:, :, None]  # (M, n, 2^n)
        self.table, self.table_shape = _flat(table, device), table.shape
        identity = len(pos) == n * dc and (pos == np.arange(m)).all()  # no padding rows
        self.pos = None if identity else torch.as_tensor(pos, device=device)


def _bit_major(idx: np.ndarray, rows: int) -> np.ndarray:
    """Phase-table index ``2·row + bit`` (rows of ``(m, 2)``) -> ``bit·rows + row`` (rows of
    ``(2, m)``)."""
    return (idx % 2) * rows + idx // 2


class _BlockFast:
    """Fast-path tables of the block unitary (``jac``: also what its backward needs)."""

    def __init__(
        self, plan: _Plan, offset: int, m: int, dtype: torch.dtype, device: torch.device, jac: bool
    ):
        rt = _block_tables(plan, m, offset, dtype, device)
        n, size, n_runs, cdtype = plan.n, 2**plan.n, len(plan.chain), _COMPLEX[dtype]
        self.ok = rt.n_chunks == 1
        rows_of = rt.idx_np[..., 0] // 2 if self.ok else None  # (dc, S, n)
        pos = None if rows_of is None else _row_positions(rows_of.transpose(1, 2, 0), m)
        self.ok = pos is not None
        if pos is None:
            return
        dc, k = rt.idx_np.shape[0], rt.idx_np.shape[-1]
        self.padded = rt.padded
        self.half = torch.tensor([0.5, -0.5], dtype=dtype, device=device).view(2, 1)
        self.ones = torch.ones(2, 1, dtype=cdtype, device=device)
        self.idx = _flat(_bit_major(rt.idx_np, m + rt.padded), device)  # into (2, M) phases
        self.idx_shape = (dc, n_runs * n, k, 1)
        self.idx_np, self.m, self.k = rt.idx_np, m, k  # (dc, S, n, K): 2·row + bit
        self.j = j = 1 + dc if jac else 1
        fext = _derivative_factors(dc)[:j]  # (J, K): derivative factors folded into terms
        terms = rt.terms_np.reshape(n_runs * n, 4, 1, k) * fext  # (S·n, 4, J, K)
        self.terms = torch.as_tensor(terms.reshape(-1, 4 * j, k), dtype=cdtype, device=device)
        bits = _wire_bits(n)
        signs = np.ones((n_runs, 1, size))
        col_bits = []
        for s, (_, fixed) in enumerate(plan.chain):
            cols = np.arange(size)
            if fixed is not None:  # (K F)[:, j] = K[:, perm⁻¹[j]] · sign[perm⁻¹[j]]
                cols = np.argsort(fixed.perm)
                signs[s, 0] = fixed.sign[cols]
            col_bits.append(bits[:, cols])
        # entry (2·row bit + column bit) of wire w's matrix in layer s, for each (i, j)
        entry = 2 * bits[None, :, :, None] + np.stack(col_bits)[:, :, None, :]  # (S, n, N, N)
        run_wire = np.arange(n_runs * n).reshape(n_runs, n, 1, 1)  # (S, n, 1, 1)
        table = (run_wire * 4 + entry) * j  # (S, n, N, N) into the flat (S·n, 4, J) matrices
        self.table, self.table_shape = _flat(table, device), (n_runs, n, size, size)
        signed = any(f is not None and f.signed for _, f in plan.chain)
        self.signs = torch.as_tensor(signs, dtype=dtype, device=device) if signed else None
        self.perm = self.sign = None
        if plan.trailing is not None:
            self.perm, self.sign = _fixed_tensors(plan, plan.trailing, cdtype, device)
            self.iperm = torch.as_tensor(np.argsort(plan.trailing.perm), device=device)
        if jac:
            self.ptrace = torch.as_tensor(_partial_traces(plan), dtype=cdtype, device=device)
            flat_pos = (pos // dc) * j + 1 + pos % dc  # (S·n·dc) order -> (S·n, J) order
            self.pos = torch.as_tensor(flat_pos, device=device)


def _partial_traces(plan: _Plan) -> np.ndarray:
    """``(S, N², n·4)``: for each layer ``s``, the map from ``Z`` ``(N, N)`` to the
    transposed one-wire partial traces ``P_w^T`` (flat ``(n, 2, 2)``) of ``F_s Z F_s^†``,
    ``F_s`` the signed permutation of the CNOT/CZ run before the layer's rotations."""
    n, size = plan.n, 2**plan.n
    idx = np.arange(size)
    out = np.zeros((len(plan.chain), size * size, n * 4))
    for s, (_, fixed) in enumerate(plan.chain):
        perm = idx if fixed is None else fixed.perm
        sign = np.ones(size) if fixed is None else fixed.sign
        # (F Z F^†)[i, j] = sign[i] sign[j] Z[perm[i], perm[j]]
        src = perm[:, None] * size + perm[None, :]  # (N, N): flat index into Z
        val = sign[:, None] * sign[None, :]
        for w in range(n):
            bit = 1 << (n - 1 - w)
            same = ((idx[:, None] ^ idx[None, :]) & ~bit) == 0  # equal off wire w
            a, b = _bits(n, w)[:, None], _bits(n, w)[None, :]
            col = w * 4 + 2 * b + a  # P_w^T[b, a]
            i, j = np.nonzero(same)
            np.add.at(out[s], (src[i, j], np.broadcast_to(col, same.shape)[i, j]), val[i, j])
    return out


class _FastTables:
    """Everything the fast path reads for one circuit, angle split, dtype, device and
    choice of derivatives (built once, cached on the plan)."""

    def __init__(
        self, plan: _Plan, k: int, dtype: torch.dtype, device: torch.device, jx: bool, jw: bool
    ):
        self.ok = plan.n <= _GATHER_MAX_QUBITS and bool(plan.chain)
        if not self.ok:
            return
        self.prefix = _PrefixFast(plan, k, dtype, device, jx)
        self.block = _BlockFast(plan, k, plan.n_slots - k, dtype, device, jw)
        self.ok = self.prefix.ok and self.block.ok
        z = torch.as_tensor(plan.z_signs, dtype=dtype, device=device)  # (2^n, R)
        self.z, self.z2 = z, 2 * z
        self.jx, self.jw = jx, jw
        self.k, self.device = k, device
        self.half = torch.tensor([0.5, -0.5], dtype=dtype, device=device).view(2, 1)
        self.zero = torch.zeros(1, dtype=dtype, device=device)
        self._gathers: dict[tuple[int, bool], tuple[Tensor, int]] = {}

    def gather(self, size: int, with_block: bool) -> tuple[Tensor, int]:
        """Flat index ``(D·C,)`` and ``D`` of the coefficient factors of the prefix (``C_p =
        n·K·B`` columns) [and of the block (``S·n·K``)], into the phases ``(2, L)`` of the
        angle vector ``(angles (B·k), shared (m), 0)``; missing factors read the phase of
        the trailing 0 (which is 1)."""
        key = (size, with_block)
        found = self._gathers.get(key)
        if found is not None:
            return found
        if len(self._gathers) >= 64:
            self._gathers.clear()
        k, m = self.k, self.block.m if with_block else 0
        length = k * size + m + 1
        unit = length - 1
        idx = self.prefix.idx_np[..., None]  # (dc, n, K, 1): 2·row + bit
        row, bit = idx // 2, idx % 2
        pos = np.where(row < k, np.arange(size) * k + row, unit)  # (dc, n, K, B)
        parts = [(bit * length + pos).reshape(idx.shape[0], -1)]
        if with_block:
            idx = self.block.idx_np  # (dc, S, n, K)
            row, bit = idx // 2, idx % 2
            pos = np.where(row < m, k * size + row, unit)
            parts.append((bit * length + pos).reshape(idx.shape[0], -1))
        depth = max(part.shape[0] for part in parts)
        full = np.concatenate(
            [np.pad(p, ((0, depth - len(p)), (0, 0)), constant_values=unit) for p in parts], 1
        )  # (D, C)
        found = self._gathers[key] = (_flat(full, self.device), depth)
        return found


def _fast_tables(
    plan: _Plan, k: int, dtype: torch.dtype, device: torch.device, jx: bool, jw: bool
) -> _FastTables:
    key = ("fast", k, dtype, device, jx, jw)
    tables = plan._cache.get(key)
    if tables is None:
        tables = plan._cache[key] = _FastTables(plan, k, dtype, device, jx, jw)
    return tables


def _fast_unitary(t: _BlockFast, shared: Tensor, jac: bool) -> tuple[Tensor, Any]:
    """Block unitary ``(2^n, 2^n)`` from the shared angles, and (``jac``) what
    :func:`_fast_unitary_backward` needs."""
    angle = t.half * shared  # (2, m): ±θ/2
    phases = torch.complex(torch.cos(angle), torch.sin(angle))  # e^{±iθ/2}
    if t.padded:
        phases = torch.cat((phases, t.ones), 1)  # (2, m + 1)
    coef = phases.view(-1).index_select(0, t.idx).view(t.idx_shape).prod(0)  # (S·n, K, 1)
    return _unitary_from(t, coef, jac)


def _unitary_from(t: _BlockFast, coef: Tensor, jac: bool) -> tuple[Tensor, Any]:
    """:func:`_fast_unitary` from the term coefficients ``(S·n, K, 1)``."""
    mats = torch.bmm(t.terms, coef).view(-1, 4, t.j)  # (S·n, 4, J): wire matrices [, d/dθ]
    layers = mats.view(-1).index_select(0, t.table).view(t.table_shape).prod(1)  # G_s = K_s F_s
    if t.signs is not None:
        layers = layers * t.signs
    u, *rest = layers.unbind()  # S x (N, N)
    for layer in rest:
        u = layer @ u
    if t.perm is not None:
        u = u[t.perm] * t.sign
    return u, ((t, mats, layers) if jac else None)


def _fast_unitary_backward(saved: Any, y: Tensor) -> Tensor:
    """Gradient of the shared block angles ``(m,)`` from ``Y = (∂L/∂U)^† U`` ``(N, N)``.

    With ``U = … K_s F_s P_s`` (``P_s`` the layers before) and ``dK_s/dθ = K_s (I ⊗ R^†
    dR/dθ ⊗ I)`` for an angle of wire ``w``'s matrix ``R``, ``Re tr(∂L/∂U^† dU/dθ) =
    Re tr(P_w (R^† dR/dθ))`` where ``P_w`` is the partial trace on wire ``w`` of
    ``M_s = F_s P_s Y P_s^† F_s^†``: two matmuls per layer, one map to all partial traces,
    and two batched 2x2 contractions for all wires and layers.
    """
    t, mats, layers = saved
    zs = [y]
    for layer in layers.unbind()[:-1]:
        y = layer @ y @ layer.mH  # P_s Y P_s^†
        zs.append(y)
    n_mats = mats.shape[0]
    pt = torch.bmm(torch.stack(zs).view(len(zs), 1, -1), t.ptrace)  # (S, 1, n·4): P_w^T
    qt = torch.bmm(mats[:, :, 0].view(n_mats, 2, 2).conj(), pt.view(n_mats, 2, 2))
    grad = torch.bmm(qt.view(n_mats, 1, 4), mats)  # (S·n, 1, J): Re tr(dR Q), Q = P R^†
    return grad.real.reshape(-1).index_select(0, t.pos)  # (m,)


def _fast_dense(
    t: _FastTables,
    angles: Tensor,
    shared: Tensor | None,
    unitary: Tensor | None,
    jac_w: bool,
) -> tuple[Tensor, Any]:
    """The fast path's forward: ``⟨Z⟩`` ``(..., R)`` and what :func:`_fast_dense_backward`
    needs (derivatives for ``t.jx`` and ``jac_w``)."""
    p = t.prefix
    size = math.prod(angles.shape[:-1])
    with_block = unitary is None
    idx, depth = t.gather(size, with_block)
    parts = (angles.reshape(-1), shared, t.zero) if with_block else (angles.reshape(-1), t.zero)
    angle = t.half * torch.cat(parts)  # (2, L): ±θ/2 of every angle, both paths at once
    phases = torch.complex(torch.cos(angle), torch.sin(angle)).view(-1)  # e^{±iθ/2}
    coef = phases.index_select(0, idx).view(depth, len(idx) // depth).prod(0)  # coefficients
    n_prefix = p.n * p.k * size
    coef_prefix = coef[:n_prefix].view(p.n, p.k, size)  # (n, K, B)
    states = torch.bmm(p.terms0, coef_prefix)  # (n, 2·J, B): wire states [, d/dθ]
    psis = states.view(p.terms0.shape[0] * p.terms0.shape[1], size)  # (n·2·J, B)
    psis = psis.index_select(0, p.table)  # (M·n·N, B)
    psis = psis.view(*p.table_shape, size).prod(1)  # (1 [+ n·dc], 2^n, B): ψ [, dψ/dθ]
    block = None
    if with_block:
        coef_block = coef[n_prefix:].view(-1, t.block.k, 1)  # (S·n, K, 1)
        unitary, block = _unitary_from(t.block, coef_block, jac_w)
    phi = unitary @ psis[0]  # (2^n, B)
    re, im = phi.real, phi.imag
    out = torch.addcmul(re * re, im, im).t() @ t.z  # |φ|² (2^n, B) -> ⟨Z⟩ (B, R)
    return out.reshape(*angles.shape[:-1], out.shape[-1]), (unitary, psis, phi, block)


def _fast_dense_backward(
    t: _FastTables, saved: Any, grad_out: Tensor, need_u: bool
) -> tuple[Tensor | None, Tensor | None]:
    """Gradients ``(angles (m, B) or None, U-or-shared or None)`` of the fast path."""
    unitary, psis, phi, block = saved
    grad_out = grad_out.reshape(phi.shape[1], t.z.shape[1])  # (B, R)
    grad_phi = (t.z2 @ grad_out.t()) * phi  # (2^n, B): 2 ∂L/∂p · φ
    grad_angles = grad_block = None
    grad_psi = unitary.mH @ grad_phi if psis.shape[0] > 1 or block is not None else None
    if psis.shape[0] > 1:  # Re Σ_j conj(∂L/∂ψ_j) dψ_j/dθ
        grad_rows = torch.linalg.vecdot(grad_psi, psis[1:], dim=-2).real  # (m, B)
        pos = t.prefix.pos
        grad_angles = grad_rows if pos is None else grad_rows[pos]  # (m, B)
    if block is not None:  # (∂L/∂U)^† U = ψ (∂L/∂ψ)^†
        grad_block = _fast_unitary_backward(block, psis[0] @ grad_psi.mH)
    elif need_u:
        grad_block = grad_phi @ psis[0].mH  # (2^n, 2^n)
    return grad_angles, grad_block


def _regrad(fn: Callable[..., Tensor], inputs: tuple, needs: tuple, grad: Tensor) -> tuple:
    """Gradients of ``fn(*inputs)`` by autograd, differentiable themselves (the backward of a
    backward): the fast path's fallback under ``create_graph=True``."""
    wrt = [x for x, need in zip(inputs, needs, strict=True) if need]
    with torch.enable_grad():
        out = fn(*inputs)
    grads = iter(torch.autograd.grad(out, wrt, grad, create_graph=True, allow_unused=True))
    return tuple(next(grads) if need else None for need in needs)


class _DenseFn(torch.autograd.Function):
    """The fast path as one autograd node:
    ``(x, shared | None, unitary | None) -> ⟨Z⟩`` with angles ``angle_map(x)``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        plan: _Plan,
        t: _FastTables,
        angle_map: Any,
        x: Tensor,
        shared: Tensor | None,
        unitary: Tensor | None,
    ) -> Tensor:
        jac = None  # d angle / d x, elementwise per qubit
        if angle_map is None:
            angles = x
        elif t.jx:
            angles, jac = angle_map.with_jacobian(x)  # (..., k), (..., d, k / d)
        else:
            angles = angle_map(x)
        flat = None if shared is None else shared.to(dtype=x.dtype).reshape(-1)  # (n_shared,)
        out, ctx.saved = _fast_dense(t, angles, flat, unitary, t.jw)
        ctx.plan, ctx.tables, ctx.angle_map, ctx.jac = plan, t, angle_map, jac
        ctx.x_shape = x.shape
        if shared is not None:
            ctx.shared_like = (shared.shape, shared.dtype)
        ctx.save_for_backward(x, shared, unitary)  # read only to differentiate the backward
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:  # type: ignore[override]
        needs = ctx.needs_input_grad[3:]
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            x, shared, unitary = ctx.saved_tensors
            angle_map = ctx.angle_map

            def fn(a: Tensor, s: Tensor | None, u: Tensor | None) -> Tensor:
                angles = a if angle_map is None else angle_map(a)
                flat = None if s is None else s.to(dtype=a.dtype).reshape(-1)
                return _dense_autograd(ctx.plan, angles, flat, u)

            return (None, None, None, *_regrad(fn, (x, shared, unitary), needs, grad))
        ga, gb = _fast_dense_backward(ctx.tables, ctx.saved, grad, needs[2])
        gx = gs = gu = None
        if needs[0]:  # ga: (k, B)
            jac, x_shape = ctx.jac, ctx.x_shape
            if jac is not None:  # chain rule through the per-qubit angle map
                jt = jac.reshape(ga.shape[1], ga.shape[0]).t()  # (k, B)
                d, (k, size) = x_shape[-1], ga.shape
                ga = (ga * jt).view(d, k // d, size).sum(1)  # (d, B)
            gx = ga.t().reshape(x_shape)  # (..., d)
        if needs[1]:
            shape, dtype = ctx.shared_like
            gs = gb.view(shape).to(dtype=dtype)
        if needs[2]:
            gu = gb
        return None, None, None, gx, gs, gu


class _UnitaryFn(torch.autograd.Function):
    """The fast path's block unitary as one autograd node: ``shared -> U``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, plan: _Plan, t: _BlockFast, shared: Tensor, offset: int
    ) -> Tensor:
        u, ctx.saved = _fast_unitary(t, shared, True)
        ctx.plan, ctx.offset = plan, offset
        ctx.save_for_backward(shared, u)
        return u

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:  # type: ignore[override]
        shared, u = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            fn = lambda s: _block_unitary(ctx.plan, _phases(s), ctx.offset)  # noqa: E731
            return (None, None, *_regrad(fn, (shared,), (True,), grad), None)
        return None, None, _fast_unitary_backward(ctx.saved, grad.mH @ u), None


def _gates(circuit: Circuit, angles: Tensor, shared: Tensor | None) -> Tensor:
    plan = _plan(circuit)
    n = circuit.n_qubits
    full = angles
    if shared is not None:
        shared_b = shared.expand(*angles.shape[:-1], shared.shape[-1])  # (..., n_shared)
        full = torch.cat((angles, shared_b), dim=-1)  # (..., n_slots)
    batch, dtype, device = full.shape[:-1], full.dtype, full.device
    cdtype = _COMPLEX[dtype]

    def make_tables() -> dict[str, Tensor]:
        tabs = {g: torch.as_tensor(m, dtype=cdtype, device=device) for g, m in _FIXED_1Q.items()}
        tabs.update({g: torch.as_tensor(m, dtype=cdtype, device=device) for g, m in _ROT_B.items()})
        tabs["I"] = torch.eye(2, dtype=cdtype, device=device)
        return tabs

    tabs = plan.cached(("gates", cdtype, device), make_tables)
    cos, sin = torch.cos(0.5 * full), torch.sin(0.5 * full)  # (..., n_slots)
    state = torch.zeros(*batch, 2**n, dtype=cdtype, device=device)  # (..., 2^n)
    state[..., 0] = 1.0
    for op in circuit.ops:
        if len(op.wires) == 2:
            fixed = plan.cached(("op", op), lambda op=op: _Fixed(n, [(op.gate, op.wires)]))
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
    out = _readout(plan, state.reshape(-1, 2**n).T)  # (B, R)
    return out.reshape(*batch, out.shape[-1])  # (..., R)


def expval_z(
    circuit: Circuit,
    angles: Tensor,
    *,
    shared_angles: Tensor | None = None,
    method: Method = "auto",
    unitary: Tensor | None = None,
) -> Tensor:
    """``⟨Z⟩`` on ``circuit.readout`` by exact torch state-vector emulation.

    Args:
        circuit: the circuit to run.
        angles: slot angles, shape ``(..., n_slots)``; or, with ``shared_angles``, the first
            ``n_slots - len(shared_angles)`` slots, shape ``(..., n_slots - n_shared)``.
        shared_angles: optional angles of the *last* slots that are the same for every
            sample, shape ``(n_shared,)`` (cast to ``angles``' dtype). When they cover every
            block slot, the dense path builds the block unitary once for the batch.
        method: ``"dense"``, ``"gates"`` or ``"auto"`` (dense up to
            :data:`DENSE_MAX_QUBITS` qubits, gates beyond).
        unitary: the block unitary of these ``shared_angles`` from :func:`shared_unitary`,
            to reuse one build for many calls (e.g. the time steps of a sequence); implies
            the dense path.

    Returns:
        ``⟨Z_w⟩`` for ``w`` in ``circuit.readout``, shape ``(..., len(readout))``, in
        ``angles``' dtype and device, differentiable w.r.t. ``angles`` and ``shared_angles``
        (and through ``unitary``).

    Raises:
        TypeError: ``circuit`` is not a Circuit, or the angles are not float32/float64 tensors.
        ValueError: wrong angle shapes, unknown ``method``, ``method="dense"`` with more
            than :data:`DENSE_MAX_QUBITS` qubits, or a ``unitary`` of the wrong shape or
            dtype, or without ``shared_angles``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(1, (Op("H", (0,)), Op("RZ", (0,), 0), Op("RY", (0,), 1)), ("x", "w"), (0,))
    >>> x = torch.tensor([[0.3], [0.5]])
    >>> expval_z(c, x, shared_angles=torch.tensor([0.2])).shape
    torch.Size([2, 1])
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"circuit must be a qmem Circuit, got {type(circuit).__name__}")
    _check_float("angles", angles)
    n_shared = 0
    if shared_angles is not None:
        _check_float("shared_angles", shared_angles)
        if shared_angles.dim() != 1:
            raise ValueError(
                f"shared_angles must have shape (n_shared,), got {tuple(shared_angles.shape)}"
            )
        n_shared = shared_angles.shape[0]
        shared_angles = shared_angles.to(dtype=angles.dtype)
    expected = circuit.n_slots - n_shared
    if angles.dim() == 0 or angles.shape[-1] != expected:
        raise ValueError(
            f"angles must have shape (..., {expected}) (n_slots={circuit.n_slots} minus "
            f"{n_shared} shared), got {tuple(angles.shape)}"
        )
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {_METHODS}")
    if unitary is not None:
        size, cdtype = 2**circuit.n_qubits, _COMPLEX[angles.dtype]
        if shared_angles is None or not _plan(circuit).block_start >= expected:
            raise ValueError("unitary needs shared_angles that hold every block slot")
        if not isinstance(unitary, Tensor) or unitary.shape != (size, size):
            raise ValueError(f"unitary must be a ({size}, {size}) tensor from shared_unitary")
        if unitary.dtype != cdtype:
            raise ValueError(f"unitary must have dtype {cdtype} for {angles.dtype} angles")
        return _dense(circuit, angles, shared_angles, unitary)
    if method == "gates" or (method == "auto" and circuit.n_qubits > DENSE_MAX_QUBITS):
        return _gates(circuit, angles, shared_angles)
    return _dense(circuit, angles, shared_angles)


def shared_unitary(circuit: Circuit, shared_angles: Tensor) -> Tensor:
    """The dense path's block unitary for angles shared by every sample, to pass to
    :func:`expval_z` (``unitary=``) for many calls with the same ``shared_angles``.

    Args:
        circuit: the circuit (at most :data:`DENSE_MAX_QUBITS` qubits).
        shared_angles: angles of the last ``n_shared`` slots, shape ``(n_shared,)``; they
            must hold every block slot (see :func:`prefix_and_block`).

    Returns:
        ``U``, complex ``(2^n, 2^n)``, differentiable w.r.t. ``shared_angles``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RX", (1,), 1))
    >>> c = Circuit(2, ops, ("x", "w"), (1,))
    >>> w, x = torch.tensor([0.4]), torch.tensor([[0.1], [0.2]])
    >>> u = shared_unitary(c, w)
    >>> torch.allclose(expval_z(c, x, shared_angles=w, unitary=u), expval_z(c, x, shared_angles=w))
    True
    """
    _check_dense(circuit)
    _check_float("shared_angles", shared_angles)
    if shared_angles.dim() != 1:
        raise ValueError(
            f"shared_angles must have shape (n_shared,), got {tuple(shared_angles.shape)}"
        )
    plan = _plan(circuit)
    k = circuit.n_slots - shared_angles.shape[0]
    if k < 0 or plan.block_start < k:
        raise ValueError(
            f"shared_angles ({shared_angles.shape[0]}) must hold every block slot "
            f"(slots >= {plan.block_start} of {circuit.n_slots})"
        )
    dtype, device = shared_angles.dtype, shared_angles.device
    if _fast_tables(plan, k, dtype, device, False, False).ok:
        jw = torch.is_grad_enabled() and shared_angles.requires_grad
        t = _fast_tables(plan, k, dtype, device, False, jw).block
        if jw:
            return _UnitaryFn.apply(plan, t, shared_angles, k)
        return _fast_unitary(t, shared_angles, False)[0]
    u = _block_unitary(plan, _phases(shared_angles), k)
    if u is None:
        cdtype = _COMPLEX[shared_angles.dtype]
        u = torch.eye(2**plan.n, dtype=cdtype, device=shared_angles.device)
    return u


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """The complex dtype the emulator uses for real ``dtype`` (complex64 / complex128).

    >>> complex_dtype(torch.float64)
    torch.complex128
    """
    if dtype not in _COMPLEX:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return _COMPLEX[dtype]


def _check_float(name: str, value: object) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dtype not in _COMPLEX:
        raise TypeError(f"{name} must be float32 or float64, got {value.dtype}")
