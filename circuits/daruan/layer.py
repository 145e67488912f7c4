"""QKANLayer: a KAN layer whose every edge is one DARUAN activation.

``y_j = Σ_i pw_ji·(φ_ji(x_i) + pb_ji) + Σ_i bw_ji·SiLU(x_i)``, where ``φ_ji`` is the DARUAN
of edge (j, i), ``pw``/``pb`` are optional trainable post-activation weight and bias (fixed to
1 and 0 otherwise) and the SiLU base branch is optional (``qkan``'s ``QKANLayer`` default: on,
weight 0.5). Parameter layout follows ``qkan``: θ of shape (out, in, r+1, 2) for ``pz``,
(out, in, r+1) for ``rpz`` (qkan stores a trailing 1), (out, in, r) for ``real``.

Trainable parameters (E = in·out edges, r = reps)::

    E·n_θ                 n_θ = 2(r+1) (pz), r+1 (rpz), r (real)
  + 2·E·r                 if preact_trainable (w and b per re-uploading)
  + E                     if postact_weight_trainable
  + E                     if postact_bias_trainable
  + E                     if base_activation == "silu"

With the ``fourier`` executor the layer is a cos/sin basis expansion of the inputs and one
matmul (``docs/math.md``); its coefficient map (2r+1 circuits per edge) is batch-independent.
The default ``"auto"`` picks ``fourier`` or ``bloch`` per call from the call's shape
(:mod:`qmem.circuits.daruan.auto`): Bloch at small batches, where running ``N`` circuits
per edge beats running ``2r+1``. The Fourier weights are built once per parameter version
outside autograd (no-grad and inference calls reuse them until a parameter changes in place,
e.g. by an optimiser step) and once per :meth:`QKANLayer.prepare` in autograd.

>>> layer = QKANLayer(3, 2, reps=2, seed=0)
>>> y = layer(torch.randn(5, 3))
>>> y.shape, layer.count_formula(3, 2, reps=2)
(torch.Size([5, 2]), 42)
>>> sum(p.numel() for p in layer.parameters() if p.requires_grad)
42
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from qmem.edge_form import Basis, EdgeForm, silu_derivative
from qmem.validation import (
    check_bool,
    check_device,
    check_literal,
    check_positive_int,
    check_size_budget,
    make_generator,
)

from ..checks import (
    check_finite_parameters,
    check_input,
    check_param_dtype,
    parameter_state,
    same_state,
)
from ..checks import transforms_active as _transforms_active
from ..executors import Executor, get_executor, pick_auto
from ..selection import ExecutorSwitch
from .ansatz import check_ansatz, check_reps, theta_shape
from .auto import prefer_bloch
from .bloch import Readout
from .core import DaruanJob, run_daruan
from .fourier import fourier_coefficients, harmonics

__all__ = ["BaseActivation", "FourierBasis", "QKANLayer", "ThetaInit"]

BaseActivation = Literal["silu", "none"]
"""A QKAN layer's base term: ``"silu"`` adds ``Σ_i bw_ji·SiLU(x_i)`` (trainable ``bw``, init
0.5), ``"none"`` omits it."""
ThetaInit = Literal["xavier", "normal", "zeros"]
"""How a QKAN layer draws θ: ``"xavier"`` Xavier-normal (as qkan; circuits start near the
identity), ``"normal"`` N(0, 1), ``"zeros"``."""


def _autograd_mode() -> str:
    """``"inference"``, ``"no_grad"`` or ``"grad"``: what a cached tensor must match."""
    if torch.is_inference_mode_enabled():
        return "inference"
    return "grad" if torch.is_grad_enabled() else "no_grad"


class FourierBasis(Basis):
    """``Φ(x) = (cos x … cos rx, sin x … sin rx[, silu x])``: a QKAN edge's Fourier form.

    ``cos(k x + p)`` with frequencies ``k = (1..r, 1..r)`` and phases ``p = (0.., -π/2..)``
    (:func:`harmonics`) gives both halves in one transcendental call;
    ``d/dx cos(kx + p) = k cos(kx + p + π/2)``.

    Args:
        k: frequencies, shape ``(2r,)``.
        phase: phases, shape ``(2r,)``.
        silu: append the SiLU base branch as one more feature.

    >>> k, p = harmonics(1, dtype=torch.float64, device=torch.device("cpu"))
    >>> FourierBasis(k, p, silu=True)(torch.zeros(1, 2, dtype=torch.float64))[0, 0].round()
    tensor([1., 0., 0.], dtype=torch.float64)
    """

    def __init__(self, k: torch.Tensor, phase: torch.Tensor, *, silu: bool) -> None:
        self.k = k
        self.phase = phase
        self.quarter = phase + math.pi / 2
        self.silu = silu
        self.width = k.numel() + int(silu)
        self._tables: dict[int, tuple[torch.Tensor, ...]] = {}

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        harm = torch.cos(torch.addcmul(self.phase, z.unsqueeze(-1), self.k))  # (N, D, 2r)
        if not self.silu:
            return harm
        return torch.cat([harm, F.silu(z).unsqueeze(-1)], dim=-1)  # (N, D, 2r + 1)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        harm = torch.cos(torch.addcmul(self.quarter, z.unsqueeze(-1), self.k)) * self.k
        if not self.silu:
            return harm  # (..., D, 2r)
        return torch.cat([harm, silu_derivative(z).unsqueeze(-1)], dim=-1)  # (..., D, 2r+1)

    # flat layout: the D·2r harmonics in (d, k) order, then the D SiLU features
    def _table(self, d: int) -> tuple[torch.Tensor, ...]:
        """``(K (D, D·2r), phase (D·2r,), quarter (D·2r,), k (D·2r,))``: ``z @ K + phase``
        is every ``k·z_d + p`` in one matmul."""
        if d not in self._tables:
            with torch.inference_mode(False):  # normal tensors, whatever mode the caller is in
                eye = torch.eye(d, dtype=self.k.dtype, device=self.k.device)
                K = (eye.unsqueeze(-1) * self.k).reshape(d, -1)  # (D, D*2r), block diagonal
                rep = (self.phase.repeat(d), self.quarter.repeat(d), self.k.repeat(d))
            self._tables[d] = (K, *rep)
        return self._tables[d]

    def flat(self, z: torch.Tensor) -> torch.Tensor:
        K, phase, _, _ = self._table(z.shape[-1])
        harm = torch.cos(torch.addmm(phase, z, K))  # (N, D*2r)
        return torch.cat([harm, F.silu(z)], dim=-1) if self.silu else harm

    def flat_derivative(self, z: torch.Tensor) -> torch.Tensor:
        K, _, quarter, k = self._table(z.shape[-1])
        harm = torch.cos(torch.addmm(quarter, z, K)) * k  # (N, D*2r)
        return torch.cat([harm, silu_derivative(z)], dim=-1) if self.silu else harm

    def flat_weight(self, weight: torch.Tensor) -> torch.Tensor:
        r2 = self.k.numel()
        harm = weight[..., :r2].flatten(1)  # (O, D*2r)
        return torch.cat([harm, weight[..., r2]], dim=1) if self.silu else harm

    def owners(self, d: int) -> torch.Tensor:
        harm = torch.arange(d).repeat_interleave(self.k.numel())
        return torch.cat([harm, torch.arange(d)]) if self.silu else harm

class QKANLayer(ExecutorSwitch, nn.Module):
    """A Kolmogorov-Arnold layer with DARUAN edge activations.

    Args:
        in_features: input width I (>= 1).
        out_features: output width O (>= 1).
        reps: data re-uploadings r (>= 1).
        ansatz: ``"pz"``, ``"rpz"`` or ``"real"``.
        preact_trainable: trainable pre-activations ``w_l·x + b_l`` per edge (else w=1, b=0).
        postact_weight_trainable: trainable post-activation weight per edge (else 1).
        postact_bias_trainable: trainable post-activation bias per edge (else 0).
        base_activation: ``"silu"`` adds ``Σ_i bw_ji·SiLU(x_i)`` (bw trainable, init 0.5);
            ``"none"`` omits it.
        readout: ``"z"`` exact ⟨Z⟩, or ``"abs"`` for qkan's |α| - |β|.
        executor: a name of ``executor_names("daruan")``: ``"auto"`` (per call, the faster
            of fourier and bloch for the call's shape, see :mod:`qmem.circuits.daruan.auto`;
            bloch where fourier does not apply), ``"fourier"``, ``"bloch"``,
            ``"statevector"``, ``"pennylane"``, ``"qiskit"``; may be changed after training
            (a validating property; assigning it clears the options).
        executor_options: the executor's options (device, shots, seed, noise_model, ...),
            checked against the keys it declares.
        theta_init: ``"xavier"`` (Xavier-normal as qkan; circuits start near the identity),
            ``"normal"`` (N(0, 1)) or ``"zeros"``.
        seed: int seed for the initialisation (a ``torch.Generator`` is accepted too).
        generator: a ``torch.Generator`` instead of ``seed`` (not both); with neither, one
            seed is drawn from torch's default generator (so ``torch.manual_seed`` applies).
        dtype: parameter dtype (default: torch's default dtype).
        device: parameter device.

    Shapes:
        input (..., I) -> output (..., O); an empty batch gives an empty (..., O) result.

    Input rule (the same as every qmem model's, ``docs/errors.md``): the input must be a
    floating-point tensor of the parameters' dtype (qmem never casts silently) on their
    device, with finite values; the parameters must be finite too (checked once per
    parameter version, so an unchanged layer is not re-checked).

    Raises:
        TypeError: a non-tensor or non-floating input (integer, complex), or an input dtype
            other than the parameters' (``input dtype torch.float64 does not match the
            layer's parameter dtype torch.float32``); bad option types (``"False"`` is no
            bool).
        ValueError: an input of another width or on another device than the parameters
            (both devices named), NaN/inf in the input or in a parameter (the parameter
            named), bad option values, sizes past ``MAX_ELEMENTS`` parameters.
    """

    circuit_kind = "daruan"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        reps: int = 3,
        ansatz: str = "pz",
        *,
        preact_trainable: bool = False,
        postact_weight_trainable: bool = False,
        postact_bias_trainable: bool = False,
        base_activation: BaseActivation = "silu",
        readout: Readout = "z",
        executor: str = "auto",
        executor_options: Mapping[str, Any] | None = None,
        theta_init: ThetaInit = "xavier",
        seed: int | torch.Generator | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        check_positive_int("in_features", in_features)
        check_positive_int("out_features", out_features)
        check_reps(reps)
        check_ansatz(ansatz)
        # the largest parameter tensor, before anything is allocated
        check_size_budget(
            "QKANLayer(in_features, out_features, reps)",
            in_features * out_features * max(math.prod(theta_shape(ansatz, reps)), 2 * reps),
        )
        for name, flag in (
            ("preact_trainable", preact_trainable),
            ("postact_weight_trainable", postact_weight_trainable),
            ("postact_bias_trainable", postact_bias_trainable),
        ):
            check_bool(name, flag)
        check_literal("base_activation", base_activation, BaseActivation)
        check_literal("readout", readout, Readout)
        check_literal("theta_init", theta_init, ThetaInit)
        self.in_features = in_features
        self.out_features = out_features
        self.reps = reps
        self.ansatz: str = ansatz
        self.preact_trainable = preact_trainable
        self.base_activation: BaseActivation = base_activation
        self.readout: Readout = readout
        self._set_executor(executor, {} if executor_options is None else executor_options)
        # Fourier weights: of prepare() (with the autograd mode they were built in), and the
        # no-grad ones with the parameter state they were built from (see _fourier_weights)
        self._cache: tuple[torch.Tensor, torch.Tensor] | None = None
        self._cache_mode: str | None = None
        self._quiet: tuple[Any, str, tuple[torch.Tensor, torch.Tensor] | None] | None = None
        self._checked: Any = None  # the parameter state last found finite
        self._prepared = False
        gen = make_generator(seed, generator)
        kw = {"dtype": check_param_dtype(dtype)}
        device = check_device("device", device)
        edges = (out_features, in_features)
        shape = (*edges, *theta_shape(ansatz, reps))
        # drawn in float64 then cast, so a seed gives the same layer in every dtype
        theta = torch.randn(shape, generator=gen, dtype=torch.float64)
        if theta_init == "xavier":
            rest = math.prod(shape[2:])
            theta = theta * math.sqrt(2.0 / ((in_features + out_features) * rest))
        elif theta_init == "zeros":
            theta = torch.zeros_like(theta)
        self.theta = nn.Parameter(theta.to(device=device, **kw))
        if preact_trainable:
            self.preact_weight = nn.Parameter(torch.ones(*edges, reps, device=device, **kw))
            self.preact_bias = nn.Parameter(torch.zeros(*edges, reps, device=device, **kw))
        else:
            self.register_parameter("preact_weight", None)
            self.register_parameter("preact_bias", None)
        if postact_weight_trainable:
            self.postact_weight = nn.Parameter(torch.ones(*edges, device=device, **kw))
        else:
            self.register_parameter("postact_weight", None)
        if postact_bias_trainable:
            self.postact_bias = nn.Parameter(torch.zeros(*edges, device=device, **kw))
        else:
            self.register_parameter("postact_bias", None)
        if base_activation == "silu":
            self.base_weight = nn.Parameter(torch.full(edges, 0.5, device=device, **kw))
        else:
            self.register_parameter("base_weight", None)

    # ------------------------------------------------------------------ executor
    def _job(self, x: torch.Tensor | None = None) -> DaruanJob:
        """A job with this layer's parameters on inputs ``x`` (a placeholder for resolution)."""
        return DaruanJob(
            self.theta.new_zeros(()) if x is None else x,
            self.theta,
            self.ansatz,
            self.preact_weight,
            self.preact_bias,
            self.readout,
            self.reps,
        )

    # ------------------------------------------------------------------ accounting
    @staticmethod
    def count_formula(
        in_features: int,
        out_features: int,
        reps: int = 3,
        ansatz: str = "pz",
        *,
        preact_trainable: bool = False,
        postact_weight_trainable: bool = False,
        postact_bias_trainable: bool = False,
        base_activation: BaseActivation = "silu",
    ) -> int:
        """Trainable-parameter count of a layer with these options (formula in the class doc)."""
        edges = in_features * out_features
        n_theta = math.prod(theta_shape(ansatz, reps))
        return edges * (
            n_theta
            + (2 * reps if preact_trainable else 0)
            + int(postact_weight_trainable)
            + int(postact_bias_trainable)
            + int(base_activation == "silu")
        )

    def quantum_parameter_names(self) -> tuple[str, ...]:
        """Local names of the DARUAN parameters (angles and pre-activations)."""
        names = ["theta"]
        if self.preact_weight is not None:
            names += ["preact_weight", "preact_bias"]
        return tuple(names)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"reps={self.reps}, ansatz={self.ansatz!r}, preact_trainable={self.preact_trainable}, "
            f"base_activation={self.base_activation!r}, readout={self.readout!r}, "
            f"executor={self.executor!r}"
        )

    # ------------------------------------------------------------------ forward
    _PARAMETERS = (
        "theta",
        "preact_weight",
        "preact_bias",
        "postact_weight",
        "postact_bias",
        "base_weight",
    )

    def _parameter_state(self) -> Any:
        """The parameters' :func:`~qmem.circuits.checks.parameter_state` (the tensors, their
        in-place versions and storage), which the finiteness check and the Fourier-weight
        caches are keyed on; None (nothing reused) under torch.func transforms, whose
        vmapped parameters have no storage."""
        if _transforms_active():  # vmapped parameters (--vectorize) have no storage
            return None
        return parameter_state(tuple(getattr(self, n) for n in self._PARAMETERS))

    _same_state = staticmethod(same_state)

    def _check_parameters(self, state: Any) -> None:
        """Refuse NaN/inf in a parameter (named); once per parameter state. Not under
        torch.func transforms (the check branches on values, which vmap cannot; a vectorised
        trainer checks its losses)."""
        if same_state(state, self._checked) or _transforms_active():
            return
        check_finite_parameters(((n, getattr(self, n)) for n in self._PARAMETERS), "QKAN layer")
        self._checked = state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer: (..., in_features) -> (..., out_features)."""
        state = None
        if not self._prepared:
            check_input(x, self.theta, self.in_features, "layer")
            state = self._parameter_state()
            self._check_parameters(state)
        elif x.shape[-1] != self.in_features:
            raise ValueError(
                f"input must have shape (..., {self.in_features}), got {tuple(x.shape)}"
            )
        lead = x.shape[:-1]
        flat = x.reshape(-1, self.in_features)  # (N, I)
        if flat.shape[0] == 0:
            return self._empty(flat).reshape(*lead, self.out_features)  # (..., O)
        executor = self._pick(flat, state)
        if executor.name == "fourier":
            y = self._forward_fourier(flat)
        else:
            y = self._forward_edges(flat, executor)
        return y.reshape(*lead, self.out_features)  # (..., O)

    def _empty(self, x: torch.Tensor) -> torch.Tensor:
        """The (0, O) result of an empty batch (every executor), in the graph of the input
        and the parameters so that a backward gives zero gradients."""
        zero = x.sum() * 0
        for p in self.parameters():
            zero = zero + p.sum() * 0
        return zero.expand(0, self.out_features)

    def _pick(self, x: torch.Tensor, state: Any) -> Executor:
        """The executor of this call: the set one, or for ``"auto"`` the Fourier form when
        its weights cost no circuit (prepared in this autograd mode; or a no-grad call on
        parameters unchanged since the last no-grad call, which then builds them once for
        the calls to come), else the shape rule of :mod:`qmem.circuits.daruan.auto`."""
        if self._executor != "auto":
            return self._resolve()
        candidates = self._auto_candidates()
        if len(candidates) > 1 and candidates[0].name == "fourier":
            mode = _autograd_mode()
            if self._cache is not None and self._cache_mode == mode:
                return candidates[0]
            if mode != "grad" and state is not None:
                quiet = self._quiet
                if quiet is not None and quiet[1] == mode and self._same_state(quiet[0], state):
                    return candidates[0]
                self._quiet = (state, mode, None)  # seen once: Fourier if seen again
            if candidates[1].name == "bloch":  # the rule, from the call's shape directly
                grad = mode == "grad" and (
                    x.requires_grad or any(p.requires_grad for p in self.parameters())
                )
                edges = self.in_features * self.out_features
                bloch = prefer_bloch(x.shape[0], edges, self.reps, self.theta.dtype, grad=grad)
                return candidates[1] if bloch else candidates[0]
        return pick_auto("daruan", self._job(x.unsqueeze(1)), candidates)

    def _fourier_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight (O, I·2r) and bias (O,) of the Fourier form (batch-independent).

        Built in the caller's autograd mode, and reused only where that is safe: those of
        :meth:`prepare` while prepared (in the mode they were built in), and under
        ``torch.no_grad()`` / ``torch.inference_mode()`` those of an earlier call in the
        same mode while no parameter has changed (same tensors, same in-place versions and
        storage), so streaming inference does no circuit work. With gradients enabled and
        not prepared they are rebuilt (a graph may be consumed by a backward). In-place
        writes through ``.data`` bypass the version counters: call :meth:`release` after
        them.
        """
        mode = _autograd_mode()
        if self._cache is not None and self._cache_mode == mode:
            return self._cache
        if mode == "grad":
            return self._compute_fourier_weights()
        state = self._parameter_state()
        quiet = self._quiet
        if quiet is not None and quiet[1] == mode and self._same_state(quiet[0], state):
            if quiet[2] is not None:
                return quiet[2]
        weights = self._compute_fourier_weights()
        if state is not None:
            self._quiet = (state, mode, weights)
        return weights

    def _compute_fourier_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`_fourier_weights`, computed."""
        # coefficients per edge: (O, I, 2r+1) = (a0, a1..ar, b1..br)
        return self._weights_from(fourier_coefficients(self.theta, self.ansatz))

    def _weights_from(self, coeffs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The Fourier weights from this layer's edge coefficients ``(O, I, 2r+1)``."""
        const = coeffs[..., 0]  # (O, I)
        harm = coeffs[..., 1:]  # (O, I, 2r)
        if self.postact_bias is not None:
            const = const + self.postact_bias
        if self.postact_weight is not None:
            const = const * self.postact_weight
            harm = harm * self.postact_weight.unsqueeze(-1)
        return harm.reshape(self.out_features, -1), const.sum(dim=1)  # (O, I*2r), (O,)

    def _forward_fourier(self, x: torch.Tensor) -> torch.Tensor:
        weight, bias = self._fourier_weights()
        k, phase = harmonics(self.reps, dtype=x.dtype, device=x.device)  # (2r,) each
        basis = torch.cos(torch.addcmul(phase, x.unsqueeze(-1), k))  # (N, I, 2r)
        y = F.linear(basis.flatten(1), weight, bias)  # (N, I*2r) -> (N, O)
        if self.base_weight is not None:
            y = torch.addmm(y, F.silu(x), self.base_weight.t())  # + SiLU branch
        return y

    # ------------------------------------------------------------------ sequence caching
    def prepare(self) -> None:
        """Compute the batch-independent work once for many calls (e.g. the steps of a
        sequence), until :meth:`release`: the Fourier weights when that executor is used.

        The weights are built in the current autograd mode (with gradients: in autograd, so
        one backward through all the calls reaches θ once) and served only to calls in that
        mode; with ``"auto"`` every prepared call in it runs the Fourier form. While
        prepared, calls also skip the per-call checks of the input (the caller checks its
        sequence once); the parameters are checked here. Use through
        ``qmem.classical.prepared(module)``, which releases even on error.
        """
        self._check_parameters(self._parameter_state())
        self._cache = None
        if self._fourier_capable():
            self._cache = self._compute_fourier_weights()
            self._cache_mode = _autograd_mode()
        self._prepared = True

    def _fourier_capable(self) -> bool:
        """Whether this layer's executor is ``"fourier"``, or ``"auto"`` with Fourier among
        its candidates."""
        if self._executor == "auto":
            return self._auto_candidates()[0].name == "fourier"
        return self._resolve().name == "fourier"

    def release(self) -> None:
        """Drop what :meth:`prepare` computed, and the no-grad Fourier weights."""
        self._cache = None
        self._cache_mode = None
        self._quiet = None
        self._prepared = False

    def _forward_edges(self, x: torch.Tensor, executor: Executor) -> torch.Tensor:
        # inputs checked by forward, parameters and options when set: no second check here
        job = self._job(x.unsqueeze(1))  # x (N, 1, I): broadcast over the O outputs
        phi = run_daruan(executor, job, self._options)  # (N, O, I)
        if self.postact_bias is not None:
            phi = phi + self.postact_bias
        if self.postact_weight is not None:
            phi = phi * self.postact_weight
        y = phi.sum(dim=-1)  # (N, O)
        if self.base_weight is not None:
            y = y + F.linear(F.silu(x), self.base_weight)
        return y

    # --- sequence engine (qmem.edge_form): the layer as W·Φ(x) + b
    def edge_form(self) -> Any:
        """The layer as an edge-wise map ``y = W·Φ(x) + b`` for the sequence engine, or
        ``None`` when the Fourier form does not apply (an explicit non-Fourier executor,
        trainable pre-activations, another readout).

        ``Φ`` is :class:`FourierBasis` (cos/sin harmonics, the SiLU
        branch appended); ``W`` of shape ``(O, I, 2r [+1])`` is built in autograd from θ.

        >>> layer = QKANLayer(2, 3, reps=2, seed=0)
        >>> x = torch.randn(4, 2)
        >>> torch.allclose(layer.edge_form().apply(x), layer(x), atol=1e-6)
        True
        """
        if not self.edge_form_applies():
            return None
        return self._edge_form_from(*self._fourier_weights())  # (O, I*2r), (O,)

    @staticmethod
    def edge_forms(layers: list[QKANLayer]) -> list[Any]:
        """:meth:`edge_form` of several layers at once: layers of one shape share one
        coefficient map (their θ stacked), e.g. the four latent maps of an HQKAN-LSTM."""
        first = layers[0]
        same = all(
            type(m) is QKANLayer
            and (m.in_features, m.out_features, m.reps, m.ansatz) ==
            (first.in_features, first.out_features, first.reps, first.ansatz)
            and m.theta.dtype == first.theta.dtype and m.theta.device == first.theta.device
            for m in layers
        )
        # without gradients each layer's own cached weights are cheaper than a joint map
        joint = len(layers) > 1 and same and _autograd_mode() == "grad"
        if not joint or not all(m.edge_form_applies() for m in layers):
            return [m.edge_form() for m in layers]
        coeffs = fourier_coefficients(torch.stack([m.theta for m in layers]), first.ansatz)
        out = []
        for m, c in zip(layers, coeffs.unbind(0), strict=True):  # c (O, I, 2r+1)
            weight, bias = m._weights_from(c)
            out.append(m._edge_form_from(weight, bias))
        return out

    def edge_form_applies(self) -> bool:
        """Whether :meth:`edge_form` gives a form (the Fourier form runs this layer)."""
        if self.executor not in ("auto", "fourier"):
            return False
        return get_executor("fourier").unsupported(self._job()) is None

    def _edge_form_from(self, weight: torch.Tensor, bias: torch.Tensor) -> Any:
        weight = weight.reshape(self.out_features, self.in_features, -1)  # (O, I, 2r)
        k, phase = harmonics(self.reps, dtype=weight.dtype, device=weight.device)
        silu = self.base_weight is not None
        if silu:
            weight = torch.cat([weight, self.base_weight.unsqueeze(-1)], dim=-1)  # (O, I, 2r+1)
        return EdgeForm(FourierBasis(k, phase, silu=silu), weight, bias)

    # ------------------------------------------------------------------ refinement
    @torch.no_grad()
    def refined(self, new_reps: int) -> QKANLayer:
        """A copy with ``new_reps`` re-uploadings that computes the same function.

        Added layers are placed after the old ones with zero angles; the old final block
        becomes a regular layer. For ``pz`` and ``rpz`` this leaves only Z rotations after the
        old circuit, which ⟨Z⟩ does not see. For ``real`` the added ``X RY(π) Z`` block is
        ``-I``, which needs the added data rotation switched off (w = b = 0), so ``real`` can be
        refined only with trainable pre-activations.

        Raises:
            ValueError: ``new_reps <= reps``, ``real`` without trainable pre-activations, or
                a registered ansatz other than the three built-in ones.
        """
        check_reps(new_reps)
        if self.ansatz not in ("pz", "rpz", "real"):
            raise ValueError(f"refined() knows the ansätze pz, rpz, real, not {self.ansatz!r}")
        if new_reps <= self.reps:
            raise ValueError(f"new_reps must exceed reps={self.reps}, got {new_reps}")
        if self.ansatz == "real" and self.preact_weight is None:
            raise ValueError(
                "ansatz 'real' can be refined only with preact_trainable=True: its added data "
                "rotation RY(x) cannot be switched off when w=1, b=0"
            )
        new = QKANLayer(
            self.in_features,
            self.out_features,
            new_reps,
            self.ansatz,
            preact_trainable=self.preact_weight is not None,
            postact_weight_trainable=self.postact_weight is not None,
            postact_bias_trainable=self.postact_bias is not None,
            base_activation=self.base_activation,
            readout=self.readout,
            executor=self.executor,
            executor_options=self.executor_options,
            theta_init="zeros",
            dtype=self.theta.dtype,
            device=self.theta.device,
        )
        r = self.reps
        if self.ansatz == "real":
            new.theta[..., :r] = self.theta
            new.theta[..., r:] = math.pi
        else:
            new.theta[:, :, : r + 1] = self.theta
        if self.preact_weight is not None:
            new.preact_weight[..., :r] = self.preact_weight
            new.preact_bias[..., :r] = self.preact_bias
            if self.ansatz == "real":
                new.preact_weight[..., r:] = 0.0
        for name in ("postact_weight", "postact_bias", "base_weight"):
            src = getattr(self, name)
            if src is not None:
                getattr(new, name).copy_(src)
        return new
