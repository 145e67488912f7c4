"""JHCG encoder-decoder: ``Linear(d -> k)`` -> latent map ``(k -> k)`` -> ``Linear(k -> out)``.

The latent map is a plug-in (a map factory ``make_latent(k, k)``): a B-spline KAN gives
JHCG Net, a QKAN layer gives HQKAN. The latent width defaults to ``k = ⌈log2 d⌉`` (at
least 1). Parameters: ``(d + 1)k + latent + (k + 1)·out``; with a B-spline KAN latent
``k²(G + s + 1)`` for grid size ``G`` and spline order ``s``.

>>> import torch
>>> from qmem.classical.kan import BSplineKAN
>>> g = torch.Generator().manual_seed(0)
>>> net = JHCG(8, 1, lambda i, o: BSplineKAN(i, o, generator=g), generator=g)
>>> net.latent_size, net(torch.zeros(5, 8)).shape
(3, torch.Size([5, 1]))
>>> sum(p.numel() for p in net.parameters())  # 9·3 + 9·9 + 4·1
112
"""

from __future__ import annotations

import math

import torch
from torch import nn

from qmem.validation import check_positive_int

from .lstm_scaffold import MapFactory
from .seeded import seeded_linear

__all__ = ["JHCG", "default_latent_size"]


def default_latent_size(in_features: int) -> int:
    """``max(1, ⌈log2 d⌉)``.

    >>> [default_latent_size(d) for d in (1, 2, 3, 4, 5, 16, 17)]
    [1, 1, 2, 2, 3, 4, 5]
    """
    check_positive_int("in_features", in_features)
    return max(1, math.ceil(math.log2(in_features)))


class JHCG(nn.Module):
    """Encoder ``Linear(d, k)``, latent map ``(k -> k)``, decoder ``Linear(k, out)``.

    Args:
        in_features: input width ``d``.
        out_features: output width.
        make_latent: factory of the latent map, called once as ``make_latent(k, k)``.
        latent_size: ``k``; ``None`` for ``⌈log2 d⌉``.
        generator: source of the encoder and decoder weights.

    Shapes: ``(..., d) -> (..., out)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        make_latent: MapFactory,
        *,
        latent_size: int | None = None,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        k = default_latent_size(in_features) if latent_size is None else latent_size
        self.latent_size = check_positive_int("latent_size", k)
        self.encoder = seeded_linear(in_features, k, generator)
        self.latent = make_latent(k, k)
        self.decoder = seeded_linear(k, out_features, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., d) -> (..., out)``."""
        return self.decoder(self.latent(self.encoder(x)))
