"""Fit a QKAN (DARUAN) network to a 1-D function: the toolkit's smallest end-to-end job.

A ``QKANLayer(1, width) -> QKANLayer(width, 1)`` network is trained with Adam on a grid of
the chosen target function and evaluated on a finer held-out grid (points between the training
points). Everything is generated, so the job needs no data files.

>>> result = fit_function("damped_sine", epochs=5, seed=0, progress=False)
>>> sorted(result)
['epochs', 'executor', 'function', 'params', 'test_rmse', 'train_rmse']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import torch
from torch import nn

from .circuits import Ansatz, QKANLayer, check_executor
from .params import count_parameters

__all__ = ["TARGETS", "Target", "fit_function", "make_network"]

Target = Literal["damped_sine", "bessel_j0", "sawtooth"]


def _damped_sine(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(2.0 * x) * torch.exp(-0.1 * x**2)


def _bessel_j0(x: torch.Tensor) -> torch.Tensor:
    return torch.special.bessel_j0(2.0 * x)


def _sawtooth(x: torch.Tensor) -> torch.Tensor:
    return 2.0 * (x / math.pi - torch.floor(x / math.pi + 0.5))


TARGETS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "damped_sine": _damped_sine,
    "bessel_j0": _bessel_j0,
    "sawtooth": _sawtooth,
}


def make_network(
    width: int, reps: int, ansatz: Ansatz, executor: str, seed: int
) -> nn.Sequential:
    """``QKANLayer(1, width) -> QKANLayer(width, 1)`` with seeded initialisation."""
    gen = torch.Generator().manual_seed(seed)
    kw: dict[str, Any] = {"reps": reps, "ansatz": ansatz, "executor": executor, "seed": gen,
                          "dtype": torch.float64}
    return nn.Sequential(QKANLayer(1, width, **kw), QKANLayer(width, 1, **kw))


def fit_function(
    function: Target = "damped_sine",
    *,
    width: int = 4,
    reps: int = 3,
    ansatz: Ansatz = "pz",
    executor: str = "auto",
    epochs: int = 300,
    lr: float = 0.02,
    points: int = 128,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train a small QKAN on ``function`` over [-π, π] and report the fit.

    Args:
        function: one of ``TARGETS``.
        width: hidden width of the two-layer QKAN.
        reps: DARUAN re-uploadings per edge.
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        executor: circuit executor (see ``qmem.circuits.daruan``).
        epochs: full-batch Adam steps.
        lr: Adam learning rate.
        points: training grid size (the test grid holds the midpoints).
        seed: initialisation seed.
        progress: show a progress bar (tqdm, on stderr).

    Returns:
        ``{"function", "executor", "epochs", "params", "train_rmse", "test_rmse"}`` with
        ``params`` the trainable-parameter counts ``{"quantum", "classical", "total"}``.
    """
    if function not in TARGETS:
        raise ValueError(f"unknown function {function!r}; allowed: {', '.join(TARGETS)}")
    for name, value in (("width", width), ("epochs", epochs), ("points", points)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    check_executor("daruan", executor)
    target = TARGETS[function]
    x = torch.linspace(-math.pi, math.pi, points, dtype=torch.float64).unsqueeze(1)  # (P, 1)
    x_test = (x[:-1] + x[1:]) / 2  # (P-1, 1): held-out midpoints
    y, y_test = target(x), target(x_test)
    net = make_network(width, reps, ansatz, executor, seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps: Any = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"fit {function}", unit="epoch", leave=False)
    loss = torch.tensor(float("nan"))
    for _ in steps:
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        if progress:
            steps.set_postfix(mse=f"{loss.item():.2e}")
    with torch.no_grad():
        train_rmse = nn.functional.mse_loss(net(x), y).sqrt().item()
        test_rmse = nn.functional.mse_loss(net(x_test), y_test).sqrt().item()
    counts = count_parameters(net)
    return {
        "function": function,
        "executor": executor,
        "epochs": epochs,
        "params": {k: counts[k] for k in ("quantum", "classical", "total")},
        "train_rmse": train_rmse,
        "test_rmse": test_rmse,
    }
