"""A test model for the sweep tests: registered by a fixture in the test process, and on
import in worker processes (which import it through QMEM_PLUGINS).

``crash_once_lstm`` is an ``lstm`` whose head counts its training calls: at the ``after``-th,
while the file ``marker`` does not exist, it creates the file and then either ends its process
(``action = "exit"``: ``os._exit``, a worker killed mid-run) or raises ``KeyboardInterrupt``
(``action = "interrupt"``: Ctrl-C in the middle of an epoch). Once per marker. From the
``after``-th call on, the model whose seed is ``nan_seed`` forecasts NaN (a buffer, so under
vmap only that seed's does). The head is called once per forward pass, on the stepped path,
the sequence engine and under vmap alike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import torch
from pydantic import Field
from torch import nn

from qmem.models import ModelConfig, build, names, register, unregister

__all__ = ["CRASH_EXIT_CODE", "CrashOnceConfig", "register_model", "unregister_model"]

CRASH_EXIT_CODE = 17


class CrashOnceConfig(ModelConfig):
    """``crash_once_lstm``: stop at the ``after``-th training forward while ``marker`` is absent."""

    marker: str = ""
    after: int = Field(10, ge=1)
    action: Literal["exit", "interrupt"] = "exit"
    nan_seed: int = -1


class _TriggerHead(nn.Module):
    def __init__(self, head: nn.Module, cfg: CrashOnceConfig) -> None:
        super().__init__()
        self.head = head
        self.marker, self.after, self.action, self.calls = cfg.marker, cfg.after, cfg.action, 0
        self.register_buffer("poison", torch.tensor(float(cfg.seed == cfg.nan_seed)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.calls += 1
            if self.calls == self.after and self.marker and not os.path.exists(self.marker):
                Path(self.marker).write_text("stopped once\n")
                if self.action == "exit":
                    os._exit(CRASH_EXIT_CODE)
                raise KeyboardInterrupt
        y = self.head(x)
        if self.training and self.calls >= self.after:
            y = y + torch.where(self.poison > 0, float("nan"), 0.0)  # NaN for nan_seed only
        return y


def build_crash_once(cfg: CrashOnceConfig, i: int, h: int, o: int) -> nn.Module:
    """``crash_once_lstm``: an ``lstm`` that stops its process once. Parameters:
    ``4H(I + H + 1) + (H + 1)O``."""
    model = build("lstm", input_size=i, hidden_size=h, output_size=o, seed=cfg.seed)
    model.head = _TriggerHead(model.head, cfg)
    return model


def register_model() -> None:
    """Register ``crash_once_lstm`` (tests do it in a fixture and unregister afterwards)."""
    if "crash_once_lstm" not in names():
        register("crash_once_lstm", config=CrashOnceConfig,
                 formula=lambda cfg, i, h, o: 4 * h * (i + h + 1) + (h + 1) * o)(build_crash_once)


def unregister_model() -> None:
    """Take ``crash_once_lstm`` out of the registry again."""
    if "crash_once_lstm" in names():
        unregister("crash_once_lstm")


if __name__ in os.environ.get("QMEM_PLUGINS", "").split(","):  # a worker's plugin import
    register_model()
