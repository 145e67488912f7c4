"""A generic builder for variational quantum circuits (VQCs) over the circuit IR.

A :class:`VQCSpec` is a frozen, hashable description of a VQC: a data encoding applied once
to every qubit, then ``n_layers`` variational layers of *entangler, then trainable rotations
on every qubit*, then ``⟨Z⟩`` readout on some wires. :func:`build_circuit` turns it into a
:class:`~qmem.circuits.ir.Circuit` and :func:`vqc_angles` maps data ``x`` and ``weights`` to
that circuit's angle vector in torch (so autograd reaches both through the angles).

The two circuit families of the QLSTM literature are two configurations of it:

- ``chen2020`` (Chen, Yoo, Fang 2020, arXiv 2009.01783): encoding ``H, RY(arctan x_i),
  RZ(arctan x_i²)``; each layer ``CNOT(i, i+1 mod n)`` for all ``i``, then
  ``CNOT(i, i+2 mod n)`` for all ``i``, then ``Rot(α, β, γ) = RZ(γ) RY(β) RZ(α)`` on each
  qubit. Weights ``(n_layers, n_qubits, 3)``.
- ``chen2024`` (the authors' later public QLSTM variant): encoding ``H, RY(x_i)``; each layer
  CNOTs on even pairs ``(0,1), (2,3), …``, then odd pairs ``(1,2), (3,4), …``, then one
  ``RY`` per qubit. Weights ``(n_layers, n_qubits)``.

Slot layout of the built circuit: first the encoding slots (qubit by qubit, in gate order),
then the weight slots in C order of the weight tensor, which is also gate order.

>>> spec = chen2020_spec(n_qubits=4, n_layers=2)
>>> spec.weight_shape, spec.n_parameters, build_circuit(spec).n_slots
((2, 4, 3), 24, 32)
>>> VQCSpec.from_dict(spec.to_dict()) == spec
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any, Literal, get_args

import torch
from torch import Tensor

from .ir import Circuit, Op

__all__ = [
    "FAMILIES",
    "Encoding",
    "EncodingMap",
    "Entangler",
    "EntanglerGate",
    "Family",
    "RotationGate",
    "VQCSpec",
    "build_circuit",
    "check_weights",
    "chen2020_spec",
    "chen2024_spec",
    "encoding_angles",
    "encoding_map",
    "family_spec",
    "vqc_angles",
]

Encoding = Literal["arctan", "plain"]
Entangler = Literal["ring", "brick", "all_to_all", "none"]
EntanglerGate = Literal["CNOT", "CZ"]
RotationGate = Literal["RX", "RY", "RZ"]
Family = Literal["chen2020", "chen2024"]
FAMILIES: tuple[str, ...] = get_args(Family)

_ROT = ("RZ", "RY", "RZ")  # PennyLane's Rot(α, β, γ) in time order


@dataclass(frozen=True)
class VQCSpec:
    """Description of a VQC: encoding, entangler pattern, rotation set, depth, readout.

    Args:
        n_qubits: number of qubits (>= 1); also the input width ``x.shape[-1]``.
        n_layers: number of variational layers (>= 0).
        encoding: ``"arctan"``: ``RY(arctan x_i)`` then ``RZ(arctan x_i²)`` (chen2020);
            ``"plain"``: ``RY(x_i)`` (chen2024). Both are angle encodings into a product state
            (no amplitude encoding: it would break the product-state structure).
        hadamard: apply ``H`` to every qubit before the encoding rotations.
        entangler: ``"ring"``: ``CNOT(i, i+d mod n)`` for all ``i``, for each distance ``d`` in
            ``ring_distances``; ``"brick"``: even pairs ``(0,1), (2,3), …`` then odd pairs
            ``(1,2), (3,4), …`` (no wrap-around); ``"all_to_all"``: ``CNOT(i, j)`` for all
            ``i < j``; ``"none"``: no entangler.
        ring_distances: distances of the ``"ring"`` pattern (ignored otherwise); a distance
            that is a multiple of ``n_qubits`` contributes no gate.
        entangler_gate: ``"CNOT"`` or ``"CZ"``.
        rotations: trainable rotations applied to every qubit in every layer, in time order;
            the string ``"rot"`` is accepted for ``("RZ", "RY", "RZ")`` (``Rot(α, β, γ)``).
        readout: wires whose ``⟨Z⟩`` is returned, in order; ``None`` means all qubits.

    Raises:
        ValueError: on any option outside the allowed values (the message names it).
        TypeError: on a value of the wrong type.

    >>> VQCSpec(n_qubits=3, n_layers=1, entangler="all_to_all", rotations=("RY",)).weight_shape
    (1, 3)
    """

    n_qubits: int = 4
    n_layers: int = 2
    encoding: Encoding = "arctan"
    hadamard: bool = True
    entangler: Entangler = "ring"
    ring_distances: tuple[int, ...] = (1,)
    entangler_gate: EntanglerGate = "CNOT"
    rotations: tuple[RotationGate, ...] = _ROT
    readout: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("n_qubits", "n_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, got {value!r}")
        if self.n_qubits < 1:
            raise ValueError(f"n_qubits must be >= 1, got {self.n_qubits}")
        if self.n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, got {self.n_layers}")
        _check_choice("encoding", self.encoding, Encoding)
        _check_choice("entangler", self.entangler, Entangler)
        _check_choice("entangler_gate", self.entangler_gate, EntanglerGate)
        if not isinstance(self.hadamard, bool):
            raise TypeError(f"hadamard must be a bool, got {self.hadamard!r}")
        rotations = self.rotations
        if isinstance(rotations, str):
            if rotations.lower() != "rot":
                raise ValueError(
                    f"rotations must be a sequence of {get_args(RotationGate)} or 'rot', "
                    f"got {rotations!r}"
                )
            rotations = _ROT
        rotations = tuple(rotations)
        if not rotations:
            raise ValueError("rotations must name at least one gate, got ()")
        for gate in rotations:
            _check_choice("rotations entry", gate, RotationGate)
        object.__setattr__(self, "rotations", rotations)
        distances = tuple(self.ring_distances)
        for d in distances:
            if not isinstance(d, int) or isinstance(d, bool) or d < 1:
                raise ValueError(f"ring_distances must be positive ints, got {distances!r}")
        object.__setattr__(self, "ring_distances", distances)
        if self.readout is not None:
            readout = tuple(self.readout)
            if not readout:
                raise ValueError("readout must name at least one wire, got ()")
            for w in readout:
                if not isinstance(w, int) or isinstance(w, bool) or not 0 <= w < self.n_qubits:
                    raise ValueError(
                        f"readout wire {w!r} outside 0..{self.n_qubits - 1} (n_qubits)"
                    )
            if len(set(readout)) != len(readout):
                raise ValueError(f"readout has a repeated wire: {readout}")
            object.__setattr__(self, "readout", readout)

    @property
    def readout_wires(self) -> tuple[int, ...]:
        """The readout wires (all qubits when ``readout`` is ``None``)."""
        return tuple(range(self.n_qubits)) if self.readout is None else self.readout

    @property
    def n_outputs(self) -> int:
        """Number of ``⟨Z⟩`` readouts."""
        return len(self.readout_wires)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(n_layers, n_qubits)`` for one rotation per qubit, else
        ``(n_layers, n_qubits, len(rotations))``."""
        if len(self.rotations) == 1:
            return (self.n_layers, self.n_qubits)
        return (self.n_layers, self.n_qubits, len(self.rotations))

    @property
    def n_parameters(self) -> int:
        """Number of trainable circuit angles (``n_layers * n_qubits * len(rotations)``)."""
        return self.n_layers * self.n_qubits * len(self.rotations)

    @property
    def n_encoding_slots(self) -> int:
        """Number of data-dependent angle slots (they come first in the angle vector)."""
        return self.n_qubits * (2 if self.encoding == "arctan" else 1)

    @property
    def n_slots(self) -> int:
        """Total number of angle slots of the built circuit."""
        return self.n_encoding_slots + self.n_parameters

    def to_dict(self) -> dict[str, Any]:
        """A plain dict of the options (lists for tuples), accepted by :meth:`from_dict`."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    @classmethod
    def from_dict(cls, options: Mapping[str, Any]) -> VQCSpec:
        """Build a spec from a plain dict (e.g. parsed TOML); unknown keys are an error.

        A key ``"family"`` (``"chen2020"``/``"chen2024"``) starts from that family's
        configuration, which the other keys then override.

        >>> VQCSpec.from_dict({"family": "chen2024", "n_qubits": 5, "n_layers": 1}).entangler
        'brick'
        """
        if not isinstance(options, Mapping):
            raise TypeError(f"options must be a mapping, got {type(options).__name__}")
        allowed = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - allowed - {"family"})
        if unknown:
            raise ValueError(
                f"unknown VQC option(s) {unknown}; allowed: {sorted(allowed | {'family'})}"
            )
        kwargs = {k: v for k, v in options.items() if k != "family"}
        for key in ("ring_distances", "readout"):
            if isinstance(kwargs.get(key), list):
                kwargs[key] = tuple(kwargs[key])
        if isinstance(kwargs.get("rotations"), list):
            kwargs["rotations"] = tuple(kwargs["rotations"])
        if "family" in options:
            base = family_spec(options["family"]).to_dict()
            base.update(kwargs)
            for key in ("ring_distances", "readout", "rotations"):
                if isinstance(base.get(key), list):
                    base[key] = tuple(base[key])
            kwargs = base
        return cls(**kwargs)


def _check_choice(name: str, value: object, options: object) -> None:
    allowed = get_args(options)
    if value not in allowed:
        raise ValueError(f"unknown {name} {value!r}; allowed: {allowed}")


def chen2020_spec(n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None) -> VQCSpec:
    """The QLSTM paper's VQC (Chen, Yoo, Fang 2020) as a :class:`VQCSpec`.

    Args:
        n_qubits: number of qubits (input width).
        n_layers: number of variational layers.
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (``None``: all).

    >>> chen2020_spec().ring_distances, chen2020_spec().rotations
    ((1, 2), ('RZ', 'RY', 'RZ'))
    """
    return VQCSpec(
        n_qubits=n_qubits,
        n_layers=n_layers,
        encoding="arctan",
        hadamard=True,
        entangler="ring",
        ring_distances=(1, 2),
        entangler_gate="CNOT",
        rotations=_ROT,
        readout=_first(n_qubits, n_outputs),
    )


def chen2024_spec(n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None) -> VQCSpec:
    """The later public QLSTM variant: ``H, RY(x)`` encoding, brick CNOTs, one RY per qubit.

    Args:
        n_qubits: number of qubits (input + hidden size in a QLSTM).
        n_layers: number of variational layers.
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (``None``: all).

    >>> chen2024_spec(5, 1, n_outputs=3).weight_shape, chen2024_spec(5, 1, 3).readout
    ((1, 5), (0, 1, 2))
    """
    return VQCSpec(
        n_qubits=n_qubits,
        n_layers=n_layers,
        encoding="plain",
        hadamard=True,
        entangler="brick",
        entangler_gate="CNOT",
        rotations=("RY",),
        readout=_first(n_qubits, n_outputs),
    )


def family_spec(
    family: str, n_qubits: int = 4, n_layers: int = 2, n_outputs: int | None = None
) -> VQCSpec:
    """The :class:`VQCSpec` of a named family (``"chen2020"`` or ``"chen2024"``).

    >>> family_spec("chen2020", 2, 1) == chen2020_spec(2, 1)
    True
    """
    if family == "chen2020":
        return chen2020_spec(n_qubits, n_layers, n_outputs)
    if family == "chen2024":
        return chen2024_spec(n_qubits, n_layers, n_outputs)
    raise ValueError(f"unknown VQC family {family!r}; allowed: {FAMILIES}")


def _first(n_qubits: int, n_outputs: int | None) -> tuple[int, ...] | None:
    if n_outputs is None:
        return None
    if not isinstance(n_outputs, int) or isinstance(n_outputs, bool):
        raise TypeError(f"n_outputs must be an int or None, got {n_outputs!r}")
    if not 1 <= n_outputs <= n_qubits:
        raise ValueError(f"n_outputs must be in 1..{n_qubits} (n_qubits), got {n_outputs}")
    return tuple(range(n_outputs))


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
    qubit) depends on ``x[..., i]`` only."""

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
    """Raise ``TypeError``/``ValueError`` unless ``weights`` has ``spec.weight_shape``."""
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
