"""One experiment as a folder of files: contents, refusal to overwrite, failures, resume."""

from __future__ import annotations

import json

import pytest
import torch

from qmem.experiments import NonFiniteLoss, RunStateError, load_run_model, run_experiment
from qmem.experiments import trainer as trainer_mod
from qmem.experiments.files import load_torch
from qmem.experiments.run import run_status

from .helpers import tiny


def test_run_folder_holds_every_file_and_the_loss_falls(tmp_path):
    cfg = tiny("lstm", epochs=6, lr=0.05)
    result = run_experiment(cfg, tmp_path, progress=False)
    for name in ("config.toml", "env.json", "status.json", "metrics.jsonl", "timings.jsonl",
                 "checkpoint.pt", "model.pt", "predictions.csv", "result.json"):
        assert (tmp_path / name).is_file(), name
    assert run_status(tmp_path)["state"] == "done"
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3, 4, 5, 6]
    assert lines[-1]["train_loss"] < lines[0]["train_loss"]
    assert set(result["test"]) == {"mse", "rmse", "mae", "r2"}
    assert result["test"]["rmse"] == pytest.approx(result["test"]["mse"] ** 0.5)
    assert result["params"] == {"quantum": 0, "classical": 4 * 2 * (1 + 2 + 1) + 3,
                                "total": 35}
    env = json.loads((tmp_path / "env.json").read_text())
    assert env["seed"] == 0 and env["versions"]["torch"] and env["torch_threads"] >= 1
    rows = (tmp_path / "predictions.csv").read_text().splitlines()
    assert rows[0] == "split,target_index,y_true,y_pred"
    n = result["windows"]
    assert len(rows) == 1 + n["train"] + n["val"] + n["test"]
    # every checkpoint loads with weights_only=True
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 6
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    assert saved["config"] == cfg.to_nested()


def test_metrics_are_in_original_units(tmp_path):
    cfg = tiny("lstm", epochs=1)
    result = run_experiment(cfg, tmp_path, progress=False)
    import csv

    with (tmp_path / "predictions.csv").open() as fh:
        test = [r for r in csv.DictReader(fh) if r["split"] == "test"]
    err = [float(r["y_pred"]) - float(r["y_true"]) for r in test]
    mse = sum(e * e for e in err) / len(err)
    assert result["test"]["mse"] == pytest.approx(mse, rel=1e-9)
    # the truth in predictions.csv is the raw series (amplitude 1 sine), not scaled values
    from qmem import datasets

    series = datasets.make("sine", num=80).values
    for r in test[:5]:
        assert float(r["y_true"]) == pytest.approx(series[int(r["target_index"])], abs=1e-6)


def test_a_finished_run_is_not_rewritten(tmp_path):
    cfg = tiny("lstm", epochs=1)
    first = run_experiment(cfg, tmp_path, progress=False)
    stamp = (tmp_path / "model.pt").stat().st_mtime_ns
    with pytest.raises(RunStateError, match="--resume"):
        run_experiment(cfg, tmp_path, progress=False)
    assert run_experiment(cfg, tmp_path, resume=True, progress=False) == first
    assert (tmp_path / "model.pt").stat().st_mtime_ns == stamp
    other = tiny("lstm", epochs=2)
    with pytest.raises(RunStateError, match="differs"):
        run_experiment(other, tmp_path, resume=True, progress=False)
    again = run_experiment(other, tmp_path, force=True, progress=False)
    assert again["epochs_run"] == 2
    with pytest.raises(ValueError, match="not both"):
        run_experiment(other, tmp_path, force=True, resume=True)
    with pytest.raises(TypeError, match="ExperimentConfig"):
        run_experiment({"data": {}}, tmp_path)


def test_non_finite_loss_stops_the_run_and_marks_it_failed(tmp_path, monkeypatch):
    real = trainer_mod._forecast
    calls = {"n": 0}

    def poisoned(model, x):
        calls["n"] += model.training  # count training batches only
        y = real(model, x)
        return y * float("nan") if calls["n"] > n_batches + 2 else y

    monkeypatch.setattr(trainer_mod, "_forecast", poisoned)
    cfg = tiny("lstm", epochs=3)
    n_batches = -(-len(trainer_mod.prepare_data(cfg, torch.float32, torch.device("cpu")).train)
                  // cfg.train.batch_size)
    with pytest.raises(NonFiniteLoss, match=r"epoch 2, batch 3"):
        run_experiment(cfg, tmp_path, progress=False)
    status = run_status(tmp_path)
    assert status["state"] == "failed" and "epoch 2, batch 3" in status["error"]
    assert not (tmp_path / "result.json").exists()
    # the weights were never updated from the NaN loss
    ckpt = load_torch(tmp_path / "checkpoint.pt")
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values())


def test_float64_and_early_stopping(tmp_path):
    cfg = tiny("gru", epochs=40, dtype="float64", patience=2, lr=0.05)
    result = run_experiment(cfg, tmp_path, progress=False)
    assert result["dtype"] == "float64"
    assert result["stopped_early"] == (result["epochs_run"] < 40)
    model, _ = load_run_model(tmp_path)
    assert next(model.parameters()).dtype == torch.float64
    if result["stopped_early"]:
        lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
        best = min(range(len(lines)), key=lambda i: lines[i]["val_loss"])
        assert result["best_epoch"] == best + 1


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd", "lbfgs"])
def test_every_optimizer_trains(tmp_path, optimizer):
    cfg = tiny("lstm", epochs=2, optimizer=optimizer, lr=0.05 if optimizer != "lbfgs" else 0.5,
               schedule="step", step_size=1, clip_grad_norm=1.0)
    result = run_experiment(cfg, tmp_path, progress=False)
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines[1]["lr"] == pytest.approx(lines[0]["lr"] * 0.5)
    assert result["test"]["mse"] is not None


def test_budget_picks_the_hidden_size(tmp_path):
    from qmem.experiments import ExperimentConfig

    cfg = ExperimentConfig.from_dict({
        "data": {"name": "sine", "num": 60},
        "model": {"name": "lstm", "budget": 166},
        "train": {"epochs": 1, "device": "cpu"},
    })
    result = run_experiment(cfg, tmp_path, progress=False)
    assert result["hidden_size"] == 6 or result["params"]["total"] <= 300
    assert result["budget"] == 166


def test_model_file_of_another_config_is_refused(tmp_path):
    run_experiment(tiny("lstm", epochs=1), tmp_path, progress=False)
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    saved["config"]["model"]["hidden_size"] = 3
    torch.save(saved, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="another config"):
        load_run_model(tmp_path)
    (tmp_path / "model.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot be read"):
        load_run_model(tmp_path)
