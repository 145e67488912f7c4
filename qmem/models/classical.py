"""Classical baselines: ``lstm``, ``gru``, ``mlp``, ``slstm``, ``mlstm``, ``xlstm_ref``.

Each model's config, builder and parameter formula sit together; :func:`register` files them
under the model's name.

>>> from qmem.models import build, parameter_formula
>>> parameter_formula("mlp", input_size=2, hidden_size=8, window=3)  # (T·I + 1)H + (H + 1)O
65
>>> build("mlp", input_size=1, hidden_size=8, window=0)
Traceback (most recent call last):
...
ValueError: model 'mlp': option 'window' must be greater than or equal to 1, got 0
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from torch import nn

from qmem.classical import (
    GRUCell,
    LSTMCell,
    MLSTMCell,
    RecurrentModel,
    SLSTMCell,
    WindowMLP,
    WindowModel,
    XLSTMRef,
    linear_maps,
)

from .base import ModelConfig, generator, head_parameters
from .registry import register

__all__ = [
    "MAX_WINDOW",
    "GRUConfig",
    "LSTMConfig",
    "MLPConfig",
    "MLSTMConfig",
    "SLSTMConfig",
    "XLSTMRefConfig",
]

MAX_WINDOW = 100_000
"""Upper bound of ``window`` (steps read by a window model)."""


# --------------------------------------------------------------------------- lstm
class LSTMConfig(ModelConfig):
    """``lstm``. ``fused``: one ``Linear(I + H, 4H)`` instead of four ``Linear(I + H, H)``.

    Attributes:
        fused: one ``Linear(I + H, 4H)`` for the four gates (the same function and count as
            four ``Linear(I + H, H)``; runs on torch's own LSTM kernel).

    >>> LSTMConfig(fused=False).to_dict()
    {'seed': 0, 'fused': False}
    """

    fused: bool = True


def lstm_parameters(cfg: ModelConfig, i: int, h: int, o: int) -> int:
    """``4H(I + H + 1) + (H + 1)O`` (``lstm`` and ``slstm``)."""
    return 4 * h * (i + h + 1) + head_parameters(h, o)


@register("lstm", config=LSTMConfig, formula=lstm_parameters)
def build_lstm(cfg: LSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``lstm``: four-map LSTM with ``Linear`` maps and a linear head.

    Parameters: ``4H(I + H + 1) + (H + 1)O`` (one bias per gate; ``torch.nn.LSTM`` has two,
    ``4H`` more).
    """
    g = generator(cfg)
    return RecurrentModel(LSTMCell(i, h, linear_maps(g), fused=cfg.fused), o, generator=g)


# --------------------------------------------------------------------------- gru
class GRUConfig(ModelConfig):
    """``gru``: no options beyond ``seed``.

    >>> GRUConfig(seed=3).seed
    3
    """


@register(
    "gru",
    config=GRUConfig,
    formula=lambda cfg, i, h, o: 3 * h * (i + h) + 6 * h + head_parameters(h, o),
)
def build_gru(cfg: GRUConfig, i: int, h: int, o: int) -> nn.Module:
    """``gru``: GRU (``torch.nn.GRU`` equations). Parameters: ``3H(I + H) + 6H + (H + 1)O``."""
    g = generator(cfg)
    return RecurrentModel(GRUCell(i, h, generator=g), o, generator=g)


# --------------------------------------------------------------------------- mlp
class MLPConfig(ModelConfig):
    """``mlp``: ``window`` steps read (>= 1), hidden ``activation``.

    Attributes:
        window: the last ``window`` steps of the input are flattened and read (1 to 100000).
        activation: the hidden layer's activation, ``"tanh"``, ``"relu"`` or ``"silu"``.

    >>> MLPConfig(window=8, activation="relu").window
    8
    """

    window: int = Field(4, ge=1, le=MAX_WINDOW)
    activation: Literal["tanh", "relu", "silu"] = "tanh"


@register(
    "mlp",
    config=MLPConfig,
    formula=lambda cfg, i, h, o: (cfg.window * i + 1) * h + head_parameters(h, o),
)
def build_mlp(cfg: MLPConfig, i: int, h: int, o: int) -> nn.Module:
    """``mlp``: ``Linear(T·I, H) -> act -> Linear(H, O)`` on the flattened window of ``T``
    steps. Parameters: ``(T·I + 1)H + (H + 1)O``."""
    g = generator(cfg)
    net = WindowMLP(cfg.window * i, h, o, activation=cfg.activation, generator=g)
    return WindowModel(net, window=cfg.window, input_size=i)


# --------------------------------------------------------------------------- slstm
class SLSTMConfig(ModelConfig):
    """``slstm``: forget-gate activation.

    Attributes:
        forget: the forget gate's activation, ``"sigmoid"`` or ``"exp"`` (xLSTM's
            exponential gating, with the stabiliser state).

    >>> SLSTMConfig(forget="exp").forget
    'exp'
    """

    forget: Literal["sigmoid", "exp"] = "sigmoid"


@register("slstm", config=SLSTMConfig, formula=lstm_parameters)
def build_slstm(cfg: SLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``slstm``: sLSTM cell (xLSTM) and a linear head.

    Parameters: ``4H(I + H + 1) + (H + 1)O``.
    """
    g = generator(cfg)
    return RecurrentModel(SLSTMCell(i, h, linear_maps(g), forget=cfg.forget), o, generator=g)


# --------------------------------------------------------------------------- mlstm
class MLSTMConfig(ModelConfig):
    """``mlstm``: no options beyond ``seed``.

    >>> MLSTMConfig().to_dict()
    {'seed': 0}
    """


@register(
    "mlstm",
    config=MLSTMConfig,
    formula=lambda cfg, i, h, o: (4 * h + 2) * (i + 1) + head_parameters(h, o),
)
def build_mlstm(cfg: MLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``mlstm``: mLSTM cell (xLSTM) and a linear head.

    Parameters: ``(4H + 2)(I + 1) + (H + 1)O``.
    """
    g = generator(cfg)
    return RecurrentModel(MLSTMCell(i, h, generator=g), o, generator=g)


# --------------------------------------------------------------------------- xlstm_ref
class XLSTMRefConfig(ModelConfig):
    """``xlstm_ref``: sLSTM block stack of the ``xlstm`` package (``hidden_size`` must be a
    multiple of ``num_heads``).

    Attributes:
        num_blocks: sLSTM blocks stacked (1 to 64).
        num_heads: heads per block (1 to 64); ``hidden_size`` must be a multiple of it.
        context_length: the package's ``context_length`` (1 to 1000000).

    >>> XLSTMRefConfig(num_heads=2).num_blocks
    1
    """

    num_blocks: int = Field(1, ge=1, le=64)
    num_heads: int = Field(1, ge=1, le=64)
    context_length: int = Field(1000, ge=1, le=1_000_000)


def _xlstm_ref_parameters(cfg: XLSTMRefConfig, i: int, h: int, o: int) -> int:
    model = build_xlstm_ref(cfg, i, h, o)  # the stack's count is the package's own
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@register("xlstm_ref", config=XLSTMRefConfig, formula=_xlstm_ref_parameters)
def build_xlstm_ref(cfg: XLSTMRefConfig, i: int, h: int, o: int) -> nn.Module:
    """``xlstm_ref``: the ``xlstm`` package's sLSTM stack (needs ``pip install qmem[xlstm]``).

    Parameters: ``(I + 1)H + stack + (H + 1)O``; the stack's count is the package's.
    """
    return XLSTMRef(
        i,
        h,
        o,
        num_blocks=cfg.num_blocks,
        num_heads=cfg.num_heads,
        context_length=cfg.context_length,
        generator=generator(cfg),
    )
