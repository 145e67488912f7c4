"""Reports from run folders' files alone: Markdown, CSV, JSON, LaTeX tables and PNG plots.

:func:`collect_runs` finds every finished run (a folder with ``result.json``) under the given
paths; :func:`summarise` groups runs that differ only in their seed (same dataset, protocol,
model, size and options) into mean ± std rows; :func:`write_report` writes ``report.md``,
``results.csv``, ``results.json``, ``results.tex`` (booktabs) and, per dataset, the plots of
test predictions against truth, training/validation loss curves and the
parameter-efficiency frontier (parameters against test MSE). No number is retyped: each
comes from a run's ``result.json``, ``metrics.jsonl`` or ``predictions.csv``.

>>> rows = summarise([
...     {"dataset": "d", "protocol": "honest", "title": "lstm", "model": "lstm",
...      "hidden_size": 2, "seed": s, "params": {"quantum": 0, "classical": 41, "total": 41},
...      "test": {"mse": m, "rmse": m ** 0.5, "mae": m, "r2": 0.9},
...      "seconds_per_epoch": 0.1, "group": "g", "folder": f"runs/{s}"}
...     for s, m in ((0, 1.0), (1, 3.0))])
>>> rows[0]["n_seeds"], rows[0]["test_mse_mean"], rows[0]["test_mse_std"]
(2, 2.0, 1.4142135623730951)
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .files import atomic_write_json, atomic_write_text, read_json
from .tables import by_table, mean_std, protocol_note, save_png

__all__ = ["collect_runs", "summarise", "write_report"]

_METRICS = ("mse", "mae", "r2")


def _group_key(cfg: dict[str, Any]) -> str:
    """Everything of the config but the seeds: runs with equal keys are seeds of one setup."""
    data = dict(cfg.get("data", {}))
    model = {k: v for k, v in cfg.get("model", {}).items() if k != "seed"}
    train = {k: v for k, v in cfg.get("train", {}).items() if k not in ("seed", "threads")}
    return json.dumps({"data": data, "model": model, "train": train}, sort_keys=True)


def collect_runs(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Every finished run under ``paths``: its ``result.json`` plus ``folder`` and ``group``.

    ``paths`` is a list of folders (one str or path is one folder).

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: no finished run was found.

    >>> import tempfile
    >>> collect_runs(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no finished run (a folder with result.json) under '...'
    """
    from .run import load_run_config

    if isinstance(paths, (str, os.PathLike)):  # one folder, not the characters of its name
        paths = [paths]
    paths = list(paths)
    runs: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for path in paths:
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"{str(p)!r} does not exist")
        found = [p / "result.json"] if (p / "result.json").is_file() else sorted(
            p.rglob("result.json")
        )
        for result_path in found:
            folder = result_path.parent.resolve()
            if folder in seen:
                continue
            seen.add(folder)
            result = read_json(result_path)
            cfg = load_run_config(folder).to_nested()
            runs.append({**result, "folder": str(folder), "group": _group_key(cfg)})
    if not runs:
        listed = ", ".join(repr(str(p)) for p in paths)
        raise ValueError(f"no finished run (a folder with result.json) under {listed}")
    return runs


def summarise(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (dataset, protocol, setup): parameters, metrics mean ± std over seeds.

    ``pct_of_lstm`` is the row's total over that of the ``lstm`` row of the same dataset and
    protocol with the nearest hidden size (None without an ``lstm`` row).
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["dataset"], r["protocol"], r["group"]), []).append(r)
    rows = []
    for (dataset, protocol, _), members in groups.items():
        first = members[0]
        row: dict[str, Any] = {
            "dataset": dataset,
            "protocol": protocol,
            "title": first.get("title", first["model"]),
            "model": first["model"],
            "hidden_size": first.get("hidden_size"),
            "n_seeds": len(members),
            "seeds": sorted(m.get("seed") for m in members),
            "params_quantum": first["params"]["quantum"],
            "params_classical": first["params"]["classical"],
            "params_total": first["params"]["total"],
        }
        for metric in _METRICS:
            mean, std = mean_std([m.get("test", {}).get(metric) for m in members])
            row[f"test_{metric}_mean"], row[f"test_{metric}_std"] = mean, std
        row["seconds_per_epoch"] = mean_std([m.get("seconds_per_epoch") for m in members])[0]
        row["folders"] = [m["folder"] for m in members]
        rows.append(row)
    for row in rows:
        lstms = [r for r in rows if r["model"] == "lstm" and r["dataset"] == row["dataset"]
                 and r["protocol"] == row["protocol"]]
        if lstms:
            ref = min(lstms, key=lambda r: abs((r["hidden_size"] or 0) -
                                               (row["hidden_size"] or 0)))
            row["pct_of_lstm"] = 100.0 * row["params_total"] / ref["params_total"]
        else:
            row["pct_of_lstm"] = None
    rows.sort(key=lambda r: (r["dataset"], r["protocol"], r["params_total"], r["title"]))
    return rows


def _fmt(x: float | None, digits: int = 4, missing: str = "–") -> str:
    if x is None:
        return missing
    return f"{x:.{digits}g}"


def _cells(r: dict[str, Any], *, missing: str, pm: str, sep: str, pct_unit: str) -> list[str]:
    """One table row's cells: model, H, seeds, params, % LSTM, MSE, MAE, R², s/epoch."""

    def metric_text(metric: str) -> str:
        mean, std = r[f"test_{metric}_mean"], r[f"test_{metric}_std"]
        if mean is None:
            return missing
        return _fmt(mean) if std is None else f"{_fmt(mean)}{pm}{_fmt(std, 2)}"

    pct = missing if r["pct_of_lstm"] is None else f"{r['pct_of_lstm']:.1f}{pct_unit}"
    return [
        str(r["title"]),
        missing if r["hidden_size"] is None else str(r["hidden_size"]),
        str(r["n_seeds"]),
        sep.join(str(r[k]) for k in ("params_quantum", "params_classical", "params_total")),
        pct,
        metric_text("mse"),
        metric_text("mae"),
        metric_text("r2"),
        _fmt(r["seconds_per_epoch"], 3, missing),
    ]


def _markdown(rows: list[dict[str, Any]], plots: dict[str, list[str]]) -> str:
    lines = ["# qmem report", "",
             "Test metrics in the series' original units, mean ± sample std over seeds. "
             "Parameters are trainable parameters (quantum / classical / total); % LSTM is "
             "the total over the `lstm` of the nearest hidden size on the same data.", ""]
    for (dataset, protocol), group in by_table(rows).items():
        lines += [f"## {dataset} ({protocol})", "", f"_{protocol_note(protocol)}_",
                  "",
                  "| model | H | seeds | params (q / c / total) | % LSTM | test MSE | test MAE "
                  "| test R² | s/epoch |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in group:
            cells = _cells(r, missing="–", pm=" ± ", sep=" / ", pct_unit=" %")
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        for png in plots.get(f"{dataset}_{protocol}", []):
            lines += [f"![{png}]({png})", ""]
    return "\n".join(lines)


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("%", r"\%"), ("&", r"\&"),
                 ("#", r"\#")):
        text = text.replace(a, b)
    return text


def _latex(rows: list[dict[str, Any]]) -> str:
    parts = ["% generated by qmem report; needs \\usepackage{booktabs}"]
    for (dataset, protocol), group in by_table(rows).items():
        parts += [
            "\\begin{table}[ht]", "\\centering",
            f"\\caption{{{_latex_escape(dataset)}, {protocol} protocol: test metrics "
            "(mean $\\pm$ std over seeds).}",
            "\\begin{tabular}{lrrrrrrr}", "\\toprule",
            "Model & $H$ & Params (q/c/total) & \\% LSTM & MSE & MAE & $R^2$ & s/epoch \\\\",
            "\\midrule",
        ]
        for r in group:
            cells = _cells(r, missing="--", pm=" $\\pm$ ", sep="/", pct_unit="")
            del cells[2]  # no seeds column in the paper table (the caption says mean ± std)
            cells[0] = _latex_escape(cells[0])
            parts.append(" & ".join(cells) + " \\\\")
        parts += ["\\bottomrule", "\\end{tabular}", "\\end{table}", ""]
    return "\n".join(parts)


def _csv(rows: list[dict[str, Any]]) -> str:
    cols = ["dataset", "protocol", "title", "model", "hidden_size", "n_seeds",
            "params_quantum", "params_classical", "params_total", "pct_of_lstm",
            "test_mse_mean", "test_mse_std", "test_mae_mean", "test_mae_std",
            "test_r2_mean", "test_r2_std", "seconds_per_epoch"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        writer.writerow(["" if r[c] is None else r[c] for c in cols])
    return out.getvalue()


def _read_predictions(folder: str) -> tuple[list[int], list[float], list[float]]:
    idx, true, pred = [], [], []
    path = Path(folder) / "predictions.csv"
    if not path.is_file():
        return idx, true, pred
    with path.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["split"] != "test":
                continue
            idx.append(int(rec["target_index"]))
            true.append(float(rec.get("y_true", rec.get("y_true_1", "nan"))))
            pred.append(float(rec.get("y_pred", rec.get("y_pred_1", "nan"))))
    return idx, true, pred


def _read_curves(folder: str) -> tuple[list[float], list[float | None]]:
    train, val = [], []
    path = Path(folder) / "metrics.jsonl"
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                train.append(row["train_loss"])
                val.append(row.get("val_loss"))
    return train, val


def _plots(rows: list[dict[str, Any]], out: Path) -> dict[str, list[str]]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    made: dict[str, list[str]] = {}
    for (dataset, protocol), group in by_table(rows).items():
        tag = f"{dataset}_{protocol}"
        names = []
        # test predictions against truth (first seed of each setup)
        fig, ax = plt.subplots(figsize=(8, 4))
        truth_drawn = False
        for r in group:
            idx, true, pred = _read_predictions(r["folders"][0])
            if not idx:
                continue
            if not truth_drawn:
                ax.plot(idx, true, color="black", lw=2, label="truth")
                truth_drawn = True
            ax.plot(idx, pred, lw=1, label=f"{r['title']} (H={r['hidden_size']})")
        ax.set(title=f"{dataset} ({protocol}): test predictions", xlabel="series index",
               ylabel="value")
        ax.legend(fontsize=7)
        names.append(save_png(fig, out / f"{tag}_predictions.png"))
        # loss curves, mean over seeds
        fig, ax = plt.subplots(figsize=(8, 4))
        for r in group:
            curves = [_read_curves(f) for f in r["folders"]]
            length = min(len(c[0]) for c in curves) if curves else 0
            if length == 0:
                continue
            mean_train = [sum(c[0][e] for c in curves) / len(curves) for e in range(length)]
            line = ax.plot(range(1, length + 1), mean_train, label=f"{r['title']} train")[0]
            vals = [[c[1][e] for c in curves] for e in range(length)]
            if all(v is not None for vs in vals for v in vs):
                ax.plot(range(1, length + 1), [sum(vs) / len(vs) for vs in vals], ls="--",
                        color=line.get_color(), label=f"{r['title']} val")
        ax.set(title=f"{dataset} ({protocol}): loss (scaled MSE, mean over seeds)",
               xlabel="epoch", ylabel="loss", yscale="log")
        ax.legend(fontsize=7)
        names.append(save_png(fig, out / f"{tag}_loss.png"))
        # parameter-efficiency frontier
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in group:
            if r["test_mse_mean"] is None:
                continue
            ax.errorbar(r["params_total"], r["test_mse_mean"], yerr=r["test_mse_std"] or 0.0,
                        fmt="o", capsize=3, label=f"{r['title']} (H={r['hidden_size']})")
        ax.set(title=f"{dataset} ({protocol}): parameters vs test MSE",
               xlabel="trainable parameters", ylabel="test MSE", xscale="log", yscale="log")
        ax.legend(fontsize=7)
        names.append(save_png(fig, out / f"{tag}_frontier.png"))
        plt.close("all")
        made[tag] = names
    return made


def write_report(
    paths: Iterable[str | Path], out: str | Path, *, plots: bool = True
) -> dict[str, Any]:
    """Collect the runs under ``paths`` and write the report files into ``out``.

    Returns:
        ``{"rows": [...], "files": [...]}``: the summary rows and the files written.

    >>> import tempfile, pathlib
    >>> from qmem.experiments.config import ExperimentConfig
    >>> from qmem.experiments.run import run_experiment
    >>> runs = pathlib.Path(tempfile.mkdtemp())
    >>> for seed in (0, 1):
    ...     cfg = ExperimentConfig.from_dict({"data": {"name": "sine", "num": 60},
    ...         "model": {"name": "lstm", "hidden_size": 2},
    ...         "train": {"epochs": 1, "device": "cpu", "seed": seed}})
    ...     _ = run_experiment(cfg, runs / f"seed{seed}", progress=False)
    >>> made = write_report([runs], runs / "report", plots=False)
    >>> made["files"], made["rows"][0]["n_seeds"]
    (['report.md', 'results.csv', 'results.json', 'results.tex'], 2)
    """
    runs = collect_runs(paths)
    rows = summarise(runs)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    made = _plots(rows, folder) if plots else {}
    atomic_write_text(folder / "report.md", _markdown(rows, made))
    atomic_write_text(folder / "results.csv", _csv(rows))
    atomic_write_text(folder / "results.tex", _latex(rows))
    clean_runs = [{k: v for k, v in r.items() if k != "group"} for r in runs]
    atomic_write_json(folder / "results.json", {"rows": rows, "runs": clean_runs})
    files = ["report.md", "results.csv", "results.json", "results.tex"]
    files += [name for names in made.values() for name in names]
    return {"rows": rows, "files": files}
