"""The trust CSV extracts, described once (docs/formats.md).

Every extract is a list of columns with a type, whether a value is required, the code list a
coded column is checked against, and the columns that key a row. The reader's extract
detection and required columns, the generator's headers, the docs tables
(:mod:`openfdp.loaders.formats_publish`) and the published Table Schemas (``docs/schemas/``) all
derive from :data:`loaders.formats_data.EXTRACTS`, the one place the columns are listed.

Column types: ``string``, ``date`` (YYYY-MM-DD), ``time`` (HH:MM), ``integer``, ``number``,
``boolean`` (Y/N), ``trust_ods`` (3 or 5 characters), ``site_ods`` (5 characters), ``code``
(checked against ``code_list``), ``nhs_number`` (10 ASCII digits), ``list`` (``;``-separated).
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = frozenset(
    {"string", "date", "time", "integer", "number", "boolean", "trust_ods", "site_ods", "code"}
    | {"nhs_number", "list"}
)
#: accepted spellings of booleans (docs/formats.md, "General rules")
TRUE_VALUES = ("Y", "YES", "TRUE", "1")
FALSE_VALUES = ("N", "NO", "FALSE", "0")
TRUST_ODS_PATTERN = r"^(?:[A-Z0-9]{3}|[A-Z0-9]{5})$"
SITE_ODS_PATTERN = r"^[A-Z0-9]{5}$"


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    description: str = ""
    required: bool = False
    code_list: str | None = None
    #: a closed list of values written out here (not an ontology code list)
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.name}: unknown column type {self.type}")
        if (self.type == "code") != (self.code_list is not None):
            raise ValueError(f"{self.name}: a code column names its code list (and only it)")


@dataclass(frozen=True)
class ExtractFormat:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    #: the columns that identify a row of the extract (its record key)
    key: tuple[str, ...]

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a column is listed twice")
        if not set(self.key) <= set(names):
            raise ValueError(f"{self.name}: a key column is not a column")

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> frozenset[str]:
        """Columns whose value is required (a header must hold them to be this extract)."""
        return frozenset(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def of_type(self, *types: str) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.type in types)

    def coded(self) -> dict[str, str]:
        """Column -> code list, for the coded columns."""
        return {c.name: c.code_list for c in self.columns if c.code_list is not None}
