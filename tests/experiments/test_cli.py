"""The `qmem` command: compare, run, report, evaluate, inspection; exit codes and errors."""

from __future__ import annotations

import json

import pytest

from qmem.cli import main
from qmem.experiments import dumps

from .helpers import tiny


def _write_config(path, **train):
    path.write_text(dumps(tiny("lstm", **train).to_nested()))
    return path


def test_run_then_report(tmp_path, capsys):
    cfg = _write_config(tmp_path / "c.toml", epochs=2)
    out = tmp_path / "run"
    assert main(["run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    assert "test mse" in capsys.readouterr().out
    # a second run into the same folder is refused (usage error, exit 2), one line on stderr
    assert main(["run", str(cfg), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "already holds a run" in err and err.count("\n") == 1 and "Traceback" not in err
    assert main(["run", str(cfg), "--out", str(out), "--resume", "--no-progress"]) == 0
    assert main(["run", str(cfg), "--out", str(out), "--force", "--no-progress",
                 "--set", "train.epochs=1"]) == 0
    assert json.loads((out / "result.json").read_text())["epochs_run"] == 1
    assert main(["report", str(out), "--out", str(tmp_path / "rep")]) == 0
    for name in ("report.md", "results.csv", "results.json", "results.tex",
                 "sine_honest_frontier.png"):
        assert (tmp_path / "rep" / name).is_file(), name


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["run", "{cfg}", "--out", "{out}", "--set", "model.hiden_size=3"], 2,
         ["hiden_size", "hidden_size"]),
        (["run", "{cfg}", "--out", "{out}", "--set", "train.lr=-1"], 2, ["lr"]),
        (["run", "{missing}", "--out", "{out}"], 2, ["does not exist"]),
        (["run", "{cfg}"], 2, ["--out"]),
        (["frobnicate"], 2, ["invalid choice"]),
        (["compare", "--models", "lstm,nope", "--out", "{out}"], 2, ["nope"]),
        (["compare", "--seeds", "a,b"], 2, ["integers"]),
        (["report", "{missing}"], 2, ["does not exist"]),
        (["evaluate", "{out}", "--executor", "qiskit"], 2, ["no finished run"]),
        (["params", "lstm", "--hidden-size", "0"], 2, ["hidden_size"]),
        (["circuits", "draw", "toffoli"], 2, ["unknown circuit"]),
    ],
)
def test_errors_are_one_line_with_exit_codes(tmp_path, capsys, argv, code, words):
    cfg = _write_config(tmp_path / "c.toml", epochs=1)
    subs = {"cfg": str(cfg), "out": str(tmp_path / "o"), "missing": str(tmp_path / "no.toml")}
    assert main([a.format(**subs) for a in argv]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_debug_shows_the_traceback(tmp_path, capsys):
    cfg = _write_config(tmp_path / "c.toml", epochs=1)
    assert main(["--debug", "run", str(cfg), "--out", str(tmp_path / "o"),
                 "--set", "train.lr=-1"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_failing_run_exits_1(tmp_path, capsys, monkeypatch):
    from qmem.experiments import trainer

    monkeypatch.setattr(trainer, "_forecast", lambda m, x: m(x)[0][:, -1] * float("nan"))
    cfg = _write_config(tmp_path / "c.toml", epochs=1)
    assert main(["run", str(cfg), "--out", str(tmp_path / "o"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "epoch 1, batch 1" in err and "Traceback" not in err
    status = json.loads((tmp_path / "o" / "status.json").read_text())
    assert status["state"] == "failed"


def test_compare_end_to_end_and_skips_finished_runs(tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = ["compare", "--datasets", "sine", "--models", "lstm,qkan_lstm", "--seeds", "0,1",
            "--epochs", "1", "--hidden-sizes", "1", "--threads", "1", "--out", str(out),
            "--no-progress"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "| qkan_lstm | 1 | 2 |" in text and "% LSTM" in text
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 4
    stamps = {r: (out / "runs" / r / "model.pt").stat().st_mtime_ns for r in runs}
    assert main(argv) == 0
    assert stamps == {r: (out / "runs" / r / "model.pt").stat().st_mtime_ns for r in runs}
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert {r["model"] for r in rows} == {"lstm", "qkan_lstm"}
    assert all(r["n_seeds"] == 2 for r in rows)
    lstm = next(r for r in rows if r["model"] == "lstm")
    assert lstm["pct_of_lstm"] == pytest.approx(100.0)
    tex = (out / "results.tex").read_text()
    assert "\\toprule" in tex and "qkan\\_lstm" in tex


def test_inspection_commands(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "qkan_lstm" in out and "qlstm_2024" in out
    assert main(["datasets"]) == 0
    assert "milan_telecom" in capsys.readouterr().out
    assert main(["circuits", "draw", "daruan-rpz", "--reps", "1"]) == 0
    assert "ry" in capsys.readouterr().out.lower()
    assert main(["circuits", "draw", "chen2024", "--qubits", "2", "--layers", "1"]) == 0
    assert main(["params", "qkan_lstm", "--hidden-size", "1", "-o", "reps=1"]) == 0
    assert "34" in capsys.readouterr().out


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    listed = capsys.readouterr().out
    for command in ("compare", "run", "report", "evaluate", "params", "models", "datasets",
                    "circuits", "fit"):
        assert command in listed
        assert main([command, "--help"]) == 0
        assert "usage: qmem " + command in capsys.readouterr().out
