"""Crash-safe files: atomic writes (temp file + fsync + rename), JSON, run environment.

A reader never sees a half-written file: each write goes to a temporary file in the same
folder, is flushed and fsynced, then renamed over the target (atomic on POSIX), and the
folder is fsynced so the rename survives a power cut.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_json(d / "a.json", {"x": 1})
>>> read_json(d / "a.json")
{'x': 1}
"""

from __future__ import annotations

import io
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

__all__ = [
    "atomic_save_torch",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "environment",
    "json_safe",
    "load_torch",
    "read_json",
]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename, fsync folder).

    The folder is created if missing; on any error the temporary file is removed and the
    old ``path`` (if any) is left as it was.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "sub" / "b.bin"
    >>> atomic_write_bytes(p, bytes([0, 1]))
    >>> list(p.read_bytes()), [f.name for f in p.parent.iterdir()]   # no temporary file left
    ([0, 1], ['b.bin'])
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` atomically.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> atomic_write_text(p, "φ(x)")
    >>> p.read_bytes().decode("utf-8"), len(p.read_bytes())
    ('φ(x)', 5)
    """
    atomic_write_bytes(path, text.encode("utf-8"))


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON has no NaN or inf).

    >>> json_safe({"r2": float("nan"), "xs": [1.0, float("inf")]})
    {'r2': None, 'xs': [1.0, None]}
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Mapping):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically (NaN/inf written as null)."""
    text = json.dumps(json_safe(obj), indent=2, sort_keys=False, allow_nan=False)
    atomic_write_text(path, text + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not valid JSON (names the file).
    """
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{str(p)!r} is not valid JSON: {err}") from None


def atomic_save_torch(path: str | Path, obj: Mapping[str, Any]) -> None:
    """``torch.save`` ``obj`` atomically (load it with :func:`load_torch`).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ckpt.pt"
    >>> atomic_save_torch(p, {"w": torch.ones(2), "epoch": 3})
    >>> load_torch(p)["epoch"]
    3
    """
    buf = io.BytesIO()
    torch.save(dict(obj), buf)
    atomic_write_bytes(path, buf.getvalue())


def load_torch(path: str | Path) -> dict[str, Any]:
    """``torch.load(path, weights_only=True)`` on CPU, with a clear error for a corrupt file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable checkpoint.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bad.pt"
    >>> atomic_write_text(p, "not a checkpoint")
    >>> load_torch(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint {str(p)!r} does not exist")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many kinds for a corrupt file
        raise ValueError(f"checkpoint {str(p)!r} cannot be read ({type(err).__name__}: "
                         f"{str(err).splitlines()[0] if str(err) else ''})") from None
    if not isinstance(obj, dict):
        raise ValueError(f"checkpoint {str(p)!r} holds a {type(obj).__name__}, not a dict")
    return obj


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def environment(device: torch.device, seed: int) -> dict[str, Any]:
    """Versions, git commit, device, threads and seed of a run (for ``env.json``).

    >>> env = environment(torch.device("cpu"), seed=0)
    >>> sorted(env)  # doctest: +NORMALIZE_WHITESPACE
    ['cuda_device', 'device', 'git_commit', 'platform', 'python', 'seed', 'torch_threads',
     'versions']
    >>> env["device"], env["versions"]["torch"] == torch.__version__
    ('cpu', True)
    """
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for pkg in ("qmem", "torch", "numpy", "scipy", "pennylane", "qiskit", "qiskit-aer",
                "pydantic"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    return {
        "versions": versions,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git_commit": _git_commit(),
        "device": str(device),
        "cuda_device": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch_threads": torch.get_num_threads(),
        "seed": seed,
    }
