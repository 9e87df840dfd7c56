"""ALLOW_PRIVATE_WEBHOOKS: off unless set, in development only."""

from __future__ import annotations

import pytest

from tests.settings import SettingsWithoutEnvFile


@pytest.fixture(autouse=True)
def _no_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "PUBLIC_BASE_URL", "SECRET_KEY", "ALLOW_PRIVATE_WEBHOOKS"):
        monkeypatch.delenv(name, raising=False)


def test_development_refuses_private_webhooks_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SettingsWithoutEnvFile().allow_private_webhooks is False

    monkeypatch.setenv("ALLOW_PRIVATE_WEBHOOKS", "true")

    assert SettingsWithoutEnvFile().allow_private_webhooks is True


def test_production_refuses_to_start_with_private_webhooks_allowed() -> None:
    with pytest.raises(ValueError, match="ALLOW_PRIVATE_WEBHOOKS is for development only"):
        SettingsWithoutEnvFile(
            environment="production",
            secret_key="k" * 40,
            public_base_url="https://intros.example.org",
            allow_private_webhooks=True,
        )
