"""torch's own fused LSTM and GRU kernels for cells whose maps are plain ``Linear``.

``torch.nn.LSTM`` and ``torch.nn.GRU`` run ``torch._VF.lstm`` / ``torch._VF.gru``: the whole
recurrence in C++ (cuDNN on CUDA). A qmem cell with ``Linear`` maps computes the same
function, so its sequence path hands its weights to the same kernel:

- LSTM: ``M([x, h]) = W [x, h] + b`` is ``W_ih x + W_hh h + b`` with
  ``W_ih = W[:, :I]``, ``W_hh = W[:, I:]`` and the kernel's second bias zero;
- GRU: the cell already holds torch's layout (``ih``, ``hh``).

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> x, h0, c0 = torch.randn(2, 4, 1, generator=g), torch.zeros(2, 3), torch.zeros(2, 3)
>>> w, b = torch.randn(12, 4, generator=g), torch.randn(12, generator=g)
>>> out, (h, c) = lstm_kernel(x, h0, c0, w, b)
>>> out.shape, bool(torch.equal(out[:, -1], h))
(torch.Size([2, 4, 3]), True)
"""

from __future__ import annotations

import torch

__all__ = ["gru_kernel", "lstm_kernel"]


def lstm_kernel(
    x: torch.Tensor,
    h0: torch.Tensor,
    c0: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """One LSTM layer in torch's kernel.

    Args:
        x: input ``(B, T, I)``, batch first.
        h0, c0: initial state, each ``(B, H)``.
        weight: ``(4H, I + H)``, gate order ``i, f, g, o`` on ``[x, h]``.
        bias: ``(4H,)`` or ``None``.

    Returns:
        ``(h (B, T, H), (h_T, c_T))``.
    """
    i_size = x.shape[-1]
    zero = weight.new_zeros(weight.shape[0])  # the kernel's second bias
    w_ih, w_hh = weight[:, :i_size].contiguous(), weight[:, i_size:].contiguous()
    params = [w_ih, w_hh, zero if bias is None else bias, zero]
    hx = (h0.unsqueeze(0), c0.unsqueeze(0))  # (1, B, H) each
    out, h, c = torch._VF.lstm(x, hx, params, True, 1, 0.0, torch.is_grad_enabled(), False, True)
    return out, (h[0], c[0])


def gru_kernel(
    x: torch.Tensor,
    h0: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    b_ih: torch.Tensor,
    b_hh: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One GRU layer in torch's kernel (``torch.nn.GRU``'s layout, gate order ``r, z, n``).

    Args:
        x: input ``(B, T, I)``, batch first.
        h0: initial state ``(B, H)``.
        w_ih, w_hh: ``(3H, I)``, ``(3H, H)``.
        b_ih, b_hh: ``(3H,)`` each.

    Returns:
        ``(h (B, T, H), h_T)``.

    The same numbers as ``torch.nn.GRU`` with these weights:

    >>> g = torch.Generator().manual_seed(0)
    >>> gru = torch.nn.GRU(1, 3, batch_first=True)
    >>> with torch.no_grad():
    ...     for w in gru.parameters():  # w_ih (9, 1), w_hh (9, 3), b_ih (9,), b_hh (9,)
    ...         _ = w.copy_(torch.randn(w.shape, generator=g))
    >>> x = torch.randn(2, 4, 1, generator=g)
    >>> out, h = gru_kernel(x, torch.zeros(2, 3), *gru.parameters())
    >>> ref, h_ref = gru(x)
    >>> out.shape, torch.allclose(out, ref), torch.allclose(h, h_ref[0])
    (torch.Size([2, 4, 3]), True, True)
    """
    out, h = torch._VF.gru(
        x, h0.unsqueeze(0), [w_ih, w_hh, b_ih, b_hh], True, 1, 0.0, torch.is_grad_enabled(),
        False, True,
    )
    return out, h[0]
