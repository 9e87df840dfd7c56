"""The app's settings for tests: from arguments and the environment, never from a
developer's `.env`."""

from __future__ import annotations

from typing import Any

from pydantic_settings import SettingsConfigDict

from warmintro.infra.settings import Settings


class SettingsWithoutEnvFile(Settings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")


PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "secret_key": "a-production-secret-of-more-than-32-characters",
    "public_base_url": "https://intro.example",
}
"""The least production accepts: a strong secret key and an https address."""
