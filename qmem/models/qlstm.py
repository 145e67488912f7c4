"""QLSTM models: ``qlstm`` (Chen, Yoo, Fang 2020) and ``qlstm_2024`` (the authors' later form).

Every gate map is a ``qmem.circuits.VQCLayer``; the options are those of :class:`VQCOptions`.

>>> from qmem.models import make_config
>>> make_config("qlstm_2024", {"n_layers": 0})
Traceback (most recent call last):
...
ValueError: model 'qlstm_2024': option 'n_layers' must be greater than or equal to 1, got 0
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from qmem.circuits import VQCLayer
from qmem.classical import LSTMCell, MapFactory, RecurrentModel, SixMapLSTMCell

from .base import generator, head_parameters
from .circuit_options import VQCOptions
from .registry import register

__all__ = ["QLSTMConfig"]


class QLSTMConfig(VQCOptions):
    """``qlstm`` and ``qlstm_2024``: the VQCs' options (fields of :class:`VQCOptions`).

    >>> QLSTMConfig(n_layers=1).to_dict()
    {'seed': 0, 'n_layers': 1, 'executor': 'statevector', 'executor_options': None}
    """


def vqc_maps(
    cfg: VQCOptions, g: torch.Generator, family: Literal["chen2020", "chen2024"]
) -> MapFactory:
    """Factory ``(fin, fout) -> VQCLayer`` of ``family`` with ``cfg``'s options."""

    def make(fin: int, fout: int) -> nn.Module:
        return VQCLayer(
            fin,
            cfg.n_layers,
            family=family,
            n_outputs=fout,
            executor=cfg.executor,
            executor_options=cfg.executor_options,
            generator=g,
        )

    return make


# --------------------------------------------------------------------------- qlstm
@register(
    "qlstm",
    config=QLSTMConfig,
    formula=lambda cfg, i, h, o: 18 * cfg.n_layers * (i + h) + head_parameters(i + h, o),
)
def build_qlstm(cfg: QLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qlstm``: QLSTM, paper form (Chen, Yoo, Fang 2020): six ``chen2020`` VQCs of
    ``n = I + H`` qubits in the six-map cell (gates read all ``n`` qubits, cell size ``n``;
    ``h_t`` = VQC5 read on the first ``H`` qubits; ``y_t`` = VQC6 on all ``n``), linear head
    on ``y_t``. The paper trains it with RMSprop (lr 0.01, α 0.99).

    Parameters: ``18·L·n`` quantum (six VQCs of ``L`` layers, ``Rot`` = 3 angles per qubit
    and layer) ``+ (n + 1)O`` classical.
    """
    g = generator(cfg)
    cell = SixMapLSTMCell(i, h, vqc_maps(cfg, g, "chen2020"))
    return RecurrentModel(cell, o, generator=g)


# --------------------------------------------------------------------------- qlstm_2024
@register(
    "qlstm_2024",
    config=QLSTMConfig,
    formula=lambda cfg, i, h, o: 4 * cfg.n_layers * (i + h) + head_parameters(h, o),
)
def build_qlstm_2024(cfg: QLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qlstm_2024``: the authors' later QLSTM: four ``chen2024`` VQCs of ``n = I + H``
    qubits on ``v_t``, each read on the first ``H`` qubits, standard LSTM update, linear
    head on ``h_t``.

    Parameters: ``4·L·n`` quantum (one ``RY`` per qubit and layer) ``+ (H + 1)O`` classical.
    """
    g = generator(cfg)
    cell = LSTMCell(i, h, vqc_maps(cfg, g, "chen2024"), fused=False)
    return RecurrentModel(cell, o, generator=g)
