"""The trust CSV extracts are described once (loaders/formats_data.py); the reader, the
generator, the docs tables and the published Table Schemas all follow that description."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from frictionless import Resource, Schema

from openfdp.loaders.formats import Column, ExtractFormat
from openfdp.loaders.formats_data import EXTRACTS
from openfdp.loaders.formats_publish import (
    DOCS,
    SCHEMA_DIR,
    _code_lists,
    documented,
    markdown_table,
    render_docs,
    schema_text,
)
from openfdp.loaders.generate import generate
from openfdp.loaders.generate.extracts import COLUMNS
from openfdp.loaders.readers.trust_csv import EXTRACTS as READER
from openfdp.settings import REFERENCE_DATA_DIR

pytestmark = pytest.mark.unit
REGENERATE = "run `python -m openfdp.loaders.formats_publish`"


@pytest.fixture(autouse=True)
def _csv_field_limit() -> Iterator[None]:
    """frictionless raises the csv module's global field size limit; put it back so the
    reader's own limit tests (test_trust_csv.py) see the standard library default."""
    limit = csv.field_size_limit()
    yield
    csv.field_size_limit(limit)


def _schema(name: str) -> Schema:
    return Schema.from_descriptor(json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text()))


def test_reader_requires_exactly_the_described_required_columns() -> None:
    assert list(READER) == list(EXTRACTS)
    for name, fmt in EXTRACTS.items():
        assert READER[name].required == fmt.required, name


def test_generator_writes_the_described_header() -> None:
    for name, fmt in EXTRACTS.items():
        assert COLUMNS[name] == fmt.header, name


def test_docs_tables_match_the_description() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert documented(text) == set(EXTRACTS), "every extract has one generated table"
    assert render_docs(text) == text, f"docs/formats.md is out of date: {REGENERATE}"


def test_a_changed_description_shows_in_the_docs_table() -> None:
    fmt = EXTRACTS["staff"]
    changed = ExtractFormat(
        fmt.name, fmt.title, fmt.description, (*fmt.columns, Column("grade")), fmt.key
    )
    assert "| grade |" in markdown_table(changed)
    assert "| grade |" not in markdown_table(fmt)


def test_published_table_schemas_match_the_description() -> None:
    code_lists = _code_lists()
    assert {p.name for p in SCHEMA_DIR.glob("*.schema.json")} == {
        f"{n}.schema.json" for n in EXTRACTS
    }
    for name, fmt in EXTRACTS.items():
        committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(fmt, code_lists), f"{name}: {REGENERATE}"
        schema = json.loads(committed)
        assert [f["name"] for f in schema["fields"]] == fmt.header
        assert schema["primaryKey"] == list(fmt.key)


def test_table_schemas_are_valid_frictionless_schemas() -> None:
    for name in EXTRACTS:
        descriptor = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text("utf-8"))
        report = Schema.validate_descriptor(descriptor)
        assert report.valid, (name, report.flatten(["type", "note"]))


def test_generated_extracts_pass_their_published_schema(tmp_path: Path) -> None:
    """What a trust would run before sending: frictionless validates each generated file
    against docs/schemas/<extract>.schema.json."""
    generate(tmp_path, data_dir=REFERENCE_DATA_DIR, trusts=2, patients=150, seed=3)
    checked = 0
    for path in sorted(tmp_path.glob("*.csv")):
        name = path.stem.split("-")[0]
        if name not in EXTRACTS:
            continue
        schema = _schema(name)
        report = Resource(path=path.name, basepath=str(tmp_path), schema=schema).validate()
        assert report.valid, (path.name, report.flatten(["rowNumber", "fieldName", "type"])[:5])
        checked += 1
    assert checked >= len(EXTRACTS) - 1


def test_a_bad_row_fails_the_published_schema(tmp_path: Path) -> None:
    fmt = EXTRACTS["staff"]
    path = tmp_path / "staff.csv"
    path.write_text(",".join(fmt.header) + "\nR0A,,REG,Registrar,110,maybe\n")
    schema = _schema("staff")
    report = Resource(path=path.name, basepath=str(tmp_path), schema=schema).validate()
    errors = {tuple(e) for e in report.flatten(["fieldName", "type"])}
    assert ("staff_local_id", "constraint-error") in errors
    assert ("active", "type-error") in errors
