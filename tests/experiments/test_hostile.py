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


# ------------------------------------------------------------ weights of another model
@pytest.mark.parametrize(
    ("name", "saved", "here", "words"),
    [
        # the examples: equal parameter shapes, different functions
        ("slstm", {"forget": "sigmoid"}, {"forget": "exp"},
         ["options.forget: saved 'sigmoid', here 'exp'"]),
        ("qkan_lstm", {"ansatz": "rpz", "reps": 1}, {"ansatz": "real", "reps": 2},
         ["options.ansatz: saved 'rpz', here 'real'", "options.reps: saved 1, here 2"]),
    ],
)
def test_weights_of_another_config_are_refused(tmp_path, name, saved, here, words):
    from qmem import models
    from qmem.experiments import load_weights, model_spec, save_weights

    src = models.build(name, input_size=1, hidden_size=2, **saved)
    dst = models.build(name, input_size=1, hidden_size=2, **here)
    # the shapes agree, so a bare load_state_dict would take the weights without a word
    dst.load_state_dict(src.state_dict())
    path = tmp_path / "w.pt"
    save_weights(path, src, model_spec(name, saved, input_size=1, hidden_size=2))
    with pytest.raises(ValueError, match="holds weights of another model") as info:
        load_weights(path, dst, model_spec(name, here, input_size=1, hidden_size=2))
    assert all(w in str(info.value) for w in words), str(info.value)
    # the same config loads, and the init seed and the executor are not compared
    again = models.build(name, input_size=1, hidden_size=2, seed=5, **saved)
    load_weights(path, again, model_spec(name, {**saved, "seed": 5}, input_size=1,
                                         hidden_size=2))
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(),
                                                 src.state_dict().values(), strict=True))


def test_weights_of_other_sizes_and_files_without_spec_are_refused(tmp_path):
    from qmem import models
    from qmem.experiments import load_weights, model_spec, save_weights

    net = models.build("lstm", input_size=1, hidden_size=2)
    save_weights(tmp_path / "w.pt", net, model_spec("lstm", input_size=1, hidden_size=2))
    with pytest.raises(ValueError, match="output_size: saved 1, here 2"):
        load_weights(tmp_path / "w.pt", models.build("lstm", input_size=1, hidden_size=2,
                                                     output_size=2),
                     model_spec("lstm", input_size=1, hidden_size=2, output_size=2))
    torch.save({"state_dict": net.state_dict()}, tmp_path / "bare.pt")
    with pytest.raises(ValueError, match="names no model"):
        load_weights(tmp_path / "bare.pt", net, model_spec("lstm", input_size=1, hidden_size=2))


def test_run_files_name_their_model_and_refuse_another(tmp_path):
    from qmem.experiments.run import rebuild_run

    cfg = tiny("slstm", epochs=2)
    run_experiment(cfg, tmp_path, progress=False)
    for name in ("model.pt", "checkpoint.pt"):
        spec = torch.load(tmp_path / name, weights_only=True)["model_spec"]
        assert spec["name"] == "slstm" and spec["options"]["forget"] == "sigmoid"  # default
        assert (spec["input_size"], spec["hidden_size"], spec["output_size"]) == (1, 2, 1)
    # a model.pt whose model differs from config.toml: evaluate/rebuild refuse it
    saved = torch.load(tmp_path / "model.pt", weights_only=True)
    saved["model_spec"]["options"]["forget"] = "exp"
    torch.save(saved, tmp_path / "model.pt")
    with pytest.raises(ValueError, match=r"options\.forget: saved 'exp', here 'sigmoid'"):
        rebuild_run(tmp_path)
    # a checkpoint of another model or config: --resume refuses it, naming the key
    (tmp_path / "status.json").write_text('{"state": "running"}')
    (tmp_path / "result.json").unlink()
    ckpt = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    ckpt["model_spec"]["hidden_size"] = 3
    torch.save(ckpt, tmp_path / "checkpoint.pt")
    with pytest.raises(ValueError, match="hidden_size: saved 3, here 2"):
        run_experiment(cfg, tmp_path, resume=True, progress=False)
    ckpt["model_spec"]["hidden_size"] = 2
    ckpt["config"]["train"]["lr"] = 0.5
    torch.save(ckpt, tmp_path / "checkpoint.pt")
    from qmem.experiments import RunStateError

    with pytest.raises(RunStateError, match=r"train\.lr: saved 0\.5, here 0\.01"):
        run_experiment(cfg, tmp_path, resume=True, progress=False)


# ------------------------------------------------------------ non-finite training
class _PoisonStep(torch.optim.SGD):
    """An optimiser whose step leaves a NaN in the first parameter (the loss was finite)."""

    def step(self, closure=None):
        out = super().step(closure)
        with torch.no_grad():
            self.param_groups[0]["params"][0].view(-1)[0] = float("nan")
        return out


def test_non_finite_parameters_after_a_finite_loss_stop_the_epoch():
    from qmem import models
    from qmem.experiments import NonFiniteLoss

    cfg = tiny("lstm", batch_size=64)  # one batch: its loss is finite, its step poisons
    model = models.build("lstm", input_size=1, hidden_size=2)
    X, Y = torch.zeros(8, 4, 1), torch.zeros(8, 1)
    with pytest.raises(NonFiniteLoss, match=r"parameter '.*' holds NaN or inf after epoch 1"):
        train_epoch(model, _PoisonStep(model.parameters(), lr=0.1), X, Y, cfg.train,
                    torch.Generator(), 1)


def test_lr_past_the_bound_is_refused_before_training():
    with pytest.raises(ValueError, match="'lr' must be less than or equal to 100"):
        tiny("lstm", lr=1e30)


# ------------------------------------------------------------ evaluate, report, metrics
@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"executor": "qiskit", "shots": True}, TypeError, "shots must be an int"),
        ({"executor": "qiskit", "shots": 10**12}, ValueError, r"shots must be an int in \[1"),
        ({"executor": "qiskit", "seed": -1}, ValueError, "seed"),
        ({"executor": "qiskit", "seed": "1"}, TypeError, "seed"),
        ({"executor": "qiskit", "noise": 0.1}, TypeError, "noise must be a str"),
        ({"executor": "pennylane", "name": ".."}, ValueError, "evaluation name"),
        ({"executor": "pennylane", "name": 3}, TypeError, "evaluation name must be a str"),
        ({"executor": "qiskit", "max_windows": 1.5}, TypeError, "max_windows"),
    ],
)
def test_bad_evaluation_options_are_refused_before_any_work(finished, kwargs, error, words):
    from qmem.experiments.evaluate import evaluate_run

    with pytest.raises(error, match=words):
        evaluate_run(finished, **kwargs)  # an lstm run: options fail before "no circuit"


def test_one_folder_name_is_one_folder(finished):
    runs = collect_runs(str(finished))  # was: every character, '/' walks the disk
    assert len(runs) == 1 and runs[0]["model"] == "lstm"


def test_bad_device_and_shapes(finished):
    from qmem.experiments.run import rebuild_run
    from qmem.experiments.trainer import metrics

    with pytest.raises(ValueError, match="device must name a torch device"):
        rebuild_run(finished, device="gpu")
    _, _, split = rebuild_run(finished)
    with pytest.raises(ValueError, match=r"shape \(3, 1\) do not match targets of shape \(4, 1\)"):
        metrics(split, torch.zeros(3, 1), torch.zeros(4, 1))


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [({"models": ("lstm", "lstm")}, "models repeats 'lstm'"),
     ({"seeds": (0, 1, 0)}, "seeds repeats 0"),
     ({"hidden_sizes": (2, 2)}, "hidden_sizes repeats 2"),
     ({"models": ("lstm",), "model_options": {"lsmt": {"fused": True}}}, r"\['lsmt'\]")],
)
def test_comparisons_that_would_repeat_or_ignore(kwargs, words):
    with pytest.raises(ValueError, match=words):
        study_configs(**kwargs)


def test_a_file_is_no_run_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        run_experiment(tiny("lstm", epochs=1), tmp_path / "f", progress=False)
