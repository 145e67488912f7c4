"""Sine wave A·sin(2π f t + φ) on the grid t = t_start + dt·k, k = 0 … num-1.

>>> s = sine(SineConfig(frequency=0.25, dt=1.0, num=4))
>>> s.values.round(12)
array([ 0.,  1.,  0., -1.])
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from .bounds import MAX_POINTS
from .config import DatasetConfig
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
