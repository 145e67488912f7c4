"""The base of every dataset config, on the project's one config base :class:`qmem.config.Config`.

Every dataset's options are a frozen pydantic model deriving from :class:`DatasetConfig`:
strict types (``"2"`` is no int, ints are accepted for floats, lists for tuples), ranges on
the fields themselves, cross-field checks in a ``model_validator(mode="after")``. A wrong
type raises ``TypeError``; a wrong value (range, ``Literal``, unknown or missing option)
raises ``ValueError``; every message starts with the dataset's name (``label``) and names
the option and the value.

>>> from pydantic import Field
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
from typing import ClassVar

from pydantic import Field

from qmem.config import Config

__all__ = ["DatasetConfig", "check_span"]


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
