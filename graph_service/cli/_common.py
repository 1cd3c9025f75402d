"""Helpers shared by the command groups."""

from __future__ import annotations

from rich.console import Console

from graph_service.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()
