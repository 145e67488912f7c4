"""Sequence-level preparation of gate maps: batch-independent work done once per forward.

A gate map may implement ``prepare()`` and ``release()``: between the two calls it may reuse
work that depends on its parameters only (a QKAN layer's Fourier weights, a VQC's unitary)
for every time step. :func:`prepared` calls them on every submodule that has them and always
releases, so a cached tensor never outlives the forward pass that built it (its autograd
graph is shared by all steps, which is exactly what backpropagation through time needs).

>>> import torch
>>> from torch import nn
>>> class Map(nn.Linear):
...     calls = 0
...     def prepare(self): Map.calls += 1
...     def release(self): pass
>>> net = nn.Sequential(Map(2, 2), nn.Tanh())
>>> with prepared(net):
...     _ = net(torch.zeros(1, 2))
>>> Map.calls
1
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn

__all__ = ["prepared"]


@contextmanager
def prepared(module: nn.Module) -> Iterator[nn.Module]:
    """Context in which every submodule with ``prepare``/``release`` is prepared."""
    done = []
    try:
        for m in module.modules():
            if callable(getattr(m, "prepare", None)) and callable(getattr(m, "release", None)):
                m.prepare()
                done.append(m)
        yield module
    finally:
        for m in done:
            m.release()
