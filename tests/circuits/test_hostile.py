"""Hostile input to the circuit API: each bad call raises the named class with a message that
names the value and what is allowed (docs/errors.md); valid edge cases (empty batches, a
first call under inference mode) work on every executor that can run them."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from qmem.circuits import (
    AnsatzDef,
    Circuit,
    Op,
    QKANLayer,
    VQCLayer,
    VQCSpec,
    daruan,
    daruan_draw,
    daruan_qasm3,
    daruan_qiskit,
    executor_names,
    register_ansatz,
    register_executor,
    vqc,
)
from qmem.circuits.daruan import fourier_coefficients
from qmem.circuits.emulation.statevector import expval_z, shared_unitary
from qmem.circuits.executors import set_auto_rule
from qmem.circuits.export import draw, to_qasm3, to_qiskit
from qmem.circuits.vqc import chen2020_spec, resolve_spec

F64 = torch.float64
NAN = float("nan")
INF = float("inf")


def _theta(reps: int = 2, lead: tuple[int, ...] = ()) -> torch.Tensor:
    return torch.full((*lead, reps + 1, 2), 0.3, dtype=F64)


def _x(n: int = 3) -> torch.Tensor:
    return torch.linspace(-1, 1, n, dtype=F64)


def _w() -> torch.Tensor:
    return torch.zeros(2, 4, 3, dtype=F64)


def _xv(batch: int = 2) -> torch.Tensor:
    return torch.full((batch, 4), 0.2, dtype=F64)


def _qkan(**kw: object) -> QKANLayer:
    return QKANLayer(3, 2, reps=2, seed=0, dtype=F64, **kw)


def _with(layer: torch.nn.Module, name: str, value: float) -> torch.nn.Module:
    with torch.no_grad():
        getattr(layer, name).view(-1)[0] = value
    return layer


class _NoRun:
    name = "norun"
    kinds = ("daruan",)
    options = ()

    def unsupported(self, job: object) -> None:
        return None


_LINE = Circuit(1, (Op("RY", (0,), 0),), ("a",), (0,))

# (id, call, exception class, regex the message must match)
CASES: list[tuple[str, Callable[[], object], type[Exception], str]] = [
    # ------------------------------------------------------------------ daruan()
    ("daruan x list", lambda: daruan([0.1], _theta()), TypeError, "x must be a torch.Tensor"),
    ("daruan x int", lambda: daruan(torch.zeros(2, dtype=torch.long), _theta()), TypeError,
     "x must be a floating-point tensor, got dtype torch.int64"),
    ("daruan x complex", lambda: daruan(torch.zeros(2, dtype=torch.complex128), _theta()),
     TypeError, "x must be a floating-point tensor, got dtype torch.complex128"),
    ("daruan theta bool", lambda: daruan(_x(), torch.zeros(3, 2, dtype=torch.bool)), TypeError,
     "theta must be a floating-point tensor"),
    ("daruan theta shape", lambda: daruan(_x(), torch.zeros(3, 3, dtype=F64)), ValueError,
     r"theta for ansatz 'pz' must have shape \(\.\.\., r\+1, 2\), got \(3, 3\)"),
    ("daruan theta reps 0", lambda: daruan(_x(), torch.zeros(1, 2, dtype=F64)), ValueError,
     "gives reps = 0.*reps must be >= 1"),
    ("daruan reps past MAX_REPS", lambda: daruan(_x(), torch.zeros(2000, 2, dtype=F64)),
     ValueError, "reps = 1999.*MAX_REPS = 1024"),
    ("daruan ansatz", lambda: daruan(_x(), _theta(), ansatz="pzz"), ValueError,
     "unknown ansatz 'pzz' \\(did you mean 'pz'\\?\\)"),
    ("daruan ansatz type", lambda: daruan(_x(), _theta(), ansatz=3), ValueError,
     "unknown ansatz 3"),
    ("daruan readout", lambda: daruan(_x(), _theta(), readout="x"), ValueError,
     "readout must be one of 'z', 'abs', got 'x'"),
    ("daruan executor type", lambda: daruan(_x(), _theta(), executor=1), TypeError,
     "executor must be a str, got 1"),
    ("daruan executor name", lambda: daruan(_x(), _theta(), executor="blosh"), ValueError,
     "unknown executor 'blosh' \\(did you mean 'bloch'\\?\\)"),
    ("daruan option key", lambda: daruan(_x(), _theta(), executor="qiskit", shotz=10),
     ValueError, "unknown option 'shotz' for executor 'qiskit' \\(did you mean 'shots'\\?\\)"),
    ("daruan option for auto", lambda: daruan(_x(), _theta(), shots=10), ValueError,
     "executor 'auto' takes no options.*an option of 'pennylane', 'qiskit'"),
    ("daruan shots negative", lambda: daruan(_x(), _theta(), executor="qiskit", shots=-1),
     ValueError, "shots must be a positive int, got -1"),
    ("daruan shots str", lambda: daruan(_x(), _theta(), executor="qiskit", shots="100"),
     TypeError, "shots must be a positive int, got '100'"),
    ("daruan shots bool", lambda: daruan(_x(), _theta(), executor="pennylane", shots=True),
     TypeError, "shots must be None \\(exact\\) or a positive int, got True"),
    ("daruan seed negative", lambda: daruan(_x(), _theta(), executor="qiskit", seed=-3),
     ValueError, "seed must be None or a non-negative int, got -3"),
    ("daruan noise model", lambda: daruan(_x(), _theta(), executor="qiskit", noise_model=3),
     TypeError, "noise_model must be a qiskit_aer.noise.NoiseModel or None, got int"),
    ("daruan pennylane device", lambda: daruan(_x(), _theta(), executor="pennylane",
                                                device="default.qbit"),
     ValueError, "unknown PennyLane device 'default.qbit' \\(did you mean 'default.qubit'\\?\\)"),
    ("daruan diff method", lambda: daruan(_x(), _theta(), executor="pennylane",
                                          diff_method="magic"),
     ValueError, "unknown diff_method 'magic'"),
    ("daruan statevector method", lambda: daruan(_x(), _theta(), executor="statevector",
                                                 method="fast"),
     ValueError, "method must be one of 'auto', 'dense', 'gates', got 'fast'"),
    ("daruan nan x", lambda: daruan(torch.tensor([0.0, NAN], dtype=F64), _theta()), ValueError,
     "x holds non-finite values"),
    ("daruan inf theta", lambda: daruan(_x(), _with_t(_theta(), INF)), ValueError,
     "theta holds non-finite values"),
    ("daruan nan w", lambda: daruan(_x(), _theta(), w=torch.full((2,), NAN, dtype=F64),
                                    executor="bloch"),
     ValueError, "w holds non-finite values"),
    ("daruan dtype mismatch", lambda: daruan(_x().float(), _theta()), TypeError,
     "x has dtype torch.float32 but theta torch.float64; they must match"),
    ("daruan w dtype mismatch", lambda: daruan(_x(), _theta(), w=torch.ones(2)), TypeError,
     "w has dtype torch.float32 but theta torch.float64"),
    ("daruan w shape", lambda: daruan(_x(), _theta(), w=torch.ones(3, dtype=F64)), ValueError,
     r"w must have shape \(\.\.\., r\) with r = 2, got \(3,\)"),
    ("daruan fourier with w", lambda: daruan(_x(), _theta(), w=torch.ones(2, dtype=F64),
                                             executor="fourier"),
     ValueError, "executor 'fourier' needs fixed integer-frequency encoding.*use 'bloch'"),
    ("daruan fourier abs", lambda: daruan(_x(), _theta(), readout="abs", executor="fourier"),
     ValueError, "needs readout 'z'"),
    ("daruan broadcast", lambda: daruan(torch.zeros(4, dtype=F64), _theta(lead=(3,))),
     ValueError, r"x \(4,\) does not broadcast with the parameters' leading dims"),
    ("daruan w lead vs theta lead", lambda: daruan(
        _x(5), _theta(lead=(4, 1)), w=torch.zeros(3, 1, 2, dtype=F64), executor="bloch"),
     ValueError, r"x \(5,\) does not broadcast with the parameters' leading dims "
     r"\(theta \(4, 1\), w \(3, 1\)\): .* must broadcast together"),
    ("daruan broadcast huge", lambda: daruan(torch.zeros(10**5, 1), torch.zeros(10**5, 3, 2)),
     ValueError, "daruan .* would allocate 50000000000 elements"),
    ("QKAN bloch huge batch", lambda: QKANLayer(128, 128, 8, executor="bloch")(
        torch.zeros(4096, 128)),
     ValueError, "the Bloch engine's states .* would allocate 3825205248 elements"),
    # ------------------------------------------------------------------ export
    ("export x vector", lambda: daruan_qiskit(torch.zeros(2), _theta()), ValueError,
     r"x must be a scalar for export, got shape \(2,\)"),
    ("export x nan", lambda: daruan_qasm3(NAN, _theta()), ValueError, "x holds non-finite"),
    ("export theta nan", lambda: daruan_draw(0.1, _with_t(_theta(), NAN)), ValueError,
     "theta holds non-finite"),
    ("export leading dims", lambda: daruan_qiskit(0.1, _theta(lead=(2,))), ValueError,
     "export takes the parameters of one activation"),
    ("export ansatz", lambda: daruan_qasm3(0.1, _theta(), ansatz="nope"), ValueError,
     "unknown ansatz 'nope'"),
    ("export x str", lambda: daruan_qiskit("0.1", _theta()), TypeError, "x must be a number"),
    ("to_qiskit circuit", lambda: to_qiskit("circuit", [0.1]), TypeError,
     "circuit must be a qmem Circuit, got str"),
    ("to_qiskit angles shape", lambda: to_qiskit(_LINE, [0.1, 0.2]), ValueError,
     r"angles must have shape \(1,\) \(the circuit's n_slots\), got \(2,\)"),
    ("to_qiskit angles nan", lambda: to_qiskit(_LINE, [NAN]), ValueError,
     "angles hold non-finite values"),
    ("to_qiskit angles str", lambda: to_qiskit(_LINE, ["a"]), TypeError,
     "angles must be None, a float tensor or a sequence of floats"),
    ("to_qasm3 int tensor", lambda: to_qasm3(_LINE, torch.tensor([1])), TypeError,
     "angles must be a floating tensor, got torch.int64"),
    ("draw fold", lambda: draw(_LINE, fold="80"), TypeError, "fold must be an int, got '80'"),
    ("draw fold zero", lambda: draw(_LINE, fold=0), ValueError,
     "fold must be -1 \\(no wrapping\\) or a positive int, got 0"),
    ("VQCLayer export x", lambda: VQCLayer(4, 2, seed=0).to_qiskit(torch.zeros(2, 4)),
     ValueError, r"x must have shape \(4,\) \(one sample\), got \(2, 4\)"),
    # ------------------------------------------------------------------ IR and registries
    ("Circuit qubits", lambda: Circuit(0, (), (), (0,)), ValueError,
     "n_qubits must be a positive int, got 0"),
    ("Circuit gate", lambda: Circuit(1, (Op("RW", (0,), 0),), ("a",), (0,)), ValueError,
     "unknown gate 'RW'"),
    ("Circuit wire", lambda: Circuit(1, (Op("CNOT", (0, 1)),), (), (0,)), ValueError,
     r"wire 1 outside 0\.\.0"),
    ("Circuit slot reuse", lambda: Circuit(1, (Op("RY", (0,), 0), Op("RX", (0,), 0)), ("a",),
                                           (0,)),
     ValueError, "every slot must be used by exactly one rotation gate"),
    ("expval_z angles", lambda: expval_z(_LINE, torch.zeros(3, 2)), ValueError,
     r"angles must have shape \(\.\.\., 1\)"),
    ("expval_z half", lambda: expval_z(_LINE, torch.zeros(3, 1, dtype=torch.float16)),
     TypeError, "angles must be float32 or float64, got torch.float16"),
    ("expval_z dense past 8 qubits", lambda: expval_z(_wide(9), torch.zeros(1, 9),
                                                       method="dense"),
     ValueError, "the dense path handles at most DENSE_MAX_QUBITS=8 qubits"),
    ("expval_z state vector too large", lambda: expval_z(_wide(24), torch.zeros(100, 24)),
     ValueError, "state vectors .* would allocate 1677721600 elements; the limit is 134217728"),
    ("shared_unitary width", lambda: shared_unitary(_LINE, torch.zeros(3)), ValueError,
     r"shared_angles \(3\) must hold every block slot"),
    ("register_executor object", lambda: register_executor(object()), TypeError,
     "executor must implement qmem.circuits.executors.Executor"),
    ("register_executor auto", lambda: register_executor(_named("auto")), ValueError,
     "executor name must be a non-empty str other than 'auto'"),
    ("register_executor taken", lambda: register_executor(_named("bloch")), ValueError,
     "an executor named 'bloch' is already registered"),
    ("executor_names kind", lambda: executor_names("kan"), ValueError,
     "kind must be one of 'daruan', 'vqc', got 'kan'"),
    ("register_ansatz type", lambda: register_ansatz("pz"), TypeError,
     "ansatz must be an AnsatzDef, got str"),
    ("AnsatzDef two data", lambda: AnsatzDef("two", (("RZ", "data"), ("RY", "data"))),
     ValueError, "a layer needs exactly one 'data' and at least one 'theta' rotation"),
    ("AnsatzDef gate", lambda: AnsatzDef("cx", (("CNOT", None), ("RZ", "data"))), ValueError,
     "gate 'CNOT' is no 1-qubit gate"),
    ("fourier_coefficients ansatz", lambda: fourier_coefficients(_theta(), "nope"), ValueError,
     "unknown ansatz 'nope'"),
    # ------------------------------------------------------------------ QKANLayer
    ("QKAN truthy string", lambda: QKANLayer(3, 2, preact_trainable="False"), TypeError,
     "preact_trainable must be a bool \\(True or False\\), got 'False'"),
    ("QKAN int for bool", lambda: QKANLayer(3, 2, postact_bias_trainable=1), TypeError,
     "postact_bias_trainable must be a bool"),
    ("QKAN in_features huge", lambda: QKANLayer(10**9, 2), ValueError,
     r"QKANLayer\(in_features, out_features, reps\) would allocate 16000000000 elements"),
    ("QKAN reps huge", lambda: QKANLayer(3, 2, reps=10**9), ValueError,
     r"reps must be an int in \[1, 1024\], got 1000000000"),
    ("QKAN reps bool", lambda: QKANLayer(3, 2, reps=True), TypeError, "reps must be an int"),
    ("QKAN in_features float", lambda: QKANLayer(3.0, 2), TypeError,
     "in_features must be a positive int, got 3.0"),
    ("QKAN out_features zero", lambda: QKANLayer(3, 0), ValueError,
     "out_features must be a positive int, got 0"),
    ("QKAN theta_init", lambda: QKANLayer(3, 2, theta_init="he"), ValueError,
     "theta_init must be one of 'xavier', 'normal', 'zeros', got 'he'"),
    ("QKAN readout", lambda: QKANLayer(3, 2, readout="zz"), ValueError,
     "readout must be one of 'z', 'abs', got 'zz'"),
    ("QKAN option key", lambda: QKANLayer(3, 2, executor="qiskit",
                                          executor_options={"shotz": 10}),
     ValueError, "unknown option 'shotz' for executor 'qiskit' \\(did you mean 'shots'\\?\\)"),
    ("QKAN option key auto", lambda: QKANLayer(3, 2, executor_options={"shotz": 10}),
     ValueError, "unknown option 'shotz' \\(did you mean 'shots'\\? an option of 'pennylane'"),
    ("QKAN option value", lambda: QKANLayer(3, 2, executor="qiskit",
                                            executor_options={"shots": 0}),
     ValueError, "shots must be a positive int, got 0"),
    ("QKAN options list", lambda: QKANLayer(3, 2, executor_options=[("shots", 1)]), TypeError,
     "executor options must be a mapping, got list"),
    ("QKAN option key type", lambda: QKANLayer(3, 2, executor="qiskit",
                                               executor_options={1: 2}),
     TypeError, "executor option names must be str, got 1"),
    ("QKAN dtype int", lambda: QKANLayer(3, 2, dtype=torch.int64), TypeError,
     "dtype must be a floating-point torch.dtype"),
    ("QKAN dtype str", lambda: QKANLayer(3, 2, dtype="float64"), TypeError,
     "dtype must be a floating-point torch.dtype .*got 'float64'"),
    ("QKAN device", lambda: QKANLayer(3, 2, device="gpu"), ValueError,
     "device must name a torch device such as 'cpu'"),
    ("QKAN seed and generator", lambda: QKANLayer(3, 2, seed=1,
                                                  generator=torch.Generator()),
     ValueError, "not both"),
    ("QKAN seed negative", lambda: QKANLayer(3, 2, seed=-1), ValueError, "seed"),
    ("QKAN executor assign", lambda: setattr(_qkan(), "executor", 3), TypeError,
     "executor must be a str, got 3"),
    ("QKAN options property", lambda: setattr(_qkan(executor="qiskit"), "executor_options",
                                              {"shotz": 1}),
     ValueError, "unknown option 'shotz' for executor 'qiskit' \\(did you mean 'shots'\\?\\)"),
    ("set_auto_rule type", lambda: set_auto_rule("daruan", 3), TypeError,
     "rule must be callable or None, got int"),
    ("set_auto_rule kind", lambda: set_auto_rule("kan", None), ValueError,
     "kind must be one of 'daruan', 'vqc', got 'kan'"),
    ("QKAN set_executor option", lambda: _qkan().set_executor("pennylane", devise="x"),
     ValueError, "unknown option 'devise' for executor 'pennylane' \\(did you mean 'device'"),
    ("QKAN refined reps str", lambda: _qkan().refined("5"), TypeError, "reps must be an int"),
    ("QKAN refined huge", lambda: _qkan().refined(10**6), ValueError,
     r"reps must be an int in \[1, 1024\]"),
    ("QKAN input list", lambda: _qkan()([[0.0, 0.0, 0.0]]), TypeError,
     "input must be a torch.Tensor, got list"),
    ("QKAN input int", lambda: _qkan()(torch.zeros(2, 3, dtype=torch.long)), TypeError,
     "input must be floating point, got dtype torch.int64"),
    ("QKAN input complex", lambda: _qkan()(torch.zeros(2, 3, dtype=torch.complex128)),
     TypeError, "input must be floating point, got dtype torch.complex128"),
    ("QKAN input dtype", lambda: QKANLayer(3, 2, dtype=torch.float32)(torch.zeros(2, 3,
                                                                                 dtype=F64)),
     TypeError, "input dtype torch.float64 does not match the layer's parameter dtype "
     "torch.float32"),
    ("QKAN input half", lambda: _qkan()(torch.zeros(2, 3, dtype=torch.float16)), TypeError,
     "input dtype torch.float16 does not match the layer's parameter dtype torch.float64"),
    ("QKAN input width", lambda: _qkan()(torch.zeros(2, 4, dtype=F64)), ValueError,
     r"input must have shape \(\.\.\., 3\), got \(2, 4\)"),
    ("QKAN input scalar", lambda: _qkan()(torch.tensor(1.0, dtype=F64)), ValueError,
     r"input must have shape \(\.\.\., 3\), got \(\)"),
    ("QKAN input nan", lambda: _qkan()(torch.tensor([[0.0, NAN, 0.0]], dtype=F64)),
     ValueError, "input holds non-finite values"),
    ("QKAN theta nan", lambda: _with(_qkan(), "theta", NAN)(torch.zeros(2, 3, dtype=F64)),
     ValueError, "parameter 'theta' of the QKAN layer holds non-finite values"),
    ("QKAN base weight inf", lambda: _with(_qkan(), "base_weight", INF)(torch.zeros(2, 3,
                                                                                   dtype=F64)),
     ValueError, "parameter 'base_weight' of the QKAN layer holds non-finite values"),
    ("QKAN preact nan bloch", lambda: _with(_qkan(preact_trainable=True), "preact_bias", NAN)(
        torch.zeros(2, 3, dtype=F64)),
     ValueError, "parameter 'preact_bias' of the QKAN layer"),
    ("QKAN fourier with preact", lambda: _qkan(preact_trainable=True, executor="fourier")(
        torch.zeros(2, 3, dtype=F64)),
     ValueError, "executor 'fourier' needs fixed integer-frequency encoding.*use 'bloch'"),
    # ------------------------------------------------------------------ vqc() and VQCLayer
    ("vqc x list", lambda: vqc([[0.0] * 4], _w()), TypeError,
     "x and weights must be torch.Tensors, got list and Tensor"),
    ("vqc x scalar", lambda: vqc(torch.tensor(0.0, dtype=F64), _w()), ValueError,
     r"x must be \(\.\.\., n_qubits\)"),
    ("vqc x int", lambda: vqc(torch.zeros(2, 4, dtype=torch.long), _w()), TypeError,
     "x must be a real floating-point torch.Tensor"),
    ("vqc weights shape", lambda: vqc(_xv(), torch.zeros(2, 4, 2, dtype=F64)), ValueError,
     r"weights must have shape \(2, 4, 3\)"),
    ("vqc nan x", lambda: vqc(torch.full((1, 4), NAN, dtype=F64), _w()), ValueError,
     "x holds non-finite values"),
    ("vqc inf weights", lambda: vqc(_xv(), torch.full((2, 4, 3), INF, dtype=F64)), ValueError,
     "weights holds non-finite values"),
    ("vqc family", lambda: vqc(_xv(), _w(), family="chen2021"), ValueError,
     "unknown VQC family 'chen2021'"),
    ("vqc family type", lambda: vqc(_xv(), _w(), family=3), TypeError,
     "family must be one of .*got int"),
    ("vqc n_outputs", lambda: vqc(_xv(), _w(), n_outputs=5), ValueError,
     r"n_outputs must be in 1\.\.4"),
    ("vqc n_outputs bool", lambda: vqc(_xv(), _w(), n_outputs=True), TypeError,
     "n_outputs must be an int"),
    ("vqc option key", lambda: vqc(_xv(), _w(), executor="qiskit", shotz=1), ValueError,
     "unknown option 'shotz' for executor 'qiskit' \\(did you mean 'shots'\\?\\)"),
    ("vqc chunk size", lambda: vqc(_xv(), _w(), executor="qiskit", chunk_size=0), ValueError,
     "chunk_size must be a positive int, got 0"),
    ("vqc threads", lambda: vqc(_xv(), _w(), executor="qiskit", max_parallel_threads=-1),
     ValueError, "max_parallel_threads must be an int >= 0, got -1"),
    ("VQCSpec qubits huge", lambda: VQCSpec(n_qubits=10**6), ValueError,
     "option 'n_qubits' must be less than or equal to 24, got 1000000"),
    ("VQCSpec layers huge", lambda: VQCSpec(n_layers=10**9), ValueError,
     "option 'n_layers' must be less than or equal to 1048576"),
    ("VQCSpec gates huge", lambda: VQCSpec(n_qubits=20, n_layers=10**5), ValueError,
     "the circuit would have 8000060 gates .*MAX_GATES = 1048576"),
    ("VQCSpec distances", lambda: VQCSpec(ring_distances=(1,) * 100), ValueError,
     "option 'ring_distances' must have at most 24 items"),
    ("VQCSpec qubits str", lambda: VQCSpec(n_qubits="4"), TypeError,
     "option 'n_qubits' must be a valid integer"),
    ("VQCSpec hadamard str", lambda: VQCSpec(hadamard="False"), TypeError,
     "option 'hadamard' must be a valid boolean"),
    ("VQCSpec key", lambda: VQCSpec.from_dict({"n_qbits": 3}), ValueError,
     "unknown option 'n_qbits' \\(did you mean 'n_qubits'\\?\\)"),
    ("resolve_spec contradiction", lambda: resolve_spec(chen2020_spec(4, 2), n_layers=3),
     ValueError, "n_layers=3 contradicts the spec's n_layers=2"),
    ("VQCLayer qubits huge", lambda: VQCLayer(10**6), ValueError,
     "option 'n_qubits' must be less than or equal to 24"),
    ("VQCLayer qubits str", lambda: VQCLayer("4"), TypeError, "n_qubits must be an int"),
    ("VQCLayer dtype", lambda: VQCLayer(4, 2, dtype=torch.int32), TypeError,
     "dtype must be a floating-point torch.dtype"),
    ("VQCLayer device", lambda: VQCLayer(4, 2, device="cuda:7"), ValueError,
     "device 'cuda:7' is not available|device must name"),
    ("VQCLayer option value", lambda: VQCLayer(4, 2, executor_options={"method": "fast"}),
     ValueError, "method must be one of 'auto', 'dense', 'gates', got 'fast'"),
    ("VQCLayer option key", lambda: VQCLayer(4, 2, executor="qiskit",
                                             executor_options={"shotz": 10}),
     ValueError, "did you mean 'shots'"),
    ("VQCLayer input dtype", lambda: VQCLayer(4, 2, seed=0)(torch.zeros(2, 4, dtype=F64)),
     TypeError, "input dtype torch.float64 does not match the layer's parameter dtype "
     "torch.float32"),
    ("VQCLayer input int", lambda: VQCLayer(4, 2, seed=0)(torch.zeros(2, 4, dtype=torch.int32)),
     TypeError, "input must be floating point, got dtype torch.int32"),
    ("VQCLayer input width", lambda: VQCLayer(4, 2, seed=0)(torch.zeros(2, 3)), ValueError,
     r"input must have shape \(\.\.\., 4\), got \(2, 3\)"),
    ("VQCLayer input nan", lambda: VQCLayer(4, 2, seed=0)(torch.full((1, 4), NAN)), ValueError,
     "input holds non-finite values"),
    ("VQCLayer weights nan", lambda: _with(VQCLayer(4, 2, seed=0), "weights", NAN)(
        torch.zeros(1, 4)),
     ValueError, "parameter 'weights' of the VQC layer holds non-finite values"),
]


def _with_t(t: torch.Tensor, value: float) -> torch.Tensor:
    t = t.clone()
    t.view(-1)[0] = value
    return t


def _wide(n: int) -> Circuit:
    return Circuit(n, tuple(Op("RY", (w,), w) for w in range(n)), tuple(f"a{w}" for w in
                                                                         range(n)), (0,))


def _named(name: str) -> object:
    ex = _NoRun()
    ex.name = name
    ex.run = lambda job, options: None  # type: ignore[attr-defined]
    return ex


@pytest.mark.parametrize(("call", "error", "match"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_call_raises(call: Callable[[], object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------------- valid edge cases

QKAN_EXECUTORS = ["auto", "fourier", "bloch", "statevector", "pennylane", "qiskit"]


@pytest.mark.parametrize("executor", QKAN_EXECUTORS)
@pytest.mark.parametrize("lead", [(0,), (2, 0), (0, 5)])
def test_qkan_empty_batch_gives_an_empty_result(executor: str, lead: tuple[int, ...]) -> None:
    layer = _qkan(executor=executor)
    x = torch.zeros(*lead, 3, dtype=F64, requires_grad=True)
    y = layer(x)
    assert y.shape == (*lead, 2) and y.dtype == F64
    y.sum().backward()  # in the graph: zero gradients, not an error
    assert x.grad.shape == x.shape
    assert float(layer.theta.grad.abs().sum()) == 0.0


@pytest.mark.parametrize("executor", ["auto", "statevector", "pennylane", "qiskit"])
def test_vqc_empty_batch_gives_an_empty_result(executor: str) -> None:
    layer = VQCLayer(4, 2, n_outputs=3, seed=0, dtype=F64, executor=executor)
    x = torch.zeros(0, 4, dtype=F64, requires_grad=True)
    y = layer(x)
    assert y.shape == (0, 3)
    y.sum().backward()
    assert float(layer.weights.grad.abs().sum()) == 0.0


@pytest.mark.parametrize("executor", ["fourier", "bloch", "statevector", "pennylane", "qiskit"])
def test_daruan_empty_batch(executor: str) -> None:
    out = daruan(torch.zeros(0, 1, dtype=F64), _theta(lead=(3,)), executor=executor)
    assert out.shape == (0, 3)


@pytest.mark.parametrize("executor", ["auto", "fourier", "bloch"])
@pytest.mark.parametrize("reps", [5, 6])
def test_first_call_under_inference_mode_then_training(executor: str, reps: int) -> None:
    # the module-level caches (sample grid, DFT, harmonics, column index) must not keep
    # inference tensors: a fresh reps value, first met under inference mode
    layer = QKANLayer(3, 2, reps=reps + 40 * (executor == "bloch"), seed=1, executor=executor)
    with torch.inference_mode():
        first = layer(torch.randn(4, 3, generator=torch.Generator().manual_seed(0)))
    assert first.is_inference()
    other = QKANLayer(3, 2, reps=layer.reps, seed=2, executor=executor)
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    for module in (layer, other):
        module(x).square().sum().backward()
        assert module.theta.grad is not None and bool(torch.isfinite(module.theta.grad).all())
    with torch.no_grad():
        torch.testing.assert_close(layer(x), first.clone(), rtol=0, atol=0)


def test_vqc_first_call_under_inference_mode_then_training() -> None:
    spec = chen2020_spec(5, 3)
    with torch.inference_mode():
        VQCLayer(family=spec, seed=0)(torch.randn(3, 5))
    layer = VQCLayer(family=spec, seed=1)
    x = torch.randn(3, 5, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad is not None and layer.weights.grad is not None


def test_qkan_prepared_in_inference_mode_serves_training_calls_fresh_weights() -> None:
    layer = _qkan()
    x = torch.randn(4, 3, dtype=F64, generator=torch.Generator().manual_seed(3))
    with torch.inference_mode():
        layer.prepare()
    y = layer(x)  # grad mode while prepared in inference mode: weights built for this call
    y.sum().backward()
    layer.release()
    assert layer.theta.grad is not None
    torch.testing.assert_close(y.detach(), _qkan(executor="bloch")(x).detach(), atol=1e-12,
                               rtol=0)


def test_qkan_no_grad_weights_follow_every_parameter_change() -> None:
    layer = _qkan(postact_weight_trainable=True, postact_bias_trainable=True)
    ref = _qkan(postact_weight_trainable=True, postact_bias_trainable=True, executor="bloch")
    x = torch.randn(5, 3, dtype=F64, generator=torch.Generator().manual_seed(4))
    changes: list[Callable[[], object]] = [
        lambda: layer.theta.add_(0.1),  # in place (an optimiser step)
        lambda: layer.postact_weight.mul_(2.0),
        lambda: layer.postact_bias.sub_(0.3),
        lambda: layer.load_state_dict(_qkan(postact_weight_trainable=True,
                                            postact_bias_trainable=True).state_dict()),
        lambda: setattr(layer, "theta", torch.nn.Parameter(layer.theta.detach() * 0.5)),
    ]
    for change in [lambda: None, *changes]:
        with torch.no_grad():
            change()
            ref.load_state_dict(layer.state_dict())
            for _ in range(3):  # the 2nd and 3rd calls reuse the weights
                torch.testing.assert_close(layer(x), ref(x), atol=1e-12, rtol=0)
    with torch.inference_mode():  # another mode: its own weights, same numbers
        torch.testing.assert_close(layer(x), ref(x), atol=1e-12, rtol=0)


def test_qkan_streaming_inference_does_no_circuit_work() -> None:
    # auto, no grad, unchanged parameters: from the second call on, the same weight tensors
    # serve every call (the first runs Bloch and records the state, the second builds them)
    layer = QKANLayer(4, 3, reps=3, seed=0, dtype=F64)
    ref = QKANLayer(4, 3, reps=3, seed=0, dtype=F64, executor="bloch")
    xs = torch.randn(6, 1, 4, dtype=F64, generator=torch.Generator().manual_seed(6))
    seen = []
    with torch.no_grad():
        for x in xs:
            torch.testing.assert_close(layer(x), ref(x), atol=1e-12, rtol=0)
            seen.append(None if layer._quiet is None else layer._quiet[2])
    assert seen[0] is None and seen[1] is not None
    assert all(w is seen[1] for w in seen[2:])
    assert layer._fourier_weights() is not seen[1]  # grad mode: built afresh, in autograd


def test_qkan_layer_moved_to_another_dtype_recomputes() -> None:
    layer = QKANLayer(3, 2, reps=2, seed=0)
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        layer(x)
        layer(x)
        layer.double()
        y = layer(x.double())
        ref = QKANLayer(3, 2, reps=2, dtype=F64, executor="bloch")
        ref.load_state_dict(layer.state_dict())
        want = ref(x.double())
    assert y.dtype == F64
    torch.testing.assert_close(y, want, atol=1e-12, rtol=0)


def test_max_reps_layer_is_valid() -> None:
    # the largest allowed reps runs (the DFT is (2r+1)^2 = 4.2M entries, built once)
    theta = torch.zeros(1, 1025, 2, dtype=F64)
    assert daruan(torch.zeros(2, 1, dtype=F64), theta, executor="fourier").shape == (2, 1)
    assert math.isclose(QKANLayer.count_formula(1, 1, 1024), 2 * 1025 + 1)
