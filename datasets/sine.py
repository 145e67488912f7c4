"""Sine wave A·sin(2π f t + φ) on the grid t = t_start + dt·k, k = 0 … num-1.

>>> s = sine(SineConfig(frequency=0.25, dt=1.0, num=4))
>>> s.values.round(12)
array([ 0.,  1.,  0., -1.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DatasetConfig
from .series import Series

__all__ = ["SineConfig", "sine"]


@dataclass(frozen=True, kw_only=True)
class SineConfig(DatasetConfig):
    """Options of ``sine`` (defaults: 4 periods of 100 samples).

    Attributes:
        frequency: f, cycles per unit time (> 0).
        amplitude: A.
        phase: φ in radians.
        t_start: first sample time.
        dt: sample spacing (> 0).
        num: number of samples (>= 2).
    """

    frequency: float = 0.1
    amplitude: float = 1.0
    phase: float = 0.0
    t_start: float = 0.0
    dt: float = 0.1
    num: int = 400

    def validate(self) -> None:
        """Check value ranges."""
        if self.frequency <= 0:
            raise ValueError(f"sine: frequency must be > 0, got {self.frequency!r}")
        if self.dt <= 0:
            raise ValueError(f"sine: dt must be > 0, got {self.dt!r}")
        if self.num < 2:
            raise ValueError(f"sine: num must be >= 2, got {self.num!r}")


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
