"""Authentication: missing, malformed, forged, expired and misdirected tokens; missing roles."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from openfdp.api.app import create_app
from openfdp.api.errors import Unauthenticated
from openfdp.services.auth import mint_token, verify_token
from openfdp.settings import Settings
from tests.api.conftest import AuthFactory, TokenFactory
from tests.conftest import make_test_settings

pytestmark = pytest.mark.api

COUNT = "MATCH (t:NHSTrust) RETURN count(*) AS n"


def _cypher(client: TestClient, headers: dict[str, str] | None = None) -> Any:
    return client.post("/cypher", json={"query": COUNT}, headers=headers or {})


def _message(response: Any) -> str:
    """The error message: GraphQL-over-HTTP shape on /graphql, ``{"error"}`` on REST."""
    body = response.json()
    return str(body["errors"][0]["message"] if "errors" in body else body["error"]["message"])


def test_no_token_is_401_on_cypher(client: TestClient) -> None:
    r = _cypher(client)
    assert r.status_code == 401
    assert "bearer token" in _message(r)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_malformed_header_is_401(client: TestClient) -> None:
    r = _cypher(client, {"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401
    assert "Bearer <token>" in _message(r)


def test_bad_signature_is_401(client: TestClient, make_token: TokenFactory) -> None:
    forged = make_token(roles=["analyst"], purpose="planning", secret="x" * 40)
    r = _cypher(client, {"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert "signature" in _message(r)


def test_expired_token_is_401(client: TestClient, make_token: TokenFactory) -> None:
    old = make_token(roles=["analyst"], purpose="planning", now=time.time() - 7200, ttl=60)
    r = _cypher(client, {"Authorization": f"Bearer {old}"})
    assert r.status_code == 401
    assert "expired" in _message(r)


def test_wrong_audience_is_401(client: TestClient, make_token: TokenFactory) -> None:
    other = make_token(roles=["analyst"], purpose="planning", audience="another-service")
    r = _cypher(client, {"Authorization": f"Bearer {other}"})
    assert r.status_code == 401
    assert "audience" in _message(r)


def test_unknown_purpose_is_401(client: TestClient, make_token: TokenFactory) -> None:
    r = _cypher(client, {"Authorization": f"Bearer {make_token(purpose='marketing')}"})
    assert r.status_code == 401
    assert "purpose" in _message(r)


def test_missing_role_is_403(client: TestClient, graph: object, auth: AuthFactory) -> None:
    r = _cypher(client, auth(roles=["trust_user"], purpose="planning"))
    assert r.status_code == 403
    assert "analyst" in _message(r)


def test_graphql_bad_token_is_401_and_no_role_is_403(
    client: TestClient, make_token: TokenFactory, auth: AuthFactory
) -> None:
    q = {"query": "{ __typename }"}
    forged = make_token(secret="y" * 40)
    bad = client.post("/graphql", json=q, headers={"Authorization": f"Bearer {forged}"})
    assert bad.status_code == 401
    r = client.post("/graphql", json=q, headers=auth(roles=[]))
    assert r.status_code == 403
    assert "no role" in _message(r)
    assert client.post("/graphql", json=q, headers=auth()).status_code == 200


def test_error_messages_never_echo_the_token(client: TestClient, make_token: TokenFactory) -> None:
    forged = make_token(secret="z" * 40)
    r = _cypher(client, {"Authorization": f"Bearer {forged}"})
    assert forged not in r.text


# --- RS256 with a JWKS, the production path ------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()


def _rs256(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: Any) -> str:
    base = {
        "sub": "u",
        "org": "RR8",
        "roles": ["trust_user"],
        "purpose": "direct_care",
        "aud": "openfdp",
        "exp": int(time.time()) + 300,
    }
    return jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": kid})


def test_rs256_tokens_verify_against_the_jwks(rsa_key: rsa.RSAPrivateKey, jwks_url: str) -> None:
    settings = make_test_settings(api={"jwks_url": jwks_url})
    principal = verify_token(settings, _rs256(rsa_key))
    assert principal.organisation == "RR8"
    assert principal.roles == frozenset({"trust_user"})


def test_rs256_rejects_other_keys_and_hs256(rsa_key: rsa.RSAPrivateKey, jwks_url: str) -> None:
    settings = make_test_settings(api={"jwks_url": jwks_url})
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated, match="signature"):
        verify_token(settings, _rs256(stranger))
    with pytest.raises(Unauthenticated, match="signing key"):
        verify_token(settings, _rs256(rsa_key, kid="unknown"))
    hs = mint_token(settings, "u", "RR8", ["trust_user"], "direct_care")
    with pytest.raises(Unauthenticated):
        verify_token(settings, hs)


def test_app_accepts_rs256_when_configured(
    rsa_key: rsa.RSAPrivateKey, jwks_url: str, api_settings: Settings
) -> None:
    settings = api_settings.model_copy(
        update={"api": api_settings.api.model_copy(update={"jwks_url": jwks_url})}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        ok = c.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {_rs256(rsa_key)}"},
        )
        assert ok.status_code == 200
