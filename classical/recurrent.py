"""The recurrence, written once: a cell stepped over time, a linear head on its features.

A *cell* (:class:`RecurrentCell`) maps one time step ``x_t`` of shape ``(B, input_size)``
and its state (a tuple of tensors, each ``(B, ...)``) to ``features_t`` of shape
``(B, cell.output_size)`` and the next state. :class:`RecurrentModel` runs a cell over a
batch-first sequence and applies ``head = Linear(cell.output_size, output_size)``:

``forward(x, state=None) -> (y, state)`` with ``x (B, T, input_size)``,
``y (B, T, output_size)``; ``encode`` returns the feature sequence ``(B, T, features)``
instead, and ``step(x_t, state)`` advances one step (constant memory under ``no_grad``).
``state=None`` starts from the cell's zero state.

>>> import torch
>>> from qmem.classical.lstm_scaffold import LSTMCell, linear_maps
>>> g = torch.Generator().manual_seed(0)
>>> model = RecurrentModel(LSTMCell(1, 3, linear_maps(g)), 1, generator=g)
>>> y, (h, c) = model(torch.zeros(2, 5, 1))
>>> y.shape, h.shape, c.shape
(torch.Size([2, 5, 1]), torch.Size([2, 3]), torch.Size([2, 3]))
"""

from __future__ import annotations

import torch
from torch import nn

from qmem.validation import check_positive_int

from .checks import check_matches_parameters, check_sequence_input, check_state_tensors
from .prepare import prepared
from .seeded import seeded_linear

__all__ = ["RecurrentCell", "RecurrentModel", "State"]

State = tuple[torch.Tensor, ...]
"""A cell's state: a tuple of tensors, each ``(B, *shape)`` for one entry of
``RecurrentCell.state_shapes`` (an LSTM's ``(h, c)``, an sLSTM's ``(h, c, n, m)``)."""


class RecurrentCell(nn.Module):
    """Base class of recurrent cells.

    Subclasses set ``input_size``, ``output_size`` (width of the features given to the head)
    and ``state_shapes`` (one per-sample shape per state tensor), and implement
    ``forward(x_t, state) -> (features_t, state)`` with ``x_t`` of shape ``(B, input_size)``.

    A running sum ``s_t = s_{t-1} + x_t`` as a cell, run by :class:`RecurrentModel`:

    >>> class SumCell(RecurrentCell):
    ...     def __init__(self, size):
    ...         super().__init__()
    ...         self.input_size = self.output_size = size
    ...         self.state_shapes = ((size,),)
    ...     def forward(self, x_t, state):
    ...         s = state[0] + x_t
    ...         return s, (s,)
    >>> cell = SumCell(2)
    >>> [tuple(s.shape) for s in cell.init_state(3)]
    [(3, 2)]
    >>> model = RecurrentModel(cell, 1, generator=torch.Generator().manual_seed(0))
    >>> feats, (s,) = model.encode(torch.ones(3, 4, 2))
    >>> feats[0, :, 0].tolist(), s.shape
    ([1.0, 2.0, 3.0, 4.0], torch.Size([3, 2]))
    >>> cell.check_state((torch.zeros(3, 5),), 3)
    Traceback (most recent call last):
    ...
    ValueError: state must have shapes [(3, 2)], got [(3, 5)]
    """

    input_size: int
    output_size: int
    state_shapes: tuple[tuple[int, ...], ...]

    def forward_sequence(self, x: torch.Tensor, state: State) -> tuple[torch.Tensor, State] | None:
        """A whole-sequence path: ``x (B, T, input_size)`` -> ``(features (B, T, F), state)``.

        Cells override this with a faster path that gives the same numbers as stepping
        ``forward`` over time (a fused kernel, a parallel scan, a hand-written backward
        through time); ``None`` (the default) means "step the reference loop".
        :class:`RecurrentModel` calls it unless its ``sequence_engine`` is off.
        """
        return None

    def forward_step(self, x_t: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """One step for :meth:`RecurrentModel.step`: ``forward`` unless the cell has a
        cheaper form for a single step (a fused kernel, stacked circuits); same numbers."""
        return self(x_t, state)

    def init_state(
        self, batch: int, *, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> State:
        """Zero state: one tensor of shape ``(batch, *shape)`` per entry of ``state_shapes``."""
        return tuple(torch.zeros(batch, *s, device=device, dtype=dtype) for s in self.state_shapes)

    def check_state(self, state: object, batch: int) -> State:
        """Return ``state`` as a tuple if it matches ``state_shapes`` for ``batch``, else raise."""
        if not isinstance(state, (tuple, list)) or not all(
            isinstance(s, torch.Tensor) for s in state
        ):
            raise TypeError(f"state must be a tuple of tensors, got {type(state).__name__}")
        want = [(batch, *s) for s in self.state_shapes]
        got = [tuple(s.shape) for s in state]
        if got != want:
            raise ValueError(f"state must have shapes {want}, got {got}")
        return tuple(state)


class RecurrentModel(nn.Module):
    """A recurrent cell over a batch-first sequence, followed by a linear head.

    Args:
        cell: the recurrent cell.
        output_size: width of the prediction per time step.
        generator: source of the head's initial weights.

    Parameters: the cell's plus ``(cell.output_size + 1) · output_size`` for the head.
    """

    recurrent = True
    sequence_engine = True
    """Use the cell's ``forward_sequence`` where it has one (``False``: the reference loop)."""

    def __init__(
        self, cell: RecurrentCell, output_size: int, *, generator: torch.Generator
    ) -> None:
        super().__init__()
        self.cell = cell
        self.input_size = cell.input_size
        self.output_size = check_positive_int("output_size", output_size)
        self.head = seeded_linear(cell.output_size, output_size, generator)

    def init_state(
        self, batch: int, *, device: torch.device | None = None, dtype: torch.dtype | None = None
    ) -> State:
        """The cell's zero state for ``batch`` sequences."""
        return self.cell.init_state(batch, device=device, dtype=dtype)

    def _start(self, x: torch.Tensor, state: State | None) -> State:
        check_matches_parameters(self, x)
        if state is None:
            return self.cell.init_state(x.shape[0], device=x.device, dtype=x.dtype)
        state = self.cell.check_state(state, x.shape[0])
        check_state_tensors(state, x)
        return state

    def encode(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Feature sequence of the cell.

        Args:
            x: input, shape ``(B, T, input_size)``.
            state: initial state or ``None`` (zeros).

        Returns:
            ``(features, state)``: features ``(B, T, cell.output_size)`` and the final state.
        """
        check_sequence_input(x, self.input_size)
        st = self._start(x, state)
        if self.sequence_engine:
            fast = self.cell.forward_sequence(x, st)
            if fast is not None:
                return fast
        return self.reference_encode(x, st)

    def reference_encode(self, x: torch.Tensor, st: State) -> tuple[torch.Tensor, State]:
        """The reference path: the cell's ``forward`` stepped over time, in autograd.

        Args:
            x: checked input ``(B, T, input_size)``.
            st: checked state.
        """
        feats = []
        with prepared(self.cell):  # batch-independent map work once per sequence
            for t in range(x.shape[1]):
                out, st = self.cell(x[:, t], st)
                feats.append(out)
        return torch.stack(feats, dim=1), st  # (B, T, features)

    def forward(self, x: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """Predictions for every step: ``x (B, T, input_size) -> y (B, T, output_size)``."""
        feats, st = self.encode(x, state)
        return self.head(feats), st

    def step(self, x_t: torch.Tensor, state: State | None = None) -> tuple[torch.Tensor, State]:
        """One step: ``x_t (B, input_size) -> y_t (B, output_size)`` and the next state."""
        if not isinstance(x_t, torch.Tensor) or x_t.dim() != 2:
            got = tuple(x_t.shape) if isinstance(x_t, torch.Tensor) else type(x_t).__name__
            raise ValueError(f"x_t must have shape (batch, {self.input_size}), got {got}")
        check_sequence_input(x_t.unsqueeze(1), self.input_size)
        st = self._start(x_t, state)
        out, st = self.cell.forward_step(x_t, st) if self.sequence_engine else self.cell(x_t, st)
        return self.head(out), st
