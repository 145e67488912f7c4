"""Circuit definitions and their executors (installed as ``qmem.circuits``).

Import through ``qmem.circuits``. Heavy SDKs (PennyLane, Qiskit) are imported only when
their executor runs.
"""

from .ir import Circuit, Op

__all__ = ["Circuit", "Op"]
