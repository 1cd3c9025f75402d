"""Bad input never crashes a load and is never silently dropped (property-based).

For each feed (every trust CSV extract, FHIR R4, HL7 v2) hypothesis writes files of good
records mixed with broken ones into a scratch folder and runs the feed's ``outcomes()``
through the pipeline's counting path (``run_load(..., dry_run=True)``, no Neo4j). Each
example checks that:

- no exception escapes ``outcomes()`` or the pipeline;
- every record read has exactly one outcome and ``read == loaded + quarantined + skipped``;
- every record broken on purpose is a Rejection with a non-empty reason and its position
  (the field named when the fault is in one field);
- no quarantine line, rejection or log record holds the NHS number, name or postcode that
  was put into the input.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openfdp.loaders.formats_data import EXTRACTS as FORMATS
from openfdp.loaders.model import MapContext, MappedRecord, Outcome, Rejection, Skipped
from openfdp.loaders.pipeline import LoadSummary, run_load
from openfdp.loaders.pipeline_inputs import map_context
from openfdp.loaders.privacy import Pseudonymiser
from openfdp.loaders.readers import fhir, hl7v2, trust_csv
from openfdp.ontology import Ontology, load_ontology

pytestmark = pytest.mark.unit

ONTOLOGY: Ontology = load_ontology()
CTX: MapContext = map_context(
    pseudonymiser=Pseudonymiser(key=b"bad-input-key", domain="bad-input"), ontology=ONTOLOGY
)
COMMON = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
    ],
)


def examples(n: int) -> settings:
    return settings(COMMON, max_examples=n)


# --- identities put into the input, and the check that none of them comes back out --------


def nhs_check_digit(nine: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return 0 if check == 11 else None if check == 10 else check


def is_valid_nhs(number: str) -> bool:
    return len(number) == 10 and number.isdigit() and nhs_check_digit(number[:9]) == int(number[9])


@st.composite
def valid_nhs_numbers(draw: st.DrawFn) -> str:
    """Valid numbers from the 999 range (never issued)."""
    while True:
        nine = "999" + draw(st.text("0123456789", min_size=6, max_size=6))
        check = nhs_check_digit(nine)
        if check is not None:
            return nine + str(check)


@st.composite
def invalid_nhs_numbers(draw: st.DrawFn) -> str:
    """Ten 999-range digits that fail Modulus 11 (never 'looks valid' by accident)."""
    nine = "999" + draw(st.text("0123456789", min_size=6, max_size=6))
    check = nhs_check_digit(nine)
    wrong = [d for d in range(10) if d != check]
    return nine + str(draw(st.sampled_from(wrong)))


# Capitalised, with a q/x/z inside: never a word of an English reason such as "Missing".
NAMES = st.from_regex(r"\A[A-Z][a-z]{2}[qxz][a-z]{3,6}\Z")
POSTCODES = st.from_regex(r"\A[A-Z]{1,2}[0-9]{1,2} [0-9][A-Z]{2}\Z")


@dataclass
class Identity:
    nhs_number: str
    given_name: str
    family_name: str
    postcode: str

    def secrets(self) -> list[str]:
        out = [self.nhs_number, self.given_name, self.family_name, self.postcode]
        return [*out, self.postcode.replace(" ", "")]


identities = st.builds(
    Identity,
    nhs_number=st.one_of(valid_nhs_numbers(), invalid_nhs_numbers()),
    given_name=NAMES,
    family_name=NAMES,
    postcode=POSTCODES,
)


def assert_no_leak(
    secrets: Sequence[str], summary: LoadSummary, outs: Sequence[Outcome], logs: str
) -> None:
    texts = [logs, *summary.quarantined_by_reason, *summary.skipped_by_reason]
    if summary.quarantine_file is not None:
        texts.append(summary.quarantine_file.read_text(encoding="utf-8"))
    for o in outs:
        if isinstance(o, Rejection):
            texts += [o.reason, o.position, o.field or ""]
    blob = "\n".join(texts)
    leaked = [s for s in secrets if s and s in blob]
    assert not leaked, "an identifier from the input reached a reason, position or log"


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="openfdp-bad-input-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


#: records and rejections seen per feed in this run (printed at the end of the module)
SEEN: dict[str, Counter[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _report_counts() -> Iterator[None]:
    yield
    for source, c in sorted(SEEN.items()):
        print(
            f"\nbad input, {source}: {c['files']} files, {c['read']} records read, "
            f"{c['quarantined']} quarantined, {c['skipped']} skipped, {c['loaded']} loaded"
        )


def load_dry(source: str, outs: list[Outcome], qdir: Path) -> LoadSummary:
    summary = run_load(
        None,
        source=source,
        outcomes=outs,
        ontology=ONTOLOGY,
        input_fingerprint="bad-input",
        quarantine_dir=qdir,
        dry_run=True,
    )
    assert summary.read == len(outs)
    assert summary.reconciles
    SEEN.setdefault(source, Counter()).update(
        files=1,
        read=summary.read,
        loaded=summary.loaded,
        quarantined=summary.quarantined,
        skipped=summary.skipped,
    )
    rejections = [o for o in outs if isinstance(o, Rejection)]
    assert summary.quarantined >= len(rejections)
    for r in rejections:
        assert r.reason.strip() and r.position.strip()
    if summary.quarantined:
        assert summary.quarantine_file is not None
        lines = summary.quarantine_file.read_text(encoding="utf-8").splitlines()
        assert len(lines) == summary.quarantined
        for line in lines:
            q = json.loads(line)
            assert q["reason"].strip() and q["position"].strip()
    return summary


# --- trust CSV extracts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Extract:
    """A documented extract: header, one valid row, and which fields are checked how (the
    header and the kinds of field come from the one description, loaders/formats_data.py)."""

    name: str
    header: list[str]
    good: dict[str, str]
    unique: str  # a key field made unique per row
    required: tuple[str, ...]
    dates: tuple[str, ...] = ()
    trust_ods: tuple[str, ...] = ()
    site_ods: tuple[str, ...] = ()
    coded: dict[str, str] = field(default_factory=dict)  # field -> code list
    ints: tuple[str, ...] = ()
    bools: tuple[str, ...] = ()
    person: bool = False  # NHS number, names, postcode: a bad NHS number does not reject


def _extract(name: str, good: dict[str, str], unique: str) -> Extract:
    fmt = FORMATS[name]
    assert set(good) <= set(fmt.header), name
    # no --source is given here, so provider_ods is required wherever the extract has it
    required = sorted(fmt.required | ({"provider_ods"} & set(fmt.header)))
    return Extract(
        name,
        fmt.header,
        {c: good.get(c, "") for c in fmt.header},
        unique,
        tuple(required),
        dates=fmt.of_type("date"),
        trust_ods=fmt.of_type("trust_ods"),
        site_ods=fmt.of_type("site_ods"),
        coded=fmt.coded(),
        ints=fmt.of_type("integer"),
        bools=fmt.of_type("boolean"),
        person="nhs_number" in fmt.header and name != "opt_outs",
    )


PERSON = dict(
    provider_ods="R0A",
    local_patient_id="R0A-0100000",
    nhs_number="9990987025",
    given_name="Mia",
    family_name="Patel",
    birth_date="1978-01-09",
    sex="2",
    postcode="WN18 0DX",
    address_line="15 Oak Street",
)
EXTRACTS = [
    _extract(
        "waiting_list",
        dict(
            PERSON,
            ppid="PW00000000",
            ppid_issuer_ods="R0A",
            referral_id="RF00000000",
            referral_received_date="2025-06-27",
            source_of_referral="03",
            tfc="502",
            priority_type="1",
            wl_entry_id="WL00000000",
            waiting_list_type="IRTT",
            decided_to_admit_date="2025-07-08",
            intended_management="2",
            event_seq="1",
            status_code="10",
            activity_date="2025-06-27",
        ),
        unique="ppid",
    ),
    _extract(
        "outpatient_appointments",
        dict(
            PERSON,
            appointment_id="AP00000000",
            ppid="PW00000000",
            ppid_issuer_ods="R0A",
            site_ods="R0A01",
            appointment_date="2025-07-17",
            first_attendance="1",
            attended_or_dna="5",
            outcome_of_attendance="2",
            tfc="502",
            consultation_medium="02",
        ),
        unique="appointment_id",
    ),
    _extract(
        "staff",
        dict(
            provider_ods="R0A",
            staff_local_id="E00001",
            role_code="REG",
            role_name="Specialty registrar",
            main_specialty_code="110",
            active="Y",
        ),
        unique="staff_local_id",
    ),
    _extract(
        "rosters",
        dict(
            provider_ods="R0A",
            shift_id="SH0000001",
            staff_local_id="E00001",
            site_ods="R0A02",
            shift_date="2026-03-30",
            start_time="20:00",
            end_time="08:00",
            shift_type="night",
        ),
        unique="shift_id",
    ),
    _extract(
        "wards_beds",
        dict(
            provider_ods="R0A",
            site_ods="R0A01",
            ward_code="W01",
            ward_name="Ward 1",
            bed_code="B01",
            bed_type="general",
            status="occupied",
        ),
        unique="bed_code",
    ),
    _extract(
        "theatre_sessions",
        dict(
            provider_ods="R0A",
            site_ods="R0A01",
            theatre_code="TH1",
            theatre_name="Theatre 1",
            theatre_type="main",
            session_id="R0A01-TH1-2026-03-18-AM",
            session_date="2026-03-18",
            am_pm="AM",
            session_type="Elective",
            status="completed",
            planned_minutes="240",
            booked_minutes="210",
            used_minutes="180",
            tfc="130",
        ),
        unique="session_id",
    ),
    _extract(
        "theatre_bookings",
        dict(
            provider_ods="R0A",
            booking_id="BK0000001",
            session_id="R0A01-TH1-2026-04-01-AM",
            wl_entry_id="WL00000305",
            booking_status="booked",
            expected_minutes="120",
            cancelled_on_the_day="N",
        ),
        unique="booking_id",
    ),
    _extract(
        "supplier_contracts",
        dict(
            buyer_ods="RM3",
            ocid="ocds-synth-RM3-00",
            title="Electronic patient record",
            supplier_id="SUP-0001",
            supplier_name="Meridian Health Records Ltd",
            product_id="PRD-0001",
            product_name="Electronic patient record",
            value_amount="16372000",
            currency="GBP",
            start_date="2022-03-31",
            end_date="2027-03-30",
        ),
        unique="ocid",
    ),
    _extract(
        "data_processing_agreements",
        dict(
            dpa_id="DPA-RM3-00",
            controller_ods="RM3",
            processor_supplier_id="SUP-0001",
            sub_processor_supplier_ids="SUP-0003",
            product_id="PRD-0001",
            contract_ocid="ocds-synth-RM3-00",
            purposes="direct care",
            data_categories="demographics;health",
            effective_from="2022-03-31",
            effective_to="2027-03-30",
        ),
        unique="dpa_id",
    ),
    _extract("opt_outs", {"nhs_number": "9994091131"}, unique=""),
]
assert [e.name for e in EXTRACTS] != [] and {e.name for e in EXTRACTS} == set(FORMATS)
BY_NAME = {e.name: e for e in EXTRACTS}
SITE_RE = re.compile(r"^[A-Z0-9]{5}$")
TRUST_RE = re.compile(r"^(?:[A-Z0-9]{3}|[A-Z0-9]{5})$")


def _not_iso_date(v: str) -> bool:
    try:
        date.fromisoformat(v.strip())
    except ValueError:
        return bool(v.strip())
    return False


def _not_int(v: str) -> bool:
    try:
        int(v.strip())
    except ValueError:
        return bool(v.strip())
    return False


CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
BAD_DATES = st.one_of(
    st.sampled_from(
        ["2026-02-30", "2025-13-01", "31/12/2025", "2025-1-1", "yesterday", "0000-00-00"]
    ),
    CELL_TEXT,
).filter(_not_iso_date)
BAD_INTS = st.one_of(st.sampled_from(["12.5", "ten", "1e3", "--3"]), CELL_TEXT).filter(_not_int)
BAD_BOOLS = st.one_of(st.sampled_from(["maybe", "2", "YN", "T"]), CELL_TEXT).filter(
    lambda v: (
        v.strip() != ""
        and v.strip().upper() not in {"Y", "YES", "TRUE", "1", "N", "NO", "FALSE", "0"}
    )
)


@dataclass(frozen=True)
class Fault:
    kind: (
        str  # date | trust_ods | site_ods | code | int | bool | missing | short | long | nhs | text
    )
    field: str | None
    value: str | int | None = None

    @property
    def must_reject(self) -> bool:
        return self.kind not in {"nhs", "text", "short"}


def faults_for(ex: Extract) -> st.SearchStrategy[Fault]:
    options: list[st.SearchStrategy[Fault]] = [
        st.builds(
            Fault, st.just("missing"), st.sampled_from(ex.required), st.sampled_from(["", "  "])
        ),
        st.builds(Fault, st.just("short"), st.none(), st.integers(1, max(1, len(ex.header) - 1))),
        st.builds(Fault, st.just("long"), st.none(), st.integers(1, 3)),  # extra cells
        st.builds(Fault, st.just("text"), st.sampled_from(ex.header), CELL_TEXT),
    ]
    if ex.dates:
        options.append(st.builds(Fault, st.just("date"), st.sampled_from(ex.dates), BAD_DATES))
    if ex.trust_ods:
        bad = st.text(max_size=8).filter(
            lambda v: v.strip() and not TRUST_RE.match(v.strip().upper())
        )
        options.append(st.builds(Fault, st.just("trust_ods"), st.sampled_from(ex.trust_ods), bad))
    if ex.site_ods:
        bad = st.text(max_size=8).filter(
            lambda v: v.strip() and not SITE_RE.match(v.strip().upper())
        )
        options.append(st.builds(Fault, st.just("site_ods"), st.sampled_from(ex.site_ods), bad))
    coded = [f for f, scheme in ex.coded.items() if CTX.code_lists.get(scheme)]
    if coded:
        options.append(
            st.sampled_from(coded).flatmap(
                lambda f: st.builds(
                    Fault,
                    st.just("code"),
                    st.just(f),
                    st.text(max_size=6).filter(
                        lambda v, f=f: (
                            v.strip() != ""
                            and v.strip().upper()
                            not in {"M", "F", "U", "MALE", "FEMALE", "UNKNOWN"}
                            and v.strip() not in CTX.code_lists[ex.coded[f]]
                        )
                    ),
                )
            )
        )
    if ex.ints:
        options.append(st.builds(Fault, st.just("int"), st.sampled_from(ex.ints), BAD_INTS))
    if ex.bools:
        options.append(st.builds(Fault, st.just("bool"), st.sampled_from(ex.bools), BAD_BOOLS))
    if ex.person or ex.name == "opt_outs":
        options.append(
            st.builds(Fault, st.just("nhs"), st.just("nhs_number"), invalid_nhs_numbers())
        )
    return st.one_of(options)


@st.composite
def csv_files(draw: st.DrawFn, ex: Extract) -> tuple[list[list[str]], list[Fault | None], Identity]:
    """Rows (cells) of one extract file, the fault of each row (None: good), the identity."""
    who = draw(identities)
    faults = draw(st.lists(st.one_of(st.none(), faults_for(ex)), min_size=1, max_size=12))
    rows: list[list[str]] = []
    for i, fault in enumerate(faults):
        row = dict(ex.good)
        if ex.unique:
            row[ex.unique] = f"{row[ex.unique]}-{i}"
        if ex.person:
            row.update(
                given_name=who.given_name, family_name=who.family_name, postcode=who.postcode
            )
            row["nhs_number"] = who.nhs_number
        if ex.name == "opt_outs" and is_valid_nhs(who.nhs_number):
            row["nhs_number"] = who.nhs_number
        cells = [row[c] for c in ex.header]
        if fault is not None:
            if fault.kind == "short":
                assert isinstance(fault.value, int)
                cells = cells[: fault.value]
            elif fault.kind == "long":
                assert isinstance(fault.value, int)
                cells = [*cells, *(["extra"] * fault.value)]
            else:
                assert fault.field is not None and isinstance(fault.value, str)
                cells[ex.header.index(fault.field)] = fault.value
        rows.append(cells)
    return rows, faults, who


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> list[int]:
    """Write the file; return the line number the reader reports for each row."""
    buf = io.StringIO()
    w = csv.writer(buf)  # lineterminator \r\n: cells holding \r or \n are quoted
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    reader = csv.reader(io.StringIO(buf.getvalue(), newline=""))
    next(reader)
    ends = []
    for _ in reader:
        ends.append(reader.line_num)
    return ends


def check_csv_file(ex: Extract, rows: list[list[str]], faults: list[Fault | None], who: Identity,
                   caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.clear()
    with scratch() as tmp:
        path = tmp / f"{ex.name}.csv"
        lines = write_csv(path, ex.header, rows)
        outs = list(trust_csv.outcomes([path], CTX))
        summary = load_dry("csv", outs, tmp / "q")
        kept = range(len(rows))
        assert len(outs) == len(rows)
        by_pos = {o.position: o for o in outs}
        assert len(by_pos) == len(outs)
        for i in kept:
            pos = f"{path.name}:{lines[i]}"
            assert pos in by_pos, f"row {i} has no outcome"
            o, fault = by_pos[pos], faults[i]
            lost = (
                fault is not None
                and fault.kind == "short"
                and any(ex.header.index(r) >= int(fault.value or 0) for r in ex.required)
            )
            if fault is None:
                assert isinstance(o, MappedRecord), getattr(o, "reason", o)
            elif fault.must_reject or lost:
                assert isinstance(o, Rejection), f"{fault.kind} in {fault.field} was not rejected"
                if fault.field is not None and fault.kind not in {"short", "long"}:
                    assert o.field == fault.field
            elif fault.kind == "nhs" and ex.person:
                assert isinstance(o, MappedRecord)
                person = next(n for n in o.nodes if n.label == "PseudonymisedPerson")
                assert person.props["nhs_number_verified"] is False
                assert o.identities[0].nhs_number is None
            elif fault.kind == "nhs":  # an opt-out needs a valid number
                assert isinstance(o, Rejection) and o.field == "nhs_number"
        assert_no_leak(who.secrets(), summary, outs, caplog.text)


@pytest.mark.parametrize("name", [e.name for e in EXTRACTS])
@examples(70)
@given(data=st.data())
def test_csv_rows_with_faults(
    name: str, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ex = BY_NAME[name]
    rows, faults, who = data.draw(csv_files(ex))
    check_csv_file(ex, rows, faults, who, caplog)


@pytest.mark.parametrize("name", [e.name for e in EXTRACTS])
def test_csv_clean_rows_all_load(name: str, caplog: pytest.LogCaptureFixture) -> None:
    """The base rows above are valid, so the faults are what the mappers reject."""
    ex = BY_NAME[name]
    who = Identity("9434765919", "Abcxdef", "Ghiqjkl", "LS1 4AB")
    rows = [[ex.good[c] for c in ex.header]]
    check_csv_file(ex, rows, [None], who, caplog)


@pytest.mark.parametrize("name", ["waiting_list", "staff", "opt_outs"])
def test_csv_empty_and_header_only_files(name: str, tmp_path: Path) -> None:
    ex = BY_NAME[name]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"{ex.name}-EMPTY.csv").write_bytes(b"")
    (folder / f"{ex.name}-HEADER.csv").write_text(",".join(ex.header) + "\n")
    outs = list(trust_csv.outcomes([folder], CTX))
    summary = load_dry("csv", outs, tmp_path / "q")
    assert (summary.read, summary.loaded, summary.quarantined) == (0, 0, 0)
    # named explicitly, an empty file is a clear error (it matches no extract), not a crash
    from openfdp.loaders.errors import LoaderError  # noqa: PLC0415

    with pytest.raises(LoaderError, match="matches none of the trust extracts"):
        list(trust_csv.outcomes([folder / f"{ex.name}-EMPTY.csv"], CTX))


ENCODINGS = st.sampled_from(["latin-1", "cp1252"])
GARBAGE = st.binary(min_size=1, max_size=40).filter(lambda b: not _utf8(b))


def _utf8(b: bytes) -> bool:
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("name", ["waiting_list", "staff"])
@examples(30)
@given(data=st.data())
def test_csv_bytes_that_are_not_utf8_are_quarantined_not_raised(
    name: str, data: st.DataObject, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbage bytes in a row, or a file saved as Latin-1/CP1252: a rejection at that row,
    never an exception out of the load."""
    ex = BY_NAME[name]
    good = ",".join(ex.good[c] for c in ex.header)
    how = data.draw(st.sampled_from(["garbage-row", "encoding"]))
    if how == "garbage-row":
        body = (",".join(ex.header) + "\n" + good + "\n").encode() + data.draw(GARBAGE) + b"\n"
    else:
        text = ",".join(ex.header) + "\n" + good + "\n" + good.replace("R0A,", "R0A,é", 1)
        body = text.encode(data.draw(ENCODINGS)) + b"\n"
    with scratch() as tmp:
        path = tmp / f"{ex.name}.csv"
        path.write_bytes(body)
        outs = list(trust_csv.outcomes([tmp], CTX))
        summary = load_dry("csv", outs, tmp / "q")
        assert isinstance(outs[0], MappedRecord)
        rejected = [o for o in outs[1:] if isinstance(o, Rejection)]
        assert rejected, "undecodable bytes were neither loaded nor quarantined"
        assert all(r.position.startswith(f"{path.name}:") for r in rejected)
        assert summary.reconciles


def test_csv_file_in_utf16_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    """A UTF-16 file's header is unreadable as UTF-8: no extract matches it, so named on the
    command line it is a one-line error (and in a folder it is left alone, as documented)."""
    ex = BY_NAME["staff"]
    path = tmp_path / "staff.csv"
    path.write_bytes((",".join(ex.header) + "\n" + ",".join(ex.good.values())).encode("utf-16"))
    from openfdp.loaders.errors import UnknownExtract  # noqa: PLC0415

    with pytest.raises(UnknownExtract, match="matches none of the trust extracts"):
        list(trust_csv.outcomes([path], CTX))
    assert list(trust_csv.outcomes([tmp_path], CTX)) == []


def test_csv_row_with_more_cells_than_the_header_is_quarantined(tmp_path: Path) -> None:
    """A row with more cells than the header breaks RFC 4180 (docs/formats.md): the ODS
    reader rejects such rows ("more cells than header columns"), and so should this one.
    Today the extra cells are dropped without a trace and the row is loaded."""
    ex = BY_NAME["rosters"]
    path = tmp_path / "rosters.csv"
    rows = [
        "R0A,SH0000001,E00001,R0A02,2026-03-30,20:00,08:00,night",
        "R0A,SH0000002,E00001,R0A02,2026-03-31,20:00,08:00,night,day",  # 9 cells, 8 columns
    ]
    path.write_text(",".join(ex.header) + "\n" + "\n".join(rows) + "\n")
    outs = list(trust_csv.outcomes([path], CTX))
    assert isinstance(outs[0], MappedRecord)
    assert isinstance(outs[1], Rejection), "a row with an extra cell was loaded, the cell lost"
    assert outs[1].position == "rosters.csv:3"


# --- FHIR R4 --------------------------------------------------------------------------------

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"


def fhir_bundle(who: Identity, n: int = 0) -> dict[str, Any]:
    """A small valid transaction bundle: trust, patient, encounter, condition, procedure."""
    pid, eid = f"pat-{n}", f"enc-{n}"
    entries = [
        {"resourceType": "Organization", "id": f"org-{n}", "name": "Leeds Teaching Hospitals",
         "identifier": [{"system": ODS_SYSTEM, "value": "RR8"}]},
        {"resourceType": "Patient", "id": pid,
         "identifier": [{"system": NHS_SYSTEM, "value": who.nhs_number}],
         "name": [{"family": who.family_name, "given": [who.given_name]}],
         "gender": "female", "birthDate": "1970-05-06",
         "address": [{"line": ["1 Street"], "postalCode": who.postcode}]},
        {"resourceType": "Encounter", "id": eid, "status": "finished",
         "class": {"code": "IMP"}, "subject": {"reference": f"Patient/{pid}"},
         "serviceProvider": {"reference": f"Organization/org-{n}"},
         "period": {"start": "2025-01-02T10:00:00Z", "end": "2025-01-03T10:00:00Z"}},
        {"resourceType": "Condition", "id": f"cond-{n}",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "N39.3"}]},
         "subject": {"reference": f"Patient/{pid}"},
         "encounter": {"reference": f"Encounter/{eid}"}, "recordedDate": "2025-01-02"},
        {"resourceType": "Procedure", "id": f"proc-{n}", "status": "completed",
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "80146002"}]},
         "subject": {"reference": f"Patient/{pid}"},
         "encounter": {"reference": f"Encounter/{eid}"}, "performedDateTime": "2025-01-02"},
    ]  # fmt: skip
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{n}", "resource": r} for r in entries
        ],
    }


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=10),
)  # fmt: skip
JSON = st.recursive(
    JSON_SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)
RESOURCE_TYPES = ["Patient", "Encounter", "Condition", "Procedure", "Organization"]


@dataclass(frozen=True)
class FhirFault:
    kind: str  # drop | retype | dangling | no_type | no_id | junk_entry
    index: int  # which entry (0..4)
    path: str = ""
    value: Any = None


FHIR_FIELDS = {
    "Organization": ["identifier", "name", "identifier.0.value"],
    "Patient": ["identifier", "name", "birthDate", "gender", "address", "identifier.0"],
    "Encounter": ["subject", "class", "period", "serviceProvider", "period.start"],
    "Condition": ["code", "subject", "encounter", "recordedDate", "code.coding.0.code"],
    "Procedure": ["code", "subject", "encounter", "performedDateTime", "code.coding.0.system"],
}
DANGLING = ["Patient/nope", "Organization/404", "urn:uuid:x", "Encounter/", "", "%%%", "http://x/y"]
REF_FIELDS = {2: ["subject", "serviceProvider"], 3: ["subject", "encounter"], 4: ["encounter"]}


@st.composite
def fhir_faults(draw: st.DrawFn) -> FhirFault:
    kind = draw(st.sampled_from(["drop", "retype", "dangling", "no_type", "no_id", "junk_entry"]))
    if kind == "dangling":
        index = draw(st.sampled_from(sorted(REF_FIELDS)))
        where = draw(st.sampled_from(REF_FIELDS[index]))
        return FhirFault(kind, index, where, draw(st.sampled_from(DANGLING)))
    index = draw(st.integers(0, 4))
    path = draw(st.sampled_from(FHIR_FIELDS[RESOURCE_TYPES[index]]))
    return FhirFault(kind, index, path, draw(JSON) if kind in {"retype", "junk_entry"} else None)


def _set(obj: Any, path: str, value: Any, *, drop: bool = False) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        obj = obj[int(p)] if isinstance(obj, list) else obj[p]
    last = parts[-1]
    if not isinstance(obj, list | dict):  # e.g. an entry an earlier fault made junk
        raise TypeError(f"no field {last!r} in a {type(obj).__name__}")
    if isinstance(obj, list):
        if drop:
            del obj[int(last)]
        else:
            obj[int(last)] = value
    elif drop:
        obj.pop(last, None)
    else:
        obj[last] = value


def apply_fhir_fault(bundle: dict[str, Any], f: FhirFault) -> None:
    entry = bundle["entry"][f.index]
    res = entry["resource"]
    if f.kind == "drop":
        _set(res, f.path, None, drop=True)
    elif f.kind == "retype":
        _set(res, f.path, f.value)
    elif f.kind == "dangling":
        res[f.path] = {"reference": f.value}
    elif f.kind == "no_type":
        del res["resourceType"]
    elif f.kind == "no_id":
        del res["id"]
        entry.pop("fullUrl")
    elif f.kind == "junk_entry":
        entry["resource"] = (
            f.value if not isinstance(f.value, dict) else {**f.value, "resourceType": 7}
        )


def check_fhir(
    folder: Path, secrets: list[str], caplog: pytest.LogCaptureFixture
) -> tuple[list[Outcome], LoadSummary]:
    caplog.clear()
    outs = list(fhir.outcomes([folder], CTX))
    summary = load_dry("fhir", outs, folder.parent / "q")
    assert_no_leak(secrets, summary, outs, caplog.text)
    return outs, summary


@examples(350)
@given(who=identities, faults=st.lists(fhir_faults(), max_size=3), n=st.integers(0, 3))
@example(  # an entry made junk, then a field of it dropped (found by a run of this test)
    who=Identity("9990000018", "Aaaqaaa", "Aaaqaaa", "A0 0AA"),
    faults=[FhirFault("junk_entry", 0, "identifier", None), FhirFault("drop", 0, "identifier")],
    n=0,
)
def test_fhir_resources_with_faults(
    who: Identity, faults: list[FhirFault], n: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bundle = fhir_bundle(who, n)
    for f in faults:
        with contextlib.suppress(KeyError, IndexError, TypeError, ValueError):
            apply_fhir_fault(bundle, f)
    with scratch() as tmp:
        (tmp / "in").mkdir()
        (tmp / "in" / "bundle.json").write_text(json.dumps(bundle))
        outs, _ = check_fhir(tmp / "in", who.secrets(), caplog)
    assert len(outs) == len(bundle["entry"])
    positions = {o.position: o for o in outs}
    for i, entry in enumerate(bundle["entry"]):
        o = positions[f"in/bundle.json#entry[{i}]"]
        res = entry.get("resource")
        if res is None:  # documented: an entry without a resource (a request) is Skipped
            assert isinstance(o, Skipped)
        elif not isinstance(res, dict) or not isinstance(res.get("resourceType"), str):
            assert isinstance(o, Rejection) and o.field == "resourceType"
        elif res["resourceType"] in RESOURCE_TYPES and not res.get("id"):
            assert isinstance(o, Rejection)
        if not faults:
            assert isinstance(o, MappedRecord), getattr(o, "reason", o)
    for f in faults:
        if f.kind == "dangling" and f.value and f.index == 2 and f.path == "subject":
            o = positions[f"in/bundle.json#entry[{f.index}]"]
            res = bundle["entry"][f.index]["resource"]
            if isinstance(res, dict) and res.get("id") and isinstance(res.get("resourceType"), str):
                assert isinstance(o, Rejection), "an encounter whose subject is unknown was loaded"


@examples(150)
@given(who=identities, cut=st.floats(0.0, 0.999), n=st.integers(1, 3))
def test_fhir_truncated_bundles(
    who: Identity, cut: float, n: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    entries = [e for i in range(n) for e in fhir_bundle(who, i)["entry"]]
    text = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    cut_at = int(len(text) * cut)
    with scratch() as tmp:
        (tmp / "in").mkdir()
        (tmp / "in" / "b.json").write_text(text[:cut_at])
        outs, _ = check_fhir(tmp / "in", who.secrets(), caplog)
    broken = [o for o in outs if isinstance(o, Rejection) and "JSON" in o.reason]
    assert len(broken) == 1, "a truncated bundle must end in exactly one rejection"
    assert broken[0].position.startswith("in/b.json")
    assert len(outs) <= len(entries) + 1


@examples(200)
@given(doc=JSON, raw=st.binary(max_size=200), how=st.sampled_from(["json", "bytes", "entries"]))
def test_fhir_random_json_and_bytes(
    doc: Any, raw: bytes, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    with scratch() as tmp:
        (tmp / "in").mkdir()
        target = tmp / "in" / "x.json"
        if how == "json":
            target.write_text(json.dumps(doc))
        elif how == "bytes":
            target.write_bytes(raw)
        else:
            target.write_text(
                json.dumps({"resourceType": "Bundle", "entry": [doc, {"resource": doc}]})
            )
        outs, summary = check_fhir(tmp / "in", [], caplog)
    assert summary.read == len(outs) >= (0 if how == "json" else 1)


# --- HL7 v2 ---------------------------------------------------------------------------------

HL7_TEMPLATE = [
    "MSH|^~\\&|PAS|RCB|ROUTE|ROUTE|201011011512||ADT^A04^ADT_A01|{ctl}|P|2.4||201011011512|||"
    "GBR|UNICODE|EN||iTKv1.0",
    "EVN||201011011512|||111111111^Cortana^Emily^^Miss^^RCB55|201001111512",
    "PID|1||{nhs}^^^NHS||{family}^{given}^J^^MRS^^L||196512131515|2|||"
    "29 WEST AVENUE^BURYTHORPE^MALTON^NORTH YORKSHIRE^{postcode}^GBR^H",
    "PD1|||MALTON GP PRACTICE^^Y06601",
    "PV1|57|O|West Wing^RCB-AWRD^BED2^RCB55|13|||C3456789^Darwin^Samuel^^^Dr^^^GMC||||||||19|||"
    "OUTPATIENT|2141^^^VISITID|||||||||||||||||||||||||201011011600",
    "PR1|56||U19.2^24 hour ambulatory electrocardiography^OPCS4||201011011512|D|1440",
]  # fmt: skip


@dataclass(frozen=True)
class Hl7Fault:
    kind: str  # no_msh | no_pid | junk_segment | truncate | bad_ts | no_control_id | random_line
    value: Any = None


SEGMENT = st.from_regex(r"\A[A-Y][A-Z0-9]{2}\|[ -~]{0,30}\Z")
LINE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
HL7_FAULTS = st.one_of(
    st.builds(Hl7Fault, st.sampled_from(["no_msh", "no_pid", "no_control_id", "bad_ts", "no_pv1"])),
    st.builds(Hl7Fault, st.just("junk_segment"), SEGMENT),
    st.builds(Hl7Fault, st.just("random_line"), LINE),
    st.builds(Hl7Fault, st.just("truncate"), st.floats(0.05, 0.95)),
)
MUST_REJECT = {"no_pid", "no_control_id", "bad_ts", "no_pv1"}


def hl7_message(who: Identity, n: int, fault: Hl7Fault | None) -> list[str]:
    segs = [
        s.format(
            ctl=f"CTL{n:06d}", nhs=who.nhs_number, family=who.family_name.upper(),
            given=who.given_name.upper(), postcode=who.postcode,
        )
        for s in HL7_TEMPLATE
    ]  # fmt: skip
    if fault is None:
        return segs
    if fault.kind == "no_msh":
        return segs[1:]
    if fault.kind == "no_pid":
        return [s for s in segs if not s.startswith("PID")]
    if fault.kind == "no_pv1":
        return [s for s in segs if not s.startswith("PV1")]
    if fault.kind == "no_control_id":
        msh = segs[0].split("|")
        msh[9] = ""
        return ["|".join(msh), *segs[1:]]
    if fault.kind == "bad_ts":
        return [s.replace("201011011600", "20101301XX00") for s in segs]
    if fault.kind == "junk_segment":
        return [*segs[:3], str(fault.value), *segs[3:]]
    if fault.kind == "random_line":
        return [*segs[:2], str(fault.value).replace("\r", "").replace("\n", ""), *segs[2:]]
    text = "\r".join(segs)
    return [text[: max(1, int(len(text) * float(fault.value)))]]


@examples(300)
@given(
    who=identities,
    faults=st.lists(st.one_of(st.none(), HL7_FAULTS), min_size=1, max_size=8),
    terminator=st.sampled_from(["\r", "\n", "\r\n", "\n\r"]),
    framing=st.booleans(),
)
def test_hl7_messages_with_faults(
    who: Identity,
    faults: list[Hl7Fault | None],
    terminator: str,
    framing: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    chunks = []
    for n, fault in enumerate(faults):
        body = terminator.join(hl7_message(who, n, fault)) + terminator
        chunks.append(f"\x0b{body}\x1c\r" if framing else body)
    caplog.clear()
    with scratch() as tmp:
        (tmp / "in").mkdir()
        (tmp / "in" / "adt.hl7").write_bytes("".join(chunks).encode("utf-8"))
        outs = list(hl7v2.outcomes([tmp / "in"], CTX))
        summary = load_dry("hl7", outs, tmp / "q")
        assert_no_leak(who.secrets(), summary, outs, caplog.text)
    # messages start at MSH: a message without one joins the one before it (or stands alone)
    starts = sum(1 for f in faults if f is None or f.kind not in {"no_msh", "truncate"})
    assert len(outs) >= starts
    simple = all(f is None or f.kind in MUST_REJECT | {"junk_segment"} for f in faults)
    if simple:
        assert len(outs) == len(faults)
        for o, f in zip(outs, faults, strict=True):
            assert o.position == f"in/adt.hl7#msg{outs.index(o) + 1}"
            if f is None:
                assert isinstance(o, MappedRecord), getattr(o, "reason", o)
            elif f.kind in MUST_REJECT:
                assert isinstance(o, Rejection), f"{f.kind} was not rejected"


@examples(200)
@given(raw=st.binary(max_size=300), prefix=st.sampled_from([b"", b"MSH|^~\\&|", b"MSH|", b"PID|"]))
def test_hl7_random_bytes(raw: bytes, prefix: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with scratch() as tmp:
        (tmp / "in").mkdir()
        (tmp / "in" / "x.hl7").write_bytes(prefix + raw)
        outs = list(hl7v2.outcomes([tmp / "in"], CTX))
        load_dry("hl7", outs, tmp / "q")
    for o in outs:
        if not isinstance(o, MappedRecord):
            assert o.position.startswith("in/x.hl7")
