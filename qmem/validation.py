"""Argument checks shared by every package: one rule, one message shape.

Wrong type -> ``TypeError``, wrong value -> ``ValueError``; each message names the argument,
the value given and what is allowed. ``bool`` is never accepted where an ``int`` or ``float`` is
asked for, and strings are never read as booleans.

Parameters are checked for NaN/inf once per *parameter state* (:func:`parameter_state`,
:func:`same_state`, :func:`check_finite_named`): the one mechanism of the sequence engine's
check (``qmem.classical.checks``) and the circuit layers' (``qmem.circuits.checks``).

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
    "check_dtype_device",
    "check_finite_named",
    "check_float",
    "check_int",
    "check_literal",
    "check_positive_int",
    "check_size_budget",
    "literal_values",
    "make_generator",
    "non_finite",
    "parameter_state",
    "same_state",
    "transforms_active",
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


# ---------------------------------------------------------------- finite parameters, cached
# The one mechanism behind ``qmem.classical.checks.check_matches_parameters`` and the circuit
# layers' ``qmem.circuits.checks`` (``check_input``, ``check_finite_parameters``): the input's
# dtype and device against a parameter's, a parameter state (the tensors' identity, version
# counters and storage) to check once per state, the finiteness test of several tensors in
# one reduction, and the message naming the broken parameter.

_functorch_active = getattr(torch._C, "_are_functorch_transforms_active", None)


def transforms_active() -> bool:
    """Whether a torch.func transform (vmap) is running: its batched tensors have no storage
    or version counter, and checks that branch on values cannot run under it.

    Returns:
        True inside ``torch.func.vmap`` (and the other functorch transforms), else False.

    >>> transforms_active()
    False
    >>> seen = []
    >>> _ = torch.func.vmap(lambda t: seen.append(transforms_active()) or t)(torch.zeros(2))
    >>> seen
    [True]
    """
    return _functorch_active is not None and bool(_functorch_active())


def non_finite(named: Iterable[tuple[str, torch.Tensor | None]]) -> str | None:
    """The name of the first tensor of ``named`` that holds NaN or inf, or None.

    All tensors at once: one sum each (outside autograd), their total read once (one host
    synchronisation on a GPU); only a non-finite total (a NaN or inf, or a finite overflow)
    leads to the elementwise check of each. None tensors are skipped.

    >>> non_finite([("x", torch.zeros(2)), ("w", torch.tensor([float("inf")]))])
    'w'
    >>> non_finite([("x", torch.zeros(2)), ("b", None)]) is None
    True
    """
    tensors = [(name, t) for name, t in named if t is not None]
    if not tensors:
        return None
    total = tensors[0][1].detach().sum()
    for _, t in tensors[1:]:
        total = total + t.detach().sum()
    if math.isfinite(total.item()):
        return None
    for name, t in tensors:
        if not bool(torch.isfinite(t.detach()).all()):
            return name
    return None


def check_dtype_device(x: torch.Tensor, ref: torch.Tensor, owner: str) -> None:
    """Refuse ``x`` of another dtype or device than ``ref``, a parameter of ``owner``:
    nothing is cast or moved silently; the message names both and how to convert one.

    Args:
        x: the input tensor.
        ref: a parameter of ``owner`` (its dtype and device are the owner's).
        owner: what ``ref`` belongs to (``"model"``, ``"layer"``), named in the message.

    Raises:
        TypeError: ``x.dtype != ref.dtype`` (both named).
        ValueError: ``x.device != ref.device`` (both named).

    >>> check_dtype_device(torch.zeros(2), torch.zeros(3), "model")  # passes: no output
    >>> check_dtype_device(torch.zeros(2, dtype=torch.float64), torch.zeros(3), "layer")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: input dtype torch.float64 does not match the layer's parameter dtype ...
    """
    if x.dtype != ref.dtype:
        raise TypeError(
            f"input dtype {x.dtype} does not match the {owner}'s parameter dtype {ref.dtype} "
            f"(convert one: {owner}.to({x.dtype}) or x.to({ref.dtype}))"
        )
    if x.device != ref.device:
        raise ValueError(
            f"input is on device {x.device} but the {owner}'s parameters are on {ref.device} "
            f"(move one: {owner}.to({str(x.device)!r}) or x.to({str(ref.device)!r}))"
        )


def check_finite_named(
    named: Iterable[tuple[str, torch.Tensor | None]], owner: str | None = None
) -> None:
    """Raise ``ValueError`` naming the first parameter of ``named`` that holds NaN or inf.

    Args:
        named: ``(name, tensor)`` pairs; None tensors are skipped.
        owner: what the parameters belong to (e.g. ``"QKAN layer"``), named in the message;
            None: a model's parameters (the message says "the model's weights").

    Raises:
        ValueError: a tensor holds NaN or inf.

    >>> check_finite_named([("w", torch.zeros(2))])  # passes: no output
    >>> check_finite_named([("head.bias", torch.tensor([float("nan")]))])
    Traceback (most recent call last):
    ...
    ValueError: parameter 'head.bias' holds non-finite values (NaN or inf); the model's ...
    >>> check_finite_named([("theta", torch.tensor([float("inf")]))], "QKAN layer")
    Traceback (most recent call last):
    ...
    ValueError: parameter 'theta' of the QKAN layer holds non-finite values (NaN or inf); ...
    """
    name = non_finite(named)
    if name is None:
        return
    if owner is None:
        raise ValueError(
            f"parameter {name!r} holds non-finite values (NaN or inf); "
            "the model's weights are broken (e.g. a diverged training step)"
        )
    raise ValueError(
        f"parameter {name!r} of the {owner} holds non-finite values (NaN or inf); "
        "its weights are broken (e.g. a diverged training step)"
    )


def parameter_state(params: tuple[torch.Tensor | None, ...]) -> Any:
    """What the values of ``params`` depend on, for :func:`same_state`: the tensors
    (identity), their in-place version counters and storage. ``None`` (never equal to
    anything) when one is an inference tensor, which has no version counter, or under a
    torch.func transform. None entries of ``params`` are skipped.

    A cache keyed on it (a finiteness check, derived tensors) is reused while no parameter
    changed, and refreshed after an in-place write (an optimiser step), ``load_state_dict``
    or ``.to()``; writes through ``.data`` bypass the version counters and are not seen.

    >>> w = torch.nn.Parameter(torch.zeros(3))
    >>> a = parameter_state((w, None))
    >>> same_state(a, parameter_state((w, None)))
    True
    >>> with torch.no_grad():
    ...     _ = w.add_(1.0)
    >>> same_state(a, parameter_state((w, None)))
    False
    """
    if transforms_active():
        return None
    keys = []
    for p in params:
        if p is None:
            continue
        if p.is_inference():
            return None
        keys.append((p._version, p.data_ptr()))
    return params, tuple(keys)


def same_state(a: Any, b: Any) -> bool:
    """Whether two :func:`parameter_state` results describe unchanged parameters: the same
    tensors (``is``), versions and storage; False if either is None.

    >>> w = torch.zeros(2)
    >>> same_state(parameter_state((w,)), parameter_state((w,)))
    True
    >>> same_state(parameter_state((w,)), parameter_state((w.clone(),)))
    False
    >>> same_state(None, None)
    False
    """
    return (
        a is not None
        and b is not None
        and a[1] == b[1]
        and len(a[0]) == len(b[0])
        and all(p is q for p, q in zip(a[0], b[0], strict=True))
    )
