"""Every shipped config loads strictly; the QLSTM authors' setup is windowed as published."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from qmem.experiments import load_config
from qmem.experiments.trainer import prepare_data

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "configs" / "study"
SWEEPS = sorted(STUDY.glob("*.toml"))  # sweep files (docs/sweeps.md), not run configs
CONFIGS = sorted(p for p in (ROOT / "configs").rglob("*.toml") if STUDY not in p.parents)


def test_there_is_an_example_for_every_model_and_dataset():
    from qmem import datasets, models

    names = {p.stem for p in CONFIGS}
    assert set(models.names()) <= names
    assert set(datasets.names()) <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_loads(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # the csv example names a path relative to the repository
    cfg = load_config(path)
    assert cfg.model.name and cfg.data.name


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: str(p.relative_to(ROOT)))
def test_sweep_file_loads(path, monkeypatch):
    from qmem.experiments.sweep_config import load_sweep

    monkeypatch.chdir(ROOT)
    sweep = load_sweep(path)  # every point checked as a run config
    assert len(sweep.points) >= 1


def test_qlstm_paper_setup_as_published():
    cfg = load_config(ROOT / "configs" / "papers" / "qlstm_2024_chen.toml")
    assert cfg.train.batch_size == 10 and cfg.train.shuffle is False
    assert cfg.train.optimizer == "rmsprop" and cfg.train.dtype == "float64"
    assert cfg.model_options()["n_layers"] == 5 and cfg.model.hidden_size == 5
    split = prepare_data(cfg, torch.float64, torch.device("cpu"))
    assert (len(split.train), len(split.val), len(split.test)) == (157, 0, 78)
    assert split.leaks  # protocol "paper": the scaler saw the whole series
