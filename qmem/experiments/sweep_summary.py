"""A sweep's ``summary.csv`` and ``sweep.json``: every run, its state and its numbers.

``summary.csv`` has one row per run of the sweep (in the sweep's order) with its ``state``
(``done``, ``failed``, ``interrupted``, ``running`` or ``pending``), the ``attempts`` made, the
last ``error``, the axis values that made it (one column per axis, named by its dotted key),
and, for finished runs, what ``result.json`` says: dataset, model, hidden size (the one chosen
for a ``budget``), parameters, test / validation / training metrics, epochs, seconds per
epoch. ``sweep.json`` records the plan: the axes, the options and each run's id and point.

>>> import json, tempfile
>>> rows = [{"run_id": "abc", "state": "failed", "attempts": 2, "error": "boom",
...          "point": {"train.seed": 0}, "result": None}]
>>> print(summary_csv(rows, ["train.seed"]).splitlines()[1][:22])
abc,failed,2,boom,0,,,
>>> folder = tempfile.mkdtemp()
>>> write_summary(folder, rows, ["train.seed"]).name
'summary.csv'
>>> plan = write_plan(folder, axes={"train.seed": [0]}, options={"mode": "grid"},
...                   resources={"cpus": 1, "gpus": 0.0}, runs=rows)
>>> json.loads(plan.read_text())["format"] == PLAN_FORMAT
True
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .files import atomic_write_json, atomic_write_text

__all__ = ["PLAN_FORMAT", "RESULT_COLUMNS", "summary_csv", "write_plan", "write_summary"]

PLAN_FORMAT = "qmem.sweep/1"
"""The ``format`` of ``sweep.json``."""
RESULT_COLUMNS = (
    "dataset", "protocol", "model", "hidden_size", "budget", "seed",
    "params_quantum", "params_classical", "params_total",
    "test_mse", "test_rmse", "test_mae", "test_r2", "val_mse", "train_mse",
    "epochs_run", "seconds_per_epoch",
)
"""The columns read from a finished run's ``result.json``."""


def _result_cells(result: Mapping[str, Any] | None) -> list[Any]:
    if not result:
        return [""] * len(RESULT_COLUMNS)
    params = result.get("params") or {}
    cells: dict[str, Any] = {k: result.get(k) for k in
                             ("dataset", "protocol", "model", "hidden_size", "budget", "seed",
                              "epochs_run", "seconds_per_epoch")}
    for k in ("quantum", "classical", "total"):
        cells[f"params_{k}"] = params.get(k)
    for k in ("mse", "rmse", "mae", "r2"):
        cells[f"test_{k}"] = (result.get("test") or {}).get(k)
    cells["val_mse"] = (result.get("val") or {}).get("mse")
    cells["train_mse"] = (result.get("train") or {}).get("mse")
    return ["" if cells[c] is None else cells[c] for c in RESULT_COLUMNS]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return repr(value)
    return value


def summary_csv(rows: Sequence[Mapping[str, Any]], axes: Sequence[str]) -> str:
    """CSV text: ``run_id, state, attempts, error``, the axes, then :data:`RESULT_COLUMNS`.

    Args:
        rows: per run ``{"run_id", "state", "attempts", "error", "point", "result"}``.
        axes: the axis keys (columns), in order.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run_id", "state", "attempts", "error", *axes, *RESULT_COLUMNS])
    for r in rows:
        point = r.get("point") or {}
        error = str(r.get("error") or "").replace("\n", " ")
        writer.writerow([r["run_id"], r["state"], r.get("attempts", 0), error,
                         *(_cell(point.get(a)) for a in axes), *_result_cells(r.get("result"))])
    return out.getvalue()


def write_summary(folder: str | Path, rows: Sequence[Mapping[str, Any]],
                  axes: Sequence[str]) -> Path:
    """Write ``folder/summary.csv`` atomically; returns its path."""
    path = Path(folder) / "summary.csv"
    atomic_write_text(path, summary_csv(rows, axes))
    return path


def write_plan(folder: str | Path, *, axes: Mapping[str, Sequence[Any]],
               options: Mapping[str, Any], resources: Mapping[str, Any],
               runs: Sequence[Mapping[str, Any]]) -> Path:
    """Write ``folder/sweep.json``: the axes, options, resources and each run's id and point."""
    path = Path(folder) / "sweep.json"
    atomic_write_json(path, {
        "format": PLAN_FORMAT,
        "axes": {k: list(v) for k, v in axes.items()},
        "options": dict(options),
        "resources": dict(resources),
        "runs": [{"run_id": r["run_id"], "point": dict(r.get("point") or {})} for r in runs],
    })
    return path
