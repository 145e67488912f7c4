"""A model registered from outside the package (here, from this test file) is a full citizen:
build, parameter_formula, ``qmem params`` (in-process and, through ``QMEM_PLUGINS``, in a
fresh process) and the whole model contract."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
import torch
from pydantic import Field

from qmem.classical import RecurrentCell, RecurrentModel, State, seeded_linear
from qmem.cli import main
from qmem.models import (
    ModelConfig,
    build,
    describe,
    make_config,
    names,
    parameter_formula,
    register,
    unregister,
)
from qmem.params import count_parameters, hidden_size_for_budget

from . import contract

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the toy model
class ElmanConfig(ModelConfig):
    """``toy_elman``: the nonlinearity and the number of recurrent ``layers`` (1 to 4)."""

    nonlinearity: Literal["tanh", "relu"] = "tanh"
    layers: int = Field(1, ge=1, le=4)


class ElmanCell(RecurrentCell):
    """``h_t = act(W x_t + U h_{t-1} + b)``; ``layers`` such cells stacked."""

    def __init__(self, i: int, h: int, layers: int, act: str, g: torch.Generator) -> None:
        super().__init__()
        self.input_size, self.output_size = i, h
        self.state_shapes = tuple((h,) for _ in range(layers))
        self.ih = torch.nn.ModuleList(seeded_linear(i if k == 0 else h, h, g)
                                      for k in range(layers))
        self.hh = torch.nn.ModuleList(seeded_linear(h, h, g, bias=False) for _ in range(layers))
        self.act = torch.tanh if act == "tanh" else torch.relu

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        out, new = x_t, []
        for ih, hh, h in zip(self.ih, self.hh, state, strict=True):
            out = self.act(ih(out) + hh(h))
            new.append(out)
        return out, tuple(new)


def elman_parameters(cfg: ElmanConfig, i: int, h: int, o: int) -> int:
    first = h * (i + 1) + h * h
    return first + (cfg.layers - 1) * (h * (h + 1) + h * h) + (h + 1) * o


def build_elman(cfg: ElmanConfig, i: int, h: int, o: int) -> torch.nn.Module:
    """``toy_elman``: a stack of Elman RNN cells and a linear head (a test's own model).

    Parameters: ``H(I + 1) + H² + (L - 1)(2H² + H) + (H + 1)O``.
    """
    g = torch.Generator().manual_seed(cfg.seed)
    return RecurrentModel(ElmanCell(i, h, cfg.layers, cfg.nonlinearity, g), o, generator=g)


@pytest.fixture
def toy() -> Iterator[str]:
    """Register ``toy_elman`` for one test, then take it out again."""
    register("toy_elman", config=ElmanConfig, formula=elman_parameters)(build_elman)
    try:
        yield "toy_elman"
    finally:
        unregister("toy_elman")


# --------------------------------------------------------------------------- the tests
def test_registered_model_builds_and_counts_like_a_builtin(toy: str) -> None:
    assert toy in names()
    for opts in ({}, {"layers": 3, "nonlinearity": "relu"}):
        for i, h, o in ((1, 1, 1), (2, 5, 3)):
            model = build(toy, input_size=i, hidden_size=h, output_size=o, **opts)
            expected = parameter_formula(toy, input_size=i, hidden_size=h, output_size=o, **opts)
            assert count_parameters(model)["total"] == expected
    assert "Elman" in describe(toy)
    assert hidden_size_for_budget(toy, elman_parameters(ElmanConfig(), 1, 7, 1),
                                  input_size=1) == 7


def test_registered_model_gets_the_strict_config(toy: str) -> None:
    with pytest.raises(ValueError, match=r"model 'toy_elman': option 'layers' .*got 0"):
        make_config(toy, {"layers": 0})
    with pytest.raises(ValueError, match=r"unknown option 'layer' \(did you mean 'layers'\?\)"):
        build(toy, input_size=1, hidden_size=2, layer=2)
    with pytest.raises(TypeError, match=r"option 'layers' must be a valid integer"):
        build(toy, input_size=1, hidden_size=2, layers="2")
    with pytest.raises(ValueError, match="hidden_size of model 'toy_elman' must be a positive"):
        parameter_formula(toy, input_size=1, hidden_size=-1)


def test_registered_model_passes_the_contract(toy: str) -> None:
    report = contract.check_contract(toy)
    assert report["shapes"] == report["step_matches_forward"] == "passed"
    assert report["global_rng_untouched"] == report["memory_linear_in_T"] == "passed"
    assert set(report) == set(contract.CHECKS)
    report = contract.check_contract(toy, layers=2)
    assert report["loss_falls"] == "passed"


def test_qmem_params_in_process(toy: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params", toy, "--hidden-size", "4", "-o", "layers=2"]) == 0
    out = capsys.readouterr().out
    total = elman_parameters(ElmanConfig(layers=2), 1, 4, 1)
    assert "stack of Elman RNN cells" in out
    assert out.splitlines()[-1].split() == ["total", "0", str(total), str(total)]
    assert main(["params", toy, "--hidden-size", "4", "-o", "layers=9"]) == 2
    assert "option 'layers'" in capsys.readouterr().err


def test_registration_errors(toy: str) -> None:
    with pytest.raises(ValueError, match="'toy_elman' is already registered"):
        register(toy, config=ElmanConfig, formula=elman_parameters)(build_elman)
    register(toy, config=ElmanConfig, formula=elman_parameters, replace=True)(build_elman)
    with pytest.raises(TypeError, match=r"subclass of qmem\.models\.ModelConfig"):
        register("toy_other", config=dict, formula=elman_parameters)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model name must be lower case"):
        register("Toy Model", config=ElmanConfig, formula=elman_parameters)
    with pytest.raises(TypeError, match="formula of model 'toy_other' must be callable"):
        register("toy_other", config=ElmanConfig, formula=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown model 'toy_other'"):
        unregister("toy_other")


def test_unregistered_afterwards() -> None:
    assert "toy_elman" not in names()


PLUGIN = '''
from qmem.models import register
from tests.models.test_user_model import ElmanConfig, build_elman, elman_parameters

register("toy_elman", config=ElmanConfig, formula=elman_parameters)(build_elman)
'''


def test_qmem_params_in_a_fresh_process_through_qmem_plugins(tmp_path: Path) -> None:
    (tmp_path / "toy_plugin.py").write_text(PLUGIN, encoding="utf-8")
    path = os.pathsep.join([str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "QMEM_PLUGINS": "toy_plugin", "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-m", "qmem", "params", "toy_elman", "--hidden-size", "3"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    total = elman_parameters(ElmanConfig(), 1, 3, 1)
    assert done.stdout.splitlines()[-1].split() == ["total", "0", str(total), str(total)]
    env["QMEM_PLUGINS"] = "no_such_plugin_module"
    done = subprocess.run(
        [sys.executable, "-m", "qmem", "params", "lstm", "--hidden-size", "3"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )
    assert done.returncode != 0
    assert "QMEM_PLUGINS names module 'no_such_plugin_module'" in done.stderr
