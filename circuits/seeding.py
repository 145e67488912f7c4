"""Seeds for circuit layers: an int or a ``torch.Generator``, never the global RNG's seed.

>>> g = as_generator(3)
>>> bool(torch.rand(1, generator=g) == torch.rand(1, generator=as_generator(3)))
True
>>> as_generator(None) is None
True
"""

from __future__ import annotations

import torch

__all__ = ["as_generator"]


def as_generator(seed: int | torch.Generator | None) -> torch.Generator | None:
    """A CPU ``torch.Generator`` seeded with ``seed``; a generator passes through; None stays
    None (the caller then draws from torch's default generator without seeding it).

    Raises:
        TypeError: ``seed`` is neither an int, a ``torch.Generator`` nor None.
    """
    if seed is None or isinstance(seed, torch.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a torch.Generator or None, got {seed!r}")
    return torch.Generator().manual_seed(seed)
