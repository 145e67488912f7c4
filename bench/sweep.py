"""Benchmark: five seeds of one config, trained separately or together (``--vectorize``).

The study's models are tiny and their training is bound by per-op overhead, so five seeds cost
five times one. ``qmem.experiments.vectorize`` trains the seeds of one config as one
vectorised model (stacked parameters under ``torch.func.vmap``) with the same results. This
script measures, for ``lstm`` and ``qkan_lstm`` (hidden 2, reps 1, the default study's
setting) on ``damped_shm`` (240 points, window 4, 168 training windows, batch 16, Adam,
float32, ``--epochs`` epochs):

1. whole runs in this process (run folders written, as a sweep writes them): one seed alone,
   five seeds one after the other, five seeds vectorised; the ratio of each to one run
   (target: five vectorised <= 1.5x one). Interleaved ``--repeats`` times, median. Also the
   training time of an epoch alone (``timings.jsonl``: forward, backward, optimiser steps; no
   data making, no files): one seed's, and the five vectorised seeds' together.
2. a whole ``qmem sweep`` (both models x 5 seeds = 10 runs) on the local pool with
   ``--workers`` workers, separate against ``--vectorize``, worker start-up included:
   wall time and runs per hour. Run once each (``--sweep-repeats``).

Threads: one torch thread per run (``[train] threads = 1``; the sweep's workers likewise).
The machine may be shared: the table prints the load average before and after.

Run: ``python bench/sweep.py [--epochs 30] [--repeats 3] [--workers 2] [--no-sweep]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from qmem.experiments import ExperimentConfig, run_experiment
from qmem.experiments.sweep import run_sweep
from qmem.experiments.sweep_config import sweep_from_dict
from qmem.experiments.vectorize import train_vectorized

MODELS = ("lstm", "qkan_lstm")
SEEDS = (0, 1, 2, 3, 4)


def base(epochs: int) -> dict[str, Any]:
    return {
        "data": {"name": "damped_shm", "window": 4},
        "model": {"name": "lstm", "hidden_size": 2},
        "train": {"epochs": epochs, "batch_size": 16, "lr": 0.01, "device": "cpu",
                  "dtype": "float32", "threads": 1},
    }


def config(model: str, seed: int, epochs: int) -> ExperimentConfig:
    b = base(epochs)
    b["model"] = {"name": model, "hidden_size": 2, **({"reps": 1} if "qkan" in model else {})}
    b["train"]["seed"] = seed
    return ExperimentConfig.from_dict(b)


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def epoch_seconds(folder: Path) -> float:
    """Median training seconds of one epoch of the run in ``folder`` (for a vectorised run:
    of the whole group's epoch)."""
    rows = [json.loads(line) for line in (folder / "timings.jsonl").read_text().splitlines()]
    return statistics.median(r["seconds"] * r.get("vectorized", 1) for r in rows)


def in_process(model: str, epochs: int, repeats: int, root: Path) -> dict[str, float]:
    cfgs = [config(model, s, epochs) for s in SEEDS]
    times: dict[str, list[float]] = {"one": [], "separate": [], "vectorised": [],
                                     "epoch_one": [], "epoch_vec": []}
    outcomes: list[dict[str, Any]] = []

    def fresh(name: str) -> Path:
        d = root / name
        shutil.rmtree(d, ignore_errors=True)
        return d

    def one() -> None:
        run_experiment(cfgs[0], fresh("one"), progress=False)

    def separate() -> None:
        for i, c in enumerate(cfgs):
            run_experiment(c, fresh(f"sep{i}"), progress=False)

    def vectorised() -> None:
        folders = [fresh(f"vec{i}") for i in range(len(cfgs))]
        outcomes[:] = train_vectorized(cfgs, folders)

    one()  # warm-up: imports, caches
    vectorised()
    if any(o["state"] != "done" or "note" in o for o in outcomes):
        raise SystemExit(f"{model}: the seeds were not trained together: {outcomes[0]}")
    for _ in range(repeats):  # interleaved
        times["one"].append(timed(one))
        times["epoch_one"].append(epoch_seconds(root / "one"))
        times["separate"].append(timed(separate))
        times["vectorised"].append(timed(vectorised))
        times["epoch_vec"].append(epoch_seconds(root / "vec0"))
    return {k: statistics.median(v) for k, v in times.items()}


def sweep_wall(epochs: int, workers: int, vectorize: bool, root: Path) -> float:
    sweep = sweep_from_dict({
        "base": base(epochs),
        "axes": {"model.name": list(MODELS), "train.seed": list(SEEDS)},
        "models": {"qkan_lstm": {"reps": 1}},
    })
    out = root / ("sweep_vec" if vectorize else "sweep_sep")
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    result = run_sweep(sweep, out, workers=workers, vectorize=vectorize, progress=False,
                       report=False)
    wall = time.perf_counter() - t0
    if result["failed"] or len(result["done"]) != len(MODELS) * len(SEEDS):
        raise SystemExit(f"sweep failed: {result['failed']}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweep-repeats", type=int, default=1)
    parser.add_argument("--no-sweep", action="store_true", help="skip part 2")
    args = parser.parse_args()
    torch.set_num_threads(1)
    load0 = os.getloadavg()[0]
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, 1 torch thread per run, {args.epochs} epochs, "
          f"load average {load0:.2f}")
    with tempfile.TemporaryDirectory(prefix="qmem-bench-sweep-") as tmp:
        root = Path(tmp)
        print()
        print(f"1. whole runs in one process (median of {args.repeats}, interleaved)")
        print(f"{'model':<10} {'one seed':>9} {'5 separate':>11} {'5 vectorised':>13} "
              f"{'separate/one':>13} {'vectorised/one':>15} {'speed-up':>9} "
              f"{'epoch: one':>11} {'5 vec':>8} {'5 vec/one':>10}")
        for model in MODELS:
            t = in_process(model, args.epochs, args.repeats, root / model)
            print(f"{model:<10} {t['one']:>8.2f}s {t['separate']:>10.2f}s "
                  f"{t['vectorised']:>12.2f}s {t['separate'] / t['one']:>12.2f}x "
                  f"{t['vectorised'] / t['one']:>14.2f}x "
                  f"{t['separate'] / t['vectorised']:>8.2f}x "
                  f"{1e3 * t['epoch_one']:>9.1f}ms {1e3 * t['epoch_vec']:>6.1f}ms "
                  f"{t['epoch_vec'] / t['epoch_one']:>9.2f}x")
        if not args.no_sweep:
            print()
            n = len(MODELS) * len(SEEDS)
            print(f"2. qmem sweep, {n} runs ({' and '.join(MODELS)} x {len(SEEDS)} seeds), "
                  f"local pool of {args.workers} workers, start-up included "
                  f"(median of {args.sweep_repeats})")
            print(f"{'mode':<12} {'wall':>8} {'runs/hour':>10}")
            walls: dict[str, list[float]] = {"separate": [], "vectorised": []}
            for _ in range(args.sweep_repeats):
                walls["separate"].append(sweep_wall(args.epochs, args.workers, False, root))
                walls["vectorised"].append(sweep_wall(args.epochs, args.workers, True, root))
            for mode, values in walls.items():
                w = statistics.median(values)
                print(f"{mode:<12} {w:>7.1f}s {3600 * n / w:>10.0f}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (2-core machine shared with "
          "other work: absolute times vary, ratios less)")


if __name__ == "__main__":
    main()
