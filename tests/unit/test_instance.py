"""`openfdp instance init` and `openfdp --instance DIR`: one instance of a federated deployment
(docs/federation.md, "Instances"): its own state folder, ports, role, ODS code and secrets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from openfdp.cli.instance_env import read_instance, use_instance
from openfdp.settings import get_settings


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openfdp.cli", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture()
def restored_environ() -> Iterator[None]:
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


def test_init_writes_a_private_file_with_fresh_secrets(tmp_path: Path) -> None:
    ics, trust = tmp_path / "ics", tmp_path / "rm3"
    assert cli("instance", "init", str(ics), "--role", "ics", "--ods", "qop").returncode == 0
    made = cli(
        "instance", "init", str(trust), "--role", "trust", "--ods", "RM3", "--ics", str(ics),
        "--bolt-port", "7741", "--api-port", "8741", "--heap", "512m",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    mode = stat.S_IMODE((trust / "instance.env").stat().st_mode)
    assert mode == 0o600  # secrets inside: owner only
    t, i = read_instance(trust), read_instance(ics)
    assert t["OPENFDP_INSTANCE__ROLE"] == "trust" and t["OPENFDP_INSTANCE__ODS"] == "RM3"
    assert i["OPENFDP_INSTANCE__ODS"] == "QOP"
    assert t["OPENFDP_STATE_DIR"] == str(trust.resolve())
    assert (t["OPENFDP_NEO4J__BOLT_PORT"], t["OPENFDP_API__PORT"]) == ("7741", "8741")
    assert t["OPENFDP_NEO4J__HEAP"] == "512m"
    # the ICS linkage key and domain are shared; every other secret is the instance's own
    assert t["OPENFDP_SHARE__LINKAGE_KEY"] == i["OPENFDP_SHARE__LINKAGE_KEY"]
    assert t["OPENFDP_SHARE__LINKAGE_DOMAIN"] == i["OPENFDP_SHARE__LINKAGE_DOMAIN"]
    for name in ("OPENFDP_PRIVACY__HMAC_KEY", "OPENFDP_API__JWT_SECRET", "OPENFDP_NEO4J__PASSWORD"):
        assert t[name] != i[name] and len(t[name]) >= 32
        assert not t[name].startswith("-")  # never taken for an option (neo4j-admin)
    assert t["OPENFDP_PRIVACY__DOMAIN"] != i["OPENFDP_PRIVACY__DOMAIN"]
    shown = cli("instance", "show", str(trust))
    assert shown.returncode == 0 and "RM3" in shown.stdout
    assert t["OPENFDP_PRIVACY__HMAC_KEY"] not in shown.stdout  # secrets are never printed


def test_init_refuses_to_overwrite_and_a_trust_needs_the_linkage_key(tmp_path: Path) -> None:
    folder = tmp_path / "ics"
    assert cli("instance", "init", str(folder), "--role", "ics", "--ods", "QOP").returncode == 0
    before = (folder / "instance.env").read_bytes()
    again = cli("instance", "init", str(folder), "--role", "ics", "--ods", "QOP")
    assert again.returncode == 1 and "never regenerated" in again.stderr.replace("\n", " ")
    assert (folder / "instance.env").read_bytes() == before
    lone = cli("instance", "init", str(tmp_path / "t"), "--role", "trust", "--ods", "RM3")
    assert lone.returncode == 2 and "linkage key" in lone.stderr
    assert not (tmp_path / "t" / "instance.env").exists()


def test_instance_option_sets_every_setting(tmp_path: Path, restored_environ: None) -> None:
    folder = tmp_path / "r0a"
    ics = tmp_path / "ics"
    cli("instance", "init", str(ics), "--role", "ics", "--ods", "QOP")
    cli(
        "instance", "init", str(folder), "--role", "trust", "--ods", "R0A", "--ics", str(ics),
        "--bolt-port", "7742", "--api-port", "8742",
    )  # fmt: skip
    os.environ["OPENFDP_STATE_DIR"] = str(tmp_path / "elsewhere")  # the instance's file wins
    use_instance(folder)
    s = get_settings()
    assert s.state_dir == folder.resolve()
    assert (s.instance.role, s.instance.ods) == ("trust", "R0A")
    assert (s.neo4j.bolt_port, s.api.port) == (7742, 8742)
    assert s.share.linkage_key is not None
    assert (
        s.share.linkage_key.get_secret_value() == read_instance(ics)["OPENFDP_SHARE__LINKAGE_KEY"]
    )


def test_unknown_instance_folder_is_a_configuration_error(tmp_path: Path) -> None:
    res = cli("--instance", str(tmp_path / "none"), "db", "status")
    assert res.returncode == 4
    assert "not an openfdp instance" in " ".join(res.stderr.split())


def test_instance_settings_from_many_threads_leave_the_environment_as_it_was(
    tmp_path: Path, restored_environ: None
) -> None:
    """Settings of several instances read at once (the federated demo stops its four servers
    side by side) must not leave one instance's variables in this process's environment,
    where every later child process would inherit them."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from openfdp.cli.instance_env import instance_settings, write_env_file  # noqa: PLC0415

    folders = []
    for n in range(4):
        folder = tmp_path / f"t{n}"
        folder.mkdir()
        write_env_file(folder / "instance.env", {
            "OPENFDP_STATE_DIR": str(folder), "OPENFDP_INSTANCE__ROLE": "trust",
            "OPENFDP_INSTANCE__ODS": f"RX{n}", "OPENFDP_NEO4J__BOLT_PORT": str(7900 + n),
        })  # fmt: skip
        folders.append(folder)
    for name in ("OPENFDP_INSTANCE__ROLE", "OPENFDP_INSTANCE__ODS"):
        os.environ.pop(name, None)
    before = dict(os.environ)
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(instance_settings, folders * 100))
    assert [s.instance.ods for s in got] == [f"RX{n}" for n in range(4)] * 100
    assert dict(os.environ) == before
