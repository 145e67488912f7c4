"""Training pieces of an experiment: data, model, optimiser, one epoch, evaluation, metrics.

Every piece is a function of the experiment config (and the seeded ``torch.Generator`` that
orders the data), so a run is a pure function of its config. The loss is the MSE of the
scaled one-step (or ``horizon``-step) forecast ``y[:, -1]``; metrics are computed on
predictions mapped back to the series' original units.

>>> from qmem.experiments.config import ExperimentConfig
>>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine", "num": 60},
...     "model": {"name": "lstm", "hidden_size": 2}, "train": {"epochs": 1, "device": "cpu"}})
>>> split = prepare_data(cfg, torch.float32, torch.device("cpu"))
>>> model = build_model(cfg, split, torch.float32, torch.device("cpu"))
>>> metrics(split, predict(model, split.test.X), split.test.Y).keys()
dict_keys(['mse', 'rmse', 'mae', 'r2'])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from .config import ExperimentConfig, TrainSection

__all__ = [
    "NonFiniteLoss",
    "build_model",
    "check_finite_parameters",
    "make_optimizer",
    "make_scheduler",
    "metrics",
    "predict",
    "prepare_data",
    "resolve_device",
    "resolve_dtype",
    "resolve_hidden_size",
    "train_epoch",
]

_DTYPES = {"float32": torch.float32, "float64": torch.float64}
EVAL_CHUNK = 4096
"""Windows per forward pass during evaluation (bounds the memory of large test splits)."""


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or inf; the message names the epoch and the batch.

    A ``RuntimeError``: raised by :func:`train_epoch` and :func:`check_finite_parameters`; a
    run marks itself failed on it.

    >>> from qmem import models
    >>> model = models.build("lstm", input_size=1, hidden_size=2, seed=0).double()
    >>> X = torch.linspace(-1, 1, 24, dtype=torch.float64).reshape(6, 4, 1)  # (N, T, F)
    >>> Y = torch.full((6, 1), float("inf"), dtype=torch.float64)  # (N, H): an inf target
    >>> train = TrainSection(batch_size=4)
    >>> train_epoch(model, make_optimizer(train, model.parameters()), X, Y, train,
    ...             torch.Generator().manual_seed(0), epoch=1)
    Traceback (most recent call last):
    ...
    qmem.experiments.trainer.NonFiniteLoss: the training loss is inf at epoch 1, batch 1;
    lower [train] lr or set clip_grad_norm
    """


def resolve_dtype(name: str) -> torch.dtype:
    """``"float32"`` / ``"float64"`` -> the torch dtype.

    Raises:
        ValueError: another name.

    >>> resolve_dtype("float64")
    torch.float64
    >>> resolve_dtype("float16")
    Traceback (most recent call last):
    ...
    ValueError: dtype must be one of ['float32', 'float64'], got 'float16'
    """
    if name not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {name!r}")
    return _DTYPES[name]


def resolve_device(name: str) -> torch.device:
    """``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"`` -> a device.

    Raises:
        ValueError: ``"cuda"`` asked for where torch sees no CUDA device, or another name.

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    True
    >>> resolve_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must be 'auto', 'cpu' or 'cuda', got 'gpu'
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but torch sees no CUDA device; "
                         "use device = 'cpu' or 'auto'")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {name!r}")
    return torch.device(name)


def prepare_data(cfg: ExperimentConfig, dtype: torch.dtype, device: torch.device) -> Any:
    """Generate or load the series, window it, split it and scale it (``WindowSplit``)."""
    from .. import datasets

    series = datasets.make(cfg.data.name, **cfg.data.options)
    return datasets.window_split(
        series,
        window=cfg.data.window,
        horizon=cfg.data.horizon,
        fractions=cfg.data.fractions,
        scaler=cfg.data.scaler,
        protocol=cfg.data.protocol,
        target=cfg.data.target,
        dtype=dtype,
        device=device,
    )


def resolve_hidden_size(cfg: ExperimentConfig, input_size: int, output_size: int) -> int | None:
    """``[model] hidden_size``, or the hidden size nearest ``budget`` parameters.

    Args:
        cfg: the experiment config.
        input_size: I (the data's features).
        output_size: O (the horizon).

    Returns:
        H (None when ``[model]`` gives neither: the model's default width).

    An LSTM with I = O = 1 has 4H(H+2) + 4H + H + 1 parameters: 64 at H = 3, 101 at H = 4,
    so a budget of 100 gives H = 4.

    >>> from qmem.experiments.config import ExperimentConfig
    >>> cfg = ExperimentConfig.from_dict({"data": {"name": "sine"},
    ...                                   "model": {"name": "lstm", "budget": 100}})
    >>> resolve_hidden_size(cfg, input_size=1, output_size=1)
    4
    """
    if cfg.model.budget is None:
        return cfg.model.hidden_size
    from ..params import hidden_size_for_budget

    return hidden_size_for_budget(
        cfg.model.name,
        cfg.model.budget,
        input_size=input_size,
        output_size=output_size,
        **cfg.model_options(),
    )


def build_model(
    cfg: ExperimentConfig,
    split: Any,
    dtype: torch.dtype,
    device: torch.device,
    hidden_size: int | None = None,
) -> nn.Module:
    """The config's model for the split's shapes, in ``dtype`` on ``device``."""
    from .. import models

    input_size = int(split.train.X.shape[-1])
    output_size = int(split.train.Y.shape[-1])
    if hidden_size is None:
        hidden_size = resolve_hidden_size(cfg, input_size, output_size)
    model = models.build(
        cfg.model.name,
        input_size=input_size,
        hidden_size=hidden_size,
        output_size=output_size,
        **cfg.model_options(),
    )
    return model.to(device=device, dtype=dtype)


def make_optimizer(train: TrainSection, params: Any) -> torch.optim.Optimizer:
    """The optimiser named by ``[train] optimizer`` with its options.

    Args:
        train: the ``[train]`` section (optimizer, lr, weight_decay, momentum, alpha, eps,
            betas).
        params: the parameters to optimise (an iterable, consumed once).

    Returns:
        ``torch.optim.Adam``, ``RMSprop``, ``SGD`` or ``LBFGS`` (20 iterations per step,
        history 10, strong-Wolfe line search).

    Raises:
        ValueError: ``weight_decay`` with ``"lbfgs"``.

    >>> opt = make_optimizer(TrainSection(optimizer="sgd", lr=0.1, momentum=0.9),
    ...                      nn.Linear(2, 1).parameters())
    >>> type(opt).__name__, opt.defaults["lr"], opt.defaults["momentum"]
    ('SGD', 0.1, 0.9)
    """
    params = list(params)
    if train.optimizer == "adam":
        return torch.optim.Adam(
            params, lr=train.lr, betas=train.betas, eps=train.eps, weight_decay=train.weight_decay
        )
    if train.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=train.lr, alpha=train.alpha, eps=train.eps,
            weight_decay=train.weight_decay, momentum=train.momentum,
        )
    if train.optimizer == "sgd":
        return torch.optim.SGD(
            params, lr=train.lr, momentum=train.momentum, weight_decay=train.weight_decay
        )
    if train.optimizer == "lbfgs":
        if train.weight_decay:
            raise ValueError("[train] weight_decay is not supported by optimizer 'lbfgs'")
        return torch.optim.LBFGS(
            params, lr=train.lr, max_iter=20, history_size=10, line_search_fn="strong_wolfe"
        )
    raise ValueError(f"unknown optimizer {train.optimizer!r}")  # pragma: no cover


def make_scheduler(
    train: TrainSection, optimizer: torch.optim.Optimizer
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The per-epoch learning-rate schedule, or None for ``"none"``.

    Args:
        train: the ``[train]`` section (schedule, step_size, gamma, epochs).
        optimizer: the optimiser whose learning rate it sets.

    Returns:
        ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR`` (to 0 over ``epochs``) or None;
        a run calls its ``step()`` once per epoch.

    >>> train = TrainSection(lr=0.1, schedule="step", step_size=2, gamma=0.5)
    >>> opt = make_optimizer(train, nn.Linear(2, 1).parameters())
    >>> schedule = make_scheduler(train, opt)
    >>> lrs = []
    >>> for epoch in range(5):
    ...     lrs.append(opt.param_groups[0]["lr"])
    ...     opt.step()
    ...     schedule.step()
    >>> lrs
    [0.1, 0.1, 0.05, 0.05, 0.025]
    >>> make_scheduler(TrainSection(), opt) is None
    True
    """
    if train.schedule == "none":
        return None
    if train.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, train.step_size, gamma=train.gamma)
    if train.schedule == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=train.gamma)
    return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=train.epochs)


def _forecast(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    y, _ = model(x)  # (B, T, O) recurrent or (B, 1, O) window model
    return y[:, -1]  # (B, O)


def _check_dtypes(model: nn.Module, x: torch.Tensor) -> None:
    """The rule of ``docs/errors.md``: another dtype is a TypeError, another device a
    ValueError, each naming both."""
    p = next(model.parameters(), None)
    if p is not None and p.dtype != x.dtype:
        raise TypeError(
            f"data is {x.dtype} but the model is {p.dtype}; build both from the same "
            "[train] dtype"
        )
    if p is not None and p.device != x.device:
        raise ValueError(
            f"data is on {x.device} but the model on {p.device}; build both from the same "
            "[train] device"
        )


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    Y: torch.Tensor,
    train: TrainSection,
    generator: torch.Generator,
    epoch: int,
    on_batch: Callable[[float], None] | None = None,
) -> float:
    """One pass over the training windows; returns the mean training loss.

    Args:
        model: the model (put in training mode here).
        optimizer: its optimiser.
        X: inputs, shape (N, T, F).
        Y: targets, shape (N, H).
        train: the ``[train]`` section (batch size, shuffle, clipping).
        generator: the CPU generator that orders the data (its state is checkpointed).
        epoch: 1-based epoch number, for messages.
        on_batch: called with each batch's loss (progress display); on an accelerator with
            None (the losses are read back once, at the end of the epoch).

    On CPU each batch's loss is checked before the optimiser step. On an accelerator (CUDA)
    the losses stay on the device and are checked once after the epoch, so that the loop
    makes no CPU round trip per batch; a non-finite loss then raises the same
    :class:`NonFiniteLoss` (naming the first such batch) before anything of the epoch is
    saved. LBFGS reads every loss (its line search does anyway).

    Returns:
        The mean of the batch losses, weighted by batch size (scaled units).

    Raises:
        NonFiniteLoss: a batch's loss is NaN or inf (names epoch and batch), or a parameter
            is at the end of the epoch.
        TypeError: ``X`` is of another dtype than the model.
        ValueError: ``X`` is on another device than the model.

    >>> from qmem import models
    >>> model = models.build("lstm", input_size=1, hidden_size=2, seed=0).double()
    >>> X = torch.linspace(-1, 1, 24, dtype=torch.float64).reshape(6, 4, 1)  # (N, T, F)
    >>> Y = 0.5 * X[:, -1]  # (N, H)
    >>> train = TrainSection(batch_size=4, lr=0.05)
    >>> opt = make_optimizer(train, model.parameters())
    >>> gen = torch.Generator().manual_seed(0)
    >>> [round(train_epoch(model, opt, X, Y, train, gen, epoch), 4) for epoch in (1, 2, 3)]
    [0.2623, 0.1118, 0.0191]
    """
    _check_dtypes(model, X)
    model.train()
    n = int(X.shape[0])
    order = torch.randperm(n, generator=generator) if train.shuffle else torch.arange(n)
    order = order.to(X.device)  # once per epoch, not per batch
    lbfgs = isinstance(optimizer, torch.optim.LBFGS)
    deferred: list[torch.Tensor] | None = [] if X.device.type != "cpu" and not lbfgs else None
    total = 0.0
    loss_fn = nn.MSELoss()
    for b, start in enumerate(range(0, n, train.batch_size), start=1):
        idx = order[start : start + train.batch_size]
        xb, yb = X[idx], Y[idx]

        def closure(xb: torch.Tensor = xb, yb: torch.Tensor = yb) -> torch.Tensor:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(_forecast(model, xb), yb)
            loss.backward()
            if train.clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), train.clip_grad_norm)
            return loss

        if lbfgs:
            loss = optimizer.step(closure)
        else:
            loss = closure()
        if deferred is not None:  # accelerator: no read-back per batch
            deferred.append(loss.detach())
            optimizer.step()
            if on_batch is not None:
                on_batch(None)
            continue
        value = float(loss.detach())
        _check_loss(value, epoch, b)
        if not lbfgs:
            optimizer.step()
        total += value * int(xb.shape[0])
        if on_batch is not None:
            on_batch(value)
    if deferred is not None and deferred:
        values = torch.stack(deferred).cpu().tolist()  # one read per epoch
        for b, value in enumerate(values, start=1):
            _check_loss(value, epoch, b)
            total += value * min(train.batch_size, n - (b - 1) * train.batch_size)
    check_finite_parameters(model, f"after epoch {epoch}")
    return total / n


def _check_loss(value: float, epoch: int, batch: int) -> None:
    if not math.isfinite(value):
        raise NonFiniteLoss(
            f"the training loss is {value} at epoch {epoch}, batch {batch}; lower [train] lr "
            "or set clip_grad_norm"
        )


def check_finite_parameters(model: nn.Module, when: str) -> None:
    """Raise :class:`NonFiniteLoss` if a parameter holds NaN or inf (a finite loss with a
    non-finite gradient leaves them so), naming the first such parameter.

    >>> check_finite_parameters(nn.Linear(2, 1), "after epoch 1")
    """
    for name, p in model.named_parameters():
        if not bool(torch.isfinite(p).all()):
            raise NonFiniteLoss(
                f"parameter {name!r} holds NaN or inf {when} (a non-finite gradient); lower "
                "[train] lr or set clip_grad_norm"
            )


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Scaled forecasts for inputs ``X`` (N, T, F) -> (N, H), in eval mode, no graph."""
    model.eval()
    if X.shape[0] == 0:
        out = int(getattr(model, "output_size", 1) or 1)
        return X.new_zeros((0, out))
    _check_dtypes(model, X)
    parts = [_forecast(model, X[i : i + EVAL_CHUNK]) for i in range(0, X.shape[0], EVAL_CHUNK)]
    return torch.cat(parts, dim=0)


@torch.no_grad()
def loss_on(model: nn.Module, X: torch.Tensor, Y: torch.Tensor) -> float | None:
    """Scaled MSE on one split (None for an empty split)."""
    if X.shape[0] == 0:
        return None
    return float(nn.functional.mse_loss(predict(model, X), Y))


def metrics(split: Any, pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """MSE, RMSE, MAE and R² in the series' original units.

    Args:
        split: the ``WindowSplit`` (its scaler maps values back).
        pred: scaled predictions, shape (N, H).
        target: scaled targets, shape (N, H).
    """
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(
            f"predictions of shape {tuple(pred.shape)} do not match targets of shape "
            f"{tuple(target.shape)}"
        )
    p = split.inverse(pred).double().cpu()
    t = split.inverse(target).double().cpu()
    err = p - t
    mse = float((err**2).mean())
    var = float(((t - t.mean()) ** 2).mean())
    r2 = 1.0 - mse / var if var > 0 else float("nan")
    return {"mse": mse, "rmse": math.sqrt(mse), "mae": float(err.abs().mean()), "r2": r2}
