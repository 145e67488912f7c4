"""The checks every model runs on its input, its parameters and a given state.

The rule (``docs/errors.md``), the same for every model:

- ``x`` is a floating-point tensor ``(B, T, I)`` with ``T >= 1`` and finite values; batch
  ``B = 0`` gives an empty result;
- its dtype equals the parameters' dtype (``TypeError`` naming both: qmem never casts
  silently) and it lives on the parameters' device (``ValueError`` naming both);
- parameters and a given state must be finite (``ValueError`` naming the tensor), and a
  state must match ``x`` in dtype and device.

Every other argument check (``check_positive_int``, ``check_choice``, ``make_generator``, ...)
is :mod:`qmem.validation`'s, imported from there directly.

>>> check_sequence_input(torch.zeros(2, 3, 1), 1).shape
torch.Size([2, 3, 1])
>>> check_matches_parameters(torch.nn.Linear(1, 1), torch.zeros(2, 3, 1, dtype=torch.float64))
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
TypeError: input dtype torch.float64 does not match the model's parameter dtype torch.float32 ...
"""

from __future__ import annotations

import weakref

import torch

from qmem.validation import (
    check_dtype_device,
    check_finite_named,
    parameter_state,
    same_state,
)

__all__ = ["check_matches_parameters", "check_sequence_input", "check_state_tensors"]

_FINITE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Module -> its parameters' :func:`~qmem.validation.parameter_state` when last found finite:
a check per parameter state, not per call (``step()`` streams without re-reading the
weights)."""


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


def check_matches_parameters(module: torch.nn.Module, x: torch.Tensor) -> None:
    """Refuse ``x`` of another dtype or device than ``module``'s parameters, and
    non-finite parameters (one fused check and one synchronisation per parameter state;
    writes through ``.data`` bypass the version counters and are not seen).

    Raises:
        TypeError: dtype mismatch (both dtypes named).
        ValueError: device mismatch (both devices named); a parameter holds NaN or inf
            (its name given).
    """
    params = [p for p in module.parameters()]
    if not params:
        return
    check_dtype_device(x, params[0], "model")
    state = parameter_state(tuple(params))
    if same_state(_FINITE.get(module), state):  # checked, and no parameter changed since
        return
    check_finite_named(module.named_parameters())
    _FINITE[module] = state


def check_state_tensors(state: tuple[torch.Tensor, ...], x: torch.Tensor) -> None:
    """Refuse a state of another dtype or device than ``x``, or holding NaN or inf.

    Args:
        state: the state tensors, each ``(B, ...)``.
        x: the input ``(B, T, I)`` whose dtype and device the state must share.

    Raises:
        TypeError: dtype mismatch (both named).
        ValueError: device mismatch or non-finite values (the state's index named).

    >>> x = torch.zeros(2, 3, 1)
    >>> check_state_tensors((torch.zeros(2, 4), torch.zeros(2, 4)), x)  # passes: no output
    >>> check_state_tensors((torch.zeros(2, 4), torch.full((2, 4), float("nan"))), x)
    Traceback (most recent call last):
    ...
    ValueError: state[1] holds non-finite values (NaN or inf)
    >>> check_state_tensors((torch.zeros(2, 4, dtype=torch.float64),), x)
    Traceback (most recent call last):
    ...
    TypeError: state[0] has dtype torch.float64, the input torch.float32; they must match
    """
    for k, s in enumerate(state):
        if s.dtype != x.dtype:
            raise TypeError(f"state[{k}] has dtype {s.dtype}, the input {x.dtype}; they must match")
        if s.device != x.device:
            raise ValueError(
                f"state[{k}] is on device {s.device}, the input on {x.device}; they must match"
            )
    with torch.no_grad():
        if state and not bool(torch.stack([torch.isfinite(s).all() for s in state]).all()):
            bad = next(k for k, s in enumerate(state) if not bool(torch.isfinite(s).all()))
            raise ValueError(f"state[{bad}] holds non-finite values (NaN or inf)")
