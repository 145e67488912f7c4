"""The one-autograd-node dense path of the torch state-vector emulation (hand-written backward).

See the module docstring of :mod:`qmem.circuits.emulation.statevector` for the maths.

>>> from qmem.circuits.ir import Circuit, Op
>>> from qmem.circuits.emulation.plan import plan_of
>>> c = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1)), ("x", "w"), (1,))
>>> fast_expval(plan_of(c), None, torch.tensor([[0.0]]), torch.tensor([0.0]), None, 1)
tensor([[1.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .dense import block_tables, dense_expval, fixed_tensors, phases, plan_unitary, prefix_tables
from .plan import COMPLEX, GATHER_MAX_QUBITS, Plan, bits, wire_bits

__all__ = ["FORWARD_MODE_MAX", "fast_expval", "fast_tables", "fast_unitary"]

FORWARD_MODE_MAX = 2**12
"""Input gradients in forward mode (``dψ/dθ`` rows built in the forward pass, one ``vecdot``
back) while those rows hold at most this many amplitudes (``n·dc·2^n·B``); past it by the
adjoint method (two gathers and two reductions of ``n·2^n·B``, independent of ``dc``)."""


def fast_expval(
    plan: Plan,
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
    t = fast_tables(plan, k, x.dtype, x.device, jx, jw)
    if not t.ok:
        return None
    if jx or jw or (grad and unitary is not None and unitary.requires_grad):
        return _DenseFn.apply(plan, t, angle_map, x, block, unitary)
    angles = x if angle_map is None else angle_map(x)
    flat = None if block is None else block.to(dtype=x.dtype).reshape(-1)  # (n_shared,)
    return _fast_dense(t, angles, flat, unitary, False)[0]


# ----------------------------------------------------------------------------- fast path
# The VQC case: the prefix reads only per-sample angles, the block only shared ones (or a
# given unitary), at most GATHER_MAX_QUBITS qubits and every wire's run within one chunk.
# The whole evaluation is then ONE autograd node (_DenseFn; with qmem.circuits.vqc's
# encoding and weight reshape fused in) with a hand-written backward, instead of autograd's
# graph of ~60 nodes: at these sizes the cost is the number of tensor ops, not flops.
# Forward: one trig evaluation for all angles (prefix and block), one gather + product for
# all term coefficients, one bmm per part for the wire states / matrices (and each wire
# state's derivative in its angles: a term's coefficient is a product of phases e^{±iθ/2},
# so its derivative is the same product times ±i/2, folded into the constant term
# matrices), one gather + product for the product state and for the layers G_s, S - 1
# matmuls for U.
# Backward: ∂L/∂φ -> ∂L/∂ψ = U^† ∂L/∂φ; the input gradients by the adjoint method
# (_prefix_backward: one wire's environment of ∂L/∂ψ, Re Σ_a e_w[a] dφ_w[a]/dθ, costs two
# gathers and two reductions of n·2^n·B amplitudes, where forward-mode tables of dψ/dθ cost
# n·dc product states); the block's through partial traces (_fast_unitary_backward). A
# backward that must itself be differentiable (create_graph=True) recomputes with the
# autograd path.


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
    """Fast-path tables of the product state (``jac``: also each wire state's derivative
    in its angles, and the wire orders of :func:`_prefix_backward`)."""

    def __init__(self, plan: Plan, m: int, dtype: torch.dtype, device: torch.device, jac: bool):
        rt = prefix_tables(plan, m, dtype, device)
        n, cdtype = plan.n, COMPLEX[dtype]
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
        # wire states, flat (n, 2, J): amplitude a of column c of wire w; factor w of ψ
        # reads column 0
        col = _factor_columns(n, dc, False)  # (1, n)
        every, wires = wire_bits(n), np.arange(n)[:, None]  # (n, 2^n), (n, 1)
        table = (wires * 2 + every) * j + col[:, :, None]  # (1, n, 2^n)
        self.table, self.table_shape = _flat(table, device), table.shape
        identity = len(pos) == n * dc and (pos == np.arange(m)).all()  # no padding rows
        self.pos = None if identity else torch.as_tensor(pos, device=device)
        self.dc = dc
        if jac:
            # forward mode (small batches): rows (v, d) of dψ/dθ read column 1 + d at v
            col = _factor_columns(n, dc, True)  # (1 + n·dc, n)
            table = (wires * 2 + every) * j + col[:, :, None]  # (1 + n·dc, n, 2^n)
            self.table_jac, self.table_jac_shape = _flat(table, device), table.shape
            # adjoint (larger ones): per wire w, the basis states ordered by (bit w, the rest)
            order = np.concatenate([np.argsort(every[w], kind="stable") for w in range(n)])
            self.wire_order = _flat(order, device)  # (n·2^n,)
            # forward mode while its dψ/dθ has at most this many amplitudes per row set:
            # fewer ops, where the adjoint's extra gathers and reductions cost more (measured)
            self.forward_max = FORWARD_MODE_MAX // (n * dc * 2**n)


def _bit_major(idx: np.ndarray, rows: int) -> np.ndarray:
    """Phase-table index ``2·row + bit`` (rows of ``(m, 2)``) -> ``bit·rows + row`` (rows of
    ``(2, m)``)."""
    return (idx % 2) * rows + idx // 2


class _BlockFast:
    """Fast-path tables of the block unitary (``jac``: also what its backward needs)."""

    def __init__(
        self, plan: Plan, offset: int, m: int, dtype: torch.dtype, device: torch.device, jac: bool
    ):
        rt = block_tables(plan, m, offset, dtype, device)
        n, size, n_runs, cdtype = plan.n, 2**plan.n, len(plan.chain), COMPLEX[dtype]
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
        entry, signs = plan.kron_tables()  # (S, n, N, N), (S, 1, N) or None
        run_wire = np.arange(n_runs * n).reshape(n_runs, n, 1, 1)  # (S, n, 1, 1)
        table = (run_wire * 4 + entry) * j  # (S, n, N, N) into the flat (S·n, 4, J) matrices
        self.table, self.table_shape = _flat(table, device), (n_runs, n, size, size)
        self.signs = None if signs is None else torch.as_tensor(signs, dtype=dtype, device=device)
        self.perm = self.sign = None
        if plan.trailing is not None:
            self.perm, self.sign = fixed_tensors(plan, plan.trailing, cdtype, device)
            self.iperm = torch.as_tensor(np.argsort(plan.trailing.perm), device=device)
        if jac:
            self.ptrace = torch.as_tensor(_partial_traces(plan), dtype=cdtype, device=device)
            flat_pos = (pos // dc) * j + 1 + pos % dc  # (S·n·dc) order -> (S·n, J) order
            self.pos = torch.as_tensor(flat_pos, device=device)


def _partial_traces(plan: Plan) -> np.ndarray:
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
            a, b = bits(n, w)[:, None], bits(n, w)[None, :]
            col = w * 4 + 2 * b + a  # P_w^T[b, a]
            i, j = np.nonzero(same)
            np.add.at(out[s], (src[i, j], np.broadcast_to(col, same.shape)[i, j]), val[i, j])
    return out


class _FastTables:
    """Everything the fast path reads for one circuit, angle split, dtype, device and
    choice of derivatives (built once, cached on the plan)."""

    def __init__(
        self, plan: Plan, k: int, dtype: torch.dtype, device: torch.device, jx: bool, jw: bool
    ):
        self.ok = plan.n <= GATHER_MAX_QUBITS and bool(plan.chain)
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
        with torch.inference_mode(False):  # cached for every caller: a normal tensor
            found = self._gathers[key] = (_flat(full, self.device), depth)
        return found


def fast_tables(
    plan: Plan, k: int, dtype: torch.dtype, device: torch.device, jx: bool, jw: bool
) -> _FastTables:
    """Everything the fast path reads for ``plan`` with ``k`` per-sample angles (the other
    ``n_slots - k`` shared), cached on the plan; its ``ok`` says whether the path applies.

    Args:
        plan: the circuit's plan.
        k: per-sample angles (the prefix's slots are ``< k``, the block's ``>= k``).
        dtype: real dtype of the angles.
        device: where the tables live.
        jx: build what the gradient of the per-sample angles needs.
        jw: build what the gradient of the shared angles needs.

    Returns:
        The tables; their ``ok`` is ``False`` (and :func:`fast_expval` returns ``None``)
        past ``GATHER_MAX_QUBITS`` qubits, without a block, with a wire's run of more than
        3 rotations, or where a source row is not read exactly once.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> from qmem.circuits.emulation.plan import plan_of
    >>> cpu = torch.device("cpu")
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> plan = plan_of(Circuit(2, ops, ("x", "w"), (1,)))
    >>> fast_tables(plan, 1, torch.float64, cpu, True, True).ok
    True
    >>> one = Circuit(1, (Op("RY", (0,), 0),), ("x",), (0,))  # no block: the dense path runs it
    >>> fast_tables(plan_of(one), 1, torch.float64, cpu, False, False).ok
    False
    """
    return plan.cached(
        ("fast", k, dtype, device, jx, jw), lambda: _FastTables(plan, k, dtype, device, jx, jw)
    )


def _shared_unitary(t: _BlockFast, shared: Tensor, jac: bool) -> tuple[Tensor, Any]:
    """Block unitary ``(2^n, 2^n)`` from the shared angles, and (``jac``) what
    :func:`_fast_unitary_backward` needs."""
    angle = t.half * shared  # (2, m): ±θ/2
    phases = torch.complex(torch.cos(angle), torch.sin(angle))  # e^{±iθ/2}
    if t.padded:
        phases = torch.cat((phases, t.ones), 1)  # (2, m + 1)
    coef = phases.view(-1).index_select(0, t.idx).view(t.idx_shape).prod(0)  # (S·n, K, 1)
    return _unitary_from(t, coef, jac)


def _unitary_from(t: _BlockFast, coef: Tensor, jac: bool) -> tuple[Tensor, Any]:
    """:func:`_shared_unitary` from the term coefficients ``(S·n, K, 1)``."""
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
    forward_mode = t.jx and size <= p.forward_max
    table, shape = (p.table_jac, p.table_jac_shape) if forward_mode else (p.table, p.table_shape)
    psis = psis.index_select(0, table)  # (M·n·N, B)
    psis = psis.view(*shape, size).prod(1)  # (M, 2^n, B): ψ [, dψ/dθ per (wire, angle)]
    block = None
    if with_block:
        coef_block = coef[n_prefix:].view(-1, t.block.k, 1)  # (S·n, K, 1)
        unitary, block = _unitary_from(t.block, coef_block, jac_w)
    phi = unitary @ psis[0]  # (2^n, B)
    re, im = phi.real, phi.imag
    out = torch.addcmul(re * re, im, im).t() @ t.z  # |φ|² (2^n, B) -> ⟨Z⟩ (B, R)
    states = states.view(p.n, 2, p.j, size) if t.jx and not forward_mode else None
    return out.reshape(*angles.shape[:-1], out.shape[-1]), (unitary, psis, phi, block, states)


def _prefix_backward(p: _PrefixFast, psi: Tensor, grad_psi: Tensor, states: Tensor) -> Tensor:
    """Gradients ``(n·dc, B)`` of the prefix angles (wire-major) by the adjoint method.

    ``ψ = ⊗_w φ_w``, so ``Re Σ_j conj(g_j) dψ_j/dθ = Re Σ_a e_w[a] dφ_w[a]/dθ`` for an angle
    of wire ``w``, with the environment ``e_w[a] = Σ_rest conj(g[a, rest]) χ_w[rest]`` and
    ``χ_w = ⊗_{v≠w} φ_v``. Both come from ``ψ`` and ``g`` with wire ``w``'s bit first:
    ``χ_w = Σ_a conj(φ_w[a]) ψ[a, ·]`` (each ``φ_w`` is a unit vector).
    """
    n, size = p.n, psi.shape[-1]
    half = psi.shape[0] // 2
    phi, dphi = states[:, :, 0], states[:, :, 1:]  # (n, 2, B), (n, 2, dc, B)
    by_wire = psi.index_select(0, p.wire_order).view(n, 2, half, size)  # (n, 2, N/2, B)
    chi = (by_wire * phi.conj().unsqueeze(2)).sum(1)  # (n, N/2, B): ⊗ of the other wires
    g_wire = grad_psi.index_select(0, p.wire_order).view(n, 2, half, size)
    env = torch.linalg.vecdot(g_wire, chi.unsqueeze(1), dim=2)  # (n, 2, B): Σ conj(g) χ
    grad = (env.unsqueeze(2) * dphi).sum(1).real  # (n, dc, B)
    return grad.reshape(n * p.dc, size)


def _fast_dense_backward(
    t: _FastTables, saved: Any, grad_out: Tensor, need_u: bool
) -> tuple[Tensor | None, Tensor | None]:
    """Gradients ``(angles (m, B) or None, U-or-shared or None)`` of the fast path."""
    unitary, psis, phi, block, states = saved
    grad_out = grad_out.reshape(phi.shape[1], t.z.shape[1])  # (B, R)
    grad_phi = (t.z2 @ grad_out.t()) * phi  # (2^n, B): 2 ∂L/∂p · φ
    grad_angles = grad_block = None
    prefix = states is not None or psis.shape[0] > 1
    grad_psi = unitary.mH @ grad_phi if prefix or block is not None else None
    if prefix:  # Re Σ_j conj(∂L/∂ψ_j) dψ_j/dθ
        if states is None:  # forward mode: the dψ/dθ rows built in the forward pass
            grad_rows = torch.linalg.vecdot(grad_psi, psis[1:], dim=-2).real  # (n·dc, B)
        else:  # the adjoint method
            grad_rows = _prefix_backward(t.prefix, psis[0], grad_psi, states)  # (n·dc, B)
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
        plan: Plan,
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
                return dense_expval(ctx.plan, angles, flat, u)

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
        ctx: Any, plan: Plan, t: _BlockFast, shared: Tensor, offset: int
    ) -> Tensor:
        u, ctx.saved = _shared_unitary(t, shared, True)
        ctx.plan, ctx.offset = plan, offset
        ctx.save_for_backward(shared, u)
        return u

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:  # type: ignore[override]
        shared, u = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: a differentiable backward
            fn = lambda s: plan_unitary(ctx.plan, phases(s), ctx.offset)  # noqa: E731
            return (None, None, *_regrad(fn, (shared,), (True,), grad), None)
        return None, None, _fast_unitary_backward(ctx.saved, grad.mH @ u), None


def fast_unitary(plan: Plan, shared: Tensor, k: int) -> Tensor | None:
    """The block unitary ``(2^n, 2^n)`` of the shared angles ``shared`` ``(n_slots - k,)`` on
    the fast path (one autograd node when ``shared`` needs a gradient), or ``None`` where
    the fast path does not apply.

    Args:
        plan: the circuit's plan.
        shared: the shared angles of slots ``k..n_slots-1``, real ``(n_slots - k,)``.
        k: the number of per-sample slots before them.

    Returns:
        ``U``, complex ``(2^n, 2^n)``, differentiable in ``shared``; or ``None``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> from qmem.circuits.emulation.plan import plan_of
    >>> from qmem.circuits.emulation.statevector import block_unitary
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> c = Circuit(2, ops, ("x", "w"), (1,))
    >>> w = torch.tensor([0.4], dtype=torch.float64, requires_grad=True)
    >>> u = fast_unitary(plan_of(c), w, 1)
    >>> u.shape, torch.allclose(u, block_unitary(c, w))
    (torch.Size([4, 4]), True)
    >>> grad, = torch.autograd.grad(u.real.sum(), w)  # the hand-written backward
    >>> torch.allclose(grad, torch.autograd.grad(block_unitary(c, w).real.sum(), w)[0])
    True
    """
    dtype, device = shared.dtype, shared.device
    if not fast_tables(plan, k, dtype, device, False, False).ok:
        return None
    jw = torch.is_grad_enabled() and shared.requires_grad
    t = fast_tables(plan, k, dtype, device, False, jw).block
    if jw:
        return _UnitaryFn.apply(plan, t, shared, k)
    return _shared_unitary(t, shared, False)[0]
