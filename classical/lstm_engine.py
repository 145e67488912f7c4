"""The LSTM sequence engine: one autograd node per sequence, backward through time by hand.

For a four-map LSTM cell whose gate maps are edge-wise (``qmem.edge_form``) the
pre-activations of step ``t`` split into a part that reads ``x_t`` only and a part that
reads ``h_{t-1}``::

    edge-wise map:    pre_t = P_t + C · Φ(h_{t-1})              P_t = W_x · Φ(x_t) + b
    bottleneck map:   pre_t = P_t + C · Φ(Q_t + A h_{t-1})      Q_t = A_x x_t + a

``P`` (and ``Q``) are computed for all steps in one batched call, in autograd. The time loop
then runs without an autograd graph inside :class:`LSTMSequence`, which stores what the
backward needs (the features ``Φ``, the gate activations, the cell states) and whose
backward walks the steps in reverse:

    dc_t += dh_t ⊙ o_t ⊙ (1 - tanh² c_t)
    dpre_t = [dc_t ⊙ g_t, dc_t ⊙ c_{t-1}, dc_t ⊙ i_t, dh_t ⊙ tanh c_t] ⊙ act'(pre_t)
    dz_t = Σ_f (Cᵀ dpre_t)_f ⊙ Φ'_f(z_t),   dh_{t-1} = Aᵀ dz_t (or dz_t),  dc_{t-1} = dc_t ⊙ f_t

and the weight gradients ``dC = Σ_t dpre_tᵀ Φ_t``, ``dA = Σ_t dz_tᵀ h_{t-1}`` in one matmul
each after the loop. Everything batch-independent (the derivatives of the activations and of
``Φ``) is computed for all steps at once. The result equals the stepped reference loop to
rounding (tests: 1e-12 in float64, ``gradcheck``); double backward is not supported (use
``RecurrentModel.sequence_engine = False`` for it).

>>> import torch
>>> from qmem.classical.lstm_scaffold import LSTMCell, linear_maps
>>> from qmem.classical.kan import BSplineKAN
>>> g = torch.Generator().manual_seed(0)
>>> cell = LSTMCell(1, 3, lambda i, o: BSplineKAN(i, o, generator=g))
>>> x = torch.randn(2, 5, 1, dtype=torch.float64, generator=g)
>>> cell = cell.double()
>>> fast, _ = lstm_sequence(cell, x, cell.init_state(2, dtype=torch.float64))
>>> ref = []; st = cell.init_state(2, dtype=torch.float64)
>>> for t in range(5):
...     out, st = cell(x[:, t], st); ref.append(out)
>>> bool((fast - torch.stack(ref, 1)).abs().max() < 1e-12)
True
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from qmem.edge_form import Basis, BottleneckForm, EdgeForm, bottleneck_forms_of, edge_forms_of

__all__ = [
    "LSTMSequence",
    "lstm_plan",
    "lstm_sequence",
    "map_derivatives",
    "map_step",
    "map_weight_grads",
    "plan_inputs",
]


class LSTMSequence(torch.autograd.Function):
    """The LSTM recurrence over ``T`` steps as one autograd node (see the module doc).

    ``apply(P, Q, A, C, h0, c0, basis)`` with ``P (T, B, 4H)``, ``Q (T, B, D)`` or ``None``,
    ``A (D, H)`` or ``None``, ``C (4H, D·F)`` (columns in ``basis``' flat layout),
    ``h0, c0 (B, H)`` -> ``hs (T, B, H)``, ``c_T (B, H)``. Double backward is not supported.

    With the plan of an LSTM cell of ``Linear`` maps (``I = 1``, ``H = 2``), against the
    cell stepped over time and ``gradcheck``:

    >>> from qmem.classical.lstm_scaffold import LSTMCell, linear_maps
    >>> d = torch.float64
    >>> cell = LSTMCell(1, 2, linear_maps(torch.Generator().manual_seed(0))).double()
    >>> x = torch.linspace(-1, 1, 6, dtype=d).reshape(2, 3, 1)  # (B, T, I)
    >>> plan, P, Q = plan_inputs(cell, x)  # P (T, B, 4H), Q None
    >>> h0 = c0 = torch.zeros(2, 2, dtype=d)
    >>> hs, c_T = LSTMSequence.apply(P, Q, plan.A, plan.C, h0, c0, plan.basis)
    >>> hs.shape, c_T.shape
    (torch.Size([3, 2, 2]), torch.Size([2, 2]))
    >>> st, ref = (h0, c0), []
    >>> for t in range(3):
    ...     out, st = cell(x[:, t], st); ref.append(out)
    >>> torch.allclose(hs, torch.stack(ref)), torch.allclose(c_T, st[1])
    (True, True)
    >>> def run(P, C):
    ...     return LSTMSequence.apply(P, None, None, C, h0, c0, plan.basis)
    >>> P, C = P.detach().requires_grad_(True), plan.C.detach().requires_grad_(True)
    >>> torch.autograd.gradcheck(run, (P, C))
    True
    """

    @staticmethod
    def forward(
        ctx: Any,
        P: torch.Tensor,
        Q: torch.Tensor | None,
        A: torch.Tensor | None,
        C: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        basis: Basis,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        Ct = C.t()  # (D*F, 4H)
        At = None if A is None else A.t()  # (H, D)
        q_steps = [None] * P.shape[0] if Q is None else Q.unbind(0)  # T x (B, D)
        h, c = h0, c0
        zs, phis, sigs, gs, cs, tcs, hs = [], [], [], [], [c0], [], []
        for p_t, q_t in zip(P.unbind(0), q_steps, strict=True):
            z, phi, pre = map_step(h, q_t, p_t, At, Ct, basis)  # pre (B, 4H)
            s = torch.sigmoid(pre)
            s_i, s_f, _, s_o = s.chunk(4, dim=1)  # each (B, H)
            g = torch.tanh(pre.chunk(4, dim=1)[2])
            c = torch.addcmul(s_f * c, s_i, g)
            tc = torch.tanh(c)
            h = s_o * tc
            zs.append(z)
            phis.append(phi)
            sigs.append(s)
            gs.append(g)
            cs.append(c)
            tcs.append(tc)
            hs.append(h)
        hs_t = torch.stack(hs)  # (T, B, H)
        ctx.basis = basis
        ctx.has_q = Q is not None
        ctx.has_a = A is not None
        ctx.save_for_backward(
            torch.stack(zs),  # (T, B, D)
            torch.stack(phis),  # (T, B, D*F)
            torch.stack(sigs),  # (T, B, 4H)
            torch.stack(gs),  # (T, B, H)
            torch.stack(cs),  # (T+1, B, H)
            torch.stack(tcs),  # (T, B, H)
            hs_t,
            h0,
            A if A is not None else torch.empty(0),
            C,
        )
        return hs_t, c

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, g_hs: torch.Tensor, g_c: torch.Tensor) -> tuple:
        zs, phis, sigs, gs, cs, tcs, hs, h0, A, C = ctx.saved_tensors
        basis: Basis = ctx.basis
        i, f, _, o = sigs.chunk(4, dim=-1)  # each (T, B, H)
        dsig = sigs * (1 - sigs)  # (T, B, 4H)
        d_i, d_f, _, d_o = dsig.chunk(4, dim=-1)
        # per step: dpre = [dc, dc, dc, dh] ⊙ K_t
        K = torch.cat([gs * d_i, cs[:-1] * d_f, i * (1 - gs * gs), tcs * d_o], dim=-1)
        o_dtc = o * (1 - tcs * tcs)  # (T, B, H)
        derivs, S = map_derivatives(basis, zs)
        dh = torch.zeros_like(h0)
        dc = g_c
        dpres, dzs = [], []
        steps = zip(g_hs.unbind(0), o_dtc.unbind(0), K.unbind(0), f.unbind(0), strict=True)
        for (g_t, od_t, k_t, f_t), dd_t in zip(reversed(list(steps)), reversed(derivs),
                                               strict=True):
            dh = g_t + dh
            dc = torch.addcmul(dc, dh, od_t)
            dpre = torch.cat([dc, dc, dc, dh], dim=1) * k_t  # (B, 4H)
            dc = dc * f_t
            dphi = dpre @ C  # (B, D*F)
            dz = dphi if dd_t is None else (dphi * dd_t) @ S  # (B, D)
            dh = dz if not ctx.has_a else dz @ A  # (B, H)
            dpres.append(dpre)
            dzs.append(dz)
        dP, dC, dA, dQ = map_weight_grads(dpres, dzs, phis, h0, hs, ctx.has_a, ctx.has_q)
        return dP, dQ, dA, dC, dh, dc, None


class _Plan:
    """How a cell's gate maps enter the engine: ``x``-side maps and the loop's tensors."""

    def __init__(self, x_part: Any, q_part: Any, A: torch.Tensor | None, C: torch.Tensor,
                 basis: Basis) -> None:
        self.x_part = x_part  # x (N, I) -> P (N, 4H)
        self.q_part = q_part  # x (N, I) -> Q (N, D) or None
        self.A = A
        self.C = C
        self.basis = basis


def _edge_plan(form: EdgeForm, i_size: int) -> _Plan:
    x_side = form.columns(0, i_size)
    h_side = form.columns(i_size, form.weight.shape[1])
    C = h_side.basis.flat_weight(h_side.weight)  # (4H, H*F)
    return _Plan(x_side.apply, None, None, C, h_side.basis)


def _bottleneck_plan(forms: list[BottleneckForm], i_size: int) -> _Plan | None:
    latent = [f.composed() for f in forms]
    basis = latent[0].basis
    if any(type(f.basis) is not type(basis) or f.basis.width != basis.width for f in latent):
        return None
    enc_w = torch.cat([f.encoder.weight for f in forms])  # (D, I + H), D = Σ latent widths
    enc_b = torch.cat([f.encoder.bias for f in forms])  # (D,)
    blocks = [f.weight.flatten(1) for f in latent]  # (O_g, d_g*F), (d, f) row-major
    full = torch.block_diag(*blocks)  # (4H, D*F): gate g reads only its own latent
    C = basis.flat_weight(full.reshape(full.shape[0], -1, basis.width))  # (4H, D*F)
    bias = torch.cat([f.bias for f in latent])  # (4H,)
    w_x = enc_w[:, :i_size]

    def q_part(x: torch.Tensor) -> torch.Tensor:
        return torch.addmm(enc_b, x, w_x.t())  # (N, D)

    def x_part(x: torch.Tensor) -> torch.Tensor:
        return bias.expand(x.shape[0], -1)  # (N, 4H)

    return _Plan(x_part, q_part, enc_w[:, i_size:], C, basis)


def lstm_plan(maps: list[nn.Module], input_size: int) -> _Plan | None:
    """The engine's plan for an LSTM cell's gate maps (one fused map or four), or ``None``.

    Args:
        maps: ``[M]`` (fused, ``I + H -> 4H``) or ``[M_i, M_f, M_g, M_o]`` (``I + H -> H``).
        input_size: ``I``.

    Returns:
        The plan (``x_part``: ``x (N, I) -> P (N, 4H)``; ``q_part`` or ``None``; ``A``
        ``(D, H)`` or ``None``; ``C (4H, D·F)``; ``basis``), or ``None`` when a map has
        neither an edge form nor a bottleneck form (the cell then steps its reference loop).

    >>> from qmem.classical.lstm_scaffold import linear_maps
    >>> make = linear_maps(torch.Generator().manual_seed(0))
    >>> plan = lstm_plan([make(4, 12)], 1)  # I = 1, H = 3: one fused map I + H -> 4H
    >>> plan.C.shape, plan.A, plan.basis.identity
    (torch.Size([12, 3]), None, True)
    >>> plan.x_part(torch.zeros(5, 1)).shape  # (N, 4H)
    torch.Size([5, 12])
    >>> lstm_plan([make(4, 3) for _ in range(4)], 1).C.shape  # four maps, merged
    torch.Size([12, 3])
    >>> print(lstm_plan([torch.nn.Sequential(make(4, 12))], 1))  # no edge form
    None
    """
    edges = edge_forms_of(maps)
    if all(e is not None for e in edges):
        if len(edges) == 1:
            return _edge_plan(edges[0], input_size)
        if all(e.basis.identity for e in edges):
            bias = [e.bias for e in edges]
            merged = EdgeForm(
                edges[0].basis,
                torch.cat([e.weight for e in edges]),
                None if any(b is None for b in bias) else torch.cat(bias),
            )
            return _edge_plan(merged, input_size)
        return None
    necks = bottleneck_forms_of(maps)
    if all(n is not None for n in necks):
        return _bottleneck_plan(necks, input_size)
    return None


def map_step(
    h: torch.Tensor,
    q_t: torch.Tensor | None,
    p_t: torch.Tensor,
    At: torch.Tensor | None,
    Ct: torch.Tensor,
    basis: Basis,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One step of the gate map from ``h_{t-1}``: ``z = q_t + h Aᵀ`` (``z = h`` without an
    encoder), ``φ = Φ(z)``, ``pre = p_t + φ Cᵀ``.

    Args:
        h: ``(B, H)``.
        q_t: the step's encoder offset ``(B, D)`` (None without an encoder).
        p_t: the step's x-side pre-activations ``(B, G·H)``.
        At: ``Aᵀ (H, D)`` or None; Ct: ``Cᵀ (D·F, G·H)``.
        basis: the map's basis ``Φ``.

    Returns:
        ``(z (B, D), φ (B, D·F), pre (B, G·H))``.

    >>> from qmem.edge_form import IdentityBasis
    >>> z, phi, pre = map_step(torch.ones(2, 3), None, torch.zeros(2, 4), None,
    ...                        torch.ones(3, 4), IdentityBasis())
    >>> pre.tolist()
    [[3.0, 3.0, 3.0, 3.0], [3.0, 3.0, 3.0, 3.0]]
    """
    z = h if At is None else torch.addmm(q_t, h, At)  # (B, D)
    phi = z if basis.identity else basis.flat(z)  # (B, D*F)
    return z, phi, torch.addmm(p_t, phi, Ct)  # (B, G*H)


def map_derivatives(basis: Basis, zs: torch.Tensor) -> tuple[list, torch.Tensor | None]:
    """For the reverse walk: ``dΦ/dz`` per step ``[(B, D·F)] * T`` (``None`` entries for an
    identity basis) and the matrix ``S (D·F, D)`` that sums each input's features.

    >>> from qmem.edge_form import IdentityBasis
    >>> derivs, S = map_derivatives(IdentityBasis(), torch.zeros(3, 2, 4))
    >>> len(derivs), derivs[0], S
    (3, None, None)
    """
    T, B, D = zs.shape
    if basis.identity:
        return [None] * T, None
    dphi_dz = basis.flat_derivative(zs.reshape(T * B, D)).reshape(T, B, -1)  # (T, B, D*F)
    owners = basis.owners(D).to(zs.device)
    return list(dphi_dz.unbind(0)), torch.nn.functional.one_hot(owners, D).to(zs.dtype)


def map_weight_grads(
    dpres: list[torch.Tensor],
    dzs: list[torch.Tensor],
    phis: torch.Tensor,
    h0: torch.Tensor,
    hs: torch.Tensor,
    has_a: bool,
    has_q: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """After the reverse walk (lists in reverse time order): ``dP (T, B, G·H)``,
    ``dC = Σ_t dpre_tᵀ Φ_t``, ``dA = Σ_t dz_tᵀ h_{t-1}`` and ``dQ`` (one matmul each).

    >>> dP, dC, dA, dQ = map_weight_grads([torch.ones(2, 8)] * 3, [], torch.ones(3, 2, 5),
    ...                                   torch.zeros(2, 2), torch.zeros(3, 2, 2), False, False)
    >>> dP.shape, dC.shape, dA, dQ
    (torch.Size([3, 2, 8]), torch.Size([8, 5]), None, None)
    """
    dP = torch.stack(dpres[::-1])  # (T, B, G*H)
    T, B, GH = dP.shape
    dC = dP.reshape(T * B, GH).t() @ phis.reshape(T * B, -1)  # (G*H, D*F)
    if not has_a:
        return dP, dC, None, None
    dz_all = torch.stack(dzs[::-1])  # (T, B, D)
    h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]])  # (T, B, H)
    dA = dz_all.reshape(T * B, -1).t() @ h_prev.reshape(T * B, -1)  # (D, H)
    return dP, dC, dA, dz_all if has_q else None


def plan_inputs(
    cell: nn.Module, x: torch.Tensor
) -> tuple[_Plan, torch.Tensor, torch.Tensor | None] | None:
    """The engine's plan for ``cell.gates`` and the x-side tensors of the whole sequence:
    ``(plan, P (T, B, G·H), Q (T, B, D) or None)``, or ``None`` without an edge form.

    >>> from qmem.classical.lstm_scaffold import LSTMCell, linear_maps
    >>> cell = LSTMCell(1, 3, linear_maps(torch.Generator().manual_seed(0)))
    >>> plan, P, Q = plan_inputs(cell, torch.zeros(2, 5, 1))
    >>> P.shape, Q, plan.C.shape
    (torch.Size([5, 2, 12]), None, torch.Size([12, 3]))
    """
    maps = list(cell.gates) if isinstance(cell.gates, nn.ModuleList) else [cell.gates]
    plan = lstm_plan(maps, cell.input_size)
    if plan is None:
        return None
    B, T, I = x.shape
    xt = x.transpose(0, 1).reshape(T * B, I)  # (T*B, I): time-major
    G, D = plan.C.shape[0], plan.C.shape[1] // plan.basis.width
    P = plan.x_part(xt).reshape(T, B, G)  # (T, B, G*H)
    Q = None if plan.q_part is None else plan.q_part(xt).reshape(T, B, D)  # (T, B, D)
    return plan, P, Q


def lstm_sequence(
    cell: nn.Module, x: torch.Tensor, state: tuple[torch.Tensor, ...]
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]] | None:
    """Run an :class:`~qmem.classical.lstm_scaffold.LSTMCell` over ``x`` with the engine.

    Args:
        cell: a four-map LSTM cell (``gates``: one map or a ``ModuleList`` of four).
        x: input ``(B, T, I)``.
        state: ``(h0, c0)``, each ``(B, H)``.

    Returns:
        ``(h (B, T, H), (h_T, c_T))``, or ``None`` when the maps have no edge form.
    """
    inputs = plan_inputs(cell, x)
    if inputs is None:
        return None
    plan, P, Q = inputs
    h0, c0 = state
    if torch.is_grad_enabled():
        hs, c = LSTMSequence.apply(P, Q, plan.A, plan.C, h0, c0, plan.basis)
    else:  # inference: the same loop, nothing kept for a backward
        hs, c = _lstm_loop(P, Q, plan.A, plan.C, h0, c0, plan.basis)
    return hs.transpose(0, 1), (hs[-1], c)  # (B, T, H)


def _lstm_loop(
    P: torch.Tensor,
    Q: torch.Tensor | None,
    A: torch.Tensor | None,
    C: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    basis: Basis,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:class:`LSTMSequence`'s forward without saving anything (no gradients wanted)."""
    Ct, At = C.t(), None if A is None else A.t()
    q_steps = [None] * P.shape[0] if Q is None else Q.unbind(0)  # T x (B, D)
    hs = []
    for p_t, q_t in zip(P.unbind(0), q_steps, strict=True):
        pre = map_step(h, q_t, p_t, At, Ct, basis)[2]  # (B, 4H)
        s = torch.sigmoid(pre)
        s_i, s_f, _, s_o = s.chunk(4, dim=1)
        c = torch.addcmul(s_f * c, s_i, torch.tanh(pre.chunk(4, dim=1)[2]))
        h = s_o * torch.tanh(c)
        hs.append(h)
    return torch.stack(hs), c  # (T, B, H)
