"""JHCG encoder-decoder and the window models."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from qmem.classical import JHCG, BSplineKAN, WindowMLP, WindowModel, default_latent_size


def test_default_latent_size_is_ceil_log2() -> None:
    for d in range(2, 70):
        assert default_latent_size(d) == math.ceil(math.log2(d))
    assert default_latent_size(1) == 1


def test_jhcg_composes_encoder_latent_decoder() -> None:
    g = torch.Generator().manual_seed(0)
    seen = []

    def make(i: int, o: int) -> nn.Module:
        seen.append((i, o))
        return BSplineKAN(i, o, generator=g)

    net = JHCG(12, 2, make, generator=g).double()
    assert seen == [(4, 4)] and net.encoder.out_features == 4
    x = torch.randn(5, 12, generator=g, dtype=torch.float64)
    ref = net.decoder(net.latent(x @ net.encoder.weight.T + net.encoder.bias))
    torch.testing.assert_close(net(x), ref, rtol=0, atol=0)
    assert sum(p.numel() for p in net.parameters()) == 13 * 4 + 16 * 9 + 5 * 2
    assert JHCG(12, 2, make, latent_size=6, generator=g).latent_size == 6


def test_window_model_flattens_time_major() -> None:
    g = torch.Generator().manual_seed(0)
    mlp = WindowMLP(6, 4, 1, activation="relu", generator=g)
    model = WindowModel(mlp, window=3, input_size=2)
    x = torch.randn(7, 3, 2, generator=g)
    y, state = model(x)
    flat = torch.cat([x[:, 0], x[:, 1], x[:, 2]], dim=1)
    torch.testing.assert_close(y[:, 0], mlp(flat), rtol=0, atol=0)
    assert state is None
    with pytest.raises(ValueError, match="window=3"):
        model(torch.zeros(7, 4, 2))
    with pytest.raises(ValueError, match="not recurrent"):
        model(x, (x,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="activation must be one of"):
        WindowMLP(6, 4, 1, activation="gelu", generator=g)  # type: ignore[arg-type]
