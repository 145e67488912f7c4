"""The memory baselines as registered models: lstm_variant (every variant × every gate map),
titans_memory, s4d: hand-counted parameters, formulas, the contract on the variant grid, NP
equal to the single-map models, config errors, `qmem params` and `qmem compare`."""

from __future__ import annotations

import json

import pytest
import torch

from qmem.classical import VARIANTS
from qmem.cli import main
from qmem.models import build, make_config, parameter_formula
from qmem.models.lstm_variant import GATE_MAPS
from qmem.params import count_parameters

from . import contract

FAST = {"linear": {}, "kan": {}, "qkan": {"reps": 1}, "hqkan": {"reps": 1},
        "vqc": {"n_layers": 1}}  # tiny circuits: the grid stays fast
GRID = [(v, m) for m in GATE_MAPS for v in VARIANTS]

# hand-counted (I, H, O) totals and quantum parts, independent of the formula code
HAND = [
    ("lstm_variant", {}, (1, 5, 1), 4 * 5 * 7 + 3 * 5 + 6, 0),  # V: 4 maps + 3 peepholes
    ("lstm_variant", {"variant": "np"}, (1, 5, 1), 146, 0),  # = lstm
    ("lstm_variant", {"variant": "cifg"}, (2, 3, 2), 3 * 3 * 6 + 2 * 3 + 4 * 2, 0),
    ("lstm_variant", {"variant": "fgr"}, (1, 2, 1), 4 * 2 * 4 + 3 * 2 + 9 * 4 + 3, 0),
    ("lstm_variant", {"variant": "nig", "gate_map": "kan"}, (1, 2, 1),
     (3 * 2) * 3 * (5 + 3 + 1) + 2 * 2 + 3, 0),  # 18 edges of G + k + 1 = 9
    ("lstm_variant", {"variant": "cifg", "gate_map": "qkan", "reps": 1}, (1, 1, 1),
     3 * 2 * 4 + 2 + 2, 24),  # 6 edges × 2(r + 1) angles
    ("lstm_variant", {"gate_map": "hqkan", "reps": 1}, (1, 3, 1),
     4 * (5 * 2 + 4 * 4 + 3 * 3) + 9 + 4, 4 * 16),  # d = ⌈log2 4⌉ = 2
    ("lstm_variant", {"variant": "nog", "gate_map": "hqkan", "reps": 1, "shared": True},
     (1, 3, 1), 5 * 2 + 4 * 4 + 3 * 9 + 6 + 4, 16),
    ("lstm_variant", {"variant": "nfg", "gate_map": "vqc"}, (1, 3, 1),
     3 * (2 * 4) + 6 + 4, 24),  # 3 VQCs of 4 qubits, 2 layers, one RY each
    ("titans_memory", {"depth": 1}, (1, 5, 1), 2 * 18 + 25 + 6, 0),
    ("titans_memory", {}, (1, 5, 1), 2 * 18 + 2 * 25 + 6, 0),
    ("titans_memory", {}, (2, 3, 2), 3 * 12 + 2 * 9 + 4 * 2, 0),
    ("s4d", {}, (1, 5, 1), 2 * 5 + 5 * (1 + 8 + 8 + 1) + 6, 0),  # log Δ, A, C, D; M = 4
    ("s4d", {"modes": 2, "init": "inv"}, (2, 3, 2), 3 * 3 + 3 * (1 + 4 + 4 + 1) + 4 * 2, 0),
]


@pytest.mark.parametrize(("name", "opts", "sizes", "total", "quantum"), HAND)
def test_hand_counted(name: str, opts: dict, sizes: tuple, total: int, quantum: int) -> None:
    i, h, o = sizes
    counts = count_parameters(build(name, input_size=i, hidden_size=h, output_size=o, **opts))
    assert (counts["total"], counts["quantum"]) == (total, quantum)
    assert parameter_formula(name, input_size=i, hidden_size=h, output_size=o, **opts) == total


@pytest.mark.parametrize(("variant", "gate_map"), GRID)
def test_every_variant_with_every_gate_map(variant: str, gate_map: str) -> None:
    opts = {"variant": variant, "gate_map": gate_map, **FAST[gate_map]}
    for i, h, o in [(1, 1, 1), (2, 3, 2)]:
        model = build("lstm_variant", input_size=i, hidden_size=h, output_size=o, **opts)
        assert count_parameters(model)["total"] == parameter_formula(
            "lstm_variant", input_size=i, hidden_size=h, output_size=o, **opts)
    contract.check_gradients_reach_every_parameter("lstm_variant", **opts)
    contract.check_step_matches_forward("lstm_variant", **opts)


@pytest.mark.parametrize(("variant", "gate_map", "extra"), [
    ("cifg", "qkan", {}), ("fgr", "kan", {}), ("niaf", "hqkan", {"shared": True}),
    ("nog", "vqc", {}),
])
def test_whole_contract_on_a_few_cells_of_the_grid(variant: str, gate_map: str,
                                                   extra: dict) -> None:
    opts = {"variant": variant, "gate_map": gate_map, **FAST[gate_map], **extra}
    out = contract.check_contract("lstm_variant", **opts)
    assert {k for k, v in out.items() if v != "passed"} <= {"cuda"}


def test_titans_depth_1_passes_the_contract_too() -> None:  # depth 2: test_contract.py
    out = contract.check_contract("titans_memory", depth=1)
    assert {k for k, v in out.items() if v != "passed"} <= {"cuda"}


def test_s4d_inv_passes_the_contract_too() -> None:
    out = contract.check_contract("s4d", init="inv", modes=8, activation="tanh")
    assert {k for k, v in out.items() if v != "passed"} <= {"cuda"}


@pytest.mark.parametrize(("name", "gate_map", "opts"), [
    ("lstm", "linear", {}),
    ("kan_lstm", "kan", {"grid_size": 3}),
    ("qkan_lstm", "qkan", {"reps": 2, "ansatz": "rpz"}),
    ("hqkan_lstm", "hqkan", {"reps": 1}),
    ("hqkan_lstm", "hqkan", {"reps": 1, "shared": True}),
    ("qlstm_2024", "vqc", {"n_layers": 1}),
])
def test_np_is_the_single_map_model(name: str, gate_map: str, opts: dict) -> None:
    a = build(name, input_size=2, hidden_size=3, output_size=2, seed=4, **opts).double()
    b = build("lstm_variant", input_size=2, hidden_size=3, output_size=2, seed=4,
              variant="np", gate_map=gate_map, **opts).double()
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
    x = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    st = a.init_state(3, dtype=torch.float64)
    assert torch.equal(a.reference_encode(x, st)[0], b.reference_encode(x, st)[0])
    torch.testing.assert_close(a(x)[0], b(x)[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("options", "error", "words"), [
    ({"variant": "vanilla"}, ValueError, "option 'variant' must be 'v', 'nig'"),
    ({"gate_map": "mlp"}, ValueError, "option 'gate_map' must be 'linear', 'kan'"),
    ({"reps": 2}, ValueError, "option 'reps' (2) applies to gate_map 'qkan' or 'hqkan', "
                              "not 'linear'"),
    ({"gate_map": "qkan", "grid_size": 8}, ValueError,
     "option 'grid_size' (8) applies to gate_map 'kan', not 'qkan'"),
    ({"gate_map": "kan", "shared": True}, ValueError,
     "option 'shared' (True) applies to gate_map 'hqkan', not 'kan'"),
    ({"executor": "fourier"}, ValueError, "option 'executor' ('fourier') applies to gate_map"),
    ({"gate_map": "vqc", "executor": "fourier"}, ValueError,
     "gate_map 'vqc': option 'executor' must be a vqc executor"),
    ({"gate_map": "qkan", "executor": "qiskit", "executor_options": {"shotz": 1}},
     ValueError, "unknown option 'shotz' for executor 'qiskit'"),
    ({"gate_map": "kan", "grid_range": [1, -1]}, ValueError,
     "gate_map 'kan': grid_range must be (low, high) with high > low"),
    ({"gate_map": "qkan", "reps": 0}, ValueError,
     "option 'reps' must be greater than or equal to 1, got 0"),
    ({"variant": 1}, ValueError, "option 'variant' must be 'v'"),
    ({"shared": 1}, TypeError, "option 'shared' must be a valid boolean, got 1"),
    ({"depth": 2}, ValueError, "unknown option 'depth'"),
])
def test_lstm_variant_config_errors(options: dict, error: type, words: str) -> None:
    with pytest.raises(error) as err:
        make_config("lstm_variant", options)
    assert str(err.value).startswith("model 'lstm_variant': ")
    assert words in str(err.value)


def test_lstm_variant_config_round_trip_and_map_config() -> None:
    cfg = make_config("lstm_variant", {"gate_map": "hqkan", "variant": "cifg", "reps": 1,
                                       "shared": True, "seed": 3})
    assert type(cfg).from_dict(cfg.to_dict()) == cfg  # defaults of other maps are kept
    sub = cfg.map_config()
    assert type(sub).__name__ == "HQKANLSTMConfig" and sub.reps == 1 and sub.shared
    assert make_config("lstm_variant").map_config() is None


@pytest.mark.parametrize(("name", "opts", "words"), [
    ("titans_memory", {"depth": 0}, "option 'depth' must be greater than or equal to 1"),
    ("titans_memory", {"depth": True}, "option 'depth' must be a valid integer, got True"),
    ("s4d", {"modes": 0}, "option 'modes' must be greater than or equal to 1"),
    ("s4d", {"modes": 10_000}, "option 'modes' must be less than or equal to 1024"),
    ("s4d", {"init": "legs"}, "option 'init' must be 'lin' or 'inv'"),
    ("s4d", {"dt_min": 0.0}, "option 'dt_min' must be greater than 0"),
    ("s4d", {"dt_min": 0.2, "dt_max": 0.1}, "dt_min must be <= dt_max"),
    ("s4d", {"activation": "relu"}, "option 'activation' must be 'gelu', 'tanh' or"),
])
def test_titans_and_s4d_config_errors(name: str, opts: dict, words: str) -> None:
    with pytest.raises((ValueError, TypeError)) as err:
        make_config(name, opts)
    assert str(err.value).startswith(f"model '{name}': ") and words in str(err.value)
    assert isinstance(err.value, TypeError) == ("valid integer" in words)


def test_qmem_params_lists_the_split(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["params", "lstm_variant", "--hidden-size", "1", "-o", "gate_map=qkan",
            "-o", "variant=cifg", "-o", "reps=1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Greff" in out and out.splitlines()[-1].split() == ["total", "24", "4", "28"]
    for name, total in (("titans_memory", 92), ("s4d", 106)):
        assert main(["params", name, "--hidden-size", "5"]) == 0
        assert capsys.readouterr().out.splitlines()[-1].split() == ["total", "0", str(total),
                                                                    str(total)]


def test_qmem_compare_runs_the_new_models(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", "--datasets", "sine", "--models", "lstm_variant,titans_memory,s4d",
            "--seeds", "0", "--epochs", "1", "--hidden-sizes", "2", "--threads", "1",
            "-o", "lstm_variant.variant=cifg", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert {r["model"] for r in rows} == {"lstm_variant", "titans_memory", "s4d"}
    capsys.readouterr()
