"""Hostile input to the experiment entry points: corrupt files, degenerate data, mismatches."""

from __future__ import annotations

import pytest
import torch

from qmem.experiments import ExperimentConfig, load_config, run_experiment
from qmem.experiments.compare import study_configs
from qmem.experiments.report import collect_runs
from qmem.experiments.trainer import predict, train_epoch

from .helpers import tiny


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("done")
    run_experiment(tiny("lstm", epochs=1), folder, progress=False)
    return folder


def test_corrupt_result_json_is_named(tmp_path, finished):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    (copy / "result.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"result\.json.*not valid JSON"):
        collect_runs([copy])


def test_empty_report_folder(tmp_path):
    with pytest.raises(ValueError, match="no finished run"):
        collect_runs([tmp_path])


def test_corrupt_checkpoint_on_resume(tmp_path):
    cfg = tiny("lstm", epochs=2)
    run_experiment(cfg, tmp_path, progress=False)
    (tmp_path / "status.json").write_text('{"state": "running"}')
    (tmp_path / "result.json").unlink()
    (tmp_path / "checkpoint.pt").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match=r"checkpoint.*cannot be read"):
        run_experiment(cfg, tmp_path, resume=True, progress=False)


def test_corrupt_run_config_on_resume(tmp_path):
    cfg = tiny("lstm", epochs=1)
    run_experiment(cfg, tmp_path, progress=False)
    (tmp_path / "config.toml").write_text("[data\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        run_experiment(cfg, tmp_path, resume=True, progress=False)


def test_series_too_short_for_the_split(tmp_path):
    cfg = ExperimentConfig.from_dict({"data": {"name": "sine", "num": 8, "window": 4},
                                      "model": {"name": "lstm", "hidden_size": 1},
                                      "train": {"epochs": 1, "device": "cpu"}})
    with pytest.raises(ValueError, match="gets no window"):
        run_experiment(cfg, tmp_path, progress=False)


def test_nan_in_a_user_csv_is_refused(tmp_path):
    csv = tmp_path / "s.csv"
    csv.write_text("v\n" + "\n".join(["1.0"] * 20 + ["nan"] + ["2.0"] * 20) + "\n")
    cfg = ExperimentConfig.from_dict({"data": {"name": "csv", "path": str(csv), "column": "v"},
                                      "model": {"name": "lstm", "hidden_size": 1},
                                      "train": {"epochs": 1, "device": "cpu"}})
    with pytest.raises(ValueError, match=r"(?i)nan|non-finite"):
        run_experiment(cfg, tmp_path / "run", progress=False)


def test_dtype_mismatch_is_a_clear_error():
    cfg = tiny("lstm")
    from qmem import models

    model = models.build("lstm", input_size=1, hidden_size=2)  # float32
    X = torch.zeros(4, 4, 1, dtype=torch.float64)
    Y = torch.zeros(4, 1, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"torch\.float64.*torch\.float32"):
        train_epoch(model, torch.optim.SGD(model.parameters(), lr=0.1), X, Y, cfg.train,
                    torch.Generator(), 1)
    with pytest.raises(TypeError, match="float64"):
        predict(model, X)
    assert predict(model, X[:0].float()).shape == (0, 1)


def test_oversized_config_file_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_100_000 + "\n")
    with pytest.raises(ValueError, match="at most 1 MB"):
        load_config(big)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"datasets": ()}, "datasets"), ({"models": "lstm"}, "models"), ({"seeds": []}, "seeds"),
     ({"hidden_sizes": [1], "budgets": [10]}, "not both"), ({"hidden_sizes": [0]}, "hidden_size"),
     ({"hidden_sizes": []}, "must not be empty"), ({"budgets": []}, "must not be empty"),
     ({"epochs": 0}, "epochs"), ({"executor": "tpu", "models": ("qkan_lstm",)}, "tpu")],
)
def test_bad_comparisons(kwargs, words):
    with pytest.raises(ValueError, match=words):
        study_configs(**kwargs)
