"""Classical scaffolds and baselines (installed as ``qmem.classical``).

The LSTM scaffold with pluggable gate maps (:class:`LSTMCell`, :class:`SixMapLSTMCell`), the
recurrence and linear head (:class:`RecurrentModel`), the JHCG encoder-decoder
(:class:`JHCG`), the B-spline KAN layer (:class:`BSplineKAN`) and the classical baselines
(GRU, sLSTM, mLSTM, window MLP, optional ``xlstm`` wrapper); the memory baselines: the
LSTM variants of Greff et al. (:class:`LSTMVariantCell`), a Titans neural memory
(:class:`TitansMemoryCell`) and a diagonal state-space cell (:class:`S4DCell`).

>>> import torch
>>> from qmem.classical import LSTMCell, RecurrentModel, linear_maps
>>> g = torch.Generator().manual_seed(0)
>>> RecurrentModel(LSTMCell(1, 2, linear_maps(g)), 1, generator=g)(torch.zeros(1, 3, 1))[0].shape
torch.Size([1, 3, 1])
"""

from .gru import GRUCell
from .jhcg import JHCG, default_latent_size
from .kan import BSplineKAN, kan_parameter_count
from .lstm_scaffold import LSTMCell, MapFactory, SixMapLSTMCell, linear_maps
from .lstm_variants import VARIANTS, LSTMVariantCell, variant_update
from .mlstm import MLSTMCell
from .prepare import prepared
from .recurrent import RecurrentCell, RecurrentModel, State
from .s4d import S4DCell
from .seeded import seeded_linear
from .slstm import SLSTMCell
from .titans import TitansMemoryCell
from .window import WindowMLP, WindowModel
from .xlstm_ref import XLSTMRef, xlstm_available

__all__ = [
    "JHCG",
    "VARIANTS",
    "BSplineKAN",
    "GRUCell",
    "LSTMCell",
    "LSTMVariantCell",
    "MLSTMCell",
    "MapFactory",
    "RecurrentCell",
    "RecurrentModel",
    "S4DCell",
    "SLSTMCell",
    "SixMapLSTMCell",
    "State",
    "TitansMemoryCell",
    "WindowMLP",
    "WindowModel",
    "XLSTMRef",
    "default_latent_size",
    "kan_parameter_count",
    "linear_maps",
    "prepared",
    "seeded_linear",
    "variant_update",
    "xlstm_available",
]
