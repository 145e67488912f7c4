"""Benchmark for a machine with a GPU: QKANLayer and a QKAN-LSTM training epoch, CUDA vs CPU.

Rows, each timed on CPU and on CUDA in the same process (float32 unless ``--dtype``):

- ``QKANLayer(W, W)`` forward + backward (``pz``, reps 2, executor ``auto``) at batch B, for
  W in ``--widths`` and B in ``--batches``;
- one training epoch of ``qkan_lstm`` (``qmem.experiments.trainer.train_epoch``: data order,
  forward, MSE, backward, Adam step, batch after batch) on ``damped_shm`` (window 4) at hidden
  sizes ``--hidden`` and batch sizes ``--train-batches``: the whole loop, with the data on the
  device (the loop reads the batch losses back once per epoch on CUDA).

Every CUDA time is taken after ``torch.cuda.synchronize()`` on both ends; each row is warmed
up first and timed ``--repeats`` times, CPU and CUDA interleaved, median reported. The CPU
thread count is set explicitly (``--threads``, default: all cores) and printed. Before
timing, each CUDA row's output (layer) or loss (epoch, float64 copy) is compared with the
CPU one (``--tol``, default 1e-5 relative); a mismatch exits with status 1.

Without CUDA the script says so and exits with status 2 (nothing to compare).

Run: ``python bench/gpu.py [--repeats 10] [--threads N] [--dtype float32|float64]``.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from collections.abc import Callable

import torch

from qmem.circuits import QKANLayer
from qmem.experiments import ExperimentConfig
from qmem.experiments.trainer import build_model, make_optimizer, prepare_data, train_epoch


def median_s(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    def once() -> float:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return time.perf_counter() - t0

    once()  # warm-up: kernels, caches, lazy imports
    return statistics.median(once() for _ in range(repeats))


def layer_rows(args: argparse.Namespace, dtype: torch.dtype, cuda: torch.device) -> list[str]:
    rows = []
    for width in args.widths:
        for batch in args.batches:
            made = {}
            for label, dev in (("cpu", torch.device("cpu")), ("cuda", cuda)):
                layer = QKANLayer(width, width, reps=2, seed=0).to(device=dev, dtype=dtype)
                x = torch.randn(batch, width, generator=torch.Generator().manual_seed(1),
                                dtype=dtype).to(dev)
                made[label] = (layer, x)
            with torch.no_grad():
                ref = made["cpu"][0](made["cpu"][1])
                got = made["cuda"][0](made["cuda"][1]).cpu()
            err = float((got - ref).abs().max() / ref.abs().max().clamp_min(1e-30))
            if err > args.tol:
                sys.exit(f"QKANLayer({width}, {width}) at batch {batch}: CUDA differs from CPU "
                         f"by {err:.2e} (relative)")
            times = {}
            for label, (layer, x) in made.items():
                def step(layer: QKANLayer = layer, x: torch.Tensor = x) -> None:
                    layer.zero_grad(set_to_none=True)
                    layer(x).square().mean().backward()

                times[label] = median_s(step, x.device, args.repeats)
            rows.append(f"QKANLayer({width},{width}) fwd+bwd, batch {batch:<5} "
                        f"{1e3 * times['cpu']:>10.2f} {1e3 * times['cuda']:>10.2f} "
                        f"{times['cpu'] / times['cuda']:>8.2f}x")
    return rows


def epoch_rows(args: argparse.Namespace, cuda: torch.device) -> list[str]:
    rows = []
    for hidden in args.hidden:
        for batch in args.train_batches:
            cfg = ExperimentConfig.from_dict({
                "data": {"name": "damped_shm", "window": 4},
                "model": {"name": "qkan_lstm", "hidden_size": hidden, "reps": 2},
                "train": {"batch_size": batch, "lr": 0.01, "dtype": args.dtype},
            })
            dtype = torch.float64 if args.dtype == "float64" else torch.float32
            setups = {}
            for label, dev in (("cpu", torch.device("cpu")), ("cuda", cuda)):
                split = prepare_data(cfg, dtype, dev)
                model = build_model(cfg, split, dtype, dev)
                setups[label] = (model, split)
            # the same function: one epoch's mean loss from the same start, CPU vs CUDA
            losses = {}
            for dev_type, (model, split) in setups.items():
                m = copy.deepcopy(model)
                opt = make_optimizer(cfg.train, m.parameters())
                g = torch.Generator().manual_seed(0)
                losses[dev_type] = train_epoch(m, opt, split.train.X, split.train.Y,
                                               cfg.train, g, 1)
            err = abs(losses["cuda"] - losses["cpu"]) / max(abs(losses["cpu"]), 1e-30)
            if err > max(args.tol, 1e-4 if dtype == torch.float32 else 0.0):
                sys.exit(f"qkan_lstm H={hidden} batch {batch}: epoch loss on CUDA "
                         f"{losses['cuda']:.6g} vs CPU {losses['cpu']:.6g}")
            times = {}
            for dev_type, (model, split) in setups.items():
                def epoch(model: torch.nn.Module = model, split: object = split,
                          train: object = cfg.train) -> None:
                    m = copy.deepcopy(model)  # every timed epoch from the same start
                    opt = make_optimizer(train, m.parameters())
                    g = torch.Generator().manual_seed(0)
                    train_epoch(m, opt, split.train.X, split.train.Y, train, g, 1)

                times[dev_type] = median_s(epoch, split.train.X.device, args.repeats)
            n = int(setups["cpu"][1].train.X.shape[0])
            rows.append(f"qkan_lstm epoch, H={hidden:<3} batch {batch:<4} ({n} windows) "
                        f"{1e3 * times['cpu']:>8.1f} {1e3 * times['cuda']:>10.1f} "
                        f"{times['cpu'] / times['cuda']:>8.2f}x")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--tol", type=float, default=1e-5)
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 4096])
    parser.add_argument("--hidden", type=int, nargs="+", default=[5, 32])
    parser.add_argument("--train-batches", type=int, nargs="+", default=[16, 256])
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("bench/gpu.py: torch sees no CUDA device; run it on a machine with a GPU",
              file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(args.threads)
    cuda = torch.device("cuda")
    dtype = torch.float64 if args.dtype == "float64" else torch.float32
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name(cuda)}, CPU threads "
          f"{torch.get_num_threads()}, {args.dtype}, median of {args.repeats}")
    print(f"{'row':<48} {'CPU ms':>10} {'CUDA ms':>10} {'speed-up':>9}")
    for line in layer_rows(args, dtype, cuda) + epoch_rows(args, cuda):
        print(line)


if __name__ == "__main__":
    main()
