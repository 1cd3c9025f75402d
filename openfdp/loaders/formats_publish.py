"""Publish the extract descriptions: a frictionless Table Schema per extract and the column
tables of docs/formats.md, both derived from :data:`openfdp.loaders.formats_data.EXTRACTS`.

    python -m openfdp.loaders.formats_publish          # rewrite the schemas and the tables
    python -m openfdp.loaders.formats_publish --check  # exit 1 when either is out of date

A trust can check a file before sending it with any Table Schema validator, e.g.
``frictionless validate --schema docs/schemas/waiting_list.schema.json waiting_list.csv``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from openfdp.loaders.formats import (
    FALSE_VALUES,
    SITE_ODS_PATTERN,
    TRUE_VALUES,
    TRUST_ODS_PATTERN,
    Column,
    ExtractFormat,
)
from openfdp.loaders.formats_data import EXTRACTS
from openfdp.settings import REPO_ROOT

ROOT = REPO_ROOT
SCHEMA_DIR = ROOT / "docs" / "schemas"
DOCS = ROOT / "docs" / "formats.md"
_FRICTIONLESS_TYPE = {"date": "date", "time": "time", "integer": "integer", "number": "number"}
_FRICTIONLESS_TYPE["boolean"] = "boolean"
_TABLE = re.compile(
    r"(<!-- columns:(?P<name>[a-z_]+) \(generated[^>]*-->\n)(?P<body>.*?)(<!-- /columns -->)",
    re.DOTALL,
)


def _field(col: Column, code_lists: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    field: dict[str, Any] = {
        "name": col.name,
        "type": _FRICTIONLESS_TYPE.get(col.type, "string"),
        "description": col.description,
    }
    constraints: dict[str, Any] = {}
    if col.required:
        constraints["required"] = True
    if col.type == "date":
        field["format"] = "%Y-%m-%d"
    elif col.type == "time":
        field["format"] = "%H:%M"
    elif col.type == "boolean":
        field["trueValues"] = [*TRUE_VALUES, *(v.lower() for v in TRUE_VALUES[:3])]
        field["falseValues"] = [*FALSE_VALUES, *(v.lower() for v in FALSE_VALUES[:3])]
    elif col.type == "trust_ods":
        constraints["pattern"] = TRUST_ODS_PATTERN.strip("^$")
    elif col.type == "site_ods":
        constraints["pattern"] = SITE_ODS_PATTERN.strip("^$")
    elif col.type == "nhs_number" and col.required:
        constraints["pattern"] = "[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}"
    if col.code_list is not None:
        codes = sorted(code_lists.get(col.code_list, {}))
        field["description"] += f" (code list {col.code_list})"
        if codes:
            constraints["enum"] = codes + (["M", "F", "U"] if col.code_list == "SEX" else [])
    if col.values:
        constraints["enum"] = list(col.values)
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema(fmt: ExtractFormat, code_lists: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The frictionless Table Schema (v1) of one extract."""
    return {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": fmt.name,
        "title": f"{fmt.name}.csv: {fmt.title}",
        "description": fmt.description,
        "fields": [_field(c, code_lists) for c in fmt.columns],
        "primaryKey": list(fmt.key),
        "missingValues": [""],
    }


def schema_text(fmt: ExtractFormat, code_lists: Mapping[str, Mapping[str, Any]]) -> str:
    return json.dumps(table_schema(fmt, code_lists), indent=2, ensure_ascii=False) + "\n"


def _type_cell(col: Column) -> str:
    if col.code_list:
        return f"code `{col.code_list}`"
    if col.values:
        return " / ".join(col.values)
    return col.type.replace("_", " ")


def markdown_table(fmt: ExtractFormat) -> str:
    """The column table of one extract (required columns in bold, key columns marked)."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for col in fmt.columns:
        name = f"**{col.name}**" if col.required else col.name
        if col.name in fmt.key:
            name += " (key)"
        lines.append(f"| {name} | {_type_cell(col)} | {col.description} |")
    return "\n".join(lines) + "\n"


def render_docs(text: str) -> str:
    """`text` with every generated column table replaced by the current one."""

    def table(m: re.Match[str]) -> str:
        return m.group(1) + markdown_table(EXTRACTS[m.group("name")]) + m.group(4)

    return _TABLE.sub(table, text)


def documented(text: str) -> set[str]:
    return {m.group("name") for m in _TABLE.finditer(text)}


def _code_lists() -> dict[str, dict[str, Any]]:
    from openfdp.ontology import load_ontology  # noqa: PLC0415 - only the publisher needs it

    schemes = load_ontology().concept_schemes
    return {name: dict(codes) for name, codes in schemes.items()}


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    code_lists = _code_lists()
    stale: list[str] = []
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for fmt in EXTRACTS.values():
        path = SCHEMA_DIR / f"{fmt.name}.schema.json"
        text = schema_text(fmt, code_lists)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(text, encoding="utf-8")
    docs = DOCS.read_text(encoding="utf-8")
    if render_docs(docs) != docs:
        stale.append(str(DOCS.relative_to(ROOT)))
        if not check:
            DOCS.write_text(render_docs(docs), encoding="utf-8")
    for name in stale:
        print(("out of date: " if check else "written: ") + name)
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
