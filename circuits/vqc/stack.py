"""Several VQC layers that read the same input, run as one: one product state, one matmul.

The gate maps of a QLSTM cell are ``G`` VQCs of one circuit shape (their weights differ,
their readout wires may) applied to the same ``v_t``. Each splits into a data-dependent
product-state prefix (the encoding) and a block ``U_g`` that depends on the weights only, so
for a whole sequence:

- once per sequence (autograd): ``U_g`` for every ``g``, built gate by gate on the
  identity, batched over the ``G`` circuits (real arithmetic when every gate is real, as in
  ``chen2024``: ``H``, ``RY``, ``CNOT``);
- per step: the product state ``ψ(v_t)`` ``(B, 2^n)`` once, amplitudes of all circuits in
  one matmul ``ψ · [U_1ᵀ … U_Gᵀ]``, ``|·|²``, and every ``⟨Z_w⟩`` in one matmul with a
  block-diagonal sign matrix.

That is ~10 tensor ops per step for all ``G`` circuits, against ~``G·25`` for the layers one
by one. Exact: the same numbers as each ``VQCLayer`` on the ``statevector`` executor
(tests: 1e-12 in float64). Only noiseless exact layers stack (executor ``auto`` or
``statevector`` without options); anything else keeps its own executor.

>>> import torch
>>> from qmem.circuits import VQCLayer
>>> g = torch.Generator().manual_seed(0)
>>> layers = [VQCLayer(3, 2, family="chen2024", n_outputs=2, generator=g) for _ in range(4)]
>>> stack = VQCStack.of(layers)
>>> x = torch.rand(5, 3)
>>> y = stack.bind(x.dtype)(x)
>>> y.shape, bool(torch.allclose(y, torch.cat([m(x) for m in layers], -1), atol=1e-6))
(torch.Size([5, 8]), True)
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ..emulation.plan import COMPLEX, FIXED_1Q, ROT_B, FixedRun, wire_bits
from .builder import build_circuit, encoding_angles
from .layer import VQCLayer

__all__ = ["MAX_STACK_QUBITS", "VQCStack"]

MAX_STACK_QUBITS = 10
"""Largest qubit count stacked (the ``G`` unitaries hold ``G·4^n`` amplitudes)."""

_STACKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""First layer -> (the layers' signature, their stack or None)."""

_EYE = np.eye(2, dtype=np.complex128)


def _is_real(gate: str) -> bool:
    mats = [FIXED_1Q.get(gate), ROT_B.get(gate)]
    return all(m is None or not np.iscomplex(m).any() for m in mats)


def _kron(mats: Tensor) -> Tensor:
    """Kronecker product over wires: ``(..., k, 2, 2) -> (..., 2^k, 2^k)``, wire 0 first."""
    k = mats.shape[-3]
    if k == 0:
        return mats.new_ones(*mats.shape[:-3], 1, 1)
    out = mats[..., 0, :, :]
    for j in range(1, k):
        out = out[..., :, None, :, None] * mats[..., j, None, :, None, :]  # (..., d, 2, d, 2)
        out = out.reshape(*out.shape[:-4], 2 ** (j + 1), 2 ** (j + 1))
    return out


class _Layers:
    """Single-qubit gates grouped into positions, vectorised over wires.

    ``wires[q]`` lists wire ``q``'s gates ``(gate, slot)`` (slot ``-1``: a fixed gate); the
    ``p``-th gate of every wire forms position ``p``. ``matrices(cos, sin)`` gives the
    product of all positions per wire, ``(..., n, 2, 2)``.
    """

    def __init__(self, wires: list[list[tuple[str, int]]], real: bool) -> None:
        n = len(wires)
        self.n = n
        self._tables: dict[tuple[object, ...], list[tuple[Tensor | None, ...]]] = {}
        self.positions = []
        for p in range(max((len(w) for w in wires), default=0)):
            rot_slots, rot_b, fixed = [], [], []
            for w in wires:
                gate, slot = w[p] if p < len(w) else ("I", -1)
                if slot >= 0:
                    rot_slots.append(slot)
                    rot_b.append(ROT_B[gate])
                    fixed.append(_EYE)
                else:
                    rot_slots.append(-1)
                    rot_b.append(np.zeros((2, 2)))
                    fixed.append(FIXED_1Q.get(gate, _EYE))
            has_rot = any(sl >= 0 for sl in rot_slots)
            has_fixed = any(not np.allclose(f, _EYE) for f in fixed)
            fix = np.stack(fixed).real if real else np.stack(fixed)
            rot = np.stack(rot_b).real if real else np.stack(rot_b)
            self.positions.append((has_rot, np.asarray(rot_slots), rot, has_fixed, fix))

    def _device_tables(self, width: int, eye: Tensor) -> list[tuple[Tensor | None, ...]]:
        key = (width, eye.dtype, eye.device)
        if key not in self._tables:
            out = []
            for has_rot, slots, rot, has_fixed, fix in self.positions:
                pick = np.where(slots < 0, width - 1, slots)
                out.append((
                    torch.as_tensor(pick, device=eye.device) if has_rot else None,
                    torch.as_tensor(rot, dtype=eye.dtype, device=eye.device) if has_rot else None,
                    torch.as_tensor(fix, dtype=eye.dtype, device=eye.device) if has_fixed else None,
                ))
            self._tables[key] = out
        return self._tables[key]

    def on_zero(self, cos: Tensor, sin: Tensor, eye: Tensor) -> Tensor:
        """Every wire's ``|0⟩`` through its gates, ``(..., n, 2)`` (a product state's
        factors): the gates applied to vectors, not multiplied as matrices."""
        v = eye[:, 0].expand(self.n, 2)  # (n, 2): |0> on every wire
        for idx, rot, fix in self._device_tables(cos.shape[-1], eye):
            if fix is not None:
                v = (fix @ v.unsqueeze(-1)).squeeze(-1)  # (..., n, 2)
            if idx is not None:
                bv = (rot @ v.unsqueeze(-1)).squeeze(-1)  # the rotation's generator on v
                c, s = cos[..., idx].unsqueeze(-1), sin[..., idx].unsqueeze(-1)  # (..., n, 1)
                v = torch.addcmul(c * v, s, bv)  # (c I + s B) v
        return v

    def matrices(self, cos: Tensor, sin: Tensor, eye: Tensor) -> Tensor:
        """Per-wire products ``(..., n, 2, 2)`` from ``cos``/``sin`` of half angles
        ``(..., k + 1)`` (the last column is angle 0, for wires without a rotation)."""
        out = None
        for idx, rot, fix in self._device_tables(cos.shape[-1], eye):
            m = None
            if idx is not None:
                c, s = cos[..., idx, None, None], sin[..., idx, None, None]  # (..., n, 1, 1)
                m = c * eye + s * rot  # (..., n, 2, 2)
            if fix is not None:
                m = fix if m is None else fix @ m  # one of the two is I on every wire
            if m is not None:
                out = m if out is None else m @ out
        if out is None:
            out = eye.expand(self.n, 2, 2)
        return out


class VQCStack:
    """``G`` :class:`~qmem.circuits.VQCLayer` s of one block structure, run together.

    Build with :meth:`of` (``None`` when the layers cannot stack). ``unitaries(dtype)``
    gives the blocks ``(G, 2^n, 2^n)`` (transposed, in autograd, once per sequence);
    ``stack(x, u)`` maps ``x (B, n) -> (B, Σ_g R_g)``, the layers' outputs concatenated.
    """

    def __init__(self, layers: Sequence[VQCLayer]) -> None:
        self.layers = list(layers)
        spec = self.layers[0].spec
        self.spec = spec
        circuit = build_circuit(spec)
        self.n = n = circuit.n_qubits
        gates = {op.gate for op in circuit.ops}
        self.real = real = all(_is_real(g) for g in gates if g not in ("CNOT", "CZ"))
        entangled = [False] * n
        prefix: list[list[tuple[str, int]]] = [[] for _ in range(n)]
        block = [op for op in circuit.ops if op.slot is not None and len(op.wires) == 1]
        self.block_start = 0
        # the block as steps: ("run", _Layers) of single-qubit gates, ("two", op) otherwise;
        # a wire's pending gates are flushed (all wires at once: they commute with a gate on
        # other wires) when a two-qubit gate touches a wire that has some
        steps: list[tuple[str, Any]] = []
        pending: list[list[tuple[str, int]]] = [[] for _ in range(n)]
        block_slots = []
        for op in circuit.ops:
            slot = -1 if op.slot is None else op.slot
            if len(op.wires) == 1 and not entangled[op.wires[0]]:
                prefix[op.wires[0]].append((op.gate, slot))
                continue
            if len(op.wires) == 1:
                pending[op.wires[0]].append((op.gate, slot))
                if slot >= 0:
                    block_slots.append(slot)
                continue
            entangled[op.wires[0]] = entangled[op.wires[1]] = True
            if any(pending[w] for w in op.wires):
                steps.append(("run", _Layers(pending, real)))
                pending = [[] for _ in range(n)]
            if steps and steps[-1][0] == "two":  # consecutive CNOT/CZ: one signed permutation
                steps[-1][1].append((op.gate, op.wires))
            else:
                steps.append(("two", [(op.gate, op.wires)]))
        if any(pending):
            steps.append(("run", _Layers(pending, real)))
        self.block_start = min(block_slots, default=0)
        # block slots renumbered from 0 (the weights' order); the prefix reads encoding slots
        for kind, item in steps:
            if kind == "run":
                for pos in item.positions:
                    pos[1][pos[1] >= 0] -= self.block_start
        self.steps = steps
        self.prefix = _Layers(prefix, real)
        self.block = block
        self.n_a = n // 2  # wires 0..n_a-1 on the first axis of a (2^n_a, 2^n_b) view
        # per wire q the flat column of v[:, q, bit] for basis index i: 2q + bit_q(i)
        bits = wire_bits(n)  # (n, 2^n)
        self._gather = torch.as_tensor((2 * np.arange(n)[:, None] + bits).T.reshape(-1))
        self._cache: dict[tuple[object, ...], object] = {}
        self._quiet: tuple[tuple[object, ...], Tensor] | None = None

    @staticmethod
    def of(layers: Sequence[object]) -> VQCStack | None:
        """A stack of ``layers``, or ``None`` unless all are exact ``VQCLayer`` s on the
        ``statevector`` path with the same circuit apart from the readout wires.

        Stacks are cached per first layer while the layers, their specs, executors, dtype
        and device are unchanged (a few attribute reads per call)."""
        if not layers or not all(type(m) is VQCLayer for m in layers):
            return None
        key = tuple(
            (id(m), m.spec, m.executor, tuple(sorted(m.executor_options)),
             m.executor_options.get("method"), m.weights.dtype, m.weights.device)
            for m in layers
        )
        hit = _STACKS.get(layers[0])
        if hit is not None and hit[0] == key:
            return hit[1]
        stack = VQCStack._make(layers)
        _STACKS[layers[0]] = (key, stack)
        return stack

    @staticmethod
    def _make(layers: Sequence[VQCLayer]) -> VQCStack | None:
        first = layers[0]
        ops = build_circuit(first.spec).ops
        for m in layers:
            if m.executor not in ("auto", "statevector") or set(m.executor_options) - {"method"}:
                return None
            if m.executor_options.get("method", "auto") == "gates":
                return None
            if m.spec.n_qubits > MAX_STACK_QUBITS or build_circuit(m.spec).ops != ops:
                return None
            if m.weights.dtype != first.weights.dtype or m.weights.device != first.weights.device:
                return None
        n_enc = first.spec.n_encoding_slots
        stack = VQCStack(layers)
        if any(sl >= n_enc for pos in stack.prefix.positions for sl in pos[1]):
            return None  # a weight before any entangler (e.g. one qubit): no product state
        return stack

    # ------------------------------------------------------------------ tables
    def _tables(self, dtype: torch.dtype, device: torch.device) -> dict[str, Tensor]:
        key = (dtype, device)
        if key not in self._cache:
            mdtype = dtype if self.real else COMPLEX[dtype]

            def mat(m: np.ndarray) -> Tensor:
                return torch.as_tensor(m.real if self.real else m, dtype=mdtype, device=device)

            tabs = {g: mat(m) for g, m in {**FIXED_1Q, **ROT_B}.items() if _is_real(g) or
                    not self.real}
            tabs["I"] = mat(_EYE)
            for r, (kind, item) in enumerate(self.steps):
                if kind == "two":
                    fixed = FixedRun(self.n, item)
                    sign = np.asarray(fixed.sign)
                    tabs[f"sign{r}"] = None if np.all(sign == 1) else mat(sign)
                    # the same map on rows ordered (b, a): conjugate by the axis swap
                    na, nb = self.n_a, self.n - self.n_a
                    idx = np.arange(2**self.n)
                    swap = (idx % 2**na) * 2**nb + idx // 2**na  # (b, a) row -> (a, b) index
                    inv = np.argsort(swap)
                    for order, perm, sg in (
                        ("plain", fixed.perm, sign),
                        ("swapped", inv[fixed.perm[swap]], sign[swap]),
                    ):
                        tabs[f"perm{r}:{order}"] = torch.as_tensor(perm, device=device)
                        tabs[f"sign{r}:{order}"] = mat(sg[:, None])
            signs = [
                torch.as_tensor(
                    np.stack([1 - 2 * wire_bits(self.n)[w] for w in m.circuit.readout], 1),
                    dtype=dtype, device=device,
                )
                for m in self.layers
            ]  # each (2^n, R_g)
            tabs["signs"] = torch.block_diag(*signs)  # (G*2^n, Σ R_g)
            tabs["gather"] = self._gather.to(device)
            self._cache[key] = tabs
        return self._cache[key]

    # ------------------------------------------------------------------ blocks
    def unitaries(self, dtype: torch.dtype) -> Tensor:
        """``M[g] = U_gᵀ`` of every layer's block, shape ``(G, 2^n, 2^n)``, in autograd.

        Each run of single-qubit gates is a Kronecker product ``K_A ⊗ K_B`` over the two
        halves of the wires, applied to a ``(2^n_a, 2^n_b)`` view as two small matmuls;
        a CNOT is a permutation, a CZ a sign.

        Args:
            dtype: the real dtype of the computation (the layers' weights are cast to it).
        """
        device = self.layers[0].weights.device
        tabs = self._tables(dtype, device)
        eye2 = tabs["I"]
        n, dim, G, na = self.n, 2**self.n, len(self.layers), self.n_a
        da, db = 2**na, 2 ** (n - na)
        w = torch.stack([m.weights.reshape(-1) for m in self.layers]).to(dtype)  # (G, k)
        half = torch.nn.functional.pad(0.5 * w, (0, 1))  # (G, k + 1): a zero angle last
        cos, sin = torch.cos(half), torch.sin(half)
        runs = [item.matrices(cos, sin, eye2) for kind, item in self.steps if kind == "run"]
        if runs:
            mats = torch.stack([r.expand(G, n, 2, 2) for r in runs], 1)  # (G, R, n, 2, 2)
            k_a = _kron(mats[..., :na, :, :])  # (G, R, da, da)
            k_b = _kron(mats[..., na:, :, :])  # (G, R, db, db)
        # U itself, rows = the output index i = (a, b) (or (b, a) when `swapped`), cols j
        u = torch.eye(dim, dtype=eye2.dtype, device=device).expand(G, dim, dim)
        swapped, r = False, 0
        for step, (kind, _) in enumerate(self.steps):
            if kind == "two":  # new[i, j] = sign[i] · old[perm[i], j]
                key = "swapped" if swapped else "plain"
                u = u.index_select(1, tabs[f"perm{step}:{key}"])
                if tabs[f"sign{step}"] is not None:
                    u = u * tabs[f"sign{step}:{key}"]
                continue
            # the leading axis first (one bmm), then swap the two axes (one copy), the other
            first, second = (k_b, k_a) if swapped else (k_a, k_b)
            d1, d2 = (db, da) if swapped else (da, db)
            u = first[:, r] @ u.reshape(G, d1, d2 * dim)  # (G, d1, d2*dim)
            u = u.reshape(G, d1, d2, dim).transpose(1, 2).reshape(G, d2, d1 * dim)
            u = second[:, r] @ u  # (G, d2, d1*dim): rows now (second axis, first axis)
            u = u.reshape(G, dim, dim)
            swapped, r = not swapped, r + 1
        if swapped:  # rows back to (a, b)
            u = u.reshape(G, db, da, dim).transpose(1, 2).reshape(G, dim, dim)
        return u.transpose(1, 2)  # (G, 2^n, 2^n): M[g] = U_gᵀ

    def bind(self, dtype: torch.dtype) -> Callable[[Tensor], Tensor]:
        """The per-step map ``x (B, n) -> (B, Σ_g R_g)`` with the blocks built now (once).

        Without gradients (``no_grad`` / ``inference_mode``) the blocks of an earlier call in
        the same mode are reused while no weight has changed (same tensors and in-place
        versions), so streaming ``step()`` inference does no block work."""
        if torch.is_grad_enabled():
            return partial(self, unitaries=self._side_by_side(dtype))
        mode = "inference" if torch.is_inference_mode_enabled() else "no_grad"
        key = (mode, dtype, tuple(
            (id(m.weights), m.weights.data_ptr(), m.weights._version) for m in self.layers
        ))
        if self._quiet is None or self._quiet[0] != key:
            self._quiet = (key, self._side_by_side(dtype))
        return partial(self, unitaries=self._quiet[1])

    def _side_by_side(self, dtype: torch.dtype) -> Tensor:
        u = self.unitaries(dtype)  # (G, 2^n, 2^n)
        G, dim, _ = u.shape
        return u.permute(1, 0, 2).reshape(dim, G * dim)  # (2^n, G*2^n): [U_1ᵀ … U_Gᵀ]

    # ------------------------------------------------------------------ per step
    def product_state(self, x: Tensor) -> Tensor:
        """The encoding's product state ``ψ(x)``, ``x (B, n) -> (B, 2^n)``."""
        tabs = self._tables(x.dtype, x.device)
        angles = torch.nn.functional.pad(0.5 * encoding_angles(self.spec, x), (0, 1))
        v = self.prefix.on_zero(torch.cos(angles), torch.sin(angles), tabs["I"])
        v = v.expand(x.shape[0], self.n, 2)  # (B, n, 2): each wire's state
        picked = v.reshape(x.shape[0], 2 * self.n)[:, tabs["gather"]]  # (B, 2^n * n)
        return picked.reshape(x.shape[0], 2**self.n, self.n).prod(-1)  # (B, 2^n)

    def __call__(self, x: Tensor, unitaries: Tensor) -> Tensor:
        """All layers' ``⟨Z⟩`` on ``x (B, n)``: ``(B, Σ_g R_g)``, layer by layer.

        ``unitaries``: those of :meth:`unitaries` ``(G, 2^n, 2^n)``, or already laid side by
        side as ``(2^n, G·2^n)`` (what :meth:`bind` hands over, once per sequence)."""
        psi = self.product_state(x)  # (B, 2^n)
        if unitaries.dim() == 3:
            G, dim, _ = unitaries.shape
            unitaries = unitaries.permute(1, 0, 2).reshape(dim, G * dim)  # [U_1ᵀ … U_Gᵀ]
        amp = psi @ unitaries  # (B, G*2^n)
        probs = amp * amp if self.real else (amp.conj() * amp).real
        return probs @ self._tables(x.dtype, x.device)["signs"]  # (B, Σ R_g)
