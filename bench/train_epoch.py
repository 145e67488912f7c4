"""Benchmark: one training epoch on ``damped_shm``, quantum models against ``torch.nn.LSTM``.

Measures the wall-clock seconds of one training epoch (``qmem.experiments.trainer.
train_epoch``: forward, MSE of the forecast ``y[:, -1]``, backward, optimiser step, batch
after batch) of, in one process, on the same windows and through the same loop:

- ``qkan_lstm`` (hidden 5, reps 2, float32, batch 16) with its fast torch emulation
  (executor ``"auto"``, i.e. the Fourier form of the DARUAN edges);
- ``qlstm_2024`` in the QLSTM authors' setup (``configs/papers/qlstm_2024_chen.toml``:
  hidden 5, 5 layers, float64, window 4, batches of 10 in order, RMSprop lr 0.01) with the
  dense state-vector emulation (executor ``"statevector"``);
- the same two models with their circuits run by PennyLane ``default.qubit``
  (``qmem.models.set_executor(model, "pennylane", {"device": "default.qubit"})``);
- ``torch.nn.LSTM`` of the same hidden size with a ``Linear`` head, once in each of the two
  settings (same dtype, batch and optimiser), as the reference of the ``x nn.LSTM`` column.

Both settings use the authors' data protocol (damped SHM, 240 points, window 4, 157
training windows) and their optimiser (RMSprop lr 0.01, no shuffling); qkan_lstm only
changes the model, the dtype and the batch size.

Methodology: every timed epoch starts from the same initial parameters and a fresh
optimiser; each row is warmed up first (one untimed batch: QNode construction, lazy imports
and caches are not counted); the rows are timed round-robin (interleaved), ``--repeats``
times for the fast rows and ``--pl-repeats`` times for the PennyLane ones, and the median is
reported. PennyLane epochs are slow, so by default those rows time only the first
``--pl-batches`` batches of the epoch and scale the time by (batches per epoch) / (batches
timed), which the ``timed`` column says (``--pl-batches 0`` times whole epochs). The torch
thread count is set explicitly (``--threads``, default 1) and printed.

Before timing, the fast and the PennyLane executor of each quantum model are checked to
compute the same function: on float64 copies of the same initial model, the loss on the
first training batch, its forecasts and its gradient are compared (the script exits with
status 1 if the losses differ by more than ``--tol``, default 1e-6).

Run: ``python bench/train_epoch.py [--repeats 5] [--pl-repeats 1] [--pl-batches 3]
[--threads 1]``.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch
from torch import nn

from qmem.experiments import ExperimentConfig, load_config
from qmem.experiments.trainer import build_model, make_optimizer, prepare_data, train_epoch
from qmem.models import set_executor

ROOT = Path(__file__).resolve().parent.parent
PAPER_CONFIG = ROOT / "configs" / "papers" / "qlstm_2024_chen.toml"
PENNYLANE = ("pennylane", {"device": "default.qubit"})
CPU = torch.device("cpu")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


class TorchLSTM(nn.Module):
    """``torch.nn.LSTM`` (batch first) and a ``Linear`` head: ``x -> (head(out), state)``."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, seed: int) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seeded init without touching the global RNG
            torch.manual_seed(seed)
            self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
            self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        out, state = self.lstm(x)
        return self.head(out), state


def configs() -> dict[str, ExperimentConfig]:
    """The two settings: the authors' qlstm_2024 setup, and qkan_lstm on the same data."""
    paper = load_config(PAPER_CONFIG)
    qkan = ExperimentConfig.from_dict({
        "data": paper.data.to_flat(),
        "model": {"name": "qkan_lstm", "hidden_size": 5, "reps": 2},
        "train": {**paper.train.to_dict(), "batch_size": 16, "dtype": "float32"},
    })
    return {"qkan_lstm": qkan, "qlstm_2024": paper}


@dataclass
class Row:
    """One line of the table and what it needs to run one timed epoch."""

    model: str
    executor: str
    cfg: ExperimentConfig
    net: nn.Module
    X: torch.Tensor
    Y: torch.Tensor
    repeats: int
    scale: float = 1.0  # full-epoch batches / timed batches
    timed: str = ""
    reference: str = ""  # key of the nn.LSTM row of the same setting
    init: dict[str, torch.Tensor] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)

    def epoch(self) -> float:
        """Seconds of one (possibly partial) epoch from the initial parameters."""
        self.net.load_state_dict(self.init)
        opt = make_optimizer(self.cfg.train, self.net.parameters())
        gen = torch.Generator().manual_seed(self.cfg.train.seed)
        t0 = time.perf_counter()
        train_epoch(self.net, opt, self.X, self.Y, self.cfg.train, gen, 1)
        return time.perf_counter() - t0

    def warm_up(self) -> None:
        n = self.cfg.train.batch_size
        opt = make_optimizer(self.cfg.train, self.net.parameters())
        gen = torch.Generator().manual_seed(self.cfg.train.seed)
        train_epoch(self.net, opt, self.X[:n], self.Y[:n], self.cfg.train, gen, 1)
        self.net.load_state_dict(self.init)


def first_batch_check(model: nn.Module, X: torch.Tensor, Y: torch.Tensor,
                      fast: str) -> tuple[float, float, float, float]:
    """Loss of the first batch with executor ``fast`` and with PennyLane, float64.

    Returns (fast loss, |loss difference|, max |forecast difference|,
    max |gradient difference|).
    """
    out = []
    for executor, options in ((fast, None), PENNYLANE):
        net = copy.deepcopy(model).to(dtype=torch.float64)
        set_executor(net, executor, options)
        net.zero_grad(set_to_none=True)
        y, _ = net(X.double())
        loss = nn.functional.mse_loss(y[:, -1], Y.double())
        loss.backward()
        grad = torch.cat([p.grad.reshape(-1) for p in net.parameters() if p.grad is not None])
        out.append((float(loss.detach()), y.detach()[:, -1], grad))
    (l_fast, y_fast, g_fast), (l_pl, y_pl, g_pl) = out
    return (l_fast, abs(l_fast - l_pl), float((y_fast - y_pl).abs().max()),
            float((g_fast - g_pl).abs().max()))


def build_rows(args: argparse.Namespace) -> tuple[dict[str, Row], list[str]]:
    rows: dict[str, Row] = {}
    checks: list[str] = []
    for name, cfg in configs().items():
        dtype = DTYPES[cfg.train.dtype]
        split = prepare_data(cfg, dtype, CPU)
        X, Y = split.train.X, split.train.Y
        B = cfg.train.batch_size
        n_batches = math.ceil(X.shape[0] / B)
        fast = "auto" if name == "qkan_lstm" else "statevector"
        model = build_model(cfg, split, dtype, CPU)
        set_executor(model, fast)

        l_fast, d_loss, d_y, d_grad = first_batch_check(model, X[:B], Y[:B], fast)
        ok = d_loss <= args.tol
        checks.append(
            f"  {name:<11} first batch ({B} windows), float64: loss {fast} {l_fast:.10f}, "
            f"|loss {fast} - loss pennylane| = {d_loss:.1e}, max |forecast diff| = {d_y:.1e}, "
            f"max |grad diff| = {d_grad:.1e}"
            f"  {'OK' if ok else 'MISMATCH'}"
        )

        pl_model = copy.deepcopy(model)
        set_executor(pl_model, *PENNYLANE)
        k = args.pl_batches if 0 < args.pl_batches < n_batches else n_batches
        ref = TorchLSTM(int(X.shape[-1]), int(cfg.model.hidden_size), int(Y.shape[-1]),
                        seed=cfg.train.seed).to(dtype=dtype)
        full = f"{n_batches}/{n_batches} batches"
        specs = [
            (f"{name} fast", name, fast, model, X, Y, args.repeats, 1.0, full),
            (f"{name} pl", name, "pennylane default.qubit", pl_model, X[: k * B], Y[: k * B],
             args.pl_repeats, n_batches / k,
             full if k == n_batches else f"{k}/{n_batches} batches, x{n_batches / k:.2f}"),
            (f"{name} lstm", "torch.nn.LSTM", "-", ref, X, Y, args.repeats, 1.0, full),
        ]
        for key, label, executor, net, x, y, repeats, scale, timed in specs:
            rows[key] = Row(label, executor, cfg, net, x, y, repeats, scale,
                            f"{timed}, median of {repeats}", reference=f"{name} lstm",
                            init=copy.deepcopy(net.state_dict()))
    return rows, checks


def table(rows: dict[str, Row]) -> str:
    lines = [
        "| model | executor | dtype | batch | s/epoch (median) | x nn.LSTM | timed |",
        "|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows.values():
        sec = statistics.median(row.times) * row.scale
        ref = rows[row.reference]
        ratio = sec / (statistics.median(ref.times) * ref.scale)
        lines.append(
            f"| {row.model} | {row.executor} | {row.cfg.train.dtype} | "
            f"{row.cfg.train.batch_size} | {sec:.4g} | {ratio:.3g} | {row.timed} |"
        )
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5, help="timed epochs per fast row")
    p.add_argument("--pl-repeats", type=int, default=1, help="timed runs per PennyLane row")
    p.add_argument("--pl-batches", type=int, default=3,
                   help="batches timed in a PennyLane row, scaled to an epoch (0: all)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--tol", type=float, default=1e-6, help="first-batch loss tolerance")
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    rows, checks = build_rows(args)
    for row in rows.values():
        row.warm_up()
    for r in range(max(args.repeats, args.pl_repeats)):
        for row in rows.values():
            if r < row.repeats:
                row.times.append(row.epoch())

    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"# One training epoch on damped_shm (window 4, {rows['qlstm_2024 fast'].X.shape[0]}"
          " training windows, RMSprop lr 0.01, batches in order)")
    print(f"# torch {torch.__version__} ({torch.get_num_threads()} thread(s), "
          f"torch.set_num_threads({args.threads})), pennylane {version('pennylane')}")
    print(f"# {platform.machine()}, {os.cpu_count()} CPUs, load average {load}; "
          "medians of interleaved runs from the same initial parameters")
    print("# executor check (same initial model, fast vs pennylane default.qubit):")
    print("\n".join(checks))
    print()
    print(table(rows))
    print()
    print("'x nn.LSTM' = s/epoch relative to torch.nn.LSTM (same hidden size, dtype, batch, "
          "optimiser) in the same setting and run; rows timed on k of n batches are scaled "
          "by n/k to a full epoch.")
    return 0 if all(c.endswith("OK") for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
