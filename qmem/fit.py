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
from .experiments.trainer import NonFiniteLoss
from .params import count_parameters
from .validation import check_bool, check_float, check_int, check_size_budget

__all__ = ["MAX_ACTIVATIONS", "TARGETS", "Target", "fit_function", "make_network"]

MAX_ACTIVATIONS = 2**27
"""Most elements of the fit's largest activation, points x width x (reps + 1)."""

Target = Literal["damped_sine", "bessel_j0", "sawtooth"]
"""The functions ``qmem fit`` can fit (the keys of :data:`TARGETS`)."""


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
"""The target functions by name, each ``x (P, 1) -> y (P, 1)`` on ``[-π, π]``."""


def make_network(
    width: int, reps: int, ansatz: Ansatz, executor: str, seed: int
) -> nn.Sequential:
    """``QKANLayer(1, width) -> QKANLayer(width, 1)`` with seeded initialisation.

    >>> net = make_network(4, 3, "pz", "auto", seed=0)
    >>> net(torch.zeros(7, 1, dtype=torch.float64)).shape
    torch.Size([7, 1])
    """
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

    Raises:
        TypeError: an option of the wrong type (``lr="0.1"``, ``width=True``, ...).
        ValueError: an unknown function, ansatz or executor; width outside 1 … 1024, reps
            outside 1 … 64, epochs outside 1 … 1,000,000, points outside 2 … 1,000,000,
            lr outside (0, 100], a negative seed, or points x width x (reps + 1) above
            :data:`MAX_ACTIVATIONS`.
        NonFiniteLoss: the training loss (or the final fit) became NaN or inf.
    """
    if not isinstance(function, str):
        raise TypeError(f"function must be a str, got {function!r} ({type(function).__name__})")
    if function not in TARGETS:
        raise ValueError(f"unknown function {function!r}; allowed: {', '.join(TARGETS)}")
    check_int("width", width, minimum=1, maximum=1024)
    check_int("reps", reps, minimum=1, maximum=64)
    check_int("epochs", epochs, minimum=1, maximum=1_000_000)
    check_int("points", points, minimum=2, maximum=1_000_000)
    check_int("seed", seed, minimum=0, maximum=2**63 - 1)
    lr = check_float("lr", lr, minimum=0.0, strict_minimum=True, maximum=100.0)
    check_bool("progress", progress)
    check_size_budget(f"the activations ({points} points x width {width} x (reps {reps} + 1))",
                      points * width * (reps + 1), limit=MAX_ACTIVATIONS)
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
    for epoch in steps:
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise NonFiniteLoss(
                f"fit: the training loss is {value} at epoch {epoch + 1} (lr={lr!r}); lower lr"
            )
        loss.backward()
        opt.step()
        if progress:
            steps.set_postfix(mse=f"{value:.2e}")
    with torch.no_grad():
        train_rmse = nn.functional.mse_loss(net(x), y).sqrt().item()
        test_rmse = nn.functional.mse_loss(net(x_test), y_test).sqrt().item()
    if not (math.isfinite(train_rmse) and math.isfinite(test_rmse)):
        raise NonFiniteLoss(
            f"fit: the trained network's error is {train_rmse} (train), {test_rmse} (test): "
            f"the last step made it non-finite (lr={lr!r}); lower lr"
        )
    counts = count_parameters(net)
    return {
        "function": function,
        "executor": executor,
        "epochs": epochs,
        "params": {k: counts[k] for k in ("quantum", "classical", "total")},
        "train_rmse": train_rmse,
        "test_rmse": test_rmse,
    }
