"""The app's settings for tests: from arguments and the environment, never from a
developer's `.env`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from warmintro.infra.settings import Settings


class SettingsWithoutEnvFile(Settings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")
