"""Benchmark: the QLSTM VQC (4-qubit chen2020, 2 layers), forward + backward in float64.

Compares, at batch 1, 32 and 256, in one process:

- qmem dense emulation (``executor="statevector"``, ``method="dense"``): product state,
  one 16x16 block unitary, one complex matmul;
- qmem gate by gate (``method="gates"``): one torch op per gate;
- PennyLane ``default.qubit`` with backprop and parameter broadcasting;
- PennyLane ``lightning.qubit`` with the adjoint method (one circuit per sample);
- qiskit-aer (statevector, parameter-shift gradients).

Each timing is the median of repeated runs of ``loss = vqc(x, w).sum(); loss.backward()``,
taken round-robin over the backends (so that load changes hit all of them alike), fewer
repeats for the slow backends. Threads are set explicitly: torch 1 thread, aer 1 thread,
OpenMP (lightning) 1 thread. Outputs and gradients of every backend are compared with the
dense emulation (max abs difference printed).

A second table (``--scaling``; skip it with ``--no-scaling``) times qmem's default
(``statevector``, method ``auto``) against PennyLane ``default.qubit`` (backprop) for
``chen2020`` with 4, 6, 7 and 8 qubits (2 layers) at batch 1, 32 and 1024, with the gradient
of the weights only and of the weights and the input, so that the input gradient's cost and
the step from 6 to 7-8 qubits show as ratios to the same reference in one run.

Run: ``python bench/vqc.py [--quick] [--no-scaling] [--json results.json]``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # lightning's OpenMP; before any import

import argparse
import itertools
import json
import platform
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version

import torch

from qmem.circuits.vqc import vqc

BATCHES = (1, 32, 256)
# name -> (vqc options, repeats at batch 1 / 32 / 256)
BACKENDS: dict[str, tuple[dict[str, object], tuple[int, int, int]]] = {
    "qmem dense": ({"method": "dense"}, (200, 200, 100)),
    "qmem gates": ({"method": "gates"}, (50, 50, 30)),
    "default.qubit (backprop)": (
        {"executor": "pennylane", "device": "default.qubit", "diff_method": "backprop"},
        (15, 15, 10),
    ),
    "lightning.qubit (adjoint)": (
        {"executor": "pennylane", "device": "lightning.qubit", "diff_method": "adjoint"},
        (10, 5, 3),
    ),
    "qiskit-aer (param. shift)": (
        {"executor": "qiskit", "max_parallel_threads": 1},
        (10, 5, 3),
    ),
}


def _step(x: torch.Tensor, w: torch.Tensor, options: dict[str, object]) -> Callable[[], tuple]:
    def run() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        xr = x.detach().requires_grad_(True)
        wr = w.detach().requires_grad_(True)
        out = vqc(xr, wr, family="chen2020", **options)
        out.sum().backward()
        return out.detach(), xr.grad, wr.grad

    return run


def bench(scale: float) -> dict[str, dict[int, dict[str, float]]]:
    """Median seconds per forward+backward and max abs deviations, per backend and batch."""
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(0)
    w = 0.5 * torch.randn(2, 4, 3, generator=gen, dtype=torch.float64)
    results: dict[str, dict[int, dict[str, float]]] = {name: {} for name in BACKENDS}
    for b_index, batch in enumerate(BATCHES):
        x = torch.randn(batch, 4, generator=gen, dtype=torch.float64)
        steps = {name: _step(x, w, opts) for name, (opts, _) in BACKENDS.items()}
        reference = steps["qmem dense"]()
        for name, step in steps.items():  # warm-up (caches, QNodes, transpilation) + check
            out = step()
            results[name][batch] = {
                "max_abs_diff_out": max(
                    (a - b).abs().max().item() for a, b in zip(out[:1], reference[:1], strict=True)
                ),
                "max_abs_diff_grad": max(
                    (a - b).abs().max().item() for a, b in zip(out[1:], reference[1:], strict=True)
                ),
            }
        repeats = {n: max(1, round(r[b_index] * scale)) for n, (_, r) in BACKENDS.items()}
        times: dict[str, list[float]] = {name: [] for name in BACKENDS}
        for round_ in range(max(repeats.values())):
            for name, step in steps.items():
                if round_ < repeats[name]:
                    t0 = time.perf_counter()
                    step()
                    times[name].append(time.perf_counter() - t0)
        for name in BACKENDS:
            results[name][batch]["median_s"] = statistics.median(times[name])
            results[name][batch]["repeats"] = len(times[name])
    return results


SCALING_QUBITS = (4, 6, 7, 8)
SCALING_BATCHES = (1, 32, 1024)


def _timed(fns: dict[str, Callable[[], object]], repeats: int, budget_s: float) -> dict:
    """Median seconds per call, round-robin; a slow function gets fewer repeats, a fast one
    (under 50 ms) one untimed call before each timed one (after a slow backend the caches
    are cold: measured up to 2x on a 1 ms call)."""
    counts, rewarm = {}, {}
    for name, fn in fns.items():  # warm-up and the repeat budget
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        counts[name] = max(1, min(repeats, int(budget_s / max(first, 1e-9))))
        rewarm[name] = first < 0.05
    times: dict[str, list[float]] = {name: [] for name in fns}
    for k in range(max(counts.values())):
        for name, fn in fns.items():
            if k < counts[name]:
                if rewarm[name]:
                    fn()
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def scaling(scale: float) -> str:
    """Markdown table: qmem vs default.qubit over qubits x batch x which gradient."""
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(1)
    repeats = max(3, round(15 * scale))
    qml = {"executor": "pennylane", "device": "default.qubit", "diff_method": "backprop"}
    lines = [
        "| qubits | batch | grad | qmem ms | default.qubit ms | x default.qubit | max diff |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for n, batch in itertools.product(SCALING_QUBITS, SCALING_BATCHES):
        x = torch.randn(batch, n, generator=gen, dtype=torch.float64)
        w = 0.5 * torch.randn(2, n, 3, generator=gen, dtype=torch.float64)
        for which in ("w", "x+w"):
            steps = {
                "qmem": _grad_step(x, w, {}, which == "x+w"),
                "qml": _grad_step(x, w, qml, which == "x+w"),
            }
            a, b = steps["qmem"](), steps["qml"]()
            diff = max((p - q).abs().max().item() for p, q in zip(a, b, strict=True))
            t = _timed(steps, repeats, budget_s=2.0 * scale)
            lines.append(
                f"| {n} | {batch} | {which} | {t['qmem'] * 1e3:.3f} | {t['qml'] * 1e3:.2f} | "
                f"{t['qml'] / t['qmem']:.1f} | {diff:.0e} |"
            )
    return "\n".join(lines)


def _grad_step(
    x: torch.Tensor, w: torch.Tensor, options: dict[str, object], x_grad: bool
) -> Callable[[], tuple]:
    def run() -> tuple:
        xr = x.detach().requires_grad_(x_grad)
        wr = w.detach().requires_grad_(True)
        out = vqc(xr, wr, family="chen2020", **options)
        out.sum().backward()
        grads = (wr.grad, xr.grad) if x_grad else (wr.grad,)
        return (out.detach(), *grads)

    return run


def table(results: dict[str, dict[int, dict[str, float]]]) -> str:
    """Markdown table: median ms per batch and the ratio to the dense emulation."""
    head = "| backend | " + " | ".join(f"B={b} ms (x dense)" for b in BATCHES) + " |"
    lines = [head, "|---|" + "---:|" * len(BATCHES)]
    dense = results["qmem dense"]
    for name, per_batch in results.items():
        cells = []
        for b in BATCHES:
            ms = per_batch[b]["median_s"] * 1e3
            ratio = per_batch[b]["median_s"] / dense[b]["median_s"]
            cells.append(f"{ms:.3f} ({ratio:.1f}x)" if ms < 10 else f"{ms:.1f} ({ratio:.0f}x)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fifth of the repeats")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--no-scaling", action="store_true", help="skip the qubits x batch table")
    args = parser.parse_args()
    print(
        f"# VQC bench: chen2020, 4 qubits, 2 layers, float64, forward+backward\n"
        f"# torch {torch.__version__} (torch.set_num_threads(1)), "
        f"pennylane {version('pennylane')}, lightning {version('pennylane-lightning')}, "
        f"qiskit-aer {version('qiskit-aer')} (max_parallel_threads=1), "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}\n"
        f"# {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; medians over round-robin repeats"
    )
    results = bench(0.2 if args.quick else 1.0)
    print(table(results))
    print("\nmax |difference| vs qmem dense (outputs, gradients):")
    for name, per_batch in results.items():
        out = max(v["max_abs_diff_out"] for v in per_batch.values())
        grad = max(v["max_abs_diff_grad"] for v in per_batch.values())
        print(f"  {name:28s} {out:.1e}  {grad:.1e}")
    if not args.no_scaling:
        print(
            "\n# chen2020, 2 layers, float64, forward+backward: qmem statevector (auto) vs "
            "default.qubit (backprop); grad 'w': weights only, 'x+w': weights and input"
        )
        print(scaling(0.2 if args.quick else 1.0))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {k: {str(b): v for b, v in r.items()} for k, r in results.items()}, fh, indent=2
            )


if __name__ == "__main__":
    main()
