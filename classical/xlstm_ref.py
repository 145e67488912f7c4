"""Optional wrapper of the published ``xlstm`` package (extra ``qmem[xlstm]``).

``Linear(I -> E) -> xLSTMBlockStack (sLSTM blocks, backend "vanilla") -> Linear(E -> out)``
with ``E = hidden_size``: a reference point for :mod:`qmem.classical.slstm`, not a
re-implementation. The embedding and head are seeded from ``generator``. The ``xlstm``
package draws the stack's weights from torch's global RNG, so the stack is built inside
``torch.random.fork_rng`` seeded from ``generator``: the model is a pure function of its seed
and the caller's global RNG state is left exactly as it was. Only a full-sequence ``forward``
is supported (``state`` must be ``None``).

>>> xlstm_available() in (True, False)
True
"""

from __future__ import annotations

import importlib.util

import torch
from torch import nn

from qmem.validation import check_positive_int

from .checks import check_matches_parameters, check_sequence_input
from .seeded import seeded_linear

__all__ = ["XLSTM_INSTALL_HINT", "XLSTMRef", "xlstm_available"]

XLSTM_INSTALL_HINT = (
    "the 'xlstm_ref' model needs the optional package 'xlstm': pip install qmem[xlstm]"
)
"""The message of the ``ImportError`` raised when ``xlstm`` is missing."""


def xlstm_available() -> bool:
    """Whether the optional ``xlstm`` package can be imported."""
    return importlib.util.find_spec("xlstm") is not None


class XLSTMRef(nn.Module):
    """sLSTM block stack of the ``xlstm`` package between a linear embedding and head.

    Args:
        input_size: features per step ``I``.
        hidden_size: embedding width ``E`` (divisible by ``num_heads``).
        output_size: prediction width.
        num_blocks: number of sLSTM blocks.
        num_heads: sLSTM heads.
        context_length: longest sequence the stack is configured for.
        generator: source of the embedding and head weights.

    Raises:
        ImportError: ``xlstm`` is not installed (message: ``pip install qmem[xlstm]``).

    >>> try:
    ...     model = XLSTMRef(1, 4, 1, generator=torch.Generator().manual_seed(0))
    ... except ImportError as err:                 # without the optional package
    ...     assert str(err) == XLSTM_INSTALL_HINT
    ... else:
    ...     assert model(torch.zeros(2, 3, 1))[0].shape == (2, 3, 1)
    """

    recurrent = True

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        *,
        num_blocks: int = 1,
        num_heads: int = 1,
        context_length: int = 1000,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        try:
            import xlstm
        except ImportError as err:
            raise ImportError(XLSTM_INSTALL_HINT) from err
        self.input_size = check_positive_int("input_size", input_size)
        check_positive_int("hidden_size", hidden_size)
        if hidden_size % check_positive_int("num_heads", num_heads):
            raise ValueError(
                f"hidden_size must be divisible by num_heads={num_heads}, got {hidden_size}"
            )
        self.output_size = check_positive_int("output_size", output_size)
        config = xlstm.xLSTMBlockStackConfig(
            slstm_block=xlstm.sLSTMBlockConfig(
                slstm=xlstm.sLSTMLayerConfig(backend="vanilla", num_heads=num_heads)
            ),
            context_length=check_positive_int("context_length", context_length),
            num_blocks=check_positive_int("num_blocks", num_blocks),
            embedding_dim=hidden_size,
            slstm_at="all",
        )
        self.embed = seeded_linear(input_size, hidden_size, generator)
        seed = int(torch.randint(0, 2**62, (1,), generator=generator))
        with torch.random.fork_rng(devices=[]):  # scoped: the global RNG is restored on exit
            torch.manual_seed(seed)
            self.stack = xlstm.xLSTMBlockStack(config)
        self.head = seeded_linear(hidden_size, output_size, generator)

    def forward(self, x: torch.Tensor, state: None = None) -> tuple[torch.Tensor, None]:
        """``x (B, T, I) -> (y (B, T, out), None)``."""
        check_sequence_input(x, self.input_size)
        check_matches_parameters(self, x)
        if state is not None:
            raise ValueError("XLSTMRef supports only state=None (full-sequence forward)")
        return self.head(self.stack(self.embed(x))), None
