"""Deprecated import path: ``QKANLayer`` and ``BaseActivation`` now live in
:mod:`qmem.circuits.daruan.layer` (import them from ``qmem.circuits``). Kept so
``qmem.models`` imports unchanged; remove once it imports from ``qmem.circuits``.

>>> from qmem.circuits.qkan_layer import BaseActivation, QKANLayer
"""

from .daruan.layer import BaseActivation, QKANLayer

__all__ = ["BaseActivation", "QKANLayer"]
