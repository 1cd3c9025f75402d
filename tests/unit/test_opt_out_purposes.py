"""Fail closed on purposes (National Data Opt-out operational policy guidance: the opt-out
applies to any use beyond individual care; domain-fdp.md §4.2): only direct care sees
opted-out persons, and a purpose the access policy does not know gets the strictest
scope (nothing record-level, no aggregates, opted-out persons excluded)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from openfdp.services.access import resolve_scope
from openfdp.services.context import AccessScope, Principal
from tests.conftest import make_test_settings

pytestmark = pytest.mark.unit


def _scope(role: str, purpose: str) -> AccessScope:
    principal = Principal("u1", "RR8", frozenset({role}), cast(Any, purpose))
    return asyncio.run(resolve_scope(principal, cast(Any, None), make_test_settings()))


@pytest.mark.parametrize("purpose", ["service_evaluation", "public", "commissioning", ""])
def test_an_unknown_purpose_gets_the_strictest_scope(purpose: str) -> None:
    scope = _scope("trust_user", purpose)
    assert scope.exclude_opted_out is True
    assert scope.record_level is False
    assert scope.providers == frozenset()
    assert scope.aggregate_providers == frozenset()


@pytest.mark.parametrize(("purpose", "excluded"), [
    ("direct_care", False), ("planning", True), ("research", True),
])  # fmt: skip
def test_only_direct_care_includes_opted_out_persons(purpose: str, excluded: bool) -> None:
    scope = _scope("trust_user", purpose)
    assert scope.exclude_opted_out is excluded
    assert scope.providers == frozenset({"RR8"})
