"""`openfdp instance init|show`: one instance of a federated deployment (docs/federation.md).

An instance is a folder: its ``instance.env`` (role, ODS code, ports, fresh secrets; 0600),
its Neo4j data, audit log, linkage store, quarantine files and keys. Run any command against
it with ``openfdp --instance DIR ...`` (or ``OPENFDP_INSTANCE_DIR=DIR``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Literal

import typer

from openfdp.cli._common import JsonOption, console, err_console, print_json
from openfdp.cli.exit_codes import ExitCode
from openfdp.cli.instance_env import (
    INSTANCE_FILE,
    InstanceNotFound,
    instance_file,
    read_instance,
    write_env_file,
)

app = typer.Typer(help="Create and inspect the instances of a federated deployment.")

#: variables shown by `instance show` (the secrets are never printed)
PUBLIC_VARS = (
    "OPENFDP_STATE_DIR",
    "OPENFDP_INSTANCE__ROLE",
    "OPENFDP_INSTANCE__ODS",
    "OPENFDP_NEO4J__BOLT_PORT",
    "OPENFDP_API__PORT",
    "OPENFDP_PRIVACY__DOMAIN",
    "OPENFDP_SHARE__LINKAGE_DOMAIN",
)


def new_secret() -> str:
    """A fresh random key (256 bits as 64 hex digits: never starts with "-", which a
    command line such as neo4j-admin's would take for an option)."""
    return secrets.token_hex(32)


def instance_values(
    folder: Path,
    *,
    role: Literal["trust", "ics"],
    ods: str,
    bolt_port: int,
    api_port: int,
    linkage_key: str | None,
    linkage_domain: str | None,
    memory: tuple[str | None, str | None] = (None, None),
) -> dict[str, str]:
    """The variables of a new instance: state folder, ports, role, ODS and fresh secrets.

    A trust needs the ICS's linkage key and domain (`linkage_key`/`linkage_domain`, read from
    the ICS's instance.env); an ICS gets a fresh linkage key unless one is given.
    """
    ods = ods.upper()
    if role == "trust" and not linkage_key:
        raise ValueError("a trust instance needs its ICS's linkage key (--ics DIR)")
    heap, pagecache = memory
    sizes = {"OPENFDP_NEO4J__HEAP": heap, "OPENFDP_NEO4J__PAGECACHE": pagecache}
    return {
        "OPENFDP_STATE_DIR": str(folder),
        "OPENFDP_INSTANCE__ROLE": role,
        "OPENFDP_INSTANCE__ODS": ods,
        "OPENFDP_NEO4J__BOLT_PORT": str(bolt_port),
        "OPENFDP_NEO4J__PASSWORD": new_secret(),
        "OPENFDP_API__PORT": str(api_port),
        "OPENFDP_API__JWT_SECRET": new_secret(),
        "OPENFDP_PRIVACY__HMAC_KEY": new_secret(),
        "OPENFDP_PRIVACY__DOMAIN": f"openfdp-{role}-{ods}",
        "OPENFDP_SHARE__LINKAGE_KEY": linkage_key or new_secret(),
        "OPENFDP_SHARE__LINKAGE_DOMAIN": linkage_domain or f"openfdp-linkage-{ods}",
        **{k: v for k, v in sizes.items() if v},
    }


@app.command("init")
def init(
    folder: Annotated[Path, typer.Argument(help="The instance's folder (created).")],
    *,
    role: Annotated[str, typer.Option("--role", help="trust | ics")],
    ods: Annotated[str, typer.Option("--ods", help="ODS code of the trust or ICB.")],
    bolt_port: Annotated[int, typer.Option("--bolt-port", min=1, max=65535)] = 7687,
    api_port: Annotated[int, typer.Option("--api-port", min=1, max=65535)] = 8000,
    ics: Annotated[
        Path | None,
        typer.Option("--ics", help="A trust: the ICS instance folder to take the linkage key of."),
    ] = None,
    linkage_key_file: Annotated[
        Path | None,
        typer.Option("--linkage-key-file", help="A file holding the ICS linkage key (0600)."),
    ] = None,
    linkage_domain: Annotated[
        str | None, typer.Option("--linkage-domain", help="The ICS linkage domain.")
    ] = None,
    heap: Annotated[str | None, typer.Option("--heap", help="Neo4j heap, e.g. 512m.")] = None,
    pagecache: Annotated[
        str | None, typer.Option("--pagecache", help="Neo4j page cache, e.g. 512m.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write FOLDER/instance.env (0600) with the role, ODS code, ports and fresh secrets."""
    if role not in ("trust", "ics"):
        raise typer.BadParameter("--role must be trust or ics")
    folder = folder.expanduser().resolve()
    if instance_file(folder).exists():
        err_console.print(
            f"[red]error:[/red] {folder / INSTANCE_FILE} exists; an instance's keys are never "
            "regenerated (see docs/federation.md, rotation)"
        )
        raise typer.Exit(ExitCode.CHECK_FAILED)
    key, domain = None, linkage_domain
    if ics is not None:
        try:
            ics_vars = read_instance(ics)
        except InstanceNotFound as exc:
            err_console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(ExitCode.USAGE) from None
        key = ics_vars.get("OPENFDP_SHARE__LINKAGE_KEY")
        domain = domain or ics_vars.get("OPENFDP_SHARE__LINKAGE_DOMAIN")
    if linkage_key_file is not None:
        key = linkage_key_file.read_text(encoding="utf-8").strip()
    try:
        values = instance_values(
            folder, role="trust" if role == "trust" else "ics", ods=ods, bolt_port=bolt_port,
            api_port=api_port, linkage_key=key, linkage_domain=domain, memory=(heap, pagecache),
        )  # fmt: skip
    except ValueError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    folder.mkdir(parents=True, exist_ok=True)
    write_env_file(folder / INSTANCE_FILE, values)
    shown = {k: values[k] for k in PUBLIC_VARS}
    if as_json:
        print_json({"instance": str(folder), **shown})
        return
    console.print(f"instance {values['OPENFDP_INSTANCE__ODS']} ({role}) in {folder}")
    console.print(f"  use it with: openfdp --instance {folder} <command>")


@app.command("show")
def show(
    folder: Annotated[Path, typer.Argument(help="The instance's folder.")],
    as_json: JsonOption = False,
) -> None:
    """Print an instance's role, ODS code, ports and folders (never its secrets)."""
    try:
        values = read_instance(folder)
    except InstanceNotFound as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    shown = {k: values.get(k) for k in PUBLIC_VARS}
    if as_json:
        print_json({"instance": str(folder.resolve()), **shown})
        return
    for k, v in shown.items():
        console.print(f"{k}={v}")
