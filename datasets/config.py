"""The base of every dataset config, on the project's one config base :class:`qmem.config.Config`.

Every dataset's options are a frozen pydantic model deriving from :class:`DatasetConfig`:
strict types (``"2"`` is no int, ints are accepted for floats, lists for tuples), ranges on
the fields themselves, cross-field checks in a ``model_validator(mode="after")``. A wrong
type raises ``TypeError``; a wrong value (range, ``Literal``, unknown or missing option)
raises ``ValueError``; every message starts with the dataset's name (``label``) and names
the option and the value.

>>> from pydantic import Field, field_validator
>>> class Demo(DatasetConfig):
...     num: int = Field(10, ge=2)
...     scale: float = 1.0
>>> Demo.from_dict({"num": 5, "scale": 2}).scale
2.0
>>> Demo.from_dict({"nmu": 5})
Traceback (most recent call last):
...
ValueError: dataset: unknown option 'nmu' (did you mean 'num'?); allowed: noise_std, ...
>>> Demo(num=1)
Traceback (most recent call last):
...
ValueError: dataset: option 'num' must be greater than or equal to 2, got 1
"""

from __future__ import annotations

import math
import os
from typing import Any, ClassVar

from pydantic import Field, field_validator

from qmem.config import Config

__all__ = [
    "GRID_RESOLUTION", "DatasetConfig", "check_grid", "check_span", "check_step_grid", "path_text",
]

GRID_RESOLUTION = 1e-9
"""Smallest grid step relative to the largest |coordinate| of the grid (float64 keeps ~16
digits: a finer step would give coincident or badly rounded sample times)."""


class DatasetConfig(Config):
    """Base of every dataset config: observation-noise options shared by all series.

    Attributes:
        noise_std: standard deviation of additive Gaussian observation noise, in the series'
            units (>= 0; 0 = no noise).
        seed: seed (>= 0) of the ``numpy.random.Generator`` that draws the noise (the series
            is a pure function of its config, seed included).

    >>> DatasetConfig(noise_std=0.1).to_dict()
    {'noise_std': 0.1, 'seed': 0}
    """

    noise_std: float = Field(0.0, ge=0)
    seed: int = Field(0, ge=0)

    label: ClassVar[str] = "dataset"
    """The dataset's registry name, the prefix of every validation message."""

    @field_validator("path", mode="before", check_fields=False)
    @classmethod
    def _path_text(cls, value: object) -> object:
        """A dataset's ``path`` option (where it has one) takes ``os.PathLike`` too."""
        return path_text(value)


def check_span(start_name: str, start: float, stop_name: str, stop: float) -> float:
    """Return ``stop - start`` if ``stop`` exceeds ``start`` by a finite amount, else raise.

    For a model validator's cross-field check of a grid's ends.

    Raises:
        ValueError: ``stop <= start``, or the span overflows to infinity.

    >>> check_span("t_start", 0.0, "t_stop", 20.0)
    20.0
    >>> check_span("t_start", 0.0, "t_stop", -1.0)
    Traceback (most recent call last):
    ...
    ValueError: t_stop (-1.0) must exceed t_start (0.0)
    """
    if stop <= start:
        raise ValueError(f"{stop_name} ({stop!r}) must exceed {start_name} ({start!r})")
    span = stop - start
    if not math.isfinite(span):
        raise ValueError(
            f"the span {stop_name} - {start_name} = {stop!r} - {start!r} is not a finite number"
        )
    return span


def check_grid(
    start_name: str, start: float, stop_name: str, stop: float, num: int
) -> float:
    """:func:`check_span`, and a step ``(stop - start) / (num - 1)`` that float64 resolves.

    The step must be at least :data:`GRID_RESOLUTION` times the grid's largest |coordinate|:
    ``t_start=1e17, t_stop=1e17 + 20`` would otherwise sample coincident times.

    Returns:
        The step.

    Raises:
        ValueError: as :func:`check_span`, or a step too fine for the grid's position.

    >>> check_grid("t_start", 0.0, "t_stop", 20.0, 5)
    5.0
    >>> check_grid("t_start", 1e17, "t_stop", 1e17 + 32, 240)
    Traceback (most recent call last):
    ...
    ValueError: the grid of 240 points on [1e+17, 1.0000000000000003e+17] has a step of ...
    """
    span = check_span(start_name, start, stop_name, stop)
    return _check_step(span / (num - 1), num, start, stop)


def _check_step(step: float, num: int, start: float, stop: float) -> float:
    scale = max(abs(start), abs(stop))
    if not step >= GRID_RESOLUTION * scale:
        raise ValueError(
            f"the grid of {num} points on [{start!r}, {stop!r}] has a step of {step:.3g}, "
            f"finer than float64 resolves so far from 0 (the step must be >= "
            f"{GRID_RESOLUTION:g} x {scale:.3g}); move the grid towards 0 or use fewer points"
        )
    return step


def check_step_grid(start_name: str, start: float, step: float, num: int) -> float:
    """The last point ``start + step * (num - 1)`` of a grid given by its step, checked.

    Raises:
        ValueError: the last point overflows, or the step is too fine for the grid's
            position (see :func:`check_grid`).

    >>> check_step_grid("t_start", 0.0, 0.1, 11)
    1.0
    """
    stop = start + step * (num - 1)
    if not math.isfinite(stop):
        raise ValueError(
            f"the grid {start_name}={start!r} + {step!r} * ({num} - 1) overflows to {stop!r}"
        )
    _check_step(step, num, start, stop)
    return stop


def path_text(value: Any) -> Any:
    """A ``path`` option as text: ``os.PathLike`` (e.g. ``pathlib.Path``) and lists or tuples
    of them become ``str``; anything else is returned unchanged for the field to check.

    Configs hold paths as strings (they are written back to TOML); this lets users pass the
    ``Path`` objects they already have.

    >>> from pathlib import PurePosixPath
    >>> path_text(PurePosixPath("data") / "a.csv"), path_text([PurePosixPath("x"), "y"])
    ('data/a.csv', ('x', 'y'))
    >>> path_text(3)
    3
    """
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)) and any(isinstance(v, os.PathLike) for v in value):
        return tuple(os.fspath(v) if isinstance(v, os.PathLike) else v for v in value)
    return value
