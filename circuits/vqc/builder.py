"""Build a VQC's circuit from its spec: gate list, data encoding and angle vector.

:func:`build_circuit` turns a :class:`~qmem.circuits.vqc.spec.VQCSpec` into a
:class:`~qmem.circuits.ir.Circuit` and :func:`vqc_angles` maps data ``x`` and ``weights`` to
that circuit's angle vector in torch (so autograd reaches both through the angles).

Slot layout of the built circuit: first the encoding slots (qubit by qubit, in gate order),
then the weight slots in C order of the weight tensor, which is also gate order.

>>> spec = chen2020_spec(n_qubits=4, n_layers=2)
>>> spec.weight_shape, spec.n_parameters, build_circuit(spec).n_slots
((2, 4, 3), 24, 32)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import torch
from torch import Tensor

from ..ir import Circuit, Op
from .spec import VQCSpec, chen2020_spec, chen2024_spec  # noqa: F401  (doctests)

__all__ = [
    "EncodingMap",
    "build_circuit",
    "check_weights",
    "encoding_angles",
    "encoding_map",
    "vqc_angles",
]


def _entangler_pairs(spec: VQCSpec) -> list[tuple[int, int]]:
    n = spec.n_qubits
    if spec.entangler == "ring":
        return [(i, (i + d) % n) for d in spec.ring_distances if d % n != 0 for i in range(n)]
    if spec.entangler == "brick":
        return [(i, i + 1) for i in range(0, n - 1, 2)] + [(i, i + 1) for i in range(1, n - 1, 2)]
    if spec.entangler == "all_to_all":
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    return []


@lru_cache(maxsize=256)
def build_circuit(spec: VQCSpec) -> Circuit:
    """The :class:`~qmem.circuits.ir.Circuit` of a spec (cached: specs are hashable).

    Slot names: ``x{i}_ry``/``x{i}_rz`` (encoding of qubit ``i``), then
    ``w_{l}_{q}_{r}`` (or ``w_{l}_{q}`` for one rotation per qubit): valid identifiers, so
    a symbolic export to Qiskit/OpenQASM keeps them.

    >>> c = build_circuit(chen2024_spec(3, 1))
    >>> [op.gate for op in c.ops]
    ['H', 'RY', 'H', 'RY', 'H', 'RY', 'CNOT', 'CNOT', 'RY', 'RY', 'RY']
    >>> c.slot_names[:3], c.slot_names[3:]
    (('x0_ry', 'x1_ry', 'x2_ry'), ('w_0_0', 'w_0_1', 'w_0_2'))
    """
    ops: list[Op] = []
    names: list[str] = []
    for q in range(spec.n_qubits):
        if spec.hadamard:
            ops.append(Op("H", (q,)))
        ops.append(Op("RY", (q,), len(names)))
        names.append(f"x{q}_ry")
        if spec.encoding == "arctan":
            ops.append(Op("RZ", (q,), len(names)))
            names.append(f"x{q}_rz")
    pairs = _entangler_pairs(spec)
    single = len(spec.rotations) == 1
    for layer in range(spec.n_layers):
        ops.extend(Op(spec.entangler_gate, pair) for pair in pairs)
        for q in range(spec.n_qubits):
            for r, gate in enumerate(spec.rotations):
                ops.append(Op(gate, (q,), len(names)))
                names.append(f"w_{layer}_{q}" if single else f"w_{layer}_{q}_{r}")
    return Circuit(spec.n_qubits, tuple(ops), tuple(names), spec.readout_wires)


def encoding_angles(spec: VQCSpec, x: Tensor) -> Tensor:
    """Data angles of the encoding slots.

    Args:
        spec: the VQC.
        x: inputs, shape ``(..., n_qubits)``, real floating point.

    Returns:
        Angles, shape ``(..., spec.n_encoding_slots)``: per qubit ``(arctan x, arctan x²)``
        for ``"arctan"``, ``x`` for ``"plain"``.

    Raises:
        TypeError: if ``x`` is not a real floating-point tensor.
        ValueError: if ``x.shape[-1] != n_qubits``.

    >>> encoding_angles(chen2020_spec(2), torch.tensor([1.0, 0.0]))
    tensor([0.7854, 0.7854, 0.0000, 0.0000])
    """
    _check_input(spec, x)
    if spec.encoding == "plain":
        return x
    if x.requires_grad and torch.is_grad_enabled():
        return _ArctanEncoding.apply(x)
    return _arctan_pairs(x)


def _check_input(spec: VQCSpec, x: object) -> None:
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a real floating-point torch.Tensor, got {_describe(x)}")
    if x.dim() == 0 or x.shape[-1] != spec.n_qubits:
        raise ValueError(
            f"x must have shape (..., {spec.n_qubits}) (n_qubits), got {tuple(x.shape)}"
        )


def _arctan_pairs(x: Tensor) -> Tensor:
    """``(..., n) -> (..., 2n)``: ``(arctan x_i, arctan x_i²)`` qubit-major."""
    pair = torch.atan(torch.stack((x, x * x), dim=-1))  # (..., n, 2)
    return pair.flatten(-2)  # (..., 2n)


class _ArctanEncoding(torch.autograd.Function):
    """:func:`_arctan_pairs` as one autograd node with a closed-form backward
    (``d arctan(u)/du = 1/(1 + u²)``, ``du/dx = (1, 2x)``): one node instead of five, which
    matters at the small batches where the VQC's cost is per-op overhead. A backward that
    must itself be differentiable (``create_graph=True``) recomputes with autograd."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:  # type: ignore[override]
        u = torch.stack((x, x * x), dim=-1)  # (..., n, 2)
        ctx.save_for_backward(x, u)
        return torch.atan(u).flatten(-2)  # (..., 2n)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # type: ignore[override]
        x, u = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True
            with torch.enable_grad():
                (out,) = torch.autograd.grad(_arctan_pairs(x), x, grad, create_graph=True)
            return out
        return _arctan_vjp(x, u, grad)


def _arctan_vjp(x: Tensor, u: Tensor, grad: Tensor) -> Tensor:
    """``grad (..., 2n)`` of :func:`_arctan_pairs` -> ``grad_x (..., n)``, ``u = (x, x²)``."""
    g = grad.reshape(u.shape) / torch.addcmul(torch.ones_like(u), u, u)  # (..., n, 2)
    return torch.addcmul(g[..., 0], g[..., 1], x, value=2)  # (..., n)


class EncodingMap:
    """A spec's data encoding as a callable ``x (..., n_qubits) -> angles (...,
    n_encoding_slots)`` (:func:`encoding_angles`) that also gives its derivative in closed
    form (:meth:`with_jacobian`), so that the torch emulation can run encoding and circuit
    as one autograd node (see :func:`encoding_map`). Slot ``i·r + j`` (``r`` slots per
    qubit) depends on ``x[..., i]`` only.

    Args:
        spec: the VQC whose encoding this is.

    >>> m = EncodingMap(chen2020_spec(2, 1))
    >>> m(torch.tensor([1.0, 0.0]))  # (atan 1, atan 1²), (atan 0, atan 0²)
    tensor([0.7854, 0.7854, 0.0000, 0.0000])
    >>> EncodingMap(chen2024_spec(2, 1)).with_jacobian(torch.tensor([0.5, -0.5]))
    (tensor([ 0.5000, -0.5000]), None)
    """

    def __init__(self, spec: VQCSpec) -> None:
        self.spec = spec
        self._consts: dict[tuple[torch.dtype, torch.device], tuple[Tensor, ...]] = {}

    def __call__(self, x: Tensor) -> Tensor:
        return encoding_angles(self.spec, x)

    def with_jacobian(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """Angles ``(..., n_encoding_slots)`` and ``d angle / d x`` of each slot w.r.t. its
        qubit's input, shape ``(..., n_qubits, r)`` (``None`` for the identity map).

        >>> m = encoding_map(chen2020_spec(1, 1))
        >>> angles, jac = m.with_jacobian(torch.tensor([[1.0]]))
        >>> angles, jac  # atan 1, atan 1; 1/(1 + 1), 2/(1 + 1)
        (tensor([[0.7854, 0.7854]]), tensor([[[0.5000, 1.0000]]]))
        """
        if self.spec.encoding == "plain":
            return encoding_angles(self.spec, x), None
        _check_input(self.spec, x)
        key = (x.dtype, x.device)
        consts = self._consts.get(key)
        if consts is None:
            with torch.inference_mode(False):  # cached for every caller: normal tensors
                consts = self._consts[key] = tuple(
                    torch.tensor(v, dtype=x.dtype, device=x.device)
                    for v in ([1.0, 0.0], [0.0, 2.0], 1.0)
                )
        c10, c02, one = consts
        xe = x.unsqueeze(-1)  # (..., n, 1)
        u = torch.stack((x, x * x), dim=-1)  # (..., n, 2)
        # d atan(u)/dx = (1, 2x) / (1 + u²)
        jac = torch.addcmul(c10, xe, c02) / torch.addcmul(one, u, u)  # (..., n, 2)
        return torch.atan(u).flatten(-2), jac


@lru_cache(maxsize=256)
def encoding_map(spec: VQCSpec) -> EncodingMap:
    """The :class:`EncodingMap` of a spec (cached).

    >>> m = encoding_map(chen2020_spec(1, 1))
    >>> x = torch.tensor([[0.5]], dtype=torch.float64, requires_grad=True)
    >>> (g,) = torch.autograd.grad(m(x).sum(), x)
    >>> torch.allclose(m.with_jacobian(x.detach())[1].sum(-1), g)
    True
    """
    return EncodingMap(spec)


def check_weights(spec: VQCSpec, weights: Tensor) -> None:
    """Raise ``TypeError``/``ValueError`` unless ``weights`` has ``spec.weight_shape``.

    Args:
        spec: the VQC.
        weights: the circuit angles to check, expected shape ``spec.weight_shape``.

    Raises:
        TypeError: ``weights`` is not a real floating-point tensor.
        ValueError: ``weights`` has another shape (the message gives both).

    >>> check_weights(chen2020_spec(2, 1), torch.zeros(1, 2, 3))
    >>> check_weights(chen2020_spec(2, 1), torch.zeros(1, 2))
    Traceback (most recent call last):
    ...
    ValueError: weights must have shape (1, 2, 3) (n_layers, n_qubits, n_rotations), got (1, 2)
    >>> check_weights(chen2024_spec(2, 1), torch.zeros(1, 2, dtype=torch.int64))
    Traceback (most recent call last):
    ...
    TypeError: weights must be a real floating-point torch.Tensor, got a tensor of dtype torch.int64
    """
    if not isinstance(weights, Tensor) or not weights.is_floating_point():
        raise TypeError(
            f"weights must be a real floating-point torch.Tensor, got {_describe(weights)}"
        )
    if tuple(weights.shape) != spec.weight_shape:
        raise ValueError(
            f"weights must have shape {spec.weight_shape} "
            f"(n_layers, n_qubits{', n_rotations' if len(spec.weight_shape) == 3 else ''}), "
            f"got {tuple(weights.shape)}"
        )


def vqc_angles(spec: VQCSpec, x: Tensor, weights: Tensor) -> Tensor:
    """The full angle vector of :func:`build_circuit` for inputs and weights.

    Args:
        spec: the VQC.
        x: inputs, shape ``(..., n_qubits)``.
        weights: shape ``spec.weight_shape``.

    Returns:
        Angles, shape ``(..., spec.n_slots)`` in ``x``'s dtype (weights are cast to it).

    >>> spec = chen2024_spec(2, 1)
    >>> vqc_angles(spec, torch.zeros(5, 2), torch.ones(1, 2)).shape
    torch.Size([5, 4])
    """
    check_weights(spec, weights)
    enc = encoding_angles(spec, x)
    w = weights.to(dtype=x.dtype).reshape(-1)  # (n_parameters,), C order = slot order
    w = w.expand(*x.shape[:-1], spec.n_parameters)  # (..., n_parameters)
    return torch.cat((enc, w), dim=-1)


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"a tensor of dtype {value.dtype}"
    return type(value).__name__
