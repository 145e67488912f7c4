"""Packaging: the wheel holds only qmem/, and importing qmem stays light."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_does_not_pull_heavy_sdks() -> None:
    code = (
        "import sys, qmem, qmem.circuits, qmem.classical, qmem.datasets\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pennylane', 'qiskit', 'qiskit_aer', 'pennylane_lightning'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import qmem imported: {out.stdout.strip()}"


@pytest.mark.slow
def test_wheel_holds_only_qmem(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("qmem-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    outside = [n for n in names if not (n.startswith("qmem/") or ".dist-info/" in n)]
    assert outside == [], outside
    # every source module of the mapped folders is in the wheel, under qmem/
    for folder, pkg in [("circuits", "circuits"), ("classical", "classical"),
                        ("datasets", "datasets"), ("qmem", "")]:
        for src in (ROOT / folder).rglob("*.py"):
            rel = src.relative_to(ROOT / folder).as_posix()
            target = f"qmem/{pkg + '/' if pkg else ''}{rel}"
            assert target in names, f"{src} missing from the wheel as {target}"
