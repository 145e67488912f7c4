"""Many small models at once: the seeds of one config trained together (``--vectorize``).

The models of a study are tiny and their training is bound by per-op overhead, so five seeds
of one config cost five times one. Here the seeds of one config (runs that differ only in
``[train] seed`` and ``[model] seed``, i.e. in their initial weights and data order) are
trained as one vectorised model: their parameters are stacked
(:func:`torch.func.stack_module_state`) and the forward pass runs once for all of them under
:func:`torch.func.vmap` (each seed on its own batch of windows: the per-seed index batches are
gathered from the shared training tensors). Each seed's loss, gradient, optimiser step (Adam,
RMSprop and SGD are elementwise, so one optimiser on the stacked parameters equals one per
seed), gradient clipping (per seed), learning-rate schedule and early stopping are those of
its separate run, and each seed writes its own run folder as if run alone: the same
``checkpoint.pt`` after every epoch (a vectorised run can be resumed separately and back), the
same ``metrics.jsonl``; ``result.json``, ``predictions.csv`` and ``model.pt`` are then written by
:func:`qmem.experiments.run.run_experiment` itself from the last checkpoint. ``timings.jsonl``
records the group's epoch time divided by the number of seeds trained together
(``"vectorized": S``). The seeds' files of an epoch are written by a few threads while the next
epoch trains (each seed's in order: checkpoint, then its ``metrics.jsonl`` line); everything is
written before the call returns or raises.

Refused (``ValueError``): ``optimizer = "lbfgs"`` (its line search couples the seeds through
one shared step length). A model whose forward pass ``vmap`` cannot run is trained seed by
seed instead (the outcome says so): results are the same either way.

Recurrent models run their reference loop (``RecurrentModel.reference_encode``, not the
sequence engine) under vmap, window models their map on the flattened window, both with their
gate maps prepared (``qmem.classical.prepare.prepared``) and without the input checks (those
branch on values, which vmap cannot; the training windows are checked once, before the loop).

>>> from qmem.experiments.config import ExperimentConfig
>>> cfgs = [ExperimentConfig.from_dict({"data": {"name": "sine", "num": 60},
...     "model": {"name": "lstm", "hidden_size": 2}, "train": {"epochs": 1, "seed": s}})
...     for s in (0, 1, 2)]
>>> [len(g) for g in vector_groups(cfgs)]
[3]
>>> check_vectorizable(cfgs[0])  # adam: fine
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> outcomes = train_vectorized(cfgs, [root / str(c.train.seed) for c in cfgs])
>>> [o["state"] for o in outcomes], "note" in outcomes[0]  # trained together
(['done', 'done', 'done'], False)
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .config import ExperimentConfig, TrainSection
from .files import (
    atomic_save_torch,
    atomic_write_json,
    atomic_write_text,
    environment,
    json_safe,
    load_torch,
    read_json,
)
from .run import (
    CHECKPOINT_FORMAT,
    RunStateError,
    load_run_config,
    run_experiment,
    run_id,
    run_status,
)
from .toml_io import dumps
from .trainer import (
    EVAL_CHUNK,
    build_model,
    make_optimizer,
    make_scheduler,
    prepare_data,
    resolve_device,
    resolve_dtype,
    resolve_hidden_size,
)
from .weights import check_model_spec, spec_of

__all__ = ["check_vectorizable", "seedless_key", "train_vectorized", "vector_groups"]


def seedless_key(cfg: ExperimentConfig) -> str:
    """The resolved config without its seeds: runs with equal keys can be trained together.

    >>> from qmem.experiments.config import ExperimentConfig
    >>> a, b = (ExperimentConfig.from_dict({"data": {"name": "sine"}, "model": {"name": "gru",
    ...     "hidden_size": 2}, "train": {"seed": s}}) for s in (0, 5))
    >>> seedless_key(a) == seedless_key(b)
    True
    """
    nested = cfg.to_nested()
    nested["train"].pop("seed", None)
    nested["model"].pop("seed", None)
    nested.pop("name", None)
    return json.dumps(nested, sort_keys=True)


def check_vectorizable(cfg: ExperimentConfig) -> None:
    """Refuse a config whose seeds cannot be trained together with separate-run results.

    Raises:
        ValueError: ``optimizer = "lbfgs"`` (its line search couples the seeds).
    """
    if cfg.train.optimizer == "lbfgs":
        raise ValueError(
            f"--vectorize cannot train {cfg.title!r} (optimizer 'lbfgs'): its line search "
            "takes one step length for all seeds trained together, so they would not equal "
            "their separate runs; run without --vectorize or use adam, rmsprop or sgd"
        )


def vector_groups(configs: Sequence[ExperimentConfig]) -> list[list[ExperimentConfig]]:
    """The configs grouped by :func:`seedless_key`, in first-seen order (run ids unique).

    Raises:
        ValueError: a config cannot be vectorised (:func:`check_vectorizable`).
    """
    groups: dict[str, list[ExperimentConfig]] = {}
    seen: set[str] = set()
    for cfg in configs:
        check_vectorizable(cfg)
        rid = run_id(cfg)
        if rid in seen:
            continue
        seen.add(rid)
        groups.setdefault(seedless_key(cfg), []).append(cfg)
    return list(groups.values())


class _Forecaster(nn.Module):
    """``x (B, T, F) -> y[:, -1] (B, O)`` of a model, without its value checks."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from ..classical import RecurrentModel
        from ..classical.prepare import prepared
        from ..classical.window import WindowModel

        m = self.model
        if isinstance(m, RecurrentModel):
            state = m.init_state(x.shape[0], device=x.device, dtype=x.dtype)
            feats, _ = m.reference_encode(x, state)  # (B, T, F): the plain autograd loop
            return m.head(feats[:, -1])  # (B, O)
        if isinstance(m, WindowModel):
            flat = x.reshape(x.shape[0], m.window * m.input_size)  # (B, T·I)
            with prepared(m.net):  # as in the recurrent loop: maps skip their input checks
                return m.net(flat)  # (B, O)
        y, _ = m(x)  # (B, T, O)
        return y[:, -1]


def _write_lines(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write_text(path, "".join(json.dumps(json_safe(r), allow_nan=False) + "\n"
                                    for r in rows))


def _append_line(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(json_safe(row), allow_nan=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _status(folder: Path, state: str, **extra: Any) -> None:
    atomic_write_json(folder / "status.json", {"state": state, **extra})


def _outcome(cfg: ExperimentConfig, state: str, *, error: str | None = None,
             result: dict[str, Any] | None = None, note: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"run_id": run_id(cfg), "state": state, "error": error,
                           "result": result}
    if note is not None:
        out["note"] = note
    return out


def _checkpoint_of(cfg: ExperimentConfig, folder: Path) -> dict[str, Any] | None:
    """The folder's checkpoint (None: none yet). Raises RunStateError for another config."""
    path = folder / "checkpoint.pt"
    if not path.is_file():
        return None
    ckpt = load_torch(path)
    if ckpt.get("format") != CHECKPOINT_FORMAT or ckpt.get("config") != cfg.to_nested():
        raise RunStateError(f"checkpoint {str(path)!r} belongs to another config or format")
    return ckpt


def train_vectorized(
    configs: Sequence[ExperimentConfig],
    folders: Sequence[str | Path],
    *,
    sync_every_batch: bool | None = None,
) -> list[dict[str, Any]]:
    """Train runs that differ only in their seeds together; each into its own run folder.

    Finished runs are left as they are; unfinished ones continue from their checkpoints
    (seeds at different epochs are trained in one group per epoch).

    Args:
        configs: experiment configs, equal but for ``[train] seed`` / ``[model] seed``.
        folders: one run folder per config.
        sync_every_batch: read the batch losses (the non-finite check) after every batch,
            or once per epoch (no CPU round trip per batch; a run that diverges fails with
            the same message and files); None: every batch on CPU, once per epoch on an
            accelerator.

    Returns:
        One outcome per config, in order: ``{"run_id", "state": "done" | "failed",
        "error", "result"}`` (plus ``"note"`` where the seeds were trained one by one).

    Raises:
        ValueError: the configs differ in more than their seeds, the lengths differ, or a
            config cannot be vectorised.
        KeyboardInterrupt: interrupted (the runs are marked ``interrupted``; resume later).
    """
    cfgs = list(configs)
    paths = [Path(f) for f in folders]
    if len(cfgs) != len(paths):
        raise ValueError(f"got {len(cfgs)} configs but {len(paths)} folders")
    if not cfgs:
        return []
    for cfg in cfgs:
        if not isinstance(cfg, ExperimentConfig):
            raise TypeError(f"configs must be ExperimentConfig, got {type(cfg).__name__}")
        check_vectorizable(cfg)
    if len({seedless_key(c) for c in cfgs}) != 1:
        raise ValueError("--vectorize trains together only runs that differ in their seeds; "
                         "these configs differ in more")
    outcomes: list[dict[str, Any] | None] = [None] * len(cfgs)
    by_epoch: dict[int, list[int]] = {}
    for i, (cfg, folder) in enumerate(zip(cfgs, paths, strict=True)):
        state = (run_status(folder) or {}).get("state")
        if state == "done" and (folder / "result.json").is_file():
            outcomes[i] = _outcome(cfg, "done", result=read_json(folder / "result.json"))
            continue
        try:
            if (folder / "config.toml").is_file() and \
                    load_run_config(folder).to_nested() != cfg.to_nested():
                raise RunStateError(
                    f"cannot resume {str(folder)!r}: its config.toml differs from the config "
                    "given"
                )
            ckpt = _checkpoint_of(cfg, folder)
        except (RunStateError, ValueError) as err:
            outcomes[i] = _outcome(cfg, "failed", error=f"{type(err).__name__}: {err}")
            continue
        by_epoch.setdefault(0 if ckpt is None else int(ckpt["epoch"]), []).append(i)
    for members in by_epoch.values():
        if len(members) == 1:
            outcomes[members[0]] = _separate(cfgs[members[0]], paths[members[0]])
            continue
        got = _Group([cfgs[i] for i in members], [paths[i] for i in members],
                     sync_every_batch).run()
        for i, out in zip(members, got, strict=True):
            outcomes[i] = out
    return [o for o in outcomes if o is not None]


def _separate(cfg: ExperimentConfig, folder: Path, note: str | None = None) -> dict[str, Any]:
    try:
        result = run_experiment(cfg, folder, resume=True, progress=False)
    except KeyboardInterrupt:
        raise
    except Exception as err:
        return _outcome(cfg, "failed", error=f"{type(err).__name__}: {err}", note=note)
    return _outcome(cfg, "done", result=result, note=note)


class _Group:
    """One vectorised training of seeds that start at the same epoch."""

    def __init__(self, cfgs: list[ExperimentConfig], folders: list[Path],
                 sync_every_batch: bool | None = None) -> None:
        self.cfgs, self.folders = cfgs, folders
        self.train: TrainSection = cfgs[0].train
        self.sync = sync_every_batch

    def run(self) -> list[dict[str, Any]]:
        train = self.train
        threads_before = torch.get_num_threads()
        if train.threads is not None:
            torch.set_num_threads(train.threads)
        self.failed: dict[int, str] = {}
        self._writes: dict[int, Future[None]] = {}
        self._io = ThreadPoolExecutor(max_workers=min(8, len(self.cfgs)),
                                      thread_name_prefix="qmem-vectorize-io")
        try:
            self._setup()
            reason = self._probe()
            if reason is not None:  # vmap cannot run this model: seed by seed, same results
                note = f"trained seed by seed: vmap could not run this model ({reason})"
                return [_separate(c, f, note) for c, f in zip(self.cfgs, self.folders,
                                                              strict=True)]
            self._epochs()
            self._drain()
        except KeyboardInterrupt:
            self._drain(quiet=True)
            for f in self.folders:
                _status(f, "interrupted", error="interrupted by the user (resume with --resume)")
            raise
        except Exception as err:
            self._drain(quiet=True)
            text = f"{type(err).__name__}: {err}"
            for s, f in enumerate(self.folders):
                if s not in self.failed:
                    self.failed[s] = text
                    _status(f, "failed", error=text)
        finally:
            self._io.shutdown(wait=True)
            if train.threads is not None:
                torch.set_num_threads(threads_before)
        out = []
        for s, (cfg, folder) in enumerate(zip(self.cfgs, self.folders, strict=True)):
            if s in self.failed:
                out.append(_outcome(cfg, "failed", error=self.failed[s]))
            else:  # results, predictions and model.pt from the last checkpoint, by run.py
                out.append(_separate(cfg, folder))
        return out

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        from torch.func import stack_module_state

        cfgs, train = self.cfgs, self.train
        self.dtype = resolve_dtype(train.dtype)
        self.device = resolve_device(train.device)
        self.split = prepare_data(cfgs[0], self.dtype, self.device)  # data: seed-independent
        X = self.split.train.X
        if not bool(torch.isfinite(X).all()):  # the models' own check, once for the loop
            raise ValueError("the training windows hold non-finite values (NaN or inf)")
        hidden = resolve_hidden_size(cfgs[0], int(X.shape[-1]),
                                     int(self.split.train.Y.shape[-1]))
        ckpts = [_checkpoint_of(c, f) for c, f in zip(cfgs, self.folders, strict=True)]
        models = [build_model(c, self.split, self.dtype, self.device, hidden_size=hidden)
                  for c in cfgs]
        self.specs = [spec_of(c, int(X.shape[-1]), hidden, int(self.split.train.Y.shape[-1]))
                      for c in cfgs]
        for m, ck, spec, f in zip(models, ckpts, self.specs, self.folders, strict=True):
            if ck is not None:
                where = f"checkpoint {str(Path(f) / 'checkpoint.pt')!r}"
                check_model_spec(ck.get("model_spec", spec), spec, where)
                m.load_state_dict(ck["model"])
        wrapped = [_Forecaster(m) for m in models]
        self.keys = list(models[0].state_dict().keys())
        self.params, self.buffers = stack_module_state(wrapped)  # name -> (S, ...)
        self.base = wrapped[0]  # the module whose forward runs with the stacked tensors
        self.optimizer = make_optimizer(train, self.params.values())
        self.scheduler = make_scheduler(train, self.optimizer)
        self.gens = [torch.Generator().manual_seed(c.train.seed) for c in cfgs]
        self.histories: list[list[dict[str, Any]]] = [[] for _ in cfgs]
        self.best: list[dict[str, Any]] = [{"val_loss": None, "epoch": 0, "state_dict": None}
                                           for _ in cfgs]
        self.start = 0
        if ckpts[0] is not None:
            self._load(ckpts)
        self.stopped = {s for s, h in enumerate(self.histories) if h and h[-1].get("stop")}
        for cfg, folder, hist in zip(cfgs, self.folders, self.histories, strict=True):
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(folder / "config.toml", dumps(cfg.to_nested()))
            _status(folder, "running", vectorized=len(cfgs))
            atomic_write_json(folder / "env.json", environment(self.device, cfg.train.seed))
            _write_lines(folder / "metrics.jsonl", hist)
            _write_lines(folder / "timings.jsonl", [r for r in _read_lines(
                folder / "timings.jsonl") if r["epoch"] <= self.start])

    def _load(self, ckpts: list[dict[str, Any]]) -> None:
        states = [ck["optimizer"] for ck in ckpts]
        stacked: dict[int, dict[str, Any]] = {}
        for i in states[0]["state"]:
            entry = {}
            for k, v in states[0]["state"][i].items():
                if k == "step" or not isinstance(v, torch.Tensor):  # one counter for all
                    entry[k] = v
                else:
                    entry[k] = torch.stack([st["state"][i][k] for st in states])  # (S, ...)
            stacked[i] = entry
        self.optimizer.load_state_dict({"state": stacked,
                                        "param_groups": states[0]["param_groups"]})
        if self.scheduler is not None:
            self.scheduler.load_state_dict(ckpts[0]["scheduler"])
        for g, ck in zip(self.gens, ckpts, strict=True):
            g.set_state(ck["generator"])
        self.histories = [list(ck["history"]) for ck in ckpts]
        self.best = [dict(ck["best"]) for ck in ckpts]
        self.start = int(ckpts[0]["epoch"])

    def _forward(self, x: torch.Tensor, *, shared: bool) -> torch.Tensor:
        """Forecasts of every seed: ``x`` (S, B, T, F), or (B, T, F) with ``shared``
        -> (S, B, O)."""
        from torch.func import functional_call, vmap

        def one(p: dict[str, torch.Tensor], b: dict[str, torch.Tensor],
                xb: torch.Tensor) -> torch.Tensor:
            return functional_call(self.base, (p, b), (xb,))

        return vmap(one, in_dims=(0, 0, None if shared else 0))(self.params, self.buffers, x)

    def _probe(self) -> str | None:
        """None if vmap runs the model (a forward and backward on two windows), else the
        reason (a real error of the model then shows in its separate run)."""
        self.base.eval()  # a look, not a training step
        try:
            pred = self._forward(self.split.train.X[:2], shared=True)  # (S, 2, O)
            pred.sum().backward()
        except Exception as err:
            text = str(err).splitlines()[0] if str(err) else ""
            return f"{type(err).__name__}: {text}"[:200]
        finally:
            self.optimizer.zero_grad(set_to_none=True)
        return None

    # ------------------------------------------------------------------ training
    def _seed_state(self, s: int) -> dict[str, torch.Tensor]:
        """Seed ``s``'s ``state_dict`` (copies, in the model's own key order)."""
        both = {**self.params, **self.buffers}
        return {k: both["model." + k][s].detach().clone() for k in self.keys}

    def _seed_optimizer(self, s: int) -> dict[str, Any]:
        """Seed ``s``'s optimiser ``state_dict``, as its separate optimiser would have it."""

        def part(key: str, value: Any) -> Any:
            if not isinstance(value, torch.Tensor):
                return value
            return value.clone() if key == "step" else value[s].clone()  # (S, ...) -> (...)

        full = self.optimizer.state_dict()
        state = {i: {k: part(k, v) for k, v in entry.items()}
                 for i, entry in full["state"].items()}
        return {"state": state, "param_groups": copy.deepcopy(full["param_groups"])}

    def _clip(self, max_norm: float) -> None:
        """``clip_grad_norm_`` per seed: each seed's global 2-norm over its own gradients."""
        grads = [p.grad for p in self.params.values() if p.grad is not None]
        if not grads:
            return
        n_seeds = grads[0].shape[0]
        norms = torch.stack([torch.linalg.vector_norm(g.reshape(n_seeds, -1), 2, dim=1)
                             for g in grads])  # (P, S)
        total = torch.linalg.vector_norm(norms, 2, dim=0)  # (S,)
        coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)  # (S,)
        for g in grads:
            g.mul_(coef.reshape(n_seeds, *([1] * (g.dim() - 1))))  # (S, 1, ...)

    def _val_losses(self) -> list[float | None]:
        val = self.split.val
        if val.X.shape[0] == 0:
            return [None] * len(self.cfgs)
        self.base.eval()
        with torch.no_grad():
            parts = [self._forward(val.X[i : i + EVAL_CHUNK], shared=True)
                     for i in range(0, val.X.shape[0], EVAL_CHUNK)]
            pred = torch.cat(parts, dim=1)  # (S, N, O)
            mse = ((pred - val.Y.unsqueeze(0)) ** 2).mean(dim=(1, 2))  # (S,)
        return [float(v) for v in mse.cpu()]

    def _epochs(self) -> None:
        train, cfgs = self.train, self.cfgs
        X, Y = self.split.train.X, self.split.train.Y
        n, n_seeds = int(X.shape[0]), len(cfgs)
        defer = (self.device.type != "cpu") if self.sync is None else not self.sync
        epoch = self.start
        while epoch < train.epochs:
            active = [s for s in range(n_seeds) if s not in self.failed and
                      s not in self.stopped]
            if not active:
                break
            epoch += 1
            t0 = time.perf_counter()
            orders = [torch.randperm(n, generator=g) if train.shuffle else torch.arange(n)
                      for g in self.gens]
            order = torch.stack(orders).to(X.device)  # (S, N)
            totals = [0.0] * n_seeds
            pending: list[torch.Tensor] = []
            self.base.train()
            for b, start in enumerate(range(0, n, train.batch_size), start=1):
                idx = order[:, start : start + train.batch_size]  # (S, B)
                xb, yb = X[idx], Y[idx]  # (S, B, T, F), (S, B, H)
                self.optimizer.zero_grad(set_to_none=True)
                pred = self._forward(xb, shared=False)  # (S, B, H)
                losses = ((pred - yb) ** 2).mean(dim=(1, 2))  # (S,): each seed's MSE
                losses.sum().backward()  # seed s's gradient is that of its own loss
                if train.clip_grad_norm is not None:
                    self._clip(train.clip_grad_norm)
                if defer:
                    pending.append(losses.detach())
                else:
                    self._account(losses.detach().tolist(), b, epoch, int(idx.shape[1]),
                                  totals)
                self.optimizer.step()
            if defer:  # the same per-batch check, read once (no CPU round trip per batch)
                rows = torch.stack(pending).cpu().tolist() if pending else []
                for b, values in enumerate(rows, start=1):
                    size = min(train.batch_size, n - (b - 1) * train.batch_size)
                    self._account(values, b, epoch, size, totals)
            self._check_parameters(active, epoch)
            lr = float(self.optimizer.param_groups[0]["lr"])
            if self.scheduler is not None:
                self.scheduler.step()
            seconds = (time.perf_counter() - t0) / max(len(active), 1)
            vals = self._val_losses()
            for s in active:
                if s in self.failed:
                    continue
                if vals[s] is not None and not math.isfinite(vals[s]):
                    self._fail(s, f"NonFiniteLoss: the validation loss is {vals[s]} after "
                                  f"epoch {epoch}")
                    continue
                self._end_epoch(s, epoch, totals[s] / n, vals[s], lr, seconds, len(active))

    def _fail(self, s: int, error: str) -> None:
        self.failed[s] = error
        self._wait(s)
        _status(self.folders[s], "failed", error=error)

    def _wait(self, s: int) -> None:
        """Wait for seed ``s``'s files of the last epoch (raises what the write raised)."""
        pending = self._writes.pop(s, None)
        if pending is not None:
            pending.result()

    def _drain(self, *, quiet: bool = False) -> None:
        """Wait for every write in flight (``quiet``: on the way out of an error)."""
        for s in list(self._writes):
            try:
                self._wait(s)
            except Exception:
                if not quiet:
                    raise

    def _check_parameters(self, active: list[int], epoch: int) -> None:
        """The trainer's end-of-epoch check, per seed: the first non-finite parameter."""
        live = [s for s in active if s not in self.failed]
        if not live:
            return
        names = list(self.params)
        finite = torch.stack([torch.isfinite(p.detach().reshape(p.shape[0], -1)).all(dim=1)
                              for p in self.params.values()]).cpu()  # (P, S)
        for s in live:
            bad = [names[k] for k in range(len(names)) if not bool(finite[k, s])]
            if bad:
                name = bad[0].removeprefix("model.")
                self._fail(s, f"NonFiniteLoss: parameter {name!r} holds NaN or inf after epoch "
                              f"{epoch} (a non-finite gradient); lower [train] lr or set "
                              "clip_grad_norm")

    def _account(self, values: list[float], b: int, epoch: int, size: int,
                 totals: list[float]) -> None:
        """Check each seed's batch loss (as the trainer does) and add it to its total."""
        for s, value in enumerate(values):
            if s in self.failed or s in self.stopped:
                continue
            if not math.isfinite(value):
                self._fail(s, f"NonFiniteLoss: the training loss is {value} at epoch {epoch}, "
                              f"batch {b}; lower [train] lr or set clip_grad_norm")
                continue
            totals[s] += value * size

    def _end_epoch(self, s: int, epoch: int, train_loss: float, val_loss: float | None,
                   lr: float, seconds: float, together: int) -> None:
        train, folder = self.train, self.folders[s]
        row: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss,
                               "lr": lr}
        best = self.best[s]
        if train.patience is not None and val_loss is not None:
            if best["val_loss"] is None or val_loss < best["val_loss"]:
                self.best[s] = {"val_loss": val_loss, "epoch": epoch,
                                "state_dict": self._seed_state(s)}
            elif epoch - int(best["epoch"]) >= train.patience:
                row["stop"] = True
                self.stopped.add(s)
        self.histories[s].append(row)
        checkpoint = {  # a snapshot: training goes on while a thread writes it
            "format": CHECKPOINT_FORMAT,
            "config": self.cfgs[s].to_nested(),
            "model_spec": self.specs[s],
            "epoch": epoch,
            "model": self._seed_state(s),
            "optimizer": self._seed_optimizer(s),
            "scheduler": (copy.deepcopy(self.scheduler.state_dict())
                          if self.scheduler is not None else None),
            "generator": self.gens[s].get_state(),
            "history": list(self.histories[s]),
            "best": dict(self.best[s]),
        }
        timing = {"epoch": epoch, "seconds": seconds, "vectorized": together}
        self._wait(s)  # this seed's files stay in order: epoch after epoch
        self._writes[s] = self._io.submit(_write_epoch, folder, checkpoint, row, timing)


def _write_epoch(folder: Path, checkpoint: dict[str, Any], row: dict[str, Any],
                 timing: dict[str, Any]) -> None:
    """One seed's files of one epoch, in run.py's order: checkpoint, metrics, timings."""
    atomic_save_torch(folder / "checkpoint.pt", checkpoint)
    _append_line(folder / "metrics.jsonl", row)
    _append_line(folder / "timings.jsonl", timing)
