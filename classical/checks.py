"""The batch-first sequence check of the classical models.

Every other argument check (``check_positive_int``, ``check_choice``, ``make_generator``, ...)
is :mod:`qmem.validation`'s, imported from there directly.

>>> check_sequence_input(torch.zeros(2, 3, 1), 1).shape
torch.Size([2, 3, 1])
"""

from __future__ import annotations

import torch

__all__ = ["check_sequence_input"]


def check_sequence_input(x: object, input_size: int) -> torch.Tensor:
    """Check a batch-first sequence ``x`` of shape ``(B, T, input_size)`` with ``T >= 1``.

    Raises:
        TypeError: ``x`` is not a floating-point tensor.
        ValueError: wrong rank, empty time axis, wrong feature size or non-finite values.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point torch.Tensor, got {type(x).__name__}")
    if x.dim() != 3 or x.shape[-1] != input_size or x.shape[1] < 1:
        raise ValueError(
            f"x must have shape (batch, time >= 1, {input_size}) (batch_first), "
            f"got {tuple(x.shape)}"
        )
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x holds non-finite values (NaN or inf)")
    return x
