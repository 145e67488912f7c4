"""Per-channel scalers with an inverse transform for numpy arrays and torch tensors.

``minmax`` maps the fitted range to [-1, 1]; ``standard`` subtracts the mean and divides by
the standard deviation; ``none`` is the identity. A constant channel (zero range or zero
deviation) gets scale 1, so it maps to a constant instead of dividing by zero.

>>> import numpy as np
>>> sc = Scaler.fit(np.array([0.0, 5.0, 10.0]), "minmax")
>>> sc.transform(np.array([0.0, 10.0, 20.0]))
array([-1.,  1.,  3.])
>>> sc.inverse_transform(np.array([-1.0, 0.0]))
array([0., 5.])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import torch

from qmem.validation import check_int, check_literal

__all__ = ["Scaler", "ScalerKind"]

ScalerKind = Literal["minmax", "standard", "none"]

A = TypeVar("A", np.ndarray, torch.Tensor)


@dataclass(frozen=True, eq=False)
class Scaler:
    """A fitted affine scaler, ``scaled = (x - offset) / scale - shift`` per channel.

    Attributes:
        kind: ``"minmax"``, ``"standard"`` or ``"none"``.
        offset: shape (C,) float64 (the fitted minimum, mean, or 0).
        scale: shape (C,) float64 (half the range, the deviation, or 1), never 0.
        shift: 1.0 for ``minmax`` (so the minimum maps to -1), else 0.0.
    """

    kind: ScalerKind
    offset: np.ndarray
    scale: np.ndarray
    shift: float

    @classmethod
    def fit(cls, data: np.ndarray, kind: ScalerKind = "minmax") -> Scaler:
        """Fit per-channel statistics on ``data``.

        Args:
            data: shape (N,) or (N, C), finite.
            kind: ``"minmax"`` (to [-1, 1]), ``"standard"`` or ``"none"``.

        Returns:
            The fitted scaler (C = 1 for 1-D data).

        Raises:
            ValueError: unknown kind, empty or non-finite data.

        >>> Scaler.fit(np.zeros(3), "robust")
        Traceback (most recent call last):
        ...
        ValueError: kind must be one of 'minmax', 'standard', 'none', got 'robust'
        """
        check_literal("kind", kind, ScalerKind)
        arr = np.asarray(data, dtype=np.float64)
        arr = arr.reshape(arr.shape[0], -1) if arr.ndim else arr.reshape(1, 1)  # (N, C)
        if arr.shape[0] == 0:
            raise ValueError("cannot fit a scaler on an empty array")
        if not np.isfinite(arr).all():
            raise ValueError("cannot fit a scaler on NaN or inf values")
        n_ch = arr.shape[1]
        if kind == "minmax":
            low, high = arr.min(axis=0), arr.max(axis=0)
            half = (high - low) / 2.0
            return cls(kind, low, np.where(half > 0, half, 1.0), 1.0)
        if kind == "standard":
            std = arr.std(axis=0)
            return cls(kind, arr.mean(axis=0), np.where(std > 0, std, 1.0), 0.0)
        return cls(kind, np.zeros(n_ch), np.ones(n_ch), 0.0)

    @property
    def n_channels(self) -> int:
        """Number of channels C the scaler was fitted on."""
        return int(self.offset.shape[0])

    def _params(self, like: A, channel: int | None) -> tuple[A, A]:
        """Offset and scale shaped to broadcast over ``like`` (last axis = channels)."""
        if channel is None:
            offset, scale = self.offset, self.scale
        else:
            check_int("channel", channel)
            if not -self.n_channels <= channel < self.n_channels:
                raise ValueError(
                    f"channel {channel} out of range for a scaler of {self.n_channels} channel(s)"
                )
            offset, scale = self.offset[channel : channel + 1], self.scale[channel : channel + 1]
        if isinstance(like, torch.Tensor):
            return (
                torch.as_tensor(offset, dtype=like.dtype, device=like.device),
                torch.as_tensor(scale, dtype=like.dtype, device=like.device),
            )
        return offset, scale  # type: ignore[return-value]

    def transform(self, x: A, channel: int | None = None) -> A:
        """Scale ``x``.

        Args:
            x: numpy array or torch tensor whose last axis holds the C channels (or, with
                ``channel``, any shape holding values of that one channel). A 1-D array of a
                1-channel scaler is fine.
            channel: scale every entry with the statistics of this channel.

        Returns:
            Same type, shape, dtype and device as ``x``.
        """
        offset, scale = self._params(x, channel)
        return (x - offset) / scale - self.shift

    def inverse_transform(self, x: A, channel: int | None = None) -> A:
        """Undo :meth:`transform` (back to the original units).

        Args:
            x: scaled values, laid out as for :meth:`transform`.
            channel: use the statistics of this channel for every entry (e.g. a target
                tensor Y of shape (B, H) that holds one channel).

        Returns:
            Same type, shape, dtype and device as ``x``.
        """
        offset, scale = self._params(x, channel)
        return (x + self.shift) * scale + offset
