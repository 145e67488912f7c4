"""GPU execution (skipped without CUDA: these tests are marked ``gpu``): a run on CUDA equals
the CPU run (float64), vectorised seeds on CUDA equal their separate CPU runs, and the
training loop makes no CPU round trip per batch."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from qmem.experiments import ExperimentConfig, run_experiment
from qmem.experiments.config import TrainSection
from qmem.experiments.trainer import resolve_device, train_epoch
from qmem.experiments.vectorize import train_vectorized

pytestmark = pytest.mark.gpu


def cfg(model: str, seed: int = 0, device: str = "cuda") -> ExperimentConfig:
    options: dict = {"name": model, "hidden_size": 2}
    if model == "qkan_lstm":
        options["reps"] = 1
    return ExperimentConfig.from_dict({
        "data": {"name": "sine", "num": 80, "window": 4}, "model": options,
        "train": {"epochs": 2, "batch_size": 8, "device": device, "dtype": "float64",
                  "seed": seed},
    })


def result(folder) -> dict:
    return json.loads((folder / "result.json").read_text())


@pytest.mark.parametrize("model", ["lstm", "qkan_lstm", "qlstm_2024"])
def test_a_cuda_run_equals_the_cpu_run(tmp_path, model):
    gpu = run_experiment(cfg(model), tmp_path / "gpu", progress=False)
    cpu = run_experiment(cfg(model, device="cpu"), tmp_path / "cpu", progress=False)
    assert gpu["device"].startswith("cuda")
    for k, v in cpu["test"].items():
        assert abs(gpu["test"][k] - v) < 1e-6, k


def test_vectorised_seeds_on_cuda_equal_separate_cpu_runs(tmp_path):
    cfgs = [cfg("qkan_lstm", s) for s in (0, 1)]
    out = train_vectorized(cfgs, [tmp_path / "v0", tmp_path / "v1"])
    assert [o["state"] for o in out] == ["done", "done"] and "note" not in out[0]
    for s in (0, 1):
        ref = run_experiment(cfg("qkan_lstm", s, "cpu"), tmp_path / f"c{s}", progress=False)
        for k, v in ref["test"].items():
            assert abs(result(tmp_path / f"v{s}")["test"][k] - v) < 1e-6, k


class _Plain(nn.Module):
    """A forecaster with no value checks of its own: (B, T, 1) -> ((B, 1, 1), None)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x: torch.Tensor, state: None = None) -> tuple[torch.Tensor, None]:
        return self.net(x).unsqueeze(1), None


def _syncs_in_an_epoch(batch_size: int) -> int:
    import warnings

    device = resolve_device("cuda")
    g = torch.Generator().manual_seed(0)
    X = torch.randn(64, 4, 1, generator=g).to(device)
    Y = torch.randn(64, 1, generator=g).to(device)
    model = _Plain().to(device)
    opt = torch.optim.Adam(model.parameters())
    train = TrainSection(batch_size=batch_size, clip_grad_norm=1.0)
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            train_epoch(model, opt, X, Y, train, g, 1, on_batch=lambda loss: None)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def test_the_training_loop_makes_no_cpu_round_trip_per_batch():
    # 8 batches or 32: the same synchronising calls (the reads after the epoch)
    assert _syncs_in_an_epoch(8) == _syncs_in_an_epoch(2)
