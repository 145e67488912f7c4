"""The Greff et al. LSTM variants: NP = torch.nn.LSTM, each variant against the paper's
equations written out independently, and each variant's defining property."""

from __future__ import annotations

import pytest
import torch

from qmem.classical import VARIANTS, LSTMVariantCell, RecurrentModel, linear_maps, variant_update
from qmem.classical.lstm_variants import VARIANT_NAMES, gate_layout, peephole_gates

TOL = {"rtol": 1e-12, "atol": 1e-12}


def _model(variant: str, I: int = 2, H: int = 3, *, fused: bool = True, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    cell = LSTMVariantCell(I, H, linear_maps(g), variant=variant, fused=fused, generator=g)
    return RecurrentModel(cell, 2, generator=g).double()


def _randomise(module: torch.nn.Module, seed: int = 7) -> None:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=gen, dtype=p.dtype))


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize(("I", "H"), [(1, 5), (3, 2)])
def test_np_equals_torch_lstm(fused: bool, I: int, H: int) -> None:
    gen = torch.Generator().manual_seed(1)
    ref = torch.nn.LSTM(I, H, batch_first=True).double()
    head = torch.nn.Linear(H, 2).double()
    with torch.no_grad():
        for p in [*ref.parameters(), *head.parameters()]:
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
    model = _model("np", I, H, fused=fused)
    assert model.cell.peephole is None and model.cell.gate_recurrence is None
    w = torch.cat([ref.weight_ih_l0, ref.weight_hh_l0], dim=1)  # (4H, I + H), order i, f, g, o
    b = ref.bias_ih_l0 + ref.bias_hh_l0  # the bias sum
    with torch.no_grad():
        if fused:
            model.cell.gates.weight.copy_(w)
            model.cell.gates.bias.copy_(b)
        else:
            for k, lin in enumerate(model.cell.gates):
                lin.weight.copy_(w[k * H : (k + 1) * H])
                lin.bias.copy_(b[k * H : (k + 1) * H])
        model.head.load_state_dict(head.state_dict())
    x = torch.randn(4, 9, I, generator=gen, dtype=torch.float64)
    h0 = torch.randn(4, H, generator=gen, dtype=torch.float64)
    c0 = torch.randn(4, H, generator=gen, dtype=torch.float64)
    seq, (hn, cn) = ref(x, (h0[None], c0[None]))
    y, (h, c) = model(x, (h0, c0))
    torch.testing.assert_close(y, head(seq), **TOL)
    torch.testing.assert_close(h, hn[0], **TOL)
    torch.testing.assert_close(c, cn[0], **TOL)


def _greff_reference(variant: str, model: RecurrentModel, x: torch.Tensor) -> torch.Tensor:
    """Greff et al.'s equations, written from the paper with separate W, R, b, p per gate."""
    cell = model.cell
    H, I = cell.hidden_size, cell.input_size
    W_all, b_all = cell.gates.weight, cell.gates.bias  # (n·H, I + H), (n·H,)
    layout = gate_layout(variant)
    W = {k: W_all[j * H : (j + 1) * H, :I] for j, k in enumerate(layout)}
    R = {k: W_all[j * H : (j + 1) * H, I:] for j, k in enumerate(layout)}
    b = {k: b_all[j * H : (j + 1) * H] for j, k in enumerate(layout)}
    p = {k: cell.peephole[j] for j, k in enumerate(peephole_gates(variant))}
    if variant == "fgr":  # R_a: rows to (i, f, o), columns from (i, f, o)_{t-1}
        Ra = cell.gate_recurrence.weight
        G = {(to, fr): Ra[a * H : (a + 1) * H, c * H : (c + 1) * H]
             for a, to in enumerate("ifo") for c, fr in enumerate("ifo")}
    B = x.shape[0]
    h = torch.zeros(B, H, dtype=x.dtype)
    c = torch.zeros(B, H, dtype=x.dtype)
    prev = {k: torch.zeros(B, H, dtype=x.dtype) for k in "ifo"}
    outs = []
    for t in range(x.shape[1]):
        xt = x[:, t]

        def bar(k: str, cell_state: torch.Tensor, xt=xt, h=h, prev=prev) -> torch.Tensor:
            z = xt @ W[k].T + h @ R[k].T + b[k]
            if k in p:
                z = z + p[k] * cell_state
            if variant == "fgr" and k != "g":
                z = z + sum(prev[fr] @ G[(k, fr)].T for fr in "ifo")
            return z

        z = bar("g", c) if variant == "niaf" else torch.tanh(bar("g", c))
        i = torch.ones_like(c) if variant == "nig" else torch.sigmoid(bar("i", c))
        if variant == "nfg":
            f = torch.ones_like(c)
        elif variant == "cifg":
            f = 1 - i
        else:
            f = torch.sigmoid(bar("f", c))
        c = z * i + c * f
        o = torch.ones_like(c) if variant == "nog" else torch.sigmoid(bar("o", c))
        h = (c if variant == "noaf" else torch.tanh(c)) * o
        prev = {"i": i, "f": f, "o": o}
        outs.append(h)
    return torch.stack(outs, dim=1)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_follows_the_papers_equations(variant: str) -> None:
    model = _model(variant)
    _randomise(model)
    x = torch.randn(3, 7, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    feats, _ = model.encode(x)
    torch.testing.assert_close(feats, _greff_reference(variant, model, x), **TOL)


def _step(variant: str, H: int = 4, seed: int = 3):
    gen = torch.Generator().manual_seed(seed)
    n = len(gate_layout(variant))
    pre = torch.randn(5, n * H, generator=gen, dtype=torch.float64)
    c_prev = torch.randn(5, H, generator=gen, dtype=torch.float64)
    names = peephole_gates(variant)
    peep = torch.randn(len(names), H, generator=gen, dtype=torch.float64) if names else None
    rec = torch.randn(5, 3 * H, generator=gen, dtype=torch.float64) if variant == "fgr" else None
    return pre, c_prev, peep, variant_update(variant, pre, c_prev, peep, rec)


def test_cifg_couples_the_gates_exactly() -> None:
    _, c_prev, _, st = _step("cifg")
    assert gate_layout("cifg") == ("i", "g", "o")  # no forget-gate map
    assert torch.equal(st.f + st.i, torch.ones_like(st.i))
    assert torch.equal(st.c, st.f * c_prev + st.i * st.g)


def test_nfg_has_no_forget_gate() -> None:
    _, c_prev, _, st = _step("nfg")
    assert torch.equal(st.f, torch.ones_like(st.f))
    assert torch.equal(st.c, c_prev + st.i * st.g)


def test_nig_has_no_input_gate() -> None:
    _, c_prev, _, st = _step("nig")
    assert torch.equal(st.i, torch.ones_like(st.i))
    assert torch.equal(st.c, st.f * c_prev + st.g)


def test_nog_has_no_output_gate() -> None:
    _, _, _, st = _step("nog")
    assert torch.equal(st.o, torch.ones_like(st.o))
    assert torch.equal(st.h, torch.tanh(st.c))


def test_niaf_block_input_is_the_preactivation() -> None:
    pre, _, _, st = _step("niaf")
    assert torch.equal(st.g, pre[:, 8:12])  # block g (third of i, f, g, o; H = 4)
    assert st.g.abs().max() > 1  # not squashed


def test_noaf_output_is_o_times_c() -> None:
    _, _, _, st = _step("noaf")
    assert torch.equal(st.h, st.o * st.c)


def test_np_has_no_peepholes_and_v_has_three() -> None:
    assert peephole_gates("np") == ()
    np_cell, v_cell = _model("np").cell, _model("v").cell
    assert not any("peephole" in n for n, _ in np_cell.named_parameters())
    assert v_cell.peephole.shape == (3, 3)
    assert sum(p.numel() for p in v_cell.parameters()) - sum(
        p.numel() for p in np_cell.parameters()) == 3 * 3


@pytest.mark.parametrize("gate", range(3))
def test_each_peephole_of_v_matters(gate: int) -> None:
    model = _model("v")
    _randomise(model)
    x = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    before = model.encode(x)[0]
    with torch.no_grad():
        model.cell.peephole[gate].zero_()
    assert (model.encode(x)[0] - before).abs().max() > 1e-6


def test_v_with_zero_peepholes_is_np() -> None:
    v, np_ = _model("v", seed=5), _model("np", seed=5)
    with torch.no_grad():
        v.cell.peephole.zero_()
    assert torch.equal(v.cell.gates.weight, np_.cell.gates.weight)  # maps drawn first
    x = torch.randn(2, 6, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    torch.testing.assert_close(v.encode(x)[0], np_.encode(x)[0], rtol=0, atol=0)


def test_fgr_gate_recurrence_exists_and_matters() -> None:
    model = _model("fgr")
    _randomise(model)
    H = 3
    assert model.cell.gate_recurrence.weight.shape == (3 * H, 3 * H)  # the nine H×H matrices
    assert model.cell.state_shapes == ((H,), (H,), (3 * H,))
    x = torch.randn(2, 5, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    feats, (_, _, a) = model.encode(x)
    assert a.shape == (2, 3 * H) and torch.isfinite(a).all()
    assert a.min() >= 0 and a.max() <= 1  # the previous step's gate activations
    # the first step sees a_0 = 0: equal to V with the same maps; later steps differ
    v = _model("v")
    with torch.no_grad():
        v.cell.gates.load_state_dict(model.cell.gates.state_dict())
        v.cell.peephole.copy_(model.cell.peephole)
    fv = v.encode(x)[0]
    torch.testing.assert_close(fv[:, 0], feats[:, 0], **TOL)
    assert (fv[:, 1:] - feats[:, 1:]).abs().max() > 1e-6
    with torch.no_grad():
        model.cell.gate_recurrence.weight.zero_()
    torch.testing.assert_close(model.encode(x)[0], fv, **TOL)


def test_bad_variant_and_shapes() -> None:
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"variant must be one of 'v', 'nig'.*got 'cifgg'"):
        LSTMVariantCell(1, 2, linear_maps(g), variant="cifgg", generator=g)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="fused must be a bool"):
        LSTMVariantCell(1, 2, linear_maps(g), fused=1, generator=g)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"pre must have 3·H = 6 features for variant 'nog'"):
        variant_update("nog", torch.zeros(1, 8), torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"peephole must have shape \(2, 2\)"):
        variant_update("cifg", torch.zeros(1, 6), torch.zeros(1, 2), torch.zeros(3, 2))
    assert set(VARIANT_NAMES) == set(VARIANTS) and VARIANTS[0] == "v"
