"""configs/study/: the full study's sweep file, its subset, and the sweep file's exclude."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmem.cli import main
from qmem.experiments.run import run_id
from qmem.experiments.study import budget_fit
from qmem.experiments.sweep_config import load_sweep, sweep_from_dict

STUDY = Path(__file__).resolve().parents[2] / "configs" / "study"
BASE = {"data": {"name": "sine", "num": 60}, "model": {"name": "lstm", "hidden_size": 2},
        "train": {"epochs": 1}}
AXES = {"model.name": ["lstm", "gru"], "budget": [20, 50], "train.seed": [0, 1]}


@pytest.fixture(scope="module")
def full():
    return load_sweep(STUDY / "full.toml")


def test_full_study_expands_to_every_reachable_point(full):
    axes = full.axes
    assert axes["data.name"] == ("damped_shm", "bessel", "milan_telecom", "narma")
    assert axes["data.protocol"] == ("honest", "paper")
    assert len(axes["model.name"]) == 14 and axes["model.budget"] == (35, 150, 600, 2500)
    assert axes["train.seed"] == (0, 1, 2, 3, 4) and axes["train.lr"] == (0.003, 0.01, 0.03, 0.1)
    # the excluded model/budget pairs are exactly those budget_fit refuses
    tables = {"lstm_variant": {"variant": "cifg", "gate_map": "linear"},
              "qlstm": {"n_layers": 2}, "qlstm_2024": {"n_layers": 5},
              "qkan_lstm": {"reps": 1}, "hqkan_lstm": {"reps": 1}, "hqkan": {"reps": 1}}
    refused = {(m, b) for m in axes["model.name"] for b in axes["model.budget"]
               if not budget_fit(m, b, **tables.get(m, {}))["ok"]}
    assert refused == {("kan_lstm", 35), ("qlstm", 35), ("qlstm", 600), ("qlstm", 2500),
                       ("qlstm_2024", 600), ("qlstm_2024", 2500)}
    pairs = {(p["model.name"], p["model.budget"]) for p in full.points}
    assert not pairs & refused and len(pairs) == 14 * 4 - len(refused)
    assert len(full.configs) == 4 * 2 * 4 * 5 * (14 * 4 - len(refused)) == 8000
    for cfg in full.configs[:: 997]:
        name = cfg.model.name
        assert {k: cfg.model.options[k] for k in tables.get(name, {})} == tables.get(name, {})


def test_the_subset_is_part_of_the_full_study(full):
    subset = load_sweep(STUDY / "subset.toml")
    assert len(subset.configs) == 3450
    assert {run_id(c) for c in subset.configs} <= {run_id(c) for c in full.configs}
    assert not any(c.data.name == "milan_telecom" and c.data.protocol == "paper"
                   for c in subset.configs)
    assert not any(c.model.budget == 600 and c.data.protocol == "paper"
                   for c in subset.configs)


def test_sweep_dry_run_prints_the_count_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["sweep", str(STUDY / "subset.toml"), "--out", str(out), "--dry-run"]) == 0
    assert "3450 runs: the sweep file is valid" in capsys.readouterr().out
    assert not out.exists()


def test_exclude_drops_the_matching_points_only():
    sweep = sweep_from_dict({"base": BASE, "axes": AXES, "sweep": {
        "exclude": [{"model.name": "gru", "budget": [50]}, {"train.seed": 1, "budget": 20}]}})
    assert sweep.points == [
        {"model.name": "lstm", "model.budget": 20, "train.seed": 0},
        {"model.name": "lstm", "model.budget": 50, "train.seed": 0},
        {"model.name": "lstm", "model.budget": 50, "train.seed": 1},
        {"model.name": "gru", "model.budget": 20, "train.seed": 0},
    ]
    assert len(sweep.configs) == 4


@pytest.mark.parametrize(("sweep", "message"), [
    ({"exclude": [{"model.nam": "gru"}]},
     "exclude[0] names 'model.nam', which is no axis (did you mean 'model.name'?)"),
    ({"exclude": [{"model.name": "gr"}]}, "exclude[0] = {'model.name': 'gr'} matches no point"),
    ({"exclude": [{}]}, "exclude[0] is empty"),
    ({"exclude": [{"train.seed": 1.0}]}, "matches no point"),  # 1.0 is not the seed 1
    ({"mode": "random", "samples": 1, "exclude": [{"budget": 20}]},
     "exclude applies to mode = 'grid' only"),
])
def test_exclude_refuses_tables_that_match_nothing(sweep, message):
    with pytest.raises(ValueError) as err:
        sweep_from_dict({"base": BASE, "axes": AXES, "sweep": sweep})
    assert message in str(err.value)
