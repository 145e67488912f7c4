"""The QLSTM paper's "delayed quantum control" pulse train.

f(x) = Σ_{n=0}^{n_max} exp(-sharpness·(x - spacing·n)²) · exp(-x / decay) on
x = x_start + step·k, k = 0 … round((x_stop - x_start)/step) - 1 (``arange(-2, 20, 0.01)``
by default: 2,200 points).

>>> s = delayed_quantum_control(DelayedQuantumControlConfig())
>>> s.values.shape, round(float(s.time[-1]), 2)
((2200,), 19.99)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS, MAX_PULSES, check_elements, check_points
from .config import DatasetConfig, check_step_grid
from .series import Series

__all__ = ["DelayedQuantumControlConfig", "delayed_quantum_control", "grid_arange"]


def grid_arange(start: float, stop: float, step: float) -> np.ndarray:
    """``arange(start, stop, step)`` without float round-off in its length.

    The length is ``round((stop - start) / step)`` and point k is ``start + step*k``.

    >>> len(grid_arange(-2.0, 20.0, 0.01))
    2200
    """
    count = round((stop - start) / step)
    return start + step * np.arange(count)


class DelayedQuantumControlConfig(DatasetConfig):
    """Options of ``delayed_quantum_control``.

    Attributes:
        n_max: last pulse index (pulses n = 0 … n_max, 0 … 100,000).
        sharpness: Gaussian pulse coefficient (10 in the paper, > 0).
        spacing: distance between pulse centres (2, > 0).
        decay: envelope decay length (16, > 0).
        x_start: first grid point.
        x_stop: end of the grid (excluded, as in ``arange``).
        step: grid spacing (> 0).

    The grid holds 2 … 1,000,000 points, and the (points) x (n_max + 1) pulse matrix at most
    2**27 elements; both are checked when the config is made.

    >>> DelayedQuantumControlConfig(n_max=10**9)
    Traceback (most recent call last):
    ...
    ValueError: delayed_quantum_control: option 'n_max' must be less than ... 100000, got 1000000000
    """

    n_max: int = Field(10, ge=0, le=MAX_PULSES)
    sharpness: float = Field(10.0, gt=0)
    spacing: float = Field(2.0, gt=0)
    decay: float = Field(16.0, gt=0)
    x_start: float = -2.0
    x_stop: float = 20.0
    step: float = Field(0.01, gt=0)

    label: ClassVar[str] = "delayed_quantum_control"

    @model_validator(mode="after")
    def _check(self) -> DelayedQuantumControlConfig:
        ratio = (self.x_stop - self.x_start) / self.step
        grid = f"the grid [{self.x_start!r}, {self.x_stop!r}) with step {self.step!r}"
        if not ratio >= 1.5:  # round(ratio) < 2; NaN and -inf included
            raise ValueError(f"{grid} has < 2 points")
        count = check_points(grid, round(ratio) if ratio <= MAX_POINTS + 1 else ratio)
        check_step_grid("x_start", self.x_start, self.step, count)
        check_elements(f"the pulse matrix ({count} x {self.n_max + 1})", count * (self.n_max + 1))
        return self


def delayed_quantum_control(config: DelayedQuantumControlConfig) -> Series:
    """Evaluate the decaying pulse train on its grid.

    Args:
        config: pulse and grid options.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` with time axis x.
    """
    x = grid_arange(config.x_start, config.x_stop, config.step)
    centres = config.spacing * np.arange(config.n_max + 1)
    # (N, 1) - (1, n_max + 1) -> (N, n_max + 1) pulse matrix
    pulses = np.exp(-config.sharpness * (x[:, None] - centres[None, :]) ** 2)
    values = pulses.sum(axis=1) * np.exp(-x / config.decay)
    return Series(
        name="delayed_quantum_control", values=values, time=x, channels=("f",), time_unit="x",
        config=config,
    )
