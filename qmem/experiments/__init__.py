"""Experiments: typed configs, training, crash-safe run folders, comparisons and reports.

>>> from qmem.experiments import ExperimentConfig
>>> ExperimentConfig.from_dict({"data": {"name": "sine"},
...     "model": {"name": "gru", "hidden_size": 3}}).train.epochs
30
"""

from .config import DataSection, ExperimentConfig, ModelSection, TrainSection
from .run import RunStateError, load_run_config, load_run_model, run_experiment, run_id
from .toml_io import apply_overrides, dumps, load_config
from .trainer import NonFiniteLoss
from .weights import load_weights, model_spec, save_weights

__all__ = [
    "DataSection",
    "ExperimentConfig",
    "ModelSection",
    "NonFiniteLoss",
    "RunStateError",
    "TrainSection",
    "apply_overrides",
    "dumps",
    "load_config",
    "load_run_config",
    "load_run_model",
    "load_weights",
    "model_spec",
    "run_experiment",
    "run_id",
    "save_weights",
]
