"""The one config base of qmem: frozen, strict, typed configs on pydantic v2.

Every typed config of the toolkit (models, datasets, VQC specs, experiments) derives from
:class:`Config`. The rules, the same everywhere:

- frozen (hashable, no assignment), unknown keys refused with a "did you mean" suggestion;
- strict scalars: ``"2"`` is no int, ``"yes"`` no bool, ``1`` no bool, ``True`` no int; ints are
  accepted for floats; lists are accepted for tuples (TOML and JSON have no tuples);
- floats must be finite; ranges (``ge=1`` ...) sit on the field itself;
- a wrong type raises ``TypeError``, a wrong value (range, ``Literal``, unknown or missing key)
  ``ValueError``; the message names the owner, the key, the value and what is allowed, and
  it is raised when the config is made, never later;
- :meth:`Config.json_schema` is the JSON Schema of the config (for editors and docs).

This module is a leaf (it imports nothing else of the project), so every package may use it.

>>> from typing import Literal
>>> from pydantic import Field
>>> class Demo(Config):
...     reps: int = Field(3, ge=1)
...     scale: float = 1.0
...     ansatz: Literal["pz", "rpz"] = "pz"
>>> Demo(scale=2).scale
2.0
>>> Demo.from_dict({"rep": 2})
Traceback (most recent call last):
...
ValueError: Demo: unknown option 'rep' (did you mean 'reps'?); allowed: ansatz, reps, scale
>>> Demo(reps="2")
Traceback (most recent call last):
...
TypeError: Demo: option 'reps' must be a valid integer, got '2' (str)
>>> Demo(reps=0)
Traceback (most recent call last):
...
ValueError: Demo: option 'reps' must be greater than or equal to 1, got 0
"""


import difflib
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

__all__ = ["Config", "raise_config_error", "suggest"]

C = TypeVar("C", bound="Config")

# pydantic error types that mean "wrong type" (TypeError); every other one is a wrong value
_TYPE_ERRORS = frozenset(
    {
        "int_type",
        "float_type",
        "bool_type",
        "string_type",
        "bytes_type",
        "tuple_type",
        "list_type",
        "dict_type",
        "mapping_type",
        "model_type",
        "model_attributes_type",
        "dataclass_type",
        "is_instance_of",
        "is_subclass_of",
        "none_required",
        "int_from_float",
        "set_type",
        "frozen_set_type",
        "callable_type",
        "iterable_type",
    }
)


def suggest(key: str, allowed: Any) -> str:
    """A ``" (did you mean 'x'?)"`` hint for a mistyped ``key``, or ``""``.

    >>> suggest("shotz", ["shots", "seed"])
    " (did you mean 'shots'?)"
    """
    close = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _got(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", ""))
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    if _int_past_float(err):
        return "must be a finite number (the int is too large for float64)"
    for kind in ("Tuple", "List", "Dictionary", "Value"):
        if msg.startswith(f"{kind} should have "):  # too_short / too_long
            return "must have " + msg[len(f"{kind} should have "):].replace(
                " after validation", ""
            )
    if msg.startswith("Input should be "):
        msg = "must be " + msg[len("Input should be ") :]
    elif msg.startswith("Input "):
        msg = msg[len("Input ") :]
    return msg


def raise_config_error(
    owner: str, err: ValidationError, data: Mapping[str, Any], allowed: Any
) -> None:
    """Re-raise a pydantic ``ValidationError`` as ``TypeError`` or ``ValueError``.

    All errors of one key that are type errors -> ``TypeError``; anything else
    (range, ``Literal``, unknown/missing key, cross-field check) -> ``ValueError``.
    The exception class is that of the first failing key; the message lists every key.

    >>> from pydantic import BaseModel, ConfigDict, ValidationError
    >>> class Plain(BaseModel):
    ...     model_config = ConfigDict(strict=True, extra="forbid")
    ...     n: int = 1
    >>> def make(**data):
    ...     try:
    ...         return Plain(**data)
    ...     except ValidationError as err:
    ...         raise_config_error("demo", err, data, Plain.model_fields)
    >>> make(n="2")
    Traceback (most recent call last):
    ...
    TypeError: demo: option 'n' must be a valid integer, got '2' (str)
    >>> make(m=0)
    Traceback (most recent call last):
    ...
    ValueError: demo: unknown option 'm'; allowed: n
    """
    by_key: dict[str, list[Mapping[str, Any]]] = {}
    for e in err.errors():
        loc = e.get("loc") or ("",)
        by_key.setdefault(str(loc[0]), []).append(e)
    lines: list[str] = []
    first: type[Exception] | None = None
    for key, errors in by_key.items():
        kinds = {str(e["type"]) for e in errors}
        if kinds == {"extra_forbidden"}:
            names = ", ".join(sorted(str(a) for a in allowed))
            lines.append(f"unknown option {key!r}{suggest(key, allowed)}; allowed: {names}")
            cls: type[Exception] = ValueError
        elif kinds == {"missing"} and all(len(e.get("loc") or ()) == 1 for e in errors):
            lines.append(f"missing required option {key!r}")
            cls = ValueError
        elif kinds == {"missing"}:  # an item missing inside the value: a tuple too short
            value = data.get(key) if isinstance(data, Mapping) else None
            lines.append(f"option {key!r} has too few items, got {value!r}")
            cls = ValueError
        elif not key:
            lines.append("; ".join(_describe(e) for e in errors))
            cls = ValueError
        else:
            # a union reports one error per arm: show the most telling one
            value_errors = [e for e in errors if str(e["type"]) not in _TYPE_ERRORS
                            or _int_past_float(e)]
            cls = TypeError if not value_errors else ValueError
            shown = value_errors[0] if value_errors else errors[0]
            value = data.get(key, shown.get("input")) if isinstance(data, Mapping) else None
            lines.append(f"option {key!r} {_describe(shown)}, got {_got(value)}")
            if cls is ValueError:
                lines[-1] = lines[-1].rsplit(" (", 1)[0]  # type is fine; show the value only
        first = first or cls
    raise (first or ValueError)(f"{owner}: " + "; ".join(lines)) from None


def _int_past_float(err: Mapping[str, Any]) -> bool:
    """A float option given an int too large for float64: a wrong value, not a wrong type."""
    value = err.get("input")
    return (str(err["type"]) == "float_type" and isinstance(value, int)
            and not isinstance(value, bool))


def _tuplify(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuplify(v) for v in value)
    return value


class Config(BaseModel):
    """Base of every typed config (see the module docstring for the rules).

    Subclasses declare fields with annotations and ``pydantic.Field`` ranges; cross-field
    checks go in a ``@model_validator(mode="after")`` that raises ``ValueError``.
    ``label`` (a class variable) names the owner in messages; :meth:`from_dict` may name it
    per call (e.g. ``"model 'qkan_lstm'"``).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_default=False,
        arbitrary_types_allowed=False,
        protected_namespaces=(),
    )

    label: ClassVar[str] = ""

    def __init__(self, /, **data: Any) -> None:
        self._make(data, self.label or type(self).__name__)

    def _make(self, data: Mapping[str, Any], owner: str) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            raise_config_error(owner, err, data, type(self).model_fields)

    @model_validator(mode="before")
    @classmethod
    def _lists_to_tuples(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            tuple_fields = {
                name
                for name, f in cls.model_fields.items()
                if "tuple" in str(f.annotation).lower()
            }
            return {k: (_tuplify(v) if k in tuple_fields else v) for k, v in data.items()}
        return data

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        """Sorted names of the config's options."""
        return tuple(sorted(cls.model_fields))

    @classmethod
    def from_dict(cls: type[C], options: Mapping[str, Any] | None, *, owner: str = "") -> C:
        """Build the config strictly from a plain mapping (a TOML table, a JSON object).

        Args:
            options: option name -> value (None: all defaults).
            owner: how messages name the owner (default: the class's ``label`` or name).

        Raises:
            TypeError: ``options`` is not a mapping, or a value has the wrong type.
            ValueError: unknown or missing keys, values out of range.
        """
        who = owner or cls.label or cls.__name__
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise TypeError(f"{who}: options must be a mapping, got {_got(options)}")
        bad = [k for k in options if not isinstance(k, str)]
        if bad:
            raise TypeError(f"{who}: option names must be strings, got {bad[0]!r}")
        obj = cls.__new__(cls)
        obj._make(dict(options), who)
        return obj

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict (tuples stay tuples); ``from_dict`` round-trips it."""
        return {name: getattr(self, name) for name in type(self).model_fields}

    def replace(self: C, **changes: Any) -> C:
        """A new, validated config with some options changed.

        >>> from pydantic import Field
        >>> class D(Config):
        ...     n: int = Field(1, ge=1)
        >>> D().replace(n=4).n
        4
        """
        return type(self).from_dict({**self.to_dict(), **changes}, owner=self.label)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of this config (draft 2020-12, as pydantic writes it)."""
        return cls.model_json_schema()
