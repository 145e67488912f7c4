"""Executors on real simulators: PennyLane devices and qiskit-aer.

Importing this package registers the ``"pennylane"`` and ``"qiskit"`` executors but imports
neither SDK: each is imported when its executor first runs.

>>> import sys
>>> import qmem.circuits.backends
>>> "pennylane" in sys.modules or "qiskit_aer" in sys.modules
False
"""

from . import pennylane, qiskit

__all__ = ["pennylane", "qiskit"]
