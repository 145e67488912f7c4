"""One contract over every registered model: shapes, gradients, seeded determinism,
state_dict round trip, learning on a damped oscillator, and long sequences.

The checks themselves are plain functions in ``tests/models/contract.py``, so a model
registered anywhere (see ``test_user_model.py``) runs through the same contract.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from qmem.models import names

from . import contract


def _run(check: Callable[..., None], name: str) -> None:
    try:
        check(name)
    except contract.NotApplicable as why:
        pytest.skip(str(why))
    except ImportError as err:  # optional dependency (xlstm_ref)
        assert "pip install qmem[" in str(err)
        pytest.skip(f"{name}: optional dependency missing ({err})")


@pytest.mark.parametrize("name", names())
def test_shapes(name: str) -> None:
    _run(contract.check_shapes, name)


@pytest.mark.parametrize("name", names())
def test_gradients_reach_every_parameter(name: str) -> None:
    _run(contract.check_gradients_reach_every_parameter, name)


@pytest.mark.parametrize("name", names())
def test_seeded_determinism(name: str) -> None:
    _run(contract.check_seeded_determinism, name)


@pytest.mark.parametrize("name", names())
def test_state_dict_round_trip(name: str) -> None:
    _run(contract.check_state_dict_round_trip, name)


@pytest.mark.parametrize("name", names())
def test_loss_falls_on_damped_oscillator(name: str) -> None:
    _run(contract.check_loss_falls_on_damped_oscillator, name)


@pytest.mark.parametrize("name", names())
def test_length_1000(name: str) -> None:
    _run(contract.check_length_1000, name)


@pytest.mark.parametrize("name", names())
def test_step_matches_forward_and_holds_constant_state(name: str) -> None:
    _run(contract.check_step_matches_forward, name)


@pytest.mark.gpu
@pytest.mark.parametrize("name", names())
def test_runs_on_cuda_and_keeps_device(name: str) -> None:
    _run(contract.check_runs_on_cuda, name)


@pytest.mark.parametrize("name", names())
def test_memory_linear_in_T_for_training_and_zero_graph_for_step(name: str) -> None:
    _run(contract.check_memory_linear_in_T, name)


@pytest.mark.parametrize("name", names())
def test_building_leaves_the_global_rng_alone(name: str) -> None:
    _run(contract.check_global_rng_untouched, name)


def test_every_check_is_run_above() -> None:
    tests = {k for k in globals() if k.startswith("test_")}
    assert len(tests) - 1 == len(contract.CHECKS)
