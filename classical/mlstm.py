"""mLSTM cell of xLSTM (Beck et al. 2024): matrix memory with a covariance update.

From ``x_t`` alone (no recurrent weights; one ``Linear(I, 4H + 2)``):
``q, k, v, õ`` (each ``H``), scalar gates ``ĩ, f̃``; ``k`` is scaled by ``1/sqrt(H)``::

    log f = log σ(f̃),  m_t = max(log f + m_{t-1}, ĩ)
    i' = exp(ĩ - m_t),  f' = exp(log f + m_{t-1} - m_t)
    C_t = f' C_{t-1} + i' v kᵀ          (H × H),   n_t = f' n_{t-1} + i' k
    h_t = σ(õ) ⊙ C_t q / max(|n_tᵀ q|, exp(-m_t))

(the stabilised form of ``C q / max(|nᵀ q|, 1)``). Single head. Parameters:
``(4H + 2)(I + 1)``.

>>> import torch
>>> cell = MLSTMCell(1, 3, generator=torch.Generator().manual_seed(0))
>>> out, (C, n, m) = cell(torch.ones(2, 1), cell.init_state(2))
>>> out.shape, C.shape, sum(p.numel() for p in cell.parameters())
(torch.Size([2, 3]), torch.Size([2, 3, 3]), 28)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qmem.validation import check_positive_int

from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = ["MLSTMCell"]


class MLSTMCell(RecurrentCell):
    """mLSTM cell; state ``(C (B, H, H), n (B, H), m (B, 1))``; features ``h_t (B, H)``.

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: memory width ``H``.
        generator: source of the initial weights.
    """

    def __init__(self, input_size: int, hidden_size: int, *, generator: torch.Generator) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = hidden_size
        self.state_shapes = ((hidden_size, hidden_size), (hidden_size,), (1,))
        self.proj = seeded_linear(input_size, 4 * hidden_size + 2, generator)

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``(C, n, m)`` -> ``(h_t, (C_t, n_t, m_t))``."""
        C, n, m = state
        H = self.hidden_size
        q, k, v, o, gates = self.proj(x_t).split([H, H, H, H, 2], dim=-1)
        k = k / math.sqrt(H)
        i_t, f_t = gates.chunk(2, dim=-1)  # each (B, 1)
        log_f = nn.functional.logsigmoid(f_t)
        m_new = torch.maximum(log_f + m, i_t)  # (B, 1)
        i_s = torch.exp(i_t - m_new)
        f_s = torch.exp(log_f + m - m_new)
        C = f_s.unsqueeze(-1) * C + (i_s.unsqueeze(-1) * v.unsqueeze(-1)) * k.unsqueeze(-2)
        n = f_s * n + i_s * k  # (B, H)
        num = (C @ q.unsqueeze(-1)).squeeze(-1)  # (B, H)
        den = torch.maximum((n * q).sum(-1, keepdim=True).abs(), torch.exp(-m_new))  # (B, 1)
        h = torch.sigmoid(o) * (num / den)
        return h, (C, n, m_new)
