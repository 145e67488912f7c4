"""GRU cell with ``torch.nn.GRU``'s equations and parameter layout.

With gate order ``r, z, n`` (as ``torch.nn.GRU``)::

    r = σ(W_r x + b_ir + U_r h + b_hr),  z = σ(W_z x + b_iz + U_z h + b_hz)
    n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn)),  h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

Parameters: ``3H(I + H) + 6H`` (two bias vectors, as torch: ``b_hn`` sits inside ``r ⊙ ·``).

>>> import torch
>>> cell = GRUCell(2, 3, generator=torch.Generator().manual_seed(0))
>>> out, (h,) = cell(torch.ones(4, 2), cell.init_state(4))
>>> out.shape, sum(p.numel() for p in cell.parameters())
(torch.Size([4, 3]), 63)
"""

from __future__ import annotations

import torch

from qmem.validation import check_positive_int

from .fused import gru_kernel
from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = ["GRUCell"]


class GRUCell(RecurrentCell):
    """GRU cell: ``ih = Linear(I, 3H)``, ``hh = Linear(H, 3H)``; state ``(h,)`` of ``(B, H)``.

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H`` of ``h_t``.
        generator: source of the initial weights.
    """

    def __init__(self, input_size: int, hidden_size: int, *, generator: torch.Generator) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = hidden_size
        self.state_shapes = ((hidden_size,),)
        self.ih = seeded_linear(input_size, 3 * hidden_size, generator)
        self.hh = seeded_linear(hidden_size, 3 * hidden_size, generator)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """The whole sequence in torch's fused GRU kernel."""
        out, h = gru_kernel(
            x, state[0], self.ih.weight, self.hh.weight, self.ih.bias, self.hh.bias
        )
        return out, (h,)

    def forward_step(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step in torch's fused GRU kernel."""
        out, st = self.forward_sequence(x_t.unsqueeze(1), state)
        return out[:, 0], st

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``(h,)`` -> ``(h_t, (h_t,))``."""
        (h,) = state
        xr, xz, xn = self.ih(x_t).chunk(3, dim=-1)  # each (B, H)
        hr, hz, hn = self.hh(h).chunk(3, dim=-1)  # each (B, H)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        return h, (h,)
