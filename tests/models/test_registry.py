"""Registry: names, strict configs, formulas = counts, the QKAN-LSTM parameter claim."""

from __future__ import annotations

import pytest
import torch

from qmem.models import (
    ModelConfig,
    build,
    config_class,
    describe,
    make_config,
    names,
    parameter_formula,
    set_executor,
)
from qmem.params import count_parameters

EXPECTED = {"lstm", "gru", "mlp", "kan_lstm", "slstm", "mlstm", "xlstm_ref", "jhcg",
            "qkan_lstm", "hqkan_lstm", "hqkan", "qlstm", "qlstm_2024"}
SIZES = [(1, 1, 1), (1, 5, 1), (2, 3, 2), (3, 4, 1)]


def test_names() -> None:
    assert EXPECTED <= set(names())
    assert list(names()) == sorted(names())


@pytest.mark.parametrize("name", sorted(EXPECTED - {"xlstm_ref"}))
@pytest.mark.parametrize(("I", "H", "O"), SIZES)
def test_formula_equals_count(name: str, I: int, H: int, O: int) -> None:
    model = build(name, input_size=I, hidden_size=H, output_size=O)
    expected = parameter_formula(name, input_size=I, hidden_size=H, output_size=O)
    assert count_parameters(model)["total"] == expected


# hand-counted values (independent of the formula code)
HAND = [
    ("lstm", {}, 1, 5, 1, 4 * 5 * 7 + 6),  # 146
    ("lstm", {"fused": False}, 2, 3, 2, 4 * 3 * 6 + 8),
    ("gru", {}, 1, 5, 1, 3 * 5 * 6 + 30 + 6),
    ("mlp", {"window": 4}, 1, 8, 1, 5 * 8 + 9),
    ("kan_lstm", {}, 1, 2, 1, 3 * 8 * 9 + 3),  # (1 + 2)·(4·2) edges × (5 + 3 + 1)
    ("kan_lstm", {"grid_size": 3, "spline_order": 2}, 1, 1, 1, 2 * 4 * 6 + 2),
    ("slstm", {}, 1, 5, 1, 146),
    ("mlstm", {}, 1, 5, 1, 22 * 2 + 6),
    ("jhcg", {"window": 4}, 1, None, 1, 5 * 2 + 4 * 9 + 3),  # k = log2(4) = 2
    ("qkan_lstm", {"reps": 1}, 1, 1, 1, 8 * 4 + 2),
    ("qkan_lstm", {"reps": 2, "ansatz": "rpz", "base_activation": "silu"}, 1, 2, 1,
     24 * 4 + 3),
    ("hqkan_lstm", {"reps": 1}, 1, 3, 1, 4 * (5 * 2 + 4 * 4 + 3 * 3) + 4),  # d = 2
    ("hqkan_lstm", {"reps": 1, "shared": True}, 1, 3, 1, 5 * 2 + 4 * 4 + 3 * 12 + 4),
    ("hqkan", {"window": 8, "reps": 2}, 1, None, 1, 9 * 3 + 9 * 6 + 4),  # k = 3
    ("qlstm", {}, 1, 3, 1, 6 * (2 * 4 * 3) + 5),  # six VQCs (2 layers, 4 qubits, Rot)
    ("qlstm", {"n_layers": 1}, 2, 1, 2, 6 * (1 * 3 * 3) + 4 * 2),
    ("qlstm_2024", {}, 1, 3, 1, 4 * (2 * 4) + 4),  # four VQCs (2 layers, 4 qubits, RY)
]


@pytest.mark.parametrize(("name", "opts", "I", "H", "O", "total"), HAND)
def test_hand_counted(name: str, opts: dict, I: int, H: int | None, O: int, total: int) -> None:
    model = build(name, input_size=I, hidden_size=H, output_size=O, **opts)
    assert count_parameters(model)["total"] == total
    assert parameter_formula(name, input_size=I, hidden_size=H, output_size=O, **opts) == total


def test_qkan_lstm_is_at_most_21_percent_of_torch_lstm() -> None:
    ref = torch.nn.Sequential(torch.nn.LSTM(1, 5), torch.nn.Linear(5, 1))
    ref_total = count_parameters(ref)["total"]
    assert ref_total == 166
    qkan = build("qkan_lstm", input_size=1, hidden_size=1, reps=1)
    counts = count_parameters(qkan)
    assert counts["total"] == 34 and counts["quantum"] == 32
    assert counts["total"] <= 0.21 * ref_total  # 20.5%: "79% fewer"


def test_unknown_and_bad_options() -> None:
    # the config system words these messages; class, key and value are what they always were
    with pytest.raises(ValueError, match=r"model 'lstm': unknown option 'reps'"):
        build("lstm", input_size=1, hidden_size=2, reps=3)
    with pytest.raises(ValueError, match="unknown model 'transformer'"):
        build("transformer", input_size=1, hidden_size=2)
    with pytest.raises(TypeError, match=r"option 'fused' must be a valid boolean, got 1"):
        build("lstm", input_size=1, hidden_size=2, fused=1)
    with pytest.raises(TypeError, match=r"option 'seed' must be a valid integer, got 1\.5"):
        build("lstm", input_size=1, hidden_size=2, seed=1.5)
    with pytest.raises(ValueError, match=r"option 'ansatz' must be 'pz', 'rpz' or 'real'"):
        build("qkan_lstm", input_size=1, hidden_size=2, ansatz="xyz")
    with pytest.raises(ValueError, match="hidden_size of model 'lstm' must be a positive int"):
        build("lstm", input_size=1, hidden_size=None)
    with pytest.raises(ValueError, match="input_size must be a positive int"):
        build("lstm", input_size=0, hidden_size=2)
    with pytest.raises(ValueError, match="option 'grid_size' must be greater than or equal to 1"):
        build("kan_lstm", input_size=1, hidden_size=2, grid_size=0)


def test_configs_are_frozen_and_round_trip() -> None:
    for name in names():
        cls = config_class(name)
        assert issubclass(cls, ModelConfig) and cls.model_config["frozen"]
        cfg = make_config(name)
        assert cls.from_dict(cfg.to_dict()) == cfg
        assert "seed" in cfg.to_dict()
        assert describe(name)
    cfg = make_config("kan_lstm", {"grid_range": [-2, 2]})  # lists (TOML) become tuples
    assert cfg.grid_range == (-2.0, 2.0)
    with pytest.raises(ValueError, match="frozen"):
        cfg.grid_size = 3  # type: ignore[misc]


def test_xlstm_ref_names_the_extra_when_missing() -> None:
    from qmem.classical import xlstm_available

    if xlstm_available():
        pytest.skip("xlstm is installed")
    with pytest.raises(ImportError, match=r"pip install qmem\[xlstm\]"):
        build("xlstm_ref", input_size=1, hidden_size=4)


def test_set_executor_switches_qkan_layers() -> None:
    model = build("hqkan_lstm", input_size=1, hidden_size=2, reps=1, executor="fourier")
    x = torch.randn(2, 3, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    model = model.double()
    y_fourier, _ = model(x)
    assert set_executor(model, "statevector") == 4
    y_sv, _ = model(x)
    torch.testing.assert_close(y_sv, y_fourier, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="executor must be one of"):
        set_executor(model, "cirq")  # type: ignore[arg-type]


def test_hqkan_lstm_latent_default_and_shared() -> None:
    model = build("hqkan_lstm", input_size=3, hidden_size=6, reps=1)
    gates = model.cell.gates
    assert len(gates) == 4 and gates[0].latent_size == 4  # ceil(log2 9)
    assert gates[0].latent.in_features == 4 and gates[0].decoder.out_features == 6
    shared = build("hqkan_lstm", input_size=3, hidden_size=6, reps=1, shared=True,
                   latent_size=3)
    assert shared.cell.gates.latent_size == 3 and shared.cell.gates.decoder.out_features == 24


def test_qlstm_structure_follows_the_paper() -> None:
    model = build("qlstm", input_size=1, hidden_size=3)
    cell = model.cell
    gates = [cell.forget, cell.input, cell.update, cell.output]
    for vqc in gates:
        assert (vqc.spec.n_qubits, vqc.spec.n_outputs) == (4, 4)
    assert (cell.to_hidden.spec.n_qubits, cell.to_hidden.spec.n_outputs) == (4, 3)
    assert (cell.to_output.spec.n_qubits, cell.to_output.spec.n_outputs) == (4, 4)
    assert model.head.in_features == 4
    counts = count_parameters(model)
    assert counts["quantum"] == 144 and counts["classical"] == 5
    model24 = build("qlstm_2024", input_size=1, hidden_size=3)
    assert [(m.spec.n_qubits, m.spec.n_outputs) for m in model24.cell.gates] == [(4, 3)] * 4
    assert model24.head.in_features == 3


def test_qlstm_on_pennylane_matches_statevector() -> None:
    pytest.importorskip("pennylane")
    model = build("qlstm_2024", input_size=1, hidden_size=1, n_layers=1).double()
    x = torch.randn(2, 3, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y_sv, _ = model(x)
    assert set_executor(model, "pennylane", {"device": "default.qubit"}) == 4
    y_pl, _ = model(x)
    torch.testing.assert_close(y_pl, y_sv, rtol=1e-8, atol=1e-8)
