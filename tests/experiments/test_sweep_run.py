"""qmem sweep end to end: a 2 models x 2 seeds sweep under the local pool and under Ray gives
identical results; a second call skips finished runs; a worker killed mid-run is retried and
the sweep completes (bitwise equal to an uninterrupted run); Ctrl-C stops and a later call
continues; every run is recorded once, none lost; the summary, the report and the CLI."""

from __future__ import annotations

import csv
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from qmem.cli import main
from qmem.experiments import ExperimentConfig, run_experiment, run_id
from qmem.experiments.sweep import run_sweep
from qmem.experiments.sweep_config import load_sweep, sweep_from_dict
from qmem.experiments.sweep_exec import LocalExecutor

from . import sweep_plugin

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "tests.experiments.sweep_plugin"

SWEEP_TOML = """
[base]
data = { name = "sine", num = 80, window = 4 }
model = { name = "lstm", hidden_size = 2 }
train = { epochs = 1, batch_size = 8, seed = 0, device = "cpu", threads = 1 }

[axes]
"model.name" = ["lstm", "gru"]
"train.seed" = [0, 1]
"""

BASE = {"data": {"name": "sine", "num": 80, "window": 4},
        "model": {"name": "lstm", "hidden_size": 2},
        "train": {"epochs": 2, "batch_size": 8, "device": "cpu", "threads": 1}}


@pytest.fixture(scope="module", autouse=True)
def plugin_in_workers():
    """Worker processes (spawned, or Ray's) register the test model through QMEM_PLUGINS."""
    old = {k: os.environ.get(k) for k in ("QMEM_PLUGINS", "PYTHONPATH")}
    os.environ["QMEM_PLUGINS"] = PLUGIN
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), old["PYTHONPATH"]]))
    sweep_plugin.register_model()  # and in this process, for the module's tests only
    yield
    sweep_plugin.unregister_model()
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweepfile") / "sweep.toml"
    path.write_text(SWEEP_TOML)
    return path


def summary(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def run_files(folder: Path, rid: str) -> tuple[bytes, dict]:
    run = folder / "runs" / rid
    result = json.loads((run / "result.json").read_text())
    return (run / "metrics.jsonl").read_bytes(), result


def assert_recorded_once(folder: Path, epochs: int, calls: Counter | None = None) -> None:
    rows = summary(folder)
    ids = [r["run_id"] for r in rows]
    assert len(ids) == len(set(ids))
    for rid in ids:
        lines = (folder / "runs" / rid / "metrics.jsonl").read_text().splitlines()
        assert [json.loads(x)["epoch"] for x in lines] == list(range(1, epochs + 1))
        timings = (folder / "runs" / rid / "timings.jsonl").read_text().splitlines()
        assert [json.loads(x)["epoch"] for x in timings] == list(range(1, epochs + 1))
    if calls is not None:
        assert set(calls.values()) <= {1}, calls


@pytest.fixture(scope="module")
def pool():
    """One warm local pool for the module's sweeps (worker start-up is the slow part)."""
    executor = LocalExecutor(workers=2)
    yield executor
    executor.close(cancel=True)


@pytest.fixture(scope="module")
def local_sweep(sweep_file, tmp_path_factory, pool):
    out = tmp_path_factory.mktemp("local")
    calls: Counter = Counter()
    result = run_sweep(load_sweep(sweep_file), out, executor=pool, progress=False,
                       on_result=lambda rid, res: calls.update([rid]))
    return out, result, calls


def test_local_sweep_writes_every_run_its_summary_and_report(local_sweep, sweep_file):
    out, result, calls = local_sweep
    sweep = load_sweep(sweep_file)
    ids = [run_id(c) for c in sweep.configs]
    assert sorted(result["done"]) == sorted(ids) and result["failed"] == {}
    rows = summary(out)
    assert [r["run_id"] for r in rows] == ids  # the sweep's order
    for row, point in zip(rows, sweep.points, strict=True):
        assert row["state"] == "done" and row["attempts"] == "1" and row["error"] == ""
        assert row["model.name"] == point["model.name"] == row["model"]
        assert int(row["train.seed"]) == point["train.seed"] == int(row["seed"])
        _, res = run_files(out, row["run_id"])
        assert float(row["test_mse"]) == res["test"]["mse"]
        assert int(row["params_total"]) == res["params"]["total"]
    assert_recorded_once(out, 1, calls)
    plan = json.loads((out / "sweep.json").read_text())
    assert [r["run_id"] for r in plan["runs"]] == ids
    assert {"report.md", "frontier.md", "sine_honest_pareto.png"} <= set(result["report"])
    frontier = (out / "frontier.md").read_text()
    setups = [line for line in frontier.splitlines() if line.startswith("| ★ |")
              or line.startswith("|  |")]
    assert "## sine (honest)" in frontier and len(setups) == 2  # lstm and gru
    assert all(line.endswith("| 2 |") for line in setups)  # 2 seeds each


def test_a_local_result_equals_the_same_run_alone(local_sweep, sweep_file, tmp_path):
    out, _, _ = local_sweep
    cfg = load_sweep(sweep_file).configs[3]
    alone = run_experiment(cfg, tmp_path / "alone", progress=False)
    metrics, res = run_files(out, run_id(cfg))
    assert metrics == (tmp_path / "alone" / "metrics.jsonl").read_bytes()
    assert res["test"] == alone["test"]


def test_calling_again_skips_finished_runs(local_sweep, sweep_file):
    out, _, _ = local_sweep
    before = {p: p.read_bytes() for p in (out / "runs").rglob("*.json*")}
    again = run_sweep(load_sweep(sweep_file), out, workers=2, progress=False, report=False)
    assert again["skipped"] == 4 and again["done"] == [] and again["failed"] == {}
    assert {p: p.read_bytes() for p in (out / "runs").rglob("*.json*")} == before
    assert [r["state"] for r in summary(out)] == ["done"] * 4


def test_cli_sweep_and_report_on_the_sweep_folder(local_sweep, sweep_file, capsys):
    out, _, _ = local_sweep
    assert main(["sweep", str(sweep_file), "--out", str(out), "--no-progress",
                 "--no-report"]) == 0  # everything finished: nothing runs
    text = capsys.readouterr().out
    assert "0 runs done now, 4 before, 0 failed" in text
    (out / "frontier.md").unlink()
    assert main(["report", str(out), "--no-plots"]) == 0
    assert (out / "frontier.md").is_file() and "frontier.md" in capsys.readouterr().out
    assert main(["sweep", str(sweep_file), "--out", str(out), "--executor", "local",
                 "--address", "auto"]) == 2  # --address is Ray's
    assert "--address applies to --executor ray" in capsys.readouterr().err
    bad = sweep_file.parent / "bad.toml"
    bad.write_text(SWEEP_TOML.replace('"train.seed"', '"train.sed"'))
    assert main(["sweep", str(bad), "--out", str(out)]) == 2
    assert "did you mean 'train.seed'" in capsys.readouterr().err


def test_killed_workers_are_retried_and_their_runs_resume(tmp_path, pool):
    markers = [str(tmp_path / f"marker{k}") for k in (0, 1)]  # each run dies once
    base = {**BASE, "model": {"name": "crash_once_lstm", "hidden_size": 2, "after": 10}}
    sweep = sweep_from_dict({"base": base, "axes": {"model.marker": markers}})
    lines: list[str] = []
    calls: Counter = Counter()
    out = run_sweep(sweep, tmp_path / "sweep", executor=pool, retries=1, progress=False,
                    report=False, log=lines.append,
                    on_result=lambda rid, res: calls.update([rid]))
    assert all(Path(m).is_file() for m in markers)
    assert out["failed"] == {} and len(out["done"]) == 2
    rows = summary(tmp_path / "sweep")
    assert [r["attempts"] for r in rows] == ["2", "2"]
    assert sum(f"exit code {sweep_plugin.CRASH_EXIT_CODE}" in line and "retrying" in line
               for line in lines) == 2, lines
    assert_recorded_once(tmp_path / "sweep", 2, calls)
    for cfg in sweep.configs:  # the markers exist: no crash now
        rid = run_id(cfg)
        alone = tmp_path / f"alone{rid}"
        run_experiment(cfg, alone, progress=False)
        assert run_files(tmp_path / "sweep", rid)[0] == (alone / "metrics.jsonl").read_bytes()
        a = torch.load(tmp_path / "sweep" / "runs" / rid / "model.pt", weights_only=True)
        b = torch.load(alone / "model.pt", weights_only=True)
        assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])


def test_without_retries_a_killed_run_is_recorded_failed_and_the_sweep_goes_on(tmp_path, pool):
    marker = tmp_path / "marker"
    sweep = sweep_from_dict({"base": BASE, "axes": {
        "model.name": ["crash_once_lstm", "lstm"]},
        "models": {"crash_once_lstm": {"marker": str(marker), "after": 2}}})
    out = run_sweep(sweep, tmp_path / "sweep", executor=pool, retries=0, progress=False,
                    report=False)
    rows = summary(tmp_path / "sweep")
    assert [r["state"] for r in rows] == ["failed", "done"]
    assert f"worker process died (exit code {sweep_plugin.CRASH_EXIT_CODE})" in rows[0]["error"]
    assert list(out["failed"]) == [rows[0]["run_id"]]
    assert main(["sweep", "--help"]) == 0  # the help text builds


def test_ctrl_c_stops_cleanly_and_a_later_call_continues(tmp_path, pool):
    sweep = sweep_from_dict({"base": BASE, "axes": {"train.epochs": [1, 25],
                                                    "train.seed": [0]}})
    folder = tmp_path / "sweep"
    long_ckpt = folder / "runs" / run_id(sweep.configs[1]) / "checkpoint.pt"

    def stop(rid, result):  # as Ctrl-C would, once the short run is in and the long one
        deadline = time.monotonic() + 60  # has written a checkpoint
        while not long_ckpt.is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, folder, executor=pool, progress=False, report=False, on_result=stop)
    rows = summary(folder)
    assert [r["state"] for r in rows] == ["done", "interrupted"]
    long_run = folder / "runs" / rows[1]["run_id"]
    assert json.loads((long_run / "status.json").read_text())["state"] == "interrupted"
    calls: Counter = Counter()
    out = run_sweep(sweep, folder, executor=pool, progress=False, report=False,
                    on_result=lambda rid, res: calls.update([rid]))
    assert out["skipped"] == 1 and out["done"] == [rows[1]["run_id"]] and out["failed"] == {}
    assert set(calls.values()) == {1}
    cfg = sweep.configs[1]  # resumed from its checkpoint: equal to an uninterrupted run
    run_experiment(cfg, tmp_path / "ref", progress=False)
    assert run_files(folder, run_id(cfg))[0] == (tmp_path / "ref" / "metrics.jsonl").read_bytes()


# --------------------------------------------------------------------------- Ray
@pytest.fixture(scope="module")
def ray_instance():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_sweep_equals_the_local_one(ray_instance, local_sweep, sweep_file, tmp_path):
    local_out, _, _ = local_sweep
    calls: Counter = Counter()
    out = run_sweep(load_sweep(sweep_file), tmp_path, executor="ray", progress=False,
                    report=False, on_result=lambda rid, res: calls.update([rid]))
    assert len(out["done"]) == 4 and out["failed"] == {}
    assert ray_instance.is_initialized()  # the sweep used the running Ray, left it running
    assert_recorded_once(tmp_path, 1, calls)
    for row in summary(tmp_path):
        metrics, res = run_files(tmp_path, row["run_id"])
        local_metrics, local_res = run_files(local_out, row["run_id"])
        assert metrics == local_metrics  # identical, not close
        for part in ("train", "val", "test"):
            assert res[part] == local_res[part]
        assert res["params"] == local_res["params"]


def test_ray_retries_a_crashed_vectorised_group(ray_instance, tmp_path):
    marker = tmp_path / "marker"
    base = {**BASE, "model": {"name": "crash_once_lstm", "hidden_size": 2,
                              "marker": str(marker), "after": 10}}
    sweep = sweep_from_dict({"base": base, "axes": {"train.seed": [3, 4]}})
    lines: list[str] = []
    calls: Counter = Counter()
    out = run_sweep(sweep, tmp_path / "sweep", executor="ray", retries=1, vectorize=True,
                    progress=False, report=False, log=lines.append,
                    on_result=lambda rid, res: calls.update([rid]))
    assert marker.is_file() and len(out["done"]) == 2 and out["failed"] == {}
    assert [r["attempts"] for r in summary(tmp_path / "sweep")] == ["2", "2"]  # the group
    assert sum("retrying" in line for line in lines) == 2, lines
    assert_recorded_once(tmp_path / "sweep", 2, calls)
    for cfg in sweep.configs:  # seeds trained together (float32): equal to 1e-4 relative
        res = run_files(tmp_path / "sweep", run_id(cfg))[1]
        alone = run_experiment(cfg, tmp_path / f"alone{cfg.train.seed}", progress=False)
        for k, v in alone["test"].items():
            assert abs(res["test"][k] - v) <= 1e-4 * max(1.0, abs(v)), (k, res["test"][k], v)


def test_a_sweep_point_is_a_plain_run_config(sweep_file):
    cfg = load_sweep(sweep_file).configs[0]
    again = ExperimentConfig.from_dict(cfg.to_nested())
    assert again.to_nested() == cfg.to_nested() and run_id(again) == run_id(cfg)


def test_ray_refuses_runs_asking_for_gpus_it_does_not_have(ray_instance, tmp_path):
    cuda = sweep_from_dict({"base": {**BASE, "train": {**BASE["train"], "device": "cuda"}},
                            "axes": {"train.seed": [0]}})
    assert cuda.gpus_per_run == 1.0  # device = "cuda": one GPU per run by default
    with pytest.raises(ValueError, match=r"asks for 1 GPU.*has 0"):
        run_sweep(cuda, tmp_path / "a", executor="ray", progress=False, report=False)
    half = sweep_from_dict({"base": BASE, "axes": {"train.seed": [0]},
                            "resources": {"gpus": 0.5}})
    with pytest.raises(ValueError, match=r"asks for 0.5 GPU"):
        run_sweep(half, tmp_path / "b", executor="ray", progress=False, report=False)
    assert ray_instance.is_initialized()  # a Ray it did not start is left running
