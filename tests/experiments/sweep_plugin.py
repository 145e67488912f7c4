"""A test model for the sweep tests, registered in worker processes through QMEM_PLUGINS.

``crash_once_lstm`` is an ``lstm`` whose process exits (``os._exit``) at its ``after``-th
training forward pass while the file ``marker`` does not exist (it creates the file first):
a worker killed mid-run, exactly once per marker.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from pydantic import Field
from torch import nn

from qmem.models import ModelConfig, build, names, register

__all__ = ["CRASH_EXIT_CODE", "CrashOnceConfig"]

CRASH_EXIT_CODE = 17


class CrashOnceConfig(ModelConfig):
    """``crash_once_lstm``: exit at the ``after``-th training forward while ``marker`` is absent."""

    marker: str = ""
    after: int = Field(10, ge=1)


class _CrashOnce(nn.Module):
    recurrent = True

    def __init__(self, inner: nn.Module, marker: str, after: int) -> None:
        super().__init__()
        self.inner = inner
        self.marker, self.after, self.calls = marker, after, 0
        self.output_size = inner.output_size

    def forward(self, x: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        if self.training:
            self.calls += 1
            if self.calls == self.after and self.marker and not os.path.exists(self.marker):
                Path(self.marker).write_text("crashed once\n")
                os._exit(CRASH_EXIT_CODE)
        return self.inner(x, state)


if "crash_once_lstm" not in names():

    @register("crash_once_lstm", config=CrashOnceConfig,
              formula=lambda cfg, i, h, o: 4 * h * (i + h + 1) + (h + 1) * o)
    def build_crash_once(cfg: CrashOnceConfig, i: int, h: int, o: int) -> nn.Module:
        """``crash_once_lstm``: an ``lstm`` that kills its process once. Parameters:
        ``4H(I + H + 1) + (H + 1)O``."""
        inner = build("lstm", input_size=i, hidden_size=h, output_size=o, seed=cfg.seed)
        return _CrashOnce(inner, cfg.marker, cfg.after)
