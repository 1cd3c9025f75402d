"""`openfdp share`: data products between instances (docs/federation.md).

`keys init`, `peer add`, `agreement ...` (openfdp/cli/share_agreement.py), `export` at a
trust instance, `import` at an ICS instance, `ack` of the receiver's receipt at the trust.
Exit codes: 0 done, 1 refused (the reason on stderr; nothing loaded), 2 usage, 3 runtime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from openfdp.cli._common import JsonOption, print_json, settings
from openfdp.cli.share_agreement import app as agreement_app
from openfdp.cli.share_common import share_errors
from openfdp.loaders.share import agreements, keys
from openfdp.loaders.share.receipt import acknowledge
from openfdp.store.driver import open_driver

app = typer.Typer(help="Share data products between instances under agreements.",
                  no_args_is_help=True)  # fmt: skip
keys_app = typer.Typer(help="This instance's signing key.", no_args_is_help=True)
peer_app = typer.Typer(help="Public keys of the instances this one trusts.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(peer_app, name="peer")
app.add_typer(agreement_app, name="agreement")


@keys_app.command("init")
def keys_init(as_json: JsonOption = False) -> None:
    """Create the Ed25519 signing key pair (idempotent); print the public key's path."""
    with share_errors():
        pub, created = keys.init_keys(keys.keys_dir(settings()))
    if as_json:
        print_json({"public_key": str(pub), "created": created})
    else:
        typer.echo(str(pub))


@peer_app.command("add")
def peer_add(
    ods: Annotated[str, typer.Option("--ods", help="ODS code of the peer instance.")],
    public_key: Annotated[
        Path, typer.Option("--public-key", exists=True, dir_okay=False, help="Its signing.pub.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Trust the public key of a sending (or receiving) instance."""
    with share_errors():
        path = keys.add_peer(keys.keys_dir(settings()), ods, public_key)
    if as_json:
        print_json({"ods": ods.upper(), "public_key": str(path)})
    else:
        typer.echo(str(path))


@app.command("export")
def export(
    agreement: Annotated[str, typer.Option("--agreement", help="Agreement id.")],
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Folder for products.")],
    as_json: JsonOption = False,
) -> None:
    """Write a signed product of the changes since the last acknowledged export."""
    from openfdp.loaders.share.export import export_product  # noqa: PLC0415
    from openfdp.ontology import load_ontology  # noqa: PLC0415

    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        summary = export_product(driver, cfg, load_ontology(), agreement, out)
    if as_json:
        print_json({"folder": str(summary.folder), "export_id": summary.export_id,
                    "agreement_id": summary.agreement_id, "seq": summary.seq,
                    "since_export": summary.since_export, "rows": summary.rows})  # fmt: skip
    else:
        typer.echo(str(summary.folder))


@app.command("import")
def import_(
    paths: Annotated[
        list[Path], typer.Argument(help="Product folders (several: one linkage run for all).")
    ],
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Items per write transaction.")
    ] = 2000,
    as_json: JsonOption = False,
) -> None:
    """Verify products (signature, hashes, agreement, ontology), load them, link, and write a
    signed receipt for each; nothing is loaded when a check fails on any of them."""
    from openfdp.loaders.share.importer import import_products  # noqa: PLC0415
    from openfdp.ontology import load_ontology  # noqa: PLC0415

    cfg = settings()
    with share_errors(), open_driver(cfg) as driver:
        done = import_products(driver, cfg, load_ontology(), paths, batch_size=batch_size)
    for summary in done:
        if as_json:
            print_json({"receipt": str(summary.receipt), "status": summary.status,
                        "export_id": summary.export_id, "agreement_id": summary.agreement_id,
                        "sender_ods": summary.sender_ods, "counts": summary.counts})  # fmt: skip
        else:
            typer.echo(str(summary.receipt))


@app.command("ack")
def ack(
    receipt: Annotated[Path, typer.Argument(help="The receiver's receipt.json.")],
    as_json: JsonOption = False,
) -> None:
    """Record the receiver's acknowledgement (advances the incremental watermark)."""
    cfg = settings()
    with share_errors():
        done = acknowledge(receipt, cfg, sender=agreements.this_instance(cfg))
    if as_json:
        print_json(done)
    else:
        typer.echo(f"acknowledged {done['export_id']} ({done['items_acknowledged']} items)")
