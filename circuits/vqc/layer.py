"""VQCLayer: a VQC as a torch layer, on any executor of the registry.

: the family maps ``(x, weights)``
to the circuit's angle vector in torch, and each executor is differentiable in the angles.

>>> g = torch.Generator().manual_seed(0)
>>> layer = VQCLayer(4, 2, generator=g, dtype=torch.float64)
>>> layer.weights.shape, layer.quantum_parameter_names()
(torch.Size([2, 4, 3]), ['weights'])
>>> y = layer(torch.zeros(5, 4, dtype=torch.float64))
>>> y.shape
torch.Size([5, 4])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from qmem.validation import check_device, make_generator

from ..checks import (
    check_finite_parameters,
    check_input,
    check_param_dtype,
    parameter_state,
    same_state,
)
from ..emulation import statevector
from ..ir import Circuit
from ..selection import ExecutorSwitch
from .builder import build_circuit, encoding_map, vqc_angles
from .core import VQCJob, resolve_spec
from .spec import Family, VQCSpec

__all__ = ["VQCLayer"]


def _mode() -> tuple[bool, bool]:
    """The autograd mode a prepared unitary belongs to: (inference mode, grad enabled)."""
    return torch.is_inference_mode_enabled(), torch.is_grad_enabled()


class VQCLayer(ExecutorSwitch, nn.Module):
    """A VQC as a torch layer: ``x (..., n_qubits) -> ⟨Z⟩ (..., n_outputs)``.

    The weights are one ``nn.Parameter`` of shape ``spec.weight_shape``, initialised as
    ``0.01·N(0, 1)`` (drawn in float64 on the generator's device, then cast), so the circuit
    starts near its encoding alone. The executor is chosen at construction and can be
    switched later (e.g. to re-evaluate a trained model on qiskit-aer with shots and noise)
    with :meth:`set_executor` or by assigning :attr:`executor`.

    Args:
        n_qubits: qubit count (input width); default 4 for a named family.
        n_layers: variational layers; default 2 for a named family.
        family: ``"chen2020"``, ``"chen2024"``, a :class:`VQCSpec` or a dict of its options.
        n_outputs: read the first ``n_outputs`` qubits (default: the family's readout).
        executor: a name of ``executor_names("vqc")`` (``"statevector"``, ``"auto"``,
            ``"pennylane"``, ``"qiskit"``, ...); a validating property.
        executor_options: options for that executor (e.g. ``{"shots": 1000, "seed": 1}``),
            checked against the keys it declares.
        seed: an int seed for the initial weights.
        generator: alternatively, a ``torch.Generator`` (not both); with neither, one seed
            is drawn from torch's default generator (so ``torch.manual_seed`` applies).
        dtype: parameter dtype (default: torch's default dtype).
        device: parameter device.

    Input rule (the same as every qmem model's, ``docs/errors.md``): the input must be a
    floating-point tensor of the weights' dtype (``TypeError`` naming both; nothing is cast)
    on their device (``ValueError`` naming both), with finite values; the weights must be
    finite too (checked once per weight state). An empty batch gives an empty result.

    Raises:
        ValueError: bad sizes, family, executor or executor option, or both ``seed`` and
            ``generator``; at a call, an input of another width or device, NaN/inf in the
            input or the weights.
        TypeError: a non-floating ``dtype``; at a call, a non-tensor, non-floating or
            other-dtype input.

    >>> layer = VQCLayer(family="chen2024", n_qubits=5, n_layers=1, n_outputs=3, seed=0)
    >>> layer.weights.shape, layer(torch.zeros(2, 5)).shape
    (torch.Size([1, 5]), torch.Size([2, 3]))
    >>> layer.set_executor("pennylane", device="default.qubit")
    >>> layer.executor, layer.executor_options
    ('pennylane', {'device': 'default.qubit'})
    """

    circuit_kind = "vqc"

    def __init__(
        self,
        n_qubits: int | None = None,
        n_layers: int | None = None,
        *,
        family: Family | VQCSpec | Mapping[str, Any] = "chen2020",
        n_outputs: int | None = None,
        executor: str = "statevector",
        executor_options: Mapping[str, Any] | None = None,
        seed: int | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.spec = resolve_spec(family, n_qubits, n_layers, n_outputs)
        generator = make_generator(seed, generator)
        init = torch.randn(
            self.spec.weight_shape, generator=generator, dtype=torch.float64,
            device=generator.device,
        )
        dtype = check_param_dtype(dtype)
        device = check_device("device", device)
        self.weights = nn.Parameter((0.01 * init).to(dtype=dtype, device=device))
        self._unitary: Tensor | None = None  # set between prepare() and release()
        self._unitary_mode: tuple[bool, bool] | None = None  # (inference, grad) it was built in
        self._checked: Any = None  # the weight state last found finite
        self._set_executor(executor, {} if executor_options is None else executor_options)

    def _job(self, x: Tensor | None = None) -> VQCJob:
        """A job with this layer's weights on inputs ``x`` (resolution reads no tensors)."""
        return VQCJob(self.spec, self.weights if x is None else x, self.weights)

    @property
    def circuit(self) -> Circuit:
        """The circuit definition every executor runs."""
        return build_circuit(self.spec)

    def angles(self, x: Tensor) -> Tensor:
        """The circuit's angle vector for inputs ``x`` ``(..., n_qubits)`` -> ``(..., n_slots)``."""
        return vqc_angles(self.spec, x, self.weights)

    def _export_angles(self, x: Tensor | None) -> Tensor | None:
        if x is None:
            return None
        if not isinstance(x, Tensor) or x.shape != (self.spec.n_qubits,):
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"x must have shape ({self.spec.n_qubits},) (one sample), got {shape}")
        return self.angles(x).detach()

    def to_qiskit(self, x: Tensor | None = None) -> Any:
        """The circuit as a ``qiskit.QuantumCircuit`` for one input ``x`` ``(n_qubits,)`` and
        the current weights; symbolic (one ``Parameter`` per slot) when ``x`` is ``None``."""
        from ..export import to_qiskit

        return to_qiskit(self.circuit, self._export_angles(x))

    def to_qasm3(self, x: Tensor | None = None) -> str:
        """OpenQASM 3 text of :meth:`to_qiskit`."""
        from ..export import to_qasm3

        return to_qasm3(self.circuit, self._export_angles(x))

    def draw(self, x: Tensor | None = None, *, fold: int = -1) -> str:
        """Text drawing of :meth:`to_qiskit` (slot names shown when ``x`` is ``None``)."""
        from ..export import draw

        return draw(self.circuit, self._export_angles(x), fold=fold)

    def quantum_parameter_names(self) -> list[str]:
        """Names (as in ``named_parameters()``) of the parameters that are circuit angles."""
        return [name for name, _ in self.named_parameters()]

    # ------------------------------------------------------------------ sequence caching
    def _dense(self) -> bool:
        method = self._options.get("method", "auto")
        small = self.spec.n_qubits <= statevector.DENSE_MAX_QUBITS
        dense = method == "dense" or (method == "auto" and small)
        return self._resolve().name == "statevector" and dense

    def prepare(self) -> None:
        """Build the block unitary once for many calls (e.g. the time steps of a sequence),
        until :meth:`release`. Only the ``"statevector"`` executor on its dense path uses
        it; the unitary keeps its autograd graph, so backpropagation through all the calls
        reaches the weights once. Use through ``qmem.classical.prepared(module)``, which
        releases even on error.
        """
        self._unitary = None
        self._check_weights()
        if self._dense():
            shared = self.weights.reshape(-1)  # (n_parameters,), slot order
            self._unitary = statevector.shared_unitary(self.circuit, shared)
            self._unitary_mode = _mode()

    def release(self) -> None:
        """Drop what :meth:`prepare` built."""
        self._unitary = None
        self._unitary_mode = None

    def _check_weights(self) -> None:
        """Refuse NaN/inf weights; once per weight state."""
        state = parameter_state((self.weights,))
        if not same_state(state, self._checked):
            check_finite_parameters((("weights", self.weights),), "VQC layer")
            self._checked = state

    def forward(self, x: Tensor) -> Tensor:
        """``⟨Z⟩`` readouts, ``(..., n_qubits) -> (..., n_outputs)``."""
        unitary = self._unitary
        if unitary is not None and self._unitary_mode != _mode():
            unitary = None  # prepared in another autograd mode: never mix them
        if unitary is None:  # a prepared sequence is checked by its caller
            check_input(x, self.weights, self.spec.n_qubits, "layer")
            self._check_weights()
        if unitary is None or not self._dense():
            # options checked when set, the executor resolved once: no per-call lookups
            return self._resolve().run(self._job(x), self._options)
        unitary = unitary.to(dtype=statevector.complex_dtype(x.dtype))
        return statevector.expval_z_mapped(
            self.circuit, x, encoding_map(self.spec), self.weights, unitary=unitary
        )

    @staticmethod
    def stack(layers: Sequence[object]) -> Any:
        """Layers that read the same input as one :class:`~qmem.circuits.vqc.stack.VQCStack`
        (``None`` if they cannot stack); the recurrent scaffolds call it for their gate maps."""
        from .stack import VQCStack

        return VQCStack.of(layers)

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"n_qubits={s.n_qubits}, n_layers={s.n_layers}, encoding={s.encoding!r}, "
            f"entangler={s.entangler!r}, rotations={s.rotations}, n_outputs={s.n_outputs}, "
            f"executor={self._executor!r}"
        )
