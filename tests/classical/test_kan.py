"""B-spline KAN layer: bases against scipy, the layer against a per-edge loop, counts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.interpolate import BSpline

from qmem.classical import BSplineKAN, kan_parameter_count
from qmem.classical.kan import bspline_bases


@pytest.mark.parametrize(("G", "k"), [(5, 3), (3, 1), (8, 2)])
def test_bases_match_scipy(G: int, k: int) -> None:
    layer = BSplineKAN(2, 1, grid_size=G, spline_order=k, grid_range=(-1.5, 2.0))
    knots = layer.knots.double()
    x = torch.linspace(-2.9, 3.4, 101, dtype=torch.float64)
    ours = bspline_bases(x[:, None].expand(-1, 2), knots, k)  # (N, 2, G+k)
    t = knots[0].numpy()
    for m in range(G + k):
        ref = BSpline.basis_element(t[m : m + k + 2], extrapolate=False)(x.numpy())
        ref = np.nan_to_num(ref)
        np.testing.assert_allclose(ours[:, 0, m].numpy(), ref, atol=1e-12)
    inside = (x >= -1.5) & (x < 2.0)
    torch.testing.assert_close(ours[inside, 1].sum(-1), torch.ones(int(inside.sum()),
                                                                   dtype=torch.float64))


def test_layer_equals_sum_of_edge_functions() -> None:
    g = torch.Generator().manual_seed(0)
    layer = BSplineKAN(3, 2, grid_size=4, spline_order=3, generator=g).double()
    x = torch.rand(7, 3, generator=g, dtype=torch.float64) * 2 - 1  # scipy base interval
    y = layer(x)
    t = layer.knots[0].double().numpy()
    ref = np.zeros((7, 2))
    for o in range(2):
        for j in range(3):
            c = layer.spline_weight[o, j].detach().numpy()
            spline = BSpline(t, c, 3, extrapolate=False)(x[:, j].numpy())
            silu = torch.nn.functional.silu(x[:, j]).numpy()
            ref[:, o] += layer.base_weight[o, j].item() * silu + np.nan_to_num(spline)
    np.testing.assert_allclose(y.detach().numpy(), ref, atol=1e-12)


def test_counts_and_shapes() -> None:
    for fin, fout, G, k in [(1, 1, 5, 3), (4, 12, 5, 3), (3, 2, 7, 2)]:
        layer = BSplineKAN(fin, fout, grid_size=G, spline_order=k)
        assert sum(p.numel() for p in layer.parameters()) == kan_parameter_count(fin, fout, G, k)
        assert kan_parameter_count(fin, fout, G, k) == fin * fout * (G + k + 1)
        assert layer(torch.zeros(2, 5, fin)).shape == (2, 5, fout)
    assert [n for n, _ in BSplineKAN(2, 2).named_buffers()] == ["knots"]


def test_seeded_and_device_dtype_follow_input() -> None:
    a = BSplineKAN(2, 3, generator=torch.Generator().manual_seed(5))
    b = BSplineKAN(2, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.spline_weight, b.spline_weight)
    assert a.double()(torch.zeros(1, 2, dtype=torch.float64)).dtype == torch.float64


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="grid_range"):
        BSplineKAN(2, 2, grid_range=(1.0, 1.0))
    with pytest.raises(ValueError, match="grid_size must be a positive int, got 0"):
        BSplineKAN(2, 2, grid_size=0)
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        BSplineKAN(2, 2)(torch.zeros(3, 4))
