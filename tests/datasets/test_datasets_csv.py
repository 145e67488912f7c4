"""The ``csv`` dataset: users' own columns, strict about missing or non-numeric values."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from qmem import datasets


def _write(tmp_path: Path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_columns_by_name_and_index_with_time(tmp_path: Path) -> None:
    path = _write(tmp_path, "time,load,temp\n0,1.5,20\n0.5,2.5,21\n1.0,-3,22\n")
    s = datasets.make("csv", path=path, column="load", time_column="time")
    np.testing.assert_array_equal(s.values, [1.5, 2.5, -3.0])
    np.testing.assert_array_equal(s.time, [0.0, 0.5, 1.0])
    assert s.time_unit == "time" and s.channels == ("load",)
    two = datasets.make("csv", path=path, column=["temp", 1])
    assert two.values.shape == (3, 2) and two.values[2].tolist() == [22.0, -3.0]
    np.testing.assert_array_equal(two.time, [0.0, 1.0, 2.0])
    no_header = _write(tmp_path, "1;2\n3;4\n", "nh.csv")
    s2 = datasets.make("csv", path=no_header, column=1, header=False, delimiter=";")
    np.testing.assert_array_equal(s2.values, [2.0, 4.0])
    noisy = datasets.make("csv", path=path, column="temp", noise_std=0.5, seed=1)
    assert not np.array_equal(noisy.values, [20.0, 21.0, 22.0])


def test_path_objects_are_accepted(tmp_path: Path) -> None:
    text = _write(tmp_path, "time,load\n0,1.5\n1,2.5\n")
    by_text = datasets.make("csv", path=text, column="load")
    by_path = datasets.make("csv", path=Path(text), column="load")
    np.testing.assert_array_equal(by_path.values, by_text.values)
    assert datasets.make_config("csv", {"path": Path(text), "column": "load"}).path == text


def test_iso_dates(tmp_path: Path) -> None:
    path = _write(tmp_path, "day,x\n2024-01-01,1\n2024-01-02,2\n")
    s = datasets.make("csv", path=path, column="x", time_column="day")
    assert s.time.dtype.kind == "M" and str(s.time[1]) == "2024-01-02"


@pytest.mark.parametrize(
    ("text", "kwargs", "error", "pattern"),
    [
        ("a,b\n1,2\n", {"column": "c"}, ValueError, r"no column 'c'.*\['a', 'b'\]"),
        ("a,b\n1,2\n", {"column": 5}, ValueError, "column index 5 out of range"),
        ("a,b\n1,\n", {"column": "b"}, ValueError, "line 2, column 'b': '' is not a number"),
        ("a,b\n1,2\n3,x\n", {"column": "b"}, ValueError, "line 3.*'x' is not a number"),
        ("a,b\n1,nan\n", {"column": "b"}, ValueError, "line 2.*not finite"),
        ("a,b\n", {"column": "b"}, ValueError, "no data rows"),
        ("a,b\nx,2\n", {"column": "b", "time_column": "a"}, ValueError, "neither numeric"),
        ("a,b\n1,2\n", {"column": "b", "header": False}, ValueError, "only with header=True"),
        ("a,b\n1,2\n", {"column": "b", "delimiter": ",,"}, ValueError, "one character"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, kwargs: dict, error: type, pattern: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(error, match=pattern):
        datasets.make("csv", path=path, **kwargs)


def test_missing_file_and_parquet_without_pyarrow(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.make("csv", path=str(tmp_path / "nope.csv"), column="a")
    pq = tmp_path / "x.parquet"
    pq.write_bytes(b"PAR1")
    if importlib.util.find_spec("pyarrow") or importlib.util.find_spec("pandas"):
        pytest.skip("pyarrow or pandas is installed")
    with pytest.raises(ImportError, match="needs pyarrow or pandas"):
        datasets.make("csv", path=str(pq), column="a")
