"""A Titans-style neural long-term memory (Behrouz, Zhong, Mirrokni 2024/2025) as a cell.

"Titans: Learning to Memorize at Test Time": the memory is a small MLP ``M`` whose weights
are the recurrent state. Each step writes ``(k_t, v_t)`` into it by one step of gradient
descent with momentum and forgetting on the associative loss, then reads it at ``q_t``::

    [k̃, v, q̃, θ̃, η̃, α̃] = W x_t + b               (one Linear(I, 3H + 3))
    k = k̃ / ‖k̃‖,  q = q̃ / ‖q̃‖                     (l2-normalised keys and queries)
    θ = σ(θ̃), η = σ(η̃), α = σ(α̃)                 (data-dependent scalars per sample)
    ℓ(M) = ‖M(k) - v‖²
    g_t = clip_c(∇_M ℓ(M_{t-1}))                  (per-sample norm clip, c = max_grad_norm)
    S_t = η S_{t-1} - θ g_t                       (momentum: the "surprise")
    M_t = (1 - α) M_{t-1} + S_t                   (forgetting)
    y_t = M_t(q)                                  (features, width H)

The clip, ``clip_c(g) = g · min(1, c / ‖g‖_F)`` over each sample's whole gradient, is qmem's
addition (``max_grad_norm = None`` removes it): without it the depth-2 write is unstable, the
inner step's curvature grows with ``‖W‖²`` while ``θ < 1`` is fixed, and the memory blows up
to NaN within a few hundred steps at H >= 8 (H = 34 even on a sine in [-1, 1]) at the
initial weights. With it every write is bounded, ``‖S_t‖ <= θ c / (1 - η)``. Where the
gradient is below ``c`` the clip multiplies by exactly 1 and the cell is the paper's.

Memory of depth 1: ``M(k) = W k`` (a linear, matrix-valued memory); depth 2:
``M(k) = W_2 silu(W_1 k)`` (inner width ``H``). The inner gradient is written in closed form
(:func:`memory_grad`), so the forward pass builds no second autograd graph; it is an ordinary
differentiable expression, and gradients of the outer loss flow through every inner update
to the projections and to the learned initial memory ``M_0`` (a parameter: the state starts
there, with zero momentum). ``forward_sequence`` does the input-only work (projection,
normalisation, ``σ``) once for all steps and loops over the memory updates only; ``forward``
(one step) is the reference it equals. With ``e = M(k) - v``:

    depth 1:  ∇_W ℓ = 2 e kᵀ
    depth 2:  a = W_1 k, z = silu(a), e = W_2 z - v
              ∇_{W_2} ℓ = 2 e zᵀ,   ∇_{W_1} ℓ = [(2 W_2ᵀ e) ⊙ silu'(a)] kᵀ,
              silu'(a) = σ(a)(1 + a(1 - σ(a)))

>>> import torch
>>> cell = TitansMemoryCell(1, 3, depth=2, generator=torch.Generator().manual_seed(0))
>>> out, (W, S) = cell(torch.ones(2, 1), cell.init_state(2))
>>> out.shape, W.shape, sum(p.numel() for p in cell.parameters())  # 2·12 + 2·9
(torch.Size([2, 3]), torch.Size([2, 2, 3, 3]), 42)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qmem.validation import check_float, check_int, check_positive_int

from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = ["TitansMemoryCell", "clip_per_sample", "memory_apply", "memory_grad", "memory_loss"]


def memory_apply(weights: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The memory MLP ``M(k)`` for a batch of memories.

    Args:
        weights: ``(B, depth, H, H)``: ``W`` (depth 1) or ``W_1, W_2`` (depth 2).
        k: ``(B, H)``.

    Returns:
        ``(B, H)``: ``W k`` or ``W_2 silu(W_1 k)``.

    >>> W = torch.eye(2).expand(1, 1, 2, 2)
    >>> memory_apply(W, torch.tensor([[1.0, 2.0]]))
    tensor([[1., 2.]])
    """
    y = _matvec(weights[:, 0], k)  # (B, H)
    if weights.shape[1] == 2:
        y = _matvec(weights[:, 1], nn.functional.silu(y))
    return y


def _matvec(w: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``(B, H, H), (B, H) -> (B, H)``: ``w_b k_b`` per sample."""
    return torch.bmm(w, k.unsqueeze(-1)).squeeze(-1)  # (B, H, 1) -> (B, H)


def memory_loss(weights: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The associative loss ``‖M(k) - v‖²`` per sample: ``(B, depth, H, H), (B, H) -> (B,)``.

    >>> W = torch.eye(2).expand(1, 1, 2, 2)                 # linear memory M(k) = k
    >>> memory_loss(W, torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 0.0]]))
    tensor([4.])
    """
    return ((memory_apply(weights, k) - v) ** 2).sum(-1)


def memory_grad(weights: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``∇_M ‖M(k) - v‖²`` in closed form (formulas in the module docstring), per sample.

    Args:
        weights: ``(B, depth, H, H)``, depth 1 or 2.
        k: keys ``(B, H)``.
        v: values ``(B, H)``.

    Returns:
        The gradient, shape of ``weights``; differentiable (no ``autograd.grad`` inside).

    >>> W = torch.zeros(1, 1, 2, 2)
    >>> memory_grad(W, torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]))[0, 0].tolist()
    [[0.0, 0.0], [-2.0, -0.0]]
    """
    if weights.shape[1] == 1:
        e = _matvec(weights[:, 0], k) - v  # (B, H)
        return (2 * e[:, :, None] * k[:, None, :]).unsqueeze(1)  # (B, 1, H, H)
    w1, w2 = weights[:, 0], weights[:, 1]  # each (B, H, H)
    a = _matvec(w1, k)  # (B, H)
    s = torch.sigmoid(a)
    z = a * s  # silu(a)
    e2 = 2 * (_matvec(w2, z) - v)  # 2e, (B, H)
    g2 = e2[:, :, None] * z[:, None, :]  # (B, H, H)
    da = _matvec(w2.transpose(1, 2), e2) * (s * (1 + a * (1 - s)))  # (B, H)
    g1 = da[:, :, None] * k[:, None, :]  # (B, H, H)
    return torch.stack([g1, g2], dim=1)  # (B, 2, H, H)


def clip_per_sample(grad: torch.Tensor, max_norm: float) -> torch.Tensor:
    """Scale each sample's gradient to Frobenius norm at most ``max_norm``.

    Args:
        grad: ``(B, ...)``, one gradient per sample.
        max_norm: the bound ``c > 0``.

    Returns:
        ``grad · min(1, c / ‖grad_b‖)`` per sample, same shape; a sample already within the
        bound is multiplied by exactly 1. Differentiable (zero gradients included).

    >>> g = torch.tensor([[3.0, 4.0], [0.3, 0.4]])          # norms 5 and 0.5
    >>> clip_per_sample(g, 1.0)
    tensor([[0.6000, 0.8000],
            [0.3000, 0.4000]])
    """
    norm = torch.linalg.vector_norm(grad.flatten(1), dim=1)  # (B,)
    scale = max_norm / norm.clamp(min=max_norm)  # (B,): 1 where norm <= c
    return grad * scale.reshape(-1, *([1] * (grad.dim() - 1)))  # (B, 1, ..., 1) broadcast


class TitansMemoryCell(RecurrentCell):
    """Titans neural memory cell (equations in the module docstring).

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H`` of keys, values, queries and the memory.
        depth: memory MLP depth, 1 (linear memory) or 2 (``W_2 silu(W_1 k)``).
        generator: source of the initial weights (projection, then ``M_0`` uniform in
            ``±1/√H``).
        max_grad_norm: ``c`` of the per-sample clip of the inner gradient (module
            docstring); None: no clip (the paper's update, unstable at depth 2).

    State: ``(M, S)``, memory weights and momentum, each ``(B, depth, H, H)``;
    :meth:`init_state` gives ``(M_0, 0)``. Features: ``y_t = M_t(q_t)``, ``(B, H)``.
    Parameters: ``(I + 1)(3H + 3) + depth·H²``.
    """

    def __init__(
        self, input_size: int, hidden_size: int, *, depth: int = 2,
        generator: torch.Generator, max_grad_norm: float | None = 1.0,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = H = check_positive_int("hidden_size", hidden_size)
        self.depth = check_int("depth", depth, minimum=1, maximum=2)
        self.max_grad_norm = (None if max_grad_norm is None
                              else check_float("max_grad_norm", max_grad_norm, minimum=0.0,
                                          strict_minimum=True))
        self.output_size = H
        self.state_shapes = ((self.depth, H, H), (self.depth, H, H))
        self.proj = seeded_linear(input_size, 3 * H + 3, generator)  # k, v, q, θ, η, α
        self.memory_init = nn.Parameter(torch.empty(self.depth, H, H))
        with torch.no_grad():
            bound = 1.0 / math.sqrt(H)
            self.memory_init.uniform_(-bound, bound, generator=generator)

    def init_state(
        self, batch: int, *, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> State:
        """The fresh memory: ``M_0`` (the learned initial weights) and zero momentum."""
        m0 = self.memory_init.to(device=device, dtype=dtype)
        m0 = m0.unsqueeze(0).expand(batch, *m0.shape)  # (B, depth, H, H)
        return m0, torch.zeros_like(m0)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """The input-only part of a step, for any leading shape: ``(..., I) -> (..., 3H + 3)``:
        ``[k, v, q, θ, η, α]`` with ``k, q`` l2-normalised and the scalars through ``σ``."""
        H = self.hidden_size
        k, v, q, gates = self.proj(x).split([H, H, H, 3], dim=-1)
        k = nn.functional.normalize(k, dim=-1)
        q = nn.functional.normalize(q, dim=-1)
        return torch.cat([k, v, q, torch.sigmoid(gates)], dim=-1)

    def write_read(self, inp: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """The memory part of a step: ``inp (B, 3H + 3)`` from :meth:`inputs`, ``(M, S)`` ->
        ``(M_t(q), (M_t, S_t))``."""
        M, S = state
        H = self.hidden_size
        k, v, q, gates = inp.split([H, H, H, 3], dim=-1)
        theta, eta, alpha = gates[:, :, None, None, None].unbind(1)  # each (B, 1, 1, 1)
        grad = memory_grad(M, k, v)  # (B, depth, H, H)
        if self.max_grad_norm is not None:
            grad = clip_per_sample(grad, self.max_grad_norm)
        S = eta * S - theta * grad
        M = (1 - alpha) * M + S
        return memory_apply(M, q), (M, S)

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``(M, S)`` -> ``(y_t, (M_t, S_t))``."""
        return self.write_read(self.inputs(x_t), state)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """The same steps with the input-only work done once for all ``T``:
        ``x (B, T, I)`` -> ``(features (B, T, H), (M_T, S_T))``."""
        outs = []
        for inp in self.inputs(x).unbind(1):  # each (B, 3H + 3)
            out, state = self.write_read(inp, state)
            outs.append(out)
        return torch.stack(outs, dim=1), state  # (B, T, H)
