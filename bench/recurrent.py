"""Whole recurrent models against ``torch.nn.LSTM``: training step, inference, streaming, memory.

For every registered recurrent model (``qmem.models.names()`` with a ``step()``), at
``H = 5`` and ``H = 32`` (batch 32, input width 1, float32, one torch thread):

- ``train``: one training step (forward + MSE + backward) at ``T = 64``;
- ``infer``: a no-grad forward at ``T = 1000``;
- ``stream``: one ``step()`` under ``no_grad`` (per step, batch 32);
- ``mem``: bytes autograd keeps for backward in a training forward (``saved_tensors_hooks``)
  at ``T = 100, 1000, 10000``, as ratios to ``nn.LSTM``'s at the same ``T`` (a constant
  ratio: linear in T like nn.LSTM's).

Each column is the ratio to ``nn.LSTM`` + ``Linear`` head (``nn.GRU`` for ``gru``) measured
in the same run: medians of interleaved repeats (model, reference, model, ...).

Run: ``python bench/recurrent.py [--models lstm,qkan_lstm] [--hidden 5,32] [--repeats 15]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from qmem.models import build, names

B, I_SIZE = 32, 1


class TorchRef(nn.Module):
    """``nn.LSTM`` / ``nn.GRU`` + a linear head, with the qmem model interface."""

    def __init__(self, kind: str, hidden: int) -> None:
        super().__init__()
        rnn = nn.LSTM if kind == "lstm" else nn.GRU
        self.rnn = rnn(I_SIZE, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        self.kind = kind

    def forward(self, x: torch.Tensor, state=None):
        out, st = self.rnn(x, state)
        return self.head(out), st

    def step(self, x_t: torch.Tensor, state=None):
        out, st = self.rnn(x_t.unsqueeze(1), state)
        return self.head(out[:, 0]), st


def _time(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _interleaved(a: Callable[[], object], b: Callable[[], object], repeats: int) -> tuple:
    for _ in range(2):
        a(), b()
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(_time(a))
        tb.append(_time(b))
    return statistics.median(ta), statistics.median(tb)


def _train(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        out, _ = model(x)
        loss = ((out - y) ** 2).mean()
        loss.backward()

    return run


def _infer(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        with torch.no_grad():
            model(x)

    return run


def _stream(model: nn.Module, x: torch.Tensor, steps: int = 20) -> Callable[[], None]:
    def run() -> None:
        with torch.no_grad():
            state = None
            for t in range(steps):
                _, state = model.step(x[:, t], state)

    return run


def _saved_bytes(model: nn.Module, x: torch.Tensor) -> int:
    total = 0

    def pack(t: torch.Tensor) -> torch.Tensor:
        nonlocal total
        total += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(x)
    return total


def recurrent_names() -> list[str]:
    out = []
    for name in names():
        try:
            model = build(name, input_size=1, hidden_size=2, output_size=1, seed=0)
        except Exception:  # an optional dependency missing
            continue
        if getattr(model, "recurrent", False) and callable(getattr(model, "step", None)):
            out.append(name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=None, help="comma-separated names (default: all)")
    ap.add_argument("--hidden", default="5,32")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--no-memory", action="store_true", help="skip the memory column")
    args = ap.parse_args()
    torch.set_num_threads(1)
    models = args.models.split(",") if args.models else recurrent_names()
    g = torch.Generator().manual_seed(0)
    x64, y64 = torch.randn(B, 64, I_SIZE, generator=g), torch.randn(B, 64, 1, generator=g)
    x1k = torch.randn(B, 1000, I_SIZE, generator=g)
    x_mem = {t: torch.randn(B, t, I_SIZE, generator=g) for t in (100, 1000, 10000)}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, batch {B}, float32;")
    print("ratios to nn.LSTM (nn.GRU for gru) + Linear head in the same run, medians of "
          f"{args.repeats} interleaved repeats\n")
    print("| model | H | train T=64 | infer T=1000 | stream step() | mem T=100 / 1000 / 10000 | "
          "train ms (ref ms) |")
    print("|---|---|---|---|---|---|---|")
    for hidden in (int(h) for h in args.hidden.split(",")):
        for name in models:
            try:
                model = build(name, input_size=I_SIZE, hidden_size=hidden, output_size=1, seed=0)
            except ValueError as err:  # e.g. a VQC of I + H qubits past the qubit limit
                print(f"| {name} | {hidden} | not at this size: {str(err)[:60]} | | | | |")
                continue
            ref = TorchRef("gru" if name == "gru" else "lstm", hidden)
            try:
                row = _row(model, ref, x64, y64, x1k, x_mem, args)
            except ValueError as err:  # e.g. a memory that diverges on N(0, 1) inputs
                print(f"| {name} | {hidden} | failed: {str(err)[:70]} | | | | |")
                continue
            print(f"| {name} | {hidden} | {row} |", flush=True)


def _row(
    model: nn.Module,
    ref: nn.Module,
    x64: torch.Tensor,
    y64: torch.Tensor,
    x1k: torch.Tensor,
    x_mem: dict[int, torch.Tensor],
    args: argparse.Namespace,
) -> str:
    """One table row's cells after the model name and size."""
    tm, tr = _interleaved(_train(model, x64, y64), _train(ref, x64, y64), args.repeats)
    im, ir = _interleaved(_infer(model, x1k), _infer(ref, x1k), max(3, args.repeats // 3))
    sm, sr = _interleaved(_stream(model, x64), _stream(ref, x64), args.repeats)
    if args.no_memory:
        mem = "-"
    else:
        mem = " / ".join(
            f"{_saved_bytes(model, x) / _saved_bytes(ref, x):.2f}x" for x in x_mem.values()
        )
    times = f"{tm * 1e3:.2f} ({tr * 1e3:.2f})"
    return f"{tm / tr:.2f}x | {im / ir:.2f}x | {sm / sr:.2f}x | {mem} | {times}"


if __name__ == "__main__":
    main()
