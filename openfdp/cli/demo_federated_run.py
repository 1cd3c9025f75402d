"""The `openfdp demo run --federated` command body: plan, build, serve; one clear line and
exit 3 when a step fails (the failing instance, command and its last lines of output)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from openfdp.cli._common import err_console
from openfdp.cli.demo_federated import FederatedPlan, run_federated, serve_until_interrupted
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.federation_steps import StepFailed


def run_federated_demo(
    root: Path,
    *,
    patients: int,
    seed: int,
    trusts: int,
    icb: str,
    ports: tuple[int, int],
    heap: str,
    serve: bool,
) -> None:
    plan = FederatedPlan(
        root=root, patients=patients, seed=seed, trusts=trusts, icb=icb.upper(),
        bolt_base=ports[0], api_base=ports[1], memory=(heap, heap), as_of=date.today(),
    )  # fmt: skip
    try:
        fed = run_federated(plan)
    except StepFailed as exc:
        err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(ExitCode.RUNTIME) from None
    if serve:
        serve_until_interrupted(fed, plan.icb)
