"""The experiment config: ``[data]``, ``[model]`` and ``[train]`` sections, loaded strictly.

An experiment is a pure function of this config (its seeds included). The ``[data]`` and
``[model]`` sections hold their own keys *and* the options of the named dataset or model, flat,
as a user writes them in TOML; those options are checked by the dataset's or model's own
typed config when the experiment config is made, so every mistake is refused before any work
starts (unknown key -> ``ValueError`` naming the nearest valid key, wrong type -> ``TypeError``,
value out of range -> ``ValueError``).

>>> cfg = ExperimentConfig.from_dict({
...     "data": {"name": "damped_shm", "window": 4},
...     "model": {"name": "qkan_lstm", "hidden_size": 1, "reps": 1},
...     "train": {"epochs": 2, "batch_size": 10, "lr": 0.01},
... })
>>> cfg.model.options["reps"], cfg.train.optimizer
(1, 'adam')
>>> ExperimentConfig.from_dict({"data": {"name": "damped_shm"}, "model": {"name": "lstm",
...     "hidden_size": 2, "rep": 1}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: [model]: ...'rep'...
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, model_validator

from ..config import Config, suggest

__all__ = [
    "DTypeName",
    "DataSection",
    "DeviceName",
    "ExperimentConfig",
    "ModelSection",
    "OptimizerName",
    "ScheduleName",
    "TrainSection",
]

OptimizerName = Literal["adam", "rmsprop", "sgd", "lbfgs"]
"""``[train] optimizer``: ``torch.optim.Adam``, ``RMSprop``, ``SGD`` or ``LBFGS`` (strong-Wolfe
line search); see :func:`qmem.experiments.trainer.make_optimizer`."""
ScheduleName = Literal["none", "step", "cosine", "exponential"]
"""``[train] schedule``: the per-epoch learning-rate schedule (``"none"``: constant); see
:func:`qmem.experiments.trainer.make_scheduler`."""
DeviceName = Literal["auto", "cpu", "cuda"]
"""``[train] device``: ``"auto"`` (CUDA when torch sees one, else CPU), ``"cpu"`` or ``"cuda"``;
see :func:`qmem.experiments.trainer.resolve_device`."""
DTypeName = Literal["float32", "float64"]
"""``[train] dtype``: the floating dtype the model and the data are made in; see
:func:`qmem.experiments.trainer.resolve_dtype`."""


def _split_options(
    data: Any, own: Mapping[str, Any], section: str
) -> Any:
    """Move every key that is not one of the section's own fields into ``options``."""
    if not isinstance(data, Mapping):
        return data
    if "options" in data and not isinstance(data["options"], Mapping):
        raise TypeError(
            f"[{section}] options must be a table, got {type(data['options']).__name__}"
        )
    out = {k: v for k, v in data.items() if k in own and k != "options"}
    extra = dict(data.get("options") or {})
    for k, v in data.items():
        if k not in own:
            extra[k] = v
    out["options"] = extra
    return out


def _check_keys(
    options: Mapping[str, Any], fields: Any, section: Any, owner: str
) -> None:
    """Refuse option keys that neither the section nor the named config knows."""
    own = [k for k in section if k != "options"]
    allowed = sorted(set(fields) | set(own))
    for key in options:
        if key not in fields:
            raise ValueError(
                f"unknown option {key!r}{suggest(key, allowed)} for {owner}; allowed: "
                + ", ".join(allowed)
            )


class DataSection(Config):
    """``[data]``: a registered dataset, its options, and how it is windowed and split.

    Attributes:
        name: a registered dataset (``qmem datasets`` lists them).
        window: input steps per window (T).
        horizon: future values per target.
        fractions: (train, test) or (train, val, test) fractions of the series; a validation
            split is needed for early stopping.
        protocol: ``"honest"`` (scaler fitted on train; default) or ``"paper"`` (the
            authors' convention: scaler fitted on the whole series; labelled in reports).
        scaler: ``"minmax"`` (to [-1, 1]), ``"standard"`` or ``"none"``.
        target: channel predicted (multi-channel series).
        options: the dataset's own options (written flat in the TOML section).

    Raises:
        ValueError: an unknown dataset or option (naming the nearest valid one), fractions
            that are not 2 or 3 values in (0, 1) summing to 1, a dataset option out of range.
        TypeError: a value of the wrong type.

    >>> data = DataSection.from_dict({"name": "sine", "num": 60, "window": 8})
    >>> data.window, data.options, data.has_validation
    (8, {'num': 60}, True)
    >>> DataSection.from_dict({"name": "sine", "nmu": 60})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: [data]: unknown option 'nmu' (did you mean 'num'?) for dataset 'sine'; ...
    >>> DataSection(name="sine", fractions=(0.5, 0.6))
    Traceback (most recent call last):
    ...
    ValueError: [data]: fractions must each lie in (0, 1) and sum to 1, got (0.5, 0.6)
    """

    label = "[data]"

    name: str
    window: int = Field(4, ge=1, le=10_000)
    horizon: int = Field(1, ge=1, le=10_000)
    fractions: tuple[float, ...] = (0.7, 0.1, 0.2)
    protocol: Literal["honest", "paper"] = "honest"
    scaler: Literal["minmax", "standard", "none"] = "minmax"
    target: int = Field(0, ge=0)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _flat_options(cls, data: Any) -> Any:
        return _split_options(data, cls.model_fields, "data")

    @model_validator(mode="after")
    def _check(self) -> DataSection:
        from .. import datasets

        if self.name not in datasets.names():
            raise ValueError(
                f"unknown dataset {self.name!r}{suggest(self.name, datasets.names())}; "
                f"registered: {', '.join(datasets.names())}"
            )
        if len(self.fractions) not in (2, 3):
            raise ValueError(
                f"fractions must be (train, test) or (train, val, test), got {self.fractions}"
            )
        if any(not 0.0 < f < 1.0 for f in self.fractions) or abs(sum(self.fractions) - 1) > 1e-9:
            raise ValueError(
                f"fractions must each lie in (0, 1) and sum to 1, got {self.fractions}"
            )
        _check_keys(self.options, datasets.config_type(self.name).model_fields,
                    type(self).model_fields, f"dataset {self.name!r}")
        datasets.make_config(self.name, self.options)  # raises on a bad dataset option
        return self

    @property
    def has_validation(self) -> bool:
        """Whether a validation split is made (three fractions)."""
        return len(self.fractions) == 3

    def to_flat(self) -> dict[str, Any]:
        """The section as written in TOML (dataset options flat)."""
        out = {k: v for k, v in self.to_dict().items() if k != "options"}
        out.update(self.options)
        return out


class ModelSection(Config):
    """``[model]``: a registered model, its size, and its options.

    Attributes:
        name: a registered model (``qmem models`` lists them).
        hidden_size: hidden width H (for ``jhcg``/``hqkan`` the latent width; None there
            means the default). Give this or ``budget``.
        budget: instead of ``hidden_size``: the hidden size whose trainable-parameter count
            is nearest this budget is used (the actual count is reported).
        options: the model's own options (written flat); ``seed`` defaults to the
            ``[train]`` seed.

    Raises:
        ValueError: an unknown model or option (naming the nearest valid one), both
            ``hidden_size`` and ``budget``, a model option out of range.
        TypeError: a value of the wrong type.

    >>> model = ModelSection.from_dict({"name": "qkan_lstm", "hidden_size": 2, "reps": 1})
    >>> model.options, model.to_flat()
    ({'reps': 1}, {'name': 'qkan_lstm', 'hidden_size': 2, 'reps': 1})
    >>> ModelSection.from_dict({"name": "lstm", "hidden_size": 2, "budget": 100})
    Traceback (most recent call last):
    ...
    ValueError: [model]: give hidden_size or budget, not both
    """

    label = "[model]"

    name: str
    hidden_size: int | None = Field(None, ge=1, le=100_000)
    budget: int | None = Field(None, ge=1, le=1_000_000_000)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _flat_options(cls, data: Any) -> Any:
        return _split_options(data, cls.model_fields, "model")

    @model_validator(mode="after")
    def _check(self) -> ModelSection:
        from .. import models

        if self.name not in models.names():
            raise ValueError(
                f"unknown model {self.name!r}{suggest(self.name, models.names())}; "
                f"registered: {', '.join(models.names())}"
            )
        if self.hidden_size is not None and self.budget is not None:
            raise ValueError("give hidden_size or budget, not both")
        _check_keys(self.options, models.config_class(self.name).model_fields,
                    type(self).model_fields, f"model {self.name!r}")
        models.make_config(self.name, self.options)  # raises on a bad model option
        return self

    def to_flat(self) -> dict[str, Any]:
        """The section as written in TOML (model options flat, None values left out)."""
        out = {k: v for k, v in self.to_dict().items() if k != "options" and v is not None}
        out.update(self.options)
        return out


class TrainSection(Config):
    """``[train]``: optimiser, schedule, batches, stopping, device and dtype.

    Attributes:
        epochs: passes over the training windows.
        batch_size: windows per optimiser step.
        shuffle: reshuffle the windows every epoch (seeded); False keeps them in order, as
            the QLSTM authors' script does.
        optimizer: ``"adam"`` (default), ``"rmsprop"``, ``"sgd"`` or ``"lbfgs"``.
        lr: learning rate.
        weight_decay: L2 penalty of the optimiser.
        momentum: SGD / RMSprop momentum.
        alpha: RMSprop smoothing constant.
        eps: Adam / RMSprop epsilon.
        betas: Adam betas.
        schedule: learning-rate schedule per epoch: ``"none"``, ``"step"`` (× ``gamma``
            every ``step_size`` epochs), ``"exponential"`` (× ``gamma`` each epoch) or
            ``"cosine"`` (to 0 over ``epochs``).
        step_size: epochs per step of the ``"step"`` schedule.
        gamma: decay factor of ``"step"`` and ``"exponential"``.
        clip_grad_norm: clip the gradient's global 2-norm to this value (None: no clipping).
        patience: early stopping: stop after this many epochs without a better validation
            loss and restore the best weights (None: off; needs a validation split).
        seed: seed of the data order (and of the model's weights unless ``[model]`` names
            its own ``seed``).
        device: ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
        dtype: ``"float32"`` or ``"float64"``: the model and the data are made in it.
        threads: torch intra-op threads for this run (None: leave torch's setting).

    Raises:
        ValueError: a value out of range or not among the allowed names (the message lists
            them), betas outside [0, 1).
        TypeError: a value of the wrong type (``lr="0.1"``).

    >>> train = TrainSection(optimizer="sgd", lr=0.1, momentum=0.9)
    >>> train.optimizer, train.lr, train.epochs, train.schedule, train.dtype
    ('sgd', 0.1, 30, 'none', 'float32')
    >>> TrainSection(optimizer="adamw")
    Traceback (most recent call last):
    ...
    ValueError: [train]: option 'optimizer' must be 'adam', 'rmsprop', 'sgd' or 'lbfgs', got 'adamw'
    """

    label = "[train]"

    epochs: int = Field(30, ge=1, le=1_000_000)
    batch_size: int = Field(16, ge=1, le=10_000_000)
    shuffle: bool = True
    optimizer: OptimizerName = "adam"
    lr: float = Field(0.01, gt=0.0, le=100.0)
    weight_decay: float = Field(0.0, ge=0.0)
    momentum: float = Field(0.0, ge=0.0, lt=1.0)
    alpha: float = Field(0.99, gt=0.0, lt=1.0)
    eps: float = Field(1e-8, gt=0.0)
    betas: tuple[float, float] = (0.9, 0.999)
    schedule: ScheduleName = "none"
    step_size: int = Field(10, ge=1)
    gamma: float = Field(0.5, gt=0.0, le=1.0)
    clip_grad_norm: float | None = Field(None, gt=0.0)
    patience: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    device: DeviceName = "auto"
    dtype: DTypeName = "float32"
    threads: int | None = Field(None, ge=1, le=1024)

    @model_validator(mode="after")
    def _check(self) -> TrainSection:
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must lie in [0, 1), got {self.betas}")
        return self


class ExperimentConfig(Config):
    """One experiment: ``[data]``, ``[model]``, ``[train]`` and an optional ``name``.

    Attributes:
        name: a label for reports (default: the model's name).
        data: the data section.
        model: the model section.
        train: the training section (all defaults when omitted).
    """

    label = "experiment config"

    name: str | None = None
    data: DataSection
    model: ModelSection
    train: TrainSection = Field(default_factory=TrainSection)

    def _make(self, data: Mapping[str, Any], owner: str) -> None:
        # build the sections through their own configs first, so that a message names the
        # section and the key, not the nesting
        if not isinstance(data, Mapping):  # pragma: no cover - from_dict checks this
            raise TypeError(f"{owner}: expected a mapping, got {type(data).__name__}")
        out = dict(data)
        for key, section in (("data", DataSection), ("model", ModelSection),
                             ("train", TrainSection)):
            value = out.get(key)
            if isinstance(value, Mapping):
                out[key] = section.from_dict(value)
            elif value is not None and not isinstance(value, section):
                raise TypeError(
                    f"{owner}: [{key}] must be a table, got {type(value).__name__}"
                )
        super()._make(out, owner)

    @model_validator(mode="after")
    def _check(self) -> ExperimentConfig:
        if self.train.patience is not None and not self.data.has_validation:
            raise ValueError(
                "[train] patience (early stopping) needs a validation split: give "
                "[data] fractions = [train, val, test]"
            )
        return self

    @property
    def title(self) -> str:
        """The run's label: ``name`` or the model's name."""
        return self.name or self.model.name

    def model_options(self) -> dict[str, Any]:
        """The model's options, resolved: every default written out, ``seed`` defaulting to
        the ``[train]`` seed."""
        from .. import models

        merged = {"seed": self.train.seed, **self.model.options}
        return models.make_config(self.model.name, merged).to_dict()

    def data_options(self) -> dict[str, Any]:
        """The dataset's options, resolved (every default written out)."""
        from .. import datasets

        return datasets.make_config(self.data.name, self.data.options).to_dict()

    @cached_property
    def _nested(self) -> dict[str, Any]:
        # derived once per (frozen) config: it builds the model's and dataset's configs
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        data = {k: v for k, v in self.data.to_dict().items() if k != "options"}
        out["data"] = {**data, **self.data_options()}
        model = {k: v for k, v in self.model.to_dict().items()
                 if k != "options" and v is not None}
        out["model"] = {**model, **{k: v for k, v in self.model_options().items()
                                    if v is not None}}
        out["train"] = {k: v for k, v in self.train.to_dict().items() if v is not None}
        return out

    def to_nested(self) -> dict[str, Any]:
        """The resolved config as nested plain dicts in the TOML layout (options flat, every
        default written out): loading it back gives the same experiment. A fresh copy on
        each call."""
        return copy.deepcopy(self._nested)
