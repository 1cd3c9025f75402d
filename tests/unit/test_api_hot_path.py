"""The API's per-request savings keep their guarantees: a cached token still expires and is
never trusted under other settings; group-committed audit events are each durable before
their request is answered, and a failed batch refuses every request in it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from openfdp.api.errors import ServiceUnavailableError, Unauthenticated
from openfdp.services import auth
from openfdp.services.audit import AuditTrail, OperationInfo
from openfdp.services.context import Principal
from openfdp.settings import Settings
from openfdp.store.audit_log import AuditLog
from tests.conftest import make_test_settings

pytestmark = pytest.mark.unit


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return make_test_settings(state_dir=tmp_path / "state")


def test_cached_token_expires(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    token = auth.mint_token(settings, "u", "RR8", ["trust_user"], "direct_care", 60)
    assert auth.verify_token(settings, token).subject == "u"
    checks: list[str] = []

    def check_again(s: Settings, t: str) -> dict[str, object]:
        checks.append(t)
        raise Unauthenticated("token has expired; request a new one")

    monkeypatch.setattr(auth, "_verified_claims", check_again)
    assert auth.verify_token(settings, token).subject == "u"  # from the cache
    assert checks == []
    later = auth.time.time() + 60 + auth._LEEWAY_S + 5
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(Unauthenticated, match="expired"):
        auth.verify_token(settings, token)
    assert checks == [token], "past its expiry the token is checked again, not served"


def test_cached_token_is_not_trusted_under_another_secret(settings: Settings) -> None:
    token = auth.mint_token(settings, "u", "RR8", ["trust_user"], "direct_care", 600)
    assert auth.verify_token(settings, token).organisation == "RR8"
    api = settings.api.model_copy(update={"jwt_secret": SecretStr("another-secret-" * 3)})
    other = settings.model_copy(update={"api": api})
    with pytest.raises(Unauthenticated, match="signature"):
        auth.verify_token(other, token)


def test_token_cache_is_bounded() -> None:
    cache = auth.VerifiedTokens(maxsize=3)
    who = Principal("s", "RR8", frozenset({"trust_user"}), "direct_care")
    for i in range(10):
        cache.put((f"t{i}",), who, 4_000_000_000)
    assert len(cache._entries) <= 3
    assert cache.get(("t9",)) == who


def _principal(i: int) -> Principal:
    return Principal(f"user-{i}", "RR8", frozenset({"trust_user"}), "direct_care")


def test_concurrent_events_share_batches_and_all_chain(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "audit")
    batches: list[int] = []
    append_many = trail.log.append_many

    def counting(events):  # type: ignore[no-untyped-def]
        batches.append(len(events))
        return append_many(events)

    trail.log.append_many = counting  # type: ignore[method-assign]

    async def run() -> list[dict[str, object]]:
        return await asyncio.gather(
            *(
                trail.write(_principal(i), OperationInfo(), outcome="ok", status=200)
                for i in range(40)
            )
        )

    stored = asyncio.run(run())
    assert sum(batches) == 40
    assert len(batches) < 40, "events written while a batch was in flight shared one"
    assert sorted(int(e["seq"]) for e in stored) == list(range(40))  # type: ignore[call-overload]
    subjects = [e["subject"] for e in AuditLog(tmp_path / "audit").events()]
    assert sorted(subjects) == sorted(f"user-{i}" for i in range(40))
    assert AuditLog(tmp_path / "audit").verify().ok
    trail.close()


def test_failed_batch_refuses_every_request_in_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    trail = AuditTrail(blocker / "audit")

    async def run() -> list[object]:
        return await asyncio.gather(
            *(
                trail.write(_principal(i), OperationInfo(), outcome="ok", status=200)
                for i in range(5)
            ),
            return_exceptions=True,
        )

    results = asyncio.run(run())
    assert all(isinstance(r, ServiceUnavailableError) for r in results)
