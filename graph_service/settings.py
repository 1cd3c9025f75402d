"""One typed settings tree, read from the environment (and an optional .env file).

Never built at import time: call :func:`get_settings` (cached) or build ``Settings()`` in a
test. Nested fields use ``OPENFDP_<SECTION>__<FIELD>``; the usual Neo4j variables
``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE`` are honoured too.

Outside development mode the built-in development secrets are refused.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_NEO4J_PASSWORD = "openfdp-dev-password"  # noqa: S105 - development default, refused in production
DEV_HMAC_KEY = "openfdp-dev-pseudonymisation-key"
DEV_JWT_SECRET = "openfdp-dev-jwt-secret-change-me-0123456789"  # noqa: S105
DEV_SECRETS = frozenset({DEV_NEO4J_PASSWORD, DEV_HMAC_KEY, DEV_JWT_SECRET})

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_state_dir() -> Path:
    return Path(os.environ.get("OPENFDP_STATE_DIR", str(REPO_ROOT / ".openfdp")))


class Neo4jSettings(BaseModel):
    """Where the graph lives. With ``uri`` unset, openfdp runs its own local server."""

    uri: str | None = None
    user: str = "neo4j"
    password: SecretStr = SecretStr(DEV_NEO4J_PASSWORD)
    database: str = "neo4j"
    bolt_port: int = Field(default=7687, ge=1, le=65535)
    heap: str = "2g"
    pagecache: str = "2g"
    version: str = "5.26.31"
    start_timeout_s: float = 180.0

    @property
    def effective_uri(self) -> str:
        return self.uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def external(self) -> bool:
        return self.uri is not None


class PrivacySettings(BaseModel):
    hmac_key: SecretStr = SecretStr(DEV_HMAC_KEY)
    domain: str = "openfdp-demo-ics"


class ApiSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwks_url: str | None = None
    jwt_audience: str = "openfdp"
    max_page_size: int = 100
    max_depth: int = 10
    max_complexity: int = Field(
        default=10_000, ge=1, description="Largest static cost of one GraphQL operation"
    )
    request_timeout_s: float = 30.0
    cypher_row_cap: int = 1000
    cypher_timeout_s: float = 10.0
    log_format: Literal["json", "text"] = Field(
        default="json", description="API logs: JSON lines (default) or plain text"
    )
    log_level: str = "INFO"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPENFDP_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    mode: Literal["development", "production"] = "development"
    state_dir: Path = Field(default_factory=_default_state_dir)
    neo4j: Neo4jSettings = Neo4jSettings()
    privacy: PrivacySettings = PrivacySettings()
    api: ApiSettings = ApiSettings()

    @model_validator(mode="before")
    @classmethod
    def _plain_neo4j_env(cls, data: object) -> object:
        """Accept the conventional NEO4J_* variables used by Docker, Aura and the drivers."""
        if not isinstance(data, dict):
            return data
        neo = dict(data.get("neo4j") or {})
        for env, key in (
            ("NEO4J_URI", "uri"),
            ("NEO4J_USER", "user"),
            ("NEO4J_USERNAME", "user"),
            ("NEO4J_PASSWORD", "password"),
            ("NEO4J_DATABASE", "database"),
        ):
            value = os.environ.get(env)
            if value and key not in neo:
                neo[key] = value
        if neo:
            data = {**data, "neo4j": neo}
        return data

    @field_validator("state_dir")
    @classmethod
    def _absolute_state_dir(cls, value: Path) -> Path:
        """Relative folders are taken from the current directory, once, here."""
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.mode != "production":
            return self
        offending = [
            name
            for name, secret in (
                ("OPENFDP_NEO4J__PASSWORD", self.neo4j.password),
                ("OPENFDP_PRIVACY__HMAC_KEY", self.privacy.hmac_key),
                ("OPENFDP_API__JWT_SECRET", self.api.jwt_secret),
            )
            if secret.get_secret_value() in DEV_SECRETS
        ]
        if offending:
            raise ValueError(
                "production mode refuses the built-in development secrets; set "
                + ", ".join(offending)
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
