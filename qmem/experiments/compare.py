"""Train several models side by side on the same data and report: ``qmem compare``.

A comparison is the grid datasets × models × sizes × seeds of experiment configs that share
every other setting. Each run is a run folder ``OUT/runs/<run id>`` (the id a stable hash of
its resolved config), so calling the comparison again skips finished runs and resumes
unfinished ones; the report is rebuilt from the run folders' files at the end.

The embedded default study (no arguments): ``damped_shm`` and ``bessel``; ``lstm``, ``gru``,
``qlstm_2024``, ``qkan_lstm`` and ``hqkan_lstm`` (the QKAN models with one re-uploading,
``reps = 1``, their most parameter-efficient setting) at hidden sizes 2 and 4; 3 seeds;
30 epochs; honest protocol; float32 on CPU; 60 runs in about a minute on 2 cores.

>>> cfgs = study_configs(datasets=("sine",), models=("lstm", "gru"), seeds=(0, 1), epochs=1,
...                      hidden_sizes=(4,))
>>> len(cfgs), cfgs[0].model.name, cfgs[0].train.epochs
(4, 'lstm', 1)
>>> import tempfile
>>> out = run_compare(cfgs, tempfile.mkdtemp(), progress=False, report=False, vectorize=True)
>>> len(out["done"]), out["failed"]
(4, {})
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .config import ExperimentConfig
from .run import run_experiment, run_id

__all__ = [
    "DEFAULT_DATASETS",
    "DEFAULT_MODELS",
    "DEFAULT_MODEL_OPTIONS",
    "run_compare",
    "study_configs",
]

DEFAULT_DATASETS: tuple[str, ...] = ("damped_shm", "bessel")
"""The default study's datasets."""
DEFAULT_MODELS: tuple[str, ...] = ("lstm", "gru", "qlstm_2024", "qkan_lstm", "hqkan_lstm")
"""The default study's models."""
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)
DEFAULT_HIDDEN: tuple[int, ...] = (2, 4)
DEFAULT_EPOCHS = 30
DEFAULT_MODEL_OPTIONS: dict[str, dict[str, Any]] = {
    "qkan_lstm": {"reps": 1},
    "hqkan_lstm": {"reps": 1},
}
"""Options the default study gives models (``model_options`` replaces them per model)."""


def _has_option(model: str, option: str) -> bool:
    from .. import models

    return option in models.config_class(model).model_fields


def study_configs(
    *,
    datasets: Sequence[str] = DEFAULT_DATASETS,
    models: Sequence[str] = DEFAULT_MODELS,
    hidden_sizes: Sequence[int] | None = None,
    budgets: Sequence[int] | None = None,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    epochs: int = DEFAULT_EPOCHS,
    executor: str | None = None,
    device: str = "cpu",
    dtype: str = "float32",
    protocol: str = "honest",
    window: int = 4,
    batch_size: int = 16,
    lr: float = 0.01,
    threads: int | None = None,
    model_options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[ExperimentConfig]:
    """The experiment configs of a comparison (validated; nothing is run).

    Args:
        datasets: registered dataset names.
        models: registered model names.
        hidden_sizes: hidden sizes, each model at each (default ``[2, 4]``); or
        budgets: parameter budgets instead, each model at the hidden size nearest each.
        seeds: training seeds (model weights and data order).
        epochs: epochs per run.
        executor: circuit executor of the quantum models (None: each model's default).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        dtype: ``"float32"`` or ``"float64"``.
        protocol: ``"honest"`` or ``"paper"``.
        window: input window length.
        batch_size: training batch size.
        lr: learning rate (Adam).
        threads: torch threads per run (None: torch's setting).
        model_options: options per model name (e.g. ``{"qkan_lstm": {"reps": 2}}``); a model
            not named keeps :data:`DEFAULT_MODEL_OPTIONS`.

    Raises:
        ValueError: an empty axis, an axis that repeats a value, both ``hidden_sizes`` and
            ``budgets``, ``model_options`` for a model not compared, or any invalid value
            (checked by the experiment config).
    """
    if hidden_sizes is not None and budgets is not None:
        raise ValueError("give hidden_sizes or budgets, not both")
    for name, axis in (("datasets", datasets), ("models", models), ("seeds", seeds),
                       ("hidden_sizes", hidden_sizes), ("budgets", budgets)):
        if axis is None and name in ("hidden_sizes", "budgets"):
            continue
        if name in ("hidden_sizes", "budgets") and not isinstance(axis, str) and not axis:
            raise ValueError("hidden_sizes / budgets must not be empty")
        if isinstance(axis, str) or len(axis) == 0:
            raise ValueError(f"{name} must be a non-empty list, got {axis!r}")
        repeated = sorted({repr(v) for v in axis if list(axis).count(v) > 1})
        if repeated:
            raise ValueError(
                f"{name} repeats {', '.join(repeated)}: each run would be made twice"
            )
    unused = sorted(set(model_options or {}) - set(models))
    if unused:
        raise ValueError(
            f"model_options name model(s) {unused} that are not compared; models: {list(models)}"
        )
    sizes: list[dict[str, int]]
    if budgets is not None:
        sizes = [{"budget": b} for b in budgets]
    else:
        sizes = [{"hidden_size": h} for h in
                 (DEFAULT_HIDDEN if hidden_sizes is None else hidden_sizes)]
    if not sizes:
        raise ValueError("hidden_sizes / budgets must not be empty")
    extra = {**DEFAULT_MODEL_OPTIONS, **dict(model_options or {})}
    configs = []
    for dataset in datasets:
        for model in models:
            options = dict(extra.get(model, {}))
            if executor is not None and _has_option(model, "executor"):
                options["executor"] = executor
            for size in sizes:
                for seed in seeds:
                    configs.append(ExperimentConfig.from_dict({
                        "data": {"name": dataset, "window": window, "protocol": protocol},
                        "model": {"name": model, **size, **options},
                        "train": {"epochs": epochs, "batch_size": batch_size, "lr": lr,
                                  "seed": seed, "device": device, "dtype": dtype,
                                  "threads": threads},
                    }))
    return configs


def run_compare(
    configs: Sequence[ExperimentConfig],
    out: str | Path,
    *,
    progress: bool | None = None,
    report: bool = True,
    log: Callable[[str], None] | None = None,
    vectorize: bool = False,
) -> dict[str, Any]:
    """Run every config into ``out/runs/<run id>`` (finished runs skipped), then report.

    A failed run is recorded and the comparison goes on; the return value lists it. With
    ``vectorize`` the seeds of each setup are trained together as one vectorised model
    (:mod:`qmem.experiments.vectorize`: the same results, each in its own run folder).

    Returns:
        ``{"done": [run ids], "failed": {run id: error}, "report": files or None}``.

    Raises:
        ValueError: ``vectorize`` with a config that cannot be vectorised (LBFGS).
    """
    from tqdm.auto import tqdm

    folder = Path(out)
    runs = folder / "runs"
    done: list[str] = []
    failed: dict[str, str] = {}
    if vectorize:
        from .vectorize import vector_groups

        groups = vector_groups(configs)
    else:
        groups = [[cfg] for cfg in configs]
    bar = tqdm(total=sum(len(g) for g in groups), desc="runs", unit="run",
               disable=(None if progress is None else not progress))
    t0 = time.perf_counter()
    for group in groups:
        cfg = group[0]
        bar.set_postfix(run=f"{cfg.data.name}/{cfg.title}/seed{cfg.train.seed}"
                        + (f" x{len(group)}" if len(group) > 1 else ""), refresh=True)
        for cfg, outcome in zip(group, _run_group(group, runs), strict=True):
            rid = outcome["run_id"]
            bar.update(1)
            if outcome["state"] != "done":
                failed[rid] = outcome["error"]
                if log:
                    log(f"run {rid} ({cfg.data.name}, {cfg.title}, seed {cfg.train.seed}) "
                        f"failed: {failed[rid]}")
                continue
            result = outcome["result"]
            done.append(rid)
            if log:
                log(f"{cfg.data.name:<14} {cfg.title:<12} H={result['hidden_size']!s:<4} "
                    f"seed {cfg.train.seed}  params {result['params']['total']:>5}  "
                    f"test MSE {_num(result['test']['mse'])}")
    bar.close()
    files = None
    if report and done:
        from .report import write_report

        files = write_report([runs], folder)["files"]
    return {"done": done, "failed": failed, "report": files,
            "seconds": time.perf_counter() - t0}


def _run_group(group: Sequence[ExperimentConfig], runs: Path) -> list[dict[str, Any]]:
    """Outcomes (``run_id``, ``state``, ``error``, ``result``) of one run or seed group."""
    if len(group) > 1:
        from .vectorize import train_vectorized

        return train_vectorized(group, [runs / run_id(c) for c in group])
    cfg = group[0]
    rid = run_id(cfg)
    try:
        result = run_experiment(cfg, runs / rid, resume=True, progress=False)
    except (RuntimeError, ValueError, TypeError, ImportError, OSError) as err:
        return [{"run_id": rid, "state": "failed", "error": f"{type(err).__name__}: {err}",
                 "result": None}]
    return [{"run_id": rid, "state": "done", "error": None, "result": result}]


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.4g}"
