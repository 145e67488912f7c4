"""A sweep's report: the experiment report plus the parameter-efficiency frontier per dataset.

:func:`write_sweep_report` runs :func:`qmem.experiments.report.write_report` on the sweep's
finished runs (``report.md``, ``results.csv/json/tex``, plots) and adds ``frontier.md``: per
dataset and protocol, every setup (runs equal but for their seeds) with its trainable
parameters and test MSE (mean ± std over seeds), sorted by parameters, the setups on the
Pareto frontier marked (no other setup has at most as many parameters and a lower mean test
MSE), and ``<dataset>_<protocol>_pareto.png`` (all setups with their seed spread, the frontier
as a step line). The runs are those listed in ``sweep.json`` (all under ``runs/`` without it).

>>> rows = [{"params_total": p, "test_mse_mean": m} for p, m in ((10, 3.0), (20, 1.0),
...                                                             (30, 2.0), (40, 0.5))]
>>> [r["params_total"] for r in pareto(rows)]
[10, 20, 40]
>>> row = {"dataset": "sine", "protocol": "honest", "title": "gru", "hidden_size": 2,
...        "n_seeds": 3, "params_total": 33, "test_mse_mean": 0.5, "test_mse_std": 0.1,
...        "folders": ["runs/abc"]}
>>> print(frontier_markdown([row]).splitlines()[-1])
| ★ | gru | 2 | – | 33 | 0.5 ± 0.1 | 3 |
>>> import tempfile
>>> sweep_run_folders(tempfile.mkdtemp())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: no finished run of the sweep in ...
>>> write_sweep_report(tempfile.mkdtemp())  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: no finished run of the sweep in ...
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .files import atomic_write_text, read_json
from .tables import by_table, save_png

__all__ = ["frontier_markdown", "pareto", "sweep_run_folders", "write_sweep_report"]


def pareto(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows on the frontier of fewest parameters and lowest mean test MSE, by params.

    A row is on it when every row with at most as many parameters has a higher mean test
    MSE (rows without an MSE are never on it).
    """
    ranked = sorted((r for r in rows if r.get("test_mse_mean") is not None),
                    key=lambda r: (r["params_total"], r["test_mse_mean"]))
    out: list[dict[str, Any]] = []
    best = float("inf")
    for r in ranked:
        if r["test_mse_mean"] < best:
            out.append(r)
            best = r["test_mse_mean"]
    return out


def sweep_run_folders(folder: str | Path) -> list[Path]:
    """The finished run folders of the sweep in ``folder`` (those of ``sweep.json``).

    Raises:
        ValueError: no finished run.
    """
    root = Path(folder)
    plan = root / "sweep.json"
    if plan.is_file():
        ids = [r["run_id"] for r in read_json(plan).get("runs", [])]
        found = [root / "runs" / rid for rid in ids]
    else:
        found = sorted(p for p in (root / "runs").glob("*") if p.is_dir())
    done = [p for p in found if (p / "result.json").is_file()]
    if not done:
        raise ValueError(f"no finished run of the sweep in {str(root)!r}")
    return done


def _budgets(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for r in rows:
        folder = Path(r["folders"][0])
        try:
            out[r["folders"][0]] = read_json(folder / "result.json").get("budget")
        except (OSError, ValueError):
            out[r["folders"][0]] = None
    return out


def _fmt(x: float | None, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}g}"


def frontier_markdown(rows: Sequence[dict[str, Any]], pngs: dict[str, str] | None = None
                      ) -> str:
    """``frontier.md``: per dataset and protocol, the setups by parameters, frontier marked.

    Args:
        rows: the summary rows of :func:`qmem.experiments.report.summarise`.
        pngs: per ``dataset_protocol``, the frontier plot's file name.
    """
    budgets = _budgets(rows)
    lines = ["# Parameter-efficiency frontier", "",
             "Per dataset: every setup (runs equal but for their seeds), by trainable "
             "parameters; test MSE in original units, mean ± sample std over seeds. ★ marks "
             "the Pareto frontier: no setup with at most as many parameters has a lower mean "
             "test MSE.", ""]
    for (dataset, protocol), group in by_table(rows).items():
        on = {id(r) for r in pareto(group)}
        lines += [f"## {dataset} ({protocol})", "",
                  "| frontier | model | H | budget | params | test MSE | seeds |",
                  "|---|---|---|---|---|---|---|"]
        for r in sorted(group, key=lambda r: (r["params_total"], r["test_mse_mean"]
                                               if r["test_mse_mean"] is not None
                                               else float("inf"))):
            mse = _fmt(r["test_mse_mean"])
            if r["test_mse_std"] is not None:
                mse += f" ± {_fmt(r['test_mse_std'], 2)}"
            budget = budgets.get(r["folders"][0])
            lines.append(
                f"| {'★' if id(r) in on else ''} | {r['title']} | "
                f"{'–' if r['hidden_size'] is None else r['hidden_size']} | "
                f"{'–' if budget is None else budget} | {r['params_total']} | {mse} | "
                f"{r['n_seeds']} |"
            )
        lines.append("")
        png = (pngs or {}).get(f"{dataset}_{protocol}")
        if png:
            lines += [f"![{png}]({png})", ""]
    return "\n".join(lines)


def _pareto_plots(rows: Sequence[dict[str, Any]], out: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    made: dict[str, str] = {}
    for (dataset, protocol), group in by_table(rows).items():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        by_model: dict[str, list[dict[str, Any]]] = {}
        for r in group:
            if r["test_mse_mean"] is not None:
                by_model.setdefault(r["title"], []).append(r)
        for title, members in sorted(by_model.items()):
            members.sort(key=lambda r: r["params_total"])
            ax.errorbar([r["params_total"] for r in members],
                        [r["test_mse_mean"] for r in members],
                        yerr=[r["test_mse_std"] or 0.0 for r in members],
                        fmt="o-", capsize=3, lw=0.8, label=title)
        front = pareto(group)
        if front:
            xs = [r["params_total"] for r in front]
            ys = [r["test_mse_mean"] for r in front]
            ax.step(xs, ys, where="post", color="black", lw=1.5, ls="--", label="frontier")
        ax.set(title=f"{dataset} ({protocol}): parameter-efficiency frontier",
               xlabel="trainable parameters", ylabel="test MSE (mean ± std over seeds)",
               xscale="log", yscale="log")
        ax.legend(fontsize=7)
        made[f"{dataset}_{protocol}"] = save_png(fig, out / f"{dataset}_{protocol}_pareto.png")
    return made


def write_sweep_report(folder: str | Path, *, plots: bool = True,
                       out: str | Path | None = None) -> dict[str, Any]:
    """Write the report of the sweep in ``folder`` (into ``out``, default ``folder``).

    Returns:
        ``{"rows": [...], "files": [...]}`` as :func:`qmem.experiments.report.write_report`,
        with ``frontier.md`` and the frontier plots added.

    Raises:
        ValueError: the sweep has no finished run.
    """
    from .report import write_report

    target = Path(out) if out is not None else Path(folder)
    made = write_report(sweep_run_folders(folder), target, plots=plots)
    pngs = _pareto_plots(made["rows"], target) if plots else {}
    atomic_write_text(target / "frontier.md", frontier_markdown(made["rows"], pngs))
    return {"rows": made["rows"], "files": [*made["files"], "frontier.md", *pngs.values()]}
