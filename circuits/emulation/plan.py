"""Circuit plans of the dense state-vector path: prefix/block split, gate tables, runs and
the Kronecker tables (see :mod:`qmem.circuits.emulation.statevector` for the maths).

A :class:`Plan` is built once per circuit (:func:`plan_of`) and caches its per-dtype and
per-device tensors itself (:meth:`Plan.cached`); other modules read it only through its
public methods and attributes.

>>> from qmem.circuits.ir import Circuit, Op
>>> plan = plan_of(Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1))), ("a",), (0,)))
>>> plan.prefix_slots, plan.block_slots, plan.kron_tables()[1] is None
((0,), (), True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..ir import Circuit

__all__ = [
    "COMPLEX",
    "FIXED_1Q",
    "GATHER_MAX_QUBITS",
    "REAL",
    "ROT_B",
    "FixedRun",
    "Plan",
    "Run",
    "RunTables",
    "bits",
    "plan_of",
    "prefix_and_block",
    "wire_bits",
]

GATHER_MAX_QUBITS = 6
"""Up to this many qubits, Kronecker products are built as one gather + product (``4^n``
entries per factor) and the fast one-node path applies; beyond, wire by wire."""
# Single-qubit factors fused per coefficient expansion (2^3 = 8 terms).
_CHUNK = 3

COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}
"""Real dtype -> the complex dtype of its amplitudes (its keys are the dtypes accepted)."""
REAL = {c: r for r, c in COMPLEX.items()}
"""Complex dtype -> its real dtype (the inverse of :data:`COMPLEX`)."""

_S2 = 1 / math.sqrt(2)
FIXED_1Q = {
    "H": np.array([[_S2, _S2], [_S2, -_S2]], dtype=np.complex128),
    "X": np.array([[0, 1], [1, 0]], dtype=np.complex128),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=np.complex128),
    "Z": np.array([[1, 0], [0, -1]], dtype=np.complex128),
}
"""Matrix ``(2, 2)`` complex128 of each fixed single-qubit gate (``H``, ``X``, ``Y``, ``Z``)."""
ROT_B = {
    "RX": np.array([[0, -1j], [-1j, 0]], dtype=np.complex128),
    "RY": np.array([[0, -1], [1, 0]], dtype=np.complex128),
    "RZ": np.array([[-1j, 0], [0, 1j]], dtype=np.complex128),
}
"""``B = -i·P`` ``(2, 2)`` of each rotation, so that ``R_P(θ) = cos(θ/2)·I + sin(θ/2)·B``."""
_EYE2 = np.eye(2, dtype=np.complex128)
_ZERO2 = np.zeros((2, 2), dtype=np.complex128)


def bits(n: int, wire: int) -> np.ndarray:
    """Bit of ``wire`` in every basis index ``0..2^n-1`` (wire 0 most significant).

    Args:
        n: number of qubits.
        wire: the wire, ``0..n-1``.

    Returns:
        Integer array ``(2^n,)`` of 0s and 1s.

    >>> bits(2, 0), bits(2, 1)
    (array([0, 0, 1, 1]), array([0, 1, 0, 1]))
    """
    return (np.arange(2**n) >> (n - 1 - wire)) & 1


def wire_bits(n: int) -> np.ndarray:
    """``(n, 2^n)``: :func:`bits` of every wire (row ``w`` is ``bits(n, w)``).

    >>> wire_bits(2)
    array([[0, 0, 1, 1],
           [0, 1, 0, 1]])
    """
    return np.stack([bits(n, w) for w in range(n)])


class Run:
    """A run of single-qubit gates, fused per wire into factors ``cos(θ/2)·A + sin(θ/2)·B``.

    Fixed gates are folded into a neighbouring rotation at plan time, so a wire has one
    factor per rotation (a wire with only fixed gates gets one constant factor, slot -1).

    Args:
        per_wire: for each wire, its gates in time order as ``(gate, slot)`` (slot ``-1``
            for a fixed gate).

    Attributes:
        factors: per wire, ``(slot, A, B)`` per factor with ``A``, ``B`` complex ``(2, 2)``.

    >>> run = Run([[("H", -1), ("RY", 0)], [("X", -1)]])
    >>> [[slot for slot, _, _ in wire] for wire in run.factors]
    [[0], [-1]]
    >>> _, a, b = run.factors[0][0]
    >>> c, s = np.cos(0.35), np.sin(0.35)   # RY(0.7) after H
    >>> np.allclose(c * a + s * b, np.array([[c, -s], [s, c]]) @ FIXED_1Q["H"])
    True
    """

    def __init__(self, per_wire: list[list[tuple[str, int]]]) -> None:
        self.factors: list[list[tuple[int, np.ndarray, np.ndarray]]] = []
        for gates in per_wire:
            out: list[tuple[int, np.ndarray, np.ndarray]] = []
            pending = _EYE2
            for gate, slot in gates:
                if gate in FIXED_1Q:
                    pending = FIXED_1Q[gate] @ pending
                else:
                    out.append((slot, pending, ROT_B[gate] @ pending))
                    pending = _EYE2
            if not np.allclose(pending, _EYE2):
                if out:
                    slot, a, b = out[-1]
                    out[-1] = (slot, pending @ a, pending @ b)
                else:
                    out.append((-1, pending, _ZERO2))
            self.factors.append(out)


class FixedRun:
    """A run of CNOT/CZ gates as ``psi_new[j] = sign[j] * psi_old[perm[j]]``.

    Args:
        n: number of qubits.
        gates: the two-qubit gates in time order, ``(gate, (a, b))`` with ``gate`` ``"CNOT"``
            (control ``a``, target ``b``) or ``"CZ"``.

    Attributes:
        perm: integer array ``(2^n,)``, the source index of each new amplitude.
        sign: float array ``(2^n,)`` of ``±1``.
        signed: whether any sign is ``-1``.

    >>> cnot = FixedRun(2, [("CNOT", (0, 1))])
    >>> cnot.perm, cnot.signed
    (array([0, 1, 3, 2]), False)
    >>> FixedRun(2, [("CZ", (0, 1))]).sign
    array([ 1.,  1.,  1., -1.])
    """

    def __init__(self, n: int, gates: list[tuple[str, tuple[int, ...]]]) -> None:
        idx = np.arange(2**n)
        perm, sign = idx.copy(), np.ones(2**n)
        for gate, (a, b) in gates:
            if gate == "CNOT":  # new[j] = old[j with the target flipped if the control is set]
                src = np.where(bits(n, a) == 1, idx ^ (1 << (n - 1 - b)), idx)
                perm, sign = perm[src], sign[src]
            else:  # CZ: phase -1 where both bits are set
                sign = np.where(bits(n, a) & bits(n, b), -sign, sign)
        self.perm = perm
        self.sign = sign
        self.signed = bool((sign != 1).any())


class RunTables:
    """Device tables to evaluate a stack of ``S`` runs from an angle source of width ``m``.

    A factor ``cos(θ/2)·A + sin(θ/2)·B`` equals ``e^{iθ/2}·P + e^{-iθ/2}·Q`` with
    ``P = (A - iB)/2``, ``Q = (A + iB)/2``. Each wire's factors are fused ``_CHUNK`` at a
    time by expanding their product into ``2^D`` terms ``(Π_d e^{±iθ_d/2}) · C_k``: the
    coefficients are one gather + product of the phase table, the matrices ``C_k`` are
    constants, so a whole stack costs a handful of tensor ops whatever its size. With
    ``single=True`` (one run) the run dimension is dropped.

    Args:
        runs: the ``S`` runs, all on the same ``n`` wires.
        offset: slot ``s`` reads row ``s - offset`` of the angle source.
        m: rows of the angle source (row ``m`` of the phase table is the padding ``(1, 1)``).
        dtype: real dtype of the angles; the tables are in ``COMPLEX[dtype]``.
        device: where the tensors live.
        single: one run, without the run dimension.

    Attributes:
        idx: gather index ``(dc, S, n, [n_chunks,] K)`` into the flat phases ``(m + 1) x 2``
            (``2·row + bit``).
        terms_t: complex ``(S, n, [n_chunks,] 4, K)``, the matrices ``C_k`` row-major.
        n_chunks: chunks per wire (its dimension is dropped when 1).
        padded: whether any factor reads the padding row.

    >>> run = Run([[("H", -1), ("RY", 0)], [("X", -1)]])
    >>> tables = RunTables([run], 0, 1, torch.float64, torch.device("cpu"), single=True)
    >>> tables.idx.shape, tables.terms_t.shape  # (dc, n, K), (n, 4, K)
    (torch.Size([1, 2, 2]), torch.Size([2, 4, 2]))
    >>> half = torch.tensor([0.35, -0.35], dtype=torch.float64)  # ±θ/2 for θ = 0.7
    >>> wire0 = tables.terms_t[0] @ torch.polar(torch.ones(2, dtype=torch.float64), half)
    >>> _, a, b = run.factors[0][0]
    >>> np.allclose(wire0.reshape(2, 2).numpy(), np.cos(0.35) * a + np.sin(0.35) * b)
    True
    """

    def __init__(
        self,
        runs: list[Run],
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
        self.terms_t = torch.as_tensor(self.terms_np, dtype=COMPLEX[dtype], device=device)
        self.ones = torch.ones(1, 2, dtype=COMPLEX[dtype], device=device)


class Plan:
    """Dense-path plan of a circuit: product-state prefix, block segments, readout signs.

    Build it through :func:`plan_of` (cached per circuit).

    Args:
        circuit: the circuit to plan.

    Attributes:
        n: number of qubits.
        prefix: the :class:`Run` of each wire's gates before its first two-qubit gate.
        chain: the block as layers ``(run, fixed run before it or None)``, ``G_s = K_s·F_s``.
        trailing: a :class:`FixedRun` after the last single-qubit run, or ``None``.
        prefix_slots, block_slots: the slots each part reads, in gate order.
        prefix_end, block_start: the prefix reads only slots ``< prefix_end``, the block
            only slots ``>= block_start``.
        z_signs: ``(2^n, R)`` integer array, ``±1`` of ``Z`` on each readout wire.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> plan = Plan(Circuit(2, ops, ("x", "w"), (1,)))
    >>> plan.prefix_slots, plan.block_slots, len(plan.chain), plan.trailing
    ((0,), (1,), 1, None)
    >>> plan.z_signs[:, 0]
    array([ 1, -1,  1, -1])
    """

    def __init__(self, circuit: Circuit) -> None:
        n = circuit.n_qubits
        self.n = n
        prefix: list[list[tuple[str, int]]] = [[] for _ in range(n)]
        entangled = [False] * n
        segments: list[Run | FixedRun] = []
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
                    segments.append(FixedRun(n, fixed))
                    fixed = []
                if local is None:
                    local = [[] for _ in range(n)]
                local[op.wires[0]].append((op.gate, slot))
            else:
                entangled[op.wires[0]] = entangled[op.wires[1]] = True
                if local is not None:
                    segments.append(Run(local))
                    local = None
                fixed.append((op.gate, op.wires))
        if fixed:
            segments.append(FixedRun(n, fixed))
        if local is not None:
            segments.append(Run(local))
        self.prefix = Run(prefix)
        self.segments = segments
        # each run absorbs the fixed run just before it (U = G_S … G_1, G = K·F), a fixed
        # run after the last single-qubit run stays on its own
        self.chain: list[tuple[Run, FixedRun | None]] = []
        before: FixedRun | None = None
        for seg in segments:
            if isinstance(seg, FixedRun):
                before = seg
            else:
                self.chain.append((seg, before))
                before = None
        self.trailing = before
        self.prefix_slots = tuple(prefix_slots)
        self.block_slots = tuple(block_slots)
        self.prefix_end = max(prefix_slots, default=-1) + 1  # prefix reads slots < this
        self.block_start = min(block_slots, default=circuit.n_slots)  # block reads >= this
        self.z_signs = np.stack([1 - 2 * bits(n, w) for w in circuit.readout], 1)
        self.n_slots = circuit.n_slots
        self._cache: dict[tuple[object, ...], Any] = {}

    def cached(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """Per-(dtype, device, …) tensors, built once, outside inference mode whatever the
        caller's mode (a plan serves every later caller: an inference tensor would fail in
        autograd)."""
        value = self._cache.get(key)
        if value is None:
            with torch.inference_mode(False):
                value = self._cache[key] = make()
        return value

    def kron_tables(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The Kronecker tables of the layers ``G_s = K_s·F_s`` (built once per plan).

        Returns:
            ``entry`` ``(S, n, 2^n, 2^n)``: for layer ``s``, wire ``w`` and each entry
            ``(i, j)`` of ``G_s``, the entry ``2·row bit + column bit`` of the wire's
            row-major 2x2 matrix that multiplies into it; and the column signs
            ``(S, 1, 2^n)`` of the CNOT/CZ runs, or ``None`` when no run has a sign.
        """

        def make() -> tuple[np.ndarray, np.ndarray | None]:
            n, size = self.n, 2**self.n
            every = wire_bits(n)  # (n, 2^n)
            signs = np.ones((len(self.chain), 1, size))
            col_bits = []
            for s, (_, fixed) in enumerate(self.chain):
                cols = np.arange(size)
                if fixed is not None:  # (K F)[:, j] = K[:, perm⁻¹[j]] · sign[perm⁻¹[j]]
                    cols = np.argsort(fixed.perm)
                    signs[s, 0] = fixed.sign[cols]
                col_bits.append(every[:, cols])
            cols_all = np.stack(col_bits) if col_bits else np.zeros((0, n, size), np.int64)
            entry = 2 * every[None, :, :, None] + cols_all[:, :, None, :]  # (S, n, N, N)
            signed = any(f is not None and f.signed for _, f in self.chain)
            return entry, (signs if signed else None)

        return self.cached(("kron-np",), make)

    def kron_index(self, device: torch.device, dtype: torch.dtype) -> tuple[Tensor, Tensor | None]:
        """Gather index ``(n, S, 2^n, 2^n)`` of ``G_s = K_s·F_s`` into the flat per-wire
        matrices ``(S * n * 4, ...)``, and the column signs ``(S, 1, 2^n)`` (or ``None``),
        from :meth:`kron_tables`."""

        def make() -> tuple[Tensor, Tensor | None]:
            entry, signs = self.kron_tables()
            n_runs, n = entry.shape[:2]
            run_wire = np.arange(n_runs * n).reshape(n_runs, n, 1, 1)  # (S, n, 1, 1)
            idx = run_wire * 4 + entry  # (S, n, N, N) into the flat (S·n·4) matrices
            sign_t = None if signs is None else torch.as_tensor(signs, dtype=dtype, device=device)
            return torch.as_tensor(np.moveaxis(idx, 1, 0).copy(), device=device), sign_t

        return self.cached(("kron", device, dtype), make)


_PLANS: dict[int, tuple[Circuit, Plan]] = {}


def plan_of(circuit: Circuit) -> Plan:
    """The plan of ``circuit``, cached by identity (hashing a long gate list on every call
    costs more than evaluating the small circuits it is cached for)."""
    entry = _PLANS.get(id(circuit))
    if entry is not None and entry[0] is circuit:
        return entry[1]
    if len(_PLANS) >= 256:
        _PLANS.clear()
    plan = Plan(circuit)
    _PLANS[id(circuit)] = (circuit, plan)
    return plan


def prefix_and_block(circuit: Circuit) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Slots of the product-state prefix and of the block, as the dense path splits them.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> prefix_and_block(Circuit(2, ops, ("a", "b"), (0,)))
    ((0,), (1,))
    """
    plan = plan_of(circuit)
    return plan.prefix_slots, plan.block_slots
