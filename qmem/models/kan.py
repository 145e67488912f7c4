"""B-spline KAN models: ``kan_lstm`` (KAN gate maps) and ``jhcg`` (JHCG Net on a window).

>>> from qmem.models import make_config
>>> make_config("kan_lstm", {"grid_range": [-2, 2]}).grid_range
(-2.0, 2.0)
>>> make_config("kan_lstm", {"grid_range": [1, -1]})
Traceback (most recent call last):
...
ValueError: model 'kan_lstm': grid_range must be (low, high) with high > low, got (1.0, -1.0)
"""

from __future__ import annotations

import torch
from pydantic import Field, model_validator
from torch import nn

from qmem.classical import BSplineKAN, LSTMCell, MapFactory, RecurrentModel, kan_parameter_count

from .base import ModelConfig, generator, head_parameters
from .classical import MAX_WINDOW
from .registry import register
from .window import latent_width, window_jhcg

__all__ = ["MAX_GRID_SIZE", "MAX_SPLINE_ORDER", "JHCGConfig", "KANGrid", "KANLSTMConfig"]

MAX_GRID_SIZE = 1000
"""Upper bound of ``grid_size`` (grid intervals of a B-spline edge)."""
MAX_SPLINE_ORDER = 10
"""Upper bound of ``spline_order``."""


class KANGrid(ModelConfig):
    """The B-spline grid of a KAN map (see ``qmem.classical.BSplineKAN``).

    Attributes:
        grid_size: grid intervals ``G`` (1 to 1000).
        spline_order: spline order ``k`` (1 to 10; 3 = cubic).
        grid_range: ``(low, high)`` of the uniform grid, ``high > low``.

    >>> KANGrid(grid_size=8).grid_size, KANGrid().grid_range
    (8, (-1.0, 1.0))
    """

    grid_size: int = Field(5, ge=1, le=MAX_GRID_SIZE)
    spline_order: int = Field(3, ge=1, le=MAX_SPLINE_ORDER)
    grid_range: tuple[float, float] = (-1.0, 1.0)

    @model_validator(mode="after")
    def _increasing(self) -> KANGrid:
        low, high = self.grid_range
        if not high > low:
            raise ValueError(
                f"grid_range must be (low, high) with high > low, got {self.grid_range}"
            )
        return self


def kan_maps(cfg: KANGrid, g: torch.Generator) -> MapFactory:
    """Factory ``(fin, fout) -> BSplineKAN`` with ``cfg``'s grid, weights from ``g``."""

    def make(fin: int, fout: int) -> nn.Module:
        return BSplineKAN(
            fin,
            fout,
            grid_size=cfg.grid_size,
            spline_order=cfg.spline_order,
            grid_range=cfg.grid_range,
            generator=g,
        )

    return make


# --------------------------------------------------------------------------- kan_lstm
class KANLSTMConfig(KANGrid):
    """``kan_lstm``: B-spline grid of the gate maps (the fields of :class:`KANGrid`).

    >>> KANLSTMConfig(spline_order=1).spline_order
    1
    """


def _kan_lstm_parameters(cfg: KANLSTMConfig, i: int, h: int, o: int) -> int:
    edges = kan_parameter_count(i + h, 4 * h, cfg.grid_size, cfg.spline_order)
    return edges + head_parameters(h, o)


@register("kan_lstm", config=KANLSTMConfig, formula=_kan_lstm_parameters)
def build_kan_lstm(cfg: KANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``kan_lstm``: LSTM whose gate maps are B-spline KAN layers on ``[x_t, h_{t-1}]``
    (fused into one ``KAN(I + H -> 4H)``, identical to four ``KAN(I + H -> H)``).

    Parameters: ``4H(I + H)(G + k + 1) + (H + 1)O`` (grid size ``G``, spline order ``k``).
    """
    g = generator(cfg)
    return RecurrentModel(LSTMCell(i, h, kan_maps(cfg, g), fused=True), o, generator=g)


# --------------------------------------------------------------------------- jhcg
class JHCGConfig(KANGrid):
    """``jhcg``: ``window`` steps read (>= 1); B-spline grid of the latent KAN.

    Attributes:
        window: the last ``window`` steps of the input are flattened and read (1 to 100000).

    >>> JHCGConfig(window=6).window
    6
    """

    window: int = Field(4, ge=1, le=MAX_WINDOW)


def _jhcg_parameters(cfg: JHCGConfig, i: int, h: int | None, o: int) -> int:
    k = latent_width(cfg.window, i, h)
    kan = kan_parameter_count(k, k, cfg.grid_size, cfg.spline_order)
    return (cfg.window * i + 1) * k + kan + head_parameters(k, o)


@register("jhcg", config=JHCGConfig, formula=_jhcg_parameters, hidden_optional=True)
def build_jhcg(cfg: JHCGConfig, i: int, h: int | None, o: int) -> nn.Module:
    """``jhcg``: JHCG Net on the flattened window: ``Linear(T·I, k) -> KAN(k, k) ->
    Linear(k, O)``, ``k = hidden_size`` or ``⌈log2(T·I)⌉``.

    Parameters: ``(T·I + 1)k + k²(G + s + 1) + (k + 1)O``.
    """
    return window_jhcg(cfg, kan_maps, i, h, o)
