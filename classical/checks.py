"""Argument checks of the classical modules: the shared ones of :mod:`qmem.validation`.

``check_positive_int``, ``check_choice`` and ``make_generator`` are re-exported from
:mod:`qmem.validation` (one rule, one message shape for the whole toolkit); only
:func:`check_sequence_input`, the batch-first sequence check of the classical models, lives
here. ``make_generator(None)`` follows the toolkit's single rule: a fresh generator seeded by
one draw from torch's default RNG (so ``torch.manual_seed`` makes it reproducible); nothing
here seeds the global RNG.

>>> check_positive_int("hidden_size", 3)
3
>>> check_positive_int("hidden_size", 0)
Traceback (most recent call last):
...
ValueError: hidden_size must be a positive int, got 0
"""

from __future__ import annotations

import torch

from qmem.validation import check_choice, check_positive_int, make_generator

__all__ = ["check_choice", "check_positive_int", "check_sequence_input", "make_generator"]


def check_sequence_input(x: object, input_size: int) -> torch.Tensor:
    """Check a batch-first sequence ``x`` of shape ``(B, T, input_size)`` with ``T >= 1``.

    Raises:
        TypeError: ``x`` is not a floating-point tensor.
        ValueError: wrong rank, empty time axis, wrong feature size or non-finite values.

    >>> check_sequence_input(torch.zeros(2, 3, 1), 1).shape
    torch.Size([2, 3, 1])
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
