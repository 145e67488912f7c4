"""Argument checks shared by the classical modules: clear ``ValueError``/``TypeError``.

>>> check_positive_int("hidden_size", 3)
3
>>> check_positive_int("hidden_size", 0)
Traceback (most recent call last):
...
ValueError: hidden_size must be a positive int, got 0
"""

from __future__ import annotations

import torch

__all__ = ["check_choice", "check_positive_int", "check_sequence_input", "make_generator"]


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` >= 1 (``bool`` excluded), else raise.

    Raises:
        TypeError: ``value`` is not an int.
        ValueError: ``value`` < 1.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` naming both.

    >>> check_choice("forget", "exp", ("sigmoid", "exp"))
    'exp'
    """
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return str(value)


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


def make_generator(seed: int | torch.Generator | None) -> torch.Generator:
    """A CPU ``torch.Generator`` from an int seed (or pass one through).

    ``None`` draws a fresh seed from the OS (non-deterministic); the global RNG is never
    touched.

    >>> g = make_generator(3)
    >>> torch.rand(1, generator=g).item() == torch.rand(1, generator=make_generator(3)).item()
    True
    """
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator()
    if seed is None:
        gen.seed()
        return gen
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a torch.Generator or None, got {seed!r}")
    gen.manual_seed(seed)
    return gen
