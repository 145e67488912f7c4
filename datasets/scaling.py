"""Per-channel scalers with an inverse transform for numpy arrays and torch tensors.

``minmax`` maps the fitted range to [-1, 1]; ``standard`` subtracts the mean and divides by
the standard deviation; ``none`` is the identity. A constant channel (zero range or zero
deviation) gets scale 1, so it maps to a constant instead of dividing by zero.

A scaler fitted on C channels applies only to arrays whose last axis holds C channels (a
1-channel scaler also takes 1-D arrays), or, with ``channel=``, to values of one channel;
anything else is a ``ValueError`` naming both counts, never a silent broadcast. Integer
inputs are scaled in float64; ``transform`` refuses NaN/inf (``inverse_transform`` maps them
through, so that a diverged prediction stays visible).

>>> import numpy as np
>>> sc = Scaler.fit(np.array([0.0, 5.0, 10.0]), "minmax")
>>> sc.transform(np.array([0.0, 10.0, 20.0]))
array([-1.,  1.,  3.])
>>> sc.inverse_transform(np.array([-1.0, 0.0]))
array([0., 5.])
>>> sc.transform(np.zeros((4, 3)))
Traceback (most recent call last):
...
ValueError: the scaler was fitted on 1 channel(s) but x has 3 on its last axis (shape (4, 3)); ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import torch

from qmem.validation import check_float, check_int, check_literal

__all__ = ["Scaler", "ScalerKind"]

ScalerKind = Literal["minmax", "standard", "none"]
"""A scaler: ``"minmax"`` (fitted range to [-1, 1]), ``"standard"`` (zero mean, unit
deviation) or ``"none"`` (the identity)."""

A = TypeVar("A", np.ndarray, torch.Tensor)


@dataclass(frozen=True, eq=False)
class Scaler:
    """A fitted affine scaler, ``scaled = (x - offset) / scale - shift`` per channel.

    Attributes:
        kind: ``"minmax"``, ``"standard"`` or ``"none"``.
        offset: shape (C,) float64, finite (the fitted minimum, mean, or 0).
        scale: shape (C,) float64, finite and > 0 (half the range, the deviation, or 1).
        shift: 1.0 for ``minmax`` (so the minimum maps to -1), else 0.0.

    Raises:
        TypeError, ValueError: (when made by hand) an unknown kind, offset and scale of
            other shapes, non-finite entries, a scale <= 0, or a shift that does not match
            the kind.
    """

    kind: ScalerKind
    offset: np.ndarray
    scale: np.ndarray
    shift: float

    def __post_init__(self) -> None:
        check_literal("kind", self.kind, ScalerKind)
        offset = np.array(self.offset, dtype=np.float64)  # copies: the scaler owns them
        scale = np.array(self.scale, dtype=np.float64)
        if offset.ndim != 1 or offset.shape != scale.shape or offset.size == 0:
            raise ValueError(
                f"offset and scale must be non-empty 1-D arrays of one shape (C,), got "
                f"{offset.shape} and {scale.shape}"
            )
        if not (np.isfinite(offset).all() and np.isfinite(scale).all()):
            raise ValueError("offset and scale must be finite")
        if not (scale > 0).all():
            raise ValueError(f"every scale must be > 0, got {scale.tolist()}")
        shift = check_float("shift", self.shift)
        if shift != (1.0 if self.kind == "minmax" else 0.0):
            raise ValueError(f"shift of a {self.kind!r} scaler must be "
                             f"{1.0 if self.kind == 'minmax' else 0.0}, got {shift!r}")
        offset.setflags(write=False)
        scale.setflags(write=False)
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "shift", shift)

    @classmethod
    def fit(cls, data: np.ndarray, kind: ScalerKind = "minmax") -> Scaler:
        """Fit per-channel statistics on ``data``.

        Args:
            data: shape (N,) or (N, C), N >= 1, C >= 1, finite real numbers.
            kind: ``"minmax"`` (to [-1, 1]), ``"standard"`` or ``"none"``.

        Returns:
            The fitted scaler (C = 1 for 1-D data).

        Raises:
            TypeError: ``data`` is not real numbers (str, complex, bool, object).
            ValueError: unknown kind, a shape other than (N,) or (N, C), empty or non-finite
                data, or statistics that overflow (a range or deviation beyond float64).

        >>> Scaler.fit(np.zeros(3), "robust")
        Traceback (most recent call last):
        ...
        ValueError: kind must be one of 'minmax', 'standard', 'none', got 'robust'
        """
        check_literal("kind", kind, ScalerKind)
        arr = _real_array("data", data)
        if arr.ndim not in (1, 2):
            raise ValueError(f"data must be 1-D (N,) or 2-D (N, C), got shape {arr.shape}")
        if arr.shape[0] == 0:
            raise ValueError("cannot fit a scaler on an empty array")
        arr = arr.reshape(arr.shape[0], -1)  # (N,) or (N, C) -> (N, C)
        if arr.shape[1] == 0:
            raise ValueError(f"cannot fit a scaler on data without channels (shape {arr.shape})")
        if not np.isfinite(arr).all():
            raise ValueError("cannot fit a scaler on NaN or inf values")
        n_ch = arr.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):
            if kind == "minmax":
                low, high = arr.min(axis=0), arr.max(axis=0)
                half = (high - low) / 2.0
                stats = (low, np.where(half > 0, half, 1.0), 1.0)
            elif kind == "standard":
                std = arr.std(axis=0)
                stats = (arr.mean(axis=0), np.where(std > 0, std, 1.0), 0.0)
            else:
                stats = (np.zeros(n_ch), np.ones(n_ch), 0.0)
        if not (np.isfinite(stats[0]).all() and np.isfinite(stats[1]).all()):
            raise ValueError(
                f"the {kind} statistics of the data overflow float64 (values up to "
                f"{float(np.abs(arr).max()):.3g}); rescale the data first"
            )
        return cls(kind, stats[0], stats[1], stats[2])

    @property
    def n_channels(self) -> int:
        """Number of channels C the scaler was fitted on."""
        return int(self.offset.shape[0])

    def _prepare(self, x: A, channel: int | None) -> tuple[A, A, A]:
        """``x`` (as float) with offset and scale shaped to broadcast over it."""
        if isinstance(x, torch.Tensor):
            if x.is_complex() or x.dtype == torch.bool:
                raise TypeError(f"x must be numeric (real numbers), got {x.dtype}")
            if not x.is_floating_point():
                x = x.to(torch.float64)
        else:
            x = _real_array("x", x).astype(np.float64, copy=False)
        if channel is None:
            n = self.n_channels
            last = x.shape[-1] if x.ndim else None
            fits = (x.ndim <= 1 or last == 1) if n == 1 else (x.ndim >= 1 and last == n)
            if not fits:
                raise ValueError(
                    f"the scaler was fitted on {n} channel(s) but x has {last} on its last "
                    f"axis (shape {tuple(x.shape)}); pass channel= to scale values of one "
                    "channel"
                )
            offset, scale = self.offset, self.scale
        else:
            check_int("channel", channel)
            if not -self.n_channels <= channel < self.n_channels:
                raise ValueError(
                    f"channel {channel} out of range for a scaler of {self.n_channels} channel(s)"
                )
            c = channel % self.n_channels
            offset, scale = self.offset[c : c + 1], self.scale[c : c + 1]
        if isinstance(x, torch.Tensor):
            return (
                x,
                torch.tensor(offset, dtype=x.dtype, device=x.device),
                torch.tensor(scale, dtype=x.dtype, device=x.device),
            )
        return x, offset, scale  # type: ignore[return-value]

    def transform(self, x: A, channel: int | None = None) -> A:
        """Scale ``x``.

        Args:
            x: numpy array (or list) or torch tensor whose last axis holds the C channels (or,
                with ``channel``, any shape holding values of that one channel). A 1-D array
                of a 1-channel scaler is fine. Finite real numbers.
            channel: scale every entry with the statistics of this channel (negative counts
                from the end).

        Returns:
            Same type, shape and device as ``x``; same dtype for floating ``x``, float64 for
            integers.

        Raises:
            TypeError: ``x`` is not real numbers.
            ValueError: ``x`` does not have the scaler's channels, holds NaN/inf, or
                ``channel`` is out of range.
        """
        x, offset, scale = self._prepare(x, channel)
        finite = bool(torch.isfinite(x).all()) if isinstance(x, torch.Tensor) else bool(
            np.isfinite(x).all()
        )
        if not finite:
            raise ValueError("x holds NaN or inf; a scaler maps finite values only")
        return (x - offset) / scale - self.shift

    def inverse_transform(self, x: A, channel: int | None = None) -> A:
        """Undo :meth:`transform` (back to the original units).

        Args:
            x: scaled values, laid out as for :meth:`transform` (NaN/inf pass through).
            channel: use the statistics of this channel for every entry (e.g. a target
                tensor Y of shape (B, H) that holds one channel).

        Returns:
            Same type, shape and device as ``x`` (float64 for integers).

        Raises:
            TypeError, ValueError: as :meth:`transform` (non-finite values excepted).
        """
        x, offset, scale = self._prepare(x, channel)
        return (x + self.shift) * scale + offset


def _real_array(name: str, data: object) -> np.ndarray:
    """``data`` as a numpy array of real numbers (ints or floats), else ``TypeError``."""
    if isinstance(data, torch.Tensor):
        if data.is_complex() or data.dtype == torch.bool:
            raise TypeError(f"{name} must be numeric (real numbers), got {data.dtype}")
        return data.detach().cpu().numpy()
    try:
        arr = np.asarray(data)
    except ValueError:  # a ragged nesting
        raise ValueError(f"{name} must be a rectangular array of numbers") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric (real numbers), got dtype {arr.dtype}")
    return arr
