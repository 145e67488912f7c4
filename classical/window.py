"""Non-recurrent forecasters on a flattened window, and the window MLP.

:class:`WindowModel` flattens ``x (B, T, I)`` with ``T = window`` to ``(B, T·I)``, applies
a map ``T·I -> out`` and returns ``y (B, 1, out)`` (one forecast per window, so ``y[:, -1]``
is the forecast for recurrent and window models alike) and state ``None``.

:class:`WindowMLP` is ``Linear(d, H) -> act -> Linear(H, out)``: ``(d + 1)H + (H + 1)·out``
parameters.

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> model = WindowModel(WindowMLP(4, 8, 1, generator=g), window=4, input_size=1)
>>> y, state = model(torch.zeros(3, 4, 1))
>>> y.shape, state
(torch.Size([3, 1, 1]), None)
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from qmem.validation import check_choice, check_positive_int

from .checks import check_matches_parameters, check_sequence_input
from .seeded import seeded_linear

__all__ = ["WindowMLP", "WindowModel"]

_ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU}


class WindowMLP(nn.Module):
    """``Linear(d, H) -> activation -> Linear(H, out)``; shapes ``(..., d) -> (..., out)``.

    Args:
        in_features: ``d``.
        hidden_size: ``H``.
        out_features: ``out``.
        activation: ``"tanh"``, ``"relu"`` or ``"silu"``.
        generator: source of the initial weights.
    """

    def __init__(
        self,
        in_features: int,
        hidden_size: int,
        out_features: int,
        *,
        activation: Literal["tanh", "relu", "silu"] = "tanh",
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        check_choice("activation", activation, tuple(_ACTIVATIONS))
        self.net = nn.Sequential(
            seeded_linear(check_positive_int("in_features", in_features), hidden_size, generator),
            _ACTIVATIONS[activation](),
            seeded_linear(check_positive_int("hidden_size", hidden_size), out_features, generator),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., d) -> (..., out)``."""
        return self.net(x)


class WindowModel(nn.Module):
    """A map on the flattened window: ``x (B, window, I) -> (y (B, 1, out), None)``.

    Args:
        net: map ``window · I -> out`` (its output width is the model's ``output_size``).
        window: number of time steps ``T`` the model reads.
        input_size: features per step ``I``.
    """

    recurrent = False

    def __init__(self, net: nn.Module, *, window: int, input_size: int) -> None:
        super().__init__()
        self.net = net
        self.window = check_positive_int("window", window)
        self.input_size = check_positive_int("input_size", input_size)

    def forward(self, x: torch.Tensor, state: None = None) -> tuple[torch.Tensor, None]:
        """``x (B, window, I) -> (y (B, 1, out), None)``."""
        check_sequence_input(x, self.input_size)
        check_matches_parameters(self, x)
        if state is not None:
            raise ValueError(f"{type(self).__name__} is not recurrent: state must be None")
        if x.shape[1] != self.window:
            raise ValueError(
                f"x must have exactly window={self.window} time steps, got {x.shape[1]}"
            )
        flat = x.reshape(x.shape[0], self.window * self.input_size)  # (B, T·I)
        return self.net(flat).unsqueeze(1), None  # (B, 1, out)
