"""The ``milan_telecom`` dataset: the QKAN-LSTM paper's "Urban Telecommunication" data.

Source: Telecom Italia Big Data Challenge, Milan, "Telecommunications - SMS, Call, Internet -
MI" (Harvard Dataverse, doi:10.7910/DVN/EGZHFV), Open Database License (ODbL) v1.0; see
``qmem/datasets/data/README.md`` for the attribution of the embedded extracts.

Two sources:

- ``source="embedded"`` (default): small real extracts shipped with qmem —
  62 days (2013-11-01 … 2014-01-01, local time) of 10-minute ``internet`` activity for
  squares 4159, 4556 and 5161 (default 5161), and one week (2013-11-03 … 11-09) of hourly
  ``internet``, ``sms_all`` and ``call_all`` for squares 4259, 4456, 4703 and 5060.
- ``source="raw"``: the published day files under ``path`` (a file, a folder or a list),
  read by :func:`qmem.datasets.milan_raw.read_milan_raw`. Nothing is ever downloaded.

>>> s = milan_telecom(MilanTelecomConfig())
>>> s.values.shape, s.channels, str(s.time[0])
((8928,), ('internet@5161',), '2013-10-31T23:00:00.000')
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import ClassVar, Literal

import numpy as np
from pydantic import model_validator

from .config import DatasetConfig
from .milan_raw import (
    BIN_MS,
    HOUR_MS,
    GapPolicy,
    MalformedPolicy,
    MilanResolution,
    MilanSignal,
    read_milan_raw,
)
from .series import Series

__all__ = [
    "EMBEDDED_HOURLY_SQUARES",
    "EMBEDDED_TEN_MINUTE_SQUARES",
    "MilanTelecomConfig",
    "load_embedded_milan",
    "milan_telecom",
]

EMBEDDED_TEN_MINUTE_SQUARES: tuple[int, ...] = (4159, 4556, 5161)
"""Squares with 62 days of 10-minute internet activity in the embedded extracts."""

EMBEDDED_HOURLY_SQUARES: tuple[int, ...] = (4259, 4456, 4703, 5060)
"""Squares with one week of hourly internet/sms_all/call_all in the embedded extracts."""

_HOURLY_FILE = "activity_hourly_4_squares_2013-11-03_09.csv"
_HOURLY_COLUMNS = {"internet": "internet_traffic", "sms_all": "sms_all", "call_all": "call_all"}


class MilanTelecomConfig(DatasetConfig):
    """Options of ``milan_telecom``.

    Attributes:
        source: ``"embedded"`` (the shipped extracts) or ``"raw"`` (published day files).
        path: for ``source="raw"``: a day file, a folder of day files, or a list of them.
        square: one square id (1-D series) or a list of ids (2-D, one column per square).
        signal: ``internet`` (default), ``sms_in``, ``sms_out``, ``call_in``, ``call_out``,
            ``sms_all`` or ``call_all`` (embedded: ``internet`` at 10 minutes; ``internet``,
            ``sms_all``, ``call_all`` hourly).
        resolution: ``"10min"`` or ``"1h"`` (hourly sums).
        gaps: raw data only: ``"raise"``, ``"zero"``, ``"nan"`` or ``"interpolate"``.
        malformed: raw data only: ``"raise"`` or ``"skip"`` (skipped lines are counted).

    >>> MilanTelecomConfig(source="raw")
    Traceback (most recent call last):
    ...
    ValueError: milan_telecom: source='raw' needs path= (a day file, a folder of ...
    """

    source: Literal["embedded", "raw"] = "embedded"
    path: str | tuple[str, ...] | None = None
    square: int | tuple[int, ...] = 5161
    signal: MilanSignal = "internet"
    resolution: MilanResolution = "10min"
    gaps: GapPolicy = "raise"
    malformed: MalformedPolicy = "raise"

    label: ClassVar[str] = "milan_telecom"

    @model_validator(mode="after")
    def _check(self) -> MilanTelecomConfig:
        squares = (self.square,) if isinstance(self.square, int) else self.square
        if not squares:
            raise ValueError("square must name at least one square id")
        repeated = sorted({q for q in squares if squares.count(q) > 1})
        if repeated:
            raise ValueError(f"square names square(s) {repeated} twice")
        if self.source == "raw":
            if self.path is None:
                raise ValueError(
                    "source='raw' needs path= (a day file, a folder of "
                    "sms-call-internet-mi-*.txt files, or a list of them)"
                )
            return self
        if self.path is not None:
            raise ValueError(f"path={self.path!r} is only used with source='raw'")
        _embedded_choice(squares, self.signal, self.resolution, prefix="")
        return self


def _embedded_choice(
    squares: tuple[int, ...], signal: str, resolution: str, *, prefix: str = "milan_telecom: "
) -> Literal["ten_minute", "hourly"]:
    """Which embedded extract serves the request; ValueError listing what exists otherwise.

    ``prefix`` starts the message (empty inside a config validator, which adds its own).
    """
    if signal == "internet" and all(q in EMBEDDED_TEN_MINUTE_SQUARES for q in squares):
        return "ten_minute"
    if (
        resolution == "1h"
        and signal in _HOURLY_COLUMNS
        and all(q in EMBEDDED_HOURLY_SQUARES for q in squares)
    ):
        return "hourly"
    raise ValueError(
        f"{prefix}the embedded extracts hold no {signal!r} at {resolution!r} for "
        f"square(s) {list(squares)}; embedded are: 'internet' at '10min' or '1h' for squares "
        f"{list(EMBEDDED_TEN_MINUTE_SQUARES)} (62 days), and 'internet', 'sms_all', 'call_all' "
        f"at '1h' for squares {list(EMBEDDED_HOURLY_SQUARES)} (one week). For other squares "
        "or signals use source='raw' with path= to the published day files."
    )


def _read_csv(name: str) -> list[dict[str, str]]:
    """Rows of an embedded data file."""
    text = resources.files(__package__).joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _regular(time_ms: np.ndarray, step_ms: int, what: str) -> None:
    """Raise if the time stamps are not a regular grid (guards the embedded files)."""
    if time_ms.size < 2 or np.any(np.diff(time_ms) != step_ms):
        raise ValueError(f"embedded Milan extract {what} is not on a regular {step_ms} ms grid")


def load_embedded_milan(
    squares: int | tuple[int, ...] = 5161,
    *,
    signal: Literal["internet", "sms_all", "call_all"] = "internet",
    resolution: MilanResolution = "10min",
) -> Series:
    """Load the embedded Milan extracts (real data, ODbL; see ``data/README.md``).

    Args:
        squares: one square id (1-D result) or a tuple of ids (2-D, one column each).
        signal: ``internet`` (10-minute or hourly), ``sms_all`` or ``call_all`` (hourly only).
        resolution: ``"10min"`` or ``"1h"``; hourly sums of the 10-minute extract start at the
            first full UTC hour of the data.

    Returns:
        A :class:`~qmem.datasets.series.Series` (float64, time ``datetime64[ms]`` UTC).

    Raises:
        ValueError: if the extracts do not hold the request (the message lists what they hold).

    >>> load_embedded_milan((4259, 5060), signal="sms_all", resolution="1h").shape
    (168, 2)
    """
    single = isinstance(squares, int)
    square_tuple = (squares,) if single else tuple(squares)  # type: ignore[arg-type]
    if not square_tuple:
        raise ValueError("load_embedded_milan: squares must name at least one square id")
    if len(set(square_tuple)) != len(square_tuple):
        raise ValueError(f"load_embedded_milan: squares repeats an id: {list(square_tuple)}")
    kind = _embedded_choice(square_tuple, signal, resolution)
    columns = []
    time_ms: np.ndarray | None = None
    files = []
    for q in square_tuple:
        if kind == "ten_minute":
            name = f"internet_10min_square_{q}.csv"
            rows = _read_csv(name)
            t = np.array([int(r["time_ms"]) for r in rows], dtype=np.int64)  # (N,)
            v = np.array([float(r["internet"]) for r in rows])  # (N,)
            _regular(t, BIN_MS, name)
        else:
            name = _HOURLY_FILE
            rows = [r for r in _read_csv(name) if int(r["square_id"]) == q]
            t = np.array([int(r["time_interval"]) for r in rows], dtype=np.int64)  # (N,)
            v = np.array([float(r[_HOURLY_COLUMNS[signal]]) for r in rows])  # (N,)
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
            _regular(t, HOUR_MS, f"{name} (square {q})")
        if time_ms is not None and not np.array_equal(time_ms, t):
            raise ValueError(f"embedded Milan squares {square_tuple} do not share a time axis")
        time_ms = t
        columns.append(v)
        files.append(name)
    if time_ms is None:  # pragma: no cover - squares is non-empty (checked above)
        raise ValueError("load_embedded_milan: squares is empty")
    values = np.stack(columns, axis=1)  # (N, S)
    if kind == "ten_minute" and resolution == "1h":
        start = int(np.argmax(time_ms % HOUR_MS == 0))
        n_hours = (time_ms.size - start) // 6
        end = start + 6 * n_hours
        # (6 * NH, S) -> (NH, 6, S) -> sum over the six bins of each hour -> (NH, S)
        values = values[start:end].reshape(n_hours, 6, values.shape[1]).sum(axis=1)
        time_ms = time_ms[start:end:6]
    return Series(
        name="milan_telecom",
        values=values[:, 0] if single else values,
        time=time_ms.astype("datetime64[ms]"),
        channels=tuple(f"{signal}@{q}" for q in square_tuple),
        time_unit="UTC",
        info={
            "source": "embedded",
            "files": tuple(files),
            "resolution": resolution,
            "signal": signal,
            "licence": "ODbL-1.0",
            "attribution": "Telecom Italia, Telecommunications - SMS, Call, Internet - MI, "
            "Harvard Dataverse, doi:10.7910/DVN/EGZHFV (ODbL)",
        },
    )


def milan_telecom(config: MilanTelecomConfig) -> Series:
    """Build the ``milan_telecom`` series from its config (embedded extracts or raw files).

    Args:
        config: source, squares, signal, resolution and raw-data policies.

    Returns:
        A :class:`~qmem.datasets.series.Series` with time axis ``datetime64[ms]`` (UTC).
    """
    if config.source == "raw":
        path = config.path
        if path is None:  # pragma: no cover - MilanTelecomConfig rejects this
            raise ValueError("milan_telecom: source='raw' needs path=")
        series = read_milan_raw(
            path if isinstance(path, str) else list(path),
            squares=config.square if isinstance(config.square, int) else list(config.square),
            signal=config.signal,
            resolution=config.resolution,
            gaps=config.gaps,
            malformed=config.malformed,
        )
    else:
        series = load_embedded_milan(
            config.square,
            signal=config.signal,  # type: ignore[arg-type]
            resolution=config.resolution,
        )
    return Series(
        name=series.name,
        values=series.values,
        time=series.time,
        channels=series.channels,
        time_unit=series.time_unit,
        config=config,
        info=series.info,
    )
