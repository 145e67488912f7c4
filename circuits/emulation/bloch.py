"""A single-qubit gate sequence on Bloch vectors with a hand-written (adjoint) backward.

The state starts at ``H|0⟩ = (X, Y, Z) = (1, 0, 0)``; each gate is an ``RZ``/``RY`` rotation
or an ``X``/``Z`` reflection acting on the Bloch vector; the output is the final ``Z = ⟨Z⟩``.
Rotation angles come from stacked tensors: ``fixed`` (n_fixed, *shape_f), e.g. per-edge
circuit angles, and for data gates ``data`` (n_data, *shape_d) plus a ``shared`` term
common to all data gates (the raw input when w = 1); the shapes broadcast and the state
grows to the broadcast shape. All cosines and sines are computed up front, one op per
tensor; a shared input's once for every layer, combined by the addition formulas.

Why a hand-written backward: these circuits are short sequences of cheap elementwise ops on
small tensors, where autograd's per-op bookkeeping (and one zero-filled gradient per sliced
angle) costs more than the arithmetic. The forward pass keeps each gate's output state and
its cosine and sine; the backward pass walks the gates in reverse with the adjoint vector
λ = ∂L/∂v, reading each angle's gradient as ``λ · G v`` with the gate's generator G
(``G_z v = (-Y, X, 0)``, ``G_y v = (Z, 0, -X)`` on the state after the gate) and rotating λ
back with the transposed rotation.

>>> a = torch.tensor([[0.3, 1.1]], dtype=torch.float64, requires_grad=True)
>>> z = bloch_run((("ry", "f", 0),), a)                   # RY(a)|+>: ⟨Z⟩ = -sin a
>>> torch.allclose(z, -torch.sin(a[0]))
True
>>> gates = (("rz", "f", 0), ("x", None, 0), ("ry", "d", 0), ("rz", "d", 1))
>>> f = torch.rand(1, 4, dtype=torch.float64, requires_grad=True)     # per edge
>>> d = torch.rand(2, 3, 1, dtype=torch.float64, requires_grad=True)  # per layer
>>> x = torch.rand(4, dtype=torch.float64, requires_grad=True)        # shared input
>>> torch.autograd.gradcheck(lambda f, d, x: bloch_run(gates, f, d, x), (f, d, x))
True
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
from torch.autograd.function import once_differentiable

from qmem.validation import check_size_budget

__all__ = ["BlochGate", "bloch_run"]

BlochGate = tuple[Literal["rz", "ry", "x", "z"], Literal["f", "d"] | None, int]
"""One gate of :func:`bloch_run`: ``(kind, source, index)``; a rotation ``"rz"``/``"ry"``
reads angle ``index`` of ``fixed`` (source ``"f"``) or of ``data`` + ``shared`` (``"d"``),
a reflection ``"x"``/``"z"`` is ``(kind, None, 0)``."""


def _trig(t: torch.Tensor | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    return (None, None) if t is None else (torch.cos(t), torch.sin(t))


class _BlochRun(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        gates: tuple[BlochGate, ...],
        fixed: torch.Tensor,
        data: torch.Tensor | None,
        shared: torch.Tensor | None,
        keep_states: bool,
    ) -> torch.Tensor:
        x = torch.ones((), dtype=fixed.dtype, device=fixed.device)
        y = torch.zeros((), dtype=fixed.dtype, device=fixed.device)
        z = torch.zeros((), dtype=fixed.dtype, device=fixed.device)
        # all cosines and sines up front: one op per tensor, not per gate
        cf, sf = _trig(fixed)
        cd, sd = _trig(data)
        cx, sx = _trig(shared)
        if cd is not None and cx is not None:  # data + shared for every layer at once
            nd = max(cd.dim() - 1, cx.dim())  # align as the per-gate broadcast would
            cd = cd.reshape((cd.shape[0], *([1] * (nd + 1 - cd.dim())), *cd.shape[1:]))
            sd = sd.reshape(cd.shape)
            cx = cx.reshape((*([1] * (nd - cx.dim())), *cx.shape))
            sx = sx.reshape(cx.shape)
            cd, sd = (
                torch.addcmul(cd * cx, sd, sx, value=-1.0),
                torch.addcmul(sd * cx, cd, sx),
            )
            cx = sx = None
        keep = keep_states
        saved: list[torch.Tensor] = []
        for kind, src, idx in gates:
            if kind == "x":
                y, z = -y, -z
                continue
            if kind == "z":
                x, y = -x, -y
                continue
            if src == "f":
                c, s = cf[idx], sf[idx]
            elif cd is None:
                c, s = cx, sx
            else:
                c, s = cd[idx], sd[idx]
            if kind == "rz":
                x, y = torch.addcmul(x * c, y, s, value=-1.0), torch.addcmul(x * s, y, c)
            else:  # ry
                x, z = torch.addcmul(x * c, z, s), torch.addcmul(z * c, x, s, value=-1.0)
            saved += [c, s, x, y, z] if keep else [c, s]  # cos, sin (and the state after)
        ctx.gates = gates
        ctx.keep = keep
        ctx.shapes = [None if t is None else t.shape for t in (fixed, data, shared)]
        ctx.save_for_backward(*saved, *(() if keep else (x, y, z)))
        return z

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        saved = ctx.saved_tensors
        per_gate = 5 if ctx.keep else 2
        if not ctx.keep:  # the final state, un-rotated gate by gate below
            *saved, x, y, z = saved
            x, y, z, _ = torch.broadcast_tensors(x, y, z, grad)
        needs = ctx.needs_input_grad[1:4]
        out = [
            None if shape is None or not need else grad.new_zeros(shape)
            for shape, need in zip(ctx.shapes, needs, strict=True)
        ]
        g_fixed, g_data, g_shared = out
        want_f = g_fixed is not None
        want_d = g_data is not None or g_shared is not None
        lx, ly, lz = torch.zeros_like(grad), torch.zeros_like(grad), grad
        k = len(saved)
        for kind, src, idx in reversed(ctx.gates):
            if kind == "x":
                ly, lz = -ly, -lz
                if not ctx.keep:
                    y, z = -y, -z
                continue
            if kind == "z":
                lx, ly = -lx, -ly
                if not ctx.keep:
                    x, y = -x, -y
                continue
            k -= per_gate
            if ctx.keep:
                c, s, x, y, z = saved[k : k + 5]
            else:
                c, s = saved[k : k + 2]
            if want_f if src == "f" else want_d:  # λ · G v with v the state after the gate
                if kind == "rz":
                    g = torch.addcmul(ly * x, lx, y, value=-1.0)
                else:
                    g = torch.addcmul(lx * z, lz, x, value=-1.0)
                if src == "f":
                    g_fixed[idx].add_(g.sum_to_size(g_fixed.shape[1:]))
                else:
                    if g_data is not None:
                        g_data[idx].add_(g.sum_to_size(g_data.shape[1:]))
                    if g_shared is not None:
                        g_shared.add_(g.sum_to_size(g_shared.shape))
            if kind == "rz":
                lx, ly = torch.addcmul(lx * c, ly, s), torch.addcmul(ly * c, lx, s, value=-1.0)
                if not ctx.keep:
                    x, y = torch.addcmul(x * c, y, s), torch.addcmul(y * c, x, s, value=-1.0)
            else:
                lx, lz = torch.addcmul(lx * c, lz, s, value=-1.0), torch.addcmul(lz * c, lx, s)
                if not ctx.keep:
                    x, z = torch.addcmul(x * c, z, s, value=-1.0), torch.addcmul(z * c, x, s)
        return None, g_fixed, g_data, g_shared, None


_ONLY_VMAP = (
    "bloch_run supports torch.func.vmap of the forward pass (differentiate with .backward() "
    "outside the transform); torch.func.grad / vjp / jvp through it are not supported"
)


class _BlochVmap(torch.autograd.Function):
    """:class:`_BlochRun` under torch.func transforms (``vmap``), which need the functorch
    form (``setup_context``); outside them :class:`_BlochRun` runs directly.

    The ``vmap`` rule makes the vmapped axis one more leading axis of the broadcast per-gate
    shapes and calls the engine once on the whole batch (its adjoint node is what the
    autograd graph records, so ``.backward()`` outside the transform works);
    ``torch.func.grad``/``vjp`` through it are refused.
    """

    @staticmethod
    def forward(
        gates: tuple[BlochGate, ...],
        fixed: torch.Tensor,
        data: torch.Tensor | None,
        shared: torch.Tensor | None,
        keep_states: bool,
    ) -> torch.Tensor:
        raise RuntimeError(_ONLY_VMAP)  # reached under torch.func.grad / vjp / jvp only

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: torch.Tensor) -> None:
        raise RuntimeError(_ONLY_VMAP)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        raise RuntimeError(_ONLY_VMAP)

    @staticmethod
    def vmap(
        info: Any,
        in_dims: tuple[Any, ...],
        gates: tuple[BlochGate, ...],
        fixed: torch.Tensor,
        data: torch.Tensor | None,
        shared: torch.Tensor | None,
        keep_states: bool,
    ) -> tuple[torch.Tensor, int]:
        # the angle shapes broadcast right-aligned: pad every per-gate shape to one rank and
        # put the vmapped axis (size 1 where a tensor is not batched) in front of it
        tensors, dims = (fixed, data, shared), in_dims[1:4]
        lead = (1, 1, 0)  # gate-index axes of fixed, data, shared
        rank = max(t.dim() - n - (d is not None)  # per-gate rank without the vmapped axis
                   for t, n, d in zip(tensors, lead, dims, strict=True) if t is not None)
        moved: list[torch.Tensor | None] = []
        for t, n, d in zip(tensors, lead, dims, strict=True):
            if t is None:
                moved.append(None)
                continue
            t = t.unsqueeze(0) if d is None else t.movedim(d, 0)  # (B or 1, *logical)
            pad = rank - (t.dim() - 1 - n)
            t = t.reshape(t.shape[: 1 + n] + (1,) * pad + t.shape[1 + n :])  # pad per-gate
            moved.append(t.movedim(0, n))  # ([n_gates,] B or 1, *per-gate shape)
        return _run(gates, *moved, keep_states), 0


_transforms_active = getattr(torch._C, "_are_functorch_transforms_active", None)


def _run(
    gates: tuple[BlochGate, ...],
    fixed: torch.Tensor,
    data: torch.Tensor | None,
    shared: torch.Tensor | None,
    keep_states: bool,
) -> torch.Tensor:
    """:class:`_BlochRun`, or :class:`_BlochVmap` where a torch.func transform is active."""
    if _transforms_active is not None and _transforms_active():
        return _BlochVmap.apply(gates, fixed, data, shared, keep_states)
    return _BlochRun.apply(gates, fixed, data, shared, keep_states)


def bloch_run(
    gates: tuple[BlochGate, ...],
    fixed: torch.Tensor,
    data: torch.Tensor | None = None,
    shared: torch.Tensor | None = None,
    *,
    keep_states: bool = True,
) -> torch.Tensor:
    """``⟨Z⟩`` after ``H`` and ``gates``.

    Args:
        gates: ``(kind, source, index)`` per gate in time order. Kinds ``"rz"``/``"ry"``
            read the angle ``fixed[index]`` (source ``"f"``) or ``data[index] + shared``
            (source ``"d"``; either term may be absent); kinds ``"x"``/``"z"`` take
            ``(kind, None, 0)``.
        fixed: angles, shape (n_fixed, *shape_f), e.g. the circuit's own angles.
        data: per-layer angles, shape (n_data, *shape_d), or None.
        shared: an angle added to every data gate, shape broadcastable with ``shape_d``
            (e.g. the input x when w = 1: its cosine and sine are then computed once for all
            layers), or None.
        keep_states: keep every gate's output state for the backward (fastest); False
            keeps only the final state and recovers the others there by un-rotating it
            (the gates are orthogonal): less memory, about 1.5x the backward time.

    Returns:
        ``⟨Z⟩``, shape: the broadcast of the angle shapes. Differentiable in every angle
        tensor (first derivatives, by the adjoint method).
    """
    if data is None and shared is None and any(src == "d" for _, src, _ in gates):
        raise ValueError("data gates need `data` or `shared` angles")
    shapes = [fixed.shape[1:]] + [t.shape[1:] for t in (data,) if t is not None]
    if shared is not None:
        shapes.append(shared.shape)
    circuits = math.prod(torch.broadcast_shapes(*shapes))
    check_size_budget(  # refused before allocating: every rotation keeps 3 states
        "the Bloch engine's states (circuits x kept states)",
        circuits * (3 + 3 * sum(kind in ("rz", "ry") for kind, _, _ in gates)),
    )
    return _run(gates, fixed, data, shared, keep_states)
