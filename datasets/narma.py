"""NARMA-n driven by the deterministic three-sine input of the quantum-reservoir literature.

u_t = 0.1·(sin(2πᾱt/T)·sin(2πβ̄t/T)·sin(2πγ̄t/T) + 1), t = 0 … num-1, and, with y_t = 0 for
t < n,

y_{t+1} = α·y_t + β·y_t·Σ_{j=0}^{n-1} y_{t-j} + γ·u_{t-n+1}·u_t + δ   for t >= n-1.

>>> s = narma(NarmaConfig(order=5, num=50))
>>> s.values.shape, float(s.values[0])
((50,), 0.0)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS
from .config import DatasetConfig
from .series import Series

__all__ = ["MAX_ORDER", "NarmaConfig", "narma", "narma_input"]

MAX_ORDER = 1000
"""Largest NARMA order (the recurrence costs ``order`` operations per step)."""


class NarmaConfig(DatasetConfig):
    """Options of ``narma``.

    Attributes:
        order: n of NARMA-n (1 … 1000; 5 and 10 are the usual tasks).
        num: series length (> order, at most 1,000,000).
        alpha: α (0.3).
        beta: β (0.05).
        gamma: γ (1.5).
        delta: δ (0.1).
        alpha_bar: ᾱ of the input (2.11).
        beta_bar: β̄ of the input (3.73).
        gamma_bar: γ̄ of the input (4.11).
        period: T of the input (300, > 0).
        include_input: if true the series is 2-D (num, 2) with channels ("y", "u").

    The input's sines must be slower than the Nyquist rate of one sample per step:
    ``max(|alpha_bar|, |beta_bar|, |gamma_bar|) / period < 0.5``.

    >>> NarmaConfig(order=10, num=10)
    Traceback (most recent call last):
    ...
    ValueError: narma: num must exceed order (10), got 10
    """

    order: int = Field(10, ge=1, le=MAX_ORDER)
    num: int = Field(500, ge=2, le=MAX_POINTS)
    alpha: float = 0.3
    beta: float = 0.05
    gamma: float = 1.5
    delta: float = 0.1
    alpha_bar: float = 2.11
    beta_bar: float = 3.73
    gamma_bar: float = 4.11
    period: float = Field(300.0, gt=0)
    include_input: bool = False

    label: ClassVar[str] = "narma"

    @model_validator(mode="after")
    def _check(self) -> NarmaConfig:
        if self.num <= self.order:
            raise ValueError(f"num must exceed order ({self.order!r}), got {self.num!r}")
        fastest = max(abs(self.alpha_bar), abs(self.beta_bar), abs(self.gamma_bar)) / self.period
        if not fastest < 0.5:
            raise ValueError(
                f"the input's fastest sine (max(|alpha_bar|, |beta_bar|, |gamma_bar|) / period "
                f"= {fastest:.3g} cycles per step) is at or above the Nyquist rate 0.5: one "
                "sample per step aliases it; raise period or lower the bars"
            )
        return self


def narma_input(config: NarmaConfig) -> np.ndarray:
    """The input u_t, t = 0 … num-1, shape (num,).

    >>> narma_input(NarmaConfig(num=20))[0]
    np.float64(0.1)
    """
    t = np.arange(config.num, dtype=np.float64)
    w = 2.0 * np.pi * t / config.period
    prod = np.sin(config.alpha_bar * w) * np.sin(config.beta_bar * w) * np.sin(config.gamma_bar * w)
    return 0.1 * (prod + 1.0)


def narma(config: NarmaConfig) -> Series:
    """Run the NARMA-n recurrence.

    Args:
        config: order, coefficients, input and length.

    Returns:
        A :class:`~qmem.datasets.series.Series` of y (shape (num,)), or of (y, u) (shape
        (num, 2)) with ``include_input``; time axis t = 0 … num-1.

    Raises:
        ValueError: if the recurrence diverges (non-finite values).
    """
    n = config.order
    u = narma_input(config)
    y = np.zeros(config.num)
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below
        for t in range(n - 1, config.num - 1):
            window_sum = y[t - n + 1 : t + 1].sum()
            y[t + 1] = (
                config.alpha * y[t]
                + config.beta * y[t] * window_sum
                + config.gamma * u[t - n + 1] * u[t]
                + config.delta
            )
            if not np.isfinite(y[t + 1]):
                raise ValueError(
                    f"narma: NARMA-{n} diverged at t={t + 1}; reduce beta ({config.beta!r}) or the "
                    "input amplitude"
                )
    time = np.arange(config.num, dtype=np.float64)
    if config.include_input:
        return Series(
            name="narma", values=np.stack([y, u], axis=1), time=time, channels=("y", "u"),
            time_unit="step", config=config,
        )
    return Series(name="narma", values=y, time=time, channels=("y",), time_unit="step",
                  config=config)
