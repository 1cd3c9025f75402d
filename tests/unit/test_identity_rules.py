"""Identity rules at the boundary: placeholder NHS numbers, ASCII digits only, HL7 v2 character
sets (MSH-18). Each test names the rule it checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfdp.loaders.mapping.trust_csv_common import Line, person
from openfdp.loaders.mapping.trust_csv_patient import map_opt_out
from openfdp.loaders.model import MapContext, MappedRecord, Rejection
from openfdp.loaders.privacy import (
    Pseudonymiser,
    is_placeholder_nhs_number,
    nhs_number_is_valid,
    normalise_nhs_number,
)
from openfdp.loaders.readers import hl7v2

pytestmark = pytest.mark.unit
CTX = MapContext(Pseudonymiser(b"identity-key", "identity-domain"))
VALID = "9990987025"  # a valid test number (999 range)


def _mod11(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


@pytest.mark.parametrize("dummy", ["0000000000", "1111111111", "3333333333", "9999999999"])
def test_dd_nhs_number_placeholders_pass_modulus_11_but_are_never_valid(dummy: str) -> None:
    """NHS NUMBER placeholders (one repeated digit, and the 0123456789/9876543210 runs) pass
    the Modulus 11 arithmetic, yet identify no-one: never a verified identity."""
    assert _mod11(dummy), "the point of the rule: Modulus 11 alone accepts it"
    assert is_placeholder_nhs_number(dummy) and not nhs_number_is_valid(dummy)
    assert nhs_number_is_valid(VALID) and not is_placeholder_nhs_number(VALID)


def _line(provider: str, local: str, nhs: str) -> Line:
    row = {"provider_ods": provider, "local_patient_id": local, "nhs_number": nhs}
    return Line("waiting_list", "wl.csv", 2, row)


def test_placeholder_nhs_number_is_missing_flagged_and_never_linked_on() -> None:
    """Placeholder NHS numbers are treated as missing, flagged, and never linked on: two
    people at two trusts with the same placeholder stay two people, with no NHS number in
    their identity evidence (verified or not)."""
    a, ev_a = person(_line("RJ1", "L1", "000 000 0000"), CTX, "RJ1")
    b, ev_b = person(_line("RXX", "L9", "0000000000"), CTX, "RXX")
    assert a.key != b.key
    for node, ev in ((a, ev_a), (b, ev_b)):
        assert node.props["nhs_number_verified"] is False
        assert node.props["nhs_number_placeholder"] is True
        assert ev.nhs_number is None and ev.unverified_nhs_number is None
    real, _ = person(_line("RJ1", "L1", VALID), CTX, "RJ1")
    assert "nhs_number_placeholder" not in real.props


def test_opt_out_with_a_placeholder_nhs_number_is_quarantined() -> None:
    """A National Data Opt-out is keyed by the NHS number: a placeholder opts no-one out."""
    out = map_opt_out(Line("opt_outs", "o.csv", 2, {"nhs_number": "9999999999"}), CTX)
    assert isinstance(out, Rejection) and "placeholder" in out.reason
    assert isinstance(map_opt_out(Line("opt_outs", "o.csv", 3, {"nhs_number": VALID}), CTX),
                      MappedRecord)  # fmt: skip


@pytest.mark.parametrize(
    "digits",
    [
        "٩٩٩٠٩٨٧٠٢٥",  # Arabic-Indic digits of 9990987025
        "۹۹۹۰۹۸۷۰۲۵",  # extended Arabic-Indic
        "９９９０９８７０２５",  # full-width
        "९९९०९८७०२५",  # Devanagari
    ],
)
def test_dd_nhs_number_is_ascii_digits_only(digits: str) -> None:
    """NHS NUMBER (Data Dictionary format n10) is ten ASCII digits: other Unicode digits,
    which Python's isdigit() accepts, are not an NHS number."""
    assert digits.isdigit() and int(digits) == int(VALID)
    assert normalise_nhs_number(digits) is None and not nhs_number_is_valid(digits)
    node, ev = person(_line("RJ1", "L1", digits), CTX, "RJ1")
    assert node.props["nhs_number_verified"] is False and ev.unverified_nhs_number is None


MSH = "MSH|^~\\&|PAS|RCB|||20240101120000||ADT^A28|{id}|P|2.4||||||{charset}\r"
PID = "PID|1||{nhs}^^^NHS^NH||{family}^ANNE||19700101|F\r"


def _hl7(tmp_path: Path, *messages: bytes) -> list[object]:
    path = tmp_path / "feed.hl7"
    path.write_bytes(b"".join(messages))
    return list(hl7v2.outcomes([path], CTX))


def _msg(charset: str, family: str, encoding: str, n: int = 1) -> bytes:
    text = MSH.format(id=f"M{n}", charset=charset) + PID.format(nhs=VALID, family=family)
    return text.encode(encoding)


def test_hl7_msh18_latin1_message_is_decoded_by_its_declared_character_set(
    tmp_path: Path,
) -> None:
    """HL7 v2 MSH-18 (table 0211): a message declaring 8859/1 is read as Latin-1, so the
    name keeps its accent instead of becoming U+FFFD."""
    (out,) = _hl7(tmp_path, _msg("8859/1", "BRONTË", "latin-1"))
    assert isinstance(out, MappedRecord)
    assert out.identities[0].family_name == "BRONTË"


def test_hl7_bytes_invalid_in_the_declared_character_set_are_quarantined(tmp_path: Path) -> None:
    """HL7 v2 MSH-18: bytes that do not decode in the declared set (here Latin-1 bytes in a
    message declaring UNICODE UTF-8) quarantine that message with the reason; the others
    load, and nothing is silently replaced."""
    bad = _msg("UNICODE UTF-8", "BRONTË", "latin-1", n=1)
    good = _msg("UNICODE UTF-8", "BRONTË", "utf-8", n=2)
    undeclared = _msg("", "BRONTË", "latin-1", n=3)  # default UTF-8: also not decodable
    first, second, third = _hl7(tmp_path, bad, good, undeclared)
    assert isinstance(first, Rejection) and first.field == "MSH-18"
    assert "UNICODE UTF-8" in first.reason and "BRONT" not in first.reason
    assert isinstance(second, MappedRecord)
    assert second.identities[0].family_name == "BRONTË"
    assert isinstance(third, Rejection) and "default" in third.reason


def test_hl7_unsupported_character_set_is_a_quarantine_reason(tmp_path: Path) -> None:
    (out,) = _hl7(tmp_path, _msg("ISO IR87", "SMITH", "ascii"))
    assert isinstance(out, Rejection) and "unsupported character set" in out.reason
