"""count_parameters and hidden_size_for_budget."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from qmem.params import count_parameters, hidden_size_for_budget


class _Toy(nn.Module):
    """A module with one 'quantum' angle tensor and one classical weight."""

    def __init__(self) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.zeros(2, 3))
        self.w = nn.Parameter(torch.zeros(4))
        self.register_parameter("optional", None)

    def quantum_parameter_names(self) -> tuple[str, ...]:
        return ("theta", "optional")


def test_split_by_module_and_shared_once() -> None:
    shared = nn.Linear(3, 3)  # 12
    frozen = nn.Linear(5, 1)  # 6, not trainable
    for p in frozen.parameters():
        p.requires_grad_(False)
    model = nn.ModuleDict({"a": _Toy(), "b": shared, "c": nn.Sequential(shared, frozen)})
    model.extra = nn.Parameter(torch.zeros(7))
    tied = nn.Linear(2, 2)
    model.tied = tied
    model.tied_again = nn.Module()
    model.tied_again.weight = tied.weight  # same tensor under another module
    out = count_parameters(model)
    assert out["quantum"] == 6
    assert out["classical"] == 4 + 12 + 7 + 6
    assert out["total"] == 35
    assert out["by_module"] == {
        "": {"quantum": 0, "classical": 7, "total": 7},
        "a": {"quantum": 6, "classical": 4, "total": 10},
        "b": {"quantum": 0, "classical": 12, "total": 12},
        "tied": {"quantum": 0, "classical": 6, "total": 6},
    }
    assert sum(m["total"] for m in out["by_module"].values()) == out["total"]


def test_unknown_quantum_name_and_bad_model() -> None:
    class Bad(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.zeros(1))

        def quantum_parameter_names(self) -> tuple[str, ...]:
            return ("angles",)

    with pytest.raises(ValueError, match="angles"):
        count_parameters(Bad())
    with pytest.raises(TypeError, match=r"nn\.Module"):
        count_parameters("lstm")  # type: ignore[arg-type]


def test_qkan_lstm_counts_quantum_parameters() -> None:
    from qmem.models import build

    model = build("qkan_lstm", input_size=1, hidden_size=2, reps=2, base_activation="silu")
    out = count_parameters(model)
    edges = (1 + 2) * 4 * 2
    assert out["quantum"] == edges * 2 * (2 + 1)  # pz: θ (out, in, r+1, 2)
    assert out["classical"] == edges + (2 + 1)  # SiLU base weights + head
    assert out["by_module"]["cell.gates"] == {
        "quantum": edges * 6, "classical": edges, "total": edges * 7
    }


def test_hidden_size_for_budget() -> None:
    def lstm_total(h: int) -> int:  # 4H(1 + H + 1) + (H + 1)
        return 4 * h * (h + 2) + h + 1

    assert hidden_size_for_budget("lstm", lstm_total(7), input_size=1) == 7
    assert hidden_size_for_budget("lstm", lstm_total(7) + 1, input_size=1, mode="at_most") == 7
    assert hidden_size_for_budget("lstm", lstm_total(7) - 1, input_size=1, mode="at_most") == 6
    # nearest: 7 -> 259, 8 -> 329; 290 is closer to 259
    assert hidden_size_for_budget("lstm", 290, input_size=1) == 7
    assert hidden_size_for_budget("lstm", 300, input_size=1) == 8
    with pytest.raises(ValueError, match=r"budget 1000000000 is out of reach: hidden_size=16"):
        hidden_size_for_budget("gru", 10**9, input_size=1, max_hidden=16)  # was 16, silently
    assert hidden_size_for_budget("lstm", 1, input_size=1) == 1
    with pytest.raises(ValueError, match="no hidden size fits budget 5"):
        hidden_size_for_budget("lstm", 5, input_size=1, mode="at_most")
    with pytest.raises(ValueError, match="input_size is required"):
        hidden_size_for_budget("lstm", 100)
    with pytest.raises(ValueError, match="budget must be a positive int"):
        hidden_size_for_budget("lstm", 0, input_size=1)
    with pytest.raises(ValueError, match="unknown option"):
        hidden_size_for_budget("lstm", 100, input_size=1, reps=2)
    # options reach the model: a larger KAN grid needs a smaller hidden size
    small = hidden_size_for_budget("kan_lstm", 2000, input_size=1, grid_size=3)
    large = hidden_size_for_budget("kan_lstm", 2000, input_size=1, grid_size=12)
    assert small > large


def test_format_counts_lists_modules_and_totals() -> None:
    from qmem.models import build
    from qmem.params import format_counts

    text = format_counts(count_parameters(build("qkan_lstm", input_size=1, hidden_size=1,
                                                reps=1)))
    lines = [line.split() for line in text.splitlines()]
    assert lines[0] == ["module", "quantum", "classical", "total"]
    assert lines[1] == ["cell.gates", "32", "0", "32"]
    assert lines[2] == ["head", "0", "2", "2"]
    assert lines[-1] == ["total", "32", "2", "34"]


def test_format_counts_refuses_what_is_no_parameter_count() -> None:
    """``format_counts({})`` was a raw ``KeyError: 'by_module'``; a model without parameters
    still gives the header and a zero total."""
    from qmem.params import format_counts

    with pytest.raises(ValueError, match="missing keys: by_module, classical, quantum, total"):
        format_counts({})
    with pytest.raises(ValueError, match=r"by_module'\]\['0'\].*missing: total"):
        format_counts({"quantum": 0, "classical": 9, "total": 9,
                       "by_module": {"0": {"quantum": 0, "classical": 9}}})
    with pytest.raises(TypeError, match="a mapping"):
        format_counts([1, 2])  # type: ignore[arg-type]
    lines = [line.split() for line in format_counts(count_parameters(nn.Tanh())).splitlines()]
    assert lines == [["module", "quantum", "classical", "total"], ["total", "0", "0", "0"]]
