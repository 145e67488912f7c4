"""``qmem sweep``: every point of a sweep file as a run folder, on a process pool or Ray.

:func:`run_sweep` turns a :class:`~qmem.experiments.sweep_config.Sweep` into tasks (one run
each, or with ``vectorize`` the seeds of one config together), hands them to an executor
(:mod:`qmem.experiments.sweep_exec`), and keeps ``DIR/summary.csv`` current after every
finished run. The rules:

- each run is ``DIR/runs/<run id>/`` (:func:`qmem.experiments.run.run_id` of its resolved
  config), so calling the sweep again skips finished runs and resumes unfinished ones from
  their checkpoints; results do not depend on the executor;
- a run that fails (an exception, a dead worker, a lost node) is tried again, up to
  ``retries`` more times, from its last checkpoint; then it is recorded as failed with its
  error and the sweep goes on. Failures that would only repeat are not retried: a non-finite
  loss, a run folder holding another config, an invalid value (``ValueError``/``TypeError``);
- Ctrl-C (``KeyboardInterrupt``) stops the workers, marks their runs ``interrupted``, writes
  the summary and re-raises; the same call later continues where it stopped;
- one progress display (stderr): runs done / running / failed and the ETA;
- at the end the report (:func:`qmem.experiments.sweep_report.write_sweep_report`).

>>> from qmem.experiments.sweep_config import sweep_from_dict
>>> sweep = sweep_from_dict({"base": {"data": {"name": "sine", "num": 60},
...     "model": {"name": "lstm", "hidden_size": 2}, "train": {"epochs": 1}},
...     "axes": {"train.seed": [0, 1, 2]}})
>>> [len(t.run_ids) for t in plan_tasks(sweep.configs, vectorize=True)]
[3]
>>> import tempfile
>>> out = run_sweep(sweep, tempfile.mkdtemp(), workers=1, progress=False, report=False)
>>> len(out["done"]), out["failed"], out["skipped"]
(3, {}, 0)
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .config import ExperimentConfig
from .files import read_json
from .run import run_id, run_status
from .sweep_config import Sweep
from .sweep_exec import (
    ExecutorName,
    Finished,
    SweepExecutor,
    check_executor_args,
    make_executor,
)
from .sweep_summary import write_plan, write_summary
from .sweep_task import Task

__all__ = ["NOT_RETRIED", "plan_tasks", "run_sweep"]

NOT_RETRIED = ("NonFiniteLoss:", "RunStateError:", "ValueError:", "TypeError:")
"""Error prefixes of failures that would only repeat: recorded without a retry."""


def plan_tasks(configs: Sequence[ExperimentConfig], *, runs_dir: str | Path = "runs",
               vectorize: bool = False, threads: int = 1) -> list[Task]:
    """The tasks of a sweep: one per run, or one per group of seeds with ``vectorize``.

    Raises:
        ValueError: ``vectorize`` and a config that cannot be vectorised.
    """
    if vectorize:
        from .vectorize import vector_groups

        return [Task.of(g, runs_dir=runs_dir, vectorize=True, threads=threads)
                for g in vector_groups(configs)]
    seen: set[str] = set()
    tasks = []
    for cfg in configs:
        if run_id(cfg) not in seen:
            seen.add(run_id(cfg))
            tasks.append(Task.of([cfg], runs_dir=runs_dir, threads=threads))
    return tasks


class _Progress:
    """One line across runs: done / running / failed and the ETA (tqdm, on stderr)."""

    def __init__(self, total: int, done: int, enabled: bool | None) -> None:
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=done, unit="run", desc="sweep", file=sys.stderr,
                        disable=(None if enabled is None else not enabled), dynamic_ncols=True)

    def update(self, finished: int, done: int, running: int, failed: int) -> None:
        if finished:
            self.bar.update(finished)
        self.bar.set_postfix_str(f"done {done}, running {running}, failed {failed}",
                                 refresh=True)

    def write(self, line: str) -> None:
        self.bar.write(line, file=sys.stderr)

    def close(self) -> None:
        self.bar.close()


def _sigterm_as_interrupt() -> Callable[[], None]:
    """While the sweep runs, SIGTERM stops it as Ctrl-C does (in the main thread only);
    returns the function that restores the previous handler."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    restore = signal.SIG_DFL if previous is None else previous
    return lambda: signal.signal(signal.SIGTERM, restore)


def _retryable(error: str | None) -> bool:
    return not any(str(error or "").startswith(p) for p in NOT_RETRIED)


def run_sweep(
    sweep: Sweep,
    out: str | Path,
    *,
    executor: ExecutorName | SweepExecutor = "local",
    workers: int | None = None,
    address: str | None = None,
    retries: int = 1,
    vectorize: bool = False,
    progress: bool | None = None,
    report: bool = True,
    plots: bool = True,
    log: Callable[[str], None] | None = None,
    on_result: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run every point of ``sweep`` into ``out/runs/<run id>``; summary and report in ``out``.

    Args:
        sweep: the sweep (:func:`~qmem.experiments.sweep_config.load_sweep`).
        out: the sweep folder.
        executor: ``"local"`` (process pool), ``"ray"``, or an executor made before
            (e.g. a :class:`~qmem.experiments.sweep_exec.LocalExecutor` kept warm for several
            sweeps; then ``workers`` and ``address`` do not apply and it is left open).
        workers: parallel tasks (default: the executor's, see
            :func:`~qmem.experiments.sweep_exec.make_executor`).
        address: Ray cluster address (``"auto"``, ``"ray://host:port"``).
        retries: further tries of a failed run (>= 0).
        vectorize: train the seeds of one config together
            (:mod:`qmem.experiments.vectorize`).
        progress: show the progress display (None: when stderr is a terminal).
        report: write the report at the end.
        plots: with the report, its plots.
        log: called with a line per finished or failed run.
        on_result: called with ``(run id, result)`` when a run finishes in this call.

    Returns:
        ``{"done": [run ids], "failed": {run id: error}, "skipped": n (finished before),
        "summary": path, "report": files or None, "seconds": wall time}``.

    Raises:
        ValueError: bad ``retries`` / ``workers`` / executor, or ``vectorize`` with a config
            that cannot be vectorised.
        ImportError: ``executor="ray"`` without Ray installed.
        KeyboardInterrupt: interrupted (summary written; call again to continue).
    """
    if not isinstance(sweep, Sweep):
        raise TypeError(f"sweep must be a Sweep (load_sweep), got {type(sweep).__name__}")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if isinstance(executor, str):
        check_executor_args(executor, workers=workers, address=address)
    t0 = time.perf_counter()
    folder = Path(out)
    runs = (folder / "runs").absolute()  # workers may run elsewhere than this directory
    runs.mkdir(parents=True, exist_ok=True)
    cpus = sweep.resources.cpus
    by_id: dict[str, dict[str, Any]] = {}
    for cfg, point in zip(sweep.configs, sweep.points, strict=True):
        rid = run_id(cfg)
        if rid not in by_id:
            by_id[rid] = {"run_id": rid, "state": "pending", "attempts": 0, "error": None,
                          "point": point, "result": None, "cfg": cfg}
    rows = list(by_id.values())
    axes = list(sweep.axes)
    write_plan(folder, axes=sweep.axes, options=sweep.options.to_dict(),
               resources={"cpus": cpus, "gpus": sweep.gpus_per_run}, runs=rows)
    skipped = 0
    for r in rows:
        d = runs / r["run_id"]
        status = run_status(d) or {}
        if status.get("state") == "done" and (d / "result.json").is_file():
            r.update(state="done", result=read_json(d / "result.json"))
            skipped += 1
        elif status.get("state") in ("failed", "interrupted", "running"):
            r["error"] = status.get("error")
    todo = [r["cfg"] for r in rows if r["state"] != "done"]
    queue = deque(plan_tasks(todo, runs_dir=runs, vectorize=vectorize, threads=cpus))

    def save() -> Path:
        return write_summary(folder, rows, axes)

    summary = save()
    bar = _Progress(len(rows), skipped, progress)
    say = log or (lambda line: None)
    done: list[str] = []
    owned = isinstance(executor, str)
    ex: SweepExecutor | None = None
    if queue:
        ex = make_executor(executor, workers=workers, address=address, cpus=cpus,
                           gpus=sweep.gpus_per_run) if owned else executor

    def count(state: str) -> int:
        return sum(1 for r in rows if r["state"] == state)

    def settle(fin: Finished) -> int:
        """Record a finished task; requeue what is retried. Returns runs settled."""
        settled = 0
        if fin.outcomes is None:
            again = []
            for rid in fin.task.run_ids:
                r = by_id[rid]
                r["error"] = fin.error
                if r["attempts"] <= retries:
                    r["state"] = "pending"
                    again.append(rid)
                    say(f"retrying {rid} ({r['attempts']} of {retries + 1} tries): {fin.error}")
                else:
                    r["state"] = "failed"
                    settled += 1
                    say(f"failed {rid}: {fin.error}")
            if again:
                left = fin.task.without(set(fin.task.run_ids) - set(again))
                if left is not None:
                    queue.appendleft(left)
            return settled
        for o in fin.outcomes:
            r = by_id[o["run_id"]]
            if o.get("note"):
                say(f"note {r['run_id']}: {o['note']}")
            if o["state"] == "done":
                r.update(state="done", error=None, result=o["result"])
                done.append(r["run_id"])
                settled += 1
                res = o["result"] or {}
                test = (res.get("test") or {}).get("mse")
                say(f"done {r['run_id']}  {res.get('dataset')} {res.get('title')} "
                    f"H={res.get('hidden_size')} seed {res.get('seed')}  params "
                    f"{(res.get('params') or {}).get('total')}  test MSE "
                    f"{'–' if test is None else f'{test:.4g}'}")
                if on_result is not None:
                    on_result(r["run_id"], o["result"])
                continue
            r["error"] = o.get("error")
            if _retryable(r["error"]) and r["attempts"] <= retries:
                r["state"] = "pending"
                queue.append(Task.of([r["cfg"]], runs_dir=runs, threads=cpus))
                say(f"retrying {r['run_id']} ({r['attempts']} of {retries + 1} tries): "
                    f"{r['error']}")
            else:
                r["state"] = "failed"
                settled += 1
                say(f"failed {r['run_id']}: {r['error']}")
        return settled

    term = _sigterm_as_interrupt()
    try:
        while ex is not None and (queue or ex.running()):
            submitted = False
            while queue and ex.capacity() > 0:
                task = queue.popleft()
                for rid in task.run_ids:
                    by_id[rid]["state"] = "running"
                    by_id[rid]["attempts"] += 1
                ex.submit(task)
                submitted = True
            if submitted:
                summary = save()
            bar.update(0, count("done"), count("running"), count("failed"))
            finished = ex.wait(timeout=0.5)
            settled = sum(settle(f) for f in finished)
            if finished:
                summary = save()
            bar.update(settled, count("done"), count("running"), count("failed"))
    except KeyboardInterrupt:
        if ex is not None:
            ex.cancel()  # the runs in progress record themselves as interrupted
        for r in rows:
            if r["state"] in ("running", "pending"):
                r["state"] = "interrupted" if r["state"] == "running" else "pending"
        save()
        bar.close()
        raise
    finally:
        term()
        if ex is not None and owned:
            ex.close()
    bar.close()
    summary = save()
    files = None
    if report and count("done"):
        from .sweep_report import write_sweep_report

        files = write_sweep_report(folder, plots=plots)["files"]
    return {
        "done": done,
        "failed": {r["run_id"]: r["error"] for r in rows if r["state"] == "failed"},
        "skipped": skipped,
        "summary": str(summary),
        "report": files,
        "seconds": time.perf_counter() - t0,
    }
