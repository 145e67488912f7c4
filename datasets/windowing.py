"""Sliding windows, chronological splits and scaling: the data contract of every model.

A window of length L = ``window`` ending just before series index t is the input
X = s[t-L : t] (all channels) and its target is Y = s[t : t+H] of the ``target`` channel
(H = ``horizon``; H = 1 predicts the next value). Windows are named by t, their first target
index.

``protocol="honest"`` (default): the series is cut chronologically at
``round(cumsum(fractions) * N)``; a window belongs to the split that holds *all* its targets
(its inputs may reach back into the previous split — that is the past, known at forecast time);
the scaler is fitted on the training part s[0 : n_train] only. No test (or validation) value
influences training data.

``protocol="paper"``: the authors' convention — the scaler is fitted on the *whole* series,
windows start at every i < N - L - H (the last possible window is dropped, as in the QLSTM
code's ``range(len(x) - L - 1)``) and the list of windows is cut by ``int(fraction * count)``.
Fitting on the whole series leaks the test part's minimum and maximum (or mean and deviation)
into the training inputs; results under it are labelled as such.

>>> import numpy as np
>>> split = window_split(np.arange(10.0), window=3, fractions=(0.8, 0.2))
>>> split.train.X.shape, split.train.Y.shape, split.test.target_index.tolist()
(torch.Size([5, 3, 1]), torch.Size([5, 1]), [8, 9])
>>> split.inverse(split.test.Y).flatten().round(decimals=4).tolist()
[8.0, 9.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch.utils.data import TensorDataset

from qmem.validation import check_choice, check_device, check_float, check_int, check_literal

from .bounds import check_elements
from .scaling import Scaler, ScalerKind
from .series import Series, check_finite

__all__ = ["Protocol", "WindowSplit", "Windows", "make_windows", "window_split"]

Protocol = Literal["honest", "paper"]
"""How :func:`window_split` cuts and scales: ``"honest"`` (scaler fitted on the training part,
windows assigned by their targets) or ``"paper"`` (the authors' convention, which leaks; see
the module docstring)."""

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True, eq=False)
class Windows:
    """The windows of one split.

    Attributes:
        X: inputs, shape (B, T, F) (T = window, F = channels), scaled.
        Y: targets, shape (B, H), scaled (``WindowSplit.inverse`` restores the units).
        target_index: shape (B,) int64 numpy: series index t of each window's first target.
        span: ``(start, stop)`` series indices covered by this split's targets (empty split:
            ``start == stop``).

    >>> w = window_split(np.arange(10.0), window=3).train  # targets in s[0:8]
    >>> len(w), w.X.shape, w.Y.shape, w.target_index.tolist(), w.span
    (5, torch.Size([5, 3, 1]), torch.Size([5, 1]), [3, 4, 5, 6, 7], (0, 8))
    >>> X, Y = w.dataset()[0]  # one (input, target) pair for a DataLoader
    >>> X.shape, Y.shape
    (torch.Size([3, 1]), torch.Size([1]))
    """

    X: torch.Tensor
    Y: torch.Tensor
    target_index: np.ndarray
    span: tuple[int, int]

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def dataset(self) -> TensorDataset:
        """A ``TensorDataset`` of (X, Y), ready for a ``DataLoader``."""
        return TensorDataset(self.X, self.Y)


@dataclass(frozen=True, eq=False)
class WindowSplit:
    """Train/validation/test windows, the fitted scaler and how they were made.

    Attributes:
        train: training windows.
        val: validation windows (empty, B = 0, when two fractions were given).
        test: test windows.
        scaler: the fitted per-channel scaler.
        target: index of the channel that Y holds.
        window: T, input length.
        horizon: H, number of future values per target.
        protocol: ``"honest"`` or ``"paper"``.
        fractions: the (train, [val,] test) fractions.
        scaler_fit_span: ``(start, stop)`` series indices the scaler was fitted on.

    >>> split = window_split(np.arange(10.0), window=3, fractions=(0.6, 0.2, 0.2))
    >>> split.train.span, split.val.span, split.test.span, split.scaler_fit_span
    ((0, 6), (6, 8), (8, 10), (0, 6))
    >>> split.leaks, split.inverse(split.val.Y).flatten().tolist()
    (False, [6.0, 7.0])
    >>> print(split.describe())  # doctest: +NORMALIZE_WHITESPACE
    protocol=honest: window=3, horizon=1, minmax scaling, train/val/test windows = 3/2/2;
    scaler fitted on the training part only
    >>> window_split(np.arange(10.0), window=3, protocol="paper").leaks
    True
    """

    train: Windows
    val: Windows
    test: Windows
    scaler: Scaler
    target: int
    window: int
    horizon: int
    protocol: Protocol
    fractions: tuple[float, ...]
    scaler_fit_span: tuple[int, int]

    @property
    def leaks(self) -> bool:
        """True when the scaler saw values outside the training part (``protocol="paper"``)."""
        return self.scaler_fit_span[1] > self.train.span[1]

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Map scaled targets or predictions of shape (B, H) back to the original units."""
        return self.scaler.inverse_transform(y, channel=self.target)

    def describe(self) -> str:
        """One line for reports: protocol, sizes and where the scaler was fitted."""
        fit = (
            "scaler fitted on the training part only"
            if not self.leaks
            else "scaler fitted on the whole series (test values leak into scaling); "
            "last window dropped"
        )
        return (
            f"protocol={self.protocol}: window={self.window}, horizon={self.horizon}, "
            f"{self.scaler.kind} scaling, train/val/test windows = "
            f"{len(self.train)}/{len(self.val)}/{len(self.test)}; {fit}"
        )


def _as_2d(series: Series | np.ndarray | torch.Tensor | Sequence[float]) -> np.ndarray:
    """The series values as a float64 (N, C) array, validated (N >= 1, C >= 1, finite)."""
    if isinstance(series, Series):
        values = series.values
    elif isinstance(series, torch.Tensor):
        if series.is_complex() or series.dtype == torch.bool:
            raise TypeError(f"series must be numeric (real numbers), got a {series.dtype} tensor")
        values = series.detach().to("cpu", torch.float64).numpy()
    elif isinstance(series, (np.ndarray, Sequence)) and not isinstance(series, (str, bytes)):
        try:
            values = np.asarray(series)
        except ValueError:  # a ragged nesting
            raise ValueError("series must be a rectangular array (N,) or (N, C)") from None
    else:
        raise TypeError(
            "series must be a Series, a numpy array, a tensor or a sequence of numbers, got "
            f"{type(series).__name__}"
        )
    if values.dtype.kind not in "iuf":  # bool, complex, str, object, datetime
        raise TypeError(f"series must be numeric (real numbers), got dtype {values.dtype}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(f"series must be 1-D (N,) or 2-D (N, C), got shape {values.shape}")
    if values.shape[0] == 0:
        raise ValueError(f"series is empty (shape {values.shape}): nothing to window")
    if values.ndim == 2 and values.shape[1] == 0:
        raise ValueError(f"series has no channels (shape {values.shape})")
    check_finite(values, "series")
    return values.reshape(values.shape[0], -1)  # (N,) or (N, C) -> (N, C)


def _check_dtype(dtype: object) -> torch.dtype:
    """``torch.float32``/``torch.float64`` or their names -> the dtype; else raise."""
    if isinstance(dtype, str):
        return _DTYPES[check_choice("dtype", dtype, tuple(_DTYPES))]
    if dtype not in (torch.float32, torch.float64):
        raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype!r}")
    return dtype  # type: ignore[return-value]


def make_windows(
    scaled: np.ndarray,
    first_targets: np.ndarray,
    *,
    window: int,
    horizon: int,
    target: int,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut windows out of a (N, C) array.

    Args:
        scaled: shape (N, C).
        first_targets: shape (B,) int: first target index t of each window (t >= window,
            t + horizon <= N).
        window: T (>= 1).
        horizon: H (>= 1).
        target: channel of Y (0 … C-1).
        dtype: torch dtype of the result.
        device: torch device of the result.

    Returns:
        X of shape (B, T, C) = scaled[t-T : t] and Y of shape (B, H) = scaled[t : t+H, target].

    Raises:
        TypeError: a non-int window, horizon or target, ``scaled`` not real numbers, a dtype
            other than float32/float64, a device of the wrong type.
        ValueError: window or horizon < 1, target out of range, ``scaled`` not 2-D or holding
            NaN/inf, a first target index whose window does not fit in the series, windows of
            more than 2**27 elements in all, values that overflow ``dtype`` (1e300 in
            float32), or a device torch does not have.

    >>> X, Y = make_windows(np.arange(6.0)[:, None], np.array([2, 3]), window=2, horizon=2,
    ...                     target=0)
    >>> X[:, :, 0].tolist(), Y.tolist()
    ([[0.0, 1.0], [1.0, 2.0]], [[2.0, 3.0], [3.0, 4.0]])
    >>> make_windows(np.arange(6.0)[:, None], np.array([2]), window=0, horizon=1, target=0)
    Traceback (most recent call last):
    ...
    ValueError: window must be an int >= 1, got 0
    """
    check_int("window", window, minimum=1)
    check_int("horizon", horizon, minimum=1)
    check_int("target", target, minimum=0)
    dtype = _check_dtype(dtype)
    device = check_device("device", device)
    if isinstance(scaled, torch.Tensor):
        scaled = scaled.detach().cpu().numpy()
    scaled = np.asarray(scaled)
    if scaled.dtype.kind not in "iuf":
        raise TypeError(f"scaled must be numeric (real numbers), got dtype {scaled.dtype}")
    if scaled.ndim != 2:
        raise ValueError(f"scaled must be 2-D (N, C), got shape {scaled.shape}")
    n, n_ch = scaled.shape
    if target >= n_ch:
        raise ValueError(f"target channel {target} out of range: the series has {n_ch} channel(s)")
    check_finite(scaled, "scaled")
    t = np.asarray(first_targets)
    if t.ndim != 1 or (t.size and t.dtype.kind not in "iu"):
        raise TypeError(f"first_targets must be a 1-D int array, got shape {t.shape}, {t.dtype}")
    if t.size and t.dtype.kind == "u" and int(t.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"first target index {int(t.max())} does not fit in the series ({n})")
    t = t.astype(np.int64)
    bad = (t < window) | (t + horizon > n)
    if bad.any():
        raise ValueError(
            f"first target index {int(t[bad][0])} does not fit: need window ({window}) <= t "
            f"and t + horizon ({horizon}) <= series length ({n})"
        )
    check_elements(
        f"windows ({t.size} x ({window} x {n_ch} + {horizon}))",
        t.size * (window * n_ch + horizon),
    )
    in_idx = t[:, None] + np.arange(-window, 0)[None, :]  # (B, T) series indices of inputs
    out_idx = t[:, None] + np.arange(horizon)[None, :]  # (B, H) series indices of targets
    X = torch.as_tensor(scaled[in_idx], dtype=dtype, device=device)  # (B, T, C)
    Y = torch.as_tensor(scaled[out_idx, target], dtype=dtype, device=device)  # (B, H)
    if not (bool(torch.isfinite(X).all()) and bool(torch.isfinite(Y).all())):
        raise ValueError(
            f"the windows overflow {dtype} (values up to {float(np.abs(scaled).max()):.3g}); "
            "scale the series or use dtype=torch.float64"
        )
    return X, Y


def _check_fractions(fractions: Sequence[float]) -> tuple[float, ...]:
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, (Sequence, np.ndarray)):
        raise TypeError(
            f"fractions must be a sequence (train, test) or (train, val, test), got "
            f"{fractions!r} ({type(fractions).__name__})"
        )
    fr = tuple(
        check_float(f"fractions[{k}]", float(f) if isinstance(f, np.floating) else f)
        for k, f in enumerate(fractions)
    )
    if len(fr) not in (2, 3):
        raise ValueError(
            f"fractions must be (train, test) or (train, val, test), got {tuple(fractions)!r}"
        )
    if any(f <= 0 or f >= 1 for f in fr):
        raise ValueError(f"every fraction must lie in (0, 1), got {fr!r}")
    if abs(sum(fr) - 1.0) > 1e-9:
        raise ValueError(f"fractions must sum to 1, got {fr!r} (sum {sum(fr)!r})")
    return fr


def window_split(
    series: Series | np.ndarray | torch.Tensor | Sequence[float],
    *,
    window: int = 4,
    horizon: int = 1,
    fractions: Sequence[float] = (0.8, 0.2),
    scaler: ScalerKind = "minmax",
    protocol: Protocol = "honest",
    target: int = 0,
    dtype: torch.dtype | Literal["float32", "float64"] = torch.float32,
    device: torch.device | str | None = None,
) -> WindowSplit:
    """Window a series, split it chronologically and scale it.

    Args:
        series: a :class:`~qmem.datasets.series.Series`, array or tensor of shape (N,) or
            (N, C); finite values only.
        window: T, input length (>= 1; the papers use 4).
        horizon: H, future values per target (>= 1; 1 = next value).
        fractions: (train, test) or (train, val, test), each in (0, 1), summing to 1.
            Defaults to the QKAN group's (0.8, 0.2); the QLSTM paper used (0.67, 0.33).
        scaler: ``"minmax"`` (to [-1, 1]), ``"standard"`` or ``"none"``.
        protocol: ``"honest"`` (scaler fitted on the training part; windows assigned by their
            targets) or ``"paper"`` (the authors' convention; leaks — see module docs).
        target: channel predicted by Y (for 2-D series).
        dtype: ``torch.float32`` (default) or ``torch.float64`` (or their names).
        device: torch device of the tensors (default CPU).

    Returns:
        A :class:`WindowSplit` with train/val/test :class:`Windows` (X (B, T, C), Y (B, H)),
        the fitted scaler and the indices each split covers.

    Raises:
        ValueError: series shorter than window + horizon, NaN/inf values, fractions that do not
            sum to 1, a split left without windows, or an unknown option.
        TypeError: non-integer window/horizon/target, or an unsupported dtype.
    """
    values = _as_2d(series)  # (N, C)
    n, n_ch = values.shape
    check_int("window", window, minimum=1)
    check_int("horizon", horizon, minimum=1)
    check_int("target", target, minimum=0)
    if target >= n_ch:
        raise ValueError(f"target channel {target} out of range: the series has {n_ch} channel(s)")
    check_literal("protocol", protocol, Protocol)
    check_literal("scaler", scaler, ScalerKind)
    dtype = _check_dtype(dtype)
    device = check_device("device", device)
    fr = _check_fractions(fractions)
    need = window + horizon + (1 if protocol == "paper" else 0)
    if n < need:
        raise ValueError(
            f"series of length {n} is shorter than window + horizon = {window + horizon}"
            + (" (+1: the paper protocol drops the last window)" if protocol == "paper" else "")
        )

    names = ("train", "val", "test") if len(fr) == 3 else ("train", "test")
    targets: dict[str, np.ndarray] = {}
    spans: dict[str, tuple[int, int]] = {}
    if protocol == "honest":
        cuts = [0, *(round(float(c) * n) for c in np.cumsum(fr)[:-1]), n]
        for k, name in enumerate(names):
            lo, hi = cuts[k], cuts[k + 1]
            targets[name] = np.arange(max(lo, window), hi - horizon + 1, dtype=np.int64)
            spans[name] = (lo, hi)
        fit_span = (0, cuts[1])
    else:
        all_t = np.arange(window, n - horizon, dtype=np.int64)  # last window dropped
        counts = [int(f * all_t.size) for f in fr[:-1]]
        edges = [0, *np.cumsum(counts).tolist(), all_t.size]
        for k, name in enumerate(names):
            t = all_t[edges[k] : edges[k + 1]]
            targets[name] = t
            spans[name] = (int(t[0]), int(t[-1]) + horizon) if t.size else (0, 0)
        fit_span = (0, n)
    for name in names:
        if targets[name].size == 0:
            raise ValueError(
                f"the {name} split gets no window: series length {n}, fractions {fr}, "
                f"window {window}, horizon {horizon}, protocol {protocol!r}; use a longer "
                "series, a shorter window or larger fractions"
            )
    if "val" not in targets:
        targets["val"] = np.zeros(0, dtype=np.int64)
        spans["val"] = (spans["train"][1], spans["train"][1])

    fitted = Scaler.fit(values[fit_span[0] : fit_span[1]], scaler)
    with np.errstate(over="ignore"):
        scaled = fitted.transform(values)  # (N, C)
    if not np.isfinite(scaled).all():
        raise ValueError(
            f"the series overflows when scaled with the statistics of s[{fit_span[0]}:"
            f"{fit_span[1]}] (values up to {float(np.abs(values).max()):.3g} against a fitted "
            f"scale of {float(fitted.scale.min()):.3g}); rescale the series first"
        )
    parts = {}
    for name in ("train", "val", "test"):
        X, Y = make_windows(
            scaled, targets[name], window=window, horizon=horizon, target=target,
            dtype=dtype, device=device,
        )
        parts[name] = Windows(X=X, Y=Y, target_index=targets[name], span=spans[name])
    return WindowSplit(
        train=parts["train"],
        val=parts["val"],
        test=parts["test"],
        scaler=fitted,
        target=target,
        window=window,
        horizon=horizon,
        protocol=protocol,
        fractions=fr,
        scaler_fit_span=fit_span,
    )
