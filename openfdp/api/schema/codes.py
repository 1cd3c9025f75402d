"""Labels of NHS codes, from the ontology's code lists (compiled once per process)."""

from __future__ import annotations

from openfdp.ontology import load_ontology

# RTT period status code -> its effect on the 18-week clock (domain-fdp.md §2.1).
CLOCK_EFFECT = {
    **dict.fromkeys(("10", "11", "12"), "START"),
    **dict.fromkeys(("20", "21"), "CONTINUE"),
    **dict.fromkeys(("30", "31", "32", "33", "34", "35", "36"), "STOP"),
    **dict.fromkeys(("90", "91", "92", "98"), "NOT_RTT"),
}


def label(scheme: str, code: str | None) -> str | None:
    """The display label of ``code`` in code list ``scheme`` (None when unknown)."""
    if code is None:
        return None
    schemes = load_ontology().schemes
    found = schemes.get(scheme)
    return found.codes.get(code) if found is not None else None
