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
#: the small reference files the product ships (ODS lists, RTT statistics, FHIR/HL7 samples)
REFERENCE_DATA_DIR = Path(__file__).resolve().parent / "data"


def _default_state_dir() -> Path:
    return Path(os.environ.get("OPENFDP_STATE_DIR", str(REPO_ROOT / ".openfdp")))


class Neo4jSettings(BaseModel):
    """Where the graph lives. With ``uri`` unset, openfdp runs its own local server."""

    uri: str | None = None
    user: str = "neo4j"
    password: SecretStr = SecretStr(DEV_NEO4J_PASSWORD)
    database: str = "neo4j"
    bolt_port: int = Field(default=7687, ge=1, le=65535)
    heap: str = Field(default="auto", pattern=r"^(auto|[0-9]+[kmgKMG]?)$")
    pagecache: str = Field(default="auto", pattern=r"^(auto|[0-9]+[kmgKMG]?)$")
    version: str = "5.26.31"
    start_timeout_s: float = 180.0
    # extra JVM options of the local server, after openfdp's own (so they win), e.g.
    # "-XX:TieredStopAtLevel=1" (OPENFDP_NEO4J__JVM_OPTIONS; split like a shell would)
    jvm_options: str = ""

    @property
    def effective_uri(self) -> str:
        return self.uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def external(self) -> bool:
        return self.uri is not None

    @property
    def heap_size(self) -> str:
        """The JVM heap: the setting, or with ``auto`` the sizing rule of :func:`auto_memory`."""
        return auto_memory(machine_memory())[0] if self.heap == "auto" else self.heap

    @property
    def pagecache_size(self) -> str:
        return auto_memory(machine_memory())[1] if self.pagecache == "auto" else self.pagecache


GIB = 1 << 30


def machine_memory() -> int | None:
    """Physical memory in bytes (POSIX sysconf); None where the platform does not say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def auto_memory(total: int | None) -> tuple[str, str]:
    """(heap, page cache) of the local Neo4j for a machine with `total` bytes of memory.

    The rule (docs/scale.md): heap one eighth of the memory, between 1 and 31 GiB (above
    31 GiB the JVM loses compressed pointers); page cache one quarter, at least 512 MiB;
    the rest (at least 5/8) stays for the operating system's file cache, the loaders, linkage
    (DuckDB) and the API. Unknown memory: 2 GiB each.
    """
    if total is None:
        return "2g", "2g"
    heap_gib = min(31, max(1, total // (8 * GIB)))
    cache_mib = max(512, total // 4 // (1 << 20))
    return f"{heap_gib}g", f"{cache_mib}m"


class PrivacySettings(BaseModel):
    hmac_key: SecretStr = SecretStr(DEV_HMAC_KEY)
    domain: str = "openfdp-demo-ics"
    # National Data Opt-out in the waiting-list counts that mirror the national RTT return
    # (OPENFDP_PRIVACY__NDOO_STATUTORY_COUNTS): "all_patients" (default) counts every
    # patient, as the opt-out does not apply to anonymised statistics released under
    # disclosure control; "exclude_opted_out" leaves opted-out persons out of them too.
    # Record-level planning and research views exclude opted-out persons either way.
    ndoo_statutory_counts: Literal["all_patients", "exclude_opted_out"] = "all_patients"


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
    keep_alive_s: float = Field(
        default=75.0,
        gt=0,
        description=(
            "Idle seconds before the server closes a kept-alive connection: longer than the "
            "idle expiry of clients' pools and proxies (httpx 5 s, most load balancers 60 s), "
            "so the client, not the server, closes an idle connection and a request is never "
            "sent on a connection the server is closing (uvicorn's default is 5 s)"
        ),
    )
    answer_cache_size: int = Field(
        default=256,
        ge=0,
        description=(
            "Answers of the ICB-wide aggregate reads (waitingList, longWaiters) kept in memory "
            "per API process, least recently used dropped first; 0 turns the cache off. An "
            "entry is one answer for one query, arguments and access scope, valid until the "
            "next committed change to the data (docs/security.md, 'Answer cache')"
        ),
    )
    cypher_row_cap: int = 1000
    cypher_timeout_s: float = 10.0
    log_format: Literal["json", "text"] = Field(
        default="json", description="API logs: JSON lines (default) or plain text"
    )
    log_level: str = "INFO"


class InstanceSettings(BaseModel):
    """What this instance is in a federated deployment (docs/federation.md).

    ``central`` is the single-graph deployment (every trust's extracts loaded into one
    graph); a ``trust`` instance loads only its own trust's extracts and shares data products
    under agreements; an ``ics`` instance imports those products and links across senders.
    """

    role: Literal["central", "trust", "ics"] = "central"
    ods: str | None = Field(default=None, description="ODS code of the trust or ICB it serves")


class ShareSettings(BaseModel):
    """Keys and folders for sharing data products between instances (never in the graph)."""

    keys_dir: Path | None = Field(
        default=None, description="Signing key and peers' public keys; default <state_dir>/keys"
    )
    # The key shared for linkage within one ICS: every trust in it encodes linkage evidence
    # (tokens, Bloom filters) under this key and domain, so products from different trusts
    # can be linked at the ICS. Default: the pseudonymisation key and domain (central mode).
    linkage_key: SecretStr | None = None
    linkage_domain: str | None = None


class LinkageSettings(BaseModel):
    """How ``openfdp link run`` scores pairs (docs/scale.md): DuckDB in-process or Spark."""

    engine: Literal["duckdb", "spark"] = "duckdb"
    threads: int = Field(default=1, ge=1, description="DuckDB threads")
    # local[N] here; spark://host:7077, yarn or k8s://... for a cluster
    spark_master: str = "local[2]"  # empty: the one spark-submit gives
    spark_partitions: int = Field(default=8, ge=1)
    # extra Spark configuration, e.g. {"spark.executor.memory": "4g"} (JSON in the env)
    spark_conf: dict[str, str] = Field(default_factory=dict)
    # where the Parquet evidence Spark reads is written (default <state_dir>/linkage/spark);
    # on a cluster, a folder every executor sees at the same path
    spark_dir: Path | None = None
    # DuckDB's memory limit ("auto": one sixth of the machine's memory, at least 1 GiB); past
    # it DuckDB spills to <state_dir>/linkage/tmp rather than growing
    memory_limit: str = Field(
        default="auto", pattern=r"^(auto|[0-9]+(\.[0-9]+)?\s*[kKmMgGtT]i?[bB])$"
    )
    # pairs are blocked and scored for the records of one chunk at a time (0: all at once)
    chunk_records: int = Field(default=200_000, ge=0)
    # the model is trained on a sample of persons with about this many records (0: all)
    train_records: int = Field(default=400_000, ge=0)

    @property
    def duckdb_memory_limit(self) -> str:
        """The ``memory_limit`` DuckDB gets (the "auto" rule resolved)."""
        if self.memory_limit != "auto":
            return self.memory_limit
        total = machine_memory() or 8 * GIB
        return f"{max(1024, total // 6 // (1 << 20))}MiB"


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
    instance: InstanceSettings = InstanceSettings()
    share: ShareSettings = ShareSettings()
    linkage: LinkageSettings = LinkageSettings()

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
