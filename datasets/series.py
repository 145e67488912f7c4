"""The result type of every dataset: a float64 series with its time axis.

>>> import numpy as np
>>> s = Series(name="demo", values=np.arange(3.0), time=np.arange(3.0))
>>> len(s), s.values.dtype, np.asarray(s).shape
(3, dtype('float64'), (3,))
>>> add_noise(s, std=0.1, seed=0).values.round(3)
array([0.013, 0.987, 2.064])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from qmem.validation import check_float, check_int

__all__ = ["Series", "add_noise", "check_finite", "check_time_axis"]


def check_finite(values: np.ndarray, what: str) -> None:
    """Raise ``ValueError`` if ``values`` holds NaN or inf, naming the first bad index.

    Args:
        values: array of any shape.
        what: name of the data, used in the message.

    Raises:
        ValueError: if any entry is not finite.

    >>> check_finite(np.array([1.0, np.nan]), "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo holds 1 non-finite value(s) (NaN or inf); first at index (1,): nan
    """
    bad = ~np.isfinite(values)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{what} holds {int(bad.sum())} non-finite value(s) (NaN or inf); "
            f"first at index {first}: {float(values[first])!r}"
        )


def check_time_axis(time: np.ndarray, what: str) -> None:
    """Raise unless ``time`` is a finite, strictly increasing float or ``datetime64`` axis.

    Args:
        time: shape (N,).
        what: name of the data, used in the message.

    Raises:
        TypeError: ``time`` is neither numeric nor ``datetime64``.
        ValueError: a NaN/inf/NaT entry, or a step that is not > 0 (the message names the
            first offending index and both values).

    >>> check_time_axis(np.array([0.0, 1.0, 1.0]), "demo")
    Traceback (most recent call last):
    ...
    ValueError: demo time axis must be strictly increasing; index 2 (1.0) does not follow ...
    """
    kind = time.dtype.kind
    if kind == "M":
        bad = np.isnat(time)
    elif kind in "iuf":
        bad = ~np.isfinite(time)
    else:
        raise TypeError(f"{what} time axis must be numeric or datetime64, got dtype {time.dtype}")
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"{what} time axis holds {int(bad.sum())} NaN/inf/NaT value(s); "
                         f"first at index {first}")
    if time.size > 1:
        step_ok = time[1:] > time[:-1]
        if not step_ok.all():
            k = int(np.argmin(step_ok)) + 1
            raise ValueError(
                f"{what} time axis must be strictly increasing; index {k} ({time[k]}) does "
                f"not follow index {k - 1} ({time[k - 1]})"
            )


@dataclass(frozen=True, eq=False)
class Series:
    """A time series: values (float64, read-only) and their time axis.

    ``np.asarray(series)`` and ``series.values`` give the values; ``len(series)`` the number of
    time steps.

    Attributes:
        name: dataset name (e.g. ``"damped_shm"``).
        values: shape (N,) for one signal or (N, C) for C signals, float64, read-only.
        time: shape (N,); float64 for synthetic series, ``datetime64[ms]`` (UTC) for timestamped
            data.
        channels: names of the C signals (one name for a 1-D series).
        time_unit: what ``time`` measures (e.g. ``"t"``, ``"x"``, ``"UTC"``, ``"step"``).
        config: the dataset config that produced the series (``None`` if built by hand).
        info: read-only extra facts (e.g. gap counts of the Milan loader).
    """

    name: str
    values: np.ndarray
    time: np.ndarray
    channels: tuple[str, ...] = ("value",)
    time_unit: str = "step"
    config: Any = None
    info: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Series name must be a str, got {self.name!r}")
        raw = np.asarray(self.values)
        if raw.dtype.kind not in "iuf":  # bool, complex, str, object: no silent cast
            raise TypeError(f"Series values must be numeric (real numbers), got dtype {raw.dtype}")
        values = np.array(raw, dtype=np.float64)  # copy: the series owns its data
        if values.ndim not in (1, 2):
            raise ValueError(f"Series values must be 1-D or 2-D, got shape {values.shape}")
        time = np.array(self.time)
        if time.shape != (values.shape[0],):
            raise ValueError(
                f"Series time axis must have shape ({values.shape[0]},), got {time.shape}"
            )
        check_time_axis(time, f"Series {self.name!r}")
        if isinstance(self.channels, str):
            raise TypeError(
                f"Series channels must be a tuple of names, got the str {self.channels!r}"
            )
        n_channels = 1 if values.ndim == 1 else values.shape[1]
        channels = tuple(self.channels)
        if len(channels) != n_channels:
            raise ValueError(
                f"Series has {n_channels} channel(s) but {len(channels)} name(s): {channels}"
            )
        values.setflags(write=False)
        time.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "channels", channels)
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is None and not copy:
            return self.values
        return np.array(self.values, dtype=dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`values`."""
        return tuple(self.values.shape)


def add_noise(series: Series, *, std: float, seed: int) -> Series:
    """Return ``series`` plus i.i.d. Gaussian observation noise of standard deviation ``std``.

    The noise comes from ``numpy.random.default_rng(seed)``; ``std == 0`` returns the series
    unchanged.

    Args:
        series: the clean series.
        std: noise standard deviation in the series' units (>= 0).
        seed: seed of the noise generator.

    Returns:
        A new :class:`Series`; ``info`` records ``noise_std`` and ``noise_seed``.

    Raises:
        TypeError: ``std`` is not a real number or ``seed`` not an int.
        ValueError: if ``std`` is negative or not finite, ``seed`` negative, or the noisy
            values overflow.
    """
    std = check_float("noise std", std, minimum=0.0)
    seed = check_int("noise seed", seed, minimum=0)
    if std == 0:
        return series
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore"):
        noisy = series.values + rng.normal(0.0, std, size=series.values.shape)
    was_finite = np.isfinite(series.values)
    if not np.isfinite(noisy[was_finite]).all():
        raise ValueError(f"noise of std {std!r} overflows the values of {series.name!r} to inf")
    info = {**series.info, "noise_std": float(std), "noise_seed": int(seed)}
    return replace(series, values=noisy, info=info)
