"""sLSTM cell of xLSTM (Beck et al. 2024): exponential gating, normaliser and stabiliser.

With pre-activations ``[ĩ, f̃, z̃, õ] = M([x_t, h_{t-1}])`` (one map ``I + H -> 4H``,
``Linear`` by default: input and recurrent weights and one bias)::

    log f = log σ(f̃)  (forget="sigmoid")   or   f̃  (forget="exp")
    m_t = max(log f + m_{t-1}, ĩ)           (m_1 = ĩ: the state starts empty)
    i' = exp(ĩ - m_t),  f' = exp(log f + m_{t-1} - m_t)
    c_t = f' ⊙ c_{t-1} + i' ⊙ tanh(z̃),   n_t = f' ⊙ n_{t-1} + i'
    h_t = σ(õ) ⊙ c_t / n_t

The stabiliser ``m_t`` rescales ``c`` and ``n`` by the same factor, so ``h_t`` equals the
unstabilised ``exp``-gated recurrence; ``n_t >= 1`` after the first step. A single head
(full recurrent matrix). Parameters with ``Linear``: ``4H(I + H + 1)``.

>>> import torch
>>> from qmem.classical.lstm_scaffold import linear_maps
>>> cell = SLSTMCell(1, 3, linear_maps(torch.Generator().manual_seed(0)))
>>> out, (h, c, n, m) = cell(torch.ones(2, 1), cell.init_state(2))
>>> out.shape, bool((n >= 1).all())
(torch.Size([2, 3]), True)
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from qmem.validation import check_choice, check_positive_int

from .elementwise_engine import elementwise_sequence
from .lstm_scaffold import MapFactory
from .recurrent import RecurrentCell, State

__all__ = ["SLSTMCell"]


class SLSTMCell(RecurrentCell):
    """sLSTM cell; state ``(h, c, n, m)``, each ``(B, H)``; features ``h_t``.

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H``.
        make_map: factory for the pre-activation map ``I + H -> 4H`` (order ``i, f, z, o``).
        forget: forget-gate activation, ``"sigmoid"`` or ``"exp"``.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        make_map: MapFactory,
        *,
        forget: Literal["sigmoid", "exp"] = "sigmoid",
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.forget = check_choice("forget", forget, ("sigmoid", "exp"))
        self.output_size = hidden_size
        self.state_shapes = ((hidden_size,),) * 4
        self.gates = make_map(input_size + hidden_size, 4 * hidden_size)

    def update(
        self, pre: torch.Tensor, s: torch.Tensor, p: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The elementwise update: ``pre (..., 4, H)`` (blocks ``i, f, z, o``), ``s (..., 3,
        H)`` = ``(c, n, m)``, ``p`` unused -> ``(h (..., H), (c, n, m) (..., 3, H))``."""
        i_t, f_t, z_t, o_t = pre.unbind(-2)  # each (..., H)
        c, n, m = s.unbind(-2)
        log_f = nn.functional.logsigmoid(f_t) if self.forget == "sigmoid" else f_t
        m_new = torch.where(n == 0, i_t, torch.maximum(log_f + m, i_t))
        i_s = torch.exp(i_t - m_new)
        # exponent <= 0 whenever the state is non-empty; the clamp only guards the empty case
        decay = torch.exp((log_f + m - m_new).clamp(max=0.0))
        f_s = torch.where(n == 0, torch.zeros_like(decay), decay)
        c = f_s * c + i_s * torch.tanh(z_t)
        n = f_s * n + i_s
        h = torch.sigmoid(o_t) * (c / n)
        return h, torch.stack([c, n, m_new], dim=-2)

    def elementwise_update(self) -> tuple[Any, torch.Tensor]:
        """``(update, no parameters)`` for :mod:`qmem.classical.elementwise_engine`."""
        ref = next(self.parameters())
        return self.update, ref.new_zeros(0, self.hidden_size)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """The whole sequence with the elementwise engine (``None`` if the map has no edge
        form)."""
        return elementwise_sequence(self, x, state)

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``(h, c, n, m)`` -> ``(h_t, (h_t, c_t, n_t, m_t))``."""
        h = state[0]
        pre = self.gates(torch.cat([x_t, h], dim=-1))  # (B, 4H)
        pre = pre.view(pre.shape[0], 4, self.hidden_size)  # (B, 4, H): blocks i, f, z, o
        h, s = self.update(pre, torch.stack(state[1:], dim=-2), pre.new_zeros(0))
        c, n, m = s.unbind(-2)
        return h, (h, c, n, m)
