"""The base of every model config, and the small pieces every model family shares.

A model's options are the fields of a frozen, strict config class derived from
:class:`ModelConfig` (itself a :class:`qmem.config.Config`): unknown keys, wrong types and
out-of-range values are refused when the config is made, with a message naming the model, the
option, the value and what is allowed. Every model config has ``seed``: the seed of the
``torch.Generator`` that draws all initial weights (the global RNG is never touched).

>>> from pydantic import Field
>>> class DemoConfig(ModelConfig):
...     window: int = Field(4, ge=1, le=10_000)
>>> DemoConfig(window=8).window, DemoConfig().seed
(8, 0)
>>> DemoConfig.from_dict({"window": 0}, owner="model 'demo'")
Traceback (most recent call last):
...
ValueError: model 'demo': option 'window' must be greater than or equal to 1, got 0
>>> DemoConfig(seed=-1)
Traceback (most recent call last):
...
ValueError: DemoConfig: option 'seed' must be greater than or equal to 0, got -1
"""

from __future__ import annotations

import torch
from pydantic import Field

from qmem.config import Config
from qmem.validation import make_generator

__all__ = ["ModelConfig", "generator", "head_parameters"]


class ModelConfig(Config):
    """Options shared by every model.

    Attributes:
        seed: seed (>= 0) of the ``torch.Generator`` that draws all initial weights.
    """

    seed: int = Field(0, ge=0)


def generator(cfg: ModelConfig) -> torch.Generator:
    """A fresh CPU generator seeded with ``cfg.seed`` (one per model build).

    >>> bool(torch.rand(1, generator=generator(ModelConfig(seed=3)))
    ...      == torch.rand(1, generator=generator(ModelConfig(seed=3))))
    True
    """
    return make_generator(cfg.seed)


def head_parameters(features: int, output_size: int) -> int:
    """Parameters of the linear head ``Linear(features, O)``: ``(features + 1)·O``.

    >>> head_parameters(5, 1)
    6
    """
    return (features + 1) * output_size
