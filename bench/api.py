"""The few API calls the benchmark makes to set a scene: real requests through the
real code path, never a shortcut (the seeder copies the rows they leave)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx


class Api:
    def __init__(self, base: str, key: str) -> None:
        self.auth = f"Bearer {key}"
        self.client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": self.auth}, trust_env=False, timeout=60
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self, method: str, path: str, *, as_person: str | None = None, **kwargs: Any
    ) -> Any:
        headers = {"X-On-Behalf-Of": as_person} if as_person else {}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    async def person(self, name: str, **profile: Any) -> str:
        email = f"{name.lower().replace(' ', '.')}-{secrets.token_hex(3)}@bench.example"
        body = {"email": email, "name": name, **profile}
        return str((await self.call("POST", "/v1/people", json=body))["id"])

    async def email_of(self, person_id: str) -> str:
        return str((await self.call("GET", f"/v1/people/{person_id}"))["email"])

    async def connect(self, person_id: str, other_id: str, strength: int = 3) -> None:
        body = {"person_id": other_id, "strength": strength}
        await self.call("POST", f"/v1/people/{person_id}/connections", json=body)

    async def ask(self, asker_id: str, connector_id: str, topic: str) -> str:
        body = {
            "asker_id": asker_id,
            "connector_id": connector_id,
            "topic": topic,
            "message": "I am building a pricing page and would love twenty minutes.",
        }
        return str((await self.call("POST", "/v1/intro-requests", json=body))["id"])

    async def roomy_budgets(self) -> None:
        budgets = {"connector_open": 100, "expert_pending": 100}
        await self.call("PATCH", "/v1/workspace", json={"budgets": budgets})
