"""Model zoo: every model is one line to build from a name and a plain dict of options.

``build(name, *, input_size, hidden_size, output_size=1, **options)`` builds a model; the
options are the fields of the model's typed, frozen config (:func:`config_class`, a
:class:`ModelConfig`), checked strictly when the config is made (unknown keys, wrong types
and out-of-range values raise). ``names()`` lists the registered models and
``parameter_formula`` evaluates each model's documented parameter-count formula.
:func:`register` adds a model, from inside the package or from user code.

Every model maps ``x (B, T, input_size)`` to ``(y, state)``. Recurrent models (attribute
``recurrent = True``) return ``y (B, T, output_size)``, accept the returned state to go on,
and have ``step(x_t, state)``; window models (``recurrent = False``, attribute ``window``)
read exactly ``window`` steps and return ``y (B, 1, output_size)`` and state ``None``. In
both cases ``y[:, -1]`` is the forecast after the last input step. All randomness comes
from the ``seed`` option (a ``torch.Generator``; the global RNG is never seeded).

The package: :mod:`~qmem.models.registry` (the table and its functions),
:mod:`~qmem.models.base` (:class:`ModelConfig`), one module per family
(:mod:`~qmem.models.classical`, :mod:`~qmem.models.kan`, :mod:`~qmem.models.qkan`,
:mod:`~qmem.models.qlstm`, :mod:`~qmem.models.lstm_variant`, :mod:`~qmem.models.titans`,
:mod:`~qmem.models.s4d`), and the shared :mod:`~qmem.models.circuit_options`,
:mod:`~qmem.models.window` and :mod:`~qmem.models.execution` (``set_executor``).

>>> model = build("lstm", input_size=1, hidden_size=5, seed=0)
>>> import torch
>>> y, (h, c) = model(torch.zeros(2, 7, 1))
>>> y.shape, parameter_formula("lstm", input_size=1, hidden_size=5)
(torch.Size([2, 7, 1]), 146)
>>> build("lstm", input_size=1, hidden_size=5, reps=2)
Traceback (most recent call last):
...
ValueError: model 'lstm': unknown option 'reps'; allowed: fused, seed
"""

from .base import ModelConfig
from .circuit_options import QKANOptions, VQCOptions
from .classical import (
    GRUConfig,
    LSTMConfig,
    MLPConfig,
    MLSTMConfig,
    SLSTMConfig,
    XLSTMRefConfig,
)
from .execution import set_executor
from .kan import JHCGConfig, KANLSTMConfig
from .lstm_variant import LSTMVariantConfig
from .qkan import HQKANConfig, HQKANLSTMConfig, QKANLSTMConfig
from .qlstm import QLSTMConfig
from .registry import (
    ModelEntry,
    build,
    config_class,
    describe,
    make_config,
    names,
    parameter_formula,
    register,
    unregister,
)
from .s4d import S4DConfig
from .titans import TitansMemoryConfig

__all__ = [
    "GRUConfig",
    "HQKANConfig",
    "HQKANLSTMConfig",
    "JHCGConfig",
    "KANLSTMConfig",
    "LSTMConfig",
    "LSTMVariantConfig",
    "MLPConfig",
    "MLSTMConfig",
    "ModelConfig",
    "ModelEntry",
    "QKANLSTMConfig",
    "QKANOptions",
    "QLSTMConfig",
    "S4DConfig",
    "SLSTMConfig",
    "TitansMemoryConfig",
    "VQCOptions",
    "XLSTMRefConfig",
    "build",
    "config_class",
    "describe",
    "make_config",
    "names",
    "parameter_formula",
    "register",
    "set_executor",
    "unregister",
]
