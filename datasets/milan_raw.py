"""Streaming loader for the published Milan telecom day files (Telecom Italia Big Data Challenge).

The published data ("Telecommunications - SMS, Call, Internet - MI", Harvard Dataverse,
doi:10.7910/DVN/EGZHFV, ODbL) is one file per day, ``sms-call-internet-mi-YYYY-MM-DD.txt``,
tab-separated, no header, with the columns

    square_id, time_interval, country_code, sms_in, sms_out, call_in, call_out, internet

``time_interval`` is milliseconds since the epoch (UTC) at the start of a 10-minute bin; empty
(or missing trailing) fields mean no activity was recorded. :func:`read_milan_raw` streams such
files line by line (plain, ``.gz``, tab- or comma-separated), keeps only the selected squares,
sums one signal over country codes, puts it on a regular 10-minute (or hourly) grid and fills
or flags the bins that have no record at all.

>>> import gzip, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rows = ["1\\t1383260400000\\t39\\t2.0\\t\\t\\t\\t5.0", "1\\t1383260400000\\t0\\t1.0",
...         "1\\t1383261000000\\t39\\t0.5"]
>>> _ = (folder / "sms-call-internet-mi-2013-11-01.txt").write_text("\\n".join(rows) + "\\n")
>>> s = read_milan_raw(folder, squares=1, signal="sms_in")
>>> s.values, str(s.time[0])
(array([3. , 0.5]), '2013-10-31T23:00:00.000')
>>> import shutil; shutil.rmtree(folder)
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import IO, Literal

import numpy as np

from .series import Series

__all__ = [
    "BIN_MS",
    "MAX_ACTIVITY",
    "MAX_BINS",
    "MILAN_SIGNALS",
    "TIME_RANGE_MS",
    "GapPolicy",
    "MalformedPolicy",
    "MilanResolution",
    "MilanSignal",
    "milan_day_files",
    "read_milan_raw",
]

MilanSignal = Literal["sms_in", "sms_out", "call_in", "call_out", "internet", "sms_all", "call_all"]
"""A published activity column (``sms_in`` … ``internet``) or the sum of in and out
(``sms_all``, ``call_all``); :data:`MILAN_SIGNALS` maps each to its columns."""
MilanResolution = Literal["10min", "1h"]
"""Time grid of the loaded series: the published 10-minute bins or their hourly sums."""
GapPolicy = Literal["raise", "zero", "nan", "interpolate"]
"""What :func:`read_milan_raw` does with a bin that has no record: raise, fill 0, flag NaN
or interpolate linearly in time."""
MalformedPolicy = Literal["raise", "skip"]
"""What :func:`read_milan_raw` does with a malformed line: raise, or skip and count it."""

BIN_MS = 600_000
"""Length of one published time bin: 10 minutes in milliseconds."""

HOUR_MS = 3_600_000

MILAN_SIGNALS: dict[str, tuple[int, ...]] = {
    "sms_in": (3,),
    "sms_out": (4,),
    "call_in": (5,),
    "call_out": (6,),
    "internet": (7,),
    "sms_all": (3, 4),
    "call_all": (5, 6),
}
"""Signal name -> the columns (0-based, of the 8 published columns) that are summed."""

TIME_RANGE_MS = (946_684_800_000, 4_102_444_800_000)
"""Accepted ``time_interval`` range, [2000-01-01, 2100-01-01) UTC in ms: a stamp outside it
(a mistyped one, e.g. two extra digits) is a malformed line, not the end of a grid."""

MAX_ACTIVITY = 1e12
"""Largest accepted activity value (the published values are below 1e5): a larger one is a
corrupt field, and sums of such values could overflow to inf."""

MAX_BINS = 1_000_000
"""Most 10-minute bins of one loaded grid (19 years): checked before the grid is built."""

_SUFFIXES = (".txt", ".csv", ".tsv", ".gz")
_MAX_EXAMPLES = 10


class _Malformed(Exception):
    """A line that does not follow the published format (internal)."""


@dataclass
class _Record:
    square: int
    time_ms: int
    country: int
    values: tuple[float, float, float, float, float]


def milan_day_files(path: str | PathLike[str] | Sequence[str | PathLike[str]]) -> list[Path]:
    """Resolve a file, a folder of day files, or a list of files into a sorted file list.

    A folder contributes its ``sms-call-internet-mi-*`` files ending in .txt, .csv, .tsv or
    .gz (e.g. ``.txt.gz``).

    Args:
        path: one file, one folder, or a sequence of files/folders.

    Returns:
        The files, sorted by name within each folder, in the order given.

    Raises:
        FileNotFoundError: if a path does not exist.
        ValueError: if a folder holds no day file, or nothing was given.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ("sms-call-internet-mi-2013-11-02.txt.gz",
    ...                  "sms-call-internet-mi-2013-11-01.txt", "notes.txt"):
    ...         _ = (Path(d) / name).write_bytes(b"")
    ...     [f.name for f in milan_day_files(d)]
    ['sms-call-internet-mi-2013-11-01.txt', 'sms-call-internet-mi-2013-11-02.txt.gz']
    >>> milan_day_files([])
    Traceback (most recent call last):
    ...
    ValueError: no Milan day file given (empty list)
    """
    items = [path] if isinstance(path, (str, PathLike)) else list(path)
    if not items:
        raise ValueError("no Milan day file given (empty list)")
    if any(str(item) == "" for item in items):
        raise ValueError("a Milan data path is empty ('')")
    files: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(
                f
                for f in p.glob("sms-call-internet-mi-*")
                if f.is_file() and f.name.lower().endswith(_SUFFIXES)
            )
            if not found:
                raise ValueError(
                    f"folder {str(p)!r} holds no Milan day file "
                    "(expected sms-call-internet-mi-YYYY-MM-DD.txt, .csv or .gz)"
                )
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"Milan data path {str(p)!r} does not exist")
    return files


def _open_binary(path: Path) -> IO[bytes]:
    """Open a plain or gzip-compressed file for binary line reading (gzip found by magic)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return open(path, "rb")  # the caller closes it


def _parse(fields: list[bytes]) -> _Record:
    """Parse the fields of one published line; raise ``_Malformed`` with the reason."""
    if not 3 <= len(fields) <= 8:
        raise _Malformed(f"expected 3 to 8 fields, found {len(fields)}")
    try:
        square = int(fields[0])
        time_ms = int(fields[1])
        country = int(fields[2])
    except ValueError:
        raise _Malformed(
            "square_id, time_interval and country_code must be integers, got "
            f"{[f.decode('utf-8', 'replace') for f in fields[:3]]}"
        ) from None
    if not TIME_RANGE_MS[0] <= time_ms < TIME_RANGE_MS[1]:
        raise _Malformed(
            f"time_interval {time_ms} ({_utc(time_ms)}) lies outside 2000-01-01 … 2100-01-01 "
            "UTC (a mistyped timestamp?)"
        )
    if time_ms % BIN_MS != 0:
        raise _Malformed(f"time_interval {time_ms} is not a multiple of 10 minutes ({BIN_MS} ms)")
    values = [0.0] * 5
    for k, raw in enumerate(fields[3:]):
        raw = raw.strip()
        if not raw:
            continue  # blank field: no activity recorded
        try:
            v = float(raw)
        except ValueError:
            raise _Malformed(
                f"column {k + 4} is not a number: {raw.decode('utf-8', 'replace')!r}"
            ) from None
        if not math.isfinite(v):
            raise _Malformed(f"column {k + 4} is not finite: {v!r}")
        if not 0.0 <= v <= MAX_ACTIVITY:
            raise _Malformed(
                f"column {k + 4} holds {v!r}; activity levels lie in [0, {MAX_ACTIVITY:g}]"
            )
        values[k] = v
    return _Record(square, time_ms, country, tuple(values))  # type: ignore[arg-type]


def _utc(time_ms: int) -> str:
    """A millisecond stamp as an ISO date (or the raw number if numpy cannot show it)."""
    try:
        return str(np.datetime64(int(time_ms), "ms"))
    except (OverflowError, ValueError):
        return f"{time_ms} ms"


def _is_header(fields: list[bytes]) -> bool:
    """True for a first line made of >= 3 column names (no field is a number)."""
    names = [f.strip() for f in fields]
    if len(names) < 3 or not all(names):
        return False
    for name in names:
        try:
            float(name)
        except ValueError:
            continue
        return False
    return all(name[:1].isalpha() for name in names)


def _lines(path: Path) -> Iterator[tuple[int, list[bytes] | None]]:
    """Yield (line number, fields) of a day file; fields is None for a skipped header line."""
    delimiter: bytes | None = None
    with _open_binary(path) as fh:
        for number, line in enumerate(fh, start=1):
            stripped = line.rstrip(b"\r\n")
            if not stripped.strip():
                continue
            if delimiter is None:
                delimiter = b"\t" if b"\t" in stripped else b","
                if _is_header(stripped.split(delimiter)):
                    yield number, None  # a header line naming the columns
                    continue
            yield number, stripped.split(delimiter)


def read_milan_raw(
    path: str | PathLike[str] | Sequence[str | PathLike[str]],
    *,
    squares: int | Sequence[int],
    signal: MilanSignal = "sms_in",
    resolution: MilanResolution = "10min",
    gaps: GapPolicy = "raise",
    malformed: MalformedPolicy = "raise",
) -> Series:
    """Load one signal of some squares from published Milan day files.

    Lines are streamed (a 300 MB day file is never held in memory); every line is validated,
    lines of other squares included. The signal is summed over country codes per square and
    10-minute bin (blank fields count as 0) and put on the regular grid from the first to the
    last bin seen for the selected squares. A bin with no line at all for a square is a *gap*.

    A line is malformed when it has not 3 to 8 fields, a non-integer id/time/country, a time
    off the 10-minute grid or outside [2000, 2100) UTC (:data:`TIME_RANGE_MS`: a mistyped
    stamp never stretches the grid), a value that is not a finite number in
    [0, :data:`MAX_ACTIVITY`], or repeats a (square, time, country) record. The grid is
    checked against :data:`MAX_BINS` before it is built.

    Args:
        path: a day file, a folder of day files, or a sequence of them (.txt/.csv/.gz).
        squares: one square id (the result is 1-D) or a sequence of ids (2-D, one column each).
        signal: ``sms_in`` (default), ``sms_out``, ``call_in``, ``call_out``, ``internet``, or
            the sums ``sms_all`` (in + out) and ``call_all`` (in + out).
        resolution: ``"10min"`` (the published bins) or ``"1h"`` (sum of the six bins of each
            UTC hour; the first and last hour may be partial).
        gaps: what to do with gaps: ``"raise"`` (default: ValueError naming the first gap),
            ``"zero"`` (no activity), ``"nan"`` (flag them as NaN) or ``"interpolate"``
            (linear in time, per square). ``info["observed"]`` always marks the 10-minute bins
            that had data.
        malformed: ``"raise"`` (default: ValueError naming file and line) or ``"skip"``
            (count them in ``info["skipped_lines"]`` and keep the first examples in
            ``info["skipped_examples"]``). Duplicate (square, time, country) records count as
            malformed.

    Returns:
        A :class:`~qmem.datasets.series.Series` with values (N,) or (N, S), float64, and time
        axis ``datetime64[ms]`` (UTC, bin starts). ``info`` holds ``files``, ``lines``,
        ``skipped_lines``, ``skipped_examples``, ``gaps`` (per square, in 10-minute bins) and
        ``observed`` (bool, (N10,) or (N10, S) on the 10-minute grid).

    Raises:
        ValueError: on a malformed line (``malformed="raise"``), a gap (``gaps="raise"``),
            no record of a selected square, a grid of more than :data:`MAX_BINS` bins, a sum
            that overflows, or a bad option.
        TypeError: if ``squares`` is not an int or a sequence of ints.
    """
    if signal not in MILAN_SIGNALS:
        raise ValueError(f"unknown Milan signal {signal!r}; allowed: {', '.join(MILAN_SIGNALS)}")
    if resolution not in ("10min", "1h"):
        raise ValueError(f"unknown resolution {resolution!r}; allowed: '10min', '1h'")
    if gaps not in ("raise", "zero", "nan", "interpolate"):
        raise ValueError(
            f"unknown gaps policy {gaps!r}; allowed: 'raise', 'zero', 'nan', 'interpolate'"
        )
    if malformed not in ("raise", "skip"):
        raise ValueError(f"unknown malformed policy {malformed!r}; allowed: 'raise', 'skip'")
    single = isinstance(squares, int) and not isinstance(squares, bool)
    if not single and (isinstance(squares, (bool, str, bytes)) or
                       not isinstance(squares, Sequence)):
        raise TypeError(f"squares must be an int or a non-empty sequence of ints, got {squares!r}")
    square_list = [squares] if single else list(squares)  # type: ignore[arg-type]
    if not square_list or not all(
        isinstance(q, int) and not isinstance(q, bool) for q in square_list
    ):
        raise TypeError(f"squares must be an int or a non-empty sequence of ints, got {squares!r}")
    if len(set(square_list)) != len(square_list):
        raise ValueError(f"squares repeats an id: {square_list}")

    columns = [c - 3 for c in MILAN_SIGNALS[signal]]
    wanted = set(square_list)
    sums: dict[int, dict[int, float]] = {q: {} for q in square_list}
    seen: dict[tuple[int, int, int], str] = {}
    where_of: dict[int, str] = {}  # time -> first file:line of a selected square with it
    files = milan_day_files(path)
    n_lines = 0
    skipped = 0
    examples: list[str] = []

    for file in files:
        for number, fields in _lines(file):
            if fields is None:
                continue
            n_lines += 1
            where = f"{file}:{number}"
            try:
                rec = _parse(fields)
                if rec.square in wanted:
                    key = (rec.square, rec.time_ms, rec.country)
                    if key in seen:
                        raise _Malformed(
                            f"duplicate record of square {rec.square}, time {rec.time_ms}, "
                            f"country {rec.country} (first at {seen[key]})"
                        )
                    seen[key] = where
            except _Malformed as err:
                message = f"malformed Milan record in {where}: {err}"
                if malformed == "raise":
                    hint = " (use malformed='skip' to skip and count such lines)"
                    raise ValueError(message + hint) from None
                skipped += 1
                if len(examples) < _MAX_EXAMPLES:
                    examples.append(message)
                continue
            if rec.square in wanted:
                bins = sums[rec.square]
                if rec.time_ms not in where_of:
                    where_of[rec.time_ms] = where
                bins[rec.time_ms] = bins.get(rec.time_ms, 0.0) + sum(rec.values[c] for c in columns)

    empty = [q for q in square_list if not sums[q]]
    if empty:
        raise ValueError(f"no record of square(s) {empty} in {len(files)} Milan file(s)")
    first = min(min(b) for b in sums.values())
    last = max(max(b) for b in sums.values())
    n_bins = (last - first) // BIN_MS + 1
    if n_bins > MAX_BINS:
        raise ValueError(
            f"the records of square(s) {square_list} span {_utc(first)} … {_utc(last)} UTC, "
            f"{n_bins} 10-minute bins; at most {MAX_BINS} are loaded at once (a mistyped "
            f"timestamp? first at {where_of[first]}, last at {where_of[last]})"
        )
    for q in square_list:
        for t, v in sums[q].items():
            if not math.isfinite(v):
                raise ValueError(
                    f"the {signal} sum of square {q} at {_utc(t)} UTC overflows to {v!r}"
                )
    grid = np.arange(first, last + BIN_MS, BIN_MS, dtype=np.int64)  # (N10,) bin starts in ms
    index = {int(t): i for i, t in enumerate(grid)}
    values = np.zeros((grid.size, len(square_list)))  # (N10, S)
    observed = np.zeros((grid.size, len(square_list)), dtype=bool)  # (N10, S)
    for j, q in enumerate(square_list):
        for t, v in sums[q].items():
            values[index[t], j] = v
            observed[index[t], j] = True

    gap_counts = {q: int((~observed[:, j]).sum()) for j, q in enumerate(square_list)}
    if any(gap_counts.values()):
        if gaps == "raise":
            j, q = next((j, q) for j, q in enumerate(square_list) if gap_counts[q])
            first_gap = grid[np.argmin(observed[:, j])].astype("datetime64[ms]")
            raise ValueError(
                f"square {q} has {gap_counts[q]} 10-minute bin(s) with no record, first at "
                f"{first_gap} UTC; choose gaps='zero', 'nan' or 'interpolate'"
            )
        if gaps == "nan":
            values[~observed] = np.nan
        elif gaps == "interpolate":
            for j in range(len(square_list)):
                ok = observed[:, j]
                values[:, j] = np.interp(grid, grid[ok], values[ok, j])

    time_ms = grid
    if resolution == "1h":
        hours = grid // HOUR_MS  # (N10,) hour number of each bin
        hour_grid = np.arange(hours[0], hours[-1] + 1)  # (NH,)
        hourly = np.zeros((hour_grid.size, len(square_list)))  # (NH, S)
        np.add.at(hourly, hours - hours[0], values)
        values = hourly
        time_ms = hour_grid * HOUR_MS

    if single:
        values = values[:, 0]  # (N,)
        observed_out: np.ndarray = observed[:, 0]
    else:
        observed_out = observed
    return Series(
        name="milan_telecom",
        values=values,
        time=time_ms.astype("datetime64[ms]"),
        channels=tuple(f"{signal}@{q}" for q in square_list),
        time_unit="UTC",
        info={
            "source": "raw",
            "files": tuple(str(f) for f in files),
            "lines": n_lines,
            "skipped_lines": skipped,
            "skipped_examples": tuple(examples),
            "gaps": gap_counts,
            "gap_policy": gaps,
            "observed": observed_out,
            "resolution": resolution,
            "signal": signal,
        },
    )
