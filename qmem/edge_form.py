"""Gate maps as sums of per-input functions: the form the sequence engine runs.

Every gate map of the recurrent scaffolds but the VQC is *edge-wise*: output ``o`` is a sum
over inputs ``d`` of one function per edge. Such a map is a fixed per-input feature
expansion followed by one linear map::

    y_o = Σ_d Σ_f W[o, d, f] · Φ_f(z_d) + b_o          Φ(z): (N, D) -> (N, D, F)

``Linear`` has ``Φ(z) = z`` (``F = 1``); a B-spline KAN edge ``a·silu(z) + Σ_m c_m B_m(z)``
has ``Φ = (silu, B_1 … B_{G+k})`` (``qmem.classical.kan.SplineBasis``); a QKAN edge in its
Fourier form has ``Φ = (cos z … cos rz, sin z … sin rz[, silu z])``
(``qmem.circuits.daruan.layer.FourierBasis``). This module is a leaf (it imports nothing of
the project), so circuits and classical maps both implement it. Because the sum runs over
inputs, the ``x_t`` part of ``M([x_t, h_{t-1}])`` is computed for every step at once and
only the ``h_{t-1}`` part stays in the time loop.

A map exposes its form through ``edge_form() -> EdgeForm | None`` (``None``: not edge-wise
for its current settings, e.g. a QKAN layer on a simulator executor); :func:`edge_form_of`
also knows ``nn.Linear``. The weight is built in autograd from the map's parameters, once per
sequence; the basis is evaluated without autograd inside the engine, which differentiates it
by :meth:`Basis.derivative`.

>>> import torch
>>> lin = torch.nn.Linear(3, 2)
>>> form = edge_form_of(lin)
>>> z = torch.linspace(-2, 2, 12).reshape(4, 3)
>>> torch.allclose(form.apply(z), lin(z))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "Basis",
    "BottleneckForm",
    "EdgeForm",
    "IdentityBasis",
    "bottleneck_form_of",
    "bottleneck_forms_of",
    "edge_form_of",
    "edge_forms_of",
    "silu_derivative",
]


class Basis:
    """A per-input feature expansion ``Φ``: ``(N, D) -> (N, D, F)`` and its derivative.

    Subclasses set ``width`` and implement ``__call__`` and ``derivative``; the flat layout
    methods default to ``(d, f)`` row-major. A basis ``Φ(z) = (z, z²)``:

    >>> class Square(Basis):
    ...     width = 2
    ...     def __call__(self, z):
    ...         return torch.stack([z, z * z], dim=-1)  # (N, D, 2)
    ...     def derivative(self, z):
    ...         return torch.stack([torch.ones_like(z), 2 * z], dim=-1)  # (..., D, 2)
    >>> z = torch.tensor([[1.0, 3.0]])  # (N, D) = (1, 2)
    >>> Square().flat(z).tolist(), Square().flat_derivative(z).tolist()
    ([[1.0, 1.0, 3.0, 9.0]], [[1.0, 2.0, 1.0, 6.0]])
    >>> Square().owners(2).tolist()  # input index of each flat feature
    [0, 0, 1, 1]
    """

    width: int
    """``F``, features per input."""
    identity: bool = False
    """``Φ(z) = z``: the engine skips the expansion."""

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        """``Φ(z)``: ``z (N, D) -> (N, D, F)``."""
        raise NotImplementedError

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        """``dΦ/dz`` per input: ``z (..., D) -> (..., D, F)``."""
        raise NotImplementedError

    def columns(self, start: int, stop: int) -> Basis:
        """The basis of inputs ``start:stop`` (itself unless it holds per-input data)."""
        return self

    # The engine works on flat features ``(N, D·F)`` in a layout the basis chooses (the
    # default is ``(d, f)`` row-major); the three methods below must agree on it.
    def flat(self, z: torch.Tensor) -> torch.Tensor:
        """``Φ(z)`` flattened: ``z (N, D) -> (N, D·F)`` in this basis' layout."""
        return self(z).flatten(-2)

    def flat_derivative(self, z: torch.Tensor) -> torch.Tensor:
        """``dΦ/dz`` flattened: ``z (N, D) -> (N, D·F)`` in this basis' layout."""
        return self.derivative(z).flatten(-2)

    def flat_weight(self, weight: torch.Tensor) -> torch.Tensor:
        """A weight ``(O, D, F)`` as ``(O, D·F)`` in this basis' layout."""
        return weight.flatten(1)

    def owners(self, d: int) -> torch.Tensor:
        """The input index ``0..D-1`` of every flat feature, shape ``(D·F,)``."""
        return torch.arange(d).repeat_interleave(self.width)


class IdentityBasis(Basis):
    """``Φ(z) = z`` (a ``Linear`` map).

    >>> IdentityBasis()(torch.ones(2, 3)).shape
    torch.Size([2, 3, 1])
    """

    width = 1
    identity = True

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return z.unsqueeze(-1)  # (N, D, 1)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(z).unsqueeze(-1)  # (..., D, 1)


def silu_derivative(z: torch.Tensor) -> torch.Tensor:
    """``d/dz (z·σ(z)) = σ(z)(1 + z(1 - σ(z)))``, elementwise.

    >>> silu_derivative(torch.zeros(1))
    tensor([0.5000])
    """
    s = torch.sigmoid(z)
    return s * (1 + z * (1 - s))


@dataclass(frozen=True)
class EdgeForm:
    """An edge-wise map ``y = W · Φ(z) + b``.

    Attributes:
        basis: the feature expansion ``Φ``.
        weight: ``W``, shape ``(O, D, F)``, a function of the map's parameters (autograd).
        bias: ``b``, shape ``(O,)``, or ``None``.

    >>> form = EdgeForm(IdentityBasis(), torch.tensor([[[1.0], [2.0]]]), torch.tensor([0.5]))
    >>> form.apply(torch.tensor([[1.0, 1.0], [0.0, 2.0]]))  # y = z_0 + 2 z_1 + 0.5
    tensor([[3.5000],
            [4.5000]])
    >>> form.columns(1, 2).weight.shape  # the part reading input 1 (O, 1, F)
    torch.Size([1, 1, 1])
    """

    basis: Basis
    weight: torch.Tensor
    bias: torch.Tensor | None

    def apply(self, z: torch.Tensor) -> torch.Tensor:
        """``z (N, D) -> (N, O)`` in autograd (the x-side of the engine's maps)."""
        phi = self.basis.flat(z)  # (N, D*F)
        weight = self.basis.flat_weight(self.weight)  # (O, D*F)
        if self.bias is None:
            return phi @ weight.T  # (N, O)
        return torch.addmm(self.bias, phi, weight.T)  # (N, O)

    def columns(self, start: int, stop: int) -> EdgeForm:
        """The part of the map that reads inputs ``start:stop`` (the bias stays with it)."""
        return EdgeForm(self.basis.columns(start, stop), self.weight[:, start:stop], self.bias)


def edge_forms_of(modules: list[nn.Module]) -> list[EdgeForm | None]:
    """:func:`edge_form_of` of several maps; maps of one class that offers
    ``edge_forms(maps)`` (e.g. QKAN layers: one coefficient map for all) answer together.

    Args:
        modules: the gate maps.

    Returns:
        One :class:`EdgeForm` or ``None`` per map, in order.

    >>> forms = edge_forms_of([nn.Linear(3, 2), nn.Sequential(nn.Linear(3, 2))])
    >>> forms[0].weight.shape, forms[1]  # (O, D, F); a Sequential has no edge form
    (torch.Size([2, 3, 1]), None)
    """
    if modules and all(type(m) is type(modules[0]) for m in modules):
        together = getattr(type(modules[0]), "edge_forms", None)
        if callable(together):
            return together(list(modules))
    return [edge_form_of(m) for m in modules]


def edge_form_of(module: nn.Module) -> EdgeForm | None:
    """The edge form of a gate map, or ``None`` when it has none.

    ``nn.Linear`` is known here; any other map answers through its own ``edge_form()``.

    >>> form = edge_form_of(nn.Linear(3, 2))
    >>> form.basis.identity, form.weight.shape, form.bias.shape
    (True, torch.Size([2, 3, 1]), torch.Size([2]))
    >>> print(edge_form_of(nn.Tanh()))
    None
    """
    if type(module) is nn.Linear:
        return EdgeForm(IdentityBasis(), module.weight.unsqueeze(-1), module.bias)
    form = getattr(module, "edge_form", None)
    return form() if callable(form) else None


@dataclass(frozen=True)
class BottleneckForm:
    """``y = D · (W · Φ(A z + a) + b_lat) + d``: a JHCG/HQKAN bottleneck map.

    Attributes:
        encoder: the ``Linear(D_in, k)`` in front (``A``, ``a``).
        latent: the latent map's edge form (``k -> k``).
        decoder: the ``Linear(k, O)`` behind (``D``, ``d``).

    A bottleneck ``3 -> 2 -> 4`` with a ``Linear`` latent map, its composed form checked
    against running the three layers:

    >>> g = torch.Generator().manual_seed(0)
    >>> enc, lat, dec = nn.Linear(3, 2), nn.Linear(2, 2), nn.Linear(2, 4)
    >>> with torch.no_grad():
    ...     for p in [*enc.parameters(), *lat.parameters(), *dec.parameters()]:
    ...         _ = p.copy_(torch.randn(p.shape, generator=g))
    >>> neck = BottleneckForm(enc, edge_form_of(lat), dec)
    >>> z = torch.linspace(-1, 1, 6).reshape(2, 3)  # (N, D_in)
    >>> y = neck.composed().apply(enc(z))  # (N, O)
    >>> y.shape, torch.allclose(y, dec(lat(enc(z))))
    (torch.Size([2, 4]), True)
    """

    encoder: nn.Linear
    latent: EdgeForm
    decoder: nn.Linear

    def composed(self) -> EdgeForm:
        """The latent map and the decoder as one edge form ``k -> O`` on the latent input."""
        w = torch.einsum("ok,kdf->odf", self.decoder.weight, self.latent.weight)  # (O, k, F)
        bias = self.decoder.bias
        if self.latent.bias is not None:
            bias = bias + self.decoder.weight @ self.latent.bias
        return EdgeForm(self.latent.basis, w, bias)


def bottleneck_forms_of(modules: list[nn.Module]) -> list[BottleneckForm | None]:
    """The bottleneck forms of JHCG-like maps (``encoder``, ``latent``, ``decoder``), their
    latent maps' edge forms found together (:func:`edge_forms_of`).

    Args:
        modules: the gate maps.

    Returns:
        One :class:`BottleneckForm` or ``None`` per map; all ``None`` unless every map has
        ``Linear`` ``encoder`` and ``decoder`` attributes and a ``latent`` map.

    >>> class Neck(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.encoder, self.latent = nn.Linear(3, 2), nn.Linear(2, 2)
    ...         self.decoder = nn.Linear(2, 4)
    >>> forms = bottleneck_forms_of([Neck(), Neck()])
    >>> [f.latent.weight.shape for f in forms]  # the latent maps' (k, k, F)
    [torch.Size([2, 2, 1]), torch.Size([2, 2, 1])]
    >>> bottleneck_forms_of([Neck(), nn.Linear(3, 4)])  # a map without the three parts
    [None, None]
    """
    parts = [tuple(getattr(m, n, None) for n in ("encoder", "latent", "decoder")) for m in modules]
    ok = [type(e) is nn.Linear and type(d) is nn.Linear and lat is not None for e, lat, d in parts]
    if not all(ok):
        return [None] * len(modules)
    forms = edge_forms_of([lat for _, lat, _ in parts])
    pairs = zip(parts, forms, strict=True)
    return [None if f is None else BottleneckForm(e, f, d) for (e, _, d), f in pairs]


def bottleneck_form_of(module: nn.Module) -> BottleneckForm | None:
    """The bottleneck form of a JHCG-like map (``encoder``, ``latent``, ``decoder``), or
    ``None`` (see :func:`bottleneck_forms_of`).

    >>> neck = nn.Module()
    >>> neck.encoder, neck.latent, neck.decoder = nn.Linear(3, 2), nn.Linear(2, 2), nn.Linear(2, 4)
    >>> bottleneck_form_of(neck).composed().weight.shape  # (O, k, F)
    torch.Size([4, 2, 1])
    >>> print(bottleneck_form_of(nn.Linear(3, 4)))
    None
    """
    return bottleneck_forms_of([module])[0]
