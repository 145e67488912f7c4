"""B-spline KAN layer (efficient-KAN form): spline bases and a SiLU branch as linear maps.

Every edge ``(j -> o)`` of a KAN layer carries a learnable 1-D function
``φ_oj(x) = a_oj · silu(x) + Σ_m c_ojm · B_m(x)``, where ``B_m`` are the ``G + k`` B-spline
bases of order ``k`` on a uniform grid of ``G`` intervals over ``grid_range``, extended by
``k`` knots on each side. The layer output is ``y_o = Σ_j φ_oj(x_j)``. Evaluated as two
matmuls: ``silu(x) @ Aᵀ`` and ``B(x).flatten() @ Cᵀ``.

Trainable parameters: ``in_features · out_features · (G + k + 1)`` (no bias). Outside the
extended grid the spline part is zero and only the SiLU branch acts.

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> layer = BSplineKAN(3, 2, grid_size=5, spline_order=3, generator=g)
>>> layer(torch.zeros(4, 3)).shape, sum(p.numel() for p in layer.parameters())
(torch.Size([4, 2]), 54)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qmem.edge_form import Basis, EdgeForm, silu_derivative
from qmem.validation import check_positive_int, make_generator

__all__ = ["BSplineKAN", "SplineBasis", "bspline_bases", "kan_parameter_count"]


def kan_parameter_count(
    in_features: int, out_features: int, grid_size: int = 5, spline_order: int = 3
) -> int:
    """Trainable parameters of :class:`BSplineKAN`: ``in · out · (G + k + 1)``.

    >>> kan_parameter_count(3, 2, 5, 3)
    54
    """
    return in_features * out_features * (grid_size + spline_order + 1)


def bspline_bases(x: torch.Tensor, knots: torch.Tensor, order: int) -> torch.Tensor:
    """B-spline bases by the Cox-de Boor recursion.

    Args:
        x: points, shape ``(..., F)``.
        knots: non-decreasing knots per feature, shape ``(F, K)``.
        order: spline order ``k >= 0`` (``k = 3``: cubic).

    Returns:
        Bases of shape ``(..., F, K - 1 - k)``; on ``[knots[k], knots[-1-k])`` they sum to 1.

    >>> t = torch.linspace(-2, 2, 9).expand(1, 9)
    >>> bspline_bases(torch.tensor([[0.3]]), t, 3).sum().item()
    1.0
    """
    xe = x.unsqueeze(-1)  # (..., F, 1)
    bases = ((xe >= knots[:, :-1]) & (xe < knots[:, 1:])).to(x.dtype)  # (..., F, K-1)
    for p in range(1, order + 1):
        left = (xe - knots[:, : -(p + 1)]) / (knots[:, p:-1] - knots[:, : -(p + 1)])
        right = (knots[:, p + 1 :] - xe) / (knots[:, p + 1 :] - knots[:, 1:-p])
        bases = left * bases[..., :-1] + right * bases[..., 1:]  # (..., F, K-1-p)
    return bases


class SplineBasis(Basis):
    """``Φ(z) = (silu z, B_1(z) … B_M(z))``: a B-spline KAN edge's features.

    The derivative of an order-``k`` basis is ``k / (t_{m+k} - t_m) · B_{m,k-1} -
    k / (t_{m+k+1} - t_{m+1}) · B_{m+1,k-1}`` (de Boor).

    Args:
        knots: knots per input, shape ``(D, K)``.
        order: spline order ``k >= 1``.

    >>> knots = torch.linspace(-2, 2, 9).expand(2, 9)
    >>> SplineBasis(knots, 3)(torch.zeros(1, 2)).shape  # 1 + (9 - 1 - 3) features
    torch.Size([1, 2, 6])
    """

    def __init__(self, knots: torch.Tensor, order: int) -> None:
        self.knots = knots
        self.order = order
        self.width = 1 + knots.shape[-1] - 1 - order

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        bases = bspline_bases(z, self.knots, self.order)  # (N, D, M)
        return torch.cat([nn.functional.silu(z).unsqueeze(-1), bases], dim=-1)  # (N, D, 1+M)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        k, t = self.order, self.knots
        low = bspline_bases(z, t, k - 1)  # (..., D, M + 1)
        left = k / (t[:, k:-1] - t[:, : -(k + 1)])  # (D, M)
        right = k / (t[:, k + 1 :] - t[:, 1:-k])  # (D, M)
        spline = left * low[..., :-1] - right * low[..., 1:]  # (..., D, M)
        return torch.cat([silu_derivative(z).unsqueeze(-1), spline], dim=-1)

    def columns(self, start: int, stop: int) -> SplineBasis:
        return SplineBasis(self.knots[start:stop], self.order)


class BSplineKAN(nn.Module):
    """One KAN layer with B-spline edge functions and a SiLU base branch.

    Args:
        in_features: input width ``F``.
        out_features: output width ``O``.
        grid_size: number of grid intervals ``G`` (>= 1).
        spline_order: B-spline order ``k`` (>= 1; 3 = cubic).
        grid_range: ``(low, high)`` of the uniform grid.
        generator: source of the initial weights (``None``: a fresh generator seeded by one
            draw from torch's default RNG, see :func:`qmem.validation.make_generator`).

    Shapes: ``(..., F) -> (..., O)``. Parameters: ``F · O · (G + k + 1)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        grid_size: int = 5,
        spline_order: int = 3,
        grid_range: tuple[float, float] = (-1.0, 1.0),
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        self.grid_size = check_positive_int("grid_size", grid_size)
        self.spline_order = check_positive_int("spline_order", spline_order)
        low, high = (float(v) for v in grid_range)
        if not high > low:
            raise ValueError(f"grid_range must be (low, high) with high > low, got {grid_range}")
        step = (high - low) / grid_size
        k = spline_order
        knots = low + step * torch.arange(-k, grid_size + k + 1, dtype=torch.float64)
        self.register_buffer(
            "knots", knots.expand(in_features, -1).contiguous().to(torch.get_default_dtype())
        )
        n_basis = grid_size + spline_order
        self.base_weight = nn.Parameter(torch.empty(out_features, in_features))
        self.spline_weight = nn.Parameter(torch.empty(out_features, in_features, n_basis))
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw weights: base ``U(±1/sqrt(F))`` (as ``nn.Linear``), splines ``N(0, 0.1²/F)``."""
        generator = make_generator(generator=generator)
        bound = 1.0 / math.sqrt(self.in_features)
        self.base_weight.uniform_(-bound, bound, generator=generator)
        self.spline_weight.normal_(0.0, 0.1 * bound, generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer: ``(..., F) -> (..., O)``."""
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"BSplineKAN expects input (..., {self.in_features}), got {tuple(x.shape)}"
            )
        bases = bspline_bases(x, self.knots.to(x.dtype), self.spline_order)  # (..., F, G+k)
        flat = bases.flatten(-2)  # (..., F*(G+k))
        coeff = self.spline_weight.flatten(1)  # (O, F*(G+k))
        return nn.functional.silu(x) @ self.base_weight.T + flat @ coeff.T

    def edge_form(self) -> EdgeForm:
        """The layer as ``y = W·Φ(x)`` with ``Φ`` = :class:`SplineBasis` (for the engine).

        >>> layer = BSplineKAN(2, 3, generator=torch.Generator().manual_seed(0))
        >>> x = torch.rand(4, 2) * 2 - 1
        >>> torch.allclose(layer.edge_form().apply(x), layer(x), atol=1e-6)
        True
        """
        w = torch.cat([self.base_weight.unsqueeze(-1), self.spline_weight], dim=-1)  # (O, F, 1+M)
        knots = self.knots.to(w.dtype)
        return EdgeForm(SplineBasis(knots, self.spline_order), w, None)

    def extra_repr(self) -> str:
        return (
            f"{self.in_features}, {self.out_features}, grid_size={self.grid_size}, "
            f"spline_order={self.spline_order}"
        )
