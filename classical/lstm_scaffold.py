"""LSTM cells whose gate maps are plug-ins: the four-map form and the QLSTM six-map form.

A *gate map* is any ``nn.Module`` mapping ``(..., in_features) -> (..., out_features)``; a
*map factory* ``make_map(in_features, out_features) -> nn.Module`` builds them. With
``v_t = [x_t, h_{t-1}]`` (width ``I + H``):

Four-map form (:class:`LSTMCell`, the standard LSTM update; gate order ``i, f, g, o`` as in
``torch.nn.LSTM``)::

    i = σ(M_i(v)),  f = σ(M_f(v)),  g = tanh(M_g(v)),  o = σ(M_o(v))
    c_t = f ⊙ c_{t-1} + i ⊙ g,      h_t = o ⊙ tanh(c_t)          features: h_t

With ``fused=True`` one map ``M(v)`` of width ``4H`` is split into the four gates (exactly
the four-map form for edge-wise maps such as ``Linear``, KAN and QKAN layers).

Six-map form (:class:`SixMapLSTMCell`, Chen et al. 2020's QLSTM; cell size ``n``)::

    f = σ(M_1(v)), i = σ(M_2(v)), C̃ = tanh(M_3(v)), o = σ(M_4(v))    (each I + H -> n)
    c_t = f ⊙ c_{t-1} + i ⊙ C̃,  u = o ⊙ tanh(c_t)
    h_t = M_5(u)   (n -> H),     y_t = M_6(u)   (n -> n)           features: y_t

>>> import torch
>>> g = torch.Generator().manual_seed(0)
>>> cell = LSTMCell(2, 3, linear_maps(g))
>>> out, (h, c) = cell(torch.ones(4, 2), cell.init_state(4))
>>> out.shape, sum(p.numel() for p in cell.parameters())  # 4·3·(2+3+1)
(torch.Size([4, 3]), 72)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from qmem.validation import check_positive_int

from .fused import lstm_kernel
from .lstm_engine import lstm_sequence
from .recurrent import RecurrentCell, State
from .seeded import seeded_linear

__all__ = [
    "LSTMCell",
    "MapFactory",
    "SixMapLSTMCell",
    "linear_maps",
    "lstm_update",
    "stacked_maps",
]

MapFactory = Callable[[int, int], nn.Module]
"""``make_map(in_features, out_features) -> nn.Module``: builds one gate map
``(..., in_features) -> (..., out_features)`` (e.g. :func:`linear_maps`, a KAN or VQC layer)."""


def stacked_maps(maps: list[nn.Module]) -> Callable[[torch.dtype], Callable] | None:
    """Maps that read the same input and run better together (e.g. VQCs: one product state
    and one matmul for all), through their class's ``stack(maps)``; ``None`` if they cannot.

    Returns ``bind(dtype) -> f`` with ``f(v) = cat([m(v) for m in maps], -1)``, the
    batch-independent work done once in ``bind`` (call it once per sequence).

    Args:
        maps: gate maps of one class, all reading the same input ``v (B, D)``.

    Returns:
        ``bind``, or ``None`` when the class has no ``stack`` or ``stack(maps)`` is ``None``.

    A toy map class ``v -> k·v`` whose ``stack`` gives one object with ``bind``:

    >>> import types
    >>> class Scaled(torch.nn.Module):
    ...     def __init__(self, k):
    ...         super().__init__()
    ...         self.k = k
    ...     def forward(self, v):
    ...         return self.k * v
    ...     @staticmethod
    ...     def stack(maps):
    ...         def bind(dtype):
    ...             k = torch.tensor([[m.k] for m in maps], dtype=dtype)  # (n, 1)
    ...             return lambda v: (v.unsqueeze(-2) * k).flatten(-2)  # (B, n, D) -> (B, n·D)
    ...         return types.SimpleNamespace(bind=bind)
    >>> maps = [Scaled(1.0), Scaled(2.0)]
    >>> f = stacked_maps(maps)(torch.float32)
    >>> v = torch.tensor([[1.0, 3.0]])
    >>> f(v).tolist(), torch.equal(f(v), torch.cat([m(v) for m in maps], -1))
    ([[1.0, 3.0, 2.0, 6.0]], True)
    >>> print(stacked_maps([torch.nn.Linear(2, 2)]))  # Linear has no stack
    None
    """
    stack_of = getattr(type(maps[0]), "stack", None)
    stack = stack_of(maps) if callable(stack_of) else None
    return None if stack is None else stack.bind


def lstm_update(pre: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The LSTM update from pre-activations ``(B, 4H)`` (order ``i, f, g, o``) and ``c``.

    Args:
        pre: gate pre-activations ``(B, 4H)``.
        c: cell state ``(B, H)``.

    Returns:
        ``(h_t, c_t)``, each ``(B, H)``: ``c_t = σ(f) c + σ(i) tanh(g)``,
        ``h_t = σ(o) tanh(c_t)``.

    >>> h, c = lstm_update(torch.zeros(1, 4, dtype=torch.float64),  # H = 1
    ...                    torch.ones(1, 1, dtype=torch.float64))
    >>> round(float(c), 4), round(float(h), 4)  # c = 0.5·1 + 0.5·0, h = 0.5·tanh(0.5)
    (0.5, 0.2311)

    The same numbers as ``torch.nn.LSTMCell`` (whose gate order it shares):

    >>> g = torch.Generator().manual_seed(0)
    >>> ref = torch.nn.LSTMCell(1, 2)
    >>> with torch.no_grad():
    ...     for w in ref.parameters():
    ...         _ = w.copy_(torch.randn(w.shape, generator=g))
    >>> x, h0, c0 = torch.ones(3, 1), torch.zeros(3, 2), torch.ones(3, 2)
    >>> pre = x @ ref.weight_ih.T + h0 @ ref.weight_hh.T + ref.bias_ih + ref.bias_hh  # (B, 4H)
    >>> h_ref, c_ref = ref(x, (h0, c0))
    >>> h, c = lstm_update(pre, c0)
    >>> torch.allclose(h, h_ref), torch.allclose(c, c_ref)
    (True, True)
    """
    i, f, g, o = pre.chunk(4, dim=-1)  # each (B, H)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def linear_maps(generator: torch.Generator, *, bias: bool = True) -> MapFactory:
    """A map factory of seeded ``nn.Linear`` layers (``in · out + out`` parameters each).

    >>> f = linear_maps(torch.Generator().manual_seed(0))
    >>> f(4, 12)
    Linear(in_features=4, out_features=12, bias=True)
    """

    def make(in_features: int, out_features: int) -> nn.Module:
        return seeded_linear(in_features, out_features, generator, bias=bias)

    return make


class LSTMCell(RecurrentCell):
    """Four-map LSTM cell (see the module docstring for the equations).

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H`` of ``h_t`` and ``c_t``.
        make_map: gate-map factory.
        fused: one map ``I + H -> 4H`` (split in the order ``i, f, g, o``) instead of four
            maps ``I + H -> H``.

    State: ``(h, c)``, each ``(B, H)``. Features: ``h_t``, ``(B, H)``. Parameters: those of
    the maps (for ``Linear`` maps ``4H(I + H + 1)`` either way).
    """

    def __init__(
        self, input_size: int, hidden_size: int, make_map: MapFactory, *, fused: bool = True
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.output_size = hidden_size
        self.state_shapes = ((hidden_size,), (hidden_size,))
        self.fused = bool(fused)
        width = input_size + hidden_size
        if self.fused:
            self.gates: nn.Module = make_map(width, 4 * hidden_size)
        else:
            self.gates = nn.ModuleList([make_map(width, hidden_size) for _ in range(4)])

    def preactivations(self, v: torch.Tensor) -> torch.Tensor:
        """Gate pre-activations ``(B, I + H) -> (B, 4H)`` in the order ``i, f, g, o``."""
        if self.fused:
            return self.gates(v)
        return torch.cat([m(v) for m in self.gates], dim=-1)  # (B, 4H)

    def linear_weights(self) -> tuple[torch.Tensor, torch.Tensor | None] | None:
        """``(W (4H, I + H), b (4H,) or None)`` when every map is a plain ``nn.Linear``."""
        maps = list(self.gates) if isinstance(self.gates, nn.ModuleList) else [self.gates]
        if not all(type(m) is nn.Linear for m in maps):
            return None
        if len(maps) == 1:
            return maps[0].weight, maps[0].bias
        bias = None if maps[0].bias is None else torch.cat([m.bias for m in maps])
        return torch.cat([m.weight for m in maps]), bias  # (4H, I + H), (4H,)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """The whole sequence at once: torch's fused LSTM kernel for ``Linear`` maps, the
        sequence engine (:mod:`qmem.classical.lstm_engine`) for edge-wise maps, else
        ``None`` (the stepped reference loop)."""
        linear = self.linear_weights()
        h, c = state
        if linear is not None:
            return lstm_kernel(x, h, c, *linear)
        fast = lstm_sequence(self, x, (h, c))
        if fast is not None:
            return fast
        maps = list(self.gates) if isinstance(self.gates, nn.ModuleList) else [self.gates]
        bind = stacked_maps(maps)
        if bind is None:
            return None
        pre_of = bind(x.dtype)  # (B, I + H) -> (B, 4H), block work done once
        hs = []
        for x_t in x.unbind(1):
            h, c = lstm_update(pre_of(torch.cat([x_t, h], dim=-1)), c)
            hs.append(h)
        return torch.stack(hs, dim=1), (h, c)  # (B, T, H)

    def forward_step(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step by the kernel (``Linear`` maps) or the stacked maps (VQCs), else by
        ``forward`` (edge-wise maps: the engine's plan costs more than one step)."""
        maps = list(self.gates) if isinstance(self.gates, nn.ModuleList) else [self.gates]
        if self.linear_weights() is not None or stacked_maps(maps) is not None:
            out, st = self.forward_sequence(x_t.unsqueeze(1), state)
            return out[:, 0], st
        return self(x_t, state)

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``state (h, c)`` -> ``(h_t, (h_t, c_t))``."""
        h, c = state
        h, c = lstm_update(self.preactivations(torch.cat([x_t, h], dim=-1)), c)
        return h, (h, c)


class SixMapLSTMCell(RecurrentCell):
    """QLSTM's six-map LSTM cell (Chen, Yoo, Fang 2020); equations in the module docstring.

    Args:
        input_size: width ``I`` of ``x_t``.
        hidden_size: width ``H`` of ``h_t``.
        make_map: gate-map factory, called in the order ``M_1 … M_6``.
        cell_size: width ``n`` of ``c_t`` and ``y_t``; default ``I + H`` (the paper's qubit
            count).

    State: ``(h, c)`` of shapes ``(B, H)``, ``(B, n)``. Features: ``y_t``, ``(B, n)``.
    Parameters: those of the six maps.

    >>> cell = SixMapLSTMCell(1, 2, linear_maps(torch.Generator().manual_seed(0)))  # n = 3
    >>> y, (h, c) = cell(torch.ones(4, 1), cell.init_state(4))
    >>> y.shape, h.shape, c.shape
    (torch.Size([4, 3]), torch.Size([4, 2]), torch.Size([4, 3]))
    >>> sum(p.numel() for p in cell.parameters())  # 4·(3·3 + 3) + (3·2 + 2) + (3·3 + 3)
    68
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        make_map: MapFactory,
        *,
        cell_size: int | None = None,
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        n = input_size + hidden_size if cell_size is None else cell_size
        self.cell_size = check_positive_int("cell_size", n)
        self.output_size = n
        self.state_shapes = ((hidden_size,), (n,))
        width = input_size + hidden_size
        self.forget = make_map(width, n)
        self.input = make_map(width, n)
        self.update = make_map(width, n)
        self.output = make_map(width, n)
        self.to_hidden = make_map(n, hidden_size)
        self.to_output = make_map(n, n)

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """The whole sequence with the four gate maps and the two output maps each run as
        one stacked map (:func:`stacked_maps`), or ``None`` if they do not stack."""
        gates = stacked_maps([self.forget, self.input, self.update, self.output])
        outs = stacked_maps([self.to_hidden, self.to_output])
        if gates is None or outs is None:
            return None
        gate_of, out_of = gates(x.dtype), outs(x.dtype)
        h, c = state
        H = self.hidden_size
        ys = []
        for x_t in x.unbind(1):
            pre = gate_of(torch.cat([x_t, h], dim=-1))  # (B, 4n): f, i, C̃, o
            f, i, g, o = pre.chunk(4, dim=-1)  # each (B, n)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            both = out_of(torch.sigmoid(o) * torch.tanh(c))  # (B, H + n)
            h, y = both[:, :H], both[:, H:]
            ys.append(y)
        return torch.stack(ys, dim=1), (h, c)  # (B, T, n)

    def forward_step(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step by the stacked maps where they stack (see :meth:`forward_sequence`)."""
        out = self.forward_sequence(x_t.unsqueeze(1), state)
        if out is None:
            return self(x_t, state)
        return out[0][:, 0], out[1]

    def forward(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, I)``, ``state (h, c)`` -> ``(y_t, (h_t, c_t))``."""
        h, c = state
        v = torch.cat([x_t, h], dim=-1)  # (B, I + H)
        f = torch.sigmoid(self.forget(v))
        i = torch.sigmoid(self.input(v))
        g = torch.tanh(self.update(v))
        o = torch.sigmoid(self.output(v))
        c = f * c + i * g
        u = o * torch.tanh(c)  # (B, n)
        return self.to_output(u), (self.to_hidden(u), c)
