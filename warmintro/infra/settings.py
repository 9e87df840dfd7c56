"""Configuration from the environment (and `.env`), named as README's
configuration table names them."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

import limits
from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# A server bound to every interface is reached, from the same machine, on loopback.
_SHOWN_AS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "localhost", "[::]": "localhost"}


RATE_LIMIT_STORAGES = ("memory", "redis", "rediss", "redis+unix")
RATE_LIMITS = (
    "rate_limit_per_api_key",
    "rate_limit_per_member",
    "rate_limit_per_ip_links",
    "rate_limit_auth_failures_per_ip",
)


def _parses_as_limit(value: str) -> bool:
    try:
        return all(item.amount >= 1 for item in limits.parse_many(value))
    except ValueError:
        return False


def listening_address(host: str, port: int) -> str:
    """The address at which a browser on this machine reaches a server bound to
    host:port (a wildcard bind is shown as loopback)."""
    shown = _SHOWN_AS.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"  # an IPv6 literal
    return f"http://{shown}:{port}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./warmintro.db"
    public_base_url: str = ""
    """Where links in emails point. Development: the address `serve` listens on unless
    given (`serving_at`); production: required, and https."""
    secret_key: str = DEV_SECRET_KEY
    previous_secret_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Keys that signed tokens before the last rotation: still accepted, never used to sign."""
    email_backend: Literal["console", "smtp", "sendgrid"] = "console"
    email_from: str = "warmintro <intros@localhost>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    sendgrid_api_key: str = ""
    sendgrid_api_host: str = ""
    sendgrid_webhook_public_key: str = ""
    api_key_cache_seconds: float = 30.0
    allow_private_webhooks: bool = False
    """Development only: let webhooks reach loopback and private addresses (and plain
    http to loopback), for a receiver on this machine. Off by default (SSRF);
    production refuses to start with it."""
    worker_poll_seconds: float = 0.1
    """How soon an idle worker looks again for due timers and mail after a pass that
    found nothing; the wait doubles while passes find nothing."""
    worker_max_poll_seconds: float = 30.0
    """The longest an idle worker waits between looks. Commits wake it at once, and it
    never waits past a timer or retry it knows to be due: this only bounds how late
    it notices what nothing announced."""
    send_timeout_seconds: float = 15.0
    public_docs: bool | None = None
    """Serve `/docs`, `/redoc` and `/openapi.json`; unset: in development only."""
    public_metrics: bool | None = None
    """Serve `/metrics`; unset: in development only (in production open it where a
    proxy keeps it from the public)."""
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Browser frontends (origins such as `https://app.example`) allowed to call the API
    with member tokens: comma-separated or a JSON list. Empty: no CORS headers at all."""
    rate_limit_storage: str = "memory://"
    """Where request counts live: `memory://` for one process, `redis://host:port/db`
    when several processes must share the limits."""
    rate_limit_key_prefix: str = "warmintro"
    """Prefix of this service's keys in a shared (Redis) storage."""
    rate_limit_strategy: Literal["moving-window", "fixed-window", "sliding-window-counter"] = (
        "moving-window"
    )
    rate_limit_per_api_key: str = "6000/minute"
    """Requests one API key may make (all its requests; a backend's one key carries a
    whole community's traffic, so its default is roomy). Several limits separated by `;`
    all hold (`20/second;600/minute`); an empty value: no limit (the same for each)."""
    rate_limit_per_member: str = "120/minute"
    """Requests one member token may make. An empty value: no limit."""
    rate_limit_per_ip_links: str = "60/minute"
    """Email-link pages (`/a/...`) one client address may open. An empty value: no limit."""
    rate_limit_auth_failures_per_ip: str = "20/minute"
    """Refused credentials (unknown, malformed or expired keys and tokens, guessed link
    tokens) one client address may send before it is refused altogether for the rest of
    the window. An empty value: no limit."""
    log_format: Literal["json", "console"] | None = None
    """How log lines look: `json` (one object per line) or `console` (readable);
    unset: JSON in production, console in development."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    _base_url_given: bool = PrivateAttr(False)

    @model_validator(mode="before")
    @classmethod
    def _split_keys(cls, data: dict) -> dict:  # type: ignore[type-arg]
        raw = data.get("previous_secret_keys") if isinstance(data, dict) else None
        if isinstance(raw, str):
            data["previous_secret_keys"] = [k.strip() for k in raw.split(",") if k.strip()]
        return data

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_as_list(cls, raw: object) -> object:
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return raw

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, origins: list[str]) -> list[str]:
        # A browser's Origin is scheme://host[:port], never with a path: an entry with a
        # trailing slash would silently match nothing.
        for origin in origins:
            parts = urlsplit(origin)
            is_origin = (
                parts.scheme in ("http", "https")
                and parts.hostname
                and not parts.path
                and not parts.query
                and not parts.fragment
            )
            if origin != "*" and not is_origin:
                raise ValueError(
                    f"CORS_ORIGINS takes origins like https://app.example (scheme, host and "
                    f"an optional port, no path or trailing slash), not {origin!r}"
                )
        return origins

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _rate_limits_parse(self) -> Settings:
        scheme = self.rate_limit_storage.removeprefix("async+").split("://", 1)[0]
        if "://" not in self.rate_limit_storage or scheme not in RATE_LIMIT_STORAGES:
            raise ValueError(
                # Not the value: a Redis address may carry its password.
                "RATE_LIMIT_STORAGE must be memory:// or redis://host:port/db, "
                f"not a {scheme!r} address"
            )
        for name in RATE_LIMITS:
            value = getattr(self, name).strip()
            if value and not _parses_as_limit(value):
                raise ValueError(
                    f"{name.upper()} must read like 600/minute, 10 per 2 seconds or "
                    f"20/second;600/minute (each at least 1), not {value!r}"
                )
        return self

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key:
            raise ValueError("EMAIL_BACKEND=sendgrid needs SENDGRID_API_KEY")
        weak = self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        if self.environment == "production" and "*" in self.cors_origins:
            raise ValueError(
                "production needs CORS_ORIGINS to name its frontends, not *: any website's "
                "scripts could then use a member token they got hold of and read the answers"
            )
        if self.environment == "production" and self.allow_private_webhooks:
            raise ValueError("ALLOW_PRIVATE_WEBHOOKS is for development only")
        if self.environment == "production" and weak:
            raise ValueError(
                "production needs SECRET_KEY set to a random value of at least 32 characters"
            )
        return self

    @model_validator(mode="after")
    def _links_point_somewhere(self) -> Settings:
        url = self.public_base_url.strip().rstrip("/")
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError(f"PUBLIC_BASE_URL must be an http(s) address, not {url!r}")
        if self.environment == "production" and parts.scheme != "https":
            raise ValueError(
                "production needs PUBLIC_BASE_URL set to the https:// address people reach "
                "this service at: every link in every email points there"
            )
        self._base_url_given = bool(url)
        self.public_base_url = url or listening_address(DEFAULT_HOST, DEFAULT_PORT)
        return self

    def serving_at(self, host: str, port: int) -> Settings:
        """These settings for a server listening on host:port: unless PUBLIC_BASE_URL
        was given, links in emails point at that server (development only; production
        always names its address)."""
        if self._base_url_given:
            return self
        return self.model_copy(update={"public_base_url": listening_address(host, port)})

    @property
    def public_base_url_given(self) -> bool:
        return self._base_url_given

    @property
    def logs_as(self) -> Literal["json", "console"]:
        if self.log_format is not None:
            return self.log_format
        return "console" if self.is_development else "json"

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def serves_docs(self) -> bool:
        return self.is_development if self.public_docs is None else self.public_docs

    @property
    def serves_metrics(self) -> bool:
        return self.is_development if self.public_metrics is None else self.public_metrics

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
