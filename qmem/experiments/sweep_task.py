"""One unit of a sweep's work, as a worker process runs it: a run, or a vectorised group.

A :class:`Task` holds resolved configs (plain nested dicts: cheap to send to another process
or machine) and their run ids. :func:`run_task` runs it into ``RUNS_DIR/<run id>/`` through
:func:`qmem.experiments.run.run_experiment` (``resume=True``: a finished run is left as it is,
an unfinished one continues from its checkpoint) or, for a vectorised group,
:func:`qmem.experiments.vectorize.train_vectorized`. Every run gets an outcome
(``{"run_id", "state": "done" | "failed" | "interrupted", "error", "result"}``); an exception
in one run fails that run only.

For executors without a shared file system (Ray), :func:`pack_runs` / :func:`unpack_runs` carry
run folders as bytes, and :func:`run_shipped` runs a task in a temporary folder filled from them.

>>> import tempfile
>>> task = Task.of([{"data": {"name": "sine", "num": 60}, "model": {"name": "lstm",
...                  "hidden_size": 2}, "train": {"epochs": 1, "device": "cpu"}}])
>>> task.run_ids == (task.key,), task.vectorize
(True, False)
>>> runs = tempfile.mkdtemp()
>>> [o["state"] for o in run_task(task, runs)]
['done']
>>> packed = pack_runs(runs, task.run_ids)
>>> "result.json" in packed[task.key]
True
>>> other = tempfile.mkdtemp()
>>> unpack_runs(other, packed)
>>> outcomes, files = run_shipped(task, pack_runs(other, task.run_ids))  # finished: skipped
>>> outcomes[0]["state"], sorted(files) == [task.key]
('done', True)
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import ExperimentConfig
from .files import atomic_write_bytes

__all__ = ["Task", "pack_runs", "run_shipped", "run_task", "unpack_runs"]

MAX_SHIPPED_BYTES = 256 * 1024 * 1024
"""A run folder larger than this is not carried between machines (refused)."""


@dataclass(frozen=True)
class Task:
    """Runs to do in one worker: one run, or the seeds of one config trained together.

    Attributes:
        configs: resolved configs (``ExperimentConfig.to_nested()``), one per run.
        run_ids: their run ids (the run folders' names).
        runs_dir: the folder of the run folders (the sweep's ``runs``), as the sweep sees
            it (executors that ship run folders write there themselves).
        vectorize: train them together (:mod:`qmem.experiments.vectorize`).
        threads: torch threads for the task (a config's own ``threads`` wins).
    """

    configs: tuple[dict[str, Any], ...]
    run_ids: tuple[str, ...]
    runs_dir: str = "runs"
    vectorize: bool = False
    threads: int = 1

    @property
    def key(self) -> str:
        """The task's name: its first run id."""
        return self.run_ids[0]

    @classmethod
    def of(cls, configs: Sequence[ExperimentConfig | Mapping[str, Any]], *,
           runs_dir: str | Path = "runs", vectorize: bool = False, threads: int = 1) -> Task:
        """A task from configs (``ExperimentConfig`` or nested dicts)."""
        from .run import run_id

        cfgs = [c if isinstance(c, ExperimentConfig) else ExperimentConfig.from_dict(c)
                for c in configs]
        if not cfgs:
            raise ValueError("a task needs at least one config")
        return cls(configs=tuple(c.to_nested() for c in cfgs),
                   run_ids=tuple(run_id(c) for c in cfgs), runs_dir=str(runs_dir),
                   vectorize=bool(vectorize and len(cfgs) > 1), threads=int(threads))

    def without(self, done: set[str]) -> Task | None:
        """The task less the runs in ``done`` (None when nothing is left)."""
        keep = [i for i, r in enumerate(self.run_ids) if r not in done]
        if not keep:
            return None
        return Task(configs=tuple(self.configs[i] for i in keep),
                    run_ids=tuple(self.run_ids[i] for i in keep), runs_dir=self.runs_dir,
                    vectorize=self.vectorize and len(keep) > 1, threads=self.threads)


def _failed(rid: str, err: BaseException) -> dict[str, Any]:
    return {"run_id": rid, "state": "failed", "error": f"{type(err).__name__}: {err}",
            "result": None}


def run_task(task: Task, runs_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Run ``task`` into ``runs_dir/<run id>/`` (default ``task.runs_dir``); one outcome per
    run, in order.

    Raises:
        KeyboardInterrupt: interrupted (the runs in progress are marked ``interrupted``).
    """
    import torch

    from .run import run_experiment
    from .vectorize import train_vectorized

    root = Path(task.runs_dir if runs_dir is None else runs_dir)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(task.threads)
    try:
        cfgs = [ExperimentConfig.from_dict(c) for c in task.configs]
        folders = [root / rid for rid in task.run_ids]
        if task.vectorize and len(cfgs) > 1:
            try:
                return train_vectorized(cfgs, folders)
            except (ValueError, TypeError) as err:
                return [_failed(rid, err) for rid in task.run_ids]
        out = []
        for cfg, rid, folder in zip(cfgs, task.run_ids, folders, strict=True):
            try:
                result = run_experiment(cfg, folder, resume=True, progress=False)
            except KeyboardInterrupt:
                raise
            except Exception as err:  # one run fails, the task goes on
                out.append(_failed(rid, err))
                continue
            out.append({"run_id": rid, "state": "done", "error": None, "result": result})
        return out
    finally:
        torch.set_num_threads(threads_before)


def pack_runs(runs_dir: str | Path, run_ids: Sequence[str]) -> dict[str, dict[str, bytes]]:
    """The files of each run folder that exists, as bytes (``{run id: {name: bytes}}``).

    Raises:
        ValueError: a run folder is larger than :data:`MAX_SHIPPED_BYTES`.
    """
    out: dict[str, dict[str, bytes]] = {}
    for rid in run_ids:
        folder = Path(runs_dir) / rid
        if not folder.is_dir():
            continue
        files: dict[str, bytes] = {}
        total = 0
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.name.endswith(".tmp"):
                continue
            data = path.read_bytes()
            total += len(data)
            if total > MAX_SHIPPED_BYTES:
                raise ValueError(f"run folder {str(folder)!r} is over "
                                 f"{MAX_SHIPPED_BYTES // 2**20} MiB; too large to ship")
            files[path.relative_to(folder).as_posix()] = data
        out[rid] = files
    return out


def unpack_runs(runs_dir: str | Path, packed: Mapping[str, Mapping[str, bytes]]) -> None:
    """Write packed run folders into ``runs_dir`` (each file atomically).

    Raises:
        ValueError: a run id or file name that would leave its folder.
    """
    root = Path(runs_dir)
    for rid, files in packed.items():
        if not rid or "/" in rid or "\\" in rid or rid in (".", ".."):
            raise ValueError(f"bad run id {rid!r} in shipped files")
        folder = root / rid
        for name, data in files.items():
            target = (folder / name).resolve()
            if folder.resolve() not in target.parents:
                raise ValueError(f"shipped file {name!r} would leave its run folder")
            atomic_write_bytes(target, data)


def run_shipped(task: Task, files: Mapping[str, Mapping[str, bytes]]) -> tuple[
        list[dict[str, Any]], dict[str, dict[str, bytes]]]:
    """Run ``task`` in a temporary folder filled from ``files``; return the outcomes and
    the run folders' files afterwards (for executors without a shared file system)."""
    with tempfile.TemporaryDirectory(prefix="qmem-task-") as tmp:
        unpack_runs(tmp, files)
        outcomes = run_task(task, tmp)
        return outcomes, pack_runs(tmp, task.run_ids)

