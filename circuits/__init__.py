"""Circuit definitions and their executors (installed as ``qmem.circuits``).

Import through ``qmem.circuits``. Subpackages: ``daruan`` (ansatz table, functional core,
Fourier form, Bloch executor, QKANLayer, export), ``vqc`` (spec, builder, core, layer),
``emulation`` (Bloch engine, n-qubit state-vector engine), ``backends`` (PennyLane,
qiskit-aer); ``ir`` is the circuit IR, ``export`` the Qiskit/OpenQASM export and
``executors`` the executor registry. Heavy SDKs (PennyLane, Qiskit) are imported only when
their executor runs. ``daruan`` and ``vqc`` here are the functional cores (the packages of
the same names stay importable through ``importlib`` and ``from qmem.circuits.vqc import``).

>>> import torch
>>> from qmem.circuits import QKANLayer, daruan, vqc
>>> daruan(torch.zeros(3), torch.zeros(2, 2)).shape
torch.Size([3])
>>> vqc(torch.zeros(5, 4), torch.zeros(2, 4, 3)).shape
torch.Size([5, 4])
>>> executor_names("daruan")[:6]
('auto', 'fourier', 'bloch', 'statevector', 'pennylane', 'qiskit')
"""

# executors register on import; the listing order is fixed in .executors
from . import backends as _backends  # noqa: F401
from . import emulation as _emulation  # noqa: F401
from .daruan import (
    Ansatz,
    AnsatzDef,
    BaseActivation,
    QKANLayer,
    Readout,
    daruan_circuit,
    daruan_draw,
    daruan_qasm3,
    daruan_qiskit,
    register_ansatz,
)
from .daruan.core import daruan
from .executors import (
    Executor,
    check_executor,
    executor_names,
    register_executor,
)
from .ir import Circuit, Op
from .vqc.builder import build_circuit, vqc_angles
from .vqc.core import vqc
from .vqc.layer import VQCLayer
from .vqc.spec import VQCSpec, chen2020_spec, chen2024_spec

__all__ = [
    "Ansatz",
    "AnsatzDef",
    "BaseActivation",
    "Circuit",
    "Executor",
    "Op",
    "QKANLayer",
    "Readout",
    "VQCLayer",
    "VQCSpec",
    "build_circuit",
    "check_executor",
    "chen2020_spec",
    "chen2024_spec",
    "daruan",
    "daruan_circuit",
    "daruan_draw",
    "daruan_qasm3",
    "daruan_qiskit",
    "executor_names",
    "register_ansatz",
    "register_executor",
    "vqc",
    "vqc_angles",
]
