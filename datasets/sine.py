"""Sine wave A·sin(2π f t + φ) on the grid t = t_start + dt·k, k = 0 … num-1.

>>> s = sine(SineConfig(frequency=0.25, dt=1.0, num=4))
>>> s.values.round(12)
array([ 0.,  1.,  0., -1.])
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS
from .config import DatasetConfig, check_step_grid
from .series import Series

__all__ = ["SineConfig", "sine"]


class SineConfig(DatasetConfig):
    """Options of ``sine`` (defaults: 4 periods of 100 samples).

    Attributes:
        frequency: f, cycles per unit time (> 0).
        amplitude: A.
        phase: φ in radians.
        t_start: first sample time.
        dt: sample spacing (> 0).
        num: number of samples (2 … 1,000,000).

    The wave must be sampled above the Nyquist rate (``frequency * dt < 0.5``: slower
    samples alias it to another frequency, ``frequency=1, dt=1`` to zeros), and the grid
    must be resolvable in float64 (see :func:`~qmem.datasets.config.check_step_grid`).

    >>> SineConfig(frequency=1.0, dt=1.0)
    Traceback (most recent call last):
    ...
    ValueError: sine: frequency * dt = 1 samples the wave at or below the Nyquist rate ...
    >>> SineConfig(dt=0)
    Traceback (most recent call last):
    ...
    ValueError: sine: option 'dt' must be greater than 0, got 0
    """

    frequency: float = Field(0.1, gt=0)
    amplitude: float = 1.0
    phase: float = 0.0
    t_start: float = 0.0
    dt: float = Field(0.1, gt=0)
    num: int = Field(400, ge=2, le=MAX_POINTS)

    label: ClassVar[str] = "sine"

    @model_validator(mode="after")
    def _check(self) -> SineConfig:
        cycles = self.frequency * self.dt
        if not cycles < 0.5:
            raise ValueError(
                f"frequency * dt = {cycles:.3g} samples the wave at or below the Nyquist rate "
                f"(frequency={self.frequency!r}, dt={self.dt!r}; need frequency * dt < 0.5, "
                "else the samples alias to another frequency)"
            )
        check_step_grid("t_start", self.t_start, self.dt, self.num)
        return self


def sine(config: SineConfig) -> Series:
    """Sample A·sin(2π f t + φ).

    Args:
        config: wave and grid options.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` of shape (num,) with time axis t.
    """
    t = config.t_start + config.dt * np.arange(config.num)
    values = config.amplitude * np.sin(2.0 * np.pi * config.frequency * t + config.phase)
    return Series(name="sine", values=values, time=t, channels=("y",), time_unit="t",
                  config=config)
