"""Exact emulation in plain torch: the single-qubit Bloch engine and the n-qubit state-vector
engine (plan, dense path, one-node fast path, gate-by-gate path) with its executor.

>>> from qmem.circuits.emulation import DENSE_MAX_QUBITS
>>> DENSE_MAX_QUBITS
8
"""

from . import executor as _executor  # noqa: F401  (registers "statevector")
from .bloch import bloch_run
from .statevector import (
    DENSE_MAX_QUBITS,
    block_unitary,
    complex_dtype,
    expval_z,
    prefix_and_block,
    shared_unitary,
)

__all__ = [
    "DENSE_MAX_QUBITS",
    "bloch_run",
    "block_unitary",
    "complex_dtype",
    "expval_z",
    "prefix_and_block",
    "shared_unitary",
]
