"""A diagonal linear state-space cell (S4D; Gu, Gupta, Goel, Ré 2022) with two equal paths.

``u_t = W_in x_t + b`` (``H`` channels); each channel ``h`` is a single-input single-output
linear system with ``M`` complex modes (state size ``N = 2M`` in the paper's count: the
conjugate modes are implicit in ``2 Re``)::

    s'(t) = A s(t) + B u(t),   y(t) = 2 Re(C s(t)) + D u(t)        A diagonal, B = 1
    A_n = -exp(a_n) + i ω_n     (real part kept negative)

Initialisation (``init``): S4D-Lin ``A_n = -1/2 + iπn``, S4D-Inv
``A_n = -1/2 + i (N/π)(N/(2n + 1) - 1)``, ``n = 0 … M-1``; ``C ~ CN(0, 1)``; step sizes
``Δ = exp(log Δ)`` learnable per channel, ``log Δ ~ U[log Δ_min, log Δ_max]``.

Zero-order hold (the input held constant over a step)::

    Ā = exp(Δ A),   B̄ = (Ā - 1) / A        (= ∫_0^Δ exp(A τ) dτ · B)
    s_t = Ā s_{t-1} + B̄ u_t,   y_t = 2 Re(Σ_n C_n s_{t,n}) + D u_t,   features act(y_t)

Unrolled from ``s_{-1}``: ``y_t = Σ_{j<=t} K_{t-j} u_j + D u_t + 2 Re(Σ_n C_n Ā_n^{t+1}
s_{-1,n})`` with the convolution kernel ``K_l = 2 Re(Σ_n C_n B̄_n Ā_n^l)``. ``forward`` is the
recurrent step (the reference); ``forward_sequence`` is the parallel path: the kernel from a
Vandermonde product, the causal convolution by FFT (length ``2T``), the initial-state term and
the final state in closed form. The two agree to ~1e-15 in float64.

>>> import torch
>>> cell = S4DCell(1, 2, modes=3, generator=torch.Generator().manual_seed(0)).double()
>>> x = torch.randn(4, 9, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
>>> feats, (s,) = cell.forward_sequence(x, cell.init_state(4, dtype=torch.float64))
>>> st = cell.init_state(4, dtype=torch.float64)
>>> steps = []
>>> for t in range(9):
...     out, st = cell(x[:, t], st)
...     steps.append(out)
>>> bool(torch.allclose(torch.stack(steps, 1), feats, rtol=0, atol=1e-13)), s.shape
(True, torch.Size([4, 2, 3, 2]))
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from qmem.validation import check_float, check_literal, check_positive_int

from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = ["S4DActivation", "S4DCell", "S4DInit", "s4d_init_A", "s4d_kernel", "zoh"]

S4DInit = Literal["lin", "inv"]
"""Initialisation of the diagonal ``A``: S4D-Lin or S4D-Inv (:func:`s4d_init_A`)."""
S4DActivation = Literal["gelu", "tanh", "identity"]
"""The activation applied to the SSM's output features."""


def s4d_init_A(modes: int, init: S4DInit = "lin") -> torch.Tensor:
    """The initial diagonal ``A`` (``complex128``, shape ``(modes,)``).

    ``"lin"``: ``-1/2 + iπn``; ``"inv"``: ``-1/2 + i (N/π)(N/(2n+1) - 1)`` with ``N = 2·modes``.

    >>> s4d_init_A(2, "lin")
    tensor([-0.5000+0.0000j, -0.5000+3.1416j], dtype=torch.complex128)
    """
    check_positive_int("modes", modes)
    init = check_literal("init", init, S4DInit)
    n = torch.arange(modes, dtype=torch.float64)
    if init == "lin":
        imag = math.pi * n
    else:
        N = 2 * modes
        imag = N / math.pi * (N / (2 * n + 1) - 1)
    return torch.complex(torch.full_like(n, -0.5), imag)


def zoh(A: torch.Tensor, dt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-order-hold discretisation with ``B = 1``: ``Ā = exp(ΔA)``, ``B̄ = (Ā - 1)/A``.

    Args:
        A: complex ``(H, M)`` (every entry non-zero).
        dt: step sizes ``(H,)``, real and positive.

    Returns:
        ``(Ā, B̄)``, each ``(H, M)`` complex.

    >>> A_bar, B_bar = zoh(torch.tensor([[-1.0 + 0j]]), torch.tensor([0.5]))
    >>> round(A_bar.real.item(), 6), round(B_bar.real.item(), 6)  # e^-0.5, 1 - e^-0.5
    (0.606531, 0.393469)
    """
    A_bar = torch.exp(dt[:, None] * A)
    return A_bar, (A_bar - 1) / A


def s4d_kernel(dtA: torch.Tensor, B_bar: torch.Tensor, C: torch.Tensor, length: int
               ) -> torch.Tensor:
    """The convolution kernel ``K_l = 2 Re(Σ_n C_n B̄_n Ā_n^l)``, ``l = 0 … length-1``.

    Args:
        dtA: ``ΔA``, complex ``(H, M)`` (``Ā = exp(ΔA)``).
        B_bar, C: complex ``(H, M)``.
        length: kernel length ``T``.

    Returns:
        ``(H, T)`` real.

    >>> K = s4d_kernel(torch.tensor([[-0.5 + 0j]]), torch.tensor([[1 + 0j]]),
    ...                torch.tensor([[0.5 + 0j]]), 3)              # K_l = e^{-l/2}
    >>> [round(v, 4) for v in K[0].tolist()]
    [1.0, 0.6065, 0.3679]
    """
    powers = _powers(dtA, length)  # (H, M, T)
    return 2 * torch.einsum("hm,hmt->ht", C * B_bar, powers).real


def _powers(dtA: torch.Tensor, length: int) -> torch.Tensor:
    """``Ā^l = exp(l·ΔA)`` for ``l = 0 … length - 1``: ``(H, M) -> (H, M, length)``."""
    steps = torch.arange(length, device=dtA.device, dtype=dtA.real.dtype)
    return torch.exp(dtA[..., None] * steps)  # (H, M, length)


class S4DCell(RecurrentCell):
    """S4D diagonal state-space cell (equations in the module docstring).

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: channels ``H``.
        modes: complex modes per channel ``M`` (state size ``N = 2M``).
        init: ``"lin"`` (S4D-Lin) or ``"inv"`` (S4D-Inv).
        dt_min, dt_max: range of the initial step sizes (``0 < dt_min <= dt_max``).
        activation: applied to ``y_t`` for the features: ``"gelu"``, ``"tanh"``,
            ``"identity"``.
        generator: source of the initial weights (input projection, ``log Δ``, ``C``).

    State: ``(s,)``, the complex mode states as real pairs, ``(B, H, M, 2)`` (last axis
    ``(Re, Im)``). Features: ``act(y_t)``, ``(B, H)``. Parameters: ``(I + 1)H`` (input
    projection) ``+ H`` (``log Δ``) ``+ 2HM`` (``A``) ``+ 2HM`` (``C``) ``+ H`` (``D``).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        modes: int = 4,
        init: S4DInit = "lin",
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        activation: S4DActivation = "gelu",
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = H = check_positive_int("hidden_size", hidden_size)
        self.modes = M = check_positive_int("modes", modes)
        self.init = check_literal("init", init, S4DInit)
        self.activation = check_literal("activation", activation, S4DActivation)
        dt_min = check_float("dt_min", dt_min, minimum=0.0, strict_minimum=True)
        dt_max = check_float("dt_max", dt_max, minimum=dt_min)
        self.output_size = H
        self.state_shapes = ((H, M, 2),)
        self.in_proj = seeded_linear(input_size, H, generator)
        A = s4d_init_A(M, init).expand(H, M)
        self.log_dt = nn.Parameter(torch.empty(H))
        self.log_A_real = nn.Parameter(torch.log(-A.real).float().clone())  # (H, M)
        self.A_imag = nn.Parameter(A.imag.float().clone())  # (H, M)
        self.C = nn.Parameter(torch.empty(H, M, 2))  # complex as (Re, Im)
        self.D = nn.Parameter(torch.empty(H))
        with torch.no_grad():
            u = torch.rand(H, generator=generator, dtype=torch.float64)
            self.log_dt.copy_(math.log(dt_min) + u * (math.log(dt_max) - math.log(dt_min)))
            self.C.normal_(0.0, math.sqrt(0.5), generator=generator)  # CN(0, 1)
            self.D.normal_(0.0, 1.0, generator=generator)

    def continuous(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(A, Δ)``: the diagonal ``A`` (complex ``(H, M)``) and the step sizes ``(H,)``."""
        return torch.complex(-torch.exp(self.log_A_real), self.A_imag), torch.exp(self.log_dt)

    def discrete(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(Ā, B̄, C)``, each complex ``(H, M)``, from the current parameters."""
        A_bar, B_bar = zoh(*self.continuous())
        return A_bar, B_bar, torch.view_as_complex(self.C)

    def _act(self, y: torch.Tensor) -> torch.Tensor:
        if self.activation == "gelu":
            return nn.functional.gelu(y)
        if self.activation == "tanh":
            return torch.tanh(y)
        return y

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """The recurrent step: ``x_t (B, I)``, ``(s,)`` -> ``(act(y_t), (s_t,))``."""
        A_bar, B_bar, C = self.discrete()
        s = torch.view_as_complex(state[0].contiguous())  # (B, H, M)
        u = self.in_proj(x_t)  # (B, H)
        s = A_bar * s + B_bar * u[..., None]
        y = 2 * (C * s).sum(-1).real + self.D * u  # (B, H)
        return self._act(y), (torch.view_as_real(s),)

    def forward_sequence(
        self, x: torch.Tensor, state: State
    ) -> tuple[torch.Tensor, State] | None:
        """The parallel path: ``x (B, T, I)`` -> ``(features (B, T, H), (s_T,))``.

        Kernel by a Vandermonde product, causal convolution by FFT, the initial state's
        contribution and the final state in closed form; equal to stepping :meth:`forward`.
        ``None`` (the stepped loop) for an empty batch, which the FFT does not take.
        """
        if x.shape[0] == 0:
            return None
        T = x.shape[1]
        A, dt = self.continuous()
        _, B_bar = zoh(A, dt)
        C = torch.view_as_complex(self.C)
        s0 = torch.view_as_complex(state[0].contiguous())  # (B, H, M)
        u = self.in_proj(x).transpose(1, 2)  # (B, H, T)
        powers = _powers(dt[:, None] * A, T + 1)  # Ā^0 … Ā^T, (H, M, T + 1)
        K = 2 * torch.einsum("hm,hmt->ht", C * B_bar, powers[..., :T]).real  # (H, T)
        n = 2 * T  # zero-padded: linear, not circular, convolution
        conv = torch.fft.irfft(torch.fft.rfft(u, n=n) * torch.fft.rfft(K, n=n), n=n)[..., :T]
        y = conv + self.D[:, None] * u  # (B, H, T)
        y = y + 2 * torch.einsum("bhm,hmt->bht", C * s0, powers[..., 1:]).real  # from s_{-1}
        # s_{T-1} = Ā^T s_{-1} + B̄ Σ_j Ā^{T-1-j} u_j
        weights = powers[..., :T].flip(-1)  # Ā^{T-1-j}, (H, M, T)
        s = powers[..., T] * s0 + B_bar * torch.einsum("bht,hmt->bhm", u.to(weights.dtype),
                                                       weights)
        return self._act(y.transpose(1, 2)), (torch.view_as_real(s),)  # (B, T, H)
