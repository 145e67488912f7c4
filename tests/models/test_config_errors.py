"""Bad model configs, sizes and budgets are refused when made: TypeError for a wrong type,
ValueError for a wrong value, and the message names the owner, key, value and what is allowed."""

from __future__ import annotations

import time

import pytest

from qmem.models import (
    JHCGConfig,
    LSTMConfig,
    QKANLSTMConfig,
    build,
    make_config,
    names,
    parameter_formula,
    set_executor,
)
from qmem.params import hidden_size_for_budget


@pytest.mark.parametrize("reps", [0, -1])
def test_qkan_lstm_reps_below_one(reps: int) -> None:
    with pytest.raises(ValueError, match=rf"model 'qkan_lstm': option 'reps' must be greater "
                                         rf"than or equal to 1, got {reps}"):
        make_config("qkan_lstm", {"reps": reps})


def test_mlp_window_zero() -> None:
    with pytest.raises(ValueError, match=r"model 'mlp': option 'window' .* 1, got 0"):
        make_config("mlp", {"window": 0})


def test_qlstm_2024_n_layers_zero() -> None:
    with pytest.raises(ValueError, match=r"model 'qlstm_2024': option 'n_layers' .* 1, got 0"):
        make_config("qlstm_2024", {"n_layers": 0})


def test_lstm_config_constructed_directly_refuses_a_string_bool() -> None:
    with pytest.raises(TypeError, match=r"LSTMConfig: option 'fused' must be a valid boolean, "
                                        r"got 'yes' \(str\)"):
        LSTMConfig(fused="yes")  # type: ignore[arg-type]


def test_string_for_an_int() -> None:
    with pytest.raises(TypeError, match=r"option 'reps' must be a valid integer, got '2'"):
        make_config("qkan_lstm", {"reps": "2"})
    with pytest.raises(TypeError, match=r"option 'window' must be a valid integer, got '2'"):
        build("mlp", input_size=1, hidden_size=2, window="2")


def test_unknown_key_suggests_the_near_one() -> None:
    with pytest.raises(ValueError, match=r"model 'qkan_lstm': unknown option 'rep' "
                                         r"\(did you mean 'reps'\?\); allowed: .*reps"):
        make_config("qkan_lstm", {"rep": 2})
    with pytest.raises(ValueError, match=r"unknown model 'qkan_lstn' \(did you mean 'qkan_lstm'"):
        make_config("qkan_lstn")


def test_huge_grid_is_refused_at_config_time_without_allocating() -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"option 'grid_size' must be less than or equal to "
                                         r"1000, got 1000000000"):
        build("kan_lstm", input_size=1, hidden_size=2, grid_size=10**9)
    with pytest.raises(ValueError, match="grid_size"):
        JHCGConfig(grid_size=10**9)
    with pytest.raises(ValueError, match=r"option 'reps' must be less than or equal to 64"):
        QKANLSTMConfig(reps=10**9)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("kan_lstm", {"spline_order": 0}),
        ("kan_lstm", {"grid_range": (1.0, -1.0)}),
        ("jhcg", {"grid_range": (0.0, 0.0)}),
        ("xlstm_ref", {"num_heads": 0}),
        ("xlstm_ref", {"num_blocks": 0}),
        ("xlstm_ref", {"context_length": 0}),
        ("hqkan_lstm", {"latent_size": 0}),
        ("hqkan", {"window": 0}),
        ("lstm", {"seed": -1}),
        ("qkan_lstm", {"executor": "cirq"}),
        ("qlstm", {"executor": "fourier"}),  # a DARUAN executor, not a VQC one
        ("qkan_lstm", {"ansatz": "xyz"}),
        ("kan_lstm", {"grid_range": (0.0, float("nan"))}),
        ("kan_lstm", {"grid_range": [1, 2, 3]}),
    ],
)
def test_bad_values_are_value_errors(name: str, options: dict) -> None:
    key = next(iter(options))
    with pytest.raises(ValueError, match=rf"model '{name}': .*{key}"):
        make_config(name, options)


def test_short_tuple_is_a_bad_value_not_a_missing_option() -> None:
    with pytest.raises(ValueError, match=r"model 'kan_lstm': option 'grid_range'") as err:
        make_config("kan_lstm", {"grid_range": [1]})
    assert "missing required option" not in str(err.value)


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("lstm", {"fused": 1}),
        ("lstm", {"seed": True}),
        ("qkan_lstm", {"executor": 3}),
        ("qkan_lstm", {"executor_options": ["shots"]}),
        ("hqkan_lstm", {"latent_size": 2.0}),
        ("kan_lstm", {"grid_range": "(-1, 1)"}),
    ],
)
def test_bad_types_are_type_errors(name: str, options: dict) -> None:
    key = next(iter(options))
    with pytest.raises(TypeError, match=rf"model '{name}': option '{key}'"):
        make_config(name, options)


def test_executor_error_lists_the_allowed_names() -> None:
    with pytest.raises(ValueError, match=r"option 'executor' must be a daruan executor "
                                         r"\('auto', 'fourier'.*\), got 'cirq'"):
        make_config("qkan_lstm", {"executor": "cirq"})


@pytest.mark.parametrize(
    ("name", "options", "pattern"),
    [
        ("qkan_lstm", {"executor": "qiskit", "executor_options": {"shotz": 1}},
         r"model 'qkan_lstm': executor_options: unknown option 'shotz' for executor 'qiskit' "
         r"\(did you mean 'shots'\?\)"),
        ("hqkan", {"executor_options": {"shots": 1}},  # "auto" takes no options
         r"model 'hqkan': executor_options: executor 'auto' takes no options.*'shots'"),
        ("qlstm", {"executor": "statevector", "executor_options": {"shots": 10}},
         r"model 'qlstm': executor_options: unknown option 'shots' for executor 'statevector'"),
    ],
)
def test_executor_options_are_checked_at_config_time(
    name: str, options: dict, pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern):
        make_config(name, options)
    ok = {"executor": "qiskit", "executor_options": {"shots": 100, "seed": 1}}
    assert make_config(name, ok).executor_options == {"shots": 100, "seed": 1}


@pytest.mark.parametrize("size", ["input_size", "hidden_size", "output_size"])
@pytest.mark.parametrize("value", [0, -3])
def test_non_positive_sizes_are_refused(size: str, value: int) -> None:
    sizes = {"input_size": 1, "hidden_size": 2, "output_size": 1, size: value}
    with pytest.raises(ValueError, match=rf"{size}.* must be a positive int, got {value}"):
        parameter_formula("lstm", **sizes)
    with pytest.raises(ValueError, match=rf"{size}.* must be a positive int, got {value}"):
        build("lstm", **sizes)


@pytest.mark.parametrize("size", ["input_size", "hidden_size", "output_size"])
@pytest.mark.parametrize("value", [True, 2.0, "2"])
def test_non_int_sizes_are_type_errors(size: str, value: object) -> None:
    sizes = {"input_size": 1, "hidden_size": 2, "output_size": 1, size: value}
    with pytest.raises(TypeError, match=rf"{size}.* must be a positive int, got {value!r}"):
        parameter_formula("gru", **sizes)


def test_hidden_optional_models_still_take_none() -> None:
    assert parameter_formula("jhcg", input_size=1, hidden_size=None) > 0
    with pytest.raises(ValueError, match=r"hidden_size of model 'jhcg' \(or None .*got 0"):
        parameter_formula("jhcg", input_size=1, hidden_size=0)


@pytest.mark.parametrize(
    ("budget", "error", "pattern"),
    [
        (0, ValueError, "budget must be a positive int, got 0"),
        (-5, ValueError, "budget must be a positive int, got -5"),
        (10**9 + 1, ValueError, "budget must be at most 1000000000 parameters"),
        (10**30, ValueError, "budget must be at most"),
        (True, TypeError, "budget must be a positive int, got True"),
        (100.0, TypeError, "budget must be a positive int, got 100.0"),
        ("100", TypeError, "budget must be a positive int, got '100'"),
    ],
)
def test_bad_budgets(budget: object, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        hidden_size_for_budget("lstm", budget, input_size=1)  # type: ignore[arg-type]


def test_bad_budget_arguments() -> None:
    with pytest.raises(ValueError, match="mode must be one of 'nearest', 'at_most', got 'max'"):
        hidden_size_for_budget("lstm", 100, input_size=1, mode="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_size must be a positive int, got 0"):
        hidden_size_for_budget("lstm", 100, input_size=0)
    with pytest.raises(ValueError, match="max_hidden must be a positive int, got 0"):
        hidden_size_for_budget("lstm", 100, input_size=1, max_hidden=0)


def test_set_executor_checks_the_name_per_circuit_kind() -> None:
    model = build("qlstm_2024", input_size=1, hidden_size=1, n_layers=1)
    with pytest.raises(ValueError, match=r"executor of VQCLayer: must be a vqc executor"):
        set_executor(model, "fourier")  # a DARUAN executor only
    with pytest.raises(TypeError, match="executor must be a str"):
        set_executor(model, 3)  # type: ignore[arg-type]


def test_every_config_rejects_unknown_keys_and_exports_a_schema() -> None:
    for name in names():
        with pytest.raises(ValueError, match=rf"model '{name}': unknown option 'bogus'"):
            make_config(name, {"bogus": 1})
        schema = make_config(name).json_schema()
        assert schema["properties"]["seed"]["minimum"] == 0
