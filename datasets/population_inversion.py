"""Jaynes–Cummings population inversion with a coherent field: collapse and revival.

W(t) = Σ_n P_n cos(2 g t √(n+1)), P_n = e^{-n̄} n̄^n / n! (Poisson), t = linspace(t_start,
t_stop, num). The sum runs over every n whose Poisson weight exceeds 1e-18 (the dropped tail
is below 1e-15 in total).

>>> s = population_inversion(PopulationInversionConfig())
>>> s.values.shape, round(float(s.values[0]), 12)
((2500,), 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .config import DatasetConfig
from .series import Series

__all__ = ["PopulationInversionConfig", "poisson_weights", "population_inversion"]


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


@dataclass(frozen=True, kw_only=True)
class PopulationInversionConfig(DatasetConfig):
    """Options of ``population_inversion``.

    Attributes:
        mean_photons: mean photon number n̄ of the coherent state (> 0).
        coupling: atom–field coupling g (> 0).
        t_start: first sample time.
        t_stop: last sample time (> t_start).
        num: number of samples (>= 2), both ends included.
    """

    mean_photons: float = 40.0
    coupling: float = 1.0
    t_start: float = 0.0
    t_stop: float = 200.0
    num: int = 2500

    label: ClassVar[str] = "population_inversion"

    def validate(self) -> None:
        """Check value ranges."""
        self._require_positive("mean_photons", "coupling")
        self._require_at_least("num", 2)
        self._require_increasing("t_start", "t_stop")


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
    # (N, 1) * (1, n_max + 1) -> (N, n_max + 1) phases, weighted sum over n -> (N,)
    values = np.cos(t[:, None] * rabi[None, :]) @ weights
    return Series(
        name="population_inversion", values=values, time=t, channels=("W",), time_unit="t",
        config=config,
    )
