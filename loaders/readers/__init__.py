"""Readers: I/O only, one module per feed; each exposes `outcomes(paths, ctx) -> Iterator[Outcome]`."""
