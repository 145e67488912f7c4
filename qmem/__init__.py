"""qmem: quantum and quantum-inspired memory models with exact emulation and real simulators.

>>> import qmem
>>> isinstance(qmem.__version__, str)
True
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qmem")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "config_schema", "count_parameters", "hidden_size_for_budget"]


def __getattr__(name: str) -> object:
    # lazy: ``import qmem`` stays light (no torch model code until asked for)
    if name in ("count_parameters", "hidden_size_for_budget"):
        from . import params

        return getattr(params, name)
    if name == "config_schema":
        from .schema import config_schema

        return config_schema
    raise AttributeError(f"module 'qmem' has no attribute {name!r}")
