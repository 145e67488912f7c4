"""Circuit definitions and their executors (installed as ``qmem.circuits``).

Import through ``qmem.circuits``. Heavy SDKs (PennyLane, Qiskit) are imported only when
their executor runs.

>>> import torch
>>> from qmem.circuits import QKANLayer, daruan
>>> daruan(torch.zeros(3), torch.zeros(2, 2)).shape
torch.Size([3])
"""

from .daruan import daruan
from .daruan_def import daruan_circuit
from .ir import Circuit, Op
from .qkan_layer import QKANLayer

__all__ = ["Circuit", "Op", "QKANLayer", "daruan", "daruan_circuit"]
