"""The sweep file: expansion (grid, random draw, budgets, per-model options) and hostile input
(unknown keys with a suggestion, empty or non-list axes, wrong types), all before any run."""

from __future__ import annotations

import pytest

from qmem.experiments import ExperimentConfig, run_id
from qmem.experiments.sweep_config import MAX_RUNS, load_sweep, sweep_from_dict
from qmem.params import count_parameters, hidden_size_for_budget

BASE = {
    "data": {"name": "sine", "num": 80, "window": 4},
    "model": {"name": "lstm", "hidden_size": 2},
    "train": {"epochs": 1, "batch_size": 8, "device": "cpu"},
}


def sweep(axes, **tables):
    return sweep_from_dict({"base": BASE, "axes": axes, **tables})


def test_grid_is_the_product_in_file_order_and_ids_are_the_run_ids():
    s = sweep({"model.name": ["lstm", "gru"], "train.seed": [0, 1, 2]})
    assert [(p["model.name"], p["train.seed"]) for p in s.points] == [
        (m, k) for m in ("lstm", "gru") for k in (0, 1, 2)]
    for cfg, point in zip(s.configs, s.points, strict=True):
        assert cfg.model.name == point["model.name"] and cfg.train.seed == point["train.seed"]
        hand = ExperimentConfig.from_dict({**BASE, "model": {"name": point["model.name"],
                                                             "hidden_size": 2},
                                           "train": {**BASE["train"],
                                                     "seed": point["train.seed"]}})
        assert run_id(cfg) == run_id(hand)  # the id is that of the same `qmem run` config


def test_budget_axis_replaces_the_hidden_size_and_per_model_tables_apply():
    s = sweep({"model.name": ["lstm", "qkan_lstm"], "budget": [50, 150]},
              models={"qkan_lstm": {"reps": 1}})
    assert len(s.configs) == 4
    for cfg in s.configs:
        assert cfg.model.hidden_size is None and cfg.model.budget in (50, 150)
        assert ("reps" in cfg.model.options) == (cfg.model.name == "qkan_lstm")
    from qmem.models import build

    qkan = s.configs[3]  # qkan_lstm at 150
    h = hidden_size_for_budget("qkan_lstm", 150, input_size=1, output_size=1, reps=1)
    model = build("qkan_lstm", input_size=1, hidden_size=h, output_size=1, reps=1)
    below = build("qkan_lstm", input_size=1, hidden_size=h + 1, output_size=1, reps=1)
    n, m = count_parameters(model)["total"], count_parameters(below)["total"]
    assert abs(n - 150) <= abs(m - 150) and qkan.model.budget == 150


def test_random_draw_is_seeded_without_replacement_and_keeps_whole_axes():
    axes = {"train.lr": [0.1, 0.03, 0.01, 0.003], "model.hidden_size": [1, 2, 3],
            "train.seed": [0, 1]}
    opts = {"mode": "random", "samples": 5, "seed": 7, "keep": ["train.seed"]}
    a, b = sweep(axes, sweep=opts), sweep(axes, sweep=opts)
    assert a.points == b.points and len(a.points) == 10
    drawn = {(p["train.lr"], p["model.hidden_size"]) for p in a.points}
    assert len(drawn) == 5  # distinct grid points
    for combo in drawn:  # each drawn point with every seed
        assert sorted(p["train.seed"] for p in a.points
                      if (p["train.lr"], p["model.hidden_size"]) == combo) == [0, 1]
    other = sweep(axes, sweep={**opts, "seed": 8})
    assert other.points != a.points


def test_resources_default_gpus_from_the_device():
    assert sweep({"train.seed": [0]}).gpus_per_run == 0.0
    assert sweep({"train.seed": [0]}, resources={"gpus": 0.25, "cpus": 2}).gpus_per_run == 0.25


@pytest.mark.parametrize(
    ("data", "cls", "words"),
    [
        ({"axes": {"train.epoch": [1]}}, ValueError,
         ["train.epoch", "did you mean 'train.epochs'"]),
        ({"axes": {"modle.name": ["gru"]}}, ValueError, ["modle.name", "did you mean 'model'"]),
        ({"axes": {"model.rep": [1]}, "models": {"qkan_lstm": {"reps": 1}}}, ValueError,
         ["model.rep", "did you mean 'model.reps'"]),
        ({"axes": {"data.nmu": [50]}}, ValueError, ["data.nmu", "did you mean 'data.num'"]),
        ({"axes": {"train.seed": []}}, ValueError, ["'train.seed'", "empty"]),
        ({"axes": {"train.seed": 3}}, TypeError, ["'train.seed'", "list", "int"]),
        ({"axes": {"train.seed": [1, 1]}}, ValueError, ["repeats", "1"]),
        ({"axes": {"train.epochs": ["2"]}}, TypeError, ["train.epochs = '2'", "epochs",
                                                        "integer"]),
        ({"axes": {"train.lr": [-1.0]}}, ValueError, ["train.lr = -1.0", "lr"]),
        ({"axes": {"model.name": ["lstn"]}}, ValueError, ["'lstn'", "did you mean 'lstm'"]),
        ({"axes": {"budget": [50], "model.hidden_size": [2]}}, ValueError,
         ["budget", "hidden_size", "not both"]),
        ({"axes": "train.seed"}, TypeError, ["[axes]", "table"]),
        ({"axis": {"train.seed": [0]}}, ValueError, ["[axis]", "did you mean 'axes'"]),
        ({"axes": {"train.seed": [0]}, "sweep": {"mode": "random"}}, ValueError,
         ["random", "samples"]),
        ({"axes": {"train.seed": [0, 1]}, "sweep": {"mode": "random", "samples": 3}},
         ValueError, ["samples = 3", "only 2"]),
        ({"axes": {"train.seed": [0]}, "sweep": {"mode": "random", "samples": 1,
                                                 "keep": ["train.sed"]}},
         ValueError, ["train.sed", "did you mean 'train.seed'"]),
        ({"axes": {"train.seed": [0]}, "sweep": {"mode": "gird"}}, ValueError, ["mode"]),
        ({"axes": {"train.seed": [0]}, "resources": {"cpus": "2"}}, TypeError, ["cpus"]),
        ({"axes": {"train.seed": [0]}, "resources": {"gpus": -1}}, ValueError, ["gpus"]),
        ({"axes": {"train.seed": [0]}, "models": {"qkan_lsmt": {"reps": 1}}}, ValueError,
         ["qkan_lsmt", "did you mean 'qkan_lstm'"]),
        ({"axes": {"train.seed": list(range(MAX_RUNS + 1))}}, ValueError, ["at most"]),
        ({"axes": {"train.seed": list(range(400)), "train.lr": [0.1 * k for k in
                                                               range(1, 300)]}},
         ValueError, ["119600 points", "at most"]),
    ],
)
def test_hostile_sweep_files(data, cls, words):
    with pytest.raises(cls) as err:
        sweep_from_dict({"base": BASE, **data})
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_missing_base_and_a_wrong_option_for_one_model_name_the_point():
    with pytest.raises(ValueError, match=r"missing \[base\]"):
        sweep_from_dict({"axes": {"train.seed": [0]}})
    with pytest.raises(ValueError, match=r"model.name = 'lstm'.*'reps'"):
        sweep_from_dict({"base": {**BASE, "model": {"name": "qkan_lstm", "hidden_size": 2,
                                                    "reps": 1}},
                         "axes": {"model.name": ["qkan_lstm", "lstm"]}})


def test_load_sweep_reads_toml_and_applies_overrides(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        '[base]\ndata = { name = "sine", num = 80 }\nmodel = { name = "lstm", hidden_size = 2 }\n'
        'train = { epochs = 1 }\n[axes]\n"train.seed" = [0, 1]\n'
    )
    s = load_sweep(path, ["train.epochs=3"])
    assert [c.train.epochs for c in s.configs] == [3, 3]
    bad = tmp_path / "bad.toml"
    bad.write_text("[base\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_sweep(bad)
    with pytest.raises(FileNotFoundError):
        load_sweep(tmp_path / "none.toml")
