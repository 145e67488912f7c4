"""Time-series generators, loaders, windowing and splits (installed as ``qmem.datasets``).

Build any dataset by name, then window, split and scale it:

>>> from qmem import datasets
>>> "damped_shm" in datasets.names()
True
>>> series = datasets.make("damped_shm")
>>> series.values.shape, series.values.dtype
((240,), dtype('float64'))
>>> split = datasets.window_split(series, window=4, fractions=(0.67, 0.33))
>>> split.train.X.shape, split.test.Y.shape
(torch.Size([157, 4, 1]), torch.Size([79, 1]))

Every dataset's options are a frozen :class:`qmem.config.Config` (``DatasetConfig``); a new
dataset joins with :func:`register_dataset`. See ``docs/datasets.md`` for every dataset's
definition, options, bounds, source and licence.
"""

from .bessel import BesselConfig
from .config import DatasetConfig
from .damped_shm import DampedSHMConfig
from .delayed_quantum_control import DelayedQuantumControlConfig
from .milan import MilanTelecomConfig, load_embedded_milan
from .milan_raw import MILAN_SIGNALS, milan_day_files, read_milan_raw
from .narma import NarmaConfig
from .population_inversion import PopulationInversionConfig
from .registry import (
    DatasetSpec,
    config_type,
    generate,
    make,
    make_config,
    names,
    register_dataset,
    spec,
    unregister_dataset,
)
from .scaling import Scaler, ScalerKind
from .series import Series, add_noise
from .sine import SineConfig
from .tabular import CsvConfig
from .windowing import Protocol, Windows, WindowSplit, make_windows, window_split

__all__ = [
    "MILAN_SIGNALS",
    "BesselConfig",
    "CsvConfig",
    "DampedSHMConfig",
    "DatasetConfig",
    "DatasetSpec",
    "DelayedQuantumControlConfig",
    "MilanTelecomConfig",
    "NarmaConfig",
    "PopulationInversionConfig",
    "Protocol",
    "Scaler",
    "ScalerKind",
    "Series",
    "SineConfig",
    "WindowSplit",
    "Windows",
    "add_noise",
    "config_type",
    "generate",
    "load_embedded_milan",
    "make",
    "make_config",
    "make_windows",
    "milan_day_files",
    "names",
    "read_milan_raw",
    "register_dataset",
    "spec",
    "unregister_dataset",
    "window_split",
]
