"""The model registry: a name -> (config class, builder, parameter formula) table.

A model is registered once, with :func:`register`, next to its config and its builder; from
then on :func:`build`, :func:`parameter_formula`, :func:`make_config`, :func:`describe`,
``qmem params`` and the contract test treat it like every other. Models registered from
outside the package (a user's module, a test) are equal citizens; :func:`unregister` takes
one out again. Modules named in the environment variable ``QMEM_PLUGINS``
(comma-separated, e.g. ``QMEM_PLUGINS=mypkg.models``) are imported on the first look-up, so
their models also reach a ``qmem params`` run in a fresh process.

The builder and the formula both take ``(cfg, input_size, hidden_size, output_size)``: the
validated config and the three sizes (positive ints; ``hidden_size`` may be ``None`` for a
model registered with ``hidden_optional=True``). The builder returns the ``nn.Module``, the
formula its trainable-parameter count, without building it.

>>> from torch import nn
>>> class AffineConfig(ModelConfig):
...     bias: bool = True
>>> @register("affine_demo", config=AffineConfig,
...           formula=lambda cfg, i, h, o: i * o + (o if cfg.bias else 0))
... def build_affine(cfg, i, h, o):
...     '''``affine_demo``: one ``Linear(I, O)``. Parameters: ``I·O (+ O)``.'''
...     return nn.Linear(i, o, bias=cfg.bias)
>>> parameter_formula("affine_demo", input_size=3, hidden_size=1, output_size=2)
8
>>> build("affine_demo", input_size=3, hidden_size=1, output_size=2, bias=False).weight.shape
torch.Size([2, 3])
>>> unregister("affine_demo")
>>> "affine_demo" in names()
False
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from torch import nn

from qmem.config import suggest
from qmem.params import MAX_PARAMETERS, MAX_SIZE
from qmem.validation import check_int, check_positive_int

from .base import ModelConfig

__all__ = [
    "PLUGINS_ENV",
    "Builder",
    "Formula",
    "ModelEntry",
    "build",
    "config_class",
    "describe",
    "entry",
    "load_plugins",
    "make_config",
    "names",
    "parameter_formula",
    "register",
    "unregister",
]

PLUGINS_ENV = "QMEM_PLUGINS"
"""Environment variable: comma-separated modules imported (to register models) on first use."""

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class Builder(Protocol):
    """``(cfg, input_size, hidden_size, output_size) -> nn.Module``.

    >>> type(entry("lstm").build(make_config("lstm"), 1, 2, 1)).__name__
    'RecurrentModel'
    """

    def __call__(self, cfg: Any, i: int, h: Any, o: int, /) -> nn.Module: ...


class Formula(Protocol):
    """``(cfg, input_size, hidden_size, output_size) -> int`` trainable parameters.

    >>> entry("lstm").formula(make_config("lstm"), 1, 2, 1)  # 4H(I + H + 1) + (H + 1)O
    35
    """

    def __call__(self, cfg: Any, i: int, h: Any, o: int, /) -> int: ...


B = TypeVar("B", bound=Callable[..., nn.Module])


@dataclass(frozen=True)
class ModelEntry:
    """One registered model.

    Attributes:
        name: the registry name.
        config: its config class (a :class:`ModelConfig` subclass).
        build: ``(cfg, I, H, O) -> nn.Module``.
        formula: ``(cfg, I, H, O) -> int``, the trainable-parameter count.
        hidden_optional: ``hidden_size=None`` is allowed (a default width is derived).

    >>> e = entry("hqkan")
    >>> e.name, e.config.__name__, e.hidden_optional
    ('hqkan', 'HQKANConfig', True)
    """

    name: str
    config: type[ModelConfig]
    build: Builder
    formula: Formula
    hidden_optional: bool = False


_REGISTRY: dict[str, ModelEntry] = {}
_plugins_loaded = False


def register(
    name: str,
    *,
    config: type[ModelConfig],
    formula: Formula,
    hidden_optional: bool = False,
    replace: bool = False,
) -> Callable[[B], B]:
    """Register the decorated builder as model ``name``.

    Args:
        name: registry name: lower case letters, digits and ``_``, starting with a letter.
        config: the model's config class, a subclass of :class:`ModelConfig`.
        formula: ``(cfg, I, H, O) -> int``: its trainable-parameter count by formula.
        hidden_optional: accept ``hidden_size=None`` (the builder derives a default).
        replace: allow replacing a model already registered under ``name``.

    Returns:
        A decorator that registers the builder ``(cfg, I, H, O) -> nn.Module`` and returns it
        unchanged (``register(...)(fn)`` works as a plain call too). The builder's docstring
        is what :func:`describe` shows.

    Raises:
        TypeError: ``config`` is not a :class:`ModelConfig` subclass, ``formula`` or the
            builder is not callable, or a flag is not a bool.
        ValueError: a malformed name, or ``name`` is taken and ``replace`` is False.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise (ValueError if isinstance(name, str) else TypeError)(
            f"model name must be lower case letters, digits and '_' starting with a letter, "
            f"got {name!r}"
        )
    if not (isinstance(config, type) and issubclass(config, ModelConfig)):
        raise TypeError(
            f"config of model {name!r} must be a subclass of qmem.models.ModelConfig, "
            f"got {config!r}"
        )
    if not callable(formula):
        raise TypeError(f"formula of model {name!r} must be callable, got {formula!r}")
    for flag, value in (("hidden_optional", hidden_optional), ("replace", replace)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be a bool, got {value!r}")

    def decorate(fn: B) -> B:
        if not callable(fn):
            raise TypeError(f"builder of model {name!r} must be callable, got {fn!r}")
        if name in _REGISTRY and not replace:
            raise ValueError(
                f"model {name!r} is already registered; pass replace=True or unregister it"
            )
        _REGISTRY[name] = ModelEntry(name, config, fn, formula, hidden_optional)
        return fn

    return decorate


def unregister(name: str) -> None:
    """Remove model ``name`` from the registry (e.g. a test's model, afterwards).

    Raises:
        ValueError: no model is registered under ``name``.
    """
    entry(name)
    del _REGISTRY[name]


def load_plugins() -> tuple[str, ...]:
    """Import the modules named in ``$QMEM_PLUGINS`` once (later calls do nothing).

    Returns:
        The module names imported by this call.

    Raises:
        ImportError: a named module cannot be imported (the message names the variable).

    >>> _ = names()        # the first look-up has loaded them already
    >>> load_plugins()
    ()
    """
    global _plugins_loaded
    if _plugins_loaded:
        return ()
    _plugins_loaded = True
    modules = tuple(m.strip() for m in os.environ.get(PLUGINS_ENV, "").split(",") if m.strip())
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise ImportError(
                f"{PLUGINS_ENV} names module {module!r}, which cannot be imported: {err}"
            ) from err
    return modules


def names() -> tuple[str, ...]:
    """Names of the registered models, sorted.

    >>> {"lstm", "gru", "qkan_lstm"} <= set(names())
    True
    """
    load_plugins()
    return tuple(sorted(_REGISTRY))


def entry(name: str) -> ModelEntry:
    """The registry entry of model ``name``.

    Raises:
        ValueError: ``name`` is not registered (the message lists the registered names).

    >>> entry("jhcg").hidden_optional
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"model name must be a str, got {name!r} ({type(name).__name__})")
    load_plugins()
    if name not in _REGISTRY:
        known = sorted(_REGISTRY)
        raise ValueError(
            f"unknown model {name!r}{suggest(str(name), known)}; registered: {known}"
        )
    return _REGISTRY[name]


def config_class(name: str) -> type[ModelConfig]:
    """The typed config class of model ``name``.

    >>> config_class("kan_lstm").from_dict({"grid_size": 8}).grid_size
    8
    """
    return entry(name).config


def describe(name: str) -> str:
    """What model ``name`` is and its parameter-count formula (its builder's docstring).

    >>> "4H(I + H + 1)" in describe("lstm")
    True
    """
    return inspect.cleandoc(entry(name).build.__doc__ or "")


def make_config(name: str, options: Mapping[str, Any] | None = None) -> ModelConfig:
    """Model ``name``'s config from a plain dict (``None``: all defaults).

    Raises:
        TypeError: a value of the wrong type.
        ValueError: an unknown option (with a suggestion) or a value out of range.

    >>> make_config("qkan_lstm", {"reps": 0})
    Traceback (most recent call last):
    ...
    ValueError: model 'qkan_lstm': option 'reps' must be greater than or equal to 1, got 0
    """
    return entry(name).config.from_dict(options, owner=f"model {name!r}")


def _sizes(name: str, input_size: Any, hidden_size: Any, output_size: Any) -> tuple[int, Any, int]:
    optional = entry(name).hidden_optional
    check_positive_int("input_size", input_size)
    check_positive_int("output_size", output_size)
    check_int("input_size", input_size, maximum=MAX_SIZE)
    check_int("output_size", output_size, maximum=MAX_SIZE)
    if hidden_size is None:
        if optional:
            return input_size, None, output_size
        raise ValueError(
            f"hidden_size of model {name!r} must be a positive int (it has no default "
            f"width), got None"
        )
    extra = " (or None for the default width)" if optional else ""
    check_positive_int(f"hidden_size of model {name!r}{extra}", hidden_size)
    check_int(f"hidden_size of model {name!r}", hidden_size, maximum=MAX_SIZE)
    return input_size, hidden_size, output_size


def build(
    name: str,
    *,
    input_size: int,
    hidden_size: int | None,
    output_size: int = 1,
    **options: Any,
) -> nn.Module:
    """Build registered model ``name``.

    Args:
        name: one of :func:`names`.
        input_size: features per time step ``I``.
        hidden_size: hidden width ``H`` (for ``jhcg``/``hqkan`` the latent width ``k``;
            ``None`` there means ``⌈log2(window · I)⌉``).
        output_size: prediction width ``O``.
        **options: fields of the model's config (:func:`config_class`).

    Returns:
        The model (see :mod:`qmem.models` for its interface).

    Raises:
        ValueError: unknown name or option, sizes < 1 or > :data:`~qmem.params.MAX_SIZE`,
            option values out of range, or a model whose parameter formula exceeds
            :data:`~qmem.params.MAX_PARAMETERS` (checked before anything is allocated).
        TypeError: a size or an option of the wrong type.
        ImportError: an optional dependency is missing (``xlstm_ref``).
    """
    i, h, o = _sizes(name, input_size, hidden_size, output_size)
    cfg = make_config(name, options)
    count = _formula(name, cfg, i, h, o)
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"model {name!r} with input_size={i}, hidden_size={h}, output_size={o} would have "
            f"{count} parameters; at most {MAX_PARAMETERS} are built"
        )
    return entry(name).build(cfg, i, h, o)


def parameter_formula(
    name: str,
    *,
    input_size: int,
    hidden_size: int | None,
    output_size: int = 1,
    **options: Any,
) -> int:
    """Model ``name``'s trainable-parameter count by its documented formula (no model built).

    Raises:
        ValueError: as :func:`build` (sizes < 1 or > :data:`~qmem.params.MAX_SIZE`); also a
            formula that returns no count >= 0.
        TypeError: as :func:`build`.

    >>> parameter_formula("gru", input_size=1, hidden_size=5)  # 3H(I+H) + 6H + (H+1)O
    126
    >>> parameter_formula("gru", input_size=1, hidden_size=-5)
    Traceback (most recent call last):
    ...
    ValueError: hidden_size of model 'gru' must be a positive int, got -5
    """
    i, h, o = _sizes(name, input_size, hidden_size, output_size)
    return _formula(name, make_config(name, options), i, h, o)


def _formula(name: str, cfg: ModelConfig, i: int, h: Any, o: int) -> int:
    count = entry(name).formula(cfg, i, h, o)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"formula of model {name!r} returned {count!r}; it must be an int >= 0")
    return count
