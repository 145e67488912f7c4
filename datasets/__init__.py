"""Time-series generators, loaders, windowing and splits (installed as ``qmem.datasets``)."""

__all__: list[str] = []
