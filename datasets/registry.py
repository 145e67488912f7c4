"""Registry: build any dataset by name from its options.

>>> print(", ".join(names()))
damped_shm, bessel, sine, delayed_quantum_control, population_inversion, narma, milan_telecom, csv
>>> s = make("bessel", num=5, x_stop=10)
>>> s.values.shape, s.values.dtype
((5,), dtype('float64'))
>>> make("bessel", order=3)
Traceback (most recent call last):
...
ValueError: bessel: unknown option 'order'; allowed: noise_std, nu, num, seed, x_start, x_stop

Datasets defined outside the package join the registry with :func:`register_dataset` (see
``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

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

__all__ = [
    "DatasetSpec",
    "config_type",
    "generate",
    "make",
    "make_config",
    "names",
    "register_dataset",
    "spec",
    "unregister_dataset",
]


@dataclass(frozen=True)
class DatasetSpec:
    """One registered dataset.

    Attributes:
        name: registry name.
        config_type: its frozen config (a :class:`~qmem.datasets.config.DatasetConfig`
            subclass).
        builder: config -> clean :class:`~qmem.datasets.series.Series` (noise is added by
            :func:`generate`).
        summary: one-line description.

    >>> s = spec("bessel")
    >>> s.name, s.config_type.__name__, s.summary
    ('bessel', 'BesselConfig', 'Bessel function J_nu(x)')
    >>> s.builder(s.config_type(num=3)).values.shape  # the clean series
    (3,)
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
_BUILTIN = frozenset(s.name for s in _SPECS)
_BY_NAME: dict[str, DatasetSpec] = {s.name: s for s in _SPECS}


def names() -> tuple[str, ...]:
    """Names of all registered datasets (the built-in ones first, in registration order)."""
    return tuple(_BY_NAME)


def register_dataset(
    name: str,
    config_type: type[DatasetConfig],
    generator: Callable[[Any], Series],
    *,
    summary: str = "",
) -> DatasetSpec:
    """Add a dataset to the registry, so that :func:`make` and :func:`make_config` know it.

    Args:
        name: the registry name (a non-empty str not yet registered); give the config the
            same ``label`` so that its messages name the dataset.
        config_type: its config, a subclass of :class:`~qmem.datasets.config.DatasetConfig`
            not registered under another name.
        generator: config -> clean :class:`~qmem.datasets.series.Series`; observation noise
            (``noise_std``, ``seed``) is added by :func:`generate`.
        summary: one-line description.

    Returns:
        The new :class:`DatasetSpec`.

    Raises:
        TypeError: ``name`` or ``summary`` is not a str, ``config_type`` is not a
            ``DatasetConfig`` subclass, or ``generator`` is not callable.
        ValueError: ``name`` is empty or already registered, or ``config_type`` already is.

    >>> import numpy as np
    >>> from pydantic import Field
    >>> from qmem.datasets import DatasetConfig, Series
    >>> class RampConfig(DatasetConfig):
    ...     num: int = Field(5, ge=1, le=1000)
    ...     label = "ramp"
    >>> def ramp(cfg):
    ...     return Series(name="ramp", values=np.arange(cfg.num, dtype=float),
    ...                   time=np.arange(cfg.num, dtype=float), config=cfg)
    >>> _ = register_dataset("ramp", RampConfig, ramp, summary="0, 1, 2, ...")
    >>> make("ramp", num=3).values
    array([0., 1., 2.])
    >>> make("ramp", nmu=3)
    Traceback (most recent call last):
    ...
    ValueError: ramp: unknown option 'nmu' (did you mean 'num'?); allowed: noise_std, num, seed
    >>> _ = unregister_dataset("ramp")
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {name!r} ({type(name).__name__})")
    if not name:
        raise ValueError("dataset name must not be empty")
    if not isinstance(summary, str):
        raise TypeError(f"summary must be a str, got {summary!r} ({type(summary).__name__})")
    if not (isinstance(config_type, type) and issubclass(config_type, DatasetConfig)):
        raise TypeError(
            f"config_type of dataset {name!r} must be a subclass of DatasetConfig, "
            f"got {config_type!r}"
        )
    if not callable(generator):
        raise TypeError(f"generator of dataset {name!r} must be callable, got {generator!r}")
    if name in _BY_NAME:
        raise ValueError(f"dataset {name!r} is already registered; known datasets: "
                         + ", ".join(names()))
    for other in _BY_NAME.values():
        if other.config_type is config_type:
            raise ValueError(
                f"config type {config_type.__name__} is already registered as dataset "
                f"{other.name!r}; give dataset {name!r} its own config class"
            )
    new = DatasetSpec(name, config_type, generator, summary)
    _BY_NAME[name] = new
    return new


def unregister_dataset(name: str) -> DatasetSpec:
    """Remove a dataset added with :func:`register_dataset` (built-in ones stay).

    Returns:
        The removed :class:`DatasetSpec`.

    Raises:
        ValueError: ``name`` is built in or not registered.
        TypeError: ``name`` is not a str.

    >>> from qmem.datasets.sine import SineConfig, sine
    >>> class WaveConfig(SineConfig):
    ...     label = "wave"
    >>> _ = register_dataset("wave", WaveConfig, sine)
    >>> unregister_dataset("wave").name, "wave" in names()
    ('wave', False)
    >>> unregister_dataset("sine")
    Traceback (most recent call last):
    ...
    ValueError: dataset 'sine' is built in and cannot be unregistered
    """
    removed = spec(name)
    if name in _BUILTIN:
        raise ValueError(f"dataset {name!r} is built in and cannot be unregistered")
    del _BY_NAME[name]
    return removed


def spec(name: str) -> DatasetSpec:
    """The :class:`DatasetSpec` of ``name``.

    Raises:
        ValueError: for an unknown name (the message lists the known ones).
        TypeError: if ``name`` is not a string.

    >>> spec("narma").config_type.__name__
    'NarmaConfig'
    >>> spec("besel")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'besel'; known datasets: damped_shm, bessel, sine, ...
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a str, got {type(name).__name__}")
    if name not in _BY_NAME:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(names())}")
    return _BY_NAME[name]


def config_type(name: str) -> type[DatasetConfig]:
    """The config type of dataset ``name``.

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

    >>> make_config("bessel", {"num": 4, "x_stop": 3.0})
    BesselConfig(noise_std=0.0, seed=0, nu=2.0, x_start=2.0, x_stop=3.0, num=4)
    >>> make_config("bessel", {"num": 0})
    Traceback (most recent call last):
    ...
    ValueError: bessel: option 'num' must be greater than or equal to 2, got 0
    """
    return spec(name).config_type.from_dict(options, owner=name)


def generate(config: DatasetConfig) -> Series:
    """Build the series described by ``config`` (its dataset is found from the config's type).

    Observation noise (``noise_std``, ``seed``) is added here, after the clean series.
    Every generated series is checked before it is returned: no inf anywhere, and no NaN
    unless the dataset flags gaps as NaN on request (``milan_telecom`` with ``gaps="nan"``).
    Options whose arithmetic overflows (a ``bessel`` of order ``nu=1e308``, ...) therefore
    raise instead of giving a series of NaN.

    Args:
        config: a dataset config (e.g. from :func:`make_config`).

    Returns:
        The :class:`~qmem.datasets.series.Series`.

    Raises:
        TypeError: if ``config`` is not a registered config type, or the dataset's generator
            returns no :class:`~qmem.datasets.series.Series`.
        ValueError: the generated values hold inf (or NaN that is no requested gap flag).

    >>> generate(make_config("bessel", {"num": 4, "x_stop": 3.0})).values.round(4)
    array([0.3528, 0.4198, 0.4663, 0.4861])
    >>> noisy = make_config("bessel", {"num": 4, "x_stop": 3.0, "noise_std": 0.1, "seed": 1})
    >>> bool((generate(noisy).values == generate(noisy).values).all())  # seeded noise
    True
    >>> generate(make_config("bessel", {"nu": 1e308, "num": 4}))
    Traceback (most recent call last):
    ...
    ValueError: bessel: the generated series holds 3 non-finite value(s) (first at index ...
    """
    for s in _BY_NAME.values():
        if type(config) is s.config_type:
            with np.errstate(over="ignore", invalid="ignore"):  # checked right below
                series = s.builder(config)
            if not isinstance(series, Series):
                raise TypeError(
                    f"the generator of dataset {s.name!r} returned {type(series).__name__}, "
                    "not a Series"
                )
            _check_generated(s.name, series, config)
            return add_noise(series, std=config.noise_std, seed=config.seed)
    raise TypeError(
        f"generate needs one of the registered config types, got {type(config).__name__}"
    )


def _check_generated(name: str, series: Series, config: DatasetConfig) -> None:
    """Refuse a generated series holding inf, or NaN other than requested gap flags."""
    values = series.values
    nan_gaps = series.info.get("gap_policy") == "nan"
    bad = np.isinf(values) if nan_gaps else ~np.isfinite(values)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        options = ", ".join(f"{k}={v!r}" for k, v in config.to_dict().items())
        raise ValueError(
            f"{name}: the generated series holds {int(bad.sum())} non-finite value(s) (first "
            f"at index {first}: {float(values[first])!r}); the options overflow float64 "
            f"arithmetic: {options}"
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
