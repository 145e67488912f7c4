"""Benchmark: QKANLayer's exact executors against each other, ``auto`` and the reference ``qkan``.

For every shape of a grid (width I = O, reps r, batch N, dtype) it times one training step
of ``QKANLayer(I, I, r, "pz")`` (forward, ``sum()``, backward, after an in-place no-op update
of every parameter as an optimiser step makes) on each exact qmem executor (``fourier``,
``bloch``, ``statevector`` where it is small enough), on ``auto``, and, with ``--qkan``, on the
reference library ``qkan``'s CPU solvers (``exact``, ``cutn``; ``fast_measure=False``, the
same function). The implementations of one shape are timed round-robin (interleaved) and
the medians reported, with ``pick / fastest`` (the time of the executor ``auto`` picks over
the fastest one's: the rule's regret), ``auto / fastest`` (``auto`` itself timed: the rule,
its per-call overhead and timing noise; the target: never above 1.2) and ``qkan best /
auto``.

An executor is not run where it cannot win: where its time at the previous (smaller) batch
already exceeds twice the fastest time at this batch (its time only grows with the batch, so
the recorded lower bound is shown as ``>t``; for ``qkan``: twenty times), or where its saved
states would pass ``--max-gb``. The round-robin order is shuffled each round, and a call
shorter than 50 ms is preceded by one untimed call of the same implementation: right after
another (large) implementation the caches are cold, which was measured to add 10-20 % at
batch 1 of a 128x128 layer and up to 2x to a 1 ms call after a 100 ms ``qkan`` one.

``--mode infer`` times a no-grad forward instead, with the same in-place update before each
call (so nothing can be reused); ``--mode stream`` a no-grad forward on unchanged parameters
(streaming inference, where ``auto`` reuses the Fourier weights). ``--fit`` fits the
constants of :mod:`qmem.circuits.daruan.auto` (``KAPPA``, ``LAMBDA``) to the fourier and bloch
timings of the run and prints them with the worst and mean regret.

Run:  python bench/executors.py [--quick] [--qkan] [--fit] [--mode train|infer|stream]
      [--widths 8 32 128] [--reps 1 2 4 8] [--batches 1 16 256 4096] [--dtypes float32 float64]
Install qkan for the comparison (after torch, without touching it):
    QKAN_SKIP_CUDA_BUILD=TRUE pip install --no-build-isolation --no-deps qkan
    pip install opt_einsum   # qkan's cutn solver on CPU; tqdm, matplotlib also needed
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import os
import random
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from qmem.circuits import QKANLayer
from qmem.circuits.daruan import auto as auto_rule
from qmem.circuits.daruan.bloch import bloch_schedule

QMEM = ("fourier", "bloch", "statevector")
SV_MAX_CIRCUITS = 2**14  # statevector: one dense 1-qubit emulation per circuit (slow, large)
REWARM_S = 0.05  # calls faster than this get one untimed call before each timed one


def parameters(module: nn.Module) -> list[torch.Tensor]:
    return [p for p in module.parameters() if p.requires_grad]


def step_fn(module: nn.Module, x: torch.Tensor, mode: str) -> Callable[[], object]:
    """One timed call: train (update, fwd, bwd), infer (update, no-grad fwd), stream (fwd)."""
    params = parameters(module)

    def bump() -> None:
        with torch.no_grad():
            for p in params:
                p.mul_(1.0)  # what an optimiser step does to the version counters

    if mode == "train":

        def run() -> object:
            bump()
            for p in params:
                p.grad = None
            module(x).sum().backward()
            return None

    elif mode == "infer":

        def run() -> object:
            bump()
            with torch.no_grad():
                return module(x)

    else:

        def run() -> object:
            with torch.no_grad():
                return module(x)

    return run


def qkan_layer(ours: QKANLayer, solver: str) -> nn.Module | None:
    """The same layer in the reference library (same θ and base weights), or None."""
    try:
        import qkan
    except ImportError:
        return None
    dtype = ours.theta.dtype
    cdtype = torch.complex128 if dtype == torch.float64 else torch.complex64
    theirs = qkan.QKANLayer(
        ours.in_features, ours.out_features, reps=ours.reps, ansatz=ours.ansatz,
        solver=solver, fast_measure=False, base_activation="silu", ba_trainable=True,
        c_dtype=cdtype, p_dtype=dtype,
    )
    with torch.no_grad():
        theirs.theta.copy_(ours.theta.reshape(theirs.theta.shape))
        theirs.base_weight.copy_(ours.base_weight)
    return theirs


def saved_gb(n: int, edges: int, reps: int, dtype: torch.dtype) -> float:
    """Bytes the Bloch engine keeps for its backward (5 per gate and circuit), in GB."""
    gates = len(bloch_schedule("pz", reps).gates)
    return 5 * gates * n * edges * torch.finfo(dtype).bits / 8 / 1e9


def time_round_robin(
    fns: dict[str, Callable[[], object]], repeats: int, budget_s: float
) -> dict[str, float]:
    """Median seconds per call, round-robin; a slow function gets fewer repeats (budget).
    The garbage collector is off while timing (as in ``timeit``)."""
    gc.collect()
    gc.disable()
    try:
        return _round_robin(fns, repeats, budget_s)
    finally:
        gc.enable()


def _round_robin(
    fns: dict[str, Callable[[], object]], repeats: int, budget_s: float
) -> dict[str, float]:
    counts: dict[str, int] = {}
    rewarm: dict[str, bool] = {}
    times: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for name, fn in fns.items():  # warm-up (caches, plans) and the repeat budget
        t0 = time.perf_counter()
        fn()
        first = time.perf_counter() - t0
        counts[name] = max(1, min(repeats, int(budget_s / max(first, 1e-9))))
        rewarm[name] = first < REWARM_S
    order = random.Random(0)
    for k in range(max(counts.values())):
        order.shuffle(names)  # a new order each round
        for name in names:
            if k < counts[name]:
                if rewarm[name]:  # after another implementation the caches are cold
                    fns[name]()
                t0 = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run_grid(args: argparse.Namespace) -> list[dict]:
    rows = []
    gen = torch.Generator().manual_seed(0)
    solvers = ("exact", "cutn") if args.qkan else ()
    for dtype_name, width, reps in itertools.product(args.dtypes, args.widths, args.reps):
        dtype = getattr(torch, dtype_name)
        layers = {
            name: QKANLayer(width, width, reps, "pz", seed=1, executor=name, dtype=dtype)
            for name in (*QMEM, "auto")
            if name in args.executors
        }
        theirs = {s: qkan_layer(layers["auto"], s) for s in solvers}
        theirs = {s: m for s, m in theirs.items() if m is not None}
        last: dict[str, float] = {}  # time at the previous batch, per implementation
        for n in args.batches:
            x = (torch.rand(n, width, generator=gen, dtype=torch.float64) * 4 - 2).to(dtype)
            edges = width * width
            fns: dict[str, Callable[[], object]] = {}
            skipped: dict[str, str] = {}
            for name in layers:
                if name == "statevector" and n * edges > SV_MAX_CIRCUITS:
                    skipped[name] = "n/r"
                elif name in ("bloch", "statevector") and saved_gb(n, edges, reps, dtype) > (
                    args.max_gb
                ):
                    skipped[name] = "mem"
                else:
                    fns[name] = step_fn(layers[name], x, args.mode)
            for solver, module in theirs.items():
                if saved_gb(n, edges, reps, dtype) * 2 > args.max_gb:
                    skipped[f"qkan {solver}"] = "mem"
                else:
                    fns[f"qkan {solver}"] = step_fn(module, x, args.mode)
            # the cheap ones first; then drop what its smaller batch already shows to lose
            sure = {k: fns.pop(k) for k in ("fourier", "auto") if k in fns}
            got = time_round_robin(sure, args.repeats, args.budget)
            best = min(got.values())
            for name in list(fns):
                factor = 20 if name.startswith("qkan") else 2  # qkan: its lead is the point
                if last.get(name, 0.0) > factor * best:
                    skipped[name] = f">{last[name] * 1e3:.3g}"
                    del fns[name]
            got.update(time_round_robin({**sure, **fns}, args.repeats, args.budget))
            last.update({k: v for k, v in got.items()})
            for name, why in skipped.items():
                if why.startswith(">"):
                    last[name] = max(last.get(name, 0.0), float(why[1:]) / 1e3)
            fastest = min(got[k] for k in QMEM if k in got)
            auto_time = got.get("auto", math.nan)
            grad = args.mode == "train"
            bloch = auto_rule.prefer_bloch(n, edges, reps, dtype, grad=grad)
            pick = "bloch" if bloch else "fourier"
            if args.mode == "stream":
                pick = "fourier (reused)"
            qkan_best = min([got[k] for k in got if k.startswith("qkan")], default=math.nan)
            picked = got.get(pick.split()[0], math.nan) / fastest
            rows.append(
                {
                    "dtype": dtype_name, "width": width, "reps": reps, "batch": n,
                    "times": got, "skipped": skipped, "fastest": fastest, "pick": pick,
                    "ratio": auto_time / fastest, "qkan": qkan_best / auto_time,
                    "picked": picked,
                }
            )
            print(format_row(rows[-1], solvers), flush=True)
    return rows


def header(solvers: tuple[str, ...]) -> str:
    cols = [f"{c:>10}" for c in (*QMEM, "auto")]
    cols += [f"{'qkan ' + s:>11}" for s in solvers]
    extra = f" {'qkan/auto':>9}" if solvers else ""
    return (
        f"{'dtype':<8}{'I=O':>4}{'r':>3}{'N':>6} " + " ".join(cols)
        + f"  {'auto picks':<16}{'pick/fastest':>12}{'auto/fastest':>13}{extra}"
    )


def format_row(row: dict, solvers: tuple[str, ...]) -> str:
    def cell(name: str, w: int) -> str:
        if name in row["times"]:
            return f"{row['times'][name] * 1e3:>{w}.3f}"
        return f"{row['skipped'].get(name, '-'):>{w}}"

    cols = [cell(c, 10) for c in (*QMEM, "auto")] + [cell(f"qkan {s}", 11) for s in solvers]
    extra = f" {row['qkan']:>9.1f}" if solvers else ""
    return (
        f"{row['dtype']:<8}{row['width']:>4}{row['reps']:>3}{row['batch']:>6} "
        + " ".join(cols)
        + f"  {row['pick']:<16}{row['picked']:>12.2f}{row['ratio']:>13.2f}{extra}"
    )


def fit(rows: list[dict], grad: bool) -> None:
    """Grid-search (KAPPA, LAMBDA) per dtype for the least worst regret (then mean)."""
    kappas = [0.25 * k for k in range(1, 17)]
    lambdas = [0.0] + [10 ** (e / 4) for e in range(0, 25)]
    for dtype_name in sorted({r["dtype"] for r in rows}):
        sub = [r for r in rows if r["dtype"] == dtype_name and "bloch" in r["times"]]
        if not sub:
            continue
        dtype = getattr(torch, dtype_name)
        best = None
        for kappa, lam in itertools.product(kappas, lambdas):
            regrets = []
            for r in sub:
                t = r["times"]
                edges = r["width"] ** 2
                bloch = r["batch"] <= kappa * (2 * r["reps"] + 1) + lam / (edges * (r["reps"] + 1))
                chosen = t["bloch"] if bloch else t["fourier"]
                regrets.append(chosen / min(t["bloch"], t["fourier"]))
            score = (max(regrets), statistics.mean(regrets))
            if best is None or score < best[0]:
                best = (score, kappa, lam)
        (worst, mean), kappa, lam = best
        print(
            f"fit {dtype_name:8} grad={grad}: KAPPA={kappa:.2f} LAMBDA={lam:.4g} "
            f"(worst regret {worst:.2f}, mean {mean:.3f}, {len(sub)} shapes with both; "
            f"now in qmem: {auto_rule.AUTO_CONSTANTS[(dtype == torch.float64, grad)]})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("train", "infer", "stream"), default="train")
    parser.add_argument("--widths", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--reps", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 256, 4096])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per impl and shape")
    parser.add_argument("--max-gb", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="3 repeats, 0.3 s budget")
    parser.add_argument("--qkan", action="store_true", help="also time qkan exact and cutn")
    parser.add_argument(
        "--executors", nargs="+", default=[*QMEM, "auto"], choices=[*QMEM, "auto"],
        help="qmem executors to time (fourier is always timed)",
    )
    parser.add_argument("--fit", action="store_true", help="fit the auto rule's constants")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.budget = 3, 0.3
    args.executors = ["fourier", *(e for e in args.executors if e != "fourier")]
    torch.set_num_threads(args.threads)
    print(
        f"# QKANLayer(I, I, r, 'pz'), {args.mode} step, torch {torch.__version__}, "
        f"{args.threads} torch thread(s), OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; ms, medians of <= "
        f"{args.repeats} interleaved runs; '>t': not run, its smaller batch took t ms; "
        "'n/r': not run (statevector past 2^14 circuits); 'mem': saved states past "
        f"{args.max_gb} GB"
    )
    solvers = ("exact", "cutn") if args.qkan else ()
    print(header(solvers))
    rows = run_grid(args)
    ratios = [r["ratio"] for r in rows if not math.isnan(r["ratio"])] or [math.nan]
    picked = [r["picked"] for r in rows if not math.isnan(r["picked"])] or [math.nan]
    print(
        f"\nexecutor auto picks / fastest qmem executor (the rule's regret, from the "
        f"executors' own timings): worst {max(picked):.2f}, median "
        f"{statistics.median(picked):.2f} over {len(rows)} shapes"
    )
    print(
        f"auto timed / fastest qmem executor (rule and its overhead, plus timing noise): "
        f"worst {max(ratios):.2f}, median {statistics.median(ratios):.2f}"
    )
    if args.qkan:
        ahead = [r["qkan"] for r in rows if not math.isnan(r["qkan"])]
        print(f"qkan best / auto: least {min(ahead):.1f}x over {len(ahead)} shapes timed")
    if args.fit and args.mode != "stream":
        fit(rows, grad=args.mode == "train")


if __name__ == "__main__":
    main()
