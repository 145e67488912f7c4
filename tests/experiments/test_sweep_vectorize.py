"""--vectorize: the seeds of one config trained together equal their separate runs (float64,
1e-6): metrics, weights, metrics.jsonl; each writes its own run folder with the same files;
checkpoints pass between the two ways; per-seed clipping, schedules, early stopping and
divergence; LBFGS refused. Also bloch_run's vmap rule, which the QKAN models need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch.func import grad, vmap

from qmem.circuits.emulation import bloch_run
from qmem.experiments import ExperimentConfig, run_experiment
from qmem.experiments.run import RUN_FILES, run_status
from qmem.experiments.vectorize import check_vectorizable, train_vectorized, vector_groups

from . import sweep_plugin

F64 = torch.float64


@pytest.fixture(scope="module", autouse=True)
def crash_model():
    """``crash_once_lstm`` registered for this module only."""
    sweep_plugin.register_model()
    yield
    sweep_plugin.unregister_model()


def cfg(model: str = "lstm", seed: int = 0, **train) -> ExperimentConfig:
    options: dict = {"name": model, "hidden_size": 2}
    if model == "qkan_lstm":
        options["reps"] = 1
    for key in ("marker", "after", "action", "nan_seed"):
        if key in train:
            options[key] = train.pop(key)
    return ExperimentConfig.from_dict({
        "data": {"name": "sine", "num": 80, "window": 4},
        "model": options,
        "train": {"epochs": 2, "batch_size": 8, "device": "cpu", "dtype": "float64",
                  "threads": 1, "seed": seed, **train},
    })


def state(folder: Path):
    weights = torch.load(folder / "model.pt", weights_only=True)["state_dict"]
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return weights, rows, json.loads((folder / "result.json").read_text())


def assert_same(a: Path, b: Path, tol: float = 1e-6) -> None:
    wa, ra, resa = state(a)
    wb, rb, resb = state(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.allclose(wa[k], wb[k], atol=tol, rtol=0), k
    assert [r["epoch"] for r in ra] == [r["epoch"] for r in rb]
    assert [r.get("stop") for r in ra] == [r.get("stop") for r in rb]
    for x, y in zip(ra, rb, strict=True):
        assert abs(x["train_loss"] - y["train_loss"]) < tol
        assert (x["val_loss"] is None) == (y["val_loss"] is None)
        if x["val_loss"] is not None:
            assert abs(x["val_loss"] - y["val_loss"]) < tol
    assert resa.keys() == resb.keys()  # the same result.json, as if run alone
    for part in ("train", "val", "test"):
        for k, v in resa[part].items():
            assert abs(v - resb[part][k]) < tol, (part, k)
    assert resa["params"] == resb["params"] and resa["epochs_run"] == resb["epochs_run"]


def separate_and_vectorised(tmp_path: Path, cfgs: list[ExperimentConfig]):
    sep = [tmp_path / f"sep{i}" for i in range(len(cfgs))]
    for c, f in zip(cfgs, sep, strict=True):
        try:
            run_experiment(c, f, progress=False)
        except Exception:  # a diverging run: compared as a failure below
            pass
    vec = [tmp_path / f"vec{i}" for i in range(len(cfgs))]
    return sep, vec, train_vectorized(cfgs, vec)


@pytest.mark.parametrize("model", ["lstm", "qkan_lstm"])
def test_vectorised_seeds_equal_their_separate_runs(tmp_path, model):
    cfgs = [cfg(model, s) for s in (0, 1, 2)]
    sep, vec, outcomes = separate_and_vectorised(tmp_path, cfgs)
    assert [o["state"] for o in outcomes] == ["done"] * 3
    assert all("note" not in o for o in outcomes), outcomes[0].get("note")  # really vmapped
    for a, b in zip(sep, vec, strict=True):
        assert_same(a, b)
        assert sorted(p.name for p in b.iterdir()) == sorted(p.name for p in a.iterdir())
        assert set(RUN_FILES) <= {p.name for p in b.iterdir()}
        timings = [json.loads(line) for line in (b / "timings.jsonl").read_text().splitlines()]
        assert [t["epoch"] for t in timings] == [1, 2] and {t["vectorized"] for t in timings} == {3}


def test_clipping_schedule_momentum_and_early_stopping_per_seed(tmp_path):
    cfgs = [cfg("gru", s, epochs=6, lr=0.3, optimizer="sgd", momentum=0.9, weight_decay=0.01,
                clip_grad_norm=0.05, schedule="step", step_size=2, patience=1)
            for s in range(4)]
    sep, vec, outcomes = separate_and_vectorised(tmp_path, cfgs)
    assert [o["state"] for o in outcomes] == ["done"] * 4
    for a, b in zip(sep, vec, strict=True):
        assert_same(a, b)
    stops = {len(state(f)[1]) for f in sep}
    assert len(stops) > 1, "the seeds should stop at different epochs for this test to bite"


def test_a_diverging_seed_fails_alone_with_its_separate_error(tmp_path):
    cfgs = [cfg("crash_once_lstm", s, epochs=3, after=10, nan_seed=1) for s in range(3)]
    sep, vec, outcomes = separate_and_vectorised(tmp_path, cfgs)
    states = [(run_status(f) or {}).get("state") for f in sep]
    assert states == ["done", "failed", "done"]
    for a, b, o, st in zip(sep, vec, outcomes, states, strict=True):
        assert o["state"] == st
        if st == "failed":
            assert o["error"] == run_status(a)["error"] == run_status(b)["error"]
            assert "NonFiniteLoss" in o["error"] and "epoch 2, batch 3" in o["error"]
            assert (a / "metrics.jsonl").read_text().count("\n") == \
                (b / "metrics.jsonl").read_text().count("\n")
        else:
            assert_same(a, b)


def test_per_epoch_loss_reads_give_the_same_runs(tmp_path):
    cfgs = [cfg("lstm", s) for s in (0, 1)]
    a = train_vectorized(cfgs, [tmp_path / "a0", tmp_path / "a1"], sync_every_batch=True)
    b = train_vectorized(cfgs, [tmp_path / "b0", tmp_path / "b1"], sync_every_batch=False)
    assert [o["state"] for o in a + b] == ["done"] * 4
    for i in (0, 1):
        assert (tmp_path / f"a{i}" / "metrics.jsonl").read_bytes() == \
            (tmp_path / f"b{i}" / "metrics.jsonl").read_bytes()


def test_interrupted_vectorised_runs_resume_separately_or_together(tmp_path):
    marker = tmp_path / "marker"
    cfgs = [cfg("crash_once_lstm", s, epochs=3, marker=str(marker), after=10,
                action="interrupt") for s in (0, 1, 2)]
    vec = [tmp_path / f"vec{i}" for i in range(3)]
    with pytest.raises(KeyboardInterrupt):  # at batch 3 of epoch 2
        train_vectorized(cfgs, vec)
    assert marker.is_file()
    for f in vec:
        assert run_status(f)["state"] == "interrupted"
        assert torch.load(f / "checkpoint.pt", weights_only=True)["epoch"] == 1
    refs = [tmp_path / f"ref{i}" for i in range(3)]
    for c, f in zip(cfgs, refs, strict=True):  # the marker exists now: no interruption
        run_experiment(c, f, progress=False)
    run_experiment(cfgs[0], vec[0], resume=True, progress=False)  # one seed alone
    outcomes = train_vectorized(cfgs, vec)  # the two others together; seed 0 is skipped
    assert [o["state"] for o in outcomes] == ["done"] * 3
    for a, b in zip(refs, vec, strict=True):
        assert_same(a, b)


def test_lbfgs_is_refused_and_groups_are_the_seeds_of_one_setup():
    with pytest.raises(ValueError, match=r"--vectorize.*'lbfgs'.*without --vectorize"):
        check_vectorizable(cfg("lstm", optimizer="lbfgs"))
    with pytest.raises(ValueError, match="lbfgs"):
        vector_groups([cfg("lstm", 0, optimizer="lbfgs"), cfg("lstm", 1, optimizer="lbfgs")])
    groups = vector_groups([cfg("lstm", 0), cfg("gru", 0), cfg("lstm", 1), cfg("lstm", 1),
                            cfg("lstm", 2, lr=0.1)])
    assert [[c.train.seed for c in g] for g in groups] == [[0, 1], [0], [2]]
    with pytest.raises(ValueError, match="differ in more"):
        train_vectorized([cfg("lstm", 0), cfg("gru", 1)], ["a", "b"])


# --------------------------------------------------------------------------- bloch under vmap
GATES = (("rz", "f", 0), ("x", None, 0), ("ry", "d", 0), ("rz", "d", 1), ("ry", "f", 1))


@pytest.mark.parametrize("keep", [True, False])
def test_bloch_run_under_vmap_equals_a_loop_values_and_gradients(keep, gen):
    f = torch.rand(5, 2, 4, dtype=F64, generator=gen, requires_grad=True)  # (S, n_fixed, 4)
    d = torch.rand(2, 3, 1, dtype=F64, generator=gen, requires_grad=True)  # not vmapped
    x = torch.rand(4, 5, dtype=F64, generator=gen, requires_grad=True)  # vmapped on dim 1
    out = vmap(lambda f, x: bloch_run(GATES, f, d, x, keep_states=keep),
               in_dims=(0, 1))(f, x)  # (S, 3, 4)
    ref = torch.stack([bloch_run(GATES, f[i], d, x[:, i], keep_states=keep) for i in range(5)])
    assert out.shape == ref.shape == (5, 3, 4)
    assert torch.allclose(out, ref, atol=1e-14, rtol=0)
    w = torch.rand(out.shape, dtype=F64, generator=gen)
    ga = torch.autograd.grad((out * w).sum(), (f, d, x))
    gb = torch.autograd.grad((ref * w).sum(), (f, d, x))
    for a, b in zip(ga, gb, strict=True):
        assert torch.allclose(a, b, atol=1e-13, rtol=0)


def test_bloch_run_refuses_functorch_grad(gen):
    f = torch.rand(3, 2, 4, dtype=F64, generator=gen)
    with pytest.raises(RuntimeError, match=r"torch.func.grad"):
        vmap(grad(lambda f: bloch_run(GATES[:1] + GATES[-1:], f).sum()))(f)
