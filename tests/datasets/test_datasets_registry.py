"""Registry and strict typed configs: unknown names/options and bad values give clear errors."""

import pydantic
import pytest

from qmem import datasets

EXPECTED = ("damped_shm", "bessel", "sine", "delayed_quantum_control", "population_inversion",
            "narma", "milan_telecom", "csv")


def test_names_and_defaults() -> None:
    assert datasets.names() == EXPECTED
    lengths = {"damped_shm": 240, "bessel": 256, "sine": 400, "delayed_quantum_control": 2200,
               "population_inversion": 2500, "narma": 500, "milan_telecom": 8928}
    for name, n in lengths.items():
        s = datasets.make(name)
        assert s.name == name and s.values.shape == (n,) and s.time.shape == (n,)
        assert s.values.dtype.name == "float64"
        assert type(s.config) is datasets.config_type(name)


def test_unknown_dataset_and_option() -> None:
    with pytest.raises(ValueError, match=r"unknown dataset 'besel'.*bessel"):
        datasets.make("besel")
    with pytest.raises(ValueError, match=r"unknown option 'frequncy'.*allowed:.*frequency"):
        datasets.make("sine", frequncy=2.0)
    with pytest.raises(ValueError, match="unknown option 'x'"):
        datasets.make_config("narma", {"x": 1})
    with pytest.raises(TypeError, match="must be a str"):
        datasets.make(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "params", "error", "pattern"),
    [
        ("sine", {"num": "10"}, TypeError, "option 'num'.*valid integer, got '10'"),
        ("sine", {"num": 2.5}, TypeError, "option 'num'"),
        ("sine", {"num": True}, TypeError, "option 'num'"),
        ("sine", {"frequency": -1.0}, ValueError, "'frequency' must be greater than 0, got -1.0"),
        ("sine", {"amplitude": float("nan")}, ValueError, "'amplitude' must be a finite number"),
        ("bessel", {"num": 1}, ValueError, "'num' must be greater than or equal to 2, got 1"),
        # a bad Literal is a wrong value: ValueError (it was TypeError before the shared Config)
        ("damped_shm", {"variable": "speed"}, ValueError, "'velocity' or 'angle', got 'speed'"),
        ("damped_shm", {"t_stop": -1}, ValueError, "t_stop"),
        ("narma", {"order": 0}, ValueError, "'order' must be greater than or equal to 1, got 0"),
        ("population_inversion", {"mean_photons": 0}, ValueError, "mean_photons"),
        ("delayed_quantum_control", {"step": 0}, ValueError,
         "'step' must be greater than 0, got 0"),
        ("sine", {"noise_std": -0.1}, ValueError,
         "'noise_std' must be greater than or equal to 0, got -0.1"),
        ("milan_telecom", {"source": "raw"}, ValueError, "needs path="),
        ("milan_telecom", {"square": 1}, ValueError, "embedded extracts hold no"),
        ("csv", {"column": "a"}, ValueError, "missing required option.*path"),
    ],
)
def test_bad_values(name: str, params: dict, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        datasets.make(name, **params)


def test_configs_from_plain_dicts_round_trip() -> None:
    cfg = datasets.make_config("milan_telecom", {"square": [4159, 5161], "resolution": "1h"})
    assert cfg.square == (4159, 5161)
    assert datasets.make_config("milan_telecom", cfg.to_dict()) == cfg
    sine = datasets.SineConfig.from_dict({"frequency": 2, "num": 10})
    assert isinstance(sine.frequency, float) and sine.frequency == 2.0
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        sine.num = 5  # type: ignore[misc]
    with pytest.raises(TypeError, match="mapping"):
        datasets.SineConfig.from_dict([("num", 3)])  # type: ignore[arg-type]
    s = datasets.generate(sine)
    assert s.values.shape == (10,)
    with pytest.raises(TypeError, match="registered config"):
        datasets.generate(datasets.DatasetConfig())
