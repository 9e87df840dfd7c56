"""`/docs`, `/redoc`, `/openapi.json` and the docs' assets (PUBLIC_DOCS) and `/metrics`
(PUBLIC_METRICS) are open in development and closed (404) in production unless opened
by their setting."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.apps import client
from tests.settings import PRODUCTION, SettingsWithoutEnvFile

DOCS = ("/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui-bundle.js")


async def statuses(c: httpx.AsyncClient, paths: tuple[str, ...]) -> list[int]:
    return [(await c.get(p)).status_code for p in paths]


async def test_development_serves_the_docs_and_the_metrics() -> None:
    async with client() as c:
        assert await statuses(c, DOCS) == [200] * len(DOCS)
        assert (await c.get("/metrics")).status_code == 200


async def test_production_closes_them_as_if_they_did_not_exist() -> None:
    async with client(**PRODUCTION) as c:
        for path in (*DOCS, "/metrics"):
            r = await c.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"] == "application/problem+json", path
            assert r.json()["code"] == "not_found", path
        assert (await c.get("/healthz")).status_code == 200


@pytest.mark.parametrize(("docs", "metrics"), [(True, False), (False, True), (True, True)], ids=str)
async def test_production_opens_each_with_its_setting(docs: bool, metrics: bool) -> None:
    async with client(**PRODUCTION, public_docs=docs, public_metrics=metrics) as c:
        assert await statuses(c, DOCS) == [200 if docs else 404] * len(DOCS)
        assert (await c.get("/metrics")).status_code == (200 if metrics else 404)


async def test_development_can_close_them() -> None:
    async with client(public_docs=False, public_metrics=False) as c:
        assert await statuses(c, (*DOCS, "/metrics")) == [404] * (len(DOCS) + 1)


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_DOCS", "true")
    monkeypatch.setenv("PUBLIC_METRICS", "false")
    settings = SettingsWithoutEnvFile(**PRODUCTION)
    assert settings.serves_docs and not settings.serves_metrics
