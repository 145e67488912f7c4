"""The sequence engine for any cell whose update is elementwise per unit (sLSTM, LSTM variants).

A cell of this family computes gate pre-activations with an edge-wise map (as in
:mod:`qmem.classical.lstm_engine`) and then an *update* that acts on each hidden unit on its
own::

    pre_t = P_t + C · Φ(z_t),  z_t = h_{t-1} (or Q_t + A h_{t-1})      (B, G·H)
    (h_t, s_t) = update(pre_t, s_{t-1}; p)                              per unit u = 1..H

with ``G`` gate blocks, ``S`` further state tensors ``s`` (``c``, ``n``, ``m`` …) and ``p``
per-unit parameters (peepholes). Because the update is elementwise, its Jacobian at every
step is a small ``(1 + S) x (G + S + P)`` block per unit: the backward computes all of them
for all steps at once with forward-mode AD (``torch.func.jvp``, one call per input channel)
and then walks the steps in reverse with two tensor ops for the update and three for the map
per step — no per-cell hand-written backward, and no autograd graph in the loop. Results
equal the stepped reference loop (tests: 1e-12 in float64, ``gradcheck``).

A cell opts in with ``elementwise_update() -> (update, params) | None``:
``update(pre (..., G, H), s (..., S, H), p (P, H)) -> (h (..., H), s' (..., S, H))``.

>>> import torch
>>> from qmem.classical.slstm import SLSTMCell
>>> from qmem.classical.lstm_scaffold import linear_maps
>>> cell = SLSTMCell(1, 3, linear_maps(torch.Generator().manual_seed(0))).double()
>>> x = torch.randn(2, 6, 1, dtype=torch.float64)
>>> fast, _ = elementwise_sequence(cell, x, cell.init_state(2, dtype=torch.float64))
>>> ref, st = [], cell.init_state(2, dtype=torch.float64)
>>> for t in range(6):
...     out, st = cell(x[:, t], st); ref.append(out)
>>> bool((fast - torch.stack(ref, 1)).abs().max() < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .lstm_engine import map_derivatives, map_step, map_weight_grads, plan_inputs

__all__ = ["ElementwiseSequence", "Update", "elementwise_sequence"]

Update = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""A cell's elementwise update ``update(pre (..., G, H), s (..., S, H), p (P, H)) ->
(h (..., H), s' (..., S, H))``: unit ``u`` of the outputs reads only unit ``u`` of the inputs
(the engine relies on it; ``p`` may arrive expanded to ``(..., P, H)``)."""


def _jacobians(update: Update, pre: torch.Tensor, s: torch.Tensor, p: torch.Tensor) -> tuple:
    """``J (..., 1 + S, G + S + P, H)``: every output channel's derivative by every input
    channel, per unit. The update is elementwise, so the gradient of one output channel's
    sum is that channel's derivative at every position: one batched recomputation over all
    steps and ``1 + S`` reverse passes through it."""
    with torch.enable_grad():
        ins = [pre.detach().requires_grad_(True), s.detach().requires_grad_(True)]
        pb = p.detach().expand(*pre.shape[:-2], *p.shape).clone().requires_grad_(True)
        h, s_new = update(ins[0], ins[1], pb)
        outs = [h, *s_new.unbind(-2)]
        rows = []
        for k, out in enumerate(outs):
            grads = torch.autograd.grad(
                out.sum(), [*ins, pb], retain_graph=k < len(outs) - 1, allow_unused=True,
                materialize_grads=True,
            )
            rows.append(torch.cat(grads, dim=-2))  # (..., n_in, H)
    return torch.stack(rows, dim=-3)  # (..., 1 + S, n_in, H)


class ElementwiseSequence(torch.autograd.Function):
    """The elementwise recurrence over ``T`` steps as one autograd node (see the module doc).

    ``apply(P, Q, A, C, h0, s0, p, basis, update)`` with ``P (T, B, G·H)``, ``Q (T, B, D)``
    or ``None``, ``A (D, H)`` or ``None``, ``C (G·H, D·F)``, ``h0 (B, H)``, ``s0 (B, S, H)``,
    ``p (P, H)``, ``basis`` a :class:`~qmem.edge_form.Basis` and ``update`` an
    :data:`Update` -> ``hs (T, B, H)``, ``s_T (B, S, H)``. Double backward is not supported.

    One gate block and one state tensor (``G = S = 1``, ``H = 2``, no ``p``), a ``Linear``
    recurrence (identity basis, ``z = h``), against the stepped loop and ``gradcheck``:

    >>> from qmem.edge_form import IdentityBasis
    >>> def update(pre, s, p):  # c' = c/2 + tanh(pre), h = tanh(c')
    ...     c = 0.5 * s[..., 0, :] + torch.tanh(pre[..., 0, :])
    ...     return torch.tanh(c), c.unsqueeze(-2)
    >>> d = torch.float64
    >>> P = torch.linspace(-1, 1, 6, dtype=d).reshape(3, 1, 2).requires_grad_(True)
    >>> C = torch.tensor([[0.5, -0.2], [0.1, 0.3]], dtype=d, requires_grad=True)
    >>> h0, s0 = torch.zeros(1, 2, dtype=d), torch.zeros(1, 1, 2, dtype=d)  # (B, H), (B, S, H)
    >>> p = torch.zeros(0, 2, dtype=d)  # (P, H): no per-unit parameters
    >>> def run(P, C):
    ...     return ElementwiseSequence.apply(P, None, None, C, h0, s0, p, IdentityBasis(), update)
    >>> hs, s_T = run(P, C)
    >>> hs.shape, s_T.shape
    (torch.Size([3, 1, 2]), torch.Size([1, 1, 2]))
    >>> h, s, ref = h0, s0, []
    >>> for t in range(3):
    ...     h, s = update((P[t] + h @ C.t()).view(1, 1, 2), s, p); ref.append(h)
    >>> torch.allclose(hs, torch.stack(ref)), torch.autograd.gradcheck(run, (P, C))
    (True, True)
    """

    @staticmethod
    def forward(
        ctx: Any,
        P: torch.Tensor,
        Q: torch.Tensor | None,
        A: torch.Tensor | None,
        C: torch.Tensor,
        h0: torch.Tensor,
        s0: torch.Tensor,
        p: torch.Tensor,
        basis: Any,
        update: Update,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        _, B, GH = P.shape
        H = h0.shape[-1]
        G = GH // H
        Ct = C.t()  # (D*F, G*H)
        At = None if A is None else A.t()
        q_steps = [None] * P.shape[0] if Q is None else Q.unbind(0)  # T x (B, D)
        h, s = h0, s0
        zs, phis, pres, ss, hs = [], [], [], [s0], []
        for p_t, q_t in zip(P.unbind(0), q_steps, strict=True):
            z, phi, pre = map_step(h, q_t, p_t, At, Ct, basis)
            pre = pre.view(B, G, H)  # (B, G*H) -> (B, G, H)
            h, s = update(pre, s, p)
            zs.append(z)
            phis.append(phi)
            pres.append(pre)
            ss.append(s)
            hs.append(h)
        hs_t = torch.stack(hs)  # (T, B, H)
        ctx.basis, ctx.update = basis, update
        ctx.has_q, ctx.has_a = Q is not None, A is not None
        ctx.save_for_backward(
            torch.stack(zs),  # (T, B, D)
            torch.stack(phis),  # (T, B, D*F)
            torch.stack(pres),  # (T, B, G, H)
            torch.stack(ss),  # (T+1, B, S, H)
            hs_t,
            h0,
            p,
            A if A is not None else torch.empty(0),
            C,
        )
        return hs_t, s

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, g_hs: torch.Tensor, g_s: torch.Tensor) -> tuple:
        zs, phis, pres, ss, hs, h0, p, A, C = ctx.saved_tensors
        basis = ctx.basis
        T, B, G, H = pres.shape
        S = ss.shape[-2]
        J = _jacobians(ctx.update, pres, ss[:-1], p)  # (T, B, 1 + S, n_in, H)
        dphi_dz, sel = map_derivatives(basis, zs)
        dh = torch.zeros_like(h0)
        ds = g_s  # (B, S, H)
        dpres, dps, dzs = [], [], []
        for t in range(T - 1, -1, -1):
            d_out = torch.cat([(g_hs[t] + dh).unsqueeze(1), ds], dim=1)  # (B, 1 + S, H)
            d_in = (J[t] * d_out.unsqueeze(2)).sum(1)  # (B, n_in, H)
            dpre = d_in[:, :G].reshape(B, G * H)
            ds = d_in[:, G : G + S]
            dps.append(d_in[:, G + S :])
            dphi = dpre @ C  # (B, D*F)
            dz = dphi if sel is None else (dphi * dphi_dz[t]) @ sel  # (B, D)
            dh = dz if not ctx.has_a else dz @ A
            dpres.append(dpre)
            dzs.append(dz)
        dP, dC, dA, dQ = map_weight_grads(dpres, dzs, phis, h0, hs, ctx.has_a, ctx.has_q)
        dp = torch.stack(dps).sum((0, 1))  # (P, H)
        return dP, dQ, dA, dC, dh, ds, dp, None, None


def _loop(P, Q, A, C, h, s, p, basis, update) -> tuple[torch.Tensor, torch.Tensor]:
    """:class:`ElementwiseSequence`'s forward without saving anything."""
    B, H = h.shape
    Ct, At = C.t(), None if A is None else A.t()
    q_steps = [None] * P.shape[0] if Q is None else Q.unbind(0)  # T x (B, D)
    hs = []
    for p_t, q_t in zip(P.unbind(0), q_steps, strict=True):
        pre = map_step(h, q_t, p_t, At, Ct, basis)[2]  # (B, G*H)
        h, s = update(pre.view(B, -1, H), s, p)  # (B, G*H) -> (B, G, H)
        hs.append(h)
    return torch.stack(hs), s


def elementwise_sequence(
    cell: nn.Module, x: torch.Tensor, state: tuple[torch.Tensor, ...]
) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]] | None:
    """Run a cell with ``gates`` (one map or a ``ModuleList``) and ``elementwise_update()``
    over ``x (B, T, I)`` from ``state = (h, s_1 … s_S)``; ``None`` if it cannot."""
    spec = cell.elementwise_update()
    if spec is None:
        return None
    update, params = spec
    inputs = plan_inputs(cell, x)
    if inputs is None:
        return None
    plan, P, Q = inputs
    h0, rest = state[0], state[1:]
    s0 = torch.stack(rest, dim=1)  # (B, S, H)
    if torch.is_grad_enabled():
        hs, s = ElementwiseSequence.apply(P, Q, plan.A, plan.C, h0, s0, params, plan.basis, update)
    else:  # inference: the same loop, nothing kept for a backward
        hs, s = _loop(P, Q, plan.A, plan.C, h0, s0, params, plan.basis, update)
    return hs.transpose(0, 1), (hs[-1], *s.unbind(1))  # (B, T, H)
