"""Hostile command lines: every bad one exits 2 (usage or config) or 1 (failure while running)
with one line on stderr naming the value, never a traceback, a hang or a silent NaN fit."""

from __future__ import annotations

import math

import pytest
import torch

from qmem import fit as fit_module
from qmem.cli import main
from qmem.experiments import NonFiniteLoss, dumps
from qmem.fit import fit_function

from ..experiments.helpers import tiny

BAD = [
    # qmem fit: the issue's --lr 1e30, and sizes that would allocate without bound
    (["fit", "--lr", "1e30"], 2, ["lr", "<= 100.0", "1e+30"]),
    (["fit", "--lr", "nan"], 2, ["lr", "finite"]),
    (["fit", "--lr", "0"], 2, ["lr", "> 0.0"]),
    (["fit", "--width", "1000000000"], 2, ["width", "[1, 1024]"]),
    (["fit", "--reps", "1000000000"], 2, ["reps", "[1, 64]"]),
    (["fit", "--reps", "0"], 2, ["reps"]),
    (["fit", "--epochs", "0"], 2, ["epochs"]),
    (["fit", "--seed", "-1"], 2, ["seed"]),
    (["fit", "--seed", str(2**70)], 2, ["seed"]),
    (["fit", "--ansatz", "zz"], 2, ["ansatz", "'zz'"]),
    (["fit", "--executor", "tpu"], 2, ["tpu"]),
    (["fit", "--width", "two"], 2, []),  # argparse: invalid int value
    # qmem params: absurd sizes and budgets
    (["params", "lstm", "--hidden-size", "1000000000"], 2, ["hidden_size", "<= 1000000"]),
    (["params", "lstm", "--hidden-size", "100000"], 2, ["parameters", "at most"]),
    (["params", "lstm", "--hidden-size", "1", "--input-size", "1000000000"], 2, ["input_size"]),
    (["params", "lstm", "--hidden-size", "0"], 2, ["hidden_size", "0"]),
    (["params", "lstm", "--budget", "0"], 2, ["budget", "0"]),
    (["params", "lstm", "--budget", str(10**30)], 2, ["budget must be at most"]),
    (["params", "lstm", "--hidden-size", "1", "-o", "fused"], 2, ["KEY=VALUE"]),
    (["params", "lsmt", "--hidden-size", "1"], 2, ["'lsmt'", "'lstm'"]),
    # qmem circuits draw: sizes that hung the text drawing
    (["circuits", "draw", "daruan-pz", "--reps", "1000000000"], 2, ["--reps", "[1, 64]"]),
    (["circuits", "draw", "chen2020", "--qubits", "1000000"], 2, ["--qubits", "[1, 64]"]),
    (["circuits", "draw", "chen2020", "--layers", "1000000000"], 2, ["--layers"]),
    # qmem compare: options for a model not compared (it started the 60-run study) and repeats
    (["compare", "-o", "lsmt.fused=true", "--out", "{out}"], 2, ["['lsmt']", "not compared"]),
    (["compare", "--models", "lstm,lstm", "--out", "{out}"], 2, ["models repeats 'lstm'"]),
    (["compare", "--seeds", "0,0", "--out", "{out}"], 2, ["seeds repeats 0"]),
    (["compare", "--lr", "1e30", "--out", "{out}"], 2, ["lr"]),
    (["compare", "--window", "0", "--out", "{out}"], 2, ["window"]),
    (["compare", "--budgets", str(10**12), "--out", "{out}"], 2, ["budget"]),
    # qmem run / evaluate
    (["run", "{cfg}", "--out", "{out}", "--set", "train.lr=1e30"], 2, ["lr"]),
    (["run", "{cfg}", "--out", "{out}", "--set", "train.lr=nan"], 2, ["lr", "finite"]),
    (["run", "{cfg}", "--out", "{out}", "--set", "model.hidden_size=100000"], 1,
     ["parameters", "at most"]),
    (["run", "{cfg}", "--out", "{out}", "--set", "data.window=1000"], 1,
     ["shorter than window"]),
    (["evaluate", "{out}", "--executor", "qiskit", "--shots", "0"], 2, ["shots"]),
    (["evaluate", "{out}", "--executor", "qiskit", "--noise", "thermal:10,30,0.1"], 2,
     ["unknown noise model 'thermal:10,30,0.1'", "T2 = 30 exceeds 2*T1 = 20", "allowed"]),
    (["evaluate", "{out}", "--executor", "qiskit", "--noise", "readout:0.02+readout:0.01"], 2,
     ["kind 'readout' given twice"]),
    (["evaluate", "{out}", "--executor", "qiskit", "--noise", "readout:0.02"], 2,
     ["readout errors", "pass shots"]),
]


@pytest.mark.parametrize(("argv", "code", "words"), BAD, ids=[" ".join(a[:4]) for a, _, _ in BAD])
def test_bad_command_lines(tmp_path, capsys, argv, code, words):
    cfg = tmp_path / "c.toml"
    cfg.write_text(dumps(tiny("lstm", epochs=1).to_nested()))
    subs = {"cfg": str(cfg), "out": str(tmp_path / "o")}
    assert main([a.format(**subs) for a in argv]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip(), err
    if words:
        assert err.count("\n") == 1, err
    missing = [w for w in words if w not in err]
    assert not missing, f"{missing} not in {err!r}"


def _nan_target(x: torch.Tensor) -> torch.Tensor:
    return x * math.nan


def test_fit_stops_on_a_non_finite_loss(monkeypatch, capsys):
    # a target that is NaN everywhere makes the first loss NaN: the fit must stop there
    monkeypatch.setitem(fit_module.TARGETS, "nan_target", _nan_target)
    with pytest.raises(NonFiniteLoss, match=r"training loss is nan at epoch 1"):
        fit_function("nan_target", epochs=3, progress=False)
    assert main(["fit", "--function", "nan_target", "--epochs", "3", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "NonFiniteLoss" in err and "lower lr" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [({"lr": "0.1"}, TypeError, "lr must be a float"),
     ({"lr": True}, TypeError, "lr must be a float"),
     ({"width": True}, TypeError, "width must be an int"),
     ({"epochs": 1.0}, TypeError, "epochs must be an int"),
     ({"seed": "a"}, TypeError, "seed must be an int"),
     ({"progress": "no"}, TypeError, "progress must be a bool"),
     ({"function": 3}, TypeError, "function must be a str"),
     ({"points": 1}, ValueError, r"points must be an int in \[2, 1000000\]"),
     ({"points": 10**9}, ValueError, "points must be an int"),
     ({"points": 10**6, "width": 1024}, ValueError, "activations.*limit")],
)
def test_fit_function_options(kwargs, error, words):
    with pytest.raises(error, match=words):
        fit_function(**{"epochs": 1, "progress": False, **kwargs})
