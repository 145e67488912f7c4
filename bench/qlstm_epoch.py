"""One training epoch of ``qlstm_2024`` at the QLSTM authors' configuration, against nn.LSTM.

The authors' public script, as ``configs/papers/qlstm_2024_chen.toml`` holds it: damped SHM,
window 4, 157 training windows, batches of 10 in order, RMSprop (lr 0.01), float64, hidden
5, 5 layers of 6 qubits. One epoch is ``qmem.experiments.trainer.train_epoch`` (forward,
MSE of the forecast, backward, optimiser step per batch) — the same loop for qmem's model
and for ``torch.nn.LSTM`` + ``Linear`` head of the same hidden size, dtype and optimiser.

Rows: qmem with the sequence engine (the four gate VQCs stacked: one product state and one
matmul per step, the blocks built once per batch), qmem on the reference path (the four
VQCs one by one, ``sequence_engine = False``), and nn.LSTM. Each epoch starts from the same
parameters and a fresh optimiser; rows are timed round-robin (``--repeats`` times), medians
reported; one torch thread unless ``--threads``. The authors' own script takes 55-60 s per
epoch on this kind of CPU (measured in the issue that asked for this benchmark).

Run: ``python bench/qlstm_epoch.py [--repeats 7] [--threads 1]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from qmem.experiments import load_config
from qmem.experiments.trainer import build_model, make_optimizer, prepare_data, train_epoch

ROOT = Path(__file__).resolve().parent.parent
PAPER = ROOT / "configs" / "papers" / "qlstm_2024_chen.toml"


class TorchLSTM(nn.Module):
    """``nn.LSTM`` + ``Linear`` head with the qmem model interface."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.lstm = nn.LSTM(1, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor, state=None):
        out, st = self.lstm(x, state)
        return self.head(out), st


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(PAPER)
    dtype, cpu = torch.float64, torch.device("cpu")
    data = prepare_data(cfg, dtype, cpu)
    X, Y = data.train.X, data.train.Y
    engine = build_model(cfg, data, dtype, cpu)
    reference = build_model(cfg, data, dtype, cpu)
    reference.sequence_engine = False
    lstm = TorchLSTM(cfg.model.hidden_size).to(X.dtype)
    rows = {"qmem qlstm_2024 (engine)": engine, "qmem qlstm_2024 (reference path)": reference,
            "torch.nn.LSTM": lstm}
    inits = {k: {n: t.clone() for n, t in m.state_dict().items()} for k, m in rows.items()}
    times: dict[str, list[float]] = {k: [] for k in rows}

    def epoch(key: str) -> float:
        model = rows[key]
        model.load_state_dict(inits[key])
        opt = make_optimizer(cfg.train, model.parameters())
        gen = torch.Generator().manual_seed(cfg.train.seed)
        t0 = time.perf_counter()
        train_epoch(model, opt, X, Y, cfg.train, gen, 1)
        return time.perf_counter() - t0

    for key in rows:  # warm-up
        epoch(key)
    for _ in range(args.repeats):
        for key in rows:
            times[key].append(epoch(key))
    ref = statistics.median(times["torch.nn.LSTM"])
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {len(X)} training "
          f"windows, batch {cfg.train.batch_size}, {X.dtype}, medians of {args.repeats} "
          "interleaved epochs\n")
    print("| model | s / epoch | x nn.LSTM | x faster than the authors' script (55 s) |")
    print("|---|---|---|---|")
    for key, ts in times.items():
        med = statistics.median(ts)
        print(f"| {key} | {med:.4f} | {med / ref:.2f}x | {55 / med:,.0f}x |")


if __name__ == "__main__":
    main()
