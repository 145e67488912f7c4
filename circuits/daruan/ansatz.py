"""DARUAN ansätze as data: one table from which every fact about an ansatz is derived.

DARUAN (data re-uploading activation) is one qubit started in ``|0⟩``, put on the equator by
``H`` and measured in Z, ``φ(x) = ⟨ψ(x)|Z|ψ(x)⟩``. An ansatz is an :class:`AnsatzDef`: the
gates of one re-uploading layer and of a final block, each gate with its slot kind
(``"theta"`` a trainable angle, ``"data"`` the encoded input ``z_l = w_l·x + b_l``, ``None``
a fixed gate). The three built-in ansätze use the gate orders of the reference library
``qkan`` (time order, left to right):

- ``pz``:   H; for l = 1..r: RZ(θ_l,0) RY(θ_l,1) RZ(z_l); then RZ(θ_r+1,0) RY(θ_r+1,1).
- ``rpz``:  H; for l = 1..r: RY(θ_l) RZ(z_l); then RY(θ_r+1).
- ``real``: H; for l = 1..r: X RY(θ_l) Z RY(z_l).

From the entry follow the IR gate list (:func:`daruan_circuit`), the slot angles
(:func:`daruan_angles`), θ's trailing shape (:func:`theta_shape`), the re-uploading count
from θ's shape (:meth:`AnsatzDef.reps_of`) and the Bloch-engine schedule
(:func:`qmem.circuits.daruan.bloch.bloch_schedule`), so no executor can drift from the IR.
A new ansatz is one :func:`register_ansatz` call.

>>> c = daruan_circuit("rpz", 2)
>>> [op.gate for op in c.ops]
['H', 'RY', 'RZ', 'RY', 'RZ', 'RY']
>>> theta_shape("pz", 3), theta_shape("rpz", 3), theta_shape("real", 3)
((4, 2), (4,), (3,))
>>> get_ansatz("pz").reps_of((5, 4, 2))
3
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Literal, TypeVar

import torch

from qmem.config import suggest
from qmem.validation import check_int

from ..ir import ROTATION_GATES, Circuit, GateName, Op

__all__ = [
    "MAX_REPS",
    "Ansatz",
    "AnsatzDef",
    "SlotKind",
    "ansatz_names",
    "check_ansatz",
    "check_reps",
    "daruan_angles",
    "daruan_circuit",
    "derived_cache",
    "get_ansatz",
    "register_ansatz",
    "theta_shape",
]

MAX_REPS = 1024
"""Largest re-uploading count: the Fourier form's DFT matrix has (2r+1)² entries and every
DARUAN 2r+1 coefficients; a larger r is a typo, not a circuit."""

Ansatz = Literal["pz", "rpz", "real"]
"""The built-in ansätze (more may be registered with :func:`register_ansatz`)."""

SlotKind = Literal["theta", "data"]
"""What feeds a rotation of an ansatz: ``"theta"`` a trainable angle, ``"data"`` the encoded
input ``z_l = w_l·x + b_l`` (a fixed gate has slot kind None)."""
Gate = tuple[GateName, SlotKind | None]


@dataclass(frozen=True)
class AnsatzDef:
    """One DARUAN ansatz: the gates after the initial ``H``, as data.

    Args:
        name: registry name.
        layer: one re-uploading layer, ``(gate, slot kind)`` in time order; exactly one
            ``"data"`` rotation and at least one ``"theta"`` rotation.
        final: the block after the last layer: no ``"data"`` gate, and either no ``"theta"``
            gate or as many as a layer has (they form θ's last row).

    θ has one row per layer (plus one for a final block with angles), one column per
    ``"theta"`` slot of a layer: shape ``(rows, k)``, or ``(rows,)`` when ``k == 1``.

    >>> AnsatzDef("ry", (("RY", "theta"), ("RZ", "data"))).theta_shape(2)
    (2,)
    """

    name: str
    layer: tuple[Gate, ...]
    final: tuple[Gate, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"ansatz name must be a non-empty str, got {self.name!r}")
        object.__setattr__(self, "layer", tuple(tuple(g) for g in self.layer))
        object.__setattr__(self, "final", tuple(tuple(g) for g in self.final))
        for where, gates in (("layer", self.layer), ("final", self.final)):
            for gate, kind in gates:
                if gate in ("CNOT", "CZ") or gate not in (*ROTATION_GATES, "H", "X", "Y", "Z"):
                    raise ValueError(
                        f"ansatz {self.name!r}: {where} gate {gate!r} is no 1-qubit gate"
                    )
                if (gate in ROTATION_GATES) != (kind is not None):
                    raise ValueError(
                        f"ansatz {self.name!r}: {where} gate {gate} needs slot kind "
                        f"{'theta or data' if gate in ROTATION_GATES else 'None'}, got {kind!r}"
                    )
                if kind not in (None, "theta", "data"):
                    raise ValueError(f"ansatz {self.name!r}: unknown slot kind {kind!r}")
        kinds = [k for _, k in self.layer]
        if kinds.count("data") != 1 or kinds.count("theta") < 1:
            raise ValueError(
                f"ansatz {self.name!r}: a layer needs exactly one 'data' and at least one "
                f"'theta' rotation, got {self.layer}"
            )
        final = [k for _, k in self.final]
        if "data" in final or final.count("theta") not in (0, self.width):
            raise ValueError(
                f"ansatz {self.name!r}: the final block needs no 'data' gate and 0 or "
                f"{self.width} 'theta' gates, got {self.final}"
            )

    @cached_property
    def width(self) -> int:
        """θ slots per layer (θ's columns)."""
        return sum(k == "theta" for _, k in self.layer)

    @cached_property
    def extra_rows(self) -> int:
        """θ rows beyond one per layer: 1 if the final block has angles, else 0."""
        return int(any(k == "theta" for _, k in self.final))

    @cached_property
    def theta_ndim(self) -> int:
        """Trailing dimensions of θ: 2 for ``(rows, k)``, 1 for ``(rows,)``."""
        return 2 if self.width > 1 else 1

    def theta_shape(self, reps: int) -> tuple[int, ...]:
        """Trailing shape of θ for ``reps`` re-uploadings."""
        rows = check_reps(reps) + self.extra_rows
        return (rows, self.width) if self.width > 1 else (rows,)

    def theta_pattern(self) -> str:
        """θ's shape in words, e.g. ``"(..., r+1, 2)"`` (for messages)."""
        rows = "r+1" if self.extra_rows else "r"
        return f"(..., {rows}, {self.width})" if self.width > 1 else f"(..., {rows})"

    def reps_of(self, shape: tuple[int, ...] | torch.Size) -> int:
        """The re-uploading count r of a θ of this ``shape`` (may be < 1 for a bad θ)."""
        return shape[-self.theta_ndim] - self.extra_rows

    def gates(self, reps: int) -> tuple[tuple[GateName, SlotKind | None, int], ...]:
        """Every gate after ``H`` as ``(gate, kind, index)``: for ``"theta"`` the index into
        θ flattened over its trailing dims, for ``"data"`` the layer, else 0."""
        out: list[tuple[GateName, SlotKind | None, int]] = []
        for row, block in [*((l, self.layer) for l in range(reps)), (reps, self.final)]:
            col = 0
            for gate, kind in block:
                if kind == "theta":
                    out.append((gate, kind, row * self.width + col))
                    col += 1
                else:
                    out.append((gate, kind, row if kind == "data" else 0))
        return tuple(out)


_ANSATZE: dict[str, AnsatzDef] = {}
_DERIVED: list[Any] = []  # caches of facts derived from the table (cleared when it changes)

F = TypeVar("F", bound=Callable[..., Any])


def derived_cache(fn: F) -> F:
    """``lru_cache`` for a function of an ansatz *name* whose result follows from its table
    entry: :func:`register_ansatz` clears it, so a replaced entry is never served stale.

    Args:
        fn: a function whose first argument is an ansatz name (further arguments hashable).

    Returns:
        ``fn`` wrapped in ``functools.lru_cache(maxsize=64)``, with ``cache_info()``.

    >>> @derived_cache
    ... def layer_gates(ansatz: str) -> int:
    ...     return len(get_ansatz(ansatz).layer)
    >>> layer_gates("pz"), layer_gates.cache_info().currsize
    (3, 1)
    >>> _ = register_ansatz(get_ansatz("pz"), replace=True)   # the table changed
    >>> layer_gates.cache_info().currsize
    0
    """
    cached = lru_cache(maxsize=64)(fn)
    _DERIVED.append(cached)
    return cached  # type: ignore[return-value]



def register_ansatz(ansatz: AnsatzDef, *, replace: bool = False) -> AnsatzDef:
    """Add an ansatz to the table (every executor, layer and export then knows it).

    Raises:
        TypeError: not an :class:`AnsatzDef`.
        ValueError: the name is taken (unless ``replace``).

    >>> register_ansatz(get_ansatz("rpz"))
    Traceback (most recent call last):
    ...
    ValueError: an ansatz named 'rpz' is already registered
    """
    if not isinstance(ansatz, AnsatzDef):
        raise TypeError(f"ansatz must be an AnsatzDef, got {type(ansatz).__name__}")
    if ansatz.name in _ANSATZE and not replace:
        raise ValueError(f"an ansatz named {ansatz.name!r} is already registered")
    _ANSATZE[ansatz.name] = ansatz
    for cache in _DERIVED:
        cache.cache_clear()
    return ansatz


def ansatz_names() -> tuple[str, ...]:
    """Names of the registered ansätze, in registration order (the built-ins first).

    >>> ansatz_names()[:3]
    ('pz', 'rpz', 'real')
    """
    return tuple(_ANSATZE)


def get_ansatz(name: object) -> AnsatzDef:
    """The table entry of ansatz ``name``; ``ValueError`` naming the allowed ones otherwise."""
    entry = _ANSATZE.get(name) if isinstance(name, str) else None
    if entry is None:
        hint = suggest(name, _ANSATZE) if isinstance(name, str) else ""
        raise ValueError(f"unknown ansatz {name!r}{hint}; allowed: {', '.join(_ANSATZE)}")
    return entry


def check_ansatz(ansatz: object) -> str:
    """Return ``ansatz`` if it names a registered DARUAN ansatz, else raise ``ValueError``
    naming the nearest registered name and every allowed one.

    >>> check_ansatz("rpz")
    'rpz'
    >>> check_ansatz("rpx")
    Traceback (most recent call last):
    ...
    ValueError: unknown ansatz 'rpx' (did you mean 'rpz'?); allowed: pz, rpz, real...
    """
    return get_ansatz(ansatz).name


def check_reps(reps: object) -> int:
    """Return ``reps`` if it is an int in ``[1, MAX_REPS]``, else raise
    ``TypeError`` (not an int) / ``ValueError`` (out of range).

    >>> check_reps(3)
    3
    >>> check_reps(0)
    Traceback (most recent call last):
    ...
    ValueError: reps must be an int in [1, 1024], got 0
    """
    return check_int("reps", reps, minimum=1, maximum=MAX_REPS)


def theta_shape(ansatz: str, reps: int) -> tuple[int, ...]:
    """Trailing shape of θ for one DARUAN: (r+1, 2) for pz, (r+1,) for rpz, (r,) for real."""
    return get_ansatz(ansatz).theta_shape(reps)


@derived_cache
def daruan_circuit(ansatz: str, reps: int) -> Circuit:
    """The DARUAN gate list on one wire, slots numbered in gate order.

    Args:
        ansatz: a registered ansatz name (``"pz"``, ``"rpz"``, ``"real"``, ...).
        reps: number of data re-uploadings r (>= 1).

    Returns:
        A :class:`Circuit` with readout ``(0,)``; its slot names are ``theta[l,k]``,
        ``theta[l]`` and ``z[l]`` (the encoded input ``w_l·x + b_l``).

    >>> daruan_circuit("pz", 1).slot_names
    ('theta[0,0]', 'theta[0,1]', 'z[0]', 'theta[1,0]', 'theta[1,1]')
    """
    spec = get_ansatz(ansatz)
    check_reps(reps)
    ops: list[Op] = [Op("H", (0,))]
    names: list[str] = []
    for gate, kind, index in spec.gates(reps):
        if kind is None:
            ops.append(Op(gate, (0,)))
            continue
        ops.append(Op(gate, (0,), len(names)))
        if kind == "data":
            names.append(f"z[{index}]")
        elif spec.width > 1:
            names.append(f"theta[{index // spec.width},{index % spec.width}]")
        else:
            names.append(f"theta[{index}]")
    return Circuit(1, tuple(ops), tuple(names), (0,))


@derived_cache
def _slot_sources(ansatz: str, reps: int) -> tuple[int, ...]:
    """Per slot, its column in ``cat(θ flat (n_θ), z (r))``."""
    spec = get_ansatz(ansatz)
    n_theta = (reps + spec.extra_rows) * spec.width
    return tuple(
        index if kind == "theta" else n_theta + index
        for _, kind, index in spec.gates(reps)
        if kind is not None
    )


def daruan_angles(z: torch.Tensor, theta: torch.Tensor, ansatz: str) -> torch.Tensor:
    """Slot angles of :func:`daruan_circuit` in slot order.

    Args:
        z: encoded inputs ``w_l·x + b_l``, shape (..., r).
        theta: variational angles, shape (..., *theta_shape(ansatz, r)).
        ansatz: the ansatz.

    Returns:
        Angles, shape (..., n_slots) with leading dims broadcast from ``z`` and ``theta``.

    >>> a = daruan_angles(torch.zeros(1), torch.arange(4.0).reshape(2, 2), "pz")
    >>> a.tolist()
    [0.0, 1.0, 0.0, 2.0, 3.0]
    """
    spec = get_ansatz(ansatz)
    reps, nd = z.shape[-1], spec.theta_ndim
    lead = torch.broadcast_shapes(z.shape[:-1], theta.shape[:-nd])
    n_theta = math.prod(theta.shape[-nd:])
    th = theta.expand(*lead, *theta.shape[-nd:]).reshape(*lead, n_theta)  # (..., n_θ) row-major
    source = torch.cat([th, z.expand(*lead, reps)], dim=-1)  # (..., n_θ + r)
    index = torch.tensor(_slot_sources(spec.name, reps), device=source.device)
    return source.index_select(-1, index)  # (..., n_slots) in gate order


register_ansatz(
    AnsatzDef(
        "pz",
        (("RZ", "theta"), ("RY", "theta"), ("RZ", "data")),
        (("RZ", "theta"), ("RY", "theta")),
    )
)
register_ansatz(AnsatzDef("rpz", (("RY", "theta"), ("RZ", "data")), (("RY", "theta"),)))
register_ansatz(AnsatzDef("real", (("X", None), ("RY", "theta"), ("Z", None), ("RY", "data"))))
