"""Persons across instances (docs/federation.md, "Identity across instances").

A product names each person by a *shared reference*, keyed with the ICS linkage key: from
the keyed token of the verified NHS number (the evidence store's ``id_tok``, which every
trust of the ICS computes alike) when the person has one, else from the sender's ODS code
and its own pseudo_id. The receiver turns the reference into a pseudo_id of its own domain.
Trust-domain pseudo_ids never leave the trust.
"""

from __future__ import annotations

import hashlib
import hmac

from openfdp.loaders.privacy import Pseudonymiser


#: the token kind of a receiver's pseudo_id of a shared reference
RECEIVER_KIND = "shared_ref"


def shared_ref(ps: Pseudonymiser, *, sender_ods: str, pseudo_id: str, id_tok: str | None) -> str:
    """The shared reference of a person of the sender (64 hex digits)."""
    if id_tok:
        msg = f"{ps.linkage_domain}|shared:nhs:{id_tok}"
    else:
        msg = f"local|{sender_ods}:{pseudo_id}"
    return hmac.new(ps.linkage_key, msg.encode(), hashlib.sha256).hexdigest()


def receiver_person_key(ps: Pseudonymiser, person_ref: str) -> dict[str, str]:
    """The receiver's PseudonymisedPerson key of a shared reference."""
    return ps.person_key(ps.token(RECEIVER_KIND, person_ref))
