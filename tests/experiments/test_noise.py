"""Noise specs of `qmem evaluate --noise` against closed forms on one- and two-qubit circuits.

Exact noisy expectations come from qiskit-aer's density-matrix method (the executor's
``shots=None`` mode); readout errors act on measured bits only, so they are checked with shots
and a tolerance of 5 binomial standard deviations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from qmem.circuits.backends import qiskit as qiskit_backend
from qmem.circuits.ir import Circuit, Op
from qmem.experiments.noise import NoiseSpec, parse_noise, parse_noise_spec

pytest.importorskip("qiskit_aer")


def _z(circuit: Circuit, angles: list[list[float]], spec: str | None, **kw) -> np.ndarray:
    t = torch.tensor(angles, dtype=torch.float64)
    return qiskit_backend.expval_z(circuit, t, noise_model=parse_noise(spec), **kw).numpy()


def _within_binomial(got: np.ndarray, want: np.ndarray, shots: int) -> None:
    """``got`` estimates ``want`` = <Z> from ``shots`` draws: within 5 standard deviations."""
    q = (1 - want) / 2  # probability of reading 1
    std = 2 * np.sqrt(q * (1 - q) / shots)
    assert np.all(np.abs(got - want) <= 5 * std + 1e-12), (got, want, std)


# ---------------------------------------------------------------- readout
def test_readout_scales_z_by_one_minus_two_p():
    p, shots = 0.15, 20_000
    c = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    theta = [[0.0], [0.7], [2.0], [math.pi]]
    z = np.cos(np.array(theta))  # noiseless <Z> = cos t
    got = _z(c, theta, f"readout:{p}", shots=shots, seed=4)
    _within_binomial(got, (1 - 2 * p) * z, shots)
    # the test can fail: without the readout error the estimate is off by 2 p |z| >> 5 std
    clean = _z(c, theta, None, shots=shots, seed=4)
    assert np.abs(clean - (1 - 2 * p) * z)[[0, 3]].min() > 0.25


def test_readout_flips_each_qubit_on_its_own():
    p, shots = 0.1, 20_000
    c = Circuit(2, (Op("X", (0,)), Op("RY", (1,), 0)), ("t",), (0, 1))  # |1> (x) |0>
    got = _z(c, [[0.0]], f"readout:{p}", shots=shots, seed=1)
    _within_binomial(got, np.array([[-(1 - 2 * p), 1 - 2 * p]]), shots)


def test_readout_is_invisible_to_exact_expectations():
    # why evaluate_run refuses readout noise without shots (tests/experiments/test_evaluate.py)
    c = Circuit(1, (Op("RY", (0,), 0),), ("t",), (0,))
    np.testing.assert_allclose(_z(c, [[0.4]], "readout:0.3"), [[math.cos(0.4)]], atol=1e-12)


# ---------------------------------------------------------------- thermal relaxation
def test_amplitude_damping_after_every_gate():
    # |1> after X, then two RZ that leave the populations alone: three gates of time t each,
    # P(1) = exp(-3 t / T1), so <Z> = 1 - 2 exp(-3 t / T1) (T2 plays no part in <Z>)
    t1, t2, t = 1.0, 0.7, 0.2
    c = Circuit(1, (Op("X", (0,)), Op("RZ", (0,), 0), Op("RZ", (0,), 1)), ("a", "b"), (0,))
    got = _z(c, [[0.0, 0.0], [0.3, -1.1]], f"thermal:{t1},{t2},{t}")
    np.testing.assert_allclose(got, 1 - 2 * math.exp(-3 * t / t1), atol=1e-12)
    assert np.all(got > -1 + 0.5)  # pulled from -1 towards +1


@pytest.mark.parametrize(("t1", "t2"), [(1.0, 0.6), (1.0, 1.8)])  # T2 < T1 and T1 < T2 <= 2 T1
def test_dephasing_with_t2(t1, t2):
    # H, RZ(a), H; after each gate coherence shrinks by exp(-t/T2) and P(1) by exp(-t/T1):
    # <Z> = 1 - (1 - exp(-2t/T2) cos a) exp(-t/T1)
    t = 0.25
    c = Circuit(1, (Op("H", (0,)), Op("RZ", (0,), 0), Op("H", (0,))), ("a",), (0,))
    a = np.array([[0.0], [0.9], [2.5]])
    got = _z(c, a.tolist(), f"thermal:{t1},{t2},{t}")
    want = 1 - (1 - math.exp(-2 * t / t2) * np.cos(a)) * math.exp(-t / t1)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_two_qubit_gate_relaxes_both_qubits_for_time2():
    t1, t, t2q = 2.0, 0.1, 0.5
    c = Circuit(2, (Op("X", (0,)), Op("X", (1,)), Op("CZ", (0, 1)), Op("RZ", (0,), 0)),
                ("a",), (0, 1))
    got = _z(c, [[0.0]], f"thermal:{t1},{t1},{t},{t2q}")
    # qubit 0: X, CZ, RZ -> 2 t + TIME2; qubit 1: X, CZ -> t + TIME2
    want = [1 - 2 * math.exp(-(2 * t + t2q) / t1), 1 - 2 * math.exp(-(t + t2q) / t1)]
    np.testing.assert_allclose(got, [want], atol=1e-12)
    same = _z(c, [[0.0]], f"thermal:{t1},{t1},{t}")  # TIME2 defaults to TIME
    want = [1 - 2 * math.exp(-3 * t / t1), 1 - 2 * math.exp(-2 * t / t1)]
    np.testing.assert_allclose(same, [want], atol=1e-12)


def test_vanishing_gate_time_is_the_noiseless_circuit():
    c = Circuit(2, (Op("RY", (0,), 0), Op("CNOT", (0, 1)), Op("RX", (1,), 1), Op("H", (0,))),
                ("a", "b"), (0, 1))
    angles = [[0.3, 1.2], [2.0, -0.4]]
    clean = _z(c, angles, None)
    for spec in ("thermal:100,80,1e-12", "thermal:1e9,1e9,0.05"):
        np.testing.assert_allclose(_z(c, angles, spec), clean, atol=1e-9)
    assert np.abs(_z(c, angles, "thermal:1,1,0.3") - clean).max() > 0.05  # it can fail


def test_depolarizing_acts_before_thermal_whatever_the_order_written():
    # X then depolarizing: <Z> = -(1 - p); then relaxation: 1 - (2 - p) exp(-t/T1)
    p, t1, t = 0.2, 1.0, 0.3
    c = Circuit(1, (Op("X", (0,)), Op("RZ", (0,), 0)), ("a",), (0,))  # two gates
    z1 = 1 - (2 - p) * math.exp(-t / t1)  # after X
    want = 1 - (1 - (1 - p) * z1) * math.exp(-t / t1)  # after RZ: depolarize, relax
    thermal = f"thermal:{t1},{t1},{t}"
    for spec in (f"depolarizing:{p}+{thermal}", f"{thermal}+depolarizing:{p}"):
        np.testing.assert_allclose(_z(c, [[0.0]], spec), [[want]], atol=1e-12)


def test_readout_with_thermal_and_shots():
    p, t1, t, shots = 0.05, 1.0, 0.2, 20_000
    c = Circuit(1, (Op("X", (0,)), Op("RZ", (0,), 0)), ("a",), (0,))
    got = _z(c, [[0.0]], f"readout:{p}+thermal:{t1},{t1},{t}", shots=shots, seed=2)
    _within_binomial(got, np.array([[(1 - 2 * p) * (1 - 2 * math.exp(-2 * t / t1))]]), shots)


# ---------------------------------------------------------------- text, labels
def test_canonical_text_and_label():
    spec = parse_noise_spec(" thermal:1e2, 80 ,5e-2+ depolarizing:1e-3 +readout:0.020")
    assert spec == NoiseSpec(depolarizing=0.001, readout=0.02, thermal=(100.0, 80.0, 0.05, 0.05))
    assert spec.text == "depolarizing:0.001+readout:0.02+thermal:100,80,0.05"
    assert spec.label == "depolarizing0.001_readout0.02_thermal100-80-0.05"
    assert parse_noise_spec(spec.text) == spec  # the text parses back to the same spec
    assert parse_noise_spec("depolarizing:0.01").label == "depolarizing0.01"  # the old names
    four = parse_noise_spec("thermal:100,80,0.05,0.3")
    assert four.text == "thermal:100,80,0.05,0.3" and four.label == "thermal100-80-0.05-0.3"
    assert parse_noise_spec("thermal:100,80,0.05,0.05").text == "thermal:100,80,0.05"
    tiny = parse_noise_spec("thermal:1e+3,1E3,1e-7")  # exponents: no 'e', '+' or '-' in labels
    assert tiny.label == "thermal1000-1000-0.0000001"


BAD = [
    ("", "the spec is empty"),
    ("   ", "the spec is empty"),
    ("depolarizing:0.1+", "empty part"),
    ("+readout:0.1", "empty part"),
    ("bitflip:0.1", "unknown kind 'bitflip'"),
    ("Readout:0.1", "unknown kind 'Readout'"),
    (":0.1", "unknown kind ''"),
    ("depolarizing", "depolarizing takes one value"),
    ("readout:", "readout takes one value"),
    ("readout:0.1,0.2", "readout takes one value"),
    ("thermal:100,80", "thermal takes 3 or 4 values"),
    ("thermal:1,1,1,1,1", "thermal takes 3 or 4 values"),
    ("thermal:100,,0.05", "thermal takes 3 or 4 values"),
    ("depolarizing:2", r"depolarizing P = 2.0 is outside \[0, 1\]"),
    ("readout:-0.01", r"readout P = -0.01 is outside \[0, 1\]"),
    ("readout:nan", "readout P = 'nan' is no finite decimal number"),
    ("depolarizing:inf", "'inf' is no finite decimal number"),
    ("depolarizing:1e400", "'1e400' is no finite decimal number"),
    ("depolarizing:0x1", "'0x1' is no finite decimal number"),
    ("depolarizing:1_0", "'1_0' is no finite decimal number"),
    ("thermal:100,80,abc", "thermal TIME = 'abc' is no finite decimal number"),
    ("thermal:inf,80,0.05", "thermal T1 = 'inf'"),
    ("thermal:0,0,0.05", "thermal T1 = 0 must be > 0"),
    ("thermal:100,80,0", "thermal TIME = 0 must be > 0"),
    ("thermal:100,80,0.05,-1", "thermal TIME2 = -1 must be > 0"),
    ("thermal:10,30,0.05", r"thermal T2 = 30 exceeds 2\*T1 = 20"),
    ("readout:0.1+readout:0.2", "kind 'readout' given twice"),
    ("thermal:1,1,1+depolarizing:0+thermal:2,2,2", "kind 'thermal' given twice"),
]


@pytest.mark.parametrize(("spec", "words"), BAD, ids=[repr(s) for s, _ in BAD])
def test_bad_specs_name_the_spec_and_what_is_allowed(spec, words):
    with pytest.raises(ValueError, match=words) as info:
        parse_noise_spec(spec)
    msg = str(info.value)
    assert msg.startswith(f"unknown noise model {spec!r}: ")
    assert "allowed: " in msg and "thermal:T1,T2,TIME[,TIME2]" in msg and "T2 <= 2*T1" in msg


def test_a_spec_must_be_text():
    with pytest.raises(TypeError, match="noise must be a str"):
        parse_noise_spec(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"readout": 1.5}, ValueError, r"NoiseSpec: readout P = 1.5 is outside \[0, 1\]"),
        ({"depolarizing": math.nan}, ValueError, "NoiseSpec: depolarizing values must be finite"),
        ({"depolarizing": True}, TypeError, "NoiseSpec: depolarizing values must be floats"),
        ({"readout": "0.1"}, TypeError, "NoiseSpec: readout values must be floats"),
        ({"thermal": (1.0, 1.0, 0.1)}, TypeError, r"thermal must be a tuple \(T1, T2, TIME"),
        ({"thermal": (1.0, 3.0, 0.1, 0.1)}, ValueError, r"T2 = 3 exceeds 2\*T1 = 2"),
        ({"thermal": (1.0, 1.0, 0.1, 0.0)}, ValueError, "thermal TIME2 = 0 must be > 0"),
    ],
)
def test_a_spec_made_directly_is_checked(kwargs, error, words):
    with pytest.raises(error, match=words):
        NoiseSpec(**kwargs)


def test_ints_become_floats():
    spec = NoiseSpec(readout=0, thermal=(100, 80, 1, 1))
    assert spec.readout == 0.0 and isinstance(spec.readout, float)
    assert spec.text == "readout:0+thermal:100,80,1" and spec == parse_noise_spec(spec.text)
