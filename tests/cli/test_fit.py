"""The main job: `qmem fit` trains a QKAN on a generated function."""

import pytest

from qmem.cli import main
from qmem.fit import fit_function


def test_training_reduces_the_error():
    before = fit_function("damped_sine", epochs=1, seed=0, progress=False)
    after = fit_function("damped_sine", epochs=150, seed=0, progress=False)
    assert after["test_rmse"] < 0.3 * before["test_rmse"]
    # two QKANLayers 1->4 and 4->1, pz, reps 3: 8 edges x 8 angles + 8 base weights
    assert after["params"] == {"quantum": 64, "classical": 8, "total": 72}


def test_cli_prints_the_fit(capsys):
    assert main(["fit", "--epochs", "5", "--no-progress", "--function", "sawtooth"]) == 0
    out = capsys.readouterr().out
    assert "sawtooth" in out and "test RMSE" in out and "72 (64 quantum, 8 classical)" in out


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"function": "cosh"}, "unknown function 'cosh'"), ({"epochs": 0}, "epochs must be"),
     ({"executor": "tpu"}, "unknown executor 'tpu'")],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_function(**{"progress": False, **kwargs})


def test_params_command_prints_the_split(capsys):
    assert main(["params", "qkan_lstm", "--hidden-size", "1", "-o", "reps=1"]) == 0
    out = capsys.readouterr().out
    # QKAN-LSTM(1, 1, reps 1): 4 gates x 2 edges x 4 angles = 32 quantum, head 2 classical
    assert out.splitlines()[-1].split() == ["total", "32", "2", "34"]


def test_params_command_rejects_unknown_options(capsys):
    assert main(["params", "qlstm", "--hidden-size", "3", "-o", "bogus=1"]) == 2
    assert "unknown option" in capsys.readouterr().err


def test_params_budget_search(capsys):
    assert main(["params", "lstm", "--budget", "146"]) == 0
    assert "hidden size 5" in capsys.readouterr().out
