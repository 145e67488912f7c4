"""QKAN models: ``qkan_lstm``, ``hqkan_lstm`` (QKAN gate maps) and ``hqkan`` (window).

Every gate map is built from ``qmem.circuits.QKANLayer`` (a KAN layer whose edges are
DARUAN activations); the QKAN options are those of :class:`QKANOptions`.

>>> from qmem.models import make_config
>>> make_config("qkan_lstm", {"reps": 10**9})
Traceback (most recent call last):
...
ValueError: model 'qkan_lstm': option 'reps' must be less than or equal to 64, got 1000000000
"""

from __future__ import annotations

import torch
from pydantic import Field
from torch import nn

from qmem.circuits import QKANLayer
from qmem.classical import JHCG, LSTMCell, MapFactory, RecurrentModel, default_latent_size

from .base import generator, head_parameters
from .circuit_options import QKANOptions
from .classical import MAX_WINDOW
from .registry import register
from .window import latent_width, window_jhcg

__all__ = ["HQKANConfig", "HQKANLSTMConfig", "QKANLSTMConfig", "qkan_edge_parameters"]


def qkan_maps(cfg: QKANOptions, g: torch.Generator) -> MapFactory:
    """Factory ``(fin, fout) -> QKANLayer`` with ``cfg``'s options, weights from ``g``."""

    def make(fin: int, fout: int) -> nn.Module:
        return QKANLayer(
            fin,
            fout,
            cfg.reps,
            cfg.ansatz,
            preact_trainable=cfg.preact_trainable,
            base_activation=cfg.base_activation,
            executor=cfg.executor,
            executor_options=cfg.executor_options,
            seed=g,
        )

    return make


def qkan_edge_parameters(cfg: QKANOptions, fin: int, fout: int) -> int:
    """Trainable parameters of ``QKANLayer(fin, fout)`` with ``cfg``'s options.

    >>> qkan_edge_parameters(QKANLSTMConfig(reps=1), 2, 4)  # 8 edges, 2(r + 1) each
    32
    """
    return QKANLayer.count_formula(
        fin,
        fout,
        cfg.reps,
        cfg.ansatz,
        preact_trainable=cfg.preact_trainable,
        base_activation=cfg.base_activation,
    )


# --------------------------------------------------------------------------- qkan_lstm
class QKANLSTMConfig(QKANOptions):
    """``qkan_lstm``: QKAN options (fields of :class:`QKANOptions`).

    >>> QKANLSTMConfig(reps=1, ansatz="rpz").to_dict()["ansatz"]
    'rpz'
    """


@register(
    "qkan_lstm",
    config=QKANLSTMConfig,
    formula=lambda cfg, i, h, o: qkan_edge_parameters(cfg, i + h, 4 * h) + head_parameters(h, o),
)
def build_qkan_lstm(cfg: QKANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qkan_lstm``: QKAN-LSTM, gate maps ``QKANLayer(I + H -> H)`` (fused into one
    ``QKANLayer(I + H -> 4H)``, identical because every edge is independent), linear head.

    Parameters: ``4H(I + H)·e + (H + 1)O`` with ``e`` the per-edge count of a QKAN layer:
    ``2(r + 1)`` (pz), ``r + 1`` (rpz) or ``r`` (real), ``+ 2r`` with trainable
    pre-activations, ``+ 1`` with the SiLU base branch.
    """
    g = generator(cfg)
    return RecurrentModel(LSTMCell(i, h, qkan_maps(cfg, g), fused=True), o, generator=g)


# --------------------------------------------------------------------------- hqkan_lstm
class HQKANLSTMConfig(QKANOptions):
    """``hqkan_lstm``: QKAN options, bottleneck width ``latent_size`` (``None``:
    ``⌈log2(I + H)⌉``; else 1 to 4096) and ``shared`` (one bottleneck for all four gates).

    Attributes:
        latent_size: the bottleneck width d of ``Linear(I + H, d) -> QKANLayer(d, d)``
            (unset: ``⌈log2(I + H)⌉``; else 1 to 4096).
        shared: one bottleneck ``Linear(I + H, d) -> QKANLayer(d, d) -> Linear(d, 4H)``
            for the four gates (False: one bottleneck per gate).

    >>> HQKANLSTMConfig(latent_size=3, shared=True).latent_size
    3
    """

    latent_size: int | None = Field(None, ge=1, le=4096)
    shared: bool = False


def _hqkan_lstm_parameters(cfg: HQKANLSTMConfig, i: int, h: int, o: int) -> int:
    v = i + h
    d = default_latent_size(v) if cfg.latent_size is None else cfg.latent_size
    one = (v + 1) * d + qkan_edge_parameters(cfg, d, d)
    if cfg.shared:
        return one + (d + 1) * 4 * h + head_parameters(h, o)
    return 4 * (one + (d + 1) * h) + head_parameters(h, o)


@register("hqkan_lstm", config=HQKANLSTMConfig, formula=_hqkan_lstm_parameters)
def build_hqkan_lstm(cfg: HQKANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``hqkan_lstm``: HQKAN-LSTM, each gate map ``Linear(I + H, d) -> QKANLayer(d, d) ->
    Linear(d, H)``, ``d = latent_size`` or ``⌈log2(I + H)⌉``; ``shared=True``: one bottleneck
    ``Linear(I + H, d) -> QKANLayer(d, d) -> Linear(d, 4H)`` split into the four gates.

    Parameters (``v = I + H``, ``e`` per QKAN edge as in ``qkan_lstm``):
    ``4[(v + 1)d + d²e + (d + 1)H] + (H + 1)O``; shared: ``(v + 1)d + d²e + (d + 1)4H +
    (H + 1)O``.
    """
    g = generator(cfg)
    qkan = qkan_maps(cfg, g)
    d = cfg.latent_size

    def make(fin: int, fout: int) -> nn.Module:
        return JHCG(fin, fout, qkan, latent_size=d, generator=g)

    cell = LSTMCell(i, h, make, fused=cfg.shared)
    return RecurrentModel(cell, o, generator=g)


# --------------------------------------------------------------------------- hqkan
class HQKANConfig(QKANOptions):
    """``hqkan``: QKAN options and ``window`` steps read (>= 1).

    Attributes:
        window: the last ``window`` steps of the input are flattened and read (1 to 100000).

    >>> HQKANConfig(window=2, reps=1).window
    2
    """

    window: int = Field(4, ge=1, le=MAX_WINDOW)


def _hqkan_parameters(cfg: HQKANConfig, i: int, h: int | None, o: int) -> int:
    k = latent_width(cfg.window, i, h)
    return (cfg.window * i + 1) * k + qkan_edge_parameters(cfg, k, k) + head_parameters(k, o)


@register("hqkan", config=HQKANConfig, formula=_hqkan_parameters, hidden_optional=True)
def build_hqkan(cfg: HQKANConfig, i: int, h: int | None, o: int) -> nn.Module:
    """``hqkan``: HQKAN on the flattened window: ``Linear(T·I, k) -> QKANLayer(k, k) ->
    Linear(k, O)``, ``k = hidden_size`` or ``⌈log2(T·I)⌉``.

    Parameters: ``(T·I + 1)k + k²e + (k + 1)O`` (``e`` per QKAN edge as in ``qkan_lstm``).
    """
    return window_jhcg(cfg, qkan_maps, i, h, o)
