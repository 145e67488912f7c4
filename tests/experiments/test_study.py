"""The study: tuned settings chosen on validation (never test), reported on test."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from qmem.experiments.study import (
    budget_fit,
    collect_study_runs,
    compare,
    pairs_markdown,
    parse_pair,
    read_csv_records,
    records_csv,
    select,
    study_markdown,
    write_study,
)
from qmem.experiments.sweep_summary import write_summary
from qmem.experiments.toml_io import dumps

ROOT = Path(__file__).resolve().parents[2]


def _config(model: str, lr: float, seed: int, **options) -> dict:
    return {"data": {"name": "sine", "protocol": "honest", "window": 4},
            "model": {"name": model, "budget": 35, **options},
            "train": {"lr": lr, "seed": seed, "epochs": 1}}


def _sweep_folder(tmp_path: Path, runs: list[tuple]) -> Path:
    """A hand-made sweep folder: summary.csv plus each run's config.toml.

    ``runs``: (model, lr, seed, state, val_mse, test_mse, options).
    """
    rows = []
    for i, (model, lr, seed, state, val, test, options) in enumerate(runs):
        rid = f"{i:012x}"
        folder = tmp_path / "runs" / rid
        folder.mkdir(parents=True)
        (folder / "config.toml").write_text(dumps(_config(model, lr, seed, **options)))
        result = None
        if state == "done":
            result = {"dataset": "sine", "protocol": "honest", "model": model,
                      "hidden_size": 2, "budget": 35, "seed": seed,
                      "params": {"quantum": 4 if model == "qkan_lstm" else 0,
                                 "classical": 31, "total": 35 if model == "lstm" else 31},
                      "test": {"mse": test, "rmse": math.sqrt(test), "mae": test / 2,
                               "r2": 1 - test},
                      "val": {"mse": val}, "train": {"mse": 0.0}, "epochs_run": 1}
        rows.append({"run_id": rid, "state": state, "attempts": 1,
                     "error": None if state == "done" else "NonFiniteLoss: boom",
                     "point": {"model.name": model, "train.lr": lr, "train.seed": seed},
                     "result": result})
    write_summary(tmp_path, rows, ["model.name", "train.lr", "train.seed"])
    return tmp_path


# lstm: lr 0.01 has the lower mean validation MSE (1.0 vs 2.0) but lr 0.03 the lower test
# MSE (1.5 vs 5.5): the study must report lr 0.01 and its test numbers.
LSTM = [("lstm", 0.01, 0, "done", 0.9, 5.0, {}), ("lstm", 0.01, 1, "done", 1.1, 6.0, {}),
        ("lstm", 0.03, 0, "done", 2.0, 1.0, {}), ("lstm", 0.03, 1, "done", 2.0, 2.0, {})]
# gru: lr 0.03 is val-best on its finished seed, but its other seed failed: not eligible.
GRU = [("gru", 0.01, 0, "done", 0.5, 3.0, {}), ("gru", 0.01, 1, "done", 0.7, 4.0, {}),
       ("gru", 0.03, 0, "done", 0.1, 0.1, {}), ("gru", 0.03, 1, "failed", None, None, {})]


def test_the_val_best_setting_is_chosen_even_when_another_is_test_best(tmp_path):
    runs = collect_study_runs(_sweep_folder(tmp_path, LSTM + GRU))
    assert len(runs) == 8
    assert json.loads(runs[0]["setting"]) == {"train.lr": 0.01}  # the only tuned axis
    rows = {r["model"]: r for r in select(runs)}
    lstm = rows["lstm"]
    assert lstm["setting"] == {"train.lr": 0.01}
    assert lstm["val_mse_mean"] == pytest.approx(1.0)
    assert lstm["test_mse_mean"] == pytest.approx(5.5)           # not lr 0.03's 1.5
    assert lstm["test_mse_std"] == pytest.approx(math.sqrt(0.5))  # sample std of 5, 6
    assert lstm["test_mae_mean"] == pytest.approx(2.75)
    assert lstm["test_r2_mean"] == pytest.approx(-4.5)
    assert lstm["n_seeds"] == 2 and lstm["settings"] == 2 and lstm["failed"] == 0
    assert lstm["pct_of_lstm"] == pytest.approx(100.0)
    gru = rows["gru"]
    assert gru["setting"] == {"train.lr": 0.01}   # lr 0.03 lost a seed: not eligible
    assert gru["test_mse_mean"] == pytest.approx(3.5)
    assert gru["settings"] == 1 and gru["failed"] == 1
    assert gru["pct_of_lstm"] == pytest.approx(100.0 * 31 / 35)


def test_compare_is_the_difference_of_means_over_the_pooled_std():
    a = {"test_mse_mean": 3.5, "test_mse_std": math.sqrt(0.5)}
    b = {"test_mse_mean": 5.5, "test_mse_std": math.sqrt(0.5)}
    c = compare(a, b)
    assert c["gain_pct"] == pytest.approx(100 * 2 / 5.5)
    assert c["ratio"] == pytest.approx(3.5 / 5.5)
    assert c["z"] == pytest.approx(2 / math.sqrt(0.5))
    assert c["verdict"] == "better"
    assert compare(b, a)["verdict"] == "worse"
    near = compare({"test_mse_mean": 5.0, "test_mse_std": 1.0}, b)
    assert near["z"] == pytest.approx(0.5 / math.sqrt((1 + 0.5) / 2))
    assert near["verdict"] == "within spread"
    one_seed = compare({"test_mse_mean": 1.0, "test_mse_std": None}, b)
    assert one_seed["z"] is None and one_seed["verdict"] == "within spread"
    assert compare({"test_mse_mean": None}, b)["verdict"] is None


def test_no_eligible_setting_gives_a_row_without_numbers(tmp_path):
    runs = collect_study_runs(_sweep_folder(
        tmp_path, [("gru", 0.01, 0, "failed", None, None, {})]))
    (row,) = select(runs)
    assert row["setting"] is None and row["test_mse_mean"] is None and row["failed"] == 1
    assert "1 failed" in study_markdown([row])


def test_lstm_variant_is_labelled_by_its_variant(tmp_path):
    runs = collect_study_runs(_sweep_folder(
        tmp_path, [("lstm_variant", 0.01, 0, "done", 1.0, 1.0, {"variant": "cifg"})]))
    assert runs[0]["model"] == "lstm_variant:cifg" and runs[0]["model_name"] == "lstm_variant"


def test_runs_csv_round_trips_and_rebuilds_the_same_study(tmp_path):
    runs = collect_study_runs(_sweep_folder(tmp_path / "sweep", LSTM + GRU))
    (tmp_path / "runs.csv").write_text(records_csv(runs))
    again = read_csv_records(tmp_path / "runs.csv")
    assert again == runs
    assert select(again) == select(runs)


def test_write_study_fills_the_page_blocks_and_keeps_the_prose(tmp_path):
    sweep = _sweep_folder(tmp_path / "sweep", LSTM + GRU)
    page = tmp_path / "results.md"
    page.write_text("# Results\n\nprose before\n\n<!-- generated: study -->\nold\n"
                    "<!-- end generated: study -->\n\nprose after\n")
    made = write_study(sweep, tmp_path / "results", page=page, plots=True)
    text = page.read_text()
    assert text.startswith("# Results\n\nprose before\n") and "prose after" in text
    assert "old\n" not in text and "<!-- generated: study-evaluations -->" in text
    assert "![sine, honest: parameters vs test MSE](results/sine_honest_study.png)" in text
    assert (tmp_path / "results" / "sine_honest_study.png").stat().st_size > 1000
    assert "sine_honest_study.png" in made["files"]
    # rebuilt from the committed CSV alone: the same block
    write_study(tmp_path / "results", tmp_path / "results", page=page, plots=False)
    block = page.read_text().split("<!-- generated: study -->\n")[1].split("<!-- end")[0]
    rows = select(read_csv_records(tmp_path / "results" / "runs.csv"))
    assert block.rstrip("\n") == study_markdown(rows)          # no plots: no links
    line = next(x for x in block.splitlines() if x.startswith("| 35 | `lstm`"))
    assert "| lr 0.01 |" in line and "5.5 ± 0.71" in line


def test_write_study_refuses_a_folder_without_runs(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"neither summary\.csv"):
        write_study(tmp_path, tmp_path)


@pytest.mark.parametrize(("model", "budget", "options", "reason"), [
    ("kan_lstm", 35, {}, "74 parameters at the smallest size: 2.1x the budget"),
    ("qlstm", 600, {"n_layers": 2}, "16 qubits > 10"),
    ("qlstm_2024", 2500, {"n_layers": 5}, "119 qubits > 10"),
])
def test_budget_fit_refuses_budgets_out_of_sensible_reach(model, budget, options, reason):
    assert budget_fit(model, budget, **options)["reason"] == reason


def test_budget_fit_counts_match_the_formulas_by_hand():
    fit = budget_fit("lstm", 150)                      # 4H(H + 2) + H + 1 at H = 5
    assert (fit["hidden_size"], fit["params"], fit["qubits"], fit["ok"]) == (5, 146, 0, True)
    fit = budget_fit("qkan_lstm", 35, reps=1)          # 4H(1 + H)·4 + H + 1 at H = 1
    assert (fit["params"], fit["qubits"]) == (34, 1)
    with pytest.raises(ValueError, match="tolerance must be a number >= 1"):
        budget_fit("lstm", 35, tolerance=0.5)


def test_pairs_put_two_setups_side_by_side():
    small = {"dataset": "d", "protocol": "honest", "model": "qkan_lstm", "budget": 35,
             "params_total": 34, "test_mse_mean": 2.0, "test_mse_std": 0.5}
    big = {**small, "model": "lstm", "budget": 150, "params_total": 166,
           "test_mse_mean": 1.0, "test_mse_std": 0.5}
    text = pairs_markdown([small, big], [parse_pair("qkan_lstm@35:lstm@150")])
    assert text.splitlines()[0] == "<!-- pairs: qkan_lstm@35:lstm@150 -->"
    cells = text.splitlines()[-1].split(" | ")
    assert cells[4] == "79.5 %"                    # 1 - 34 / 166
    assert cells[7] == "2× (-2.0σ), worse |"   # 2 / 1; (1 - 2) / sqrt((0.25 + 0.25) / 2)
    with pytest.raises(ValueError, match="must look like MODEL@BUDGET:MODEL@BUDGET"):
        parse_pair("qkan_lstm@x:lstm@150")
