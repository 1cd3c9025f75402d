"""Helpers shared by the command groups."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console

from openfdp.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return get_settings()


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON object on stdout instead of tables (for cron, Airflow, scripts).",
    ),
]


def print_json(data: Mapping[str, Any]) -> None:
    """One JSON object on one line of stdout (dates, paths and the like as strings)."""
    typer.echo(json.dumps(data, default=str, sort_keys=True))


def as_record(obj: Any, **extra: Any) -> dict[str, Any]:
    """A dataclass instance as a JSON-ready dict, with ``extra`` keys added."""
    return {**dataclasses.asdict(obj), **extra}
