"""The executor registry: every registered executor against the independent numpy references,
a toy ansatz and a toy executor registered from the test side, and every bad call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmem.circuits import (
    AnsatzDef,
    QKANLayer,
    VQCLayer,
    VQCSpec,
    build_circuit,
    check_executor,
    daruan,
    daruan_circuit,
    executor_names,
    register_ansatz,
    register_executor,
    vqc,
    vqc_angles,
)
from qmem.circuits.daruan import DaruanJob, ansatz_names, daruan_angles, theta_shape
from qmem.circuits.executors import (
    auto_candidates,
    get_executor,
    option_names,
    pick_auto,
)
from qmem.circuits.vqc import VQCJob

from . import daruan_reference as ref
from . import toy_plugins
from .vqc_reference import SPECS, ref_circuit
from .vqc_reference import data as vqc_data

F64 = torch.float64
SDK = ("pennylane", "qiskit")


def _tol(name: str) -> float:
    return 1e-6 if name in SDK else 1e-12


@pytest.mark.parametrize("executor", executor_names("daruan"))
@pytest.mark.parametrize("ansatz", ansatz_names())
@pytest.mark.parametrize("preact", [False, True])
def test_every_daruan_executor_matches_reference(executor, ansatz, preact, gen):
    reps = 2
    theta = torch.randn(3, *theta_shape(ansatz, reps), generator=gen, dtype=F64)
    w = torch.randn(3, reps, generator=gen, dtype=F64) if preact else None
    b = torch.randn(3, reps, generator=gen, dtype=F64) if preact else None
    x = 2 * torch.randn(4, 3, generator=gen, dtype=F64)
    if executor != "auto":
        reason = get_executor(executor).unsupported(DaruanJob(x, theta, ansatz, w, b, "z", reps))
        if reason is not None:
            pytest.skip(f"{executor} {reason}")
    z = x.unsqueeze(-1) * (1.0 if w is None else w) + (0.0 if b is None else b)
    angles = daruan_angles(z.expand(4, 3, reps), theta, ansatz).numpy()
    want = torch.from_numpy(ref.expval_z(daruan_circuit(ansatz, reps), angles))
    got = daruan(x, theta, ansatz=ansatz, w=w, b=b, executor=executor)
    assert got.shape == (4, 3) and got.dtype == F64
    torch.testing.assert_close(got, want, atol=_tol(executor), rtol=0)


# (x, theta's leading dims, w's, b's): each term may carry fewer leading dims than another
# (the Bloch engine once misaligned a w / b with fewer dims than theta's or b's: RuntimeError)
MIXED_LEADS = [
    ((5,), (3, 5), (), None),
    ((5,), (3, 5), (5,), (5,)),
    ((), (3, 5), (5,), (3, 1)),
    ((5,), (), (), (3, 5)),
    ((5,), (5,), (), (4, 3, 1)),
    ((4, 1, 1), (3, 5), (5,), ()),
    ((5,), (3, 5), None, (2, 1, 5)),
]


@pytest.mark.parametrize("executor", ["bloch", "statevector", "auto"])
@pytest.mark.parametrize("ansatz", ["pz", "rpz", "real"])
@pytest.mark.parametrize(("x_lead", "t_lead", "w_lead", "b_lead"), MIXED_LEADS)
def test_daruan_broadcasts_parameters_of_different_ranks(
    executor, ansatz, x_lead, t_lead, w_lead, b_lead, gen
):
    reps = 2
    theta = torch.randn(*t_lead, *theta_shape(ansatz, reps), generator=gen, dtype=F64)
    w = None if w_lead is None else torch.randn(*w_lead, reps, generator=gen, dtype=F64)
    b = None if b_lead is None else torch.randn(*b_lead, reps, generator=gen, dtype=F64)
    x = 2 * torch.randn(x_lead, generator=gen, dtype=F64)
    lead = [x.shape, t_lead, *(t.shape[:-1] for t in (w, b) if t is not None)]
    shape = torch.broadcast_shapes(*lead)
    z = x.unsqueeze(-1) * (1.0 if w is None else w) + (0.0 if b is None else b)
    t_full = theta.expand(*shape, *theta.shape[len(t_lead):])  # (*shape, *theta_shape)
    angles = daruan_angles(z.expand(*shape, reps), t_full, ansatz).numpy()
    want = torch.from_numpy(ref.expval_z(daruan_circuit(ansatz, reps), angles))
    got = daruan(x, theta, ansatz=ansatz, w=w, b=b, executor=executor)
    assert got.shape == shape and got.dtype == F64
    torch.testing.assert_close(got, want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("executor", executor_names("vqc"))
@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_vqc_executor_matches_reference(executor, name):
    spec = SPECS[name]
    x, w = vqc_data(spec, 3, seed=5)
    if executor != "auto":
        reason = get_executor(executor).unsupported(VQCJob(spec, x, w))
        if reason is not None:
            pytest.skip(f"{executor} {reason}")
    want = ref_circuit(build_circuit(spec), vqc_angles(spec, x, w).numpy())
    got = vqc(x, w, family=spec, executor=executor)
    np.testing.assert_allclose(got.numpy(), want, atol=_tol(executor))


def test_toy_ansatz_and_executor_run_through_layers(gen):
    assert "toy" in ansatz_names() and "toy_dense" in executor_names("vqc")
    layer = QKANLayer(3, 2, reps=2, ansatz="toy", seed=0, dtype=F64)
    x = torch.randn(5, 3, generator=gen, dtype=F64)
    want = layer(x)  # auto: fourier
    layer.executor = "toy_dense"
    torch.testing.assert_close(layer(x), want, atol=1e-12, rtol=0)
    layer.executor_options = {"verbose": True}
    torch.testing.assert_close(layer(x), want, atol=1e-12, rtol=0)
    rx = QKANLayer(2, 2, reps=1, ansatz="toy_rx", preact_trainable=True, seed=1, dtype=F64)
    y = rx(x[:, :2])  # auto -> statevector: bloch cannot run RX
    rx.executor = "toy_dense"
    torch.testing.assert_close(rx(x[:, :2]), y, atol=1e-12, rtol=0)
    vl = VQCLayer(3, 1, family="chen2024", executor="toy_dense", seed=2, dtype=F64)
    vl.weights.data.normal_(generator=gen)
    got = vl(x)
    vl.executor = "statevector"
    torch.testing.assert_close(got, vl(x), atol=1e-12, rtol=0)


def test_replacing_an_ansatz_drops_what_was_derived_from_it():
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    theta = torch.full((3,), 0.3, dtype=torch.float64)
    for rotation, data in (("RY", "RZ"), ("RZ", "RY")):  # the same name, other gates
        layer = ((rotation, "theta"), (data, "data"))
        register_ansatz(AnsatzDef("replaced", layer, ((rotation, "theta"),)), replace=True)
        outs = [daruan(x, theta, ansatz="replaced", executor=e) for e in ("bloch", "statevector")]
        assert torch.allclose(outs[0], outs[1], atol=1e-12)


def test_registry_refuses_bad_executors():
    with pytest.raises(TypeError, match="must implement"):
        register_executor(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already registered"):
        register_executor(toy_plugins.ToyDenseExecutor())

    class Auto(toy_plugins.ToyDenseExecutor):
        name = "auto"

    with pytest.raises(ValueError, match="other than 'auto'"):
        register_executor(Auto())


def test_executor_names_and_check():
    assert executor_names("daruan")[:6] == (
        "auto", "fourier", "bloch", "statevector", "pennylane", "qiskit"
    )
    assert executor_names("vqc")[:4] == ("auto", "statevector", "pennylane", "qiskit")
    assert check_executor("vqc", "auto") == "auto"
    with pytest.raises(ValueError, match=r"unknown executor 'fourier'.*allowed for vqc"):
        check_executor("vqc", "fourier")  # DARUAN-only
    with pytest.raises(ValueError, match="did you mean 'bloch'"):
        check_executor("daruan", "blosh")
    with pytest.raises(TypeError, match="executor must be a str"):
        check_executor("daruan", 3)
    with pytest.raises(ValueError, match="kind must be one of"):
        executor_names("qnn")  # type: ignore[arg-type]


def test_registry_lookups_refuse_bad_kinds_and_names():
    """Bad kinds and names raise ValueError/TypeError naming them (they raised KeyError,
    IndexError or an unhashable-type TypeError before)."""
    job = VQCJob(VQCSpec(n_qubits=2, n_layers=1), torch.zeros(3, 2), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="kind must be one of 'daruan', 'vqc', got 'qnn'"):
        option_names("qnn", "auto")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be one of 'daruan', 'vqc', got 'qnn'"):
        auto_candidates("qnn", job)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind must be one of 'daruan', 'vqc', got 'qnn'"):
        pick_auto("qnn", job, (get_executor("statevector"),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one candidate executor for vqc"):
        pick_auto("vqc", job, ())
    with pytest.raises(TypeError, match=r"executor name must be a str, got \['bloch'\] \(list\)"):
        get_executor(["bloch"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="executor name must be a str, got 3"):
        get_executor(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown executor 'blosh' \(did you mean 'bloch'"):
        get_executor("blosh")
    # the good paths are unchanged
    assert option_names("vqc", "auto") == ("method",)
    assert [ex.name for ex in auto_candidates("vqc", job)] == ["statevector"]


@pytest.mark.parametrize("make", [lambda: QKANLayer(3, 2, reps=1), lambda: VQCLayer(4, 1)])
def test_layers_validate_executor_and_options(make):
    layer = make()
    with pytest.raises(ValueError, match="unknown executor 'cuda'"):
        layer.executor = "cuda"
    with pytest.raises(TypeError, match="executor must be a str"):
        layer.executor = None
    layer.executor = "qiskit"
    with pytest.raises(ValueError, match=r"unknown option 'shotz'.*did you mean 'shots'"):
        layer.executor_options = {"shotz": 10}
    with pytest.raises(ValueError, match=r"unknown option 'shotz'.*did you mean 'shots'"):
        layer.set_executor("qiskit", shotz=10)
    layer.executor_options = {"shots": 10}
    assert layer.executor_options == {"shots": 10}
    layer.executor = "statevector"  # assigning an executor clears its options
    assert layer.executor_options == {}


def test_unknown_option_in_functional_cores():
    x, theta = torch.zeros(2), torch.zeros(3, 2)
    with pytest.raises(ValueError, match=r"unknown option 'shotz'.*did you mean 'shots'"):
        daruan(x, theta, executor="qiskit", shotz=10)
    with pytest.raises(ValueError, match=r"unknown option 'metod'.*did you mean 'method'"):
        vqc(torch.zeros(1, 4), torch.zeros(2, 4, 3), metod="dense")
    with pytest.raises(ValueError, match="executor 'bloch' takes no options"):
        daruan(x, theta, executor="bloch", shots=10)


def test_layers_take_randomness_the_same_way():
    g = torch.Generator().manual_seed(3)
    for make in (QKANLayer, lambda *a, **k: VQCLayer(4, 1, **k)):
        with pytest.raises(ValueError, match="not both"):
            make(3, 2, seed=1, generator=g) if make is QKANLayer else make(seed=1, generator=g)
    a = QKANLayer(3, 2, generator=torch.Generator().manual_seed(3))
    b = QKANLayer(3, 2, seed=3)
    torch.testing.assert_close(a.theta, b.theta)
    torch.manual_seed(0)
    c = QKANLayer(3, 2)
    torch.manual_seed(0)
    torch.testing.assert_close(QKANLayer(3, 2).theta, c.theta)  # None: torch's default RNG


def test_preact_trainable_must_be_a_bool():
    with pytest.raises(TypeError, match=r"preact_trainable must be a bool.*'False'"):
        QKANLayer(3, 2, preact_trainable="False")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="postact_bias_trainable must be a bool"):
        QKANLayer(3, 2, postact_bias_trainable=1)  # type: ignore[arg-type]


def test_vqcspec_bad_values():
    with pytest.raises(ValueError, match="option 'n_qubits' must be greater than or equal to 1"):
        VQCSpec(n_qubits=0)
    with pytest.raises(TypeError, match=r"option 'n_layers'.*got '2'"):
        VQCSpec(n_layers="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="option 'hadamard'"):
        VQCSpec(hadamard=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown option 'entangeler' .did you mean 'entangler'"):
        VQCSpec.from_dict({"entangeler": "ring"})
    with pytest.raises(ValueError, match="option 'ring_distances'"):
        VQCSpec(ring_distances=(0,))
    with pytest.raises(ValueError, match="readout has a repeated wire"):
        VQCSpec(readout=(0, 0))
    spec = VQCSpec(n_qubits=3)
    assert hash(spec) == hash(VQCSpec(n_qubits=3)) and spec.replace(n_layers=1).n_layers == 1
    assert VQCSpec.json_schema()["properties"]["n_qubits"]["minimum"] == 1
