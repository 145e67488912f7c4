"""Benchmark: QKANLayer(32, 32, pz) at batch 256, float32, every executor vs the alternatives.

Compares, in one run and at identical outputs where the computation is the same:
qmem's ``fourier`` and ``bloch`` executors, PennyLane and qiskit-aer through qmem (at a
small batch: they run one circuit per edge and sample), the reference library ``qkan``
(solvers ``exact`` and ``cutn``, exact ⟨Z⟩ readout, if installed), a Fourier-KAN layer (cos/sin
basis + one matmul: the floor for the ``fourier`` executor), ``nn.Linear`` + SiLU and a
B-spline KAN layer of the same shape.

Run:  python bench/qkan_layer.py [--repeats 15] [--threads 1]
Install qkan for the comparison (after torch):
    QKAN_SKIP_CUDA_BUILD=TRUE pip install --no-build-isolation --no-deps qkan
    pip install matplotlib opt_einsum
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from qmem.circuits import QKANLayer
from qmem.classical.kan import BSplineKAN

IN = OUT = 32
BATCH = 256


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def fwd_bwd(module: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()

    return run


def fwd(module: nn.Module, x: torch.Tensor) -> Callable[[], object]:
    def run() -> object:
        with torch.no_grad():
            return module(x)

    return run


class FourierKAN(nn.Module):
    """A Fourier-KAN layer: y = Σ_i Σ_k a_jik cos(k x_i) + b_jik sin(k x_i) (the floor)."""

    def __init__(self, i: int, o: int, degree: int) -> None:
        super().__init__()
        self.degree = degree
        self.coef = nn.Parameter(torch.randn(o, i * 2 * degree) / (i * degree) ** 0.5)
        self.bias = nn.Parameter(torch.zeros(o))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = torch.arange(1, self.degree + 1, dtype=x.dtype)
        kx = x.unsqueeze(-1) * k  # (B, I, r)
        feats = torch.cat([kx.cos(), kx.sin()], dim=-1).reshape(x.shape[0], -1)  # (B, I*2r)
        return nn.functional.linear(feats, self.coef, self.bias)


class LinearSiLU(nn.Sequential):
    def __init__(self, i: int, o: int) -> None:
        super().__init__(nn.Linear(i, o), nn.SiLU())


def qkan_layer(ours: QKANLayer, solver: str) -> nn.Module | None:
    try:
        import qkan
    except ImportError:
        return None
    theirs = qkan.QKANLayer(
        ours.in_features, ours.out_features, reps=ours.reps, ansatz=ours.ansatz, solver=solver,
        preact_trainable=ours.preact_weight is not None, fast_measure=False,
        base_activation="silu", ba_trainable=True,
    )
    with torch.no_grad():
        theirs.theta.copy_(ours.theta.reshape(theirs.theta.shape))
        theirs.base_weight.copy_(ours.base_weight)
        if ours.preact_weight is not None:
            theirs.preacts_weight.copy_(ours.preact_weight)
            theirs.preacts_bias.copy_(ours.preact_bias)
    return theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--sdk-batch", type=int, default=1, help="batch for PennyLane/qiskit")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(BATCH, IN, generator=gen) * 4 - 2
    print(f"QKANLayer({IN}, {OUT}, pz), batch {BATCH}, float32, torch {torch.__version__}, "
          f"{args.threads} torch thread(s); medians of {args.repeats} runs; "
          "'diff' = max |output - qmem bloch output| on the same parameters")
    header = f"{'reps':>4}  {'implementation':<44} {'fwd ms':>9} {'fwd+bwd ms':>11} " \
             f"{'x fourier':>9} {'diff':>9}"
    for reps in (2, 4):
        print()
        print(header)
        print("-" * len(header))
        rows: list[tuple[str, nn.Module, torch.Tensor, bool]] = []
        fixed = QKANLayer(IN, OUT, reps, "pz", seed=1, theta_init="normal")
        trained = QKANLayer(IN, OUT, reps, "pz", seed=1, theta_init="normal",
                            preact_trainable=True)
        with torch.no_grad():  # non-trivial pre-activations
            trained.preact_weight.uniform_(0.5, 1.5, generator=gen)
            trained.preact_bias.uniform_(-0.5, 0.5, generator=gen)
        ref_fixed = QKANLayer(IN, OUT, reps, "pz", seed=1, theta_init="normal",
                              executor="bloch")
        ref_fixed.load_state_dict(fixed.state_dict())
        rows.append(("qmem fourier", fixed, x, False))
        rows.append(("qmem bloch", ref_fixed, x, False))
        rows.append(("qmem bloch, trainable pre-act", trained, x, True))
        for solver in ("exact", "cutn"):
            for src, label in ((fixed, ""), (trained, ", trainable pre-act")):
                theirs = qkan_layer(src, solver)
                if theirs is not None:
                    rows.append((f"qkan {solver}{label}", theirs, x, src is trained))
        sdk_x = x[: args.sdk_batch]
        for executor, opts in (("pennylane", {"device": "default.qubit"}),
                               ("qiskit", {})):
            layer = QKANLayer(IN, OUT, reps, "pz", seed=1, theta_init="normal",
                              executor=executor, executor_options=opts)
            layer.load_state_dict(fixed.state_dict())
            rows.append((f"qmem {executor} {opts.get('device', 'aer')} (batch {args.sdk_batch})",
                         layer, sdk_x, False))
        rows.append((f"Fourier-KAN layer, degree {reps} (floor)", FourierKAN(IN, OUT, reps), x,
                     False))
        rows.append(("nn.Linear + SiLU", LinearSiLU(IN, OUT), x, False))
        rows.append(("B-spline KAN layer (grid 5, order 3)",
                     BSplineKAN(IN, OUT, generator=torch.Generator().manual_seed(0)), x, False))
        with torch.no_grad():
            want_fixed = ref_fixed(x)
            trained.executor = "bloch"
            want_trained = trained(x)
        base_fb = None
        for name, module, inp, is_trained in rows:
            slow = "pennylane" in name or "qiskit" in name
            reps_n = 1 if slow else args.repeats
            t_f = median_ms(fwd(module, inp), reps_n)
            t_fb = median_ms(fwd_bwd(module, inp), reps_n)
            if base_fb is None:
                base_fb = t_fb
            diff = ""
            if name.startswith(("qmem", "qkan")):
                with torch.no_grad():
                    want = (want_trained if is_trained else want_fixed)[: inp.shape[0]]
                    diff = f"{(module(inp).float() - want).abs().max().item():9.1e}"
            scale = BATCH / inp.shape[0]
            note = f" (x{scale:.0f} batch)" if scale != 1 else ""
            print(f"{reps:>4}  {name:<44} {t_f:>9.3f} {t_fb:>11.3f} "
                  f"{t_fb * scale / base_fb:>9.1f} {diff:>9}{note}")
    print("\n'x fourier' = fwd+bwd time relative to qmem fourier (SDK rows scaled to batch "
          f"{BATCH} linearly).")


if __name__ == "__main__":
    main()
