"""Configuration from the environment (and `.env`), names as DESIGN.md §4 gives them."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./warmintro.db"
    public_base_url: str = "http://127.0.0.1:8000"
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
    worker_poll_seconds: float = 0.1
    """How often an idle worker looks for due timers and mail."""
    send_timeout_seconds: float = 15.0

    @model_validator(mode="before")
    @classmethod
    def _split_keys(cls, data: dict) -> dict:  # type: ignore[type-arg]
        raw = data.get("previous_secret_keys") if isinstance(data, dict) else None
        if isinstance(raw, str):
            data["previous_secret_keys"] = [k.strip() for k in raw.split(",") if k.strip()]
        return data

    @model_validator(mode="after")
    def _production_is_strict(self) -> Settings:
        if self.email_backend == "sendgrid" and not self.sendgrid_api_key:
            raise ValueError("EMAIL_BACKEND=sendgrid needs SENDGRID_API_KEY")
        weak = self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32
        if self.environment == "production" and weak:
            raise ValueError(
                "production needs SECRET_KEY set to a random value of at least 32 characters"
            )
        return self

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
