"""``lstm_variant``: the LSTM variants of Greff et al. (2015/2017) with any gate map.

One model spans the grid variant × gate map. ``variant`` picks the cell
(:data:`qmem.classical.VARIANTS`: ``v`` (default, vanilla with peepholes), ``nig``,
``nfg``, ``nog``, ``niaf``, ``noaf``, ``np``, ``cifg``, ``fgr``); ``gate_map`` picks the
maps, with the same options, ranges and checks as the model that uses that map alone:

==========  ====================================================  =====================
gate_map    maps (the model it reproduces with ``variant="np"``)   its options
==========  ====================================================  =====================
``linear``  ``Linear`` (``lstm``)                                  —
``kan``     B-spline KAN (``kan_lstm``)                            grid_size, spline_order,
                                                                   grid_range
``qkan``    ``QKANLayer`` (``qkan_lstm``)                          reps, ansatz,
                                                                   base_activation,
                                                                   preact_trainable,
                                                                   executor,
                                                                   executor_options
``hqkan``   ``Linear -> QKANLayer -> Linear`` (``hqkan_lstm``)     the qkan options,
                                                                   latent_size, shared
``vqc``     ``chen2024`` VQCs, one per gate (``qlstm_2024``)       n_layers, executor,
                                                                   executor_options
==========  ====================================================  =====================

An option of another map must keep its default (``reps=2`` with ``gate_map="linear"`` is
refused, naming the maps it applies to). With ``variant="np"`` and the same seed the model
*is* the single-map model (same weights, same numbers: tested), so a CIFG QKAN-LSTM is the
``qkan_lstm`` config with ``name = "lstm_variant"``, ``gate_map = "qkan"`` and
``variant = "cifg"``.

>>> from qmem.models import build, parameter_formula
>>> parameter_formula("lstm_variant", input_size=1, hidden_size=5)  # 4H(I+H+1) + 3H + (H+1)O
161
>>> parameter_formula("lstm_variant", input_size=1, hidden_size=1, gate_map="qkan",
...                   variant="cifg", reps=1)  # 3 blocks · 2 edges · 4 angles + 2H + head
28
>>> build("lstm_variant", input_size=1, hidden_size=2, reps=2)
Traceback (most recent call last):
...
ValueError: model 'lstm_variant': option 'reps' (2) applies to gate_map 'qkan' or 'hqkan', not ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import torch
from pydantic import Field, model_validator
from torch import nn

from qmem.circuits import Ansatz, BaseActivation
from qmem.classical import (
    JHCG,
    LSTMVariantCell,
    MapFactory,
    RecurrentModel,
    default_latent_size,
    kan_parameter_count,
    linear_maps,
)
from qmem.classical.lstm_variants import Variant, gate_layout, peephole_gates
from qmem.config import Config

from .base import ModelConfig, generator, head_parameters
from .circuit_options import MAX_REPS
from .kan import MAX_GRID_SIZE, MAX_SPLINE_ORDER, KANLSTMConfig, kan_maps
from .qkan import HQKANLSTMConfig, QKANLSTMConfig, qkan_edge_parameters, qkan_maps
from .qlstm import QLSTMConfig, vqc_maps
from .registry import register

__all__ = ["GATE_MAPS", "GateMap", "LSTMVariantConfig"]

GateMap = Literal["linear", "kan", "qkan", "hqkan", "vqc"]
"""The gate maps of ``lstm_variant`` (the table in the module docstring)."""
GATE_MAPS: tuple[str, ...] = ("linear", "kan", "qkan", "hqkan", "vqc")
"""The values of :data:`GateMap`, in order."""

_QKAN = ("reps", "ansatz", "base_activation", "preact_trainable", "executor",
         "executor_options")
_MAP_OPTIONS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "kan": ("grid_size", "spline_order", "grid_range"),
    "qkan": _QKAN,
    "hqkan": (*_QKAN, "latent_size", "shared"),
    "vqc": ("n_layers", "executor", "executor_options"),
}
_MAP_CONFIG: dict[str, type[Config]] = {
    "kan": KANLSTMConfig, "qkan": QKANLSTMConfig, "hqkan": HQKANLSTMConfig, "vqc": QLSTMConfig,
}


class LSTMVariantConfig(ModelConfig):
    """``lstm_variant``: the cell ``variant``, the ``gate_map`` and that map's options.

    Attributes:
        variant: a Greff et al. variant (see :mod:`qmem.classical.lstm_variants`).
        gate_map: ``"linear"``, ``"kan"``, ``"qkan"``, ``"hqkan"`` or ``"vqc"``.
        grid_size, spline_order, grid_range: the B-spline grid (``kan``), as ``kan_lstm``.
        reps, ansatz, base_activation, preact_trainable: the QKAN edges (``qkan``,
            ``hqkan``), as ``qkan_lstm``.
        latent_size, shared: the HQKAN bottleneck (``hqkan``), as ``hqkan_lstm``.
        n_layers: VQC layers (``vqc``), as ``qlstm_2024``.
        executor, executor_options: the circuits' executor (``qkan``, ``hqkan``, ``vqc``;
            checked against the executors of that circuit kind). ``"auto"`` is
            ``qkan_lstm``'s default and, for VQCs, resolves to ``qlstm_2024``'s
            ``"statevector"``.

    >>> cfg = LSTMVariantConfig(variant="cifg", gate_map="qkan", reps=1)
    >>> cfg.map_config().reps, type(cfg.map_config()).__name__
    (1, 'QKANLSTMConfig')
    """

    variant: Variant = "v"
    gate_map: GateMap = "linear"
    grid_size: int = Field(5, ge=1, le=MAX_GRID_SIZE)
    spline_order: int = Field(3, ge=1, le=MAX_SPLINE_ORDER)
    grid_range: tuple[float, float] = (-1.0, 1.0)
    reps: int = Field(3, ge=1, le=MAX_REPS)
    ansatz: Ansatz = "pz"
    base_activation: BaseActivation = "none"
    preact_trainable: bool = False
    latent_size: int | None = Field(None, ge=1, le=4096)
    shared: bool = False
    n_layers: int = Field(2, ge=1, le=MAX_REPS)
    executor: str = "auto"
    executor_options: Mapping[str, Any] | None = None

    map_options: ClassVar[dict[str, tuple[str, ...]]] = _MAP_OPTIONS
    """The options each gate map reads."""

    @model_validator(mode="after")
    def _options_fit_the_map(self) -> LSTMVariantConfig:
        mine = _MAP_OPTIONS[self.gate_map]
        fields = type(self).model_fields
        for key in dict.fromkeys(k for opts in _MAP_OPTIONS.values() for k in opts):
            value, default = getattr(self, key), fields[key].default
            if key in mine or value == default or (key == "executor_options" and not value):
                continue
            users = " or ".join(repr(m) for m, opts in _MAP_OPTIONS.items() if key in opts)
            raise ValueError(
                f"option {key!r} ({value!r}) applies to gate_map {users}, not {self.gate_map!r}"
            )
        self.map_config()  # the map's own checks (executor registry, grid_range, ...)
        return self

    def map_config(self) -> Config | None:
        """The gate map's own config (that of the single-map model), ``None`` for linear.

        Raises:
            ValueError: the map's options fail its checks (the message names the map).
        """
        cls = _MAP_CONFIG.get(self.gate_map)
        if cls is None:
            return None
        options = {k: getattr(self, k) for k in _MAP_OPTIONS[self.gate_map]}
        return cls.from_dict({**options, "seed": self.seed}, owner=f"gate_map {self.gate_map!r}")


def _fused(cfg: LSTMVariantConfig) -> bool:
    """One map for all gate blocks (edge-wise maps; HQKAN with ``shared``); VQCs: one each."""
    if cfg.gate_map == "vqc":
        return False
    return cfg.shared if cfg.gate_map == "hqkan" else True


def _maps(cfg: LSTMVariantConfig, g: torch.Generator) -> MapFactory:
    sub: Any = cfg.map_config()
    if cfg.gate_map == "linear":
        return linear_maps(g)
    if cfg.gate_map == "kan":
        return kan_maps(sub, g)
    if cfg.gate_map == "vqc":
        return vqc_maps(sub, g, "chen2024")
    qkan = qkan_maps(sub, g)
    if cfg.gate_map == "qkan":
        return qkan

    def bottleneck(fin: int, fout: int) -> nn.Module:
        return JHCG(fin, fout, qkan, latent_size=cfg.latent_size, generator=g)

    return bottleneck


def map_parameters(cfg: LSTMVariantConfig, fin: int, fout: int) -> int:
    """Trainable parameters of one gate map ``fin -> fout`` of ``cfg.gate_map``.

    ``linear``: ``fin·fout + fout``; ``kan``: ``fin·fout·(G + k + 1)``; ``qkan``:
    ``fin·fout·e``; ``hqkan``: ``(fin + 1)d + d²e + (d + 1)fout``; ``vqc``: ``L·fin``
    (``fin`` qubits, one ``RY`` per qubit and layer).

    >>> map_parameters(LSTMVariantConfig(gate_map="kan"), 2, 3)
    54
    """
    if cfg.gate_map == "linear":
        return fin * fout + fout
    if cfg.gate_map == "kan":
        return kan_parameter_count(fin, fout, cfg.grid_size, cfg.spline_order)
    if cfg.gate_map == "vqc":
        return cfg.n_layers * fin
    sub: Any = cfg.map_config()  # QKAN options
    if cfg.gate_map == "qkan":
        return qkan_edge_parameters(sub, fin, fout)
    d = default_latent_size(fin) if cfg.latent_size is None else cfg.latent_size
    return (fin + 1) * d + qkan_edge_parameters(sub, d, d) + (d + 1) * fout


def lstm_variant_parameters(cfg: LSTMVariantConfig, i: int, h: int, o: int) -> int:
    """``maps + |peepholes|·H (+ 9H² for FGR) + (H + 1)O``; ``n = len(gate_layout)``
    blocks, maps ``map(I + H, n·H)`` fused or ``n · map(I + H, H)``."""
    n = len(gate_layout(cfg.variant))
    v = i + h
    maps = map_parameters(cfg, v, n * h) if _fused(cfg) else n * map_parameters(cfg, v, h)
    extra = len(peephole_gates(cfg.variant)) * h + (9 * h * h if cfg.variant == "fgr" else 0)
    return maps + extra + head_parameters(h, o)


@register("lstm_variant", config=LSTMVariantConfig, formula=lstm_variant_parameters)
def build_lstm_variant(cfg: LSTMVariantConfig, i: int, h: int, o: int) -> nn.Module:
    """``lstm_variant``: an LSTM variant of Greff et al., "LSTM: A Search Space Odyssey"
    (``variant``: v, nig, nfg, nog, niaf, noaf, np, cifg, fgr) with ``gate_map`` maps
    (linear, kan, qkan, hqkan, vqc), linear head.

    Parameters: ``maps + p·H + r + (H + 1)O`` with ``n`` gate blocks (4; 3 for NIG, NFG, NOG,
    CIFG), ``p`` peephole vectors (3; 2 for NIG, NFG, NOG, CIFG; 0 for NP), ``r = 9H²`` for
    FGR (else 0); maps ``n`` times one ``I + H -> H`` map for edge-wise maps: ``linear``
    ``n·H(I + H + 1)``, ``kan`` ``n·H(I + H)(G + k + 1)``, ``qkan`` ``n·H(I + H)·e``;
    ``hqkan`` ``n[(v + 1)d + d²e + (d + 1)H]`` (shared: ``(v + 1)d + d²e + (d + 1)nH``);
    ``vqc`` ``n·L·(I + H)``.
    """
    g = generator(cfg)
    cell = LSTMVariantCell(i, h, _maps(cfg, g), variant=cfg.variant, fused=_fused(cfg),
                           generator=g)
    return RecurrentModel(cell, o, generator=g)
