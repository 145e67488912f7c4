"""The scaffold's LSTM and the GRU cell equal torch.nn.LSTM / torch.nn.GRU given their weights."""

from __future__ import annotations

import pytest
import torch

from qmem.classical import GRUCell, LSTMCell, RecurrentModel, linear_maps


def _copy_lstm(model: RecurrentModel, ref: torch.nn.LSTM, head: torch.nn.Linear) -> None:
    w_ih, w_hh = ref.weight_ih_l0, ref.weight_hh_l0  # (4H, I), (4H, H), order i, f, g, o
    bias = ref.bias_ih_l0 + ref.bias_hh_l0
    with torch.no_grad():
        if model.cell.fused:
            model.cell.gates.weight.copy_(torch.cat([w_ih, w_hh], dim=1))
            model.cell.gates.bias.copy_(bias)
        else:
            H = model.cell.hidden_size
            for k, lin in enumerate(model.cell.gates):
                rows = slice(k * H, (k + 1) * H)
                lin.weight.copy_(torch.cat([w_ih[rows], w_hh[rows]], dim=1))
                lin.bias.copy_(bias[rows])
        model.head.load_state_dict(head.state_dict())


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize(("I", "H"), [(1, 5), (3, 2)])
def test_lstm_equals_torch(fused: bool, I: int, H: int) -> None:
    g = torch.Generator().manual_seed(0)
    torch_gen = torch.Generator().manual_seed(1)
    ref = torch.nn.LSTM(I, H, batch_first=True).double()
    head = torch.nn.Linear(H, 2).double()
    with torch.no_grad():
        for p in [*ref.parameters(), *head.parameters()]:
            p.copy_(torch.randn(p.shape, generator=torch_gen, dtype=p.dtype))
    model = RecurrentModel(LSTMCell(I, H, linear_maps(g), fused=fused), 2, generator=g).double()
    _copy_lstm(model, ref, head)
    x = torch.randn(4, 9, I, generator=torch_gen, dtype=torch.float64)
    h0 = torch.randn(4, H, generator=torch_gen, dtype=torch.float64)
    c0 = torch.randn(4, H, generator=torch_gen, dtype=torch.float64)
    seq, (hn, cn) = ref(x, (h0[None], c0[None]))
    y, (h, c) = model(x, (h0, c0))
    torch.testing.assert_close(y, head(seq), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, hn[0], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(c, cn[0], rtol=1e-12, atol=1e-12)
    feats, _ = model.encode(x, (h0, c0))
    torch.testing.assert_close(feats, seq, rtol=1e-12, atol=1e-12)


def test_gru_equals_torch() -> None:
    g = torch.Generator().manual_seed(0)
    torch_gen = torch.Generator().manual_seed(2)
    I, H = 2, 4
    ref = torch.nn.GRU(I, H, batch_first=True).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(torch.randn(p.shape, generator=torch_gen, dtype=p.dtype))
    cell = GRUCell(I, H, generator=g).double()
    with torch.no_grad():
        cell.ih.weight.copy_(ref.weight_ih_l0)
        cell.ih.bias.copy_(ref.bias_ih_l0)
        cell.hh.weight.copy_(ref.weight_hh_l0)
        cell.hh.bias.copy_(ref.bias_hh_l0)
    model = RecurrentModel(cell, 1, generator=g).double()
    x = torch.randn(3, 11, I, generator=torch_gen, dtype=torch.float64)
    h0 = torch.randn(3, H, generator=torch_gen, dtype=torch.float64)
    seq, hn = ref(x, h0[None])
    feats, (h,) = model.encode(x, (h0,))
    torch.testing.assert_close(feats, seq, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, hn[0], rtol=1e-12, atol=1e-12)
    assert sum(p.numel() for p in cell.parameters()) == sum(p.numel() for p in ref.parameters())


def test_float32_works_and_keeps_dtype() -> None:
    g = torch.Generator().manual_seed(0)
    model = RecurrentModel(LSTMCell(1, 3, linear_maps(g)), 1, generator=g)
    y, (h, c) = model(torch.zeros(2, 4, 1))
    assert y.dtype == h.dtype == c.dtype == torch.float32
    y64, (h64, _) = model.double()(torch.zeros(2, 4, 1, dtype=torch.float64))
    assert y64.dtype == h64.dtype == torch.float64
