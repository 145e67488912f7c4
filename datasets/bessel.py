"""Bessel function of the first kind, J_ν(x), on an even grid (``scipy.special.jv``).

>>> s = bessel(BesselConfig())
>>> s.values.shape, round(float(s.time[0]), 3), round(float(s.time[-1]), 3)
((256,), 2.0, 100.0)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS
from .config import DatasetConfig, check_grid
from .series import Series

__all__ = ["BesselConfig", "bessel"]


class BesselConfig(DatasetConfig):
    """Options of ``bessel`` (defaults: ν = 2, x = linspace(2, 100, 256)).

    Attributes:
        nu: order ν (any real; non-integer orders need x >= 0).
        x_start: first grid point.
        x_stop: last grid point (> x_start).
        num: number of grid points (2 … 1,000,000), both ends included.

    >>> BesselConfig(x_stop=1.0)
    Traceback (most recent call last):
    ...
    ValueError: bessel: x_stop (1.0) must exceed x_start (2.0)
    """

    nu: float = 2.0
    x_start: float = 2.0
    x_stop: float = 100.0
    num: int = Field(256, ge=2, le=MAX_POINTS)

    label: ClassVar[str] = "bessel"

    @model_validator(mode="after")
    def _check(self) -> BesselConfig:
        check_grid("x_start", self.x_start, "x_stop", self.x_stop, self.num)
        if not float(self.nu).is_integer() and self.x_start < 0:
            raise ValueError(
                f"a non-integer order nu={self.nu!r} needs x_start >= 0, got {self.x_start!r}"
            )
        return self


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
