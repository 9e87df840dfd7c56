"""Where links in emails point: in development the address `serve` listens on,
unless PUBLIC_BASE_URL says otherwise; production must name its https address."""

from __future__ import annotations

import pytest

from tests.settings import SettingsWithoutEnvFile
from warmintro.infra.settings import listening_address

STRONG_KEY = "k" * 40


@pytest.fixture(autouse=True)
def _no_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "PUBLIC_BASE_URL", "SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_in_development_links_point_at_the_port_serve_listens_on() -> None:
    settings = SettingsWithoutEnvFile()
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.serving_at("127.0.0.1", 18200).public_base_url == "http://127.0.0.1:18200"


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("0.0.0.0", "http://127.0.0.1:9000"),
        ("::", "http://localhost:9000"),
        ("localhost", "http://localhost:9000"),
        ("192.168.1.20", "http://192.168.1.20:9000"),
        ("::1", "http://[::1]:9000"),
    ],
)
def test_a_wildcard_bind_is_shown_as_an_address_a_browser_can_open(host: str, shown: str) -> None:
    assert listening_address(host, 9000) == shown
    assert SettingsWithoutEnvFile().serving_at(host, 9000).public_base_url == shown


def test_a_given_public_base_url_wins_over_the_listening_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://intros.example.org/")
    settings = SettingsWithoutEnvFile().serving_at("0.0.0.0", 18200)
    assert settings.public_base_url == "https://intros.example.org"


@pytest.mark.parametrize("url", ["", "http://intros.example.org"])
def test_production_refuses_to_start_without_an_https_public_base_url(url: str) -> None:
    with pytest.raises(ValueError, match="production needs PUBLIC_BASE_URL"):
        SettingsWithoutEnvFile(environment="production", secret_key=STRONG_KEY, public_base_url=url)


def test_production_keeps_its_https_address_whatever_port_it_listens_on() -> None:
    settings = SettingsWithoutEnvFile(
        environment="production", secret_key=STRONG_KEY, public_base_url="https://x.example"
    )
    assert settings.serving_at("0.0.0.0", 8080).public_base_url == "https://x.example"


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://x.example", "https://"])
def test_a_public_base_url_that_is_no_web_address_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL must be an http"):
        SettingsWithoutEnvFile(public_base_url=url)
