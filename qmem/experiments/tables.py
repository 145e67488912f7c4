"""What the three report writers share: rows grouped per table, the protocol notes, PNGs.

``qmem report`` (:mod:`.report`), the sweep report (:mod:`.sweep_report`) and ``qmem study``
(:mod:`.study`) all write one table and one plot per dataset and protocol; this module holds
the grouping, the sentence that says what each protocol means, and the atomic PNG write, so
that the three say the same thing the same way.

>>> rows = [{"dataset": "bessel", "protocol": "paper", "mse": 1.0},
...         {"dataset": "bessel", "protocol": "honest", "mse": 2.0},
...         {"dataset": "bessel", "protocol": "paper", "mse": 3.0}]
>>> {key: [r["mse"] for r in group] for key, group in by_table(rows).items()}
{('bessel', 'paper'): [1.0, 3.0], ('bessel', 'honest'): [2.0]}
>>> protocol_note("honest")
'leak-free protocol (scaler fitted on the training split, windows assigned by their targets)'
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .files import atomic_write_bytes

__all__ = ["PROTOCOL_NOTES", "by_table", "mean_std", "protocol_note", "save_png"]

PROTOCOL_NOTES: dict[str, str] = {
    "honest": "leak-free protocol (scaler fitted on the training split, windows assigned by "
              "their targets)",
    "paper": "paper protocol (scaler fitted on the whole series: test values leak into the "
             "scaling; windows cut by count)",
}
"""One line per data protocol (``data.protocol``), printed under each table's heading."""

Row = TypeVar("Row", bound=Mapping[str, Any])


def by_table(rows: Iterable[Row]) -> dict[tuple[str, str], list[Row]]:
    """Rows grouped by ``(dataset, protocol)``, in order of first appearance.

    Args:
        rows: mappings with ``"dataset"`` and ``"protocol"`` keys.

    Returns:
        ``{(dataset, protocol): [row, ...]}``, each list in the rows' order.

    >>> by_table([{"dataset": "narma", "protocol": "honest"}])
    {('narma', 'honest'): [{'dataset': 'narma', 'protocol': 'honest'}]}
    """
    out: dict[tuple[str, str], list[Row]] = {}
    for r in rows:
        out.setdefault((str(r["dataset"]), str(r["protocol"])), []).append(r)
    return out


def mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation (``n - 1``) of the finite values; ``None`` and
    non-finite entries (failed runs) are left out.

    Returns:
        ``(mean, std)``; ``(None, None)`` with no finite value, ``std`` None with one.

    >>> mean_std([1.0, 3.0, None, float("nan")])
    (2.0, 1.4142135623730951)
    >>> mean_std([5.0]), mean_std([])
    ((5.0, None), (None, None))
    """
    xs = [v for v in values if v is not None and math.isfinite(v)]
    if not xs:
        return None, None
    mean = sum(xs) / len(xs)
    if len(xs) < 2:
        return mean, None
    return mean, math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))


def protocol_note(protocol: str) -> str:
    """The note for ``protocol`` from :data:`PROTOCOL_NOTES`; an unknown name as it is.

    >>> protocol_note("custom")
    'custom'
    """
    return PROTOCOL_NOTES.get(protocol, protocol)


def save_png(fig: Any, path: str | Path, *, dpi: int = 110) -> str:
    """Lay out a matplotlib figure, write it to ``path`` as PNG atomically, close it.

    Args:
        fig: a ``matplotlib.figure.Figure``.
        path: the file to write (replaced whole: a crash leaves the old file or none).
        dpi: resolution.

    Returns:
        The file's name (``path.name``), for links.

    >>> import tempfile, matplotlib
    >>> matplotlib.use("Agg", force=True)
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     name = save_png(fig, Path(d) / "a.png", dpi=20)
    ...     (name, (Path(d) / name).read_bytes()[:4])
    ('a.png', b'\\x89PNG')
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path.name
