"""The window JHCG net, shared by ``jhcg`` (B-spline latent) and ``hqkan`` (QKAN latent).

``Linear(T·I, k) -> latent(k, k) -> Linear(k, O)`` on the flattened window of ``T`` steps,
``k = hidden_size`` or, with ``hidden_size=None``, ``⌈log2(T·I)⌉``.

>>> latent_width(window=4, input_size=1, hidden_size=None), latent_width(4, 1, 3)
(2, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from qmem.classical import JHCG, MapFactory, WindowModel, default_latent_size

from .base import generator

__all__ = ["latent_width", "window_jhcg"]


def latent_width(window: int, input_size: int, hidden_size: int | None) -> int:
    """The latent width ``k``: ``hidden_size``, or ``⌈log2(window · I)⌉`` for None."""
    return default_latent_size(window * input_size) if hidden_size is None else hidden_size


def window_jhcg(
    cfg: Any,
    maps: Callable[[Any, torch.Generator], MapFactory],
    i: int,
    h: int | None,
    o: int,
) -> nn.Module:
    """JHCG encoder -> latent map (from ``maps(cfg, generator)``) -> decoder on the window.

    ``cfg`` needs ``seed`` and ``window``.

    >>> from qmem.models.kan import JHCGConfig, kan_maps
    >>> net = window_jhcg(JHCGConfig(window=3), kan_maps, 1, None, 1)  # k = ⌈log2 3⌉ = 2
    >>> net(torch.zeros(5, 3, 1))[0].shape    # (B, T - window + 1, O)
    torch.Size([5, 1, 1])
    """
    g = generator(cfg)
    k = latent_width(cfg.window, i, h)
    net = JHCG(cfg.window * i, o, maps(cfg, g), latent_size=k, generator=g)
    return WindowModel(net, window=cfg.window, input_size=i)
