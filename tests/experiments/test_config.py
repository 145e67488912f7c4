"""The experiment config: strict TOML loading, overrides, and every kind of bad value."""

from __future__ import annotations

import pytest

from qmem.experiments import ExperimentConfig, apply_overrides, dumps, load_config
from qmem.experiments.toml_io import parse_value

BASE = {
    "data": {"name": "damped_shm", "window": 4},
    "model": {"name": "qkan_lstm", "hidden_size": 1, "reps": 1},
    "train": {"epochs": 30, "batch_size": 10, "lr": 0.01, "seed": 0},
}


def make(**sections):
    cfg = {k: dict(v) for k, v in BASE.items()}
    for key, value in sections.items():
        cfg[key] = {**cfg.get(key, {}), **value}
    return ExperimentConfig.from_dict(cfg)


def test_flat_options_reach_the_model_and_dataset():
    cfg = make(data={"num": 100, "noise_std": 0.1})
    assert cfg.data.options == {"num": 100, "noise_std": 0.1}
    assert cfg.model.options == {"reps": 1}
    assert cfg.model_options()["reps"] == 1 and cfg.model_options()["seed"] == 0
    assert cfg.data_options()["num"] == 100


def test_resolved_config_round_trips_through_toml(tmp_path):
    cfg = make()
    path = tmp_path / "c.toml"
    path.write_text(dumps(cfg.to_nested()))
    again = load_config(path)
    assert again.to_nested() == cfg.to_nested()
    # every default is written out
    assert again.to_nested()["model"]["ansatz"] == "pz"
    assert again.to_nested()["data"]["omega0"] == 3.0


def test_model_seed_follows_train_seed_unless_given():
    assert make(train={"seed": 7}).model_options()["seed"] == 7
    assert make(train={"seed": 7}, model={"seed": 3}).model_options()["seed"] == 3


@pytest.mark.parametrize(
    ("sections", "exc", "words"),
    [
        ({"data": {"window": 0}}, ValueError, ["window", "0"]),
        ({"data": {"window": "4"}}, TypeError, ["window", "'4'"]),
        ({"data": {"name": "damped_sh"}}, ValueError, ["damped_sh", "damped_shm"]),
        ({"data": {"omeg0": 2.0}}, ValueError, ["omeg0", "omega0"]),
        ({"data": {"fractions": [0.5, 0.6]}}, ValueError, ["fractions"]),
        ({"data": {"fractions": [1.0]}}, ValueError, ["fractions"]),
        ({"data": {"protocol": "leaky"}}, ValueError, ["protocol", "leaky"]),
        ({"model": {"name": "qkan_lstn"}}, ValueError, ["qkan_lstn", "qkan_lstm"]),
        ({"model": {"reps": 0}}, ValueError, ["reps", "0"]),
        ({"model": {"reps": "2"}}, TypeError, ["reps", "'2'"]),
        ({"model": {"rep": 2}}, ValueError, ["rep"]),
        ({"model": {"hidden_size": 0}}, ValueError, ["hidden_size", "0"]),
        ({"model": {"budget": 100}}, ValueError, ["hidden_size", "budget"]),
        ({"train": {"epochs": 0}}, ValueError, ["epochs", "0"]),
        ({"train": {"epoch": 3}}, ValueError, ["epoch", "epochs"]),
        ({"train": {"lr": 1e30}}, ValueError, ["lr"]),
        ({"train": {"lr": -1.0}}, ValueError, ["lr"]),
        ({"train": {"lr": float("nan")}}, ValueError, ["lr"]),
        ({"train": {"shuffle": "yes"}}, TypeError, ["shuffle", "'yes'"]),
        ({"train": {"shuffle": 1}}, TypeError, ["shuffle"]),
        ({"train": {"optimizer": "adamw"}}, ValueError, ["optimizer", "adamw"]),
        ({"train": {"dtype": "float16"}}, ValueError, ["dtype", "float16"]),
        ({"train": {"device": "tpu"}}, ValueError, ["device", "tpu"]),
        ({"train": {"batch_size": 10**12}}, ValueError, ["batch_size"]),
        ({"train": {"patience": 3}, "data": {"fractions": [0.8, 0.2]}}, ValueError,
         ["patience", "validation"]),
        ({"train": {"betas": [0.9, 1.5]}}, ValueError, ["betas"]),
    ],
)
def test_bad_values_are_refused_when_the_config_is_made(sections, exc, words):
    with pytest.raises(exc) as info:
        make(**sections)
    for word in words:
        assert word in str(info.value)


def test_missing_sections_and_wrong_shapes():
    with pytest.raises(ValueError, match="model"):
        ExperimentConfig.from_dict({"data": {"name": "sine"}})
    with pytest.raises(TypeError, match="data"):
        ExperimentConfig.from_dict({"data": 3, "model": {"name": "lstm", "hidden_size": 1}})
    with pytest.raises(ValueError, match="trian"):
        ExperimentConfig.from_dict({**BASE, "trian": {}})
    with pytest.raises(TypeError, match="mapping"):
        ExperimentConfig.from_dict([("data", {})])


def test_toml_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\nname = 1")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="UTF-8"):
        load_config(binary)


def test_overrides():
    out = apply_overrides(BASE, ["model.reps=2", "train.shuffle=false", "model.ansatz=rpz"])
    assert out["model"]["reps"] == 2 and out["train"]["shuffle"] is False
    assert out["model"]["ansatz"] == "rpz"
    assert BASE["model"]["reps"] == 1  # the input is not changed
    with pytest.raises(ValueError, match=r"section\.key=value"):
        apply_overrides(BASE, ["model.reps"])
    with pytest.raises(ValueError, match=r"section\.key=value"):
        apply_overrides(BASE, ["model..reps=1"])
    with pytest.raises(ValueError, match="not a table"):
        apply_overrides(BASE, ["model.name.x=1"])
    assert parse_value("1e-3") == 0.001 and parse_value("hello world") == "hello world"


def test_load_config_with_overrides(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(dumps(BASE))
    assert load_config(path, ["model.reps=2"]).model.options["reps"] == 2
    with pytest.raises(TypeError, match="reps"):
        load_config(path, ['model.reps="two"'])
