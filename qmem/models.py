"""Model registry: every model is one line to build from a name and a plain dict of options.

``build(name, *, input_size, hidden_size, output_size=1, **options)`` builds a model; the
options are the fields of the model's typed, frozen config (:func:`config_class`), checked
strictly (unknown keys and wrong types raise). ``names()`` lists the registered models and
``parameter_formula`` evaluates each model's documented parameter-count formula.

Every model maps ``x (B, T, input_size)`` to ``(y, state)``. Recurrent models (attribute
``recurrent = True``) return ``y (B, T, output_size)``, accept the returned state to go on,
and have ``step(x_t, state)``; window models (``recurrent = False``, attribute ``window``)
read exactly ``window`` steps and return ``y (B, 1, output_size)`` and state ``None``. In
both cases ``y[:, -1]`` is the forecast after the last input step. All randomness comes
from the ``seed`` option (a ``torch.Generator``; the global RNG is never seeded).

>>> model = build("lstm", input_size=1, hidden_size=5, seed=0)
>>> import torch
>>> y, (h, c) = model(torch.zeros(2, 7, 1))
>>> y.shape, parameter_formula("lstm", input_size=1, hidden_size=5)
(torch.Size([2, 7, 1]), 146)
>>> build("lstm", input_size=1, hidden_size=5, reps=2)
Traceback (most recent call last):
...
ValueError: unknown option(s) ['reps'] for model 'lstm'; allowed: ['fused', 'seed']
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from torch import nn

from .circuits.daruan import Executor
from .circuits.daruan_def import Ansatz
from .circuits.qkan_layer import BaseActivation
from .circuits.vqc import Executor as VQCExecutor
from .classical.gru import GRUCell
from .classical.jhcg import JHCG, default_latent_size
from .classical.kan import BSplineKAN, kan_parameter_count
from .classical.lstm_scaffold import LSTMCell, MapFactory, SixMapLSTMCell, linear_maps
from .classical.mlstm import MLSTMCell
from .classical.recurrent import RecurrentModel
from .classical.slstm import SLSTMCell
from .classical.window import WindowMLP, WindowModel
from .classical.xlstm_ref import XLSTMRef

__all__ = [
    "GRUConfig",
    "HQKANConfig",
    "HQKANLSTMConfig",
    "JHCGConfig",
    "KANLSTMConfig",
    "LSTMConfig",
    "MLPConfig",
    "MLSTMConfig",
    "ModelConfig",
    "QKANLSTMConfig",
    "QLSTMConfig",
    "SLSTMConfig",
    "XLSTMRefConfig",
    "build",
    "config_class",
    "describe",
    "make_config",
    "names",
    "parameter_formula",
    "set_executor",
]

# the option types are the circuits' own, so the configs cannot drift from the layers
C = TypeVar("C", bound="ModelConfig")


# --------------------------------------------------------------------------- configs
def _coerce(owner: str, name: str, value: Any, tp: Any) -> Any:
    """Check ``value`` against the annotation ``tp``; return it (tuples from lists)."""
    origin = get_origin(tp)
    bad = TypeError(f"{owner}.{name} must be {_describe(tp)}, got {value!r}")
    if tp is Any:
        return value
    if origin is Literal:
        if value not in get_args(tp):
            raise ValueError(f"{owner}.{name} must be one of {get_args(tp)}, got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        errors = []
        for arg in get_args(tp):
            try:
                return _coerce(owner, name, value, arg)
            except (TypeError, ValueError) as err:
                errors.append(err)
        raise (errors[-1] if any(isinstance(e, ValueError) for e in errors) else bad)
    if tp is type(None):
        if value is not None:
            raise bad
        return None
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    if origin is tuple:
        args = get_args(tp)
        if not isinstance(value, (tuple, list)) or len(value) != len(args):
            raise bad
        return tuple(_coerce(owner, name, v, a) for v, a in zip(value, args, strict=True))
    if origin in (Mapping, dict) or tp in (Mapping, dict):
        if not isinstance(value, Mapping):
            raise bad
        return dict(value)
    raise TypeError(f"{owner}.{name}: unsupported annotation {tp!r}")  # pragma: no cover


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return f"one of {get_args(tp)}"
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if tp is type(None):
        return "None"
    return getattr(tp, "__name__", str(tp))


@dataclass(frozen=True)
class ModelConfig:
    """Options shared by every model.

    Attributes:
        seed: seed of the ``torch.Generator`` that draws all initial weights.
    """

    seed: int = 0

    @classmethod
    def from_dict(cls: type[C], options: Mapping[str, Any], *, model: str = "") -> C:
        """Build the config from a plain dict; unknown keys and wrong types raise.

        Raises:
            TypeError: ``options`` is not a mapping, or a value has the wrong type.
            ValueError: unknown keys, or a value outside its ``Literal`` choices.
        """
        if not isinstance(options, Mapping):
            raise TypeError(f"options must be a mapping, got {type(options).__name__}")
        allowed = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            who = f"model {model!r}" if model else cls.__name__
            raise ValueError(
                f"unknown option(s) {unknown} for {who}; allowed: {sorted(allowed)}"
            )
        hints = typing.get_type_hints(cls)
        values = {k: _coerce(cls.__name__, k, v, hints[k]) for k, v in options.items()}
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The config as a plain dict (``from_dict(to_dict())`` round-trips)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class LSTMConfig(ModelConfig):
    """``lstm``. ``fused``: one ``Linear(I + H, 4H)`` instead of four ``Linear(I + H, H)``."""

    fused: bool = True


@dataclass(frozen=True)
class GRUConfig(ModelConfig):
    """``gru``: no options beyond ``seed``."""


@dataclass(frozen=True)
class MLPConfig(ModelConfig):
    """``mlp``: ``window`` steps read, hidden ``activation``."""

    window: int = 4
    activation: Literal["tanh", "relu", "silu"] = "tanh"


@dataclass(frozen=True)
class KANLSTMConfig(ModelConfig):
    """``kan_lstm``: B-spline grid of the gate maps."""

    grid_size: int = 5
    spline_order: int = 3
    grid_range: tuple[float, float] = (-1.0, 1.0)


@dataclass(frozen=True)
class SLSTMConfig(ModelConfig):
    """``slstm``: forget-gate activation."""

    forget: Literal["sigmoid", "exp"] = "sigmoid"


@dataclass(frozen=True)
class MLSTMConfig(ModelConfig):
    """``mlstm``: no options beyond ``seed``."""


@dataclass(frozen=True)
class XLSTMRefConfig(ModelConfig):
    """``xlstm_ref``: sLSTM block stack of the ``xlstm`` package."""

    num_blocks: int = 1
    num_heads: int = 1
    context_length: int = 1000


@dataclass(frozen=True)
class JHCGConfig(ModelConfig):
    """``jhcg``: ``window`` steps read; B-spline grid of the latent KAN."""

    window: int = 4
    grid_size: int = 5
    spline_order: int = 3
    grid_range: tuple[float, float] = (-1.0, 1.0)


@dataclass(frozen=True)
class _QKANOptions(ModelConfig):
    """Options of the QKAN layers (see ``qmem.circuits.QKANLayer``).

    Attributes:
        reps: data re-uploadings per DARUAN edge.
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        base_activation: ``"none"`` (default here, as qkan's ``QKAN`` container) or
            ``"silu"`` (one more trainable weight per edge).
        preact_trainable: trainable ``w·x + b`` per re-uploading (``2r`` per edge).
        executor: circuit executor; may be changed after training with
            :func:`set_executor`.
        executor_options: options of the SDK executors (device, shots, seed, noise model).
    """

    reps: int = 3
    ansatz: Ansatz = "pz"
    base_activation: BaseActivation = "none"
    preact_trainable: bool = False
    executor: Executor = "auto"
    executor_options: Mapping[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class QKANLSTMConfig(_QKANOptions):
    """``qkan_lstm``: QKAN options (fields of ``_QKANOptions``)."""


@dataclass(frozen=True)
class HQKANLSTMConfig(_QKANOptions):
    """``hqkan_lstm``: QKAN options, bottleneck width ``latent_size`` (``None``:
    ``⌈log2(I + H)⌉``) and ``shared`` (one bottleneck for all four gates)."""

    latent_size: int | None = None
    shared: bool = False


@dataclass(frozen=True)
class HQKANConfig(_QKANOptions):
    """``hqkan``: QKAN options and ``window`` steps read."""

    window: int = 4


@dataclass(frozen=True)
class QLSTMConfig(ModelConfig):
    """``qlstm`` and ``qlstm_2024``: the VQCs' options (see ``qmem.circuits.VQCLayer``).

    Attributes:
        n_layers: variational layers per VQC.
        executor: ``"statevector"`` (exact torch emulation), ``"pennylane"`` or ``"qiskit"``;
            may be changed after training with :func:`set_executor`.
        executor_options: options of that executor (e.g. ``{"shots": 1000, "seed": 1}``).
    """

    n_layers: int = 2
    executor: VQCExecutor = "statevector"
    executor_options: Mapping[str, Any] | None = field(default=None, hash=False)


# --------------------------------------------------------------------------- registry
Builder = Callable[[Any, int, Any, int], nn.Module]
Counter = Callable[[Any, int, Any, int], int]


@dataclass(frozen=True)
class _Entry:
    config: type[ModelConfig]
    build: Builder
    count: Counter
    hidden_optional: bool = False


_REGISTRY: dict[str, _Entry] = {}


def _register(
    name: str, config: type[ModelConfig], build_fn: Builder, count_fn: Counter, **kw: Any
) -> None:
    _REGISTRY[name] = _Entry(config, build_fn, count_fn, **kw)


def names() -> tuple[str, ...]:
    """Names of the registered models, sorted.

    >>> {"lstm", "gru", "qkan_lstm"} <= set(names())
    True
    """
    return tuple(sorted(_REGISTRY))


def _entry(name: str) -> _Entry:
    if name not in _REGISTRY:
        raise ValueError(f"unknown model {name!r}; registered: {list(names())}")
    return _REGISTRY[name]


def config_class(name: str) -> type[ModelConfig]:
    """The typed config class of model ``name``.

    >>> config_class("kan_lstm").from_dict({"grid_size": 8}).grid_size
    8
    """
    return _entry(name).config


def describe(name: str) -> str:
    """What model ``name`` is and its parameter-count formula (its builder's docstring).

    >>> "4H(I + H + 1)" in describe("lstm")
    True
    """
    return inspect.cleandoc(_entry(name).build.__doc__ or "")


def make_config(name: str, options: Mapping[str, Any] | None = None) -> ModelConfig:
    """Model ``name``'s config from a plain dict (``None``: all defaults)."""
    return _entry(name).config.from_dict(options or {}, model=name)


def _sizes(
    name: str, input_size: Any, hidden_size: Any, output_size: Any
) -> tuple[int, int | None, int]:
    entry = _entry(name)
    for key, value in (("input_size", input_size), ("output_size", output_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{key} must be a positive int, got {value!r}")
    if hidden_size is None and entry.hidden_optional:
        return input_size, None, output_size
    if isinstance(hidden_size, bool) or not isinstance(hidden_size, int) or hidden_size < 1:
        extra = " (or None for the default latent width)" if entry.hidden_optional else ""
        raise ValueError(
            f"hidden_size of model {name!r} must be a positive int{extra}, got {hidden_size!r}"
        )
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
        The model (see the module docstring for its interface).

    Raises:
        ValueError: unknown name or option, bad sizes or option values.
        TypeError: an option of the wrong type.
        ImportError: an optional dependency is missing (``xlstm_ref``).
    """
    i, h, o = _sizes(name, input_size, hidden_size, output_size)
    cfg = make_config(name, options)
    return _entry(name).build(cfg, i, h, o)


def parameter_formula(
    name: str,
    *,
    input_size: int,
    hidden_size: int | None,
    output_size: int = 1,
    **options: Any,
) -> int:
    """Model ``name``'s trainable-parameter count by its documented formula (no model built).

    >>> parameter_formula("gru", input_size=1, hidden_size=5)  # 3H(I+H) + 6H + (H+1)O
    126
    """
    i, h, o = _sizes(name, input_size, hidden_size, output_size)
    cfg = make_config(name, options)
    return _entry(name).count(cfg, i, h, o)


def set_executor(
    model: nn.Module, executor: Executor, options: Mapping[str, Any] | None = None
) -> int:
    """Switch every circuit layer of ``model`` to ``executor`` (e.g. after training).

    Calls ``set_executor(executor, **options)`` on submodules that have it (VQC layers) and
    sets ``executor`` / ``executor_options`` on those that have both attributes (QKAN
    layers). VQC layers accept ``"statevector"``, ``"pennylane"`` and ``"qiskit"``; QKAN
    layers also ``"auto"`` and ``"fourier"``. Returns the number of layers changed.

    >>> set_executor(build("lstm", input_size=1, hidden_size=2), "fourier")
    0
    """
    if executor not in get_args(Executor):
        raise ValueError(f"executor must be one of {get_args(Executor)}, got {executor!r}")
    changed = 0
    for module in model.modules():
        if callable(getattr(module, "set_executor", None)):
            module.set_executor(executor, **dict(options or {}))
            changed += 1
        elif hasattr(module, "executor") and hasattr(module, "executor_options"):
            module.executor = executor
            module.executor_options = dict(options or {})
            changed += 1
    return changed


# --------------------------------------------------------------------------- classical
def _gen(cfg: ModelConfig) -> Any:
    from .classical.checks import make_generator

    return make_generator(cfg.seed)


def _head(h: int, o: int) -> int:
    return (h + 1) * o


def _build_lstm(cfg: LSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``lstm``: four-map LSTM with ``Linear`` maps and a linear head.

    Parameters: ``4H(I + H + 1) + (H + 1)O`` (one bias per gate; ``torch.nn.LSTM`` has two,
    ``4H`` more).
    """
    g = _gen(cfg)
    return RecurrentModel(LSTMCell(i, h, linear_maps(g), fused=cfg.fused), o, generator=g)


def _count_lstm(cfg: LSTMConfig, i: int, h: int, o: int) -> int:
    return 4 * h * (i + h + 1) + _head(h, o)


def _build_gru(cfg: GRUConfig, i: int, h: int, o: int) -> nn.Module:
    """``gru``: GRU (``torch.nn.GRU`` equations). Parameters: ``3H(I + H) + 6H + (H + 1)O``."""
    g = _gen(cfg)
    return RecurrentModel(GRUCell(i, h, generator=g), o, generator=g)


def _count_gru(cfg: GRUConfig, i: int, h: int, o: int) -> int:
    return 3 * h * (i + h) + 6 * h + _head(h, o)


def _build_mlp(cfg: MLPConfig, i: int, h: int, o: int) -> nn.Module:
    """``mlp``: ``Linear(T·I, H) -> act -> Linear(H, O)`` on the flattened window of ``T``
    steps. Parameters: ``(T·I + 1)H + (H + 1)O``."""
    g = _gen(cfg)
    net = WindowMLP(cfg.window * i, h, o, activation=cfg.activation, generator=g)
    return WindowModel(net, window=cfg.window, input_size=i)


def _count_mlp(cfg: MLPConfig, i: int, h: int, o: int) -> int:
    return (cfg.window * i + 1) * h + _head(h, o)


def _kan_maps(cfg: KANLSTMConfig | JHCGConfig, g: Any) -> MapFactory:
    def make(fin: int, fout: int) -> nn.Module:
        return BSplineKAN(
            fin,
            fout,
            grid_size=cfg.grid_size,
            spline_order=cfg.spline_order,
            grid_range=cfg.grid_range,
            generator=g,
        )

    return make


def _build_kan_lstm(cfg: KANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``kan_lstm``: LSTM whose gate maps are B-spline KAN layers on ``[x_t, h_{t-1}]``
    (fused into one ``KAN(I + H -> 4H)``, identical to four ``KAN(I + H -> H)``).

    Parameters: ``4H(I + H)(G + k + 1) + (H + 1)O`` (grid size ``G``, spline order ``k``).
    """
    g = _gen(cfg)
    return RecurrentModel(LSTMCell(i, h, _kan_maps(cfg, g), fused=True), o, generator=g)


def _count_kan_lstm(cfg: KANLSTMConfig, i: int, h: int, o: int) -> int:
    return kan_parameter_count(i + h, 4 * h, cfg.grid_size, cfg.spline_order) + _head(h, o)


def _build_slstm(cfg: SLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``slstm``: sLSTM cell (xLSTM) and a linear head.

    Parameters: ``4H(I + H + 1) + (H + 1)O``.
    """
    g = _gen(cfg)
    return RecurrentModel(SLSTMCell(i, h, linear_maps(g), forget=cfg.forget), o, generator=g)


def _build_mlstm(cfg: MLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``mlstm``: mLSTM cell (xLSTM) and a linear head.

    Parameters: ``(4H + 2)(I + 1) + (H + 1)O``.
    """
    g = _gen(cfg)
    return RecurrentModel(MLSTMCell(i, h, generator=g), o, generator=g)


def _count_mlstm(cfg: MLSTMConfig, i: int, h: int, o: int) -> int:
    return (4 * h + 2) * (i + 1) + _head(h, o)


def _build_xlstm_ref(cfg: XLSTMRefConfig, i: int, h: int, o: int) -> nn.Module:
    """``xlstm_ref``: the ``xlstm`` package's sLSTM stack (needs ``pip install qmem[xlstm]``).

    Parameters: ``(I + 1)H + stack + (H + 1)O``; the stack's count is the package's.
    """
    return XLSTMRef(
        i,
        h,
        o,
        num_blocks=cfg.num_blocks,
        num_heads=cfg.num_heads,
        context_length=cfg.context_length,
        generator=_gen(cfg),
    )


def _count_xlstm_ref(cfg: XLSTMRefConfig, i: int, h: int, o: int) -> int:
    model = _build_xlstm_ref(cfg, i, h, o)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _latent(window: int, i: int, h: int | None) -> int:
    return default_latent_size(window * i) if h is None else h


def _window_jhcg(
    cfg: Any, maps: Callable[[Any, Any], MapFactory], i: int, h: int | None, o: int
) -> nn.Module:
    """JHCG encoder -> latent map (from ``maps(cfg, generator)``) -> decoder on the window."""
    g = _gen(cfg)
    net = JHCG(cfg.window * i, o, maps(cfg, g), latent_size=_latent(cfg.window, i, h), generator=g)
    return WindowModel(net, window=cfg.window, input_size=i)


def _build_jhcg(cfg: JHCGConfig, i: int, h: int | None, o: int) -> nn.Module:
    """``jhcg``: JHCG Net on the flattened window: ``Linear(T·I, k) -> KAN(k, k) ->
    Linear(k, O)``, ``k = hidden_size`` or ``⌈log2(T·I)⌉``.

    Parameters: ``(T·I + 1)k + k²(G + s + 1) + (k + 1)O``.
    """
    return _window_jhcg(cfg, _kan_maps, i, h, o)


def _count_jhcg(cfg: JHCGConfig, i: int, h: int | None, o: int) -> int:
    k = _latent(cfg.window, i, h)
    kan = kan_parameter_count(k, k, cfg.grid_size, cfg.spline_order)
    return (cfg.window * i + 1) * k + kan + _head(k, o)


# --------------------------------------------------------------------------- QKAN models
def _qkan_maps(cfg: _QKANOptions, g: Any) -> MapFactory:
    from .circuits import QKANLayer

    def make(fin: int, fout: int) -> nn.Module:
        return QKANLayer(
            fin,
            fout,
            cfg.reps,
            cfg.ansatz,
            preact_trainable=cfg.preact_trainable,
            base_activation=cfg.base_activation,
            executor=cfg.executor,
            executor_options=cfg.executor_options,
            seed=g,
        )

    return make


def _qkan_count(cfg: _QKANOptions, fin: int, fout: int) -> int:
    from .circuits import QKANLayer

    return QKANLayer.count_formula(
        fin,
        fout,
        cfg.reps,
        cfg.ansatz,
        preact_trainable=cfg.preact_trainable,
        base_activation=cfg.base_activation,
    )


def _build_qkan_lstm(cfg: QKANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qkan_lstm``: QKAN-LSTM, gate maps ``QKANLayer(I + H -> H)`` (fused into one
    ``QKANLayer(I + H -> 4H)``, identical because every edge is independent), linear head.

    Parameters: ``4H(I + H)·e + (H + 1)O`` with ``e`` the per-edge count of a QKAN layer:
    ``2(r + 1)`` (pz), ``r + 1`` (rpz) or ``r`` (real), ``+ 2r`` with trainable
    pre-activations, ``+ 1`` with the SiLU base branch.
    """
    g = _gen(cfg)
    return RecurrentModel(LSTMCell(i, h, _qkan_maps(cfg, g), fused=True), o, generator=g)


def _count_qkan_lstm(cfg: QKANLSTMConfig, i: int, h: int, o: int) -> int:
    return _qkan_count(cfg, i + h, 4 * h) + _head(h, o)


def _build_hqkan_lstm(cfg: HQKANLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``hqkan_lstm``: HQKAN-LSTM, each gate map ``Linear(I + H, d) -> QKANLayer(d, d) ->
    Linear(d, H)``, ``d = latent_size`` or ``⌈log2(I + H)⌉``; ``shared=True``: one bottleneck
    ``Linear(I + H, d) -> QKANLayer(d, d) -> Linear(d, 4H)`` split into the four gates.

    Parameters (``v = I + H``, ``e`` per QKAN edge as in ``qkan_lstm``):
    ``4[(v + 1)d + d²e + (d + 1)H] + (H + 1)O``; shared: ``(v + 1)d + d²e + (d + 1)4H +
    (H + 1)O``.
    """
    g = _gen(cfg)
    qkan = _qkan_maps(cfg, g)
    d = cfg.latent_size

    def make(fin: int, fout: int) -> nn.Module:
        return JHCG(fin, fout, qkan, latent_size=d, generator=g)

    cell = LSTMCell(i, h, make, fused=cfg.shared)
    return RecurrentModel(cell, o, generator=g)


def _count_hqkan_lstm(cfg: HQKANLSTMConfig, i: int, h: int, o: int) -> int:
    v = i + h
    d = default_latent_size(v) if cfg.latent_size is None else cfg.latent_size
    one = (v + 1) * d + _qkan_count(cfg, d, d)
    if cfg.shared:
        return one + (d + 1) * 4 * h + _head(h, o)
    return 4 * (one + (d + 1) * h) + _head(h, o)


def _build_hqkan(cfg: HQKANConfig, i: int, h: int | None, o: int) -> nn.Module:
    """``hqkan``: HQKAN on the flattened window: ``Linear(T·I, k) -> QKANLayer(k, k) ->
    Linear(k, O)``, ``k = hidden_size`` or ``⌈log2(T·I)⌉``.

    Parameters: ``(T·I + 1)k + k²e + (k + 1)O`` (``e`` per QKAN edge as in ``qkan_lstm``).
    """
    return _window_jhcg(cfg, _qkan_maps, i, h, o)


def _count_hqkan(cfg: HQKANConfig, i: int, h: int | None, o: int) -> int:
    k = _latent(cfg.window, i, h)
    return (cfg.window * i + 1) * k + _qkan_count(cfg, k, k) + _head(k, o)


# --------------------------------------------------------------------------- QLSTM
def _vqc_maps(cfg: QLSTMConfig, g: Any, family: Literal["chen2020", "chen2024"]) -> MapFactory:
    from .circuits.vqc import VQCLayer

    def make(fin: int, fout: int) -> nn.Module:
        return VQCLayer(
            fin,
            cfg.n_layers,
            family=family,
            n_outputs=fout,
            executor=cfg.executor,
            executor_options=cfg.executor_options,
            generator=g,
        )

    return make


def _build_qlstm(cfg: QLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qlstm``: QLSTM, paper form (Chen, Yoo, Fang 2020): six ``chen2020`` VQCs of
    ``n = I + H`` qubits in the six-map cell (gates read all ``n`` qubits, cell size ``n``;
    ``h_t`` = VQC5 read on the first ``H`` qubits; ``y_t`` = VQC6 on all ``n``), linear head
    on ``y_t``. The paper trains it with RMSprop (lr 0.01, α 0.99).

    Parameters: ``18·L·n`` quantum (six VQCs of ``L`` layers, ``Rot`` = 3 angles per qubit
    and layer) ``+ (n + 1)O`` classical.
    """
    g = _gen(cfg)
    cell = SixMapLSTMCell(i, h, _vqc_maps(cfg, g, "chen2020"))
    return RecurrentModel(cell, o, generator=g)


def _count_qlstm(cfg: QLSTMConfig, i: int, h: int, o: int) -> int:
    n = i + h
    return 18 * cfg.n_layers * n + _head(n, o)


def _build_qlstm_2024(cfg: QLSTMConfig, i: int, h: int, o: int) -> nn.Module:
    """``qlstm_2024``: the authors' later QLSTM: four ``chen2024`` VQCs of ``n = I + H``
    qubits on ``v_t``, each read on the first ``H`` qubits, standard LSTM update, linear
    head on ``h_t``.

    Parameters: ``4·L·n`` quantum (one ``RY`` per qubit and layer) ``+ (H + 1)O`` classical.
    """
    g = _gen(cfg)
    cell = LSTMCell(i, h, _vqc_maps(cfg, g, "chen2024"), fused=False)
    return RecurrentModel(cell, o, generator=g)


def _count_qlstm_2024(cfg: QLSTMConfig, i: int, h: int, o: int) -> int:
    return 4 * cfg.n_layers * (i + h) + _head(h, o)


_register("lstm", LSTMConfig, _build_lstm, _count_lstm)
_register("gru", GRUConfig, _build_gru, _count_gru)
_register("mlp", MLPConfig, _build_mlp, _count_mlp)
_register("kan_lstm", KANLSTMConfig, _build_kan_lstm, _count_kan_lstm)
_register("slstm", SLSTMConfig, _build_slstm, _count_lstm)
_register("mlstm", MLSTMConfig, _build_mlstm, _count_mlstm)
_register("xlstm_ref", XLSTMRefConfig, _build_xlstm_ref, _count_xlstm_ref)
_register("jhcg", JHCGConfig, _build_jhcg, _count_jhcg, hidden_optional=True)
_register("qkan_lstm", QKANLSTMConfig, _build_qkan_lstm, _count_qkan_lstm)
_register("hqkan_lstm", HQKANLSTMConfig, _build_hqkan_lstm, _count_hqkan_lstm)
_register("hqkan", HQKANConfig, _build_hqkan, _count_hqkan, hidden_optional=True)
_register("qlstm", QLSTMConfig, _build_qlstm, _count_qlstm)
_register("qlstm_2024", QLSTMConfig, _build_qlstm_2024, _count_qlstm_2024)
