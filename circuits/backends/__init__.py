"""Executors on real simulators: PennyLane devices and qiskit-aer.

Importing this package registers the ``"pennylane"`` and ``"qiskit"`` executors but imports
neither SDK: each is imported when its executor first runs.

>>> from qmem.circuits.executors import get_executor
>>> get_executor("qiskit").kinds, get_executor("pennylane").options[:2]
(('daruan', 'vqc'), ('device', 'diff_method'))
"""

from . import pennylane, qiskit

__all__ = ["pennylane", "qiskit"]
