"""Deprecated import path: ``Ansatz`` now lives in :mod:`qmem.circuits.daruan.ansatz`
(import it from ``qmem.circuits``). Kept so ``qmem.models``, ``qmem.cli`` and ``qmem.fit``
import unchanged; remove once they import from ``qmem.circuits``.

>>> from qmem.circuits.daruan_def import Ansatz
"""

from .daruan.ansatz import Ansatz

__all__ = ["Ansatz"]
