"""Crash safety: a run killed with SIGKILL (mid-epoch, or mid-checkpoint write) and resumed
ends bitwise equal to an uninterrupted run: weights, metrics and metrics.jsonl."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from qmem.experiments import run_experiment
from qmem.experiments.run import run_status

from .helpers import tiny

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

CFG = {"model": "qkan_lstm", "epochs": 5}

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from tests.experiments.helpers import tiny
    from qmem.experiments import files, run

    mode, folder = sys.argv[1], sys.argv[2]
    cfg = tiny({model!r}, epochs={epochs})
    if mode == "batch":  # SIGKILL in the middle of epoch 3, after two batches
        real = run.train_epoch
        def train_epoch(model, opt, X, Y, train, gen, epoch, on_batch=None):
            seen = [0]
            def hook(loss):
                seen[0] += 1
                if epoch == 3 and seen[0] == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(model, opt, X, Y, train, gen, epoch, hook)
        run.train_epoch = train_epoch
    else:  # SIGKILL during the third checkpoint write: temp file written, not renamed
        real_replace = files.os.replace
        count = [0]
        def replace(src, dst):
            if str(dst).endswith("checkpoint.pt"):
                count[0] += 1
                if count[0] == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real_replace(src, dst)
        files.os.replace = replace
    run.run_experiment(cfg, folder, progress=False)
    """
)


def _kill_run(tmp_path, mode):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(root=root, **CFG))
    folder = tmp_path / mode
    proc = subprocess.run([sys.executable, str(script), mode, str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return folder


def _state(folder):
    saved = torch.load(folder / "model.pt", weights_only=True)
    result = json.loads((folder / "result.json").read_text())
    return saved["state_dict"], (folder / "metrics.jsonl").read_bytes(), result


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uninterrupted")
    run_experiment(tiny(CFG["model"], epochs=CFG["epochs"]), folder, progress=False)
    return _state(folder)


@pytest.mark.parametrize("mode", ["batch", "checkpoint"])
def test_sigkill_then_resume_is_bitwise_equal(tmp_path, reference, mode):
    folder = _kill_run(tmp_path, mode)
    assert run_status(folder)["state"] == "running"
    assert not (folder / "result.json").exists()
    lines = (folder / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 2  # epochs 1-2 were checkpointed, epoch 3 was lost
    if mode == "checkpoint":
        leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
        assert leftovers, "the killed write leaves its temp file, never a torn checkpoint"
        assert torch.load(folder / "checkpoint.pt", weights_only=True)["epoch"] == 2
    run_experiment(tiny(CFG["model"], epochs=CFG["epochs"]), folder, resume=True,
                   progress=False)
    weights, metrics_bytes, result = _state(folder)
    ref_weights, ref_metrics, ref_result = reference
    assert weights.keys() == ref_weights.keys()
    for key in weights:
        assert torch.equal(weights[key], ref_weights[key]), key
    assert metrics_bytes == ref_metrics
    assert result["test"] == ref_result["test"]
    assert result["epochs_run"] == CFG["epochs"]
