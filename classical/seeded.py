"""Seeded construction of standard layers: every draw comes from a passed ``torch.Generator``.

``torch.nn.Linear`` initialises from the global RNG; :func:`seeded_linear` builds it without
initialisation and draws its weights from a generator with the same distribution
(``U(-1/sqrt(in), 1/sqrt(in))`` for weight and bias, torch's default), so a model is a pure
function of its seed.

>>> import torch
>>> a = seeded_linear(3, 2, torch.Generator().manual_seed(0))
>>> b = seeded_linear(3, 2, torch.Generator().manual_seed(0))
>>> torch.equal(a.weight, b.weight), a.weight.shape
(True, torch.Size([2, 3]))
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["init_linear_", "seeded_linear"]


@torch.no_grad()
def init_linear_(linear: nn.Linear, generator: torch.Generator) -> nn.Linear:
    """Re-initialise ``linear`` in place from ``generator`` (torch's default distribution:
    weight and bias uniform in ``±1/√in_features``).

    >>> a = init_linear_(nn.Linear(3, 2), torch.Generator().manual_seed(0))
    >>> b = init_linear_(nn.Linear(3, 2), torch.Generator().manual_seed(0))
    >>> torch.equal(a.weight, b.weight), bool(a.weight.abs().max() <= 3 ** -0.5)
    (True, True)
    """
    bound = 1.0 / math.sqrt(linear.in_features) if linear.in_features > 0 else 0.0
    linear.weight.uniform_(-bound, bound, generator=generator)
    if linear.bias is not None:
        linear.bias.uniform_(-bound, bound, generator=generator)
    return linear


def seeded_linear(
    in_features: int, out_features: int, generator: torch.Generator, *, bias: bool = True
) -> nn.Linear:
    """``nn.Linear(in_features, out_features, bias)`` with weights drawn from ``generator``.

    Built with ``torch.nn.utils.skip_init``, so the global RNG is not even advanced.
    """
    linear = torch.nn.utils.skip_init(nn.Linear, in_features, out_features, bias=bias)
    return init_linear_(linear, generator)
