"""Readers: I/O only, one module per feed.

Each exposes ``outcomes(paths, ctx) -> Iterator[Outcome]``.
"""
