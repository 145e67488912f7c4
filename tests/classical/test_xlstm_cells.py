"""sLSTM and mLSTM cells against naive, unstabilised recurrences (float64)."""

from __future__ import annotations

import math

import pytest
import torch

from qmem.classical import MLSTMCell, RecurrentModel, SLSTMCell, linear_maps


@pytest.mark.parametrize("forget", ["sigmoid", "exp"])
def test_slstm_equals_unstabilised_recurrence(forget: str) -> None:
    g = torch.Generator().manual_seed(0)
    I, H, B, T = 2, 3, 4, 12
    cell = SLSTMCell(I, H, linear_maps(g), forget=forget).double()
    x = torch.randn(B, T, I, generator=g, dtype=torch.float64)
    h = torch.zeros(B, H, dtype=torch.float64)
    c = torch.zeros(B, H, dtype=torch.float64)
    n = torch.zeros(B, H, dtype=torch.float64)
    ref = []
    for t in range(T):
        it, ft, zt, ot = cell.gates(torch.cat([x[:, t], h], 1)).chunk(4, 1)
        f = torch.sigmoid(ft) if forget == "sigmoid" else torch.exp(ft)
        c = f * c + torch.exp(it) * torch.tanh(zt)
        n = f * n + torch.exp(it)
        h = torch.sigmoid(ot) * c / n
        ref.append(h)
    feats, (_, c_s, n_s, m_s) = RecurrentModel(cell, 1, generator=g).double().encode(x)
    torch.testing.assert_close(feats, torch.stack(ref, 1), rtol=1e-10, atol=1e-12)
    # the stabilised state is the naive one scaled by exp(-m)
    torch.testing.assert_close(c_s * torch.exp(m_s), c, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(n_s * torch.exp(m_s), n, rtol=1e-10, atol=1e-12)
    assert (n_s >= 1 - 1e-12).all()


def test_mlstm_equals_unstabilised_recurrence() -> None:
    g = torch.Generator().manual_seed(1)
    I, H, B, T = 2, 4, 3, 10
    cell = MLSTMCell(I, H, generator=g).double()
    x = torch.randn(B, T, I, generator=g, dtype=torch.float64)
    C = torch.zeros(B, H, H, dtype=torch.float64)
    n = torch.zeros(B, H, dtype=torch.float64)
    ref = []
    for t in range(T):
        q, k, v, o, gates = cell.proj(x[:, t]).split([H, H, H, H, 2], dim=1)
        k = k / math.sqrt(H)
        i, f = torch.exp(gates[:, :1]), torch.sigmoid(gates[:, 1:])
        for b in range(B):  # explicit per-sample outer products
            C[b] = f[b] * C[b] + i[b] * torch.outer(v[b], k[b])
        n = f * n + i * k
        num = torch.einsum("bij,bj->bi", C, q)
        den = torch.clamp((n * q).sum(1, keepdim=True).abs(), min=1.0)
        ref.append(torch.sigmoid(o) * num / den)
    feats, (C_s, _, m_s) = RecurrentModel(cell, 1, generator=g).double().encode(x)
    torch.testing.assert_close(feats, torch.stack(ref, 1), rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(C_s * torch.exp(m_s)[..., None], C, rtol=1e-10, atol=1e-12)
    assert sum(p.numel() for p in cell.parameters()) == (4 * H + 2) * (I + 1)


def test_large_gate_preactivations_stay_finite() -> None:
    """exp(ĩ) overflows unstabilised; the stabilised cells stay finite, gradients too."""
    g = torch.Generator().manual_seed(2)
    for cell in (SLSTMCell(1, 3, linear_maps(g)), MLSTMCell(1, 3, generator=g)):
        with torch.no_grad():
            for p in cell.parameters():
                p.mul_(200.0)
        x = torch.randn(2, 50, 1, generator=g).requires_grad_()
        feats, _ = RecurrentModel(cell, 1, generator=g).encode(x)
        feats.sum().backward()
        assert torch.isfinite(feats).all() and torch.isfinite(x.grad).all()


def test_slstm_rejects_bad_forget() -> None:
    with pytest.raises(ValueError, match="forget must be one of"):
        SLSTMCell(1, 2, linear_maps(torch.Generator()), forget="tanh")  # type: ignore[arg-type]
