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

__all__ = ["__version__"]
