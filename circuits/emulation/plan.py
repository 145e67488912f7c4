"""Building blocks of the torch state-vector emulation: circuit plans, gate tables, the
closed-form product state and the block unitary (see :mod:`qmem.circuits.torch_statevector`).

Private to ``qmem.circuits``; the public API is in ``torch_statevector``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .ir import Circuit

__all__: list[str] = ["prefix_and_block"]

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
