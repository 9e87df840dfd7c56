"""CORS_ORIGINS reads as a list of origins, from a comma-separated value or a JSON
list; anything that is not an origin is refused at start (with a trailing slash or a
path it would match no browser's `Origin`), and so is `*` in production."""

from __future__ import annotations

import pytest

from tests.settings import PRODUCTION, SettingsWithoutEnvFile


@pytest.fixture(autouse=True)
def _no_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENVIRONMENT", "PUBLIC_BASE_URL", "SECRET_KEY", "CORS_ORIGINS"):
        monkeypatch.delenv(name, raising=False)


def test_none_by_default() -> None:
    assert SettingsWithoutEnvFile().cors_origins == []


@pytest.mark.parametrize(
    "value",
    [
        "https://app.example,http://localhost:5173",
        " https://app.example , http://localhost:5173 ,",
        '["https://app.example", "http://localhost:5173"]',
    ],
)
def test_read_from_a_comma_separated_value_or_a_json_list(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", value)
    assert SettingsWithoutEnvFile().cors_origins == [
        "https://app.example",
        "http://localhost:5173",
    ]


def test_an_empty_value_lists_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "")
    assert SettingsWithoutEnvFile().cors_origins == []


@pytest.mark.parametrize(
    "origin",
    ["https://app.example/", "https://app.example/app", "app.example", "ftp://app.example"],
)
def test_what_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValueError, match="CORS_ORIGINS takes origins like"):
        SettingsWithoutEnvFile(cors_origins=[origin])


def test_any_origin_only_in_development() -> None:
    assert SettingsWithoutEnvFile(cors_origins=["*"]).cors_origins == ["*"]
    with pytest.raises(ValueError, match="production needs CORS_ORIGINS to name its frontends"):
        SettingsWithoutEnvFile(cors_origins=["*"], **PRODUCTION)
    named = SettingsWithoutEnvFile(cors_origins=["https://app.example"], **PRODUCTION)
    assert named.cors_origins == ["https://app.example"]
