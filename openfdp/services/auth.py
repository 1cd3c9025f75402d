"""Bearer-token authentication: a verified JWT becomes a :class:`Principal`.

Local use signs tokens with HS256 and ``settings.api.jwt_secret``; production verifies RS256
tokens against the identity provider's JWKS (``settings.api.jwks_url``). Claims: ``sub``,
``org`` (ODS code), ``roles`` (list), ``purpose`` (direct_care | planning | research),
``exp`` and ``aud`` (``settings.api.jwt_audience``). Every failure is an `Unauthenticated`
error with a message saying what was wrong, never the token itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast, get_args

import jwt

from openfdp.services.context import Principal, Purpose
from openfdp.services.errors import Unauthenticated
from openfdp.settings import Settings

TOKEN_PURPOSES = frozenset(p for p in get_args(Purpose) if p != "public")
KNOWN_ROLES = frozenset({"trust_user", "ics_user", "analyst", "supplier_viewer", "admin"})
_LEEWAY_S = 30


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)


def _signing_key(settings: Settings, token: str) -> tuple[Any, list[str]]:
    if settings.api.jwks_url:
        try:
            key = _jwks_client(settings.api.jwks_url).get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated(f"token signing key not found in the JWKS: {exc}") from exc
        return key.key, ["RS256"]
    return settings.api.jwt_secret.get_secret_value(), ["HS256"]


class VerifiedTokens:
    """Tokens whose signature and claims were checked, with their principal, until they
    expire (``exp`` plus the same leeway the check allows). A client sends the same token
    with every request; checking its signature once saves that work on the rest. The key
    includes the verification settings, so a token is never trusted under other ones."""

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._entries: dict[tuple[str, ...], tuple[Principal, float]] = {}

    @staticmethod
    def key(settings: Settings, token: str) -> tuple[str, ...]:
        api = settings.api
        return (token, api.jwks_url or "", api.jwt_audience, api.jwt_secret.get_secret_value())

    def get(self, key: tuple[str, ...]) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.time() > entry[1]:
            self._entries.pop(key, None)
            return None
        return entry[0]

    def put(self, key: tuple[str, ...], principal: Principal, exp: float) -> None:
        if len(self._entries) >= self.maxsize:
            now = time.time()
            self._entries = {k: v for k, v in self._entries.items() if v[1] >= now}
            if len(self._entries) >= self.maxsize:
                self._entries.clear()
        self._entries[key] = (principal, exp + _LEEWAY_S)


_VERIFIED = VerifiedTokens()


def verify_token(settings: Settings, token: str) -> Principal:
    """Check signature, expiry and audience, then the openfdp claims (once per token while
    it is valid: see :class:`VerifiedTokens`)."""
    key = VerifiedTokens.key(settings, token)
    cached = _VERIFIED.get(key)
    if cached is not None:
        return cached
    claims = _verified_claims(settings, token)
    principal = principal_from_claims(claims)
    _VERIFIED.put(key, principal, float(claims["exp"]))
    return principal


def _verified_claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        key, algorithms = _signing_key(settings, token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.api.jwt_audience,
            leeway=_LEEWAY_S,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("token has expired; request a new one") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthenticated(
            f"token audience is not {settings.api.jwt_audience!r}; "
            "it was issued for another service"
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise Unauthenticated("token signature is invalid") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthenticated(f"token lacks the required claim {exc.claim!r}") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthenticated(f"token is not valid: {exc}") from exc
    return claims


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    org, roles, purpose = claims.get("org"), claims.get("roles"), claims.get("purpose")
    if not isinstance(org, str) or not org:
        raise Unauthenticated("token lacks the 'org' claim (the user's ODS code)")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise Unauthenticated("token claim 'roles' must be a list of role names")
    if purpose not in TOKEN_PURPOSES:
        raise Unauthenticated(
            "token claim 'purpose' must be one of " + ", ".join(sorted(TOKEN_PURPOSES))
        )
    return Principal(
        subject=str(claims["sub"]),
        organisation=org.upper(),
        roles=frozenset(roles) & KNOWN_ROLES,
        purpose=cast(Purpose, purpose),
    )


def bearer_token(authorization: str | None) -> str | None:
    """The token from an ``Authorization`` header; None when there is no header at all."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization header must be 'Bearer <token>'")
    return token.strip()


def mint_token(  # noqa: PLR0917 - the documented positional form (settings, sub, org, ...)
    settings: Settings,
    sub: str,
    org: str,
    roles: Iterable[str],
    purpose: str,
    ttl: float = 3600.0,
    *,
    audience: str | None = None,
    secret: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token signed with the local secret (demo and tests; production uses an IdP)."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": sub,
        "org": org,
        "roles": list(roles),
        "purpose": purpose,
        "iat": issued,
        "exp": issued + int(ttl),
        "aud": audience or settings.api.jwt_audience,
    }
    key = secret if secret is not None else settings.api.jwt_secret.get_secret_value()
    return jwt.encode(claims, key, algorithm="HS256")


def principal_of(authorization: str | None, settings: Settings) -> Principal | None:
    """The caller of a request from its ``Authorization`` header (None when absent)."""
    token = bearer_token(authorization)
    return verify_token(settings, token) if token is not None else None
