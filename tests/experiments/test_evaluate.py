"""`qmem evaluate`: a trained quantum model re-evaluated on real simulators."""

from __future__ import annotations

import json

import pytest

from qmem.cli import main
from qmem.experiments import run_experiment
from qmem.experiments.evaluate import evaluate_run, parse_noise

from .helpers import tiny


@pytest.fixture(scope="module")
def qkan_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qkan")
    run_experiment(tiny("qkan_lstm", epochs=1, dtype="float64"), folder, progress=False)
    return folder


def test_exact_qiskit_equals_the_emulation(qkan_run, capsys):
    assert main(["evaluate", str(qkan_run), "--executor", "qiskit", "--max-windows", "4"]) == 0
    assert "change" in capsys.readouterr().out
    rec = json.loads((qkan_run / "evaluations" / "qiskit_exact.json").read_text())
    assert rec["windows"] == 4
    for key in ("mse", "rmse", "mae", "r2"):
        assert rec["test"][key] == pytest.approx(rec["emulated_test"][key], abs=1e-6)


def test_shots_are_seeded_and_noise_changes_the_result(qkan_run):
    a = evaluate_run(qkan_run, "qiskit", shots=200, seed=3, max_windows=2)
    b = evaluate_run(qkan_run, "qiskit", shots=200, seed=3, max_windows=2, name="again")
    assert a["test"] == b["test"] and a["name"] == "qiskit_shots200_seed3"
    noisy = evaluate_run(qkan_run, "qiskit", noise="depolarizing:0.2", max_windows=2)
    assert noisy["test"]["mse"] != pytest.approx(noisy["emulated_test"]["mse"], abs=1e-9)


def test_pennylane_exact(qkan_run):
    rec = evaluate_run(qkan_run, "pennylane", max_windows=2)
    assert rec["test"]["mse"] == pytest.approx(rec["emulated_test"]["mse"], abs=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"executor": "tpu"}, "executor"),
        ({"executor": "qiskit", "shots": 0}, "shots"),
        ({"executor": "pennylane", "noise": "depolarizing:0.1"}, "qiskit. only"),
        ({"executor": "qiskit", "noise": "bitflip:0.1"}, "unknown noise model"),
        ({"executor": "qiskit", "noise": "depolarizing:2"}, "unknown noise model"),
        ({"executor": "qiskit", "noise": "thermal:10,30,0.1", "shots": 10},
         r"unknown noise model 'thermal:10,30,0.1': thermal T2 = 30 exceeds 2\*T1"),
        ({"executor": "qiskit", "noise": "readout:0.02"}, "readout errors .* pass shots"),
        ({"executor": "qiskit", "noise": "depolarizing:1e-300", "shots": 10},
         "evaluation name 'qiskit_shots10_depolarizing0.0000.* at most 200"),
        ({"executor": "qiskit", "max_windows": 0}, "max_windows"),
        ({"executor": "qiskit", "device": "default.qubit"}, "PennyLane"),
        ({"executor": "qiskit", "name": "../x"}, "evaluation name"),
    ],
)
def test_bad_evaluations(qkan_run, kwargs, words):
    with pytest.raises(ValueError, match=words):
        evaluate_run(qkan_run, **kwargs)


def test_classical_model_has_nothing_to_evaluate(tmp_path):
    run_experiment(tiny("lstm", epochs=1), tmp_path, progress=False)
    with pytest.raises(ValueError, match="no circuit layer"):
        evaluate_run(tmp_path, "qiskit")


def test_parse_noise():
    assert parse_noise(None) is None
    assert parse_noise("depolarizing:0.01") is not None


def test_hardware_like_noise_record_and_file_name(qkan_run):
    spec = "thermal:1e2,80,0.05 + readout:0.02+depolarizing:1e-3"
    rec = evaluate_run(qkan_run, "qiskit", shots=100, seed=1, noise=spec, max_windows=2)
    name = "qiskit_shots100_seed1_depolarizing0.001_readout0.02_thermal100-80-0.05"
    assert rec["name"] == name
    assert rec["noise"] == "depolarizing:0.001+readout:0.02+thermal:100,80,0.05"  # canonical
    on_disk = json.loads((qkan_run / "evaluations" / f"{name}.json").read_text())
    assert on_disk["noise"] == rec["noise"] and on_disk["test"] == rec["test"]
    # the same model written in another order is the same evaluation (file and numbers)
    again = evaluate_run(qkan_run, "qiskit", shots=100, seed=1, max_windows=2,
                         noise="readout:0.02+depolarizing:0.001+thermal:100,80,0.05")
    assert again["name"] == name and again["test"] == rec["test"]
