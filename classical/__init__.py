"""Classical scaffolds and baselines (installed as ``qmem.classical``)."""

__all__: list[str] = []
