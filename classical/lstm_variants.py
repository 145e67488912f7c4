"""The LSTM variants of Greff et al., "LSTM: A Search Space Odyssey" (2015/2017), one cell.

The paper's vanilla LSTM (V) has peephole connections (diagonal, one weight per unit) and a
forget gate. With ``v_t = [x_t, h_{t-1}]`` and a gate map ``M`` (``Linear`` gives
``W x_t + R h_{t-1} + b``; any gate map of the scaffold may stand in)::

    i = σ(M_i(v) + p_i ⊙ c_{t-1})          input gate
    f = σ(M_f(v) + p_f ⊙ c_{t-1})          forget gate
    g = tanh(M_g(v))                       block input (the paper's z)
    c_t = f ⊙ c_{t-1} + i ⊙ g
    o = σ(M_o(v) + p_o ⊙ c_t)              output gate (peephole on the new cell)
    h_t = o ⊙ tanh(c_t)

The eight variants change one thing each (``variant``):

========  =================================  ==========================================
``v``     vanilla (V)                        the equations above
``nig``   no input gate (NIG)                ``i = 1``
``nfg``   no forget gate (NFG)               ``f = 1``: ``c_t = c_{t-1} + i ⊙ g``
``nog``   no output gate (NOG)               ``o = 1``
``niaf``  no input activation function       ``g = M_g(v)`` (no tanh)
``noaf``  no output activation function      ``h_t = o ⊙ c_t``
``np``    no peepholes (NP)                  ``p_i = p_f = p_o = 0``: ``torch.nn.LSTM``
``cifg``  coupled input and forget gate      ``f = 1 - i`` (no forget-gate map)
``fgr``   full gate recurrence (FGR)         ``i, f, o`` also receive ``R_a [i, f, o]_{t-1}``
========  =================================  ==========================================

A gate that is constant (NIG, NFG, NOG) or derived (CIFG) has no map and no peephole; FGR
adds the paper's nine recurrent matrices ``[i, f, o]_{t-1} -> [i, f, o]_t`` as one
``Linear(3H, 3H)`` without bias (a plain matrix whatever the gate map) and keeps the previous
step's gate activations in its state.

The gate maths is the pure function :func:`variant_update` (pre-activations in, gates and
state out); :class:`LSTMVariantCell` only builds the maps and calls it.

>>> import torch
>>> from qmem.classical.lstm_scaffold import linear_maps
>>> cell = LSTMVariantCell(1, 3, linear_maps(torch.Generator().manual_seed(0)),
...                        variant="cifg", generator=torch.Generator().manual_seed(1))
>>> out, (h, c) = cell(torch.ones(2, 1), cell.init_state(2))
>>> out.shape, gate_layout("cifg"), sum(p.numel() for p in cell.parameters())  # 3·3·5 + 2·3
(torch.Size([2, 3]), ('i', 'g', 'o'), 51)
"""

from __future__ import annotations

import math
from typing import Any, Literal, NamedTuple, get_args

import torch
from torch import nn

from qmem.validation import check_bool, check_literal, check_positive_int

from .elementwise_engine import elementwise_sequence
from .lstm_scaffold import MapFactory
from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = [
    "VARIANTS",
    "VARIANT_NAMES",
    "LSTMVariantCell",
    "Variant",
    "VariantStep",
    "gate_layout",
    "peephole_gates",
    "variant_update",
]

Variant = Literal["v", "nig", "nfg", "nog", "niaf", "noaf", "np", "cifg", "fgr"]
"""A Greff et al. variant by name (:data:`VARIANT_NAMES` spells each out)."""
VARIANTS: tuple[str, ...] = get_args(Variant)
"""The variant names, in the paper's order (V first)."""

VARIANT_NAMES: dict[str, str] = {
    "v": "vanilla (V)",
    "nig": "no input gate (NIG)",
    "nfg": "no forget gate (NFG)",
    "nog": "no output gate (NOG)",
    "niaf": "no input activation function (NIAF)",
    "noaf": "no output activation function (NOAF)",
    "np": "no peepholes (NP)",
    "cifg": "coupled input and forget gate (CIFG)",
    "fgr": "full gate recurrence (FGR)",
}
"""The paper's name of each variant."""

_MISSING = {"nig": "i", "nfg": "f", "nog": "o", "cifg": "f"}  # gates without a map
_LAYOUTS = {v: tuple(k for k in "ifgo" if k != _MISSING.get(v)) for v in VARIANTS}
_PEEPHOLES = {v: () if v == "np" else tuple(k for k in _LAYOUTS[v] if k != "g")
              for v in VARIANTS}


def gate_layout(variant: str) -> tuple[str, ...]:
    """The gate-map output blocks of ``variant``, in order (a subset of ``i, f, g, o``).

    The map of a cell with this layout has ``len(gate_layout(variant)) · H`` outputs.

    Raises:
        ValueError: ``variant`` is not one of :data:`VARIANTS` (TypeError: not a str).

    >>> gate_layout("v"), gate_layout("nog")
    (('i', 'f', 'g', 'o'), ('i', 'f', 'g'))
    """
    if not isinstance(variant, str) or variant not in _LAYOUTS:
        check_literal("variant", variant, Variant)  # raises, naming the allowed values
    return _LAYOUTS[variant]


def peephole_gates(variant: str) -> tuple[str, ...]:
    """The gates of ``variant`` with a peephole weight vector, in order (subset of ``i, f, o``).

    >>> peephole_gates("v"), peephole_gates("cifg"), peephole_gates("np")
    (('i', 'f', 'o'), ('i', 'o'), ())
    """
    gate_layout(variant)  # checks the name
    return _PEEPHOLES[variant]


class VariantStep(NamedTuple):
    """One step of a variant: the new state ``h, c`` and the gate activations, each ``(B, H)``.

    A constant gate (NIG's ``i``, NFG's ``f``, NOG's ``o``) is a tensor of ones.

    >>> step = variant_update("cifg", torch.zeros(1, 3), torch.zeros(1, 1))  # blocks f, g, o
    >>> step._fields, step.i.tolist()                                         # i = 1 - f
    (('h', 'c', 'i', 'f', 'g', 'o'), [[0.5]])
    """

    h: torch.Tensor
    c: torch.Tensor
    i: torch.Tensor
    f: torch.Tensor
    g: torch.Tensor
    o: torch.Tensor


def variant_update(
    variant: str,
    pre: torch.Tensor,
    c_prev: torch.Tensor,
    peephole: torch.Tensor | None = None,
    gate_recurrence: torch.Tensor | None = None,
) -> VariantStep:
    """The gate maths of one step of ``variant``: pre-activations in, gates and state out.

    Args:
        variant: one of :data:`VARIANTS`.
        pre: gate-map output ``(B, n·H)``, blocks in the order of :func:`gate_layout`.
        c_prev: previous cell state ``(B, H)``.
        peephole: peephole weights ``(len(peephole_gates(variant)), H)`` (rows in the order
            of :func:`peephole_gates`; leading dimensions broadcast against ``pre``'s), or
            ``None`` for none (NP, or peepholes switched off).
        gate_recurrence: FGR only: ``R_a [i, f, o]_{t-1}``, ``(B, 3H)``, added to the
            pre-activations of ``i, f, o`` (blocks of a gate the variant lacks are ignored).

    Returns:
        :class:`VariantStep` ``(h_t, c_t, i, f, g, o)``.

    Raises:
        ValueError: a ``pre`` width that is not ``n·H``, or a peephole shape that does not fit.

    >>> step = variant_update("nog", torch.zeros(1, 6), torch.ones(1, 2))  # blocks i, f, g
    >>> step.o, step.c  # o = 1; c = σ(0)·1 + σ(0)·tanh(0)
    (tensor([[1., 1.]]), tensor([[0.5000, 0.5000]]))
    """
    layout = gate_layout(variant)
    H = c_prev.shape[-1]
    if pre.shape[-1] != len(layout) * H:
        raise ValueError(
            f"pre must have {len(layout)}·H = {len(layout) * H} features for variant "
            f"{variant!r} (blocks {', '.join(layout)}), got {pre.shape[-1]}"
        )
    blocks = dict(zip(layout, pre.chunk(len(layout), dim=-1), strict=True))  # each (B, H)
    peep: dict[str, torch.Tensor] = {}
    if peephole is not None:
        names = peephole_gates(variant)
        if tuple(peephole.shape[-2:]) != (len(names), H):
            raise ValueError(
                f"peephole must have shape ({len(names)}, {H}) for variant {variant!r}, "
                f"got {tuple(peephole.shape)}"
            )
        peep = dict(zip(names, peephole.unbind(-2), strict=True))  # each (..., H)
    if gate_recurrence is not None:
        for k, r in zip("ifo", gate_recurrence.chunk(3, dim=-1), strict=True):  # each (B, H)
            if k in blocks:
                blocks[k] = blocks[k] + r

    def gate(name: str, cell: torch.Tensor) -> torch.Tensor:
        z = blocks[name]
        if name in peep:
            z = z + peep[name] * cell
        return torch.sigmoid(z)

    ones = torch.ones_like(c_prev)
    i = gate("i", c_prev) if "i" in blocks else ones
    if variant == "cifg":
        f = 1 - i
    else:
        f = gate("f", c_prev) if "f" in blocks else ones
    g = blocks["g"] if variant == "niaf" else torch.tanh(blocks["g"])
    kept = c_prev if variant == "nfg" else f * c_prev
    c = kept + (g if variant == "nig" else i * g)
    o = gate("o", c) if "o" in blocks else ones
    out = c if variant == "noaf" else torch.tanh(c)
    h = out if variant == "nog" else o * out
    return VariantStep(h, c, i, f, g, o)


class LSTMVariantCell(RecurrentCell):
    """A Greff et al. LSTM variant with pluggable gate maps (equations in the module docstring).

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H`` of ``h_t`` and ``c_t``.
        make_map: gate-map factory (see :mod:`qmem.classical.lstm_scaffold`).
        variant: one of :data:`VARIANTS` (default ``"v"``, the paper's vanilla LSTM).
        fused: one map ``I + H -> n·H`` split into the ``n`` gate blocks of
            :func:`gate_layout` (identical to ``n`` maps for edge-wise maps) instead of ``n``
            maps ``I + H -> H``.
        generator: source of the peephole weights (uniform in ``±1/√H``) and of FGR's gate
            recurrence matrix; drawn after the gate maps.

    State: ``(h, c)``, each ``(B, H)``; FGR adds ``a = [i, f, o]_{t-1}`` ``(B, 3H)``.
    Features: ``h_t``. Parameters: the maps', ``|peephole_gates| · H`` peepholes
    (3H for V, NIAF, NOAF, FGR; 2H for NIG, NFG, NOG, CIFG; 0 for NP) and ``9H²`` for FGR.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        make_map: MapFactory,
        *,
        variant: Variant = "v",
        fused: bool = True,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = H = check_positive_int("hidden_size", hidden_size)
        self.variant = check_literal("variant", variant, Variant)
        self.fused = check_bool("fused", fused)
        self.output_size = H
        self.layout = gate_layout(variant)
        width = input_size + H
        if self.fused:
            self.gates: nn.Module = make_map(width, len(self.layout) * H)
        else:
            self.gates = nn.ModuleList([make_map(width, H) for _ in self.layout])
        names = peephole_gates(variant)
        if names:
            self.peephole = nn.Parameter(torch.empty(len(names), H))  # rows: peephole_gates
            with torch.no_grad():
                bound = 1.0 / math.sqrt(H)
                self.peephole.uniform_(-bound, bound, generator=generator)
        else:
            self.register_parameter("peephole", None)
        self.gate_recurrence = (
            seeded_linear(3 * H, 3 * H, generator, bias=False) if variant == "fgr" else None
        )
        self.state_shapes = ((H,), (H,), (3 * H,)) if variant == "fgr" else ((H,), (H,))

    def preactivations(self, v: torch.Tensor) -> torch.Tensor:
        """Gate-map output ``(B, I + H) -> (B, n·H)``, blocks in :func:`gate_layout` order."""
        if self.fused:
            return self.gates(v)
        return torch.cat([m(v) for m in self.gates], dim=-1)  # (B, n·H)

    def elementwise_update(self) -> tuple[Any, torch.Tensor] | None:
        """``(update, peepholes)`` for :mod:`qmem.classical.elementwise_engine`; ``None`` for
        FGR, whose gate recurrence couples the units."""
        if self.gate_recurrence is not None:
            return None
        variant, H, n = self.variant, self.hidden_size, len(self.layout)
        has_peep = self.peephole is not None

        def update(pre: torch.Tensor, s: torch.Tensor, p: torch.Tensor) -> tuple:
            flat = pre.reshape(*pre.shape[:-2], n * H)  # (..., n·H), blocks as gate_layout
            st = variant_update(variant, flat, s[..., 0, :], p if has_peep else None)
            return st.h, st.c.unsqueeze(-2)  # (..., H), (..., 1, H)

        ref = next(self.parameters())
        return update, self.peephole if has_peep else ref.new_zeros(0, H)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """The whole sequence with the elementwise engine (``None`` for FGR or maps without
        an edge form: the stepped reference loop)."""
        return elementwise_sequence(self, x, state)

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``(h, c[, a])`` -> ``(h_t, (h_t, c_t[, a_t]))``."""
        h, c = state[0], state[1]
        pre = self.preactivations(torch.cat([x_t, h], dim=-1))  # (B, n·H)
        rec = self.gate_recurrence(state[2]) if self.gate_recurrence is not None else None
        st = variant_update(self.variant, pre, c, self.peephole, rec)
        if self.gate_recurrence is None:
            return st.h, (st.h, st.c)
        return st.h, (st.h, st.c, torch.cat([st.i, st.f, st.o], dim=-1))  # a_t (B, 3H)
