"""What the `openfdp share` commands share: errors as one line and an exit code, and the
driver and ontology of a command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.markup import escape

from openfdp.cli._common import err_console
from openfdp.cli.exit_codes import ExitCode
from openfdp.loaders.share.errors import AgreementError, ProductRefused, ShareError

T = TypeVar("T")


@contextmanager
def share_errors() -> Iterator[None]:
    """A refused product or an agreement problem exits 1, any other sharing failure 3."""
    try:
        yield
    except (ProductRefused, AgreementError) as exc:
        err_console.print(f"[red]refused:[/red] {escape(str(exc))}")
        raise typer.Exit(ExitCode.CHECK_FAILED) from None
    except ShareError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(ExitCode.RUNTIME) from None


def run(fn: Callable[[], T]) -> T:
    with share_errors():
        return fn()
