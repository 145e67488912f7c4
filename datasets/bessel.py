"""Bessel function of the first kind, J_ν(x), on an even grid (``scipy.special.jv``).

>>> s = bessel(BesselConfig())
>>> s.values.shape, round(float(s.time[0]), 3), round(float(s.time[-1]), 3)
((256,), 2.0, 100.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DatasetConfig
from .series import Series

__all__ = ["BesselConfig", "bessel"]


@dataclass(frozen=True, kw_only=True)
class BesselConfig(DatasetConfig):
    """Options of ``bessel`` (defaults: ν = 2, x = linspace(2, 100, 256)).

    Attributes:
        nu: order ν (any real; non-integer orders need x > 0).
        x_start: first grid point.
        x_stop: last grid point (> x_start).
        num: number of grid points (>= 2), both ends included.
    """

    nu: float = 2.0
    x_start: float = 2.0
    x_stop: float = 100.0
    num: int = 256

    def validate(self) -> None:
        """Check value ranges."""
        if self.num < 2:
            raise ValueError(f"bessel: num must be >= 2, got {self.num!r}")
        if self.x_stop <= self.x_start:
            raise ValueError(
                f"bessel: x_stop ({self.x_stop!r}) must exceed x_start ({self.x_start!r})"
            )
        if not float(self.nu).is_integer() and self.x_start < 0:
            raise ValueError(
                f"bessel: a non-integer order nu={self.nu!r} needs x_start >= 0, "
                f"got {self.x_start!r}"
            )


def bessel(config: BesselConfig) -> Series:
    """Evaluate J_ν on ``linspace(x_start, x_stop, num)``.

    Args:
        config: order and grid.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` of shape (num,) with time axis x.
    """
    from scipy.special import jv

    x = np.linspace(config.x_start, config.x_stop, config.num)
    return Series(
        name="bessel", values=jv(config.nu, x), time=x, channels=("J",), time_unit="x",
        config=config,
    )
