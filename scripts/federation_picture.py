"""Draw docs/federation.svg: the flows between trust instances and the ICS instance.

.venv/bin/python scripts/federation_picture.py   (tests/unit/test_federation_docs.py checks
that the committed picture is the one this script draws)
"""

from __future__ import annotations

from html import escape
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "federation.svg"
W, H = 1200, 640
TRUSTS = ("RM3", "R0A", "RRF")
KEYS_TRUST = ("trust pseudonymisation key", "ICS linkage key (shared)", "trust signing key")
KEYS_ICS = ("ICS pseudonymisation key", "ICS linkage key", "ICS signing key")


def text(x: float, y: float, s: str, size: int = 13, weight: str = "normal") -> str:
    return f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}">{escape(s)}</text>'


def box(x: float, y: float, w: float, h: float, fill: str) -> str:
    return (
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="{fill}" '
        'stroke="#555" stroke-width="1.2"/>'
    )


def arrow(x1: float, y1: float, x2: float, y2: float, dash: bool = False) -> str:
    style = ' stroke-dasharray="6 4"' if dash else ""
    return (
        f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" stroke-width="1.5"'
        f'{style} marker-end="url(#a)"/>'
    )


def trust_block(n: int, ods: str) -> list[str]:
    y = 70 + n * 185
    parts = [
        box(20, y, 150, 60, "#eef3f8"),
        text(32, y + 25, f"{ods} extracts", 13, "bold"),
        text(32, y + 45, "CSV, own trust only"),
        arrow(170, y + 30, 215, y + 30),
        box(215, y - 10, 330, 165, "#dcebdc"),
        text(230, y + 12, f"trust instance {ods}", 15, "bold"),
        text(230, y + 32, "own Neo4j, state folder, audit log, API"),
        text(230, y + 50, "pseudonyms in the trust's domain"),
    ]
    for k, key in enumerate(KEYS_TRUST):
        parts.append(text(240, y + 74 + 18 * k, f"key: {key}", 12))
    parts += [
        text(230, y + 140, "DataSharingAgreement (sender copy)", 12, "bold"),
        arrow(545, y + 40, 745, 250 + n * 60),
        arrow(745, 270 + n * 60, 545, y + 100, dash=True),
    ]
    return parts


def draw() -> str:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" font-family="Helvetica, Arial, sans-serif">',
        '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#333"/></marker></defs>',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        text(20, 30, "openfdp federated: trust instances share signed data products with the "
             "ICS instance, under agreements recorded at both ends", 17, "bold"),
    ]  # fmt: skip
    for n, ods in enumerate(TRUSTS):
        parts += trust_block(n, ods)
    parts += [
        text(560, 60, "export: signed data product", 12, "bold"),
        text(560, 76, "(manifest of hashes, Ed25519; agreed", 12),
        text(560, 92, "classes only, shared references,", 12),
        text(560, 108, "linkage evidence keyed only)", 12),
        text(580, 562, "receipt, signed by the ICS", 12, "bold"),
        text(580, 578, "(ack: next export is incremental)", 12),
        box(745, 190, 300, 260, "#f6e8d0"),
        text(760, 215, "ICS instance (ICB)", 15, "bold"),
        text(760, 236, "verify signature, hashes, agreement,"),
        text(760, 253, "sender, ontology version; import"),
        text(760, 270, "idempotently; link across senders"),
        text(760, 290, "pseudonyms in the ICS's domain"),
    ]
    for k, key in enumerate(KEYS_ICS):
        parts.append(text(770, 315 + 18 * k, f"key: {key}", 12))
    parts += [
        text(760, 385, "DataSharingAgreement (receiver copy)", 12, "bold"),
        text(760, 403, "revoke or end: that sender's records"),
        text(760, 420, "and links resting on them removed"),
        arrow(1045, 320, 1090, 320),
        box(1090, 280, 100, 80, "#eef3f8"),
        text(1100, 305, "ICS users", 13, "bold"),
        text(1100, 323, "planning,", 12),
        text(1100, 339, "research", 12),
        text(20, 615, "Trust users (direct care) use their own trust instance's API. Solid: "
             "product; dashed: receipt. Keys live in settings and the keys folder, never in a "
             "graph or a product.", 12),
        "</svg>",
    ]  # fmt: skip
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    OUT.write_text(draw(), encoding="utf-8")
    print(f"wrote {OUT}")
