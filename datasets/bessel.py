"""Bessel function of the first kind, J_ν(x), on an even grid (``scipy.special.jv``).

>>> s = bessel(BesselConfig())
>>> s.values.shape, round(float(s.time[0]), 3), round(float(s.time[-1]), 3)
((256,), 2.0, 100.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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

    label: ClassVar[str] = "bessel"

    def validate(self) -> None:
        """Check value ranges."""
        self._require_at_least("num", 2)
        self._require_increasing("x_start", "x_stop")
        if not float(self.nu).is_integer() and self.x_start < 0:
            self._fail(
                f"a non-integer order nu={self.nu!r} needs x_start >= 0, got {self.x_start!r}"
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
