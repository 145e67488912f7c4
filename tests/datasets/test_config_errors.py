"""Every dataset config follows the one config rule of qmem.config.Config.

Unknown key -> ValueError with a suggestion; "2" for an int -> TypeError; a bad Literal ->
ValueError; a value out of range -> ValueError naming the key; sizes past the bounds are
refused when the config is made, before anything is allocated.
"""

import re
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from pydantic import Field

from qmem import datasets
from qmem.datasets import bounds
from qmem.datasets import damped_shm as damped_shm_module

# options every config needs (csv has two required ones)
REQUIRED: dict[str, dict[str, Any]] = {"csv": {"path": "data.csv", "column": "load"}}


def _config(name: str, **options: Any) -> datasets.DatasetConfig:
    return datasets.make_config(name, {**REQUIRED.get(name, {}), **options})


# (dataset, mistyped key, the key it should suggest)
TYPOS = [
    ("damped_shm", "lenght", "length"),
    ("bessel", "x_stpo", "x_stop"),
    ("sine", "frequncy", "frequency"),
    ("delayed_quantum_control", "n_maxx", "n_max"),
    ("population_inversion", "mean_photon", "mean_photons"),
    ("narma", "oder", "order"),
    ("milan_telecom", "squares", "square"),
    ("csv", "delimeter", "delimiter"),
]


@pytest.mark.parametrize(("name", "typo", "meant"), TYPOS)
def test_unknown_key_suggests_the_option(name: str, typo: str, meant: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: unknown option '{typo}' \(did you mean "
                       rf"'{meant}'\?\); allowed: .*{meant}"):
        _config(name, **{typo: 1})


# (dataset, an int option): "2" is no int
INT_OPTIONS = [
    ("damped_shm", "num"),
    ("bessel", "num"),
    ("sine", "num"),
    ("delayed_quantum_control", "n_max"),
    ("population_inversion", "num"),
    ("narma", "order"),
    ("milan_telecom", "square"),
    ("csv", "seed"),
]


@pytest.mark.parametrize(("name", "key"), INT_OPTIONS)
def test_string_for_an_int_is_a_type_error(name: str, key: str) -> None:
    with pytest.raises(TypeError, match=rf"^{name}: option '{key}' .*got '2' \(str\)"):
        _config(name, **{key: "2"})


@pytest.mark.parametrize("name", [t[0] for t in TYPOS])
def test_base_options_are_strict_everywhere(name: str) -> None:
    with pytest.raises(TypeError, match=rf"^{name}: option 'seed' .*got True \(bool\)"):
        _config(name, seed=True)
    with pytest.raises(ValueError,
                       match=rf"^{name}: option 'seed' must be greater than or equal to 0, got -1"):
        _config(name, seed=-1)
    with pytest.raises(ValueError, match=rf"^{name}: option 'noise_std' .*got -1"):
        _config(name, noise_std=-1)
    with pytest.raises(ValueError, match=rf"^{name}: option 'noise_std' .*finite"):
        _config(name, noise_std=float("inf"))


def test_string_for_a_bool_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^narma: option 'include_input' .*got 'yes' \(str\)"):
        _config("narma", include_input="yes")
    with pytest.raises(TypeError, match=r"^csv: option 'header' .*got 1 \(int\)"):
        _config("csv", header=1)


# every Literal option of every dataset (the others have none)
LITERALS = [
    ("damped_shm", "variable", "speed"),
    ("milan_telecom", "source", "web"),
    ("milan_telecom", "signal", "sms"),
    ("milan_telecom", "resolution", "5min"),
    ("milan_telecom", "gaps", "fill"),
    ("milan_telecom", "malformed", "ignore"),
    ("csv", "format", "xlsx"),
]


@pytest.mark.parametrize(("name", "key", "value"), LITERALS)
def test_bad_literal_is_a_value_error(name: str, key: str, value: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: option '{key}' must be .*got '{value}'"):
        _config(name, **{key: value})


# (dataset, key, a value out of its range)
OUT_OF_RANGE = [
    ("damped_shm", "g", 0),
    ("damped_shm", "length", -1.0),
    ("damped_shm", "mass", 0.0),
    ("damped_shm", "b", -0.1),
    ("damped_shm", "rtol", 0),
    ("damped_shm", "rtol", 2.0),
    ("damped_shm", "atol", 0),
    ("damped_shm", "num", 1),
    ("damped_shm", "num", bounds.MAX_POINTS + 1),
    ("bessel", "num", 1),
    ("bessel", "num", bounds.MAX_POINTS + 1),
    ("sine", "frequency", 0),
    ("sine", "dt", -0.1),
    ("sine", "num", bounds.MAX_POINTS + 1),
    ("delayed_quantum_control", "n_max", -1),
    ("delayed_quantum_control", "n_max", 10**9),
    ("delayed_quantum_control", "sharpness", 0),
    ("delayed_quantum_control", "spacing", 0),
    ("delayed_quantum_control", "decay", -1),
    ("delayed_quantum_control", "step", 0),
    ("population_inversion", "mean_photons", 0),
    ("population_inversion", "mean_photons", 1e30),
    ("population_inversion", "coupling", 0),
    ("population_inversion", "num", bounds.MAX_POINTS + 1),
    ("narma", "order", 0),
    ("narma", "order", 10**6),
    ("narma", "num", bounds.MAX_POINTS + 1),
    ("narma", "period", 0),
]


@pytest.mark.parametrize(("name", "key", "value"), OUT_OF_RANGE)
def test_out_of_range_is_a_value_error_naming_the_key(name: str, key: str, value: Any) -> None:
    with pytest.raises(ValueError,
                       match=rf"^{name}: option '{key}' must be .*got {re.escape(repr(value))}$"):
        _config(name, **{key: value})


# cross-field checks: ValueError naming the options involved
CROSS_FIELD = [
    ("damped_shm", {"t_stop": 0.0}, r"t_stop \(0.0\) must exceed t_start \(0.0\)"),
    ("bessel", {"x_start": 5, "x_stop": 4}, r"x_stop \(4.0\) must exceed x_start \(5.0\)"),
    ("bessel", {"nu": 0.5, "x_start": -1.0}, r"nu=0.5 needs x_start >= 0"),
    ("bessel", {"x_start": -1e308, "x_stop": 1e308}, "x_stop - x_start .* not a finite"),
    ("population_inversion", {"t_start": 1, "t_stop": 1}, r"t_stop \(1.0\) must exceed"),
    ("narma", {"order": 10, "num": 10}, r"num must exceed order \(10\), got 10"),
    ("delayed_quantum_control", {"x_stop": -1.99}, "step 0.01 has < 2 points"),
    ("delayed_quantum_control", {"x_start": 1e308, "x_stop": -1e308}, "has < 2 points"),
    ("milan_telecom", {"square": []}, "at least one square id"),
    ("csv", {"column": []}, "at least one column"),
]


@pytest.mark.parametrize(("name", "options", "pattern"), CROSS_FIELD)
def test_cross_field_checks(name: str, options: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: .*{pattern}"):
        _config(name, **options)


# sizes that would allocate (or compute) far too much: refused when the config is made
TOO_BIG = [
    ("delayed_quantum_control", {"n_max": 10**9}, "n_max"),
    ("delayed_quantum_control", {"n_max": 100_000}, r"pulse matrix \(2200 x 100001\)"),
    ("delayed_quantum_control", {"step": 1e-300}, r"step 1e-300 must be at most 1000000 points"),
    ("delayed_quantum_control", {"x_start": -1e308, "x_stop": 1e308}, "at most 1000000 points"),
    ("population_inversion", {"mean_photons": 10_000, "num": 100_000}, "phase matrix"),
    ("damped_shm", {"g": 1e30}, "time scales.*g=1e[+]30"),
    ("damped_shm", {"b": 1e30}, "time scales.*b=1e[+]30"),
    ("damped_shm", {"omega0": 1e12}, r"time scales.*omega0=1000000000000\.0"),
    ("damped_shm", {"length": 1e-300}, "time scales.*length=1e-300"),
    ("damped_shm", {"t_stop": 1e12}, r"time scales.*t_stop=1000000000000\.0"),
    ("sine", {"num": 10**12}, "'num'"),
    ("narma", {"num": 10**9}, "'num'"),
]


@pytest.mark.parametrize(("name", "options", "pattern"), TOO_BIG)
def test_size_bounds_refuse_fast(name: str, options: dict, pattern: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match=pattern):
        datasets.make(name, **options)
    assert time.perf_counter() - start < 1.0


def test_bounds_admit_the_largest_allowed_sizes() -> None:
    largest = datasets.make_config("sine", {"num": bounds.MAX_POINTS})
    assert largest.num == bounds.MAX_POINTS
    # 12,358 samples x 10,860 Fock states fit in 2**27 elements; one more sample does not
    datasets.make_config("population_inversion", {"mean_photons": 10_000, "num": 12_358})
    with pytest.raises(ValueError, match="phase matrix"):
        datasets.make_config("population_inversion", {"mean_photons": 10_000, "num": 12_359})
    datasets.make_config("delayed_quantum_control", {"n_max": 61_000})
    datasets.make_config("damped_shm", {"t_stop": 3000.0})  # ~19,000 time scales


def test_damped_shm_step_budget_stops_the_integrator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(damped_shm_module, "MAX_RHS_EVALUATIONS", 500)
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"budget of 500 right-hand-side evaluations.*rtol"):
        datasets.make("damped_shm")
    assert time.perf_counter() - start < 1.0


def test_make_windows_refuses_window_zero() -> None:
    series = np.arange(6.0)[:, None]
    with pytest.raises(ValueError, match=r"window must be an int >= 1, got 0"):
        datasets.make_windows(series, np.array([2]), window=0, horizon=1, target=0)
    with pytest.raises(ValueError, match="first target index 1 does not fit"):
        datasets.make_windows(series, np.array([1]), window=2, horizon=1, target=0)
    with pytest.raises(TypeError, match="horizon must be an int"):
        datasets.make_windows(series, np.array([2]), window=2, horizon=1.0, target=0)


def test_configs_export_their_ranges_as_json_schema() -> None:
    num = datasets.SineConfig.json_schema()["properties"]["num"]
    assert num["minimum"] == 2 and num["maximum"] == bounds.MAX_POINTS
    n_max = datasets.DelayedQuantumControlConfig.json_schema()["properties"]["n_max"]
    assert n_max["maximum"] == bounds.MAX_PULSES
    variable = datasets.DampedSHMConfig.json_schema()["properties"]["variable"]
    assert variable["enum"] == ["velocity", "angle"]


def test_replace_revalidates() -> None:
    cfg = datasets.make_config("narma", {"order": 5})
    assert cfg.replace(num=100).num == 100 and cfg.replace(num=100).order == 5
    with pytest.raises(ValueError, match="num must exceed order"):
        cfg.replace(num=5)


# a dataset defined outside the package, registered from here
class RampConfig(datasets.DatasetConfig):
    """y_k = start + slope * k, k = 0 … num-1."""

    start: float = 0.0
    slope: float = Field(1.0, gt=0)
    num: int = Field(5, ge=2, le=bounds.MAX_POINTS)

    label = "toy_ramp"


def ramp(config: RampConfig) -> datasets.Series:
    k = np.arange(config.num, dtype=np.float64)
    return datasets.Series(name="toy_ramp", values=config.start + config.slope * k, time=k,
                           channels=("y",), config=config)


@pytest.fixture
def toy_ramp() -> Iterator[datasets.DatasetSpec]:
    spec = datasets.register_dataset("toy_ramp", RampConfig, ramp, summary="a straight line")
    yield spec
    datasets.unregister_dataset("toy_ramp")


def test_registered_dataset_is_made_through_make(toy_ramp: datasets.DatasetSpec) -> None:
    assert datasets.names()[-1] == "toy_ramp" and datasets.spec("toy_ramp") is toy_ramp
    assert datasets.config_type("toy_ramp") is RampConfig
    s = datasets.make("toy_ramp", start=1, slope=0.5, num=4)
    np.testing.assert_array_equal(s.values, [1.0, 1.5, 2.0, 2.5])
    assert s.config == RampConfig(start=1.0, slope=0.5, num=4)
    noisy = datasets.make("toy_ramp", noise_std=0.1, seed=3)  # noise comes with the base
    assert noisy.info["noise_seed"] == 3
    with pytest.raises(ValueError, match=r"toy_ramp: unknown option 'slop' \(did you mean"):
        datasets.make("toy_ramp", slop=2)
    with pytest.raises(ValueError, match="toy_ramp: option 'slope' must be greater than 0"):
        datasets.make("toy_ramp", slope=0)
    assert datasets.window_split(datasets.make("toy_ramp", num=40)).train.X.shape == (28, 4, 1)


def test_register_dataset_refuses_bad_registrations(toy_ramp: datasets.DatasetSpec) -> None:
    with pytest.raises(ValueError, match="'toy_ramp' is already registered"):
        datasets.register_dataset("toy_ramp", RampConfig, ramp)
    with pytest.raises(ValueError, match="RampConfig is already registered as dataset"):
        datasets.register_dataset("toy_ramp_2", RampConfig, ramp)
    with pytest.raises(TypeError, match="subclass of DatasetConfig"):
        datasets.register_dataset("toy_dict", dict, ramp)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be callable"):
        datasets.register_dataset("toy_none", datasets.DatasetConfig, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str"):
        datasets.register_dataset(3, RampConfig, ramp)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        datasets.register_dataset("", RampConfig, ramp)
    with pytest.raises(ValueError, match="built in"):
        datasets.unregister_dataset("sine")
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        datasets.unregister_dataset("nope")


def test_unregistered_dataset_is_gone() -> None:
    datasets.register_dataset("toy_ramp", RampConfig, ramp)
    datasets.unregister_dataset("toy_ramp")
    assert "toy_ramp" not in datasets.names()
    with pytest.raises(ValueError, match="unknown dataset 'toy_ramp'"):
        datasets.make("toy_ramp")
    with pytest.raises(TypeError, match="registered config"):
        datasets.generate(RampConfig())
