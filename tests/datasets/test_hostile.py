"""Hostile input to qmem.datasets: each bad call gives the right exception class and words.

The tables hold what a careless user types: absurd sizes and coefficients, NaN, empty and
ragged arrays, wrong types, corrupt CSV and Milan files. Every call must fail fast with a
``TypeError`` (wrong type) or ``ValueError`` (wrong value) that names the value, never hang,
allocate without bound, or return a silently wrong series.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from qmem import datasets
from qmem.datasets import Scaler, Series, make_windows, read_milan_raw, window_split
from qmem.datasets.config import DatasetConfig

T0 = 1383260400000  # 2013-10-31T23:00Z, a bin start of the published Milan data
BIN = 600_000


def _raises(call, error, words):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    missing = [w for w in words if w not in text]
    assert not missing, f"{missing} not in {text!r}"
    assert type(info.value) is error, f"{type(info.value).__name__}, not {error.__name__}"


# ----------------------------------------------------------------- generators
GENERATORS = [
    # the examples: an ODE that would run forever, a size that would allocate forever
    ({"name": "damped_shm", "g": 1e30}, ValueError, ["damped_shm", "time scales", "g=1e+30"]),
    ({"name": "delayed_quantum_control", "n_max": 10**9}, ValueError, ["n_max", "100000"]),
    ({"name": "damped_shm", "num": 10**9}, ValueError, ["num", "1000000"]),
    ({"name": "bessel", "num": 10**9}, ValueError, ["num", "1000000"]),
    ({"name": "delayed_quantum_control", "step": 1e-12}, ValueError, ["step", "1000000 points"]),
    ({"name": "population_inversion", "mean_photons": 1e4, "num": 10**6}, ValueError,
     ["phase matrix", "limit"]),
    ({"name": "damped_shm", "rtol": 1e-300}, ValueError, ["rtol", "greater than or equal"]),
    ({"name": "damped_shm", "omega0": 1e200}, ValueError, ["time scales", "omega0=1e+200"]),
    ({"name": "damped_shm", "t_start": 1e17, "t_stop": 1e17 + 32}, ValueError,
     ["grid of 240 points", "float64"]),
    ({"name": "damped_shm", "t_stop": float("inf")}, ValueError, ["t_stop", "finite"]),
    ({"name": "damped_shm", "rtol": 2.3e-14, "atol": 1e-300}, ValueError,
     ["cannot meet", "atol=1e-300"]),
    ({"name": "damped_shm", "num": 2.0}, TypeError, ["num", "integer"]),
    ({"name": "damped_shm", "num": True}, TypeError, ["num", "bool"]),
    ({"name": "bessel", "x_start": -1e308, "x_stop": 1e308}, ValueError, ["span", "finite"]),
    ({"name": "population_inversion", "t_start": 1e12, "t_stop": 1e12 + 1}, ValueError,
     ["grid", "float64"]),
    # sampling that aliases the wave: frequency 1 at dt 1 is all zeros
    ({"name": "sine", "frequency": 1.0, "dt": 1.0}, ValueError, ["Nyquist", "frequency=1.0"]),
    ({"name": "sine", "frequency": 1e308}, ValueError, ["Nyquist"]),
    ({"name": "sine", "t_start": 1e300}, ValueError, ["grid", "float64"]),
    ({"name": "sine", "t_start": 1e308, "dt": 0.1, "num": 10, "frequency": 1e-3}, ValueError,
     ["grid", "float64"]),
    ({"name": "narma", "period": 1e-300}, ValueError, ["Nyquist", "period"]),
    ({"name": "narma", "order": 10, "num": 10}, ValueError, ["num must exceed order"]),
    # arithmetic that overflows: refused after generation, never returned as NaN/inf
    ({"name": "delayed_quantum_control", "decay": 1e-300}, ValueError,
     ["delayed_quantum_control", "non-finite", "decay=1e-300"]),
    ({"name": "bessel", "nu": 1e308}, ValueError, ["bessel", "non-finite"]),
    ({"name": "bessel", "nu": -2.5, "x_start": 0.0}, ValueError, ["bessel", "non-finite", "inf"]),
    ({"name": "population_inversion", "coupling": 1e308}, ValueError, ["non-finite"]),
    ({"name": "sine", "noise_std": 1e308, "amplitude": 1e308}, ValueError,
     ["noise", "overflows"]),
    ({"name": "sine", "noise_std": -1.0}, ValueError, ["noise_std"]),
    ({"name": "sine", "seed": -1}, ValueError, ["seed"]),
    ({"name": "sine", "frequncy": 2.0}, ValueError, ["frequncy", "frequency"]),
    ({"name": "milan_telecom", "square": [5161, 5161]}, ValueError, ["5161", "twice"]),
    ({"name": "milan_telecom", "square": ()}, ValueError, ["at least one"]),
    ({"name": "milan_telecom", "source": "raw"}, ValueError, ["path="]),
    ({"name": "milan_telecom", "source": "raw", "path": ""}, ValueError, ["empty"]),
    ({"name": "csv", "path": "", "column": 0}, ValueError, ["path", "''"]),
    ({"name": "csv", "path": "x.csv", "column": -1}, ValueError, ["index", "-1"]),
    ({"name": "csv", "path": "x.csv", "column": ["a", "a"]}, ValueError, ["twice", "'a'"]),
    ({"name": "csv", "path": "x.csv", "column": "t", "time_column": "t"}, ValueError,
     ["time_column 't'", "value column"]),
    ({"name": "csv", "path": "x.csv", "column": 0, "delimiter": "."}, ValueError,
     ["delimiter '.'"]),
    ({"name": "csv", "path": "x.csv", "column": 0, "delimiter": '"'}, ValueError, ["delimiter"]),
    ({"name": "csv", "path": "x.csv", "column": 0, "sort": True}, ValueError,
     ["sort=True", "time_column"]),
    ({"name": "csv", "path": "x.csv", "column": 0, "duplicates": "sum"}, ValueError,
     ["duplicates", "'sum'"]),
    ({"name": "csv", "path": "x.csv", "column": 0, "sort": "yes"}, TypeError, ["sort", "bool"]),
]


@pytest.mark.parametrize(("options", "error", "words"), GENERATORS,
                         ids=[f"{o['name']}-{sorted(set(o) - {'name'})}" for o, _, _ in GENERATORS])
def test_bad_generator_options(options, error, words):
    opts = dict(options)
    name = opts.pop("name")
    _raises(lambda: datasets.make(name, **opts), error, words)


def test_registered_generator_must_return_a_series():
    class Broken(DatasetConfig):
        label = "broken"

    datasets.register_dataset("broken", Broken, lambda cfg: np.zeros(3))
    try:
        _raises(lambda: datasets.make("broken"), TypeError, ["broken", "ndarray", "not a Series"])
    finally:
        datasets.unregister_dataset("broken")


def test_nan_gap_flags_are_the_only_nan_a_series_may_hold(tmp_path):
    rows = [f"1\t{T0}\t39\t2.0", f"1\t{T0 + 2 * BIN}\t39\t4.0"]
    day = tmp_path / "sms-call-internet-mi-2013-11-01.txt"
    day.write_text("\n".join(rows) + "\n")
    s = datasets.make("milan_telecom", source="raw", path=str(day), square=1, signal="sms_in",
                      gaps="nan")
    assert s.values.tolist()[0] == 2.0 and np.isnan(s.values[1]) and s.values[2] == 4.0


# ----------------------------------------------------------------- Series
SERIES = [
    (lambda: Series(name="x", values=np.zeros(2) + 1j, time=np.arange(2.0)), TypeError,
     ["numeric", "complex"]),
    (lambda: Series(name="x", values=np.array(["a"]), time=np.zeros(1)), TypeError, ["numeric"]),
    (lambda: Series(name=3, values=np.zeros(1), time=np.zeros(1)), TypeError, ["name", "str"]),
    (lambda: Series(name="x", values=np.zeros(2), time=np.array([1.0, 0.0])), ValueError,
     ["strictly increasing", "index 1"]),
    (lambda: Series(name="x", values=np.zeros(2), time=np.array([0.0, 0.0])), ValueError,
     ["strictly increasing"]),
    (lambda: Series(name="x", values=np.zeros(2), time=np.array([0.0, np.nan])), ValueError,
     ["NaN/inf/NaT", "index 1"]),
    (lambda: Series(name="x", values=np.zeros(2), time=np.array(["a", "b"])), TypeError,
     ["time axis", "numeric or datetime64"]),
    (lambda: Series(name="x", values=np.zeros(2), time=np.arange(2.0), channels="ab"), TypeError,
     ["channels", "str"]),
    (lambda: Series(name="x", values=np.zeros((2, 2, 2)), time=np.arange(2.0)), ValueError,
     ["1-D or 2-D"]),
    (lambda: datasets.add_noise(datasets.make("sine"), std="1", seed=0), TypeError, ["noise std"]),
    (lambda: datasets.add_noise(datasets.make("sine"), std=True, seed=0), TypeError, ["bool"]),
    (lambda: datasets.add_noise(datasets.make("sine"), std=1.0, seed=-1), ValueError,
     ["noise seed", "-1"]),
    (lambda: datasets.add_noise(datasets.make("sine"), std=1.0, seed=1.5), TypeError,
     ["noise seed"]),
]


@pytest.mark.parametrize(("call", "error", "words"), SERIES)
def test_bad_series(call, error, words):
    _raises(call, error, words)


# ----------------------------------------------------------------- windowing and scaling
A = np.arange(20.0)[:, None]  # (20, 1)
WINDOWING = [
    (lambda: make_windows(A, np.array([5]), window=0, horizon=1, target=0), ValueError,
     ["window must be an int >= 1, got 0"]),
    (lambda: make_windows(A, np.array([5]), window=2, horizon=0, target=0), ValueError,
     ["horizon"]),
    (lambda: make_windows(A, np.array([5]), window=1.0, horizon=1, target=0), TypeError,
     ["window must be an int"]),
    (lambda: make_windows(A, np.array([5]), window=10**9, horizon=1, target=0), ValueError,
     ["does not fit", "1000000000"]),
    (lambda: make_windows(np.full((20, 1), np.nan), np.array([5]), window=2, horizon=1,
                          target=0), ValueError, ["scaled", "non-finite"]),
    (lambda: make_windows(np.array([["a"]] * 20), np.array([5]), window=2, horizon=1,
                          target=0), TypeError, ["scaled", "numeric"]),
    (lambda: make_windows(A, np.array([5]), window=2, horizon=1, target=0, dtype=torch.int64),
     TypeError, ["dtype", "int64"]),
    (lambda: make_windows(A, np.array([5]), window=2, horizon=1, target=0, device="tpu"),
     ValueError, ["device", "'tpu'"]),
    (lambda: make_windows(A, np.array([2**63 + 5], dtype=np.uint64), window=2, horizon=1,
                          target=0), ValueError, ["9223372036854775813"]),
    (lambda: make_windows(A, np.array([5.0]), window=2, horizon=1, target=0), TypeError,
     ["first_targets", "int"]),
    (lambda: make_windows(np.zeros((10**6, 1)), np.arange(200, 10**6), window=200, horizon=1,
                          target=0), ValueError, ["windows", "limit"]),
    (lambda: window_split(np.zeros(0)), ValueError, ["empty"]),
    (lambda: window_split(np.zeros((20, 0))), ValueError, ["no channels"]),
    (lambda: window_split(np.ones(20, bool)), TypeError, ["numeric", "bool"]),
    (lambda: window_split(np.arange(20) + 1j), TypeError, ["numeric", "complex"]),
    (lambda: window_split(torch.arange(20) + 0j), TypeError, ["complex"]),
    (lambda: window_split([[1.0, 2.0], [3.0]]), ValueError, ["rectangular"]),
    (lambda: window_split(None), TypeError, ["NoneType"]),
    (lambda: window_split(np.float64(3.0)), TypeError, ["float64"]),
    (lambda: window_split(np.arange(20).astype("datetime64[s]")), TypeError, ["datetime64"]),
    (lambda: window_split(np.arange(20.0), window=0), ValueError, ["window must be an int >= 1"]),
    (lambda: window_split(np.arange(20.0), window=10**12), ValueError, ["shorter than window"]),
    (lambda: window_split(np.arange(20.0), fractions=None), TypeError, ["fractions", "None"]),
    (lambda: window_split(np.arange(20.0), fractions="ab"), TypeError, ["fractions"]),
    (lambda: window_split(np.arange(20.0), fractions=(float("nan"), 0.5)), ValueError,
     ["fractions[0]", "finite"]),
    (lambda: window_split(np.arange(20.0), dtype=torch.float16), TypeError, ["float16"]),
    (lambda: window_split(np.arange(20.0), device="gpu"), ValueError, ["device", "'gpu'"]),
    (lambda: window_split(np.arange(20.0), device="cuda:7"), ValueError, ["cuda:7", "available"]),
    (lambda: window_split(np.arange(20.0), device=0), TypeError, ["device"]),
    # values that overflow: a scaler statistic, or the float32 windows
    (lambda: window_split(np.array([1e308, -1e308] * 20)), ValueError, ["minmax", "overflow"]),
    (lambda: window_split(np.array([1e308, -1e308] * 20), scaler="standard"), ValueError,
     ["standard", "overflow"]),
    (lambda: window_split(np.arange(20.0) * 1e300, scaler="none"), ValueError,
     ["overflow", "float32"]),
    (lambda: window_split(np.r_[np.zeros(16) + 1e-300 * np.arange(16), 1e308, 1e308, 1e308, 1.0],
                          scaler="minmax"), ValueError, ["overflows when scaled"]),
]


@pytest.mark.parametrize(("call", "error", "words"), WINDOWING)
def test_bad_windowing(call, error, words):
    _raises(call, error, words)


ONE = Scaler.fit(np.arange(5.0))  # 1 channel
THREE = Scaler.fit(np.arange(15.0).reshape(5, 3))
SCALING = [
    # the example: fitted on 1 channel, applied to 3 (was broadcast silently)
    (lambda: ONE.transform(np.zeros((4, 3))), ValueError, ["fitted on 1 channel", "has 3"]),
    (lambda: ONE.transform(torch.zeros(4, 3)), ValueError, ["fitted on 1 channel", "has 3"]),
    (lambda: THREE.transform(np.zeros((4, 1))), ValueError, ["fitted on 3 channel", "has 1"]),
    (lambda: THREE.inverse_transform(np.zeros(5)), ValueError, ["3 channel", "has 5"]),
    (lambda: ONE.transform(np.array([np.nan])), ValueError, ["NaN"]),
    (lambda: ONE.transform(torch.zeros(2) + 0j), TypeError, ["complex"]),
    (lambda: ONE.transform(np.array(["a"])), TypeError, ["numeric"]),
    (lambda: ONE.transform(np.zeros(3), channel=True), TypeError, ["channel", "bool"]),
    (lambda: ONE.transform(np.zeros(3), channel=1), ValueError, ["channel 1 out of range"]),
    (lambda: Scaler.fit(np.zeros((5, 2, 2))), ValueError, ["1-D (N,) or 2-D"]),
    (lambda: Scaler.fit(np.float64(2.0)), ValueError, ["1-D (N,) or 2-D"]),
    (lambda: Scaler.fit(np.zeros((5, 0))), ValueError, ["without channels"]),
    (lambda: Scaler.fit(np.zeros(0)), ValueError, ["empty"]),
    (lambda: Scaler.fit(np.array(["a"])), TypeError, ["numeric"]),
    (lambda: Scaler.fit(np.array([1.0, np.inf])), ValueError, ["NaN or inf"]),
    (lambda: Scaler.fit(np.zeros(3), "robust"), ValueError, ["'robust'"]),
    (lambda: Scaler("minmax", np.zeros(2), np.zeros(2), 1.0), ValueError, ["scale", "> 0"]),
    (lambda: Scaler("minmax", np.zeros(2), np.ones(3), 1.0), ValueError, ["one shape"]),
    (lambda: Scaler("standard", np.zeros(1), np.ones(1), 1.0), ValueError, ["shift"]),
    (lambda: Scaler("minmax", np.array([np.nan]), np.ones(1), 1.0), ValueError, ["finite"]),
]


@pytest.mark.parametrize(("call", "error", "words"), SCALING)
def test_bad_scaling(call, error, words):
    _raises(call, error, words)


def test_scaler_values_that_are_fine():
    # negative channel counts from the end; integers are scaled in float64 (offset 0.5 kept)
    sc = Scaler.fit(np.array([[0.0, 1.0], [1.0, 3.0]]))  # offsets (0, 1), scales (0.5, 1)
    np.testing.assert_allclose(sc.transform(np.array([2.0]), channel=-1), [0.0])  # (2-1)/1-1
    half = Scaler.fit(np.array([0.5, 2.5]))  # offset 0.5, scale 1
    assert torch.equal(half.transform(torch.tensor([1, 2])),
                       torch.tensor([-0.5, 0.5], dtype=torch.float64))
    np.testing.assert_allclose(THREE.transform(np.array([0.0, 1.0, 2.0])), [-1.0, -1.0, -1.0])


# ----------------------------------------------------------------- the CSV loader
def _csv(tmp_path: Path, content: str | bytes) -> str:
    path = tmp_path / "data.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


CSV = [
    # the examples: repeated, unsorted, blank and NaN times, a repeated header name
    ("t,v\n0,1\n1,2\n1,3\n2,4\n", {}, ["lines 3 and 4", "time 1.0", "duplicates="]),
    ("t,v\n0,1\n2,2\n1,3\n", {}, ["line 4", "earlier than line 3", "sort=True"]),
    ("t,v\n0,1\n,2\n", {}, ["line 3", "time is blank"]),
    ("t,v\n0,1\nnan,2\n", {}, ["line 3", "'nan'", "not finite"]),
    ("t,v\n0,1\ninf,2\n", {}, ["line 3", "not finite"]),
    ("v,v\n0,1\n", {"column": "v", "time_column": None}, ["names column 'v' twice", "0 and 1"]),
    ("d,v\n2024-01-01,1\n2024-01-01,2\n", {"time_column": "d"}, ["share the time 2024-01-01"]),
    ("d,v\n2024-01-02,1\n2024-01-01,2\n", {"time_column": "d"}, ["not sorted by time"]),
    ("d,v\n2024-01-02,1\nNaT,2\n", {"time_column": "d"}, ["'NaT'", "not a date"]),
    ("t,v\nx,1\n", {}, ["neither numeric nor ISO-8601"]),
    # corrupt rows and files
    ("t,v\n0,1,9\n", {}, ["line 2 has 3 field(s)", "header 2"]),
    ("t,v\n0\n", {}, ["line 2 has 1 field(s)"]),
    ('t,v\n0,"1,5"\n', {}, ["line 2", "'1,5' is not a number"]),
    ("t,v\n0,\n", {}, ["line 2", "'' is not a number"]),
    ("t,v\n0,nan\n", {}, ["line 2", "not finite"]),
    ("t,v\n0,1e999\n", {}, ["line 2", "not finite"]),
    (b"t,v\n0,1\n1,\xe9\n", {}, ["not UTF-8"]),
    (b"t,v\n0,1\x00\n", {}, ["line 2", "not a number"]),
    ("t,v\n0," + "1" * 200_000 + "\n", {}, ["line 2", "field larger than field limit"]),
    ("t,v\n", {}, ["no data rows"]),
    ("", {"column": 0, "header": False, "time_column": None}, ["no data rows"]),
    ("t,v\n0,1\n", {"column": "w"}, ["no column 'w'", "['t', 'v']"]),
    ("t,v\n0,1\n", {"column": 7}, ["column index 7 out of range"]),
]


@pytest.mark.parametrize(("content", "options", "words"), CSV)
def test_bad_csv_files(tmp_path, content, options, words):
    opts = {"column": "v", "time_column": "t", **options}
    path = _csv(tmp_path, content)
    _raises(lambda: datasets.make("csv", path=path, **opts), ValueError, words)


def test_csv_folder_and_missing_file(tmp_path):
    _raises(lambda: datasets.make("csv", path=str(tmp_path), column=0), ValueError,
            ["is a folder"])
    _raises(lambda: datasets.make("csv", path=str(tmp_path / "no.csv"), column=0),
            FileNotFoundError, ["does not exist"])


@pytest.mark.parametrize(
    ("policy", "values"),
    [("first", [1.0, 2.0, 5.0]), ("last", [1.0, 4.0, 5.0]), ("mean", [1.0, 3.0, 5.0])],
)
def test_csv_duplicate_policies_merge_and_count(tmp_path, policy, values):
    # rows at t = 0, 1, 1, 2 after sorting; t = 1 holds 2 (line 2) then 4 (line 4)
    path = _csv(tmp_path, "t,v\n1,2\n0,1\n1,4\n2,5\n")
    s = datasets.make("csv", path=path, column="v", time_column="t", sort=True,
                      duplicates=policy)
    assert s.values.tolist() == values and s.time.tolist() == [0.0, 1.0, 2.0]
    # sorted order of the 4 rows: lines 3, 2, 4, 5 -> the first two moved
    assert (s.info["rows"], s.info["rows_reordered"], s.info["duplicates_merged"]) == (4, 2, 1)


def test_csv_sorted_file_with_bom_and_blank_lines_reads_as_is(tmp_path):
    path = _csv(tmp_path, "\ufefft,a,b\n0,1,10\n\n1,2,20\n")
    s = datasets.make("csv", path=path, column=["b", "a"], time_column="t")
    assert s.values.tolist() == [[10.0, 1.0], [20.0, 2.0]] and s.time.tolist() == [0.0, 1.0]
    assert (s.info["rows_reordered"], s.info["duplicates_merged"]) == (0, 0)


# ----------------------------------------------------------------- the Milan raw loader
def _day(tmp_path: Path, rows: list[str], gz: bool = False) -> Path:
    name = "sms-call-internet-mi-2013-11-01.txt" + (".gz" if gz else "")
    path = tmp_path / name
    data = ("\n".join(rows) + "\n").encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


MILAN = [
    # the example: one timestamp with two extra digits
    ([f"1\t{T0}\t39\t2.0", f"1\t{T0}00\t39\t2.0"], {}, [".txt:2:", "138326040000000",
                                                        "outside 2000-01-01"]),
    ([f"1\t{T0}\t39\t2.0", f"1\t{T0 * 10}\t39\t2.0"], {}, ["outside", "mistyped"]),
    ([f"1\t{10**30}\t39\t2.0"], {}, ["outside"]),
    # a far but plausible timestamp: the grid is checked before it is built
    ([f"1\t{T0}\t39\t2.0", f"1\t{T0 + BIN * 2_000_000}\t39\t2.0"], {"gaps": "zero"},
     ["2000001 10-minute bins", "at most 1000000", ":2"]),
    # absurd values, which would overflow when summed over country codes
    ([f"1\t{T0}\t39\t1e308", f"1\t{T0}\t40\t1e308"], {}, ["1e+308", "activity levels"]),
    ([f"1\t{T0}\t39\t-5"], {}, ["-5.0", "activity levels"]),
    ([f"1\t{T0}\t39\tnan"], {}, ["not finite"]),
    ([f"1\t{T0 + 1}\t39\t1"], {}, ["multiple of 10 minutes"]),
    ([f"1\t{T0}\t39\t1", f"1\t{T0}\t39\t2"], {}, ["duplicate record", ":1"]),
    ([f"1\t{T0}\t39\t1", f"1\t{T0 + 2 * BIN}\t39\t1"], {}, ["1 10-minute bin(s) with no record"]),
    ([f"2\t{T0}\t39\t1"], {}, ["no record of square(s) [1]"]),
    ([f"1\t{T0}"], {}, ["expected 3 to 8 fields"]),
]


@pytest.mark.parametrize(("rows", "options", "words"), MILAN)
def test_bad_milan_files(tmp_path, rows, options, words):
    path = _day(tmp_path, rows)
    _raises(lambda: read_milan_raw(path, squares=1, **options), ValueError, words)


def test_milan_mistyped_timestamp_is_skipped_and_counted(tmp_path):
    path = _day(tmp_path, [f"1\t{T0}\t39\t2.0", f"1\t{T0}00\t39\t7.0",
                           f"1\t{T0 + BIN}\t39\t3.0"], gz=True)
    s = read_milan_raw(path, squares=1, malformed="skip")
    assert s.values.tolist() == [2.0, 3.0] and s.info["skipped_lines"] == 1
    assert "138326040000000" in s.info["skipped_examples"][0]


MILAN_CALLS = [
    (lambda p: read_milan_raw(p, squares=[1, 1]), ValueError, ["repeats", "[1, 1]"]),
    (lambda p: read_milan_raw(p, squares=True), TypeError, ["squares"]),
    (lambda p: read_milan_raw(p, squares=1, signal="sms"), ValueError, ["'sms'"]),
    (lambda p: read_milan_raw(p, squares=1, gaps="fill"), ValueError, ["'fill'"]),
    (lambda p: read_milan_raw([], squares=1), ValueError, ["empty list"]),
    (lambda p: read_milan_raw("", squares=1), ValueError, ["empty"]),
    (lambda p: read_milan_raw(p.parent / "nope", squares=1), FileNotFoundError,
     ["does not exist"]),
    (lambda p: datasets.load_embedded_milan((5161, 5161)), ValueError, ["repeats"]),
]


@pytest.mark.parametrize(("call", "error", "words"), MILAN_CALLS)
def test_bad_milan_calls(tmp_path, call, error, words):
    path = _day(tmp_path, [f"1\t{T0}\t39\t2.0"])
    _raises(lambda: call(path), error, words)
