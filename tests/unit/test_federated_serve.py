"""The federated demo's last step (docs/federation.md, "The federated demo"): an API process
per instance, each on its own port, and tokens per role each signed with its own instance's
secret, so a token of one instance is refused by another."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import jwt
import pytest

from openfdp.cli.demo_federated import Federation, instance_tokens, start_apis
from openfdp.cli.federation_steps import ensure_instance
from openfdp.cli.instance_env import read_instance

pytestmark = pytest.mark.timeout(600)
# ports of their own: the federated demo test (tests/integration) uses 7741-7744 at the same time
PORTS = {"ics": (7791, 8791), "trust": (7792, 8792)}


def wait_healthy(port: int, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"no API on port {port}")


def test_each_instance_serves_its_own_api_and_tokens(tmp_path: Path) -> None:
    memory = ("384m", "384m")
    ics = ensure_instance(tmp_path / "QOP", role="ics", ods="QOP", ports=PORTS["ics"],
                          memory=memory)  # fmt: skip
    trust = ensure_instance(tmp_path / "RM3", role="trust", ods="RM3", ports=PORTS["trust"],
                            memory=memory, ics=ics.folder)  # fmt: skip
    fed = Federation(ics, [trust], [])
    tokens = instance_tokens(fed, "QOP")
    assert [who for who, _ in tokens["QOP"]] == [
        "ICS user, planning",
        "analyst, research (POST /cypher)",
    ]
    secret = {i.name: read_instance(i.folder)["OPENFDP_API__JWT_SECRET"] for i in (ics, trust)}
    planner = jwt.decode(tokens["QOP"][0][1], secret["QOP"], ["HS256"], audience="openfdp")
    assert (planner["org"], planner["roles"], planner["purpose"]) == (
        "QOP",
        ["ics_user"],
        "planning",
    )
    clinician = jwt.decode(tokens["RM3"][0][1], secret["RM3"], ["HS256"], audience="openfdp")
    assert (clinician["org"], clinician["purpose"]) == ("RM3", "direct_care")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(tokens["QOP"][0][1], secret["RM3"], ["HS256"], audience="openfdp")
    procs = start_apis(fed)
    try:
        for port in (PORTS["ics"][1], PORTS["trust"][1]):
            wait_healthy(port)
        # the ICS's token at the trust's API: refused before anything is read
        reply = httpx.post(
            f"http://127.0.0.1:{PORTS['trust'][1]}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {tokens['QOP'][0][1]}"},
            timeout=30,
        )
        assert reply.status_code == 401, reply.text
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
