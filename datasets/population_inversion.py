"""Jaynes–Cummings population inversion with a coherent field: collapse and revival.

W(t) = Σ_n P_n cos(2 g t √(n+1)), P_n = e^{-n̄} n̄^n / n! (Poisson), t = linspace(t_start,
t_stop, num). The sum runs over every n whose Poisson weight exceeds 1e-18 (the dropped tail
is below 1e-15 in total).

>>> s = population_inversion(PopulationInversionConfig())
>>> s.values.shape, round(float(s.values[0]), 12)
((2500,), 1.0)
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field, model_validator

from .bounds import MAX_POINTS, check_elements
from .config import DatasetConfig, check_grid
from .series import Series

__all__ = [
    "MAX_MEAN_PHOTONS",
    "PopulationInversionConfig",
    "poisson_weights",
    "population_inversion",
]

MAX_MEAN_PHOTONS = 10_000.0
"""Largest mean photon number n̄ (the sum then runs over 10,860 Fock states)."""


def poisson_weights(mean: float, cutoff: float = 1e-18) -> np.ndarray:
    """Poisson probabilities P_n for n = 0 … n_max, n_max the last n with P_n > cutoff.

    Computed in log space (``scipy.special.gammaln``), so large means do not overflow.

    Args:
        mean: n̄ > 0.
        cutoff: weights below this (in the upper tail) are dropped.

    Returns:
        Shape (n_max + 1,) float64.

    >>> round(float(poisson_weights(40.0).sum()), 12)
    1.0
    """
    from scipy.special import gammaln

    upper = int(np.ceil(mean + 40.0 * np.sqrt(mean) + 50.0))
    n = np.arange(upper + 1)
    logp = -mean + n * np.log(mean) - gammaln(n + 1.0)
    weights = np.exp(logp)
    keep = np.nonzero(weights > cutoff)[0]
    return weights[: keep[-1] + 1]


class PopulationInversionConfig(DatasetConfig):
    """Options of ``population_inversion``.

    Attributes:
        mean_photons: mean photon number n̄ of the coherent state (0 < n̄ <= 10,000).
        coupling: atom–field coupling g (> 0).
        t_start: first sample time.
        t_stop: last sample time (> t_start).
        num: number of samples (2 … 1,000,000), both ends included.

    The (num) x (Fock states kept) phase matrix may hold at most 2**27 elements (n̄ = 40
    keeps 107 states, so there only the bound on num matters; n̄ = 10,000 keeps 10,860, so
    num <= 12,358).

    >>> PopulationInversionConfig(mean_photons=10_000, num=100_000)
    Traceback (most recent call last):
    ...
    ValueError: population_inversion: the phase matrix (100000 samples x 10860 Fock ...
    """

    mean_photons: float = Field(40.0, gt=0, le=MAX_MEAN_PHOTONS)
    coupling: float = Field(1.0, gt=0)
    t_start: float = 0.0
    t_stop: float = 200.0
    num: int = Field(2500, ge=2, le=MAX_POINTS)

    label: ClassVar[str] = "population_inversion"

    @model_validator(mode="after")
    def _check(self) -> PopulationInversionConfig:
        check_grid("t_start", self.t_start, "t_stop", self.t_stop, self.num)
        states = poisson_weights(self.mean_photons).size
        check_elements(
            f"the phase matrix ({self.num} samples x {states} Fock states)", self.num * states
        )
        return self


_CHUNK_ELEMENTS = 2**20
"""Phase-matrix elements evaluated at once (8 MB of float64)."""


def population_inversion(config: PopulationInversionConfig) -> Series:
    """Evaluate W(t) on the grid of ``config``.

    Args:
        config: field and grid options.

    Returns:
        A 1-D :class:`~qmem.datasets.series.Series` of shape (num,) with time axis t.
    """
    t = np.linspace(config.t_start, config.t_stop, config.num)
    weights = poisson_weights(config.mean_photons)
    rabi = 2.0 * config.coupling * np.sqrt(np.arange(weights.size) + 1.0)
    values = np.empty(config.num)
    rows = max(1, _CHUNK_ELEMENTS // weights.size)  # time rows per chunk: bounded memory
    for lo in range(0, config.num, rows):
        # (n, 1) * (1, n_max + 1) -> (n, n_max + 1) phases, weighted sum over n -> (n,)
        values[lo : lo + rows] = np.cos(t[lo : lo + rows, None] * rabi[None, :]) @ weights
    return Series(
        name="population_inversion", values=values, time=t, channels=("W",), time_unit="t",
        config=config,
    )
