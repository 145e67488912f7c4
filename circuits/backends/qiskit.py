"""Run a :class:`~qmem.circuits.ir.Circuit` on qiskit-aer directly, differentiably.

One parametrised Qiskit circuit (a ``Parameter`` per slot) is built and transpiled once per
``Circuit`` and cached; the batch of angle vectors is sent to ``AerSimulator.run`` as
``parameter_binds`` in chunks of ``chunk_size`` parameter sets per call.

Modes:
- ``shots=None``, no noise: statevector method, exact ``⟨Z_w⟩`` through
  ``save_expectation_value``.
- ``shots=None`` with a ``noise_model``: density-matrix method, the exact noisy ``⟨Z_w⟩``.
- ``shots=n``: the readout wires are measured and ``⟨Z_w⟩`` is estimated from the counts
  (``(n_0 - n_1) / n``), optionally under the noise model. ``seed`` makes the run
  bit-reproducible for the same seed, batch shape and ``chunk_size`` (each chunk gets its
  own seed, derived from ``seed`` with ``numpy.random.SeedSequence``).

Gradients come from a ``torch.autograd.Function`` whose backward applies the
parameter-shift rule: each slot feeds exactly one ``RX``/``RY``/``RZ``, so
``∂⟨Z⟩/∂θ_s = (⟨Z⟩(θ_s + π/2) - ⟨Z⟩(θ_s - π/2)) / 2`` exactly; with shots the gradient is
the shot estimate of the same rule (its shifted circuits use a seed stream separate from the
forward pass). All ``2·n_slots`` shifted copies of the whole batch go out in one chunked job.

Qubit order: qmem wire ``w`` is Qiskit qubit ``w`` and ``⟨Z_w⟩`` is taken on that qubit,
so the little-endian numbering of Qiskit's basis states never enters (see
:mod:`qmem.circuits.export` for the state-vector order).

Threads: aer runs with ``max_parallel_threads=1`` by default. For circuits this small one
thread is as fast, and torch, aer and lightning each bring an OpenMP runtime into the same
process; pass ``max_parallel_threads=0`` to let aer use every core.

Qiskit and qiskit-aer are imported lazily, only when this executor runs.

>>> import torch
>>> from qmem.circuits.ir import Circuit, Op
>>> c = Circuit(2, (Op("X", (0,)), Op("RY", (1,), 0)), ("t",), (0, 1))
>>> expval_z(c, torch.tensor([0.0], dtype=torch.float64))
tensor([-1.,  1.], dtype=torch.float64)
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from ..executors import register_executor
from ..export import QISKIT_BASIS, build_qiskit
from ..ir import Circuit, check_angles
from .common import ModuleExecutor, run_flat

__all__ = ["QiskitExecutor", "check_options", "clear_cache", "expval_z"]


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def check_options(
    shots: int | None = None,
    seed: int | None = None,
    noise_model: Any = None,
    chunk_size: int = 128,
    max_parallel_threads: int = 1,
) -> None:
    """Check the values of :func:`expval_z`'s options (``TypeError``/``ValueError``);
    qiskit-aer is imported only to check a given ``noise_model``.

    Args:
        shots: None (exact) or a positive int.
        seed: None or a non-negative int.
        noise_model: None or a ``qiskit_aer.noise.NoiseModel``.
        chunk_size: a positive int.
        max_parallel_threads: an int >= 0.

    Raises:
        TypeError: a value of the wrong type (a bool or float for an int, a noise model
            that is not a ``NoiseModel``).
        ValueError: an int out of its range.

    >>> check_options(shots=100, seed=0)
    >>> check_options(shots=0)
    Traceback (most recent call last):
    ...
    ValueError: shots must be a positive int, got 0
    """
    if shots is not None:
        _positive_int("shots", shots)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be None or a non-negative int, got {seed!r}")
        if seed < 0:
            raise ValueError(f"seed must be None or a non-negative int, got {seed!r}")
    _positive_int("chunk_size", chunk_size)
    if isinstance(max_parallel_threads, bool) or not isinstance(max_parallel_threads, int):
        raise TypeError(f"max_parallel_threads must be an int >= 0, got {max_parallel_threads!r}")
    if max_parallel_threads < 0:
        raise ValueError(f"max_parallel_threads must be an int >= 0, got {max_parallel_threads!r}")
    if noise_model is not None:
        from qiskit_aer.noise import NoiseModel

        if not isinstance(noise_model, NoiseModel):
            raise TypeError(
                f"noise_model must be a qiskit_aer.noise.NoiseModel or None, "
                f"got {type(noise_model).__name__}"
            )


@functools.lru_cache(maxsize=256)
def _template(circuit: Circuit, measure: bool) -> tuple[Any, tuple[Any, ...], tuple[int, ...]]:
    """Transpiled parametrised circuit, its slot parameters and the measured wires.

    ``measure=False`` appends one ``save_expectation_value(Z)`` per readout entry (labels
    ``z0, z1, ...``); ``measure=True`` measures each distinct readout wire into its own
    classical bit, in the order of the returned wires.
    """
    from qiskit import ClassicalRegister, transpile
    from qiskit.circuit import ParameterVector
    from qiskit.quantum_info import Pauli

    params = tuple(ParameterVector("theta", circuit.n_slots))
    qc = build_qiskit(circuit, params)
    # A basis of exactly the IR's gates at optimisation level 0: nothing is merged or
    # rewritten, so a noise model keyed by gate names sees every gate of the circuit.
    qc = transpile(qc, basis_gates=list(QISKIT_BASIS), optimization_level=0)
    wires = tuple(dict.fromkeys(circuit.readout))
    if measure:
        creg = ClassicalRegister(len(wires), "z")
        qc.add_register(creg)
        for k, w in enumerate(wires):
            qc.measure(w, creg[k])
    else:
        for k, w in enumerate(circuit.readout):
            qc.save_expectation_value(Pauli("Z"), [w], label=f"z{k}")
    return qc, params, wires


def clear_cache() -> None:
    """Drop the cached transpiled circuits (they are rebuilt on the next call).

    >>> import torch
    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    >>> _ = expval_z(c, torch.zeros(1, 1, dtype=torch.float64))   # transpiles and caches
    >>> clear_cache()
    >>> _template.cache_info().currsize
    0
    """
    _template.cache_clear()


class _Runner:
    """Evaluates ``⟨Z⟩`` of one circuit for many angle vectors with one simulator setup."""

    def __init__(
        self,
        circuit: Circuit,
        shots: int | None,
        seed: int | None,
        noise_model: Any,
        chunk_size: int,
        max_parallel_threads: int,
    ) -> None:
        from qiskit_aer import AerSimulator

        self.circuit = circuit
        self.shots = shots
        self.seed = seed
        self.chunk_size = chunk_size
        if shots is None:
            method = "statevector" if noise_model is None else "density_matrix"
        else:
            method = "statevector" if noise_model is None else "automatic"
        self.sim = AerSimulator(
            method=method, noise_model=noise_model, max_parallel_threads=max_parallel_threads
        )
        self.qc, self.params, self.wires = _template(circuit, shots is not None)

    def __call__(self, values: np.ndarray, stream: int) -> np.ndarray:
        """``values`` (N, n_slots) float64 -> ``⟨Z⟩`` (N, len(readout)) float64.

        ``stream`` separates the seed streams of the forward pass (0) and the
        parameter-shift evaluations (1).
        """
        n = values.shape[0]
        if n == 0:
            return np.empty((0, len(self.circuit.readout)), dtype=np.float64)
        n_chunks = max(1, math.ceil(n / self.chunk_size))
        chunk_seeds: list[int | None] = [None] * n_chunks
        if self.shots is not None and self.seed is not None:
            seq = np.random.SeedSequence(self.seed, spawn_key=(stream,))
            chunk_seeds = [int(s) for s in seq.generate_state(n_chunks, dtype=np.uint32)]
        out = np.empty((n, len(self.circuit.readout)), dtype=np.float64)
        for c in range(n_chunks):
            lo, hi = c * self.chunk_size, min(n, (c + 1) * self.chunk_size)
            out[lo:hi] = self._run_chunk(values[lo:hi], chunk_seeds[c])
        return out

    def _run_chunk(self, values: np.ndarray, seed: int | None) -> np.ndarray:
        m = values.shape[0]
        options: dict[str, Any] = {}
        if self.shots is not None:
            options["shots"] = self.shots
            if seed is not None:
                options["seed_simulator"] = seed
        if self.params:
            binds = [{p: values[:, s].tolist() for s, p in enumerate(self.params)}]
            result = self.sim.run(self.qc, parameter_binds=binds, **options).result()
        else:  # no slots: m independent copies of the fixed circuit
            result = self.sim.run([self.qc] * m, **options).result()
        if not result.success:
            raise RuntimeError(f"qiskit-aer run failed: {result.status}")
        n_read = len(self.circuit.readout)
        out = np.empty((m, n_read), dtype=np.float64)
        if self.shots is None:
            for i in range(m):
                data = result.data(i)
                for k in range(n_read):
                    out[i, k] = float(np.real(data[f"z{k}"]))
            return out
        # counts keys are hex integers; bit k is the classical bit of measured wire k
        col = np.array([self.wires.index(w) for w in self.circuit.readout])
        for i in range(m):
            ones = np.zeros(len(self.wires), dtype=np.int64)
            for key, count in result.data(i)["counts"].items():
                outcome = int(key, 16)
                for k in range(len(self.wires)):
                    if (outcome >> k) & 1:
                        ones[k] += count
            z = 1.0 - 2.0 * ones / self.shots  # (n_wires,)
            out[i] = z[col]
        return out


class _AerExpval(torch.autograd.Function):
    """angles (B, S) -> ⟨Z⟩ (B, R); backward by the parameter-shift rule."""

    @staticmethod
    def forward(ctx: Any, angles: torch.Tensor, runner: _Runner) -> torch.Tensor:
        values = angles.detach().to("cpu", torch.float64).numpy()  # (B, S)
        ctx.runner = runner
        ctx.save_for_backward(angles)
        z = runner(values, stream=0)  # (B, R)
        return torch.as_tensor(z).to(device=angles.device, dtype=angles.dtype)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, None]:
        if not ctx.needs_input_grad[0]:
            return None, None
        (angles,) = ctx.saved_tensors
        runner: _Runner = ctx.runner
        theta = angles.detach().to("cpu", torch.float64).numpy()  # (B, S)
        b, s = theta.shape
        if s == 0:
            return angles.new_zeros(angles.shape), None
        shift = np.concatenate([np.eye(s), -np.eye(s)]) * (np.pi / 2)  # (2S, S)
        shifted = theta[None, :, :] + shift[:, None, :]  # (2S, B, S)
        z = runner(shifted.reshape(2 * s * b, s), stream=1)  # (2S*B, S) -> (2S*B, R)
        z = z.reshape(2, s, b, -1)  # (2S*B, R) -> (±, S, B, R)
        dz = (z[0] - z[1]) / 2.0  # (S, B, R): ∂⟨Z_r⟩/∂θ_s per sample
        g = grad_out.detach().to("cpu", torch.float64).numpy()  # (B, R)
        grad = np.einsum("sbr,br->bs", dz, g)  # (B, S)
        return torch.as_tensor(grad).to(device=angles.device, dtype=angles.dtype), None


def expval_z(
    circuit: Circuit,
    angles: torch.Tensor,
    *,
    shots: int | None = None,
    seed: int | None = None,
    noise_model: Any = None,
    chunk_size: int = 128,
    max_parallel_threads: int = 1,
) -> torch.Tensor:
    """``⟨Z⟩`` on ``circuit.readout`` for a batch of slot angles, on qiskit-aer.

    Args:
        circuit: the circuit to run.
        angles: slot angles, shape ``(..., n_slots)`` (any leading batch dims, possibly
            none); float32 or float64, on any torch device (simulated on the CPU).
        shots: ``None`` for exact expectations, or the number of shots per circuit.
        seed: ``seed_simulator`` source for shot runs (``None``: aer picks one). Equal
            seeds give bit-identical results for the same batch shape and ``chunk_size``.
        noise_model: an optional ``qiskit_aer.noise.NoiseModel``; with ``shots=None`` the
            exact noisy expectation is computed with the density-matrix method.
        chunk_size: parameter sets per ``AerSimulator.run`` call.
        max_parallel_threads: aer's OpenMP thread count (``1`` by default; ``0`` = all
            cores).

    Returns:
        ``⟨Z_w⟩`` for ``w`` in ``circuit.readout``, shape ``(..., len(readout))``, same
        dtype and device as ``angles``; differentiable w.r.t. ``angles`` by the
        parameter-shift rule (first derivatives only).

    Raises:
        TypeError: ``angles`` is not a floating torch tensor, ``circuit`` not a Circuit, or
            ``noise_model`` not a ``NoiseModel``.
        ValueError: wrong last dimension, or bad ``shots``, ``seed``, ``chunk_size`` or
            ``max_parallel_threads``.

    >>> import torch
    >>> from qmem.circuits.ir import Circuit, Op
    >>> c = Circuit(1, (Op("RX", (0,), 0),), ("a",), (0,))
    >>> theta = torch.tensor([[0.3], [1.2]], dtype=torch.float64, requires_grad=True)
    >>> z = expval_z(c, theta)
    >>> torch.allclose(z, torch.cos(theta))
    True
    >>> z.sum().backward()
    >>> torch.allclose(theta.grad, -torch.sin(theta.detach()))
    True
    """
    check_angles(circuit, angles)
    check_options(shots, seed, noise_model, chunk_size, max_parallel_threads)

    def run(flat: torch.Tensor) -> torch.Tensor:  # (B, S) -> (B, R)
        runner = _Runner(circuit, shots, seed, noise_model, chunk_size, max_parallel_threads)
        return _AerExpval.apply(flat, runner)

    return run_flat(circuit, angles, run)


class QiskitExecutor(ModuleExecutor):
    """``"qiskit"``: any IR circuit on qiskit-aer (the SDK is imported when it runs).

    The :class:`~qmem.circuits.backends.common.ModuleExecutor` of this module's
    :func:`check_options` and :func:`expval_z`; ``options`` are the latter's keywords:

    >>> QiskitExecutor().options
    ('shots', 'seed', 'noise_model', 'chunk_size', 'max_parallel_threads')
    >>> QiskitExecutor().check_options({"shots": None})
    """

    name = "qiskit"
    options: tuple[str, ...] = (
        "shots",
        "seed",
        "noise_model",
        "chunk_size",
        "max_parallel_threads",
    )
    check = staticmethod(check_options)
    expval = staticmethod(expval_z)


register_executor(QiskitExecutor())
