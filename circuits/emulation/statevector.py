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
(up to 6 qubits; at 7 and 8 the layers are applied to ``U`` wire by wire). With fewer
samples than amplitudes (``B < 2^n``, e.g. 7-8 qubits at small batches) and no ``U`` given,
the layers are applied to the states themselves instead, wire by wire: ``S·n·2^n·B`` work
against building ``U`` for ``S·n·4^n``.
At VQC sizes the cost is the number of tensor ops, not flops, and this keeps it to a few
dozen per forward pass whatever the depth. Per-sample tensors keep the batch as their last
dimension so that gathers copy contiguous rows. Memory and time grow as ``n·4^n``, so the
path is limited to :data:`DENSE_MAX_QUBITS` qubits (``ValueError`` past it).

Its common case (per-sample prefix, shared block, up to 6 qubits, at most 3 rotations per
wire and run) is ONE autograd node with a hand-written backward: the forward also builds
each wire state's derivative in its angles (a coefficient's derivative is itself times
``±i/2``); the backward is a few matmuls, the input gradient by the adjoint method (each
wire's environment in ``∂L/∂ψ``, two gathers and two reductions of ``n·2^n·B`` amplitudes,
instead of ``n·dc`` per-sample derivative states ``dψ/dθ``) and, for the block's angles,
one-wire partial traces of
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

Layout, by interface: this module holds the public API and the dispatch;
:mod:`~qmem.circuits.emulation.plan` the circuit plans, gate tables and Kronecker tables;
:mod:`~qmem.circuits.emulation.dense` the autograd dense path (product state, block
unitary, readout); :mod:`~qmem.circuits.emulation.fast` the one-node dense path;
:mod:`~qmem.circuits.emulation.gates` the gate-by-gate path. They call each other only
through public names. The ``"statevector"`` executor that runs any IR circuit on it is
:mod:`~qmem.circuits.emulation.executor`.

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
from typing import Any, Literal

import torch
from torch import Tensor

from qmem.validation import check_size_budget

from ..ir import Circuit
from .dense import dense_expval, phases, plan_unitary
from .fast import fast_expval, fast_unitary
from .gates import gates_expval
from .plan import COMPLEX, plan_of, prefix_and_block

__all__ = [
    "DENSE_MAX_QUBITS",
    "MAX_AMPLITUDES",
    "Method",
    "block_unitary",
    "complex_dtype",
    "expval_z",
    "expval_z_mapped",
    "prefix_and_block",
    "shared_unitary",
]

Method = Literal["auto", "dense", "gates"]
"""The emulation path of :func:`expval_z`: ``"dense"`` (prefix product state and block
unitary, up to :data:`DENSE_MAX_QUBITS` qubits), ``"gates"`` (gate by gate) or ``"auto"``."""
_METHODS: tuple[str, ...] = ("auto", "dense", "gates")

MAX_AMPLITUDES = 2**27
"""Largest state-vector batch of the gate-by-gate path (``batch·2^n`` amplitudes: 2 GiB of
complex128); a larger call is refused before it allocates."""

DENSE_MAX_QUBITS = 8
"""Largest qubit count of the dense path. Building ``U`` costs ~n·4^n per layer whatever the
batch, and ``U`` has 4^n entries (1 MiB in complex128 at 8 qubits); measured here (CPU, one
thread, chen2020, 2 layers, batch 32, forward+backward) dense vs gate by gate is 0.56 vs
8.5 ms at 5 qubits, 7 vs 16 ms at 7, even at 8 and 1000 vs 57 ms at 10. Past it, ``"auto"`` runs
gate by gate and ``"dense"`` raises ``ValueError``."""


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
    plan = plan_of(circuit)
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
    u = plan_unitary(plan, phases(source), 0)  # ([B,] 2^n, 2^n)
    if u is None:
        eye = torch.eye(size, dtype=COMPLEX[block_angles.dtype], device=block_angles.device)
        return eye.expand(*batch, size, size)
    return u.expand(*batch, size, size) if u.dim() == 2 else u.reshape(*batch, size, size)


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
    plan = plan_of(circuit)
    k = angles.shape[-1]
    prefix_in_angles = plan.prefix_end <= k  # the prefix reads only columns of `angles`
    block_shared = shared is not None and plan.block_start >= k  # ... the block only shared
    if prefix_in_angles and block_shared:
        out = fast_expval(plan, None, angles, shared, unitary, k)
        if out is not None:
            return out
    return dense_expval(plan, angles, shared, unitary)


def expval_z_mapped(
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

    For :mod:`qmem.circuits.vqc`: ``angle_map`` is the VQC's data encoding
    (:class:`~qmem.circuits.vqc.builder.EncodingMap`), a callable ``x (..., d) -> angles
    (..., k)`` of differentiable torch ops; fusing it (and the weights' reshape) into the
    emulation's node saves the autograd nodes that dominate at small batches. To fuse it
    where ``x`` needs a gradient, it must also offer ``with_jacobian(x) -> (angles, jac)``
    with ``jac`` ``(..., d, k / d)`` the derivative of slot ``i·(k / d) + j`` in
    ``x[..., i]`` (the only input it depends on), or ``None`` for the identity map; any
    other callable runs as ``angle_map(x)`` followed by :func:`expval_z`.

    Args:
        circuit: the circuit to run.
        x: the inputs, real ``(..., d)``.
        angle_map: ``x -> angles (..., k)``, ``k = n_slots - shared.numel()``.
        shared: the shared angles of the last slots, any shape (flattened, cast to ``x``'s
            dtype).
        method: as for :func:`expval_z`.
        unitary: as for :func:`expval_z`.

    Returns:
        ``⟨Z_w⟩`` for ``w`` in ``circuit.readout``, shape ``(..., len(readout))``,
        differentiable in ``x`` and ``shared``.

    >>> from qmem.circuits.ir import Circuit, Op
    >>> ops = (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RY", (1,), 1))
    >>> c = Circuit(2, ops, ("x", "w"), (1,))
    >>> x = torch.tensor([[0.3], [0.6]], dtype=torch.float64, requires_grad=True)
    >>> w = torch.tensor([[0.4]], dtype=torch.float64)
    >>> out = expval_z_mapped(c, x, torch.atan, w)
    >>> torch.allclose(out, expval_z(c, torch.atan(x), shared_angles=w.reshape(-1)))
    True
    """
    if (
        method in ("auto", "dense")
        and circuit.n_qubits <= DENSE_MAX_QUBITS
        and isinstance(x, Tensor)
        and isinstance(shared, Tensor)
        and x.dtype in COMPLEX
        and shared.dtype in COMPLEX
    ):
        plan = plan_of(circuit)
        k = circuit.n_slots - shared.numel()
        if plan.prefix_end <= k <= plan.block_start and (
            unitary is None or _unitary_ok(circuit, unitary, x.dtype)
        ) and (  # the fused input gradient needs the map's closed-form derivative
            hasattr(angle_map, "with_jacobian")
            or not (x.requires_grad and torch.is_grad_enabled())
        ):
            out = fast_expval(plan, angle_map, x, shared, unitary, k)
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
        and unitary.dtype == COMPLEX[dtype]
    )


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
        size, cdtype = 2**circuit.n_qubits, COMPLEX[angles.dtype]
        if shared_angles is None or not plan_of(circuit).block_start >= expected:
            raise ValueError("unitary needs shared_angles that hold every block slot")
        if not isinstance(unitary, Tensor) or unitary.shape != (size, size):
            raise ValueError(f"unitary must be a ({size}, {size}) tensor from shared_unitary")
        if unitary.dtype != cdtype:
            raise ValueError(f"unitary must have dtype {cdtype} for {angles.dtype} angles")
        return _dense(circuit, angles, shared_angles, unitary)
    if method == "gates" or (method == "auto" and circuit.n_qubits > DENSE_MAX_QUBITS):
        check_size_budget(
            "the gate-by-gate state vectors (batch x 2^n_qubits amplitudes)",
            math.prod(angles.shape[:-1]) * 2**circuit.n_qubits,
            limit=MAX_AMPLITUDES,
        )
        return gates_expval(circuit, angles, shared_angles)
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
    plan = plan_of(circuit)
    k = circuit.n_slots - shared_angles.shape[0]
    if k < 0 or plan.block_start < k:
        raise ValueError(
            f"shared_angles ({shared_angles.shape[0]}) must hold every block slot "
            f"(slots >= {plan.block_start} of {circuit.n_slots})"
        )
    u = fast_unitary(plan, shared_angles, k)
    if u is not None:
        return u
    u = plan_unitary(plan, phases(shared_angles), k)
    if u is None:
        cdtype = COMPLEX[shared_angles.dtype]
        u = torch.eye(2**plan.n, dtype=cdtype, device=shared_angles.device)
    return u


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """The complex dtype the emulator uses for real ``dtype`` (complex64 / complex128).

    >>> complex_dtype(torch.float64)
    torch.complex128
    """
    if dtype not in COMPLEX:
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    return COMPLEX[dtype]


def _check_float(name: str, value: object) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dtype not in COMPLEX:
        raise TypeError(f"{name} must be float32 or float64, got {value.dtype}")
