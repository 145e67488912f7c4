"""Registry: build any dataset by name from its options.

>>> print(", ".join(names()))
damped_shm, bessel, sine, delayed_quantum_control, population_inversion, narma, milan_telecom, csv
>>> s = make("bessel", num=5, x_stop=10)
>>> s.values.shape, s.values.dtype
((5,), dtype('float64'))
>>> make("bessel", order=3)
Traceback (most recent call last):
...
ValueError: BesselConfig: unknown option 'order'; allowed options: noise_std, nu, num, seed, ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .bessel import BesselConfig, bessel
from .config import DatasetConfig
from .damped_shm import DampedSHMConfig, damped_shm
from .delayed_quantum_control import DelayedQuantumControlConfig, delayed_quantum_control
from .milan import MilanTelecomConfig, milan_telecom
from .narma import NarmaConfig, narma
from .population_inversion import PopulationInversionConfig, population_inversion
from .series import Series, add_noise
from .sine import SineConfig, sine
from .tabular import CsvConfig, csv_series

__all__ = ["DatasetSpec", "config_type", "generate", "make", "make_config", "names", "spec"]


@dataclass(frozen=True)
class DatasetSpec:
    """One registered dataset.

    Attributes:
        name: registry name.
        config_type: its frozen config dataclass.
        builder: config -> clean :class:`~qmem.datasets.series.Series` (noise is added by
            :func:`generate`).
        summary: one-line description.
    """

    name: str
    config_type: type[DatasetConfig]
    builder: Callable[[Any], Series]
    summary: str


_SPECS: tuple[DatasetSpec, ...] = (
    DatasetSpec("damped_shm", DampedSHMConfig, damped_shm,
                "damped pendulum, angular velocity (QLSTM paper)"),
    DatasetSpec("bessel", BesselConfig, bessel, "Bessel function J_nu(x)"),
    DatasetSpec("sine", SineConfig, sine, "sine wave A sin(2 pi f t + phi)"),
    DatasetSpec("delayed_quantum_control", DelayedQuantumControlConfig, delayed_quantum_control,
                "decaying Gaussian pulse train (QLSTM paper)"),
    DatasetSpec("population_inversion", PopulationInversionConfig, population_inversion,
                "Jaynes-Cummings collapse and revival"),
    DatasetSpec("narma", NarmaConfig, narma, "NARMA-n with a three-sine input"),
    DatasetSpec("milan_telecom", MilanTelecomConfig, milan_telecom,
                "Milan telecom activity (QKAN-LSTM paper; real data, ODbL)"),
    DatasetSpec("csv", CsvConfig, csv_series, "a column of a user CSV/Parquet file"),
)
_BY_NAME: Mapping[str, DatasetSpec] = {s.name: s for s in _SPECS}


def names() -> tuple[str, ...]:
    """Names of all registered datasets."""
    return tuple(s.name for s in _SPECS)


def spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name``.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: if ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    if name not in _BY_NAME:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(names())}")
    return _BY_NAME[name]


def config_type(name: str) -> type[DatasetConfig]:
    """The config dataclass of dataset ``name``.

    >>> config_type("narma").__name__
    'NarmaConfig'
    """
    return spec(name).config_type


def make_config(name: str, options: Mapping[str, Any] | None = None) -> DatasetConfig:
    """Build the typed config of ``name`` strictly from a plain mapping (e.g. a TOML table).

    Args:
        name: a registered dataset name.
        options: option name -> value; ``None`` means all defaults.

    Returns:
        The frozen config.

    Raises:
        ValueError: unknown dataset or option, or a value out of range.
        TypeError: a value of the wrong type.
    """
    return spec(name).config_type.from_dict({} if options is None else options)


def generate(config: DatasetConfig) -> Series:
    """Build the series described by ``config`` (its dataset is found from the config's type).

    Observation noise (``noise_std``, ``seed``) is added here, after the clean series.

    Args:
        config: a dataset config (e.g. from :func:`make_config`).

    Returns:
        The :class:`~qmem.datasets.series.Series`.

    Raises:
        TypeError: if ``config`` is not a registered config type.
    """
    for s in _SPECS:
        if type(config) is s.config_type:
            series = s.builder(config)
            return add_noise(series, std=config.noise_std, seed=config.seed)
    raise TypeError(
        f"generate needs one of the registered config types, got {type(config).__name__}"
    )


def make(name: str, **params: Any) -> Series:
    """Build dataset ``name`` with ``params`` (strictly validated).

    Args:
        name: one of :func:`names`.
        **params: options of the dataset's config (see ``docs/datasets.md``), plus
            ``noise_std``/``seed`` for Gaussian observation noise.

    Returns:
        A :class:`~qmem.datasets.series.Series`: ``.values`` is the float64 series ((N,) or
        (N, C)), ``.time`` its time axis, ``.config`` the resolved config.

    Raises:
        ValueError: unknown dataset or option, or a value out of range.
        TypeError: a value of the wrong type.
    """
    return generate(make_config(name, params))
