"""Milan telecom: the raw-format loader on files written here, the real sample, the extracts."""

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from qmem import datasets

read_milan_raw = datasets.read_milan_raw

SAMPLE = Path(__file__).parent / "data" / "raw_format_sample_square_1.txt"
T0 = 1383260400000  # 2013-10-31 23:00 UTC
BIN = 600_000

# published format: square, time, country, sms_in, sms_out, call_in, call_out, internet
LINES = [
    f"100\t{T0}\t39\t1.5\t0.5\t\t\t10.0",
    f"100\t{T0}\t0\t0.25",  # trailing fields missing: no activity
    f"100\t{T0}\t33\t\t\t\t\t2.0",  # empty sms fields
    f"200\t{T0}\t39\t7.0\t\t\t\t1.0",
    f"100\t{T0 + 2 * BIN}\t39\t4.0\t1.0\t\t1.0\t3.0",
    f"200\t{T0 + BIN}\t39\t8.0",
    f"200\t{T0 + 2 * BIN}\t39\t9.0",
    f"100\t{T0 + BIN}\t39\t2.0\t\t\t\t5.0",  # out of order: bin 1 after bin 2
    f"100\t{T0 + BIN}\t46\t0.125\t\t\t\t",
]
MALFORMED = f"100\t{T0 + BIN}\tIT\t1.0"


def _write(folder: Path, lines: list[str], name: str = "sms-call-internet-mi-2013-11-01.txt",
           gz: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    path = folder / (name + (".gz" if gz else ""))
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def test_sums_country_codes_with_empty_fields_and_unordered_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, LINES)
    s = read_milan_raw(path, squares=100)  # default signal sms_in
    # hand sums: bin0 1.5 + 0.25 + 0; bin1 2.0 + 0.125; bin2 4.0
    np.testing.assert_array_equal(s.values, [1.75, 2.125, 4.0])
    np.testing.assert_array_equal(
        s.time, np.array([T0, T0 + BIN, T0 + 2 * BIN], dtype="datetime64[ms]")
    )
    assert str(s.time[0]) == "2013-10-31T23:00:00.000"
    assert s.info["lines"] == len(LINES) and s.info["skipped_lines"] == 0
    internet = read_milan_raw(path, squares=100, signal="internet")
    np.testing.assert_array_equal(internet.values, [12.0, 5.0, 3.0])
    sms_all = read_milan_raw(path, squares=100, signal="sms_all")
    np.testing.assert_array_equal(sms_all.values, [2.25, 2.125, 5.0])
    both = read_milan_raw(path, squares=[200, 100], signal="sms_in")
    assert both.values.shape == (3, 2) and both.channels == ("sms_in@200", "sms_in@100")
    np.testing.assert_array_equal(both.values[:, 0], [7.0, 8.0, 9.0])


def test_malformed_line_raises_with_file_and_line_or_is_counted(tmp_path: Path) -> None:
    lines = [*LINES[:4], MALFORMED, *LINES[4:]]
    path = _write(tmp_path, lines)
    with pytest.raises(ValueError, match=rf"{path.name}:5: .*integers"):
        read_milan_raw(path, squares=100)
    s = read_milan_raw(path, squares=100, malformed="skip")
    assert s.info["skipped_lines"] == 1 and ":5:" in s.info["skipped_examples"][0]
    np.testing.assert_array_equal(s.values, [1.75, 2.125, 4.0])
    # malformed lines of squares that are not selected are caught too
    for bad, reason in [
        (f"999\t{T0}\t39\t1.0\tx", "not a number"),
        (f"999\t{T0 + 1}\t39\t1.0", "multiple of 10 minutes"),
        (f"999\t{T0}", "3 to 8 fields"),
        (f"999\t{T0}\t39\t1\t2\t3\t4\t5\t6", "3 to 8 fields"),
        (f"999\t{T0}\t39\tnan", "not finite"),
    ]:
        bad_path = _write(tmp_path / reason.replace(" ", "_"), [LINES[0], bad])
        with pytest.raises(ValueError, match=rf"{bad_path.name}:2: .*{reason}"):
            read_milan_raw(bad_path, squares=100)


def test_duplicates_gaps_and_resampling(tmp_path: Path) -> None:
    dup = _write(tmp_path / "dup", [*LINES, LINES[0]])
    with pytest.raises(ValueError, match=r"duplicate record.*first at .*:1"):
        read_milan_raw(dup, squares=100)
    assert read_milan_raw(dup, squares=100, malformed="skip").info["skipped_lines"] == 1

    gap_lines = [f"7\t{T0 + k * BIN}\t39\t{float(k)}" for k in (0, 1, 3, 4, 5)]
    gap = _write(tmp_path / "gap", gap_lines)
    with pytest.raises(ValueError, match=r"square 7 has 1 10-minute bin.*2013-10-31T23:20"):
        read_milan_raw(gap, squares=7)
    zero = read_milan_raw(gap, squares=7, gaps="zero")
    np.testing.assert_array_equal(zero.values, [0, 1, 0, 3, 4, 5])
    np.testing.assert_array_equal(zero.info["observed"], [1, 1, 0, 1, 1, 1])
    assert zero.info["gaps"] == {7: 1}
    nan = read_milan_raw(gap, squares=7, gaps="nan")
    assert np.isnan(nan.values[2]) and np.isfinite(nan.values[[0, 1, 3, 4, 5]]).all()
    interp = read_milan_raw(gap, squares=7, gaps="interpolate")
    np.testing.assert_array_equal(interp.values, [0, 1, 2, 3, 4, 5])
    hourly = read_milan_raw(gap, squares=7, gaps="interpolate", resolution="1h")
    np.testing.assert_array_equal(hourly.values, [15.0])
    assert hourly.time[0] == np.datetime64(T0, "ms")


def test_folder_gzip_comma_and_header(tmp_path: Path) -> None:
    plain = read_milan_raw(_write(tmp_path / "a", LINES), squares=100)
    gz_dir = tmp_path / "gz"
    _write(gz_dir, LINES[:5], name="sms-call-internet-mi-2013-11-01.txt", gz=True)
    _write(gz_dir, LINES[5:], name="sms-call-internet-mi-2013-11-02.txt", gz=True)
    (gz_dir / "notes.txt").write_text("not a day file")
    from_folder = read_milan_raw(gz_dir, squares=100)
    np.testing.assert_array_equal(from_folder.values, plain.values)
    assert len(from_folder.info["files"]) == 2
    header = "square_id,time_interval,country_code,sms_in,sms_out,call_in,call_out,internet"
    comma = _write(tmp_path / "c", [header, *(x.replace("\t", ",") for x in LINES)],
                   name="sms-call-internet-mi-2013-11-01.csv")
    np.testing.assert_array_equal(read_milan_raw(comma, squares=100).values, plain.values)
    with pytest.raises(ValueError, match="holds no Milan day file"):
        read_milan_raw(tmp_path / "a" / "..", squares=100)
    with pytest.raises(FileNotFoundError):
        read_milan_raw(tmp_path / "missing.txt", squares=100)
    with pytest.raises(ValueError, match=r"no record of square\(s\) \[5\]"):
        read_milan_raw(comma, squares=5)
    with pytest.raises(ValueError, match="unknown Milan signal 'sms'"):
        read_milan_raw(comma, squares=100, signal="sms")  # type: ignore[arg-type]


def test_real_raw_format_sample() -> None:
    s = read_milan_raw(SAMPLE, squares=1, signal="sms_in")
    assert len(s) == 71 and s.info["lines"] == 143 and s.info["gaps"] == {1: 0}
    # independent parse with the csv module
    ref: dict[int, float] = {}
    countries = set()
    with open(SAMPLE, newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            countries.add(row[2])
            value = float(row[3]) if len(row) > 3 and row[3] else 0.0
            ref[int(row[1])] = ref.get(int(row[1]), 0.0) + value
    assert len(countries) == 13
    np.testing.assert_allclose(s.values, [ref[k] for k in sorted(ref)], rtol=1e-15)
    hourly = read_milan_raw(SAMPLE, squares=1, signal="internet", resolution="1h")
    ten = read_milan_raw(SAMPLE, squares=1, signal="internet")
    assert len(hourly) == 12  # 71 bins from 23:00: 11 full hours and a partial one
    np.testing.assert_allclose(hourly.values[:11], ten.values[:66].reshape(11, 6).sum(axis=1))
    via_make = datasets.make("milan_telecom", source="raw", path=str(SAMPLE), square=1,
                             signal="sms_in")
    np.testing.assert_array_equal(via_make.values, s.values)
    for path in (SAMPLE, [SAMPLE]):  # pathlib.Path objects, alone or in a list, are paths too
        as_path = datasets.make("milan_telecom", source="raw", path=path, square=1,
                                signal="sms_in")
        np.testing.assert_array_equal(as_path.values, s.values)
        assert as_path.channels == via_make.channels
    with pytest.raises(TypeError, match="path"):
        datasets.make("milan_telecom", source="raw", path=7, square=1)


def test_embedded_extracts() -> None:
    s = datasets.make("milan_telecom")
    assert s.channels == ("internet@5161",) and len(s) == 8928
    assert s.values[0] == pytest.approx(379.97293) and s.values[-1] == pytest.approx(148.33173)
    steps = np.diff(s.time.astype(np.int64))
    assert np.all(steps == 600_000)
    assert s.info["licence"] == "ODbL-1.0" and "10.7910/DVN/EGZHFV" in s.info["attribution"]
    hourly = datasets.make("milan_telecom", resolution="1h")
    assert len(hourly) == 8928 // 6
    np.testing.assert_allclose(hourly.values, s.values.reshape(-1, 6).sum(axis=1))
    three = datasets.make("milan_telecom", square=[4159, 4556, 5161])
    assert three.values.shape == (8928, 3)
    np.testing.assert_array_equal(three.values[:, 2], s.values)
    week = datasets.make("milan_telecom", square=[4259, 5060], signal="sms_all", resolution="1h")
    assert week.values.shape == (168, 2)
    assert week.values[0, 0] == pytest.approx(61.5587206279)
    assert str(week.time[0]) == "2013-11-02T23:00:00.000"
    with pytest.raises(ValueError, match="embedded extracts hold no 'sms_all' at '10min'"):
        datasets.make("milan_telecom", square=4259, signal="sms_all")
    with pytest.raises(ValueError, match="only used with source='raw'"):
        datasets.make("milan_telecom", path="/tmp")
    split = datasets.window_split(s)
    assert split.train.X.shape == (7138, 4, 1)


def test_embedded_files_carry_the_licence() -> None:
    data = Path(datasets.__file__).parent / "data"
    text = " ".join(p.read_text() for p in data.iterdir() if p.suffix in ("", ".md"))
    assert "ODbL" in text and "10.7910/DVN/EGZHFV" in text and "Telecom Italia" in text
