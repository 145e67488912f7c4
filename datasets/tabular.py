"""The ``csv`` dataset: a column (or several) of a user's CSV or Parquet file.

CSV is read with the standard library, streamed row by row; Parquet needs ``pyarrow`` (or
``pandas``) installed and says so when it is missing. Nothing is dropped, reordered or merged
silently:

- every value must parse as a finite number: a blank, non-numeric or NaN/inf cell raises an
  error naming the file, line and column; so does a row with another number of fields than
  the header (a stray delimiter shifts the columns);
- a header must name each column once; a file that is not UTF-8, holds NUL bytes or a field
  past the ``csv`` module's size limit raises ``ValueError`` naming the file and line;
- the time column (optional) must be finite (no blank, ``nan`` or ``inf`` time) and strictly
  increasing. Two options choose a policy instead of the error, and ``info`` counts what they
  did: ``sort=True`` sorts the rows by time (stable; ``info["rows_reordered"]``) and
  ``duplicates="first" | "last" | "mean"`` merges rows of equal time
  (``info["duplicates_merged"]``: rows removed by the merge).

>>> import pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "my.csv"
>>> _ = f.write_text("t,load\\n0.5,1\\n1.0,2.5\\n")
>>> s = csv_series(CsvConfig(path=str(f), column="load", time_column="t"))
>>> s.values, s.time
(array([1. , 2.5]), array([0.5, 1. ]))
>>> _ = f.write_text("t,load\\n1.0,2\\n0.5,1\\n1.0,4\\n")
>>> csv_series(CsvConfig(path=str(f), column="load", time_column="t"))
Traceback (most recent call last):
...
ValueError: csv: ...line 3: time 0.5 is earlier than line 2's 1.0: the file is not sorted ...
>>> s = csv_series(CsvConfig(path=str(f), column="load", time_column="t", sort=True,
...                          duplicates="mean"))
>>> s.values, s.time, s.info["rows_reordered"], s.info["duplicates_merged"]
(array([1., 3.]), array([0.5, 1. ]), 2, 1)
>>> import shutil; shutil.rmtree(f.parent)
"""

from __future__ import annotations

import csv
import math
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import model_validator

from .config import DatasetConfig
from .series import Series, check_finite

__all__ = ["CsvConfig", "DuplicatePolicy", "csv_series"]

DuplicatePolicy = Literal["error", "first", "last", "mean"]
"""Rows of equal time: raise (``"error"``), or keep the ``"first"``, the ``"last"`` (in file
order) or the ``"mean"`` of their values."""

_BAD_DELIMITERS = frozenset('"\r\n.+-0123456789')


class CsvConfig(DatasetConfig):
    """Options of ``csv``.

    Attributes:
        path: the CSV or Parquet file.
        column: the value column, by header name or 0-based index; a list of them gives a
            2-D series (one column per name). No column twice, none the time column.
        time_column: the time column (name or index), or ``None`` for a step axis 0 … N-1.
            Numeric times become float64, ISO-8601 dates ``datetime64``.
        format: ``"auto"`` (``.parquet``/``.pq`` -> Parquet, else CSV), ``"csv"`` or
            ``"parquet"``.
        delimiter: CSV field separator (one character; not a quote, line break, digit, sign
            or decimal point).
        header: whether the CSV's first row names the columns (needed to select by name).
        sort: ``False`` (default): rows out of time order raise ``ValueError``; ``True``:
            they are sorted by time (stable), ``info["rows_reordered"]`` counts the rows that
            moved. Needs ``time_column``.
        duplicates: rows of equal time: ``"error"`` (default), or keep the ``"first"``, the
            ``"last"`` (in file order) or the ``"mean"`` of their values;
            ``info["duplicates_merged"]`` counts the rows removed. Needs ``time_column``.

    >>> CsvConfig(path="my.csv", column="load", delimiter=";;")
    Traceback (most recent call last):
    ...
    ValueError: csv: delimiter must be one character, got ';;'
    >>> CsvConfig(path="my.csv", column="load", duplicates="mean")
    Traceback (most recent call last):
    ...
    ValueError: csv: duplicates='mean' needs time_column (rows are told apart by their time)
    """

    path: str
    column: str | int | tuple[str | int, ...]
    time_column: str | int | None = None
    format: Literal["auto", "csv", "parquet"] = "auto"
    delimiter: str = ","
    header: bool = True
    sort: bool = False
    duplicates: DuplicatePolicy = "error"

    label: ClassVar[str] = "csv"

    @model_validator(mode="after")
    def _check(self) -> CsvConfig:
        if not self.path:
            raise ValueError("path must name a file, got ''")
        if len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        if self.delimiter in _BAD_DELIMITERS:
            raise ValueError(
                f"delimiter {self.delimiter!r} would split numbers or lines; use e.g. ',', "
                "';', '\\t' or '|'"
            )
        cols = self.column if isinstance(self.column, tuple) else (self.column,)
        if not cols:
            raise ValueError("column must name at least one column")
        for c in (*cols, self.time_column):
            if isinstance(c, int) and c < 0:
                raise ValueError(f"a column index must be >= 0, got {c}")
            if c == "":
                raise ValueError("a column name must not be empty")
        repeated = sorted({repr(c) for c in cols if cols.count(c) > 1})
        if repeated:
            raise ValueError(f"column names a column twice: {', '.join(repeated)}")
        if self.time_column is not None and self.time_column in cols:
            raise ValueError(f"time_column {self.time_column!r} is also a value column")
        if not self.header and any(isinstance(c, str) for c in (*cols, self.time_column)):
            raise ValueError("columns can be selected by name only with header=True")
        if self.time_column is None:
            for option, value, default in (("sort", self.sort, False),
                                           ("duplicates", self.duplicates, "error")):
                if value != default:
                    raise ValueError(
                        f"{option}={value!r} needs time_column (rows are told apart by "
                        "their time)"
                    )
        return self


def _resolve(names: Sequence[str], column: str | int, path: str) -> int:
    """Index of ``column`` among ``names``; ValueError listing the available ones."""
    if isinstance(column, int):
        if not 0 <= column < len(names):
            raise ValueError(
                f"csv: column index {column} out of range for {path!r} ({len(names)} columns)"
            )
        return column
    if column not in names:
        raise ValueError(f"csv: no column {column!r} in {path!r}; columns: {list(names)}")
    return list(names).index(column)


def _check_header(names: Sequence[str], path: str) -> None:
    """A header names each column once."""
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise ValueError(
                f"csv: the header of {path!r} names column {name!r} twice (columns "
                f"{seen[name]} and {k}); rename one, or read with header=False and indices"
            )
        seen[name] = k


def _parse_time(raw: list[str], lines: np.ndarray, path: str) -> np.ndarray:
    """Parse a time column: float64 if numeric, else ``datetime64`` (ISO-8601).

    Raises:
        ValueError: a blank, NaN or inf time (naming the line), or times that are neither
            numbers nor dates.
    """
    for k, v in enumerate(raw):
        if not v.strip():
            raise ValueError(f"csv: {path!r} line {lines[k]}: the time is blank")
    try:
        numeric = np.array([float(v) for v in raw], dtype=np.float64)
    except ValueError:
        numeric = None
    if numeric is not None:
        bad = ~np.isfinite(numeric)
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"csv: {path!r} line {lines[k]}: the time {raw[k]!r} is not finite")
        return numeric
    try:
        dates = np.array([np.datetime64(v.strip()) for v in raw])
    except ValueError:
        raise ValueError(
            f"csv: time column of {path!r} is neither numeric nor ISO-8601 dates "
            f"(first value {raw[0]!r}); omit time_column to use a step axis"
        ) from None
    bad = np.isnat(dates)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"csv: {path!r} line {lines[k]}: the time {raw[k]!r} is not a date")
    return dates


def _read_csv(
    config: CsvConfig, cols: tuple[str | int, ...]
) -> tuple[np.ndarray, list[str] | None, np.ndarray]:
    """Values (N, C), the raw time strings (or None) and the file line of each row."""
    columns: list[array] = []
    times: list[str] = []
    lines = array("q")
    names: list[str] = []
    idx: list[int] = []
    t_idx: int | None = None
    width = 0
    line = 0
    try:
        with open(config.path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=config.delimiter)
            for r, row in enumerate(reader):
                line = reader.line_num
                if r == 0:
                    width = len(row)
                    names = row if config.header else [str(i) for i in range(width)]
                    if config.header:
                        _check_header(names, config.path)
                    idx = [_resolve(names, c, config.path) for c in cols]
                    t_idx = None if config.time_column is None else _resolve(
                        names, config.time_column, config.path
                    )
                    columns = [array("d") for _ in idx]
                    if config.header:
                        continue
                if not row:
                    continue  # a blank line
                if len(row) != width:
                    raise ValueError(
                        f"csv: {config.path!r} line {line} has {len(row)} field(s), the "
                        f"{'header' if config.header else 'first row'} {width}: a stray or "
                        "missing delimiter would shift the columns"
                    )
                for j, k in enumerate(idx):
                    columns[j].append(_number(row[k], config.path, line, names[k]))
                if t_idx is not None:
                    times.append(row[t_idx])
                lines.append(line)
    except UnicodeDecodeError as err:
        bad = err.object[err.start : err.start + 1]
        raise ValueError(
            f"csv: {config.path!r} is not UTF-8 text (byte {bad!r} after line {line}); save it "
            "as UTF-8"
        ) from None
    except csv.Error as err:
        raise ValueError(f"csv: {config.path!r} line {line + 1} cannot be read: {err}") from None
    if not lines:
        raise ValueError(f"csv: {config.path!r} holds no data rows")
    values = np.stack([np.frombuffer(c, dtype=np.float64) for c in columns], axis=1)  # (N, C)
    return values, (times if t_idx is not None else None), np.frombuffer(lines, dtype=np.int64)


def _number(cell: str, path: str, line: int, name: str) -> float:
    """One value cell as a finite float, or ValueError naming file, line and column."""
    text = cell.strip()
    try:
        v = float(text)
    except ValueError:
        raise ValueError(
            f"csv: {path!r} line {line}, column {name!r}: {text!r} is not a number"
        ) from None
    if not math.isfinite(v):
        raise ValueError(
            f"csv: {path!r} line {line}, column {name!r}: value {text!r} is not finite"
        )
    return v


def _read_parquet(
    config: CsvConfig, cols: tuple[str | int, ...]
) -> tuple[np.ndarray, Any, np.ndarray]:
    """Values (N, C), the time column (or None) and the row numbers of a Parquet file."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        pq = None
    if pq is not None:
        table = pq.read_table(config.path)
        names = list(table.column_names)

        def column(k: int) -> np.ndarray:
            return table.column(k).to_numpy(zero_copy_only=False)
    else:
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                f"csv: reading the Parquet file {config.path!r} needs pyarrow or pandas "
                "(pip install pyarrow); CSV files need neither"
            ) from None
        frame = pd.read_parquet(config.path)
        names = [str(c) for c in frame.columns]

        def column(k: int) -> np.ndarray:
            return frame.iloc[:, k].to_numpy()

    _check_header(names, config.path)
    idx = [_resolve(names, c, config.path) for c in cols]
    raw = [np.asarray(column(k)) for k in idx]
    for k, arr in zip(idx, raw, strict=True):
        if arr.dtype.kind not in "iuf":
            raise ValueError(
                f"csv: column {names[k]!r} of {config.path!r} holds {arr.dtype} values "
                "(nulls or text), not numbers"
            )
    values = np.stack([a.astype(np.float64) for a in raw], axis=1)  # (N, C)
    check_finite(values, f"csv: {config.path!r} columns {[names[k] for k in idx]}")
    if values.shape[0] == 0:
        raise ValueError(f"csv: {config.path!r} holds no data rows")
    rows = np.arange(values.shape[0], dtype=np.int64)
    if config.time_column is None:
        return values, None, rows
    return values, column(_resolve(names, config.time_column, config.path)), rows


def _parquet_time(raw: Any, rows: np.ndarray, path: str) -> np.ndarray:
    time = np.asarray(raw)
    if time.dtype.kind in "iuf":
        time = time.astype(np.float64)
        bad = ~np.isfinite(time)
    elif time.dtype.kind == "M":
        bad = np.isnat(time)
    else:
        raise ValueError(
            f"csv: the time column of {path!r} holds {time.dtype} values (nulls or text), "
            "not numbers or dates"
        )
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"csv: {path!r} row {rows[k]}: the time is missing or not finite")
    return time


def _order_rows(
    values: np.ndarray, time: np.ndarray, lines: np.ndarray, config: CsvConfig, what: str
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Apply the ``sort`` and ``duplicates`` policies; returns values, time and the counts."""
    counts = {"rows_reordered": 0, "duplicates_merged": 0}
    if config.sort:
        order = np.argsort(time, kind="stable")
        counts["rows_reordered"] = int((order != np.arange(order.size)).sum())
        values, time, lines = values[order], time[order], lines[order]
    else:
        back = time[1:] < time[:-1]
        if back.any():
            k = int(np.argmax(back)) + 1
            raise ValueError(
                f"csv: {config.path!r} {what} {lines[k]}: time {time[k]} is earlier than "
                f"{what} {lines[k - 1]}'s {time[k - 1]}: the file is not sorted by time; "
                "pass sort=True to sort the rows"
            )
    same = time[1:] == time[:-1]
    if not same.any():
        return values, time, counts
    if config.duplicates == "error":
        k = int(np.argmax(same)) + 1
        raise ValueError(
            f"csv: {config.path!r} {what}s {lines[k - 1]} and {lines[k]} share the time "
            f"{time[k]} ({int(same.sum())} duplicated row(s) in all); choose duplicates="
            "'first', 'last' or 'mean' to merge them"
        )
    first = np.concatenate([[0], np.flatnonzero(~same) + 1])  # start of each group of equal times
    sizes = np.diff(np.append(first, time.size))
    if config.duplicates == "first":
        merged = values[first]
    elif config.duplicates == "last":
        merged = values[first + sizes - 1]
    else:
        merged = np.add.reduceat(values, first, axis=0) / sizes[:, None]  # (G, C) group means
    counts["duplicates_merged"] = int(time.size - first.size)
    return merged, time[first], counts


def csv_series(config: CsvConfig) -> Series:
    """Read the configured column(s) of a CSV or Parquet file.

    Args:
        config: file, columns, format and the time policies.

    Returns:
        A :class:`~qmem.datasets.series.Series`: (N,) for one column, (N, C) for several.
        ``info`` holds ``path``, ``format``, ``rows`` (data rows read), ``rows_reordered``
        and ``duplicates_merged``.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: a missing or repeated column, a non-numeric or non-finite value, a row of
            the wrong width, a blank or non-finite time, times out of order or repeated (with
            the default policies), no data rows, a directory or an unreadable file.
        ImportError: for Parquet without pyarrow/pandas.
    """
    path = Path(config.path)
    if path.is_dir():
        raise ValueError(f"csv: path {config.path!r} is a folder, not a file")
    if not path.is_file():
        raise FileNotFoundError(f"csv: file {config.path!r} does not exist")
    fmt = config.format
    if fmt == "auto":
        fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    cols = config.column if isinstance(config.column, tuple) else (config.column,)
    if fmt == "parquet":
        values, raw_time, lines = _read_parquet(config, cols)
        what = "row"
    else:
        values, raw_time, lines = _read_csv(config, cols)
        what = "line"
    n_rows = int(values.shape[0])
    counts = {"rows_reordered": 0, "duplicates_merged": 0}
    if raw_time is None:
        time: np.ndarray = np.arange(n_rows, dtype=np.float64)
        unit = "step"
    else:
        if isinstance(raw_time, list):
            time = _parse_time(raw_time, lines, config.path)
        else:
            time = _parquet_time(raw_time, lines, config.path)
        values, time, counts = _order_rows(values, time, lines, config, what)
        unit = str(config.time_column)
    single = not isinstance(config.column, tuple)
    return Series(
        name="csv",
        values=values[:, 0] if single else values,
        time=time,
        channels=tuple(str(c) for c in cols),
        time_unit=unit,
        config=config,
        info={"path": config.path, "format": fmt, "rows": n_rows, **counts},
    )
