"""The initial-password file openfdp writes for a new server is the one Neo4j's admin tool
writes (``neo4j-admin dbms set-initial-password``, Neo4j 5.26): the line below was written by
that tool for the test password and is reproduced from its salt. The integration tests then
connect with that password to every server openfdp starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from openfdp.store.errors import ServerSetupError
from openfdp.store.local_server_setup import auth_line, set_initial_password
from tests.conftest import TEST_PASSWORD, make_test_settings

ADMIN_TOOL_LINE = (
    "neo4j:SHA-256,bfb66986668fd5056ddc023718b993a3155085979533cedfad2039b3bd37dcc2,"
    "d0c78b97a567de94858e09b1766c062b7a2913accc9d4ba36cf09555a380a23a,1024:\n"
)


def test_auth_line_is_the_admin_tools_line_for_the_same_salt() -> None:
    salt = bytes.fromhex(ADMIN_TOOL_LINE.split(",")[2])
    assert auth_line(TEST_PASSWORD, salt) == ADMIN_TOOL_LINE
    assert auth_line("another-password", salt) != ADMIN_TOOL_LINE


def test_set_initial_password_writes_a_salted_line_without_the_password(tmp_path: Path) -> None:
    settings = make_test_settings(state_dir=tmp_path)
    set_initial_password(settings, tmp_path / "neo4j")
    text = (tmp_path / "neo4j" / "data" / "dbms" / "auth.ini").read_text()
    user, scheme, digest, salt, rounds = text.rstrip(":\n").replace(":", ",", 1).split(",")
    assert (user, scheme, rounds) == ("neo4j", "SHA-256", "1024")
    assert text == auth_line(TEST_PASSWORD, bytes.fromhex(salt))
    assert TEST_PASSWORD not in text and len(digest) == 64


def test_a_short_password_is_refused(tmp_path: Path) -> None:
    settings = make_test_settings(state_dir=tmp_path, neo4j={"password": "short"})
    with pytest.raises(ServerSetupError, match="at least 8"):
        set_initial_password(settings, tmp_path / "neo4j")
