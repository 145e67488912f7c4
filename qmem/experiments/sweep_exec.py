"""Where a sweep's tasks run: a local process pool, or Ray core tasks on a cluster.

Both executors take :class:`~qmem.experiments.sweep_task.Task` objects and hand back
:class:`Finished` records; they run the same function on the same configs, so results do not
depend on the executor (one torch thread per run by default, ``[resources] cpus`` otherwise).

- :class:`LocalExecutor` (``--executor local``): ``workers`` long-lived worker processes
  (``spawn``), one task at a time each, so the sweep knows which run a worker holds: a worker
  that dies (killed, out of memory, ``os._exit``) fails exactly its task, and a fresh worker
  takes its place. Workers write their run folders directly. Ctrl-C reaches the sweep only
  (workers ignore SIGINT); :meth:`~LocalExecutor.cancel` sends each busy worker SIGTERM, which
  its run records as ``interrupted`` (resumable from the last checkpoint). A pool may serve
  several sweeps (its workers stay warm).
- :class:`RayExecutor` (``--executor ray``): one Ray task per sweep task, asking for
  ``num_cpus = cpus`` and ``num_gpus = gpus`` (fractions allowed) and run with
  ``max_retries = 0`` (the sweep retries, the same way under both executors). Run folders
  travel with the task as bytes (:func:`~qmem.experiments.sweep_task.run_shipped`), so the
  cluster needs no shared file system; only the driver writes ``DIR/runs``. A crashed worker or
  a lost node comes back as a failed task.

Nothing here imports Ray unless the Ray executor is made.

>>> executor_names()
('local', 'ray')
>>> check_executor_args("ray", workers=4, address="auto")  # fine: nothing raised
>>> pool = make_executor("local", workers=1)  # a LocalExecutor; its worker starts on use
>>> isinstance(pool, LocalExecutor), pool.capacity(), pool.running(), RayExecutor.name
(True, 1, 0, 'ray')
>>> pool.close()
>>> sorted(n for n in vars(SweepExecutor) if not n.startswith("_"))
['cancel', 'capacity', 'close', 'running', 'submit', 'wait']
>>> from qmem.experiments.sweep_task import Task
>>> task = Task.of([{"data": {"name": "sine"}, "model": {"name": "lstm", "hidden_size": 2}}])
>>> Finished(task, None, "worker process died (exit code -9)").outcomes is None
True
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .sweep_task import Task, pack_runs, run_shipped, run_task, unpack_runs

__all__ = [
    "ExecutorName",
    "Finished",
    "LocalExecutor",
    "RayExecutor",
    "SweepExecutor",
    "check_executor_args",
    "executor_names",
    "make_executor",
]

ExecutorName = Literal["local", "ray"]
"""The executors' names: ``"local"`` (process pool) and ``"ray"`` (Ray core tasks)."""


def executor_names() -> tuple[str, ...]:
    """The sweep executors' names."""
    return ("local", "ray")


@dataclass(frozen=True)
class Finished:
    """A task that came back.

    Attributes:
        task: the task.
        outcomes: one outcome per run (see :func:`~qmem.experiments.sweep_task.run_task`),
            or None when the task failed as a whole.
        error: why it failed as a whole (a dead worker, a lost node), else None.
    """

    task: Task
    outcomes: list[dict[str, Any]] | None
    error: str | None = None


class SweepExecutor(Protocol):
    """What the sweep needs of an executor."""

    name: str

    def capacity(self) -> int:
        """Tasks that may be submitted now."""

    def running(self) -> int:
        """Tasks submitted and not yet back."""

    def submit(self, task: Task) -> None:
        """Start a task."""

    def wait(self, timeout: float) -> list[Finished]:
        """Tasks that came back within ``timeout`` seconds (maybe none)."""

    def cancel(self) -> None:
        """Stop the tasks running now (the executor stays usable)."""

    def close(self, *, cancel: bool = False) -> None:
        """Stop (``cancel``: stop the tasks still running too)."""


# --------------------------------------------------------------------------- local pool
def _on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # the run in progress records itself as interrupted


def _watch_parent() -> None:
    """End this worker (as SIGTERM would: its run records ``interrupted``) when the sweep's
    process is gone, so that no orphan goes on writing a run folder."""
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:  # pragma: no cover - always set for a spawned worker
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="qmem-parent-watch", daemon=True).start()


def _worker_main(conn: Any, threads: int, gpu: str | None) -> None:
    """A worker process: receive tasks, run them, send back their outcomes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sweep's to handle
    signal.signal(signal.SIGTERM, _on_sigterm)
    _watch_parent()
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
    import torch

    torch.set_num_threads(threads)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if task is None:
            return
        try:
            outcomes = run_task(task)
        except KeyboardInterrupt:
            return
        except BaseException as err:  # reported, the worker goes on
            message: tuple[str, Any] = ("error", f"{type(err).__name__}: {err}")
        else:
            message = ("done", outcomes)
        try:
            conn.send(message)
        except (BrokenPipeError, OSError):  # the sweep is gone
            return


@dataclass
class _Worker:
    process: Any
    conn: Any
    task: Task | None = None


class LocalExecutor:
    """A pool of ``workers`` processes on this machine.

    Args:
        workers: worker processes (>= 1).
        threads: torch threads per worker.
        gpus: GPU indices to hand out round-robin (worker k sees ``gpus[k % len(gpus)]``
            as its only device); empty: leave ``CUDA_VISIBLE_DEVICES`` alone.
    """

    name = "local"

    def __init__(self, *, workers: int, threads: int = 1, gpus: tuple[int, ...] = ()) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        self.workers = workers
        self.threads = threads
        self.gpus = tuple(gpus)
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: list[_Worker] = []
        self._busy: list[_Worker] = []
        self._started = 0

    def _spawn(self) -> _Worker:
        gpu = str(self.gpus[self._started % len(self.gpus)]) if self.gpus else None
        self._started += 1
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.threads, gpu),
                                 name=f"qmem-sweep-worker-{self._started}", daemon=True)
        proc.start()
        child.close()
        return _Worker(proc, parent)

    def capacity(self) -> int:
        return self.workers - len(self._busy)

    def running(self) -> int:
        return len(self._busy)

    def submit(self, task: Task) -> None:
        if self.capacity() <= 0:
            raise RuntimeError("no free worker: wait for a task to finish first")
        worker = self._idle.pop() if self._idle else self._spawn()
        try:
            worker.conn.send(task)
        except (BrokenPipeError, OSError):  # died while idle: use a fresh one
            self._drop(worker)
            worker = self._spawn()
            worker.conn.send(task)
        worker.task = task
        self._busy.append(worker)

    def _drop(self, worker: _Worker) -> int | None:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()
        return worker.process.exitcode

    def wait(self, timeout: float) -> list[Finished]:
        if not self._busy:
            return []
        handles: list[Any] = []
        for w in self._busy:
            handles += [w.conn, w.process.sentinel]
        ready = set(multiprocessing.connection.wait(handles, timeout))
        out = []
        for w in list(self._busy):
            if w.conn not in ready and w.process.sentinel not in ready:
                continue
            self._busy.remove(w)
            task, w.task = w.task, None
            if task is None:  # pragma: no cover - a busy worker always holds a task
                continue
            message = None
            try:
                if w.conn.poll():
                    message = w.conn.recv()
            except (EOFError, OSError):
                message = None
            if message is None:
                code = self._drop(w)
                out.append(Finished(task, None, f"worker process died (exit code {code}) "
                                                "while running this task"))
                continue
            kind, payload = message
            self._idle.append(w)
            if kind == "done":
                out.append(Finished(task, payload))
            else:
                out.append(Finished(task, None, str(payload)))
        return out

    def cancel(self) -> None:
        for w in self._busy:
            if w.process.is_alive():
                w.process.terminate()  # SIGTERM: the run marks itself interrupted
        for w in self._busy:
            w.process.join(timeout=15)
            self._drop(w)
        self._busy = []

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            self.cancel()
        for w in self._idle:
            try:
                w.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for w in self._idle + self._busy:
            w.process.join(timeout=15)
            self._drop(w)
        self._idle, self._busy = [], []


# --------------------------------------------------------------------------- Ray
class RayExecutor:
    """Ray core tasks, on a local Ray instance or a cluster.

    Args:
        address: ``None`` (use the Ray already initialised in this process, else start a
            local instance), ``"auto"`` (the cluster this machine belongs to) or
            ``"ray://host:port"`` (Ray client).
        workers: at most this many tasks at once (None: the cluster's CPUs / ``cpus``, and
            its GPUs / ``gpus`` when runs ask for GPUs).
        cpus: ``num_cpus`` per task (also its torch threads).
        gpus: ``num_gpus`` per task (fractions allowed: 0.25 packs four runs on a GPU).

    Raises:
        ImportError: Ray is not installed (``pip install 'qmem[ray]'``).
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, workers: int | None = None,
                 cpus: int = 1, gpus: float = 0.0) -> None:
        try:
            import ray
        except ImportError:
            raise ImportError("--executor ray needs Ray: pip install 'qmem[ray]'") from None
        self._ray = ray
        self._owns = False
        if not ray.is_initialized():
            if address is None:
                ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
            self._owns = True
        self._remote = ray.remote(run_shipped).options(num_cpus=cpus, num_gpus=gpus,
                                                       max_retries=0)
        resources = ray.cluster_resources()
        if gpus > resources.get("GPU", 0):
            if self._owns:
                ray.shutdown()
            raise ValueError(
                f"each run asks for {gpus:g} GPU(s) ([resources] gpus, or train.device = "
                f"'cuda') but the Ray cluster has {resources.get('GPU', 0):g}; the runs would "
                "wait forever"
            )
        if workers is None:
            workers = max(1, int(resources.get("CPU", 1) // cpus))
            if gpus > 0:
                workers = max(1, min(workers, int(resources.get("GPU", 0) / gpus)))
        self.workers = workers
        self._threads = cpus
        self._pending: dict[Any, Task] = {}

    def capacity(self) -> int:
        return self.workers - len(self._pending)

    def running(self) -> int:
        return len(self._pending)

    def submit(self, task: Task) -> None:
        files = pack_runs(task.runs_dir, task.run_ids)
        ref = self._remote.remote(task, files)
        self._pending[ref] = task

    def wait(self, timeout: float) -> list[Finished]:
        ray = self._ray
        if not self._pending:
            return []
        refs = list(self._pending)
        ready, rest = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        out = []
        for ref in ready:
            task = self._pending.pop(ref)
            try:
                outcomes, files = ray.get(ref)
            except ray.exceptions.RayError as err:  # crashed worker, lost node, ...
                text = str(err).strip().splitlines()
                out.append(Finished(task, None, f"{type(err).__name__}: "
                                                f"{text[0] if text else 'task failed'}"))
                continue
            unpack_runs(task.runs_dir, files)  # only the driver writes the sweep folder
            out.append(Finished(task, outcomes))
        return out

    def cancel(self) -> None:
        for ref in self._pending:
            try:
                self._ray.cancel(ref, force=True)
            except Exception:  # already finished or gone
                pass
        self._pending = {}

    def close(self, *, cancel: bool = False) -> None:
        if cancel:
            self.cancel()
        self._pending = {}
        if self._owns:
            self._ray.shutdown()


def check_executor_args(name: str, *, workers: int | None = None,
                        address: str | None = None) -> None:
    """Check an executor name, worker count and address (before anything runs).

    Raises:
        ValueError: an unknown name, ``workers`` not an int >= 1, ``address`` with ``local``.
        TypeError: ``address`` not a string.
    """
    if name not in executor_names():
        raise ValueError(f"executor must be one of {', '.join(executor_names())}, got {name!r}")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or workers < 1):
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if address is not None and not isinstance(address, str):
        raise TypeError(f"address must be a string, got {type(address).__name__}")
    if address is not None and name != "ray":
        raise ValueError("--address applies to --executor ray only")


def make_executor(
    name: ExecutorName,
    *,
    workers: int | None = None,
    address: str | None = None,
    cpus: int = 1,
    gpus: float = 0.0,
) -> SweepExecutor:
    """The executor named ``name`` (``"local"`` or ``"ray"``).

    Args:
        name: ``"local"`` or ``"ray"``.
        workers: parallel tasks (local default: CPU cores / ``cpus``; Ray: see
            :class:`RayExecutor`).
        address: Ray only (``"auto"``, ``"ray://host:port"``).
        cpus: CPU cores (torch threads) per run.
        gpus: GPUs per run (local: > 0 hands the visible GPUs out to the workers).

    Raises:
        ValueError: an unknown name, bad ``workers``, or ``address`` with ``local``.
    """
    check_executor_args(name, workers=workers, address=address)
    if name == "ray":
        return RayExecutor(address=address, workers=workers, cpus=cpus, gpus=gpus)
    gpu_ids: tuple[int, ...] = ()
    if gpus > 0:
        import torch

        gpu_ids = tuple(range(torch.cuda.device_count()))
    if workers is None:
        workers = max(1, (os.cpu_count() or 1) // cpus)
        if gpu_ids:
            workers = max(1, min(workers, int(len(gpu_ids) / gpus)))
    return LocalExecutor(workers=workers, threads=cpus, gpus=gpu_ids)
