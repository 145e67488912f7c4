"""Variational quantum circuits (VQCs) for QLSTM: the functional core and a torch layer.

:func:`vqc` maps inputs ``x`` ``(..., n_qubits)`` and circuit weights to the ``⟨Z⟩``
readouts of a VQC (see :mod:`qmem.circuits.vqc_builder` for the circuits), on one of three
executors that all read the same :class:`~qmem.circuits.ir.Circuit`:

- ``"statevector"`` (default): exact torch emulation
  (:mod:`qmem.circuits.torch_statevector`). The encoding is a product state and the
  variational block one ``2^n x 2^n`` unitary built once per call from the weights, so a
  batch costs one complex matmul; encoding, weights and circuit are one autograd node with
  a hand-written backward (small batches cost per-op overhead). Option ``method``:
  ``"auto"`` (dense up to
  :data:`~qmem.circuits.torch_statevector.DENSE_MAX_QUBITS` qubits, gate by gate beyond),
  ``"dense"`` or ``"gates"``.
- ``"pennylane"``: any PennyLane device (options ``device``, ``diff_method``, ``shots``,
  ``seed``; see :func:`qmem.circuits.pennylane_backend.expval_z`).
- ``"qiskit"``: qiskit-aer (options ``shots``, ``seed``, ``noise_model``, ``chunk_size``,
  ``max_parallel_threads``; see :func:`qmem.circuits.qiskit_backend.expval_z`).

All three are differentiable w.r.t. ``x`` and the weights: the family maps ``(x, weights)``
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

import dataclasses
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal, get_args

import torch
from torch import Tensor, nn

from . import torch_statevector
from .ir import Circuit
from .seeding import as_generator
from .vqc_builder import (
    FAMILIES,
    Family,
    VQCSpec,
    build_circuit,
    check_weights,
    encoding_map,
    family_spec,
    vqc_angles,
)

__all__ = ["EXECUTORS", "Executor", "VQCLayer", "resolve_spec", "run_spec", "vqc"]

Executor = Literal["statevector", "pennylane", "qiskit"]
EXECUTORS: tuple[str, ...] = get_args(Executor)

_STATEVECTOR_OPTIONS = ("method",)


def resolve_spec(
    family: Family | VQCSpec | Mapping[str, Any],
    n_qubits: int | None = None,
    n_layers: int | None = None,
    n_outputs: int | None = None,
) -> VQCSpec:
    """The :class:`VQCSpec` meant by a family name, a spec or a plain dict of spec options.

    Args:
        family: ``"chen2020"``, ``"chen2024"``, a :class:`VQCSpec`, or a dict accepted by
            :meth:`VQCSpec.from_dict`.
        n_qubits: qubit count; for a name, defaults to 4; for a spec/dict, if given, it
            must match the spec.
        n_layers: layer count; same rules (default 2).
        n_outputs: read ``⟨Z⟩`` on the first ``n_outputs`` qubits (overrides the spec's
            readout); ``None`` keeps the family's/spec's readout (all qubits by default).

    Raises:
        ValueError: unknown family, or sizes that contradict the spec.
        TypeError: ``family`` of another type.

    >>> resolve_spec("chen2024", 5, 1, n_outputs=2).readout
    (0, 1)
    >>> resolve_spec({"n_qubits": 3, "entangler": "brick"}).entangler
    'brick'
    """
    for name, value in (("n_qubits", n_qubits), ("n_layers", n_layers), ("n_outputs", n_outputs)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise TypeError(f"{name} must be an int or None, got {value!r}")
    if isinstance(family, str):
        if family not in FAMILIES:
            raise ValueError(f"unknown VQC family {family!r}; allowed: {FAMILIES}")
        return _named_spec(
            family,
            4 if n_qubits is None else n_qubits,
            2 if n_layers is None else n_layers,
            n_outputs,
        )
    if isinstance(family, Mapping):
        family = VQCSpec.from_dict(family)
    if not isinstance(family, VQCSpec):
        raise TypeError(
            f"family must be one of {FAMILIES}, a VQCSpec or a dict, got {type(family).__name__}"
        )
    for name, value in (("n_qubits", n_qubits), ("n_layers", n_layers)):
        if value is not None and value != getattr(family, name):
            raise ValueError(
                f"{name}={value} contradicts the spec's {name}={getattr(family, name)}"
            )
    if n_outputs is not None:
        if not 1 <= n_outputs <= family.n_qubits:
            raise ValueError(
                f"n_outputs must be in 1..{family.n_qubits} (n_qubits), got {n_outputs}"
            )
        family = dataclasses.replace(family, readout=tuple(range(n_outputs)))
    return family


@lru_cache(maxsize=256)
def _named_spec(family: str, n_qubits: int, n_layers: int, n_outputs: int | None) -> VQCSpec:
    return family_spec(family, n_qubits, n_layers, n_outputs)


def _check_executor(executor: object) -> None:
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; allowed: {EXECUTORS}")


def run_spec(
    spec: VQCSpec, x: Tensor, weights: Tensor, executor: Executor, options: Mapping[str, Any]
) -> Tensor:
    """Evaluate a resolved spec on an executor (the shared body of :func:`vqc` and
    :class:`VQCLayer`); arguments as in :func:`vqc`."""
    _check_executor(executor)
    check_weights(spec, weights)
    circuit = build_circuit(spec)
    if executor == "statevector":
        unknown = [name for name in options if name not in _STATEVECTOR_OPTIONS]
        if unknown:
            raise TypeError(
                f"unknown statevector option(s) {sorted(unknown)}; allowed: {_STATEVECTOR_OPTIONS}"
            )
        # encoding and emulation as one autograd node where the fast dense path applies;
        # otherwise expval_z(circuit, encoding_angles(spec, x), weights in slot order)
        return torch_statevector._expval_z_mapped(
            circuit, x, encoding_map(spec), weights, **options
        )
    angles = vqc_angles(spec, x, weights)  # (..., n_slots)
    if executor == "pennylane":
        from . import pennylane_backend

        return pennylane_backend.expval_z(circuit, angles, **options)
    from . import qiskit_backend

    return qiskit_backend.expval_z(circuit, angles, **options)


def vqc(
    x: Tensor,
    weights: Tensor,
    *,
    family: Family | VQCSpec | Mapping[str, Any] = "chen2020",
    n_outputs: int | None = None,
    executor: Executor = "statevector",
    **executor_options: Any,
) -> Tensor:
    """``⟨Z⟩`` readouts of a VQC for a batch of inputs.

    Args:
        x: inputs, shape ``(..., n_qubits)``, float32 or float64.
        weights: circuit angles, ``(n_layers, n_qubits, 3)`` for ``chen2020``,
            ``(n_layers, n_qubits)`` for ``chen2024`` (in general ``spec.weight_shape``);
            cast to ``x``'s dtype.
        family: ``"chen2020"``, ``"chen2024"``, a :class:`VQCSpec` or a dict of its
            options. For a name, ``n_qubits = x.shape[-1]`` and ``n_layers = len(weights)``.
        n_outputs: read the first ``n_outputs`` qubits (default: the family's readout, all
            qubits for the two named families).
        executor: ``"statevector"``, ``"pennylane"`` or ``"qiskit"``.
        **executor_options: passed to the executor (see the module docstring).

    Returns:
        ``⟨Z⟩`` on the readout qubits, shape ``(..., n_outputs)``, in ``x``'s dtype and
        device, differentiable w.r.t. ``x`` and ``weights``.

    Raises:
        ValueError: unknown family/executor, wrong input width or weight shape, or too many
            qubits for ``method="dense"``.
        TypeError: non-float tensors or unknown executor options.

    >>> x = torch.tensor([[0.1, 0.2, 0.3, 0.4]], dtype=torch.float64)
    >>> w = torch.zeros(2, 4, 3, dtype=torch.float64)
    >>> vqc(x, w, n_outputs=2).shape
    torch.Size([1, 2])
    >>> torch.allclose(vqc(x, w), vqc(x, w, executor="pennylane"))
    True
    """
    if not isinstance(x, Tensor) or not isinstance(weights, Tensor):
        raise TypeError(
            f"x and weights must be torch.Tensors, got {type(x).__name__} and "
            f"{type(weights).__name__}"
        )
    if x.dim() == 0 or weights.dim() == 0:
        raise ValueError(
            f"x must be (..., n_qubits) and weights (n_layers, n_qubits, ...), got shapes "
            f"{tuple(x.shape)} and {tuple(weights.shape)}"
        )
    if isinstance(family, str):
        spec = resolve_spec(family, x.shape[-1], weights.shape[0], n_outputs)
    else:
        spec = resolve_spec(family, n_outputs=n_outputs)
    return run_spec(spec, x, weights, executor, executor_options)


class VQCLayer(nn.Module):
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
        executor: ``"statevector"``, ``"pennylane"`` or ``"qiskit"``.
        executor_options: options for that executor (e.g. ``{"shots": 1000, "seed": 1}``).
        generator: torch generator for the initial weights.
        seed: alternatively, a seed for a fresh generator (not both).
        dtype: parameter dtype (default: torch's default dtype).
        device: parameter device.

    Raises:
        ValueError: bad sizes, family or executor, or both ``generator`` and ``seed``.

    >>> layer = VQCLayer(family="chen2024", n_qubits=5, n_layers=1, n_outputs=3, seed=0)
    >>> layer.weights.shape, layer(torch.zeros(2, 5)).shape
    (torch.Size([1, 5]), torch.Size([2, 3]))
    >>> layer.set_executor("pennylane", device="default.qubit")
    >>> layer.executor, layer.executor_options
    ('pennylane', {'device': 'default.qubit'})
    """

    def __init__(
        self,
        n_qubits: int | None = None,
        n_layers: int | None = None,
        *,
        family: Family | VQCSpec | Mapping[str, Any] = "chen2020",
        n_outputs: int | None = None,
        executor: Executor = "statevector",
        executor_options: Mapping[str, Any] | None = None,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.spec = resolve_spec(family, n_qubits, n_layers, n_outputs)
        if generator is not None and seed is not None:
            raise ValueError("pass either generator or seed, not both")
        if seed is not None:
            generator = as_generator(seed)
        draw_device = generator.device if generator is not None else torch.device("cpu")
        init = torch.randn(
            self.spec.weight_shape, generator=generator, dtype=torch.float64, device=draw_device
        )
        dtype = torch.get_default_dtype() if dtype is None else dtype
        self.weights = nn.Parameter((0.01 * init).to(dtype=dtype, device=device))
        self._executor: Executor = "statevector"
        self._options: dict[str, Any] = {}
        self._unitary: Tensor | None = None  # set between prepare() and release()
        self.set_executor(executor, **dict(executor_options or {}))

    @property
    def executor(self) -> Executor:
        """The executor name; assigning one switches to it with no options."""
        return self._executor

    @executor.setter
    def executor(self, name: Executor) -> None:
        self.set_executor(name)

    @property
    def executor_options(self) -> dict[str, Any]:
        """A copy of the current executor options."""
        return dict(self._options)

    def set_executor(self, name: Executor, **options: Any) -> None:
        """Switch executor and its options (e.g. ``"qiskit", shots=4096, seed=1``)."""
        _check_executor(name)
        if name == "statevector":
            unknown = sorted(set(options) - set(_STATEVECTOR_OPTIONS))
            if unknown:
                raise TypeError(
                    f"unknown statevector option(s) {unknown}; allowed: {_STATEVECTOR_OPTIONS}"
                )
        self._executor = name
        self._options = dict(options)

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
        from .export import to_qiskit

        return to_qiskit(self.circuit, self._export_angles(x))

    def to_qasm3(self, x: Tensor | None = None) -> str:
        """OpenQASM 3 text of :meth:`to_qiskit`."""
        from .export import to_qasm3

        return to_qasm3(self.circuit, self._export_angles(x))

    def draw(self, x: Tensor | None = None, *, fold: int = -1) -> str:
        """Text drawing of :meth:`to_qiskit` (slot names shown when ``x`` is ``None``)."""
        from .export import draw

        return draw(self.circuit, self._export_angles(x), fold=fold)

    def quantum_parameter_names(self) -> list[str]:
        """Names (as in ``named_parameters()``) of the parameters that are circuit angles."""
        return [name for name, _ in self.named_parameters()]

    # ------------------------------------------------------------------ sequence caching
    def _dense(self) -> bool:
        method = self._options.get("method", "auto")
        small = self.spec.n_qubits <= torch_statevector.DENSE_MAX_QUBITS
        return self._executor == "statevector" and (
            method == "dense" or (method == "auto" and small)
        )

    def prepare(self) -> None:
        """Build the block unitary once for many calls (e.g. the time steps of a sequence),
        until :meth:`release`. Only the ``"statevector"`` executor on its dense path uses
        it; the unitary keeps its autograd graph, so backpropagation through all the calls
        reaches the weights once. Use through ``qmem.classical.prepared(module)``, which
        releases even on error.
        """
        self._unitary = None
        if self._dense():
            shared = self.weights.reshape(-1)  # (n_parameters,), slot order
            self._unitary = torch_statevector.shared_unitary(self.circuit, shared)

    def release(self) -> None:
        """Drop what :meth:`prepare` built."""
        self._unitary = None

    def forward(self, x: Tensor) -> Tensor:
        """``⟨Z⟩`` readouts, ``(..., n_qubits) -> (..., n_outputs)``."""
        unitary = self._unitary
        if unitary is None or not self._dense():
            return run_spec(self.spec, x, self.weights, self._executor, self._options)
        unitary = unitary.to(dtype=torch_statevector.complex_dtype(x.dtype))
        return torch_statevector._expval_z_mapped(
            self.circuit, x, encoding_map(self.spec), self.weights, unitary=unitary
        )

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"n_qubits={s.n_qubits}, n_layers={s.n_layers}, encoding={s.encoding!r}, "
            f"entangler={s.entangler!r}, rotations={s.rotations}, n_outputs={s.n_outputs}, "
            f"executor={self._executor!r}"
        )
