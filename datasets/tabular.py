"""The ``csv`` dataset: a column (or several) of a user's CSV or Parquet file.

CSV is read with the standard library; Parquet needs ``pyarrow`` (or ``pandas``) installed and
says so when it is missing. Every value must parse as a finite number: a blank, non-numeric or
NaN/inf cell raises an error naming the file, line and column.

>>> import pathlib, tempfile
>>> f = pathlib.Path(tempfile.mkdtemp()) / "my.csv"
>>> _ = f.write_text("t,load\\n0.5,1\\n1.0,2.5\\n")
>>> s = csv_series(CsvConfig(path=str(f), column="load", time_column="t"))
>>> s.values, s.time
(array([1. , 2.5]), array([0.5, 1. ]))
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import model_validator

from .config import DatasetConfig
from .series import Series, check_finite

__all__ = ["CsvConfig", "csv_series"]


class CsvConfig(DatasetConfig):
    """Options of ``csv``.

    Attributes:
        path: the CSV or Parquet file.
        column: the value column, by header name or 0-based index; a list of them gives a
            2-D series (one column per name).
        time_column: the time column (name or index), or ``None`` for a step axis 0 … N-1.
            Numeric times become float64, ISO-8601 dates ``datetime64``.
        format: ``"auto"`` (``.parquet``/``.pq`` -> Parquet, else CSV), ``"csv"`` or
            ``"parquet"``.
        delimiter: CSV field separator (one character).
        header: whether the CSV's first row names the columns (needed to select by name).

    >>> CsvConfig(path="my.csv", column="load", delimiter=";;")
    Traceback (most recent call last):
    ...
    ValueError: csv: delimiter must be one character, got ';;'
    """

    path: str
    column: str | int | tuple[str | int, ...]
    time_column: str | int | None = None
    format: Literal["auto", "csv", "parquet"] = "auto"
    delimiter: str = ","
    header: bool = True

    label: ClassVar[str] = "csv"

    @model_validator(mode="after")
    def _check(self) -> CsvConfig:
        if len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}")
        cols = self.column if isinstance(self.column, tuple) else (self.column,)
        if not cols:
            raise ValueError("column must name at least one column")
        if not self.header and any(isinstance(c, str) for c in (*cols, self.time_column)):
            raise ValueError("columns can be selected by name only with header=True")
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


def _parse_time(raw: list[str], path: str) -> np.ndarray:
    """Parse a time column: float64 if numeric, else ``datetime64`` (ISO-8601)."""
    try:
        return np.array([float(v) for v in raw], dtype=np.float64)
    except ValueError:
        pass
    try:
        return np.array([np.datetime64(v.strip()) for v in raw])
    except ValueError:
        raise ValueError(
            f"csv: time column of {path!r} is neither numeric nor ISO-8601 dates "
            f"(first value {raw[0]!r}); omit time_column to use a step axis"
        ) from None


def _read_csv(config: CsvConfig, cols: tuple[str | int, ...]) -> tuple[np.ndarray, Any]:
    """Values (N, C) and the raw time strings (or None) of a CSV file."""
    with open(config.path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, delimiter=config.delimiter)
        rows = list(reader)
    start = 1 if config.header else 0
    if len(rows) <= start:
        raise ValueError(f"csv: {config.path!r} holds no data rows")
    width = len(rows[0])
    names = rows[0] if config.header else [str(i) for i in range(width)]
    idx = [_resolve(names, c, config.path) for c in cols]
    t_idx = None if config.time_column is None else _resolve(
        names, config.time_column, config.path
    )
    values = np.empty((len(rows) - start, len(idx)))  # (N, C)
    times: list[str] = []
    for r, row in enumerate(rows[start:]):
        line = r + start + 1
        for j, k in enumerate(idx):
            cell = row[k].strip() if k < len(row) else ""
            try:
                v = float(cell)
            except ValueError:
                raise ValueError(
                    f"csv: {config.path!r} line {line}, column {names[k]!r}: "
                    f"{cell!r} is not a number"
                ) from None
            if not math.isfinite(v):
                raise ValueError(
                    f"csv: {config.path!r} line {line}, column {names[k]!r}: "
                    f"value {cell!r} is not finite"
                )
            values[r, j] = v
        if t_idx is not None:
            if t_idx >= len(row):
                raise ValueError(f"csv: {config.path!r} line {line} has no time field")
            times.append(row[t_idx])
    return values, (times if t_idx is not None else None)


def _read_parquet(config: CsvConfig, cols: tuple[str | int, ...]) -> tuple[np.ndarray, Any]:
    """Values (N, C) and the time column (or None) of a Parquet file."""
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

    idx = [_resolve(names, c, config.path) for c in cols]
    values = np.stack([np.asarray(column(k), dtype=np.float64) for k in idx], axis=1)  # (N, C)
    check_finite(values, f"csv: {config.path!r} columns {[names[k] for k in idx]}")
    if config.time_column is None:
        return values, None
    return values, column(_resolve(names, config.time_column, config.path))


def csv_series(config: CsvConfig) -> Series:
    """Read the configured column(s) of a CSV or Parquet file.

    Args:
        config: file, columns and format.

    Returns:
        A :class:`~qmem.datasets.series.Series`: (N,) for one column, (N, C) for several.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: on a missing column, a non-numeric or non-finite value, or no data rows.
        ImportError: for Parquet without pyarrow/pandas.
    """
    path = Path(config.path)
    if not path.is_file():
        raise FileNotFoundError(f"csv: file {config.path!r} does not exist")
    fmt = config.format
    if fmt == "auto":
        fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    cols = config.column if isinstance(config.column, tuple) else (config.column,)
    reader = _read_parquet if fmt == "parquet" else _read_csv
    values, raw_time = reader(config, cols)
    if raw_time is None:
        time: np.ndarray = np.arange(values.shape[0], dtype=np.float64)
        unit = "step"
    elif isinstance(raw_time, list):
        time = _parse_time(raw_time, config.path)
        unit = str(config.time_column)
    else:
        time = np.asarray(raw_time)
        if time.dtype.kind in "iuf":
            time = time.astype(np.float64)
        unit = str(config.time_column)
    single = not isinstance(config.column, tuple)
    return Series(
        name="csv",
        values=values[:, 0] if single else values,
        time=time,
        channels=tuple(str(c) for c in cols),
        time_unit=unit,
        config=config,
        info={"path": config.path, "format": fmt},
    )
