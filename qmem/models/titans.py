"""``titans_memory``: a Titans-style neural long-term memory (Behrouz, Zhong, Mirrokni).

>>> from qmem.models import parameter_formula
>>> parameter_formula("titans_memory", input_size=1, hidden_size=5)  # 2·18 + 2·25 + 6
92
>>> parameter_formula("titans_memory", input_size=1, hidden_size=5, depth=3)
Traceback (most recent call last):
...
ValueError: model 'titans_memory': option 'depth' must be less than or equal to 2, got 3
"""

from __future__ import annotations

from pydantic import Field
from torch import nn

from qmem.classical import RecurrentModel, TitansMemoryCell

from .base import ModelConfig, generator, head_parameters
from .registry import register

__all__ = ["TitansMemoryConfig"]


class TitansMemoryConfig(ModelConfig):
    """``titans_memory``: ``depth`` of the memory MLP (1: linear memory ``W k``; 2, the
    default: ``W_2 silu(W_1 k)``).

    Attributes:
        depth: layers of the memory MLP: 1 (linear memory ``W k``) or 2 (``W_2 silu(W_1 k)``).
        max_grad_norm: the per-sample norm bound ``c`` on each inner (write) gradient, qmem's
            stabiliser of the paper's update (``classical.titans``); None: no bound.

    >>> TitansMemoryConfig(depth=1).depth
    1
    """

    depth: int = Field(2, ge=1, le=2)
    max_grad_norm: float | None = Field(1.0, gt=0.0)


def titans_memory_parameters(cfg: TitansMemoryConfig, i: int, h: int, o: int) -> int:
    """``(I + 1)(3H + 3) + depth·H² + (H + 1)O``."""
    return (i + 1) * (3 * h + 3) + cfg.depth * h * h + head_parameters(h, o)


@register("titans_memory", config=TitansMemoryConfig, formula=titans_memory_parameters)
def build_titans_memory(cfg: TitansMemoryConfig, i: int, h: int, o: int) -> nn.Module:
    """``titans_memory``: Titans neural long-term memory (Behrouz, Zhong, Mirrokni 2024):
    a memory MLP of ``depth`` 1 or 2 whose weights are the state, written each step by a
    gradient step with momentum and forgetting on ``‖M(k_t) - v_t‖²`` (data-dependent
    ``θ_t, η_t, α_t``), read at ``q_t``; linear head on ``M_t(q_t)``.

    Parameters: ``(I + 1)(3H + 3)`` (keys, values, queries, ``θ, η, α``) ``+ depth·H²``
    (the learned initial memory ``M_0``) ``+ (H + 1)O``.
    """
    g = generator(cfg)
    cell = TitansMemoryCell(i, h, depth=cfg.depth, generator=g, max_grad_norm=cfg.max_grad_norm)
    return RecurrentModel(cell, o, generator=g)
