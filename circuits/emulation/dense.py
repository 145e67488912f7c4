"""The dense path's autograd building blocks: phases, run matrices, the block unitary, the
product state, the readout and the plain-autograd dense evaluation.

See :mod:`qmem.circuits.emulation.statevector` for the maths; the one-node fast path with a
hand-written backward is :mod:`qmem.circuits.emulation.fast`.

>>> from qmem.circuits.ir import Circuit, Op
>>> plan = plan_of(Circuit(1, (Op("RY", (0,), 0),), ("a",), (0,)))
>>> dense_expval(plan, torch.tensor([[0.0]]), None)
tensor([[1.]])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .plan import (
    GATHER_MAX_QUBITS,
    REAL,
    FixedRun,
    Plan,
    RunTables,
    bits,
    plan_of,  # noqa: F401  (doctest)
)

__all__ = [
    "block_tables",
    "dense_expval",
    "fixed_tensors",
    "phases",
    "plan_apply",
    "plan_unitary",
    "prefix_tables",
    "readout",
]


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


def phases(source: Tensor) -> Tensor:
    """Angles ``(m, *T)`` -> complex ``(m, 2, *T)``: ``(e^{iθ/2}, e^{-iθ/2})``.

    Args:
        source: real angles (float32/float64), one row per slot, shape ``(m, *T)``.

    Returns:
        The phases, complex ``(m, 2, *T)``, differentiable in ``source``.

    >>> p = phases(torch.tensor([0.0, 0.8], dtype=torch.float64))
    >>> p.shape
    torch.Size([2, 2])
    >>> [f"{z.real:.4f}{z.imag:+.4f}j" for z in p[1].tolist()]  # e^{±0.4i}
    ['0.9211+0.3894j', '0.9211-0.3894j']
    """
    key = (source.dtype, source.device, source.dim())
    half = _HALF.get(key)
    if half is None:
        with torch.inference_mode(False):  # cached for every caller: a normal tensor
            half = torch.tensor([0.5, -0.5], dtype=source.dtype, device=source.device)
            half = _HALF[key] = _trailing(half, source.dim() - 1)  # (2, 1…)
    angle = source.unsqueeze(1) * half  # (m, 2, *T)
    return torch.complex(torch.cos(angle), torch.sin(angle))


_HALF: dict[tuple[torch.dtype, torch.device, int], Tensor] = {}


def _run_matrices(phases: Tensor, tables: RunTables) -> Tensor:
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


def fixed_tensors(plan: Plan, seg: FixedRun, cdtype: torch.dtype, device: torch.device) -> Any:
    """A CNOT/CZ run's ``perm`` and ``sign`` as device tensors, cached on ``plan``.

    Args:
        plan: the plan that holds ``seg``.
        seg: one of its :class:`~qmem.circuits.emulation.plan.FixedRun` segments.
        cdtype: complex dtype of the signs.
        device: where the tensors live.

    Returns:
        ``(perm, sign)``: long ``(2^n,)`` and ``cdtype`` ``(2^n, 1)``, so that
        ``psi[perm] * sign`` applies the run to states ``psi`` ``(2^n, B)``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> plan = plan_of(Circuit(2, (Op("CNOT", (0, 1)), Op("RY", (1,), 0)), ("w",), (1,)))
    >>> perm, sign = fixed_tensors(plan, plan.chain[0][1], torch.complex128, torch.device("cpu"))
    >>> perm, sign.shape
    (tensor([0, 1, 3, 2]), torch.Size([4, 1]))
    """
    return plan.cached(
        ("fixed", id(seg), cdtype, device),
        lambda: (
            torch.as_tensor(seg.perm, device=device),
            torch.as_tensor(seg.sign, dtype=cdtype, device=device)[:, None],
        ),
    )


def block_tables(
    plan: Plan, m: int, offset: int, dtype: torch.dtype, device: torch.device
) -> RunTables:
    """The :class:`~qmem.circuits.emulation.plan.RunTables` of the block's runs, cached on
    ``plan``.

    Args:
        plan: the circuit's plan.
        m: rows of the angle source.
        offset: block slot ``s`` reads row ``s - offset`` of the source.
        dtype: real dtype of the angles.
        device: where the tables live.

    Returns:
        The tables of the ``S`` runs of ``plan.chain`` (built once per arguments).

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> plan = plan_of(Circuit(2, ops, ("x", "w"), (1,)))
    >>> tables = block_tables(plan, 1, 1, torch.float64, torch.device("cpu"))
    >>> tables.terms_t.shape  # (S, n, 4, K)
    torch.Size([1, 2, 4, 2])
    >>> tables is block_tables(plan, 1, 1, torch.float64, torch.device("cpu"))
    True
    """
    runs = [run for run, _ in plan.chain]
    return plan.cached(
        ("block", offset, m, dtype, device), lambda: RunTables(runs, offset, m, dtype, device)
    )


def plan_unitary(plan: Plan, phases: Tensor, offset: int) -> Tensor | None:
    """``U`` of the block from ``phases`` ``(m, 2, *T)`` (see :func:`phases`) of a source
    whose row ``s - offset`` holds block slot ``s``.

    Args:
        plan: the circuit's plan.
        phases: complex ``(m, 2, *T)`` with at most one batch dimension ``T``.
        offset: block slot ``s`` reads row ``s - offset``.

    Returns:
        ``(*T, 2^n, 2^n)`` (batch first, ready for matmul), or ``None`` when the block is
        empty (identity).

    >>> from qmem.circuits.ir import Circuit, Op
    >>> from qmem.circuits.emulation.statevector import block_unitary
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> c = Circuit(2, ops, ("x", "w"), (1,))
    >>> w = torch.tensor([0.4], dtype=torch.float64)
    >>> u = plan_unitary(plan_of(c), phases(w), 1)
    >>> u.shape, torch.allclose(u, block_unitary(c, w))
    (torch.Size([4, 4]), True)
    """
    n, cdtype, device = plan.n, phases.dtype, phases.device
    t = phases.dim() - 2
    if not plan.chain:
        if plan.trailing is None:
            return None
        perm, sign = fixed_tensors(plan, plan.trailing, cdtype, device)
        return torch.eye(2**n, dtype=cdtype, device=device)[perm] * sign
    tables = block_tables(plan, phases.shape[0], offset, REAL[cdtype], device)
    mats = _run_matrices(phases, tables)  # (S, n, 4, *T)
    if n <= GATHER_MAX_QUBITS:
        idx, signs = plan.kron_index(device, REAL[cdtype])
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
        return _apply_layers(plan, mats, torch.eye(2**n, dtype=cdtype, device=device))
    if plan.trailing is not None:
        perm, sign = fixed_tensors(plan, plan.trailing, cdtype, device)
        u = u[..., perm, :] * sign if plan.trailing.signed else u[..., perm, :]
    return u


def _apply_layers(plan: Plan, mats: Tensor, u: Tensor) -> Tensor:
    """``G_S … G_1 u`` (then the trailing CNOT/CZ run) for ``u`` ``(..., 2^n, C)``, layer by
    layer and wire by wire, from the run matrices ``mats`` ``(..., S, n, 2, 2)``."""
    n, cdtype, device = plan.n, u.dtype, u.device
    for s, (_, fixed) in enumerate(plan.chain):
        if fixed is not None:
            perm, sign = fixed_tensors(plan, fixed, cdtype, device)
            u = u[..., perm, :] * sign if fixed.signed else u[..., perm, :]
        u = _apply_per_wire(u, mats[..., s, :, :, :], n)
    if plan.trailing is not None:
        perm, sign = fixed_tensors(plan, plan.trailing, cdtype, device)
        u = u[..., perm, :] * sign if plan.trailing.signed else u[..., perm, :]
    return u


def plan_apply(plan: Plan, phases: Tensor, offset: int, psi: Tensor) -> Tensor:
    """``U ψ`` for shared block ``phases`` ``(m, 2)`` (see :func:`plan_unitary`) and states
    ``psi`` ``(2^n, B)``, without building ``U``: the block's layers applied to ``psi`` wire
    by wire (``S·n`` small products of ``2^n·B`` amplitudes each, against ``U``'s ``S·n·4^n``
    to build and ``4^n·B`` to apply: cheaper whenever ``B`` is below ``2^n``).

    Args:
        plan: the circuit's plan.
        phases: complex ``(m, 2)``, the block's shared angles' phases.
        offset: block slot ``s`` reads row ``s - offset``.
        psi: complex states ``(2^n, B)``.

    Returns:
        ``U ψ``, complex ``(2^n, B)``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> plan = plan_of(Circuit(2, ops, ("x", "w"), (1,)))
    >>> w = torch.tensor([0.4], dtype=torch.float64)
    >>> psi = torch.eye(4, dtype=torch.complex128)[:, :2]  # |00>, |01>
    >>> torch.allclose(plan_apply(plan, phases(w), 1, psi), plan_unitary(plan, phases(w), 1) @ psi)
    True
    """
    if not plan.chain:
        return _apply_layers(plan, phases.new_zeros(0, 0, 2, 2), psi)
    tables = block_tables(plan, phases.shape[0], offset, REAL[phases.dtype], phases.device)
    mats = _run_matrices(phases, tables).unflatten(2, (2, 2))  # (S, n, 2, 2)
    return _apply_layers(plan, mats, psi)


def _z_signs_t(plan: Plan, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``(R, 2^n)``: eigenvalue ``±1`` of ``Z`` on each readout wire for each basis state."""
    return plan.cached(
        ("zT", dtype, device),
        lambda: torch.as_tensor(plan.z_signs.T.copy(), dtype=dtype, device=device),
    )


def readout(plan: Plan, amplitudes: Tensor) -> Tensor:
    """Complex amplitudes ``(2^n, B)`` -> ``⟨Z⟩`` ``(B, R)`` on the plan's readout wires.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> plan = plan_of(Circuit(2, (Op("CNOT", (0, 1)),), (), (0, 1)))
    >>> psi = torch.zeros(4, 2, dtype=torch.complex128)
    >>> psi[0, 0] = psi[3, 1] = 1  # |00>, |11>
    >>> readout(plan, psi)
    tensor([[ 1.,  1.],
            [-1., -1.]], dtype=torch.float64)
    """
    probs = torch.view_as_real(amplitudes).square().sum(-1)  # (2^n, B); smooth at 0
    return (_z_signs_t(plan, probs.dtype, probs.device) @ probs).T  # (R, B) -> (B, R)


def _product_state(plan: Plan, phases: Tensor) -> Tensor:
    """Per-sample product state ``(2^n, B)`` of the prefix from ``phases`` ``(m, 2, B)``
    (see :func:`phases`) of a source whose row ``s`` holds slot ``s``."""
    n, m, device = plan.n, phases.shape[0], phases.device
    tables = prefix_tables(plan, m, REAL[phases.dtype], device)
    mats = _run_matrices(phases, tables)  # (n, 4, B): per-wire 2x2, row-major
    if n <= GATHER_MAX_QUBITS:  # psi[j] = Π_w M_w[j_w, 0]  (entries 0 and 2 of the row-major M)

        def make() -> Tensor:
            idx = np.stack([4 * w + 2 * bits(n, w) for w in range(n)])  # (n, 2^n)
            return torch.as_tensor(idx, device=device)

        idx = plan.cached(("psi", device), make)
        return _gather_prod(mats.flatten(0, 1), idx)  # Π over n -> (2^n, B)
    vec = mats[:, 0::2]  # (n, 2, B): each wire's gates applied to |0>
    psi = vec[0]
    for w in range(1, n):
        psi = (psi[:, None, :] * vec[w][None, :, :]).flatten(0, 1)  # (2 * 2^w, B)
    return psi


def prefix_tables(plan: Plan, m: int, dtype: torch.dtype, device: torch.device) -> RunTables:
    """The single-run :class:`~qmem.circuits.emulation.plan.RunTables` of the product-state
    prefix (slot ``s`` reads row ``s`` of a source of ``m`` rows), cached on ``plan``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> plan = plan_of(Circuit(2, ops, ("x", "w"), (1,)))
    >>> prefix_tables(plan, 1, torch.float64, torch.device("cpu")).terms_t.shape  # (n, 4, K)
    torch.Size([2, 4, 2])
    """
    return plan.cached(
        ("prefix", m, dtype, device),
        lambda: RunTables([plan.prefix], 0, m, dtype, device, single=True),
    )


def dense_expval(
    plan: Plan, angles: Tensor, shared: Tensor | None, unitary: Tensor | None = None
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
    psi = _product_state(plan, phases(rows))  # (2^n, B)
    if block_shared and unitary is None and size < 2**plan.n:
        # fewer samples than amplitudes: the layers on the states (measured: at 7-8 qubits
        # it beats building U below B = 2^n, U's one big matmul wins above)
        psi = plan_apply(plan, phases(shared), k, psi)
    elif block_shared:
        u = (
            unitary if unitary is not None else plan_unitary(plan, phases(shared), k)
        )  # (2^n, 2^n): one for the whole batch
        if u is not None:
            psi = u @ psi  # (2^n, 2^n) x (2^n, B)
    else:
        full_rows = full.reshape(size, full.shape[-1]).T.contiguous()  # (n_slots, B)
        u = plan_unitary(plan, phases(full_rows), 0)  # (B, 2^n, 2^n) or (2^n, 2^n)
        if u is not None:
            psi = (u @ psi.T[..., None])[..., 0].T  # (2^n, B), one unitary per sample
    out = readout(plan, psi)  # (B, R)
    return out.reshape(*batch, out.shape[-1])  # (..., R)
