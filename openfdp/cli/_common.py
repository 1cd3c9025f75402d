"""Helpers shared by the command groups."""

from __future__ import annotations

from rich.console import Console

from openfdp.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()
