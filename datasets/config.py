"""Typed, frozen dataset configs that are built strictly from plain dicts.

Every dataset has a frozen dataclass config deriving from :class:`DatasetConfig`. Its fields are
type-checked (and safely coerced: ``int`` -> ``float``, ``list`` -> ``tuple``) when the config is
created, and :meth:`DatasetConfig.from_dict` rejects unknown keys, so a TOML/JSON front end can
load a config strictly.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True, kw_only=True)
... class Demo(DatasetConfig):
...     num: int = 10
...     scale: float = 1.0
>>> Demo.from_dict({"num": 5, "scale": 2}).scale
2.0
>>> Demo.from_dict({"nmu": 5})
Traceback (most recent call last):
...
ValueError: Demo: unknown option 'nmu'; allowed options: noise_std, num, scale, seed
"""

from __future__ import annotations

import dataclasses
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import (
    Any,
    ClassVar,
    Literal,
    NoReturn,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

__all__ = ["DatasetConfig", "coerce_field"]

C = TypeVar("C", bound="DatasetConfig")


def _type_name(tp: Any) -> str:
    """Readable name of a type annotation."""
    if tp is type(None):
        return "None"
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp))
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return f"a list of {_type_name(args[0])}"
        return f"a list of {len(args)} values ({', '.join(_type_name(a) for a in args)})"
    return getattr(tp, "__name__", str(tp))


def coerce_field(value: Any, tp: Any) -> Any:
    """Check ``value`` against the annotation ``tp`` and return it in canonical form.

    Supported annotations: ``bool``, ``int``, ``float``, ``str``, ``None``, ``Literal[...]``,
    unions (``X | None``), ``tuple[X, ...]`` and fixed ``tuple[X, Y]``. ``int`` values are
    accepted for ``float`` fields; lists are accepted for tuple fields.

    Args:
        value: the value to check.
        tp: the type annotation.

    Returns:
        The value, coerced (``float`` for float fields, ``tuple`` for tuple fields).

    Raises:
        TypeError: if ``value`` does not match ``tp``.

    >>> coerce_field([1, 2], tuple[int, ...])
    (1, 2)
    >>> coerce_field(3, float)
    3.0
    """
    origin = get_origin(tp)
    if tp is Any:
        return value
    if tp is type(None):
        if value is None:
            return None
    elif origin is Literal:
        for allowed in get_args(tp):
            if type(value) is type(allowed) and value == allowed:
                return value
    elif origin in (Union, types.UnionType):
        for arm in get_args(tp):
            try:
                return coerce_field(value, arm)
            except TypeError:
                continue
    elif origin is tuple:
        args = get_args(tp)
        if isinstance(value, (list, tuple)):
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(coerce_field(v, args[0]) for v in value)
            if len(value) == len(args):
                return tuple(coerce_field(v, a) for v, a in zip(value, args, strict=True))
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(tp, type):
        if isinstance(value, tp):
            return value
    else:  # pragma: no cover - annotation kinds the configs do not use
        raise TypeError(f"unsupported annotation {tp!r}")
    raise TypeError(f"expected {_type_name(tp)}, got {value!r} ({type(value).__name__})")


@dataclass(frozen=True, kw_only=True)
class DatasetConfig:
    """Base of every dataset config: observation-noise options shared by all series.

    Attributes:
        noise_std: standard deviation of additive Gaussian observation noise, in the series'
            units (0 = no noise).
        seed: seed of the ``numpy.random.Generator`` that draws the noise (the series is a
            pure function of its config, seed included).
    """

    noise_std: float = 0.0
    seed: int = 0

    label: ClassVar[str] = "dataset"
    """The dataset's registry name, the prefix of every validation message."""

    def __post_init__(self) -> None:
        hints = get_type_hints(type(self))
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                coerced = coerce_field(value, hints[f.name])
            except TypeError as err:
                raise TypeError(f"{type(self).__name__}: option {f.name!r}: {err}") from None
            if isinstance(coerced, float) and not math.isfinite(coerced):
                raise ValueError(
                    f"{type(self).__name__}: option {f.name!r} must be finite, got {coerced!r}"
                )
            object.__setattr__(self, f.name, coerced)
        if self.noise_std < 0:
            raise ValueError(
                f"{type(self).__name__}: noise_std must be >= 0, got {self.noise_std!r}"
            )
        self.validate()

    def validate(self) -> None:
        """Check value ranges (types are already checked); subclasses override this."""

    def _fail(self, message: str) -> NoReturn:
        raise ValueError(f"{self.label}: {message}")

    def _require_positive(self, *names: str) -> None:
        for name in names:
            if getattr(self, name) <= 0:
                self._fail(f"{name} must be > 0, got {getattr(self, name)!r}")

    def _require_at_least(self, name: str, low: float) -> None:
        if getattr(self, name) < low:
            self._fail(f"{name} must be >= {low}, got {getattr(self, name)!r}")

    def _require_increasing(self, start: str, stop: str) -> None:
        a, b = getattr(self, start), getattr(self, stop)
        if b <= a:
            self._fail(f"{stop} ({b!r}) must exceed {start} ({a!r})")

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """Sorted names of all options of this config."""
        return tuple(sorted(f.name for f in dataclasses.fields(cls)))

    @classmethod
    def from_dict(cls: type[C], options: Mapping[str, Any]) -> C:
        """Build the config strictly from a plain mapping (e.g. a TOML table).

        Args:
            options: option name -> value; every key must be a field of the config.

        Returns:
            The validated config.

        Raises:
            ValueError: on an unknown option or a value out of range.
            TypeError: on a value of the wrong type, or if ``options`` is not a mapping.
        """
        if not isinstance(options, Mapping):
            raise TypeError(
                f"{cls.__name__}: options must be a mapping, got {type(options).__name__}"
            )
        allowed = cls.option_names()
        for key in options:
            if key not in allowed:
                raise ValueError(
                    f"{cls.__name__}: unknown option {key!r}; allowed options: "
                    + ", ".join(allowed)
                )
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in options
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ValueError(f"{cls.__name__}: missing required option(s): {', '.join(missing)}")
        return cls(**dict(options))

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict (tuples stay tuples), inverse of :meth:`from_dict`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
