from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from openfdp.settings import DEV_HMAC_KEY, GIB, Neo4jSettings, Settings, auto_memory
from openfdp.store.local_server_setup import java_command

pytestmark = pytest.mark.unit


def test_defaults_are_development_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    s = Settings()
    assert s.mode == "development"
    assert s.neo4j.external is False
    assert s.neo4j.effective_uri == "bolt://127.0.0.1:7687"
    assert s.privacy.hmac_key.get_secret_value() == DEV_HMAC_KEY
    assert DEV_HMAC_KEY not in repr(s)  # secrets are masked in reprs and logs


def test_neo4j_uri_env_selects_an_external_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://db.example.internal:7687")
    monkeypatch.setenv("NEO4J_PASSWORD", "from-the-environment")
    s = Settings()
    assert s.neo4j.external is True
    assert s.neo4j.effective_uri == "neo4j://db.example.internal:7687"
    assert s.neo4j.password.get_secret_value() == "from-the-environment"


def test_nested_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENFDP_NEO4J__BOLT_PORT", "7999")
    monkeypatch.setenv("OPENFDP_PRIVACY__DOMAIN", "north-ics")
    s = Settings()
    assert s.neo4j.bolt_port == 7999
    assert s.privacy.domain == "north-ics"


def test_production_refuses_default_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENFDP_MODE", "production")
    with pytest.raises(ValidationError, match="OPENFDP_PRIVACY__HMAC_KEY"):
        Settings()


def test_production_accepts_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENFDP_MODE", "production")
    monkeypatch.setenv("OPENFDP_NEO4J__PASSWORD", "a-real-password-1")
    monkeypatch.setenv("OPENFDP_PRIVACY__HMAC_KEY", "k" * 40)
    monkeypatch.setenv("OPENFDP_API__JWT_SECRET", "j" * 40)
    assert Settings().mode == "production"


def test_a_relative_state_dir_is_made_absolute(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENFDP_STATE_DIR", "relative/state")
    assert Settings().state_dir == tmp_path / "relative" / "state"


def test_auto_memory_sizes_heap_and_page_cache_from_the_machine() -> None:
    assert auto_memory(24 * GIB) == ("3g", "6144m")  # the reference machine
    assert auto_memory(4 * GIB) == ("1g", "1024m")  # small: heap floor 1 GiB
    assert auto_memory(1 * GIB) == ("1g", "512m")  # page cache floor
    assert auto_memory(512 * GIB)[0] == "31g"  # compressed pointers end above 31 GiB
    assert auto_memory(None) == ("2g", "2g")
    explicit = Neo4jSettings(heap="1g", pagecache="512m")
    assert (explicit.heap_size, explicit.pagecache_size) == ("1g", "512m")
    auto = Neo4jSettings()
    assert auto.heap.startswith("auto") and auto.heap_size.endswith("g")


def test_memory_settings_refuse_what_neo4j_would_not_parse() -> None:
    with pytest.raises(ValidationError):
        Neo4jSettings(heap="two gigabytes")


def test_extra_jvm_options_come_after_openfdps_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """OPENFDP_NEO4J__JVM_OPTIONS reaches the server's command line, split like a shell
    would, after the default flags (a later -XX flag overrides an earlier one in HotSpot)."""
    monkeypatch.setenv("OPENFDP_NEO4J__JVM_OPTIONS", "-XX:TieredStopAtLevel=1 '-Dx=a b'")
    cmd = java_command(Settings(), Path("/lib"), Path("/home"))
    flags = cmd[: cmd.index("-cp")]
    assert flags[-2:] == ["-XX:TieredStopAtLevel=1", "-Dx=a b"]
    assert flags.index("-XX:+UseG1GC") < flags.index("-XX:TieredStopAtLevel=1")
    monkeypatch.delenv("OPENFDP_NEO4J__JVM_OPTIONS")
    assert (
        java_command(Settings(), Path("/lib"), Path("/home"))[: cmd.index("-cp") - 2]
        == (flags[:-2])
    )
