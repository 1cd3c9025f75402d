"""ICS membership is cached per app for a minute; empty answers are never kept."""

from __future__ import annotations

import asyncio

import pytest

from neo4j import Driver
from openfdp.services.access import MembershipCache
from openfdp.settings import Settings
from openfdp.store.driver import open_async_driver

pytestmark = pytest.mark.api


def _members(cache: MembershipCache, settings: Settings, icb: str) -> frozenset[str]:
    async def go() -> frozenset[str]:
        driver = open_async_driver(settings)
        try:
            return await cache.members(driver, icb, settings.neo4j.database)
        finally:
            await driver.close()

    return asyncio.run(go())


def test_membership_is_kept_then_expires(clean_graph: Driver, test_settings: Settings) -> None:
    clean_graph.execute_query(
        "CREATE (:Organisation:NHSTrust {ods_code: 'RX1'})-[:IN_ICB_GEOGRAPHY]->"
        "(:Organisation:ICB {ods_code: 'QX1'})"
    )
    cache = MembershipCache(ttl_s=3600)
    assert _members(cache, test_settings, "QX1") == {"RX1"}
    clean_graph.execute_query("MATCH (t:NHSTrust {ods_code: 'RX1'}) DETACH DELETE t")
    assert _members(cache, test_settings, "QX1") == {"RX1"}  # served from the cache
    assert _members(MembershipCache(ttl_s=0), test_settings, "QX1") == frozenset()


def test_empty_answers_are_not_kept(clean_graph: Driver, test_settings: Settings) -> None:
    cache = MembershipCache(ttl_s=3600)
    assert _members(cache, test_settings, "QX2") == frozenset()
    clean_graph.execute_query(
        "CREATE (:Organisation:NHSTrust {ods_code: 'RX2'})-[:IN_ICB_GEOGRAPHY]->"
        "(:Organisation:ICB {ods_code: 'QX2'})"
    )
    assert _members(cache, test_settings, "QX2") == {"RX2"}
