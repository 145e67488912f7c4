"""The interpretable pathway: every DARUAN edge of a trained model as its exact formula.

A QKAN layer computes ``y_j = Σ_i [pw_ji·(φ_ji(x_i) + pb_ji) + bw_ji·SiLU(x_i)]`` (see
:class:`qmem.circuits.QKANLayer`). With fixed pre-activations (``z_l = x``) each DARUAN
``φ_ji`` is a trigonometric polynomial of degree r (``docs/math.md`` §2),

    φ(x) = a_0 + Σ_{k=1..r} (a_k cos kx + b_k sin kx),

whose 2r+1 coefficients come from :func:`qmem.circuits.daruan.fourier.fourier_coefficients`
(the layer's own Fourier form, exact). With trainable pre-activations ``z_l = w_l x + b_l``
the edge is still an exact finite sum of sinusoids, but of the frequencies ``n·w`` for
``n ∈ {-1, 0, 1}^r`` (:func:`edge_polynomials` finds them from the 3^r-point Fourier transform
of the circuit in its r data angles): a trigonometric polynomial in x (period 2π, degree
``Σ_l |w_l|``) only when every ``w_l`` is an integer, otherwise an almost-periodic sum.

:func:`edge_polynomials` returns one :class:`EdgePolynomial` per edge (layer path, output j,
input i, the coefficients, the post-activation weight and bias and the SiLU base weight noted
apart); :func:`format_edge` prints one, :func:`explain` a whole model, :func:`plot_edges`
draws the learned activations as a PNG grid. ``qmem explain RUN_DIR`` is the command line.

>>> import torch
>>> from qmem.circuits import QKANLayer
>>> layer = QKANLayer(2, 1, reps=1, seed=0, dtype=torch.float64)
>>> edges = edge_polynomials(layer)
>>> len(edges), len(edges[0].coefficients)       # 2 edges, 2r+1 coefficients each
(2, 3)
>>> print(format_edge(edges[0], precision=3))
φ(x) = 0.094 - 0.221 cos x - 0.0582 sin x + 0.5 silu(x)
>>> x = torch.tensor([[0.3, -1.2]], dtype=torch.float64)
>>> bool(torch.allclose(edges[0](x[:, 0]) + edges[1](x[:, 1]), layer(x)[:, 0]))
True
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from qmem.validation import check_float, check_int

__all__ = [
    "MAX_PREACT_REPS",
    "EdgePolynomial",
    "edge_polynomials",
    "explain",
    "format_edge",
    "plot_edges",
]

MAX_PREACT_REPS = 8
"""Largest ``reps`` of a layer with trainable pre-activations that :func:`edge_polynomials`
expands: its edges need 3^r circuit evaluations each (6561 at r = 8) and hold up to
(3^r - 1)/2 frequencies."""

_CHUNK = 2**18  # circuit evaluations per batched call
_PARAMETERS = (
    "theta", "preact_weight", "preact_bias", "postact_weight", "postact_bias", "base_weight",
)
Terms = tuple[np.ndarray, float, np.ndarray, np.ndarray, bool]
"""One edge: frequencies (K,), a_0, a (K,), b (K,), whether the frequencies are integers."""


@dataclass(frozen=True)
class EdgePolynomial:
    """One DARUAN edge ``(j, i)`` of a QKAN layer as its exact formula.

    The edge's contribution to output ``j`` is
    ``post_weight·(φ(x) + post_bias) + base_weight·SiLU(x)`` with
    ``φ(x) = constant + Σ_k cos_k·cos(ω_k x) + sin_k·sin(ω_k x)`` (the bare DARUAN, its
    frequencies ``ω_k = frequencies[k] > 0``). :attr:`coefficients` folds the post-activation
    weight and bias in; the SiLU branch stays apart (:attr:`base_weight`, None without it).

    Attributes:
        layer: the layer's module path in the model (``""`` for the layer itself).
        out: output index j.
        inp: input index i.
        ansatz: the DARUAN ansatz.
        reps: re-uploadings r.
        frequencies: ω_1 < ω_2 < … (for fixed pre-activations ``1..r``).
        constant: a_0 of φ.
        cos: a_k of φ, one per frequency.
        sin: b_k of φ, one per frequency.
        post_weight: pw (1.0 when not trainable).
        post_bias: pb (0.0 when not trainable).
        base_weight: bw of the SiLU branch, None when the layer has none.
        integer: every frequency is an integer (then φ is a trigonometric polynomial of
            degree ``frequencies[-1]``, listed with every k, zeros included).

    >>> e = EdgePolynomial("g", 0, 1, "pz", 1, (1.0,), 0.5, (0.25,), (-0.125,), 2.0, 0.0,
    ...                    None, True)
    >>> e.coefficients, round(e.strength, 6)
    ((1.0, 0.5, -0.25), 0.395285)
    >>> float(e(torch.tensor(0.0)))
    1.5
    """

    layer: str
    out: int
    inp: int
    ansatz: str
    reps: int
    frequencies: tuple[float, ...]
    constant: float
    cos: tuple[float, ...]
    sin: tuple[float, ...]
    post_weight: float
    post_bias: float
    base_weight: float | None
    integer: bool

    @property
    def coefficients(self) -> tuple[float, ...]:
        """``(a_0, a_1..a_K, b_1..b_K)`` of ``pw·(φ + pb)``: the layout of
        ``fourier_coefficients``, post-activation folded in (2r+1 numbers for fixed
        pre-activations)."""
        pw = self.post_weight
        return (
            pw * (self.constant + self.post_bias),
            *(pw * a for a in self.cos),
            *(pw * b for b in self.sin),
        )

    @property
    def strength(self) -> float:
        """RMS of the oscillating part of ``pw·φ`` (``|pw|·√(Σ a_k² + b_k²)/√2``): how much
        the edge varies with its input (the ranking of ``--top``)."""
        power = sum(a * a for a in self.cos) + sum(b * b for b in self.sin)
        return abs(self.post_weight) * math.sqrt(power / 2.0)

    def __call__(self, x: torch.Tensor, *, base: bool = True) -> torch.Tensor:
        """Evaluate the edge at ``x`` (any shape, float64): ``pw·(φ(x) + pb)``, plus
        ``bw·SiLU(x)`` when ``base`` and the layer has the branch."""
        x = torch.as_tensor(x, dtype=torch.float64)
        c = self.coefficients
        k = len(self.frequencies)
        y = torch.full_like(x, c[0])
        for w, a, b in zip(self.frequencies, c[1 : k + 1], c[k + 1 :], strict=True):
            y = y + a * torch.cos(w * x) + b * torch.sin(w * x)
        if base and self.base_weight is not None:
            y = y + self.base_weight * F.silu(x)
        return y

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values."""
        return asdict(self)


# --------------------------------------------------------------------------- extraction
def _qkan_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    from qmem.circuits import QKANLayer

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = [(name, m) for name, m in model.named_modules() if isinstance(m, QKANLayer)]
    if not layers:
        raise ValueError(
            f"{type(model).__name__} holds no QKANLayer: only models with DARUAN edges "
            "(qkan_lstm, hqkan_lstm, hqkan, lstm_variant with gate_map qkan or hqkan, a "
            "QKANLayer) have edge polynomials"
        )
    return layers


def _check_layer(path: str, layer: nn.Module) -> None:
    from qmem.circuits.daruan.bloch import bloch_supports

    where = f"layer {path or '<model>'!r}"
    if layer.readout != "z":
        raise ValueError(
            f"{where} has readout {layer.readout!r} (qkan's |α| - |β|), which is no finite "
            "sum of sinusoids; only readout 'z' has an exact trigonometric form"
        )
    if not bloch_supports(layer.ansatz):
        raise ValueError(
            f"{where} uses ansatz {layer.ansatz!r}, outside the exact engine (gates RZ, RY, "
            "X, Z); its coefficients are not computed"
        )
    if layer.preact_weight is not None and layer.reps > MAX_PREACT_REPS:
        raise ValueError(
            f"{where} has trainable pre-activations and reps={layer.reps}: each edge is a sum "
            f"of up to (3^r - 1)/2 sinusoids of frequencies n·w (n in {{-1, 0, 1}}^r), found "
            f"from 3^r circuit evaluations; the limit is reps <= {MAX_PREACT_REPS}"
        )
    for name in _PARAMETERS:
        p = getattr(layer, name)
        if p is not None and not bool(torch.isfinite(p.detach()).all()):
            raise ValueError(f"parameter {name!r} of {where} holds non-finite values")


def _fixed_terms(layer: nn.Module) -> list[Terms]:
    """Edges of a layer with z_l = x: ``(frequencies, a0, a, b)`` per edge, (O·I) of them."""
    from qmem.circuits.daruan.fourier import fourier_coefficients

    r = layer.reps
    theta = layer.theta.detach().to(torch.float64)
    coeffs = fourier_coefficients(theta, layer.ansatz).reshape(-1, 2 * r + 1).numpy()
    freqs = np.arange(1, r + 1, dtype=np.float64)
    return [(freqs, float(c[0]), c[1 : r + 1], c[r + 1 :], True) for c in coeffs]


def _angle_grid(r: int) -> tuple[torch.Tensor, np.ndarray]:
    """The 3^r data angles ``2πm/3`` (3^r, r) and the matching FFT frequencies
    ``n ∈ {0, 1, -1}^r`` (3^r, r), both in row-major order over the r axes."""
    m = np.array(list(itertools.product(range(3), repeat=r)), dtype=np.int64)  # (3^r, r)
    n = np.where(m == 2, -1, m)  # FFT index 2 is frequency -1
    return torch.from_numpy(m * (2.0 * math.pi / 3.0)), n


def _preact_terms(layer: nn.Module) -> list[Terms]:
    """Edges of a layer with trainable ``z_l = w_l x + b_l``: ``(frequencies, a0, a, b)``.

    As a function of its r data angles, ``Φ(z) = Σ_n ĉ_n e^{i n·z}`` with n ∈ {-1, 0, 1}^r
    (each data rotation adds ``e^{±i z_l/2}`` to ket and bra): ĉ is the r-dimensional DFT of
    Φ on the 3^r grid, exact. Then ``φ(x) = Σ_n ĉ_n e^{i n·b} e^{i (n·w) x}``.
    """
    from qmem.circuits import daruan

    r = layer.reps
    theta = layer.theta.detach().to(torch.float64)
    w_all = layer.preact_weight.detach().to(torch.float64).reshape(-1, r).numpy()  # (E, r)
    b_all = layer.preact_bias.detach().to(torch.float64).reshape(-1, r).numpy()
    tail = theta.shape[2:]
    flat = theta.reshape(-1, *tail)  # (E, *theta_tail)
    grid, n = _angle_grid(r)  # (M, r)
    x0 = torch.zeros((), dtype=torch.float64)
    per = max(1, _CHUNK // grid.shape[0])
    chunks = []
    for s in range(0, flat.shape[0], per):
        th = flat[s : s + per].unsqueeze(1)  # (e, 1, *theta_tail)
        # z_l = 0·x + grid_l: w = 0 broadcasts against θ's (e, 1) and the grid's (M,)
        chunks.append(daruan(x0, th, ansatz=layer.ansatz, w=torch.zeros(r, dtype=torch.float64),
                             b=grid, executor="bloch"))  # (e, M): Φ at every grid point
    samples = torch.cat(chunks)  # (E, M)
    cube = samples.reshape(-1, *([3] * r)).numpy()  # (E, 3, ..., 3)
    chat = np.fft.fftn(cube, axes=tuple(range(1, r + 1))).reshape(len(flat), -1) / 3**r
    first = n[np.arange(len(n)), np.argmax(n != 0, axis=1)]  # first nonzero entry (0 for n=0)
    rep = first == 1  # one of each pair {n, -n}
    out = []
    for e in range(len(flat)):
        integer = bool(np.all(w_all[e] == np.round(w_all[e])))  # then ω = n·w exactly
        c = chat[e] * np.exp(1j * (n @ b_all[e]))  # C_n = ĉ_n e^{i n·b}
        omega = (n[rep] @ np.round(w_all[e]).astype(np.int64)) if integer else n[rep] @ w_all[e]
        a = 2.0 * c[rep].real  # C e^{iωx} + conj: 2Re C cos ωx - 2Im C sin ωx
        s = -2.0 * c[rep].imag
        s = np.where(omega < 0, -s, s)
        omega = np.abs(omega)
        const = float(c[~n.any(axis=1)][0].real) + float(a[omega == 0].sum())
        keep = omega != 0
        if integer:
            degree = int(omega.max()) if omega.size else 0
            freqs = np.arange(1, degree + 1, dtype=np.float64)
            idx = omega[keep] - 1
            aa = np.bincount(idx, weights=a[keep], minlength=degree)
            bb = np.bincount(idx, weights=s[keep], minlength=degree)
        else:
            freqs, inv = np.unique(omega[keep].astype(np.float64), return_inverse=True)
            aa = np.bincount(inv, weights=a[keep], minlength=len(freqs))
            bb = np.bincount(inv, weights=s[keep], minlength=len(freqs))
        out.append((freqs, const, aa, bb, integer))
    return out


def _per_edge(layer: nn.Module, name: str, default: float | None) -> list[float | None]:
    """A per-edge parameter (O, I) as O·I floats in row-major order, or ``default``s."""
    p = getattr(layer, name)
    if p is None:
        return [default] * (layer.out_features * layer.in_features)
    return [float(v) for v in p.detach().to(torch.float64).reshape(-1)]  # (O*I,)


def edge_polynomials(model: nn.Module) -> list[EdgePolynomial]:
    """Every DARUAN edge of ``model`` (each :class:`~qmem.circuits.QKANLayer` in it, in
    module order; edges in ``(j, i)`` row-major order) as its exact formula.

    Args:
        model: a model holding QKAN layers (``qkan_lstm``, ``hqkan_lstm``, ``hqkan``,
            ``lstm_variant`` with a ``qkan``/``hqkan`` gate map), or a ``QKANLayer``.

    Returns:
        One :class:`EdgePolynomial` per edge, coefficients in float64 (from the parameters
        cast to float64).

    Raises:
        TypeError: ``model`` is no ``torch.nn.Module``.
        ValueError: no QKAN layer in it; a layer with readout ``"abs"`` (no finite
            trigonometric form), an ansatz outside the exact engine, trainable
            pre-activations with ``reps > MAX_PREACT_REPS``, non-finite parameters.

    >>> from qmem.models import build
    >>> model = build("qkan_lstm", input_size=1, hidden_size=2, reps=2, seed=0)
    >>> edges = edge_polynomials(model)
    >>> len(edges), edges[0].layer, len(edges[0].coefficients)  # 4 gates x 2 units x 3 inputs
    (24, 'cell.gates', 5)
    >>> edge_polynomials(build("lstm", input_size=1, hidden_size=2))
    Traceback (most recent call last):
    ...
    ValueError: RecurrentModel holds no QKANLayer: only models with DARUAN edges ...
    """
    records: list[EdgePolynomial] = []
    for path, layer in _qkan_layers(model):
        _check_layer(path, layer)
        terms = _preact_terms(layer) if layer.preact_weight is not None else _fixed_terms(layer)
        pw = _per_edge(layer, "postact_weight", 1.0)
        pb = _per_edge(layer, "postact_bias", 0.0)
        bw = _per_edge(layer, "base_weight", None)
        for e, (freqs, a0, a, b, integer) in enumerate(terms):
            j, i = divmod(e, layer.in_features)
            records.append(EdgePolynomial(
                layer=path, out=j, inp=i, ansatz=layer.ansatz, reps=layer.reps,
                frequencies=tuple(float(f) for f in freqs), constant=float(a0),
                cos=tuple(float(v) for v in a), sin=tuple(float(v) for v in b),
                post_weight=pw[e], post_bias=pb[e], base_weight=bw[e], integer=integer,
            ))
    return records


# --------------------------------------------------------------------------- printing
def _num(value: float, precision: int) -> str:
    return f"{value:.{precision}g}"


def _arg(freq: float, integer: bool, precision: int, var: str) -> str:
    if integer:
        k = round(freq)
        return f" {var}" if k == 1 else f" {k}{var}"
    return f"({_num(freq, precision)}{var})"


def format_edge(
    edge: EdgePolynomial,
    *,
    precision: int = 4,
    threshold: float = 0.0,
    base: bool = True,
    var: str = "x",
) -> str:
    """The edge as a formula, post-activation folded in, e.g.
    ``φ(x) = 0.12 + 0.53 cos x - 0.08 sin x + 0.2 cos 2x + 0.5 silu(x)``.

    Args:
        edge: a record of :func:`edge_polynomials`.
        precision: significant digits of every number (1..17; 17 round-trips float64).
        threshold: leave out harmonics whose coefficient is at most this in magnitude.
        base: append the SiLU branch (``bw silu(x)``) when the layer has it.
        var: the variable's name.

    Non-integer frequencies print as ``cos(1.03x)``.

    >>> e = EdgePolynomial("", 0, 0, "rpz", 2, (1.0, 2.0), 0.1, (0.5, 0.0), (-0.25, 1e-9),
    ...                    1.0, 0.0, 0.5, True)
    >>> format_edge(e, precision=2)
    'φ(x) = 0.1 + 0.5 cos x - 0.25 sin x + 0 cos 2x + 1e-09 sin 2x + 0.5 silu(x)'
    >>> format_edge(e, precision=2, threshold=1e-6, base=False)
    'φ(x) = 0.1 + 0.5 cos x - 0.25 sin x'
    """
    check_int("precision", precision, minimum=1, maximum=17)
    check_float("threshold", threshold, minimum=0.0)
    c = edge.coefficients
    k = len(edge.frequencies)
    text = f"φ({var}) = {_num(c[0], precision)}"
    terms = zip(edge.frequencies, c[1 : k + 1], c[k + 1 :], strict=True)
    for fn, freq, value in ((t, f, v) for f, a, b in terms for t, v in (("cos", a), ("sin", b))):
        if threshold > 0 and abs(value) <= threshold:
            continue
        sign = "-" if value < 0 else "+"
        text += f" {sign} {_num(abs(value), precision)} {fn}"
        text += _arg(freq, edge.integer, precision, var)
    if base and edge.base_weight is not None:
        sign = "-" if edge.base_weight < 0 else "+"
        text += f" {sign} {_num(abs(edge.base_weight), precision)} silu({var})"
    return text


def explain(
    model: nn.Module,
    *,
    top: int | None = None,
    precision: int = 4,
    threshold: float = 0.0,
) -> str:
    """Every QKAN layer of ``model`` and its edges' formulas, as text (``qmem explain``).

    Args:
        model: see :func:`edge_polynomials`.
        top: per layer, only the ``top`` edges of largest :attr:`EdgePolynomial.strength`.
        precision: significant digits.
        threshold: see :func:`format_edge`.

    >>> from qmem.circuits import QKANLayer
    >>> print(explain(QKANLayer(1, 2, reps=1, seed=0), top=1, precision=2))
    layer <model>: QKANLayer(1 -> 2), pz, reps 1, z = x, SiLU branch; 2 edges (1 strongest shown)
      [j=1, i=0]  φ(x) = 0.46 - 0.28 cos x - 0.1 sin x + 0.5 silu(x)
    """
    if top is not None:
        check_int("top", top, minimum=1)
    records = edge_polynomials(model)
    layers = dict(_qkan_layers(model))
    lines: list[str] = []
    for path, layer in layers.items():
        edges = [e for e in records if e.layer == path]
        shown = sorted(edges, key=lambda e: -e.strength)[:top] if top else edges
        pre = "z_l = w_l x + b_l" if layer.preact_weight is not None else "z = x"
        base = ", SiLU branch" if layer.base_weight is not None else ""
        count = f"{len(edges)} edges" + (f" ({len(shown)} strongest shown)" if top else "")
        lines.append(
            f"layer {path or '<model>'}: QKANLayer({layer.in_features} -> "
            f"{layer.out_features}), {layer.ansatz}, reps {layer.reps}, {pre}{base}; {count}"
        )
        if layer.preact_weight is not None and not all(e.integer for e in edges):
            lines.append("  (non-integer w: each φ is a finite sum of sinusoids of the listed "
                         "frequencies, not a 2π-periodic polynomial)")
        for e in shown:
            lines.append(f"  [j={e.out}, i={e.inp}]  "
                         f"{format_edge(e, precision=precision, threshold=threshold)}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- plotting
def plot_edges(
    model: nn.Module,
    path: str | Path,
    *,
    x_range: Sequence[float] = (-math.pi, math.pi),
    top: int | None = 36,
    points: int = 201,
    columns: int | None = None,
) -> Path:
    """Draw the learned activations as a PNG grid: one panel per edge, ``pw·(φ(x) + pb)``
    (solid) and, with the SiLU branch, the whole edge (dashed), over ``x_range``.

    Args:
        model: see :func:`edge_polynomials`.
        path: the PNG file to write (its folder must exist).
        x_range: ``(low, high)``, e.g. the data range; default one period ``[-π, π]``.
        top: at most this many edges, the strongest over all layers (None: every edge).
        points: samples per curve (2..100000).
        columns: panels per row (default ≈ √ of the panel count).

    Returns:
        The path written.

    >>> import tempfile, pathlib
    >>> from qmem.circuits import QKANLayer
    >>> png = pathlib.Path(tempfile.mkdtemp()) / "edges.png"
    >>> out = plot_edges(QKANLayer(2, 2, reps=2, seed=0), png)
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    if len(x_range) != 2:
        raise ValueError(f"x_range must be (low, high), got {x_range!r}")
    low, high = (check_float("x_range", v) for v in x_range)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high, got {tuple(x_range)}")
    check_int("points", points, minimum=2, maximum=100_000)
    if top is not None:
        check_int("top", top, minimum=1)
    records = edge_polynomials(model)
    if top is not None and len(records) > top:
        records = sorted(records, key=lambda e: -e.strength)[:top]
    n = len(records)
    cols = columns if columns is not None else math.ceil(math.sqrt(n))
    check_int("columns", cols, minimum=1)
    rows = math.ceil(n / cols)

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    from qmem.experiments.files import atomic_write_bytes

    x = torch.linspace(low, high, points, dtype=torch.float64)
    fig, axes = plt.subplots(rows, cols, figsize=(2.4 * cols, 1.9 * rows), squeeze=False)
    for ax, e in zip(axes.flat, records, strict=False):
        ax.plot(x.numpy(), e(x, base=False).numpy(), lw=1.2)
        if e.base_weight is not None:
            ax.plot(x.numpy(), e(x).numpy(), lw=0.9, ls="--", color="gray")
        ax.set_title(f"{e.layer or 'layer'}[{e.out},{e.inp}]", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    out = Path(path)
    atomic_write_bytes(out, buf.getvalue())
    return out
