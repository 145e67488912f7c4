"""The four- and six-map scaffolds against hand-written recurrences; state handling."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from qmem.classical import LSTMCell, RecurrentModel, SixMapLSTMCell, linear_maps


class _Tanh(nn.Module):
    """A non-edgewise map (Linear then tanh): fused and per-gate forms then differ."""

    def __init__(self, i: int, o: int, g: torch.Generator) -> None:
        super().__init__()
        self.lin = linear_maps(g)(i, o)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.lin(v))


def test_per_gate_maps_follow_lstm_equations() -> None:
    g = torch.Generator().manual_seed(0)
    cell = LSTMCell(2, 3, lambda i, o: _Tanh(i, o, g), fused=False).double()
    assert len(cell.gates) == 4 and cell.gates[0].lin.out_features == 3
    x = torch.randn(4, 5, 2, generator=g, dtype=torch.float64)
    h = torch.zeros(4, 3, dtype=torch.float64)
    c = torch.zeros(4, 3, dtype=torch.float64)
    state = cell.init_state(4, dtype=torch.float64)
    for t in range(5):
        v = torch.cat([x[:, t], h], dim=1)
        i, f, gg, o = (m(v) for m in cell.gates)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        out, state = cell(x[:, t], state)
        torch.testing.assert_close(out, h, rtol=0, atol=0)
    torch.testing.assert_close(state[1], c, rtol=0, atol=0)


def test_six_map_cell_follows_qlstm_equations() -> None:
    g = torch.Generator().manual_seed(1)
    I, H = 1, 3
    calls: list[tuple[int, int]] = []

    def make(i: int, o: int) -> nn.Module:
        calls.append((i, o))
        return _Tanh(i, o, g)

    cell = SixMapLSTMCell(I, H, make).double()
    n = I + H
    assert calls == [(I + H, n)] * 4 + [(n, H), (n, n)]
    assert cell.output_size == n and cell.state_shapes == ((H,), (n,))
    model = RecurrentModel(cell, 2, generator=g).double()
    x = torch.randn(3, 6, I, generator=g, dtype=torch.float64)
    h = torch.zeros(3, H, dtype=torch.float64)
    c = torch.zeros(3, n, dtype=torch.float64)
    ys = []
    for t in range(6):
        v = torch.cat([x[:, t], h], dim=1)
        f = torch.sigmoid(cell.forget(v))
        i = torch.sigmoid(cell.input(v))
        ct = torch.tanh(cell.update(v))
        o = torch.sigmoid(cell.output(v))
        c = f * c + i * ct
        u = o * torch.tanh(c)
        h = cell.to_hidden(u)
        ys.append(model.head(cell.to_output(u)))
    y, (h_m, c_m) = model(x)
    # the model runs its maps in a fused call order: equal up to float64 rounding
    torch.testing.assert_close(y, torch.stack(ys, 1), rtol=0, atol=1e-14)
    torch.testing.assert_close(h_m, h, rtol=0, atol=1e-14)
    torch.testing.assert_close(c_m, c, rtol=0, atol=1e-14)


def test_six_map_cell_size_option() -> None:
    g = torch.Generator().manual_seed(0)
    cell = SixMapLSTMCell(2, 3, linear_maps(g), cell_size=7)
    y, (h, c) = RecurrentModel(cell, 1, generator=g)(torch.zeros(2, 3, 2))
    assert y.shape == (2, 3, 1) and h.shape == (2, 3) and c.shape == (2, 7)
    # 4(5·7 + 7) + (7·3 + 3) + (7·7 + 7) + head (7 + 1)
    assert sum(p.numel() for p in cell.parameters()) == 4 * 42 + 24 + 56


def test_bad_inputs_raise_clear_errors() -> None:
    g = torch.Generator().manual_seed(0)
    model = RecurrentModel(LSTMCell(2, 3, linear_maps(g)), 1, generator=g)
    with pytest.raises(ValueError, match=r"\(batch, time >= 1, 2\)"):
        model(torch.zeros(4, 5, 3))
    with pytest.raises(ValueError, match="time >= 1"):
        model(torch.zeros(4, 0, 2))
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.zeros(4, 5, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="state must have shapes"):
        model(torch.zeros(4, 5, 2), (torch.zeros(4, 3), torch.zeros(4, 2)))
    with pytest.raises(TypeError, match="tuple of tensors"):
        model(torch.zeros(4, 5, 2), "h")
    with pytest.raises(ValueError, match="x_t must have shape"):
        model.step(torch.zeros(4, 5, 2))
    with pytest.raises(ValueError, match="hidden_size must be a positive int, got 0"):
        LSTMCell(2, 0, linear_maps(g))
    with pytest.raises(TypeError, match="input_size"):
        LSTMCell(2.0, 3, linear_maps(g))  # type: ignore[arg-type]
