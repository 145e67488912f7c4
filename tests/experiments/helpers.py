"""Small experiment configs shared by the experiment tests."""

from __future__ import annotations

from typing import Any

from qmem.experiments import ExperimentConfig


def tiny(model: str = "lstm", **train: Any) -> ExperimentConfig:
    """A seconds-long experiment: 80-point sine, window 4, hidden size 2, CPU, 1 thread."""
    options: dict[str, Any] = {"name": model, "hidden_size": 2}
    if model in ("qkan_lstm", "hqkan_lstm"):
        options["reps"] = 1
    return ExperimentConfig.from_dict(
        {
            "data": {"name": "sine", "num": 80, "window": 4},
            "model": options,
            "train": {"epochs": 3, "batch_size": 8, "device": "cpu", "threads": 1, **train},
        }
    )
