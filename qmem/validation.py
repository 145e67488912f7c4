"""Argument checks shared by every package: one rule, one message shape.

Wrong type -> ``TypeError``, wrong value -> ``ValueError``; each message names the argument,
the value given and what is allowed. ``bool`` is never accepted where an ``int`` or ``float`` is
asked for, and strings are never read as booleans.

This module is a leaf: it imports nothing else of the project, so ``qmem.circuits`` and
``qmem.datasets`` may use it without breaking the dependency direction.

>>> check_int("reps", 3, minimum=1)
3
>>> check_int("reps", 0, minimum=1)
Traceback (most recent call last):
...
ValueError: reps must be an int >= 1, got 0
>>> check_bool("preact_trainable", "False")
Traceback (most recent call last):
...
TypeError: preact_trainable must be a bool (True or False), got 'False' (str)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal, get_args, get_origin

import torch

__all__ = [
    "check_bool",
    "check_choice",
    "check_device",
    "check_float",
    "check_int",
    "check_literal",
    "check_positive_int",
    "check_size_budget",
    "literal_values",
    "make_generator",
]

MAX_ELEMENTS = 2**31
"""Default bound of :func:`check_size_budget`: tensors past this many elements are refused."""


def _kind(value: object) -> str:
    return type(value).__name__


def check_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Return ``value`` if it is an ``int`` (``bool`` excluded) within the bounds, else raise.

    Args:
        name: the argument's name, used in the message.
        value: the value to check.
        minimum: smallest allowed value (inclusive), or None.
        maximum: largest allowed value (inclusive), or None.

    Raises:
        TypeError: ``value`` is not an int.
        ValueError: ``value`` is out of bounds.

    >>> check_int("n", 5, minimum=0, maximum=9)
    5
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} ({_kind(value)})")
    if minimum is not None and value < minimum:
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an int {bound}, got {value}")
    if maximum is not None and value > maximum:
        bound = f"<= {maximum}" if minimum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an int {bound}, got {value}")
    return value


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an ``int`` >= 1 (``bool`` excluded), else raise.

    >>> check_positive_int("hidden_size", 0)
    Traceback (most recent call last):
    ...
    ValueError: hidden_size must be a positive int, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({_kind(value)})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` (ints accepted, ``bool`` refused) within bounds.

    Args:
        name: the argument's name.
        value: the value.
        minimum: lower bound, or None.
        maximum: upper bound (inclusive), or None.
        strict_minimum: the lower bound is exclusive (``value > minimum``).

    Raises:
        TypeError: not a real number.
        ValueError: NaN, inf (an int too large for float64 included) or out of bounds.

    >>> check_float("lr", 1)
    1.0
    >>> check_float("lr", 0.0, minimum=0.0, strict_minimum=True)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite float > 0.0, got 0.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a float, got {value!r} ({_kind(value)})")
    try:
        out = float(value)
    except OverflowError:  # an int past float64
        out = math.inf
    low = "" if minimum is None else (f" > {minimum}" if strict_minimum else f" >= {minimum}")
    high = "" if maximum is None else f" <= {maximum}"
    want = f"{name} must be a finite float{low}{',' if low and high else ''}{high}"
    if not math.isfinite(out):
        raise ValueError(f"{want}, got {value!r}")
    if minimum is not None and (out <= minimum if strict_minimum else out < minimum):
        raise ValueError(f"{want}, got {value!r}")
    if maximum is not None and out > maximum:
        raise ValueError(f"{want}, got {value!r}")
    return out


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a ``bool``; truthy strings and ints are refused.

    >>> check_bool("shared", True)
    True
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool (True or False), got {value!r} ({_kind(value)})")
    return value


def check_choice(name: str, value: object, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed`` (same type and value), else ``ValueError``.

    >>> check_choice("forget", "exp", ("sigmoid", "exp"))
    'exp'
    >>> check_choice("forget", "tanh", ("sigmoid", "exp"))
    Traceback (most recent call last):
    ...
    ValueError: forget must be one of 'sigmoid', 'exp', got 'tanh'
    """
    options = tuple(allowed)
    for option in options:
        if type(value) is type(option) and value == option:
            return value
    listed = ", ".join(repr(o) for o in options)
    raise ValueError(f"{name} must be one of {listed}, got {value!r}")


def literal_values(tp: Any) -> tuple[Any, ...]:
    """The values of a ``Literal`` type (nested ``Literal`` s flattened).

    >>> literal_values(Literal["a", "b"])
    ('a', 'b')
    """
    if get_origin(tp) is not Literal:
        raise TypeError(f"expected a typing.Literal, got {tp!r}")
    out: list[Any] = []
    for arg in get_args(tp):
        out.extend(literal_values(arg) if get_origin(arg) is Literal else (arg,))
    return tuple(out)


def check_literal(name: str, value: object, tp: Any) -> Any:
    """:func:`check_choice` against the values of the ``Literal`` type ``tp``.

    >>> check_literal("ansatz", "pz", Literal["pz", "rpz", "real"])
    'pz'
    """
    return check_choice(name, value, literal_values(tp))


def check_size_budget(name: str, n_elements: int, *, limit: int = MAX_ELEMENTS) -> int:
    """Refuse a size that would allocate more than ``limit`` elements (before allocating).

    >>> check_size_budget("grid", 10)
    10
    >>> check_size_budget("grid", 10**12)
    Traceback (most recent call last):
    ...
    ValueError: grid would allocate 1000000000000 elements; the limit is 2147483648
    """
    if isinstance(n_elements, bool) or not isinstance(n_elements, int):
        raise TypeError(f"the size of {name} must be an int, got {n_elements!r}")
    if n_elements < 0:
        raise ValueError(f"the size of {name} must be >= 0, got {n_elements}")
    if n_elements > limit:
        raise ValueError(f"{name} would allocate {n_elements} elements; the limit is {limit}")
    return n_elements


def check_device(name: str, value: object) -> torch.device | None:
    """Return ``value`` as a ``torch.device`` (None stays None) if torch has such a device.

    Raises:
        TypeError: ``value`` is neither a ``torch.device``, a str nor None.
        ValueError: no such device type (``"gpu"``), or a CUDA device torch does not see
            (``"cuda:7"`` on a machine with one GPU, or any ``"cuda"`` without CUDA).

    >>> check_device("device", "cpu")
    device(type='cpu')
    >>> check_device("device", "gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must name a torch device such as 'cpu', 'cuda' or 'cuda:0', got 'gpu'
    """
    if value is None or isinstance(value, torch.device):
        device = value
    elif isinstance(value, str):
        try:
            device = torch.device(value)
        except RuntimeError:
            raise ValueError(
                f"{name} must name a torch device such as 'cpu', 'cuda' or 'cuda:0', "
                f"got {value!r}"
            ) from None
    else:
        raise TypeError(
            f"{name} must be a torch.device, a device name or None, got {value!r} "
            f"({_kind(value)})"
        )
    if device is not None and device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = 0 if device.index is None else device.index
        if index >= count:
            raise ValueError(
                f"{name} {str(device)!r} is not available: torch sees {count} CUDA device(s)"
            )
    return device


def make_generator(
    seed: int | torch.Generator | None = None,
    generator: torch.Generator | None = None,
    *,
    name: str = "seed",
) -> torch.Generator:
    """One CPU ``torch.Generator`` from ``seed`` or ``generator`` (at most one of them).

    An int seeds a fresh generator; a generator passes through (as ``seed`` too, for
    backward compatibility); with neither, a fresh generator is seeded by one draw from
    torch's default generator, so ``torch.manual_seed`` makes the result reproducible, as it
    does for ``torch.nn`` layers. Nothing here ever seeds the global RNG.

    Args:
        seed: an int, a ``torch.Generator`` or None.
        generator: a ``torch.Generator`` or None.
        name: the seed argument's name, used in messages.

    Raises:
        TypeError: ``seed`` is not an int / generator / None, or ``generator`` is not a
            generator.
        ValueError: both ``seed`` and ``generator`` are given, or the seed is outside
            [0, 2**64 - 1].

    >>> a = make_generator(3)
    >>> bool(torch.rand(1, generator=a) == torch.rand(1, generator=make_generator(3)))
    True
    >>> g = torch.Generator()
    >>> make_generator(generator=g) is g
    True
    """
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(
                f"generator must be a torch.Generator or None, got {generator!r} "
                f"({_kind(generator)})"
            )
        if seed is not None:
            raise ValueError(f"give {name} or generator, not both (got {name}={seed!r})")
        return generator
    if isinstance(seed, torch.Generator):
        return seed
    if seed is None:
        draw = int(torch.randint(0, 2**62, (1,)).item())
        return torch.Generator().manual_seed(draw)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"{name} must be an int, a torch.Generator or None, got {seed!r} ({_kind(seed)})"
        )
    if not 0 <= seed < 2**64:
        raise ValueError(f"{name} must be an int in [0, 2**64 - 1], got {seed}")
    return torch.Generator().manual_seed(seed)
