"""The checks both circuit layers run: their dtype argument, their input, their parameters.

The input rule is every qmem model's (``docs/errors.md``): a floating-point tensor of the
parameters' dtype (``TypeError`` naming both: nothing is cast silently) on their device
(``ValueError`` naming both), of the layer's width, with finite values. Parameters must be
finite too; a layer checks them once per *parameter state* (:func:`parameter_state`: the
tensors themselves, their in-place version counters and storage), so an unchanged layer is
not re-checked on every call and a changed one (an optimiser step, ``load_state_dict``,
``.to()``) always is. The same state keys the layers' caches of derived tensors.
``parameter_state``, ``same_state``, ``non_finite`` and ``transforms_active`` are
:mod:`qmem.validation`'s (the sequence engine's parameter check uses them too), re-exported.

>>> import torch
>>> w = torch.nn.Parameter(torch.zeros(3))
>>> check_input(torch.zeros(2, 3), w, 3, "layer")
>>> check_input(torch.zeros(2, 3, dtype=torch.float64), w, 3, "layer")
Traceback (most recent call last):
...
TypeError: input dtype torch.float64 does not match the layer's parameter dtype torch.float32 ...
>>> a = parameter_state((w,))
>>> same_state(a, parameter_state((w,)))
True
>>> with torch.no_grad():
...     _ = w.add_(1.0)
>>> same_state(a, parameter_state((w,)))
False
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from qmem.validation import (
    check_dtype_device,
    check_finite_named,
    non_finite,
    parameter_state,
    same_state,
    transforms_active,
)

__all__ = [
    "all_finite",
    "check_finite_parameters",
    "check_input",
    "check_param_dtype",
    "non_finite",
    "parameter_state",
    "same_state",
    "transforms_active",
]


def all_finite(x: torch.Tensor) -> bool:
    """Whether ``x`` holds no NaN or inf: one reduction and one read of its result, the
    elementwise check only if the sum is not finite (a NaN/inf makes it so; a finite
    overflow is then told apart).

    >>> all_finite(torch.tensor([1.0, 2.0])), all_finite(torch.tensor([1.0, float("nan")]))
    (True, False)
    """
    return non_finite((("x", x),)) is None


def check_param_dtype(dtype: object) -> torch.dtype:
    """A layer's ``dtype`` argument: None (torch's default dtype) or a floating dtype.

    >>> check_param_dtype(torch.int64)
    Traceback (most recent call last):
    ...
    TypeError: dtype must be a floating-point torch.dtype (e.g. torch.float32), got torch.int64
    """
    if dtype is None:
        return torch.get_default_dtype()
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"dtype must be a floating-point torch.dtype (e.g. torch.float32), got {dtype!r}"
        )
    return dtype


def check_input(x: object, ref: torch.Tensor, width: int, owner: str) -> None:
    """The input rule for ``x`` ``(..., width)`` against a parameter ``ref`` of ``owner``.

    Raises:
        TypeError: not a tensor, not floating point, or another dtype than ``ref``'s.
        ValueError: another device than ``ref``'s, another width, or NaN/inf values.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"input must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"input must be floating point, got dtype {x.dtype}")
    check_dtype_device(x, ref, owner)
    if x.dim() < 1 or x.shape[-1] != width:
        raise ValueError(f"input must have shape (..., {width}), got {tuple(x.shape)}")
    if not all_finite(x):
        raise ValueError("input holds non-finite values (NaN or inf)")


def check_finite_parameters(named: Iterable[tuple[str, torch.Tensor | None]], owner: str) -> None:
    """Raise ``ValueError`` naming the first parameter that holds NaN or inf (skipped under
    a torch.func transform: a vectorised trainer checks its losses).

    Args:
        named: ``(name, tensor)`` pairs; None tensors are skipped.
        owner: what the parameters belong to, for the message (e.g. ``"QKANLayer"``).

    Raises:
        ValueError: a tensor holds NaN or inf; the message names it and ``owner``.

    >>> check_finite_parameters([("theta", torch.zeros(2)), ("w", None)], "layer")
    >>> check_finite_parameters([("theta", torch.tensor([0.0, float("nan")]))], "layer")
    Traceback (most recent call last):
    ...
    ValueError: parameter 'theta' of the layer holds non-finite values (NaN or inf); ...
    """
    if transforms_active():
        return
    check_finite_named(named, owner)
