"""The SendGrid transport (the official SDK) against a v3 Mail Send stub on loopback."""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.clock import FakeClock
from tests.e2e.mail import Mailroom
from tests.e2e.world import World
from tests.settings import SettingsWithoutEnvFile
from warmintro.infra.settings import Settings


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def outbox_id(self) -> str:
        outbox_id: str = self.body["custom_args"]["outbox_id"]
        return outbox_id


@dataclass
class SendGridStub:
    """Answers POST /v3/mail/send with the next queued reply, else 202."""

    url: str = ""
    replies: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, str]]:
        with self.lock:
            if self.replies:
                status, extra = self.replies.popleft()
            else:
                status, extra = 202, {"X-Message-Id": f"sg-{len(self.calls) + 1}"}
            self.calls.append(Call(path, headers, body, status))
        return status, extra

    def for_row(self, outbox_id: Any) -> list[Call]:
        return [c for c in self.calls if c.outbox_id == str(outbox_id)]


def _handler(stub: SendGridStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, extra = stub.answer(self.path, dict(self.headers.items()), json.loads(raw))
            body = b"" if status == 202 else json.dumps({"errors": [{"message": "no"}]}).encode()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def stub() -> Iterator[SendGridStub]:
    stub = SendGridStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def settings(settings: Settings, stub: SendGridStub, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The SendGrid transport, pointed at the stub."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    return SettingsWithoutEnvFile(
        database_url=settings.database_url,
        email_backend="sendgrid",
        sendgrid_api_key="SG.test",
        sendgrid_api_host=stub.url,
        send_timeout_seconds=5,
    )


def contact(person: dict[str, Any]) -> dict[str, str]:
    return {"email": person["email"], "name": person["name"]}


async def test_the_v3_mail_send_payload_carries_everything_the_email_needs(
    world: World, mailroom: Mailroom, stub: SendGridStub
) -> None:
    asker = await world.person("Ada Asker")
    connector = await world.person("Carl Connector")
    expert = await world.person("Jane Pricing", expertise=["pricing"])
    rid = (await world.ask(asker["id"], connector["id"]))["id"]
    await world.do(rid, "propose", connector["id"], {"expert_id": expert["id"]})
    await world.do(rid, "accept", expert["id"])
    await mailroom.run()

    rows = await mailroom.rows(rid)
    assert len(rows) == 4 and all(r.status == "sent" for r in rows)
    assert len(stub.calls) == 4
    [row] = [r for r in rows if r.template == "introduction"]
    [call] = stub.for_row(row.id)
    assert call.path == "/v3/mail/send"
    assert call.headers["Authorization"] == "Bearer SG.test"
    assert call.headers["Content-Type"].startswith("application/json")
    body = call.body
    [personalization] = body["personalizations"]
    assert personalization["to"] == [contact(asker), contact(expert)]
    assert personalization["cc"] == [contact(connector)]
    assert body["from"] == {
        "email": "intros@localhost",
        "name": f"{world.workspace.name} via warmintro",
    }
    assert body["subject"].startswith("Introduction: Ada Asker <> Jane Pricing")
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    text, html = (c["value"] for c in body["content"])
    assert expert["email"] in text and "<!doctype html>" in html.lower()
    assert "reply_to" not in body, "replying to all is the conversation"
    headers = body["headers"]
    assert headers["Message-ID"] == row.message_id == f"<{row.id}@localhost>"
    assert "List-Unsubscribe" not in headers, "several recipients: nobody's link"
    assert body["custom_args"]["outbox_id"] == str(row.id)
    assert body["custom_args"]["request_id"] == rid
    assert row.provider_id == f"sg-{stub.calls.index(call) + 1}"

    [ask_row] = [r for r in rows if r.template == "connector_ask"]
    [ask_call] = stub.for_row(ask_row.id)
    assert "cc" not in ask_call.body["personalizations"][0]
    assert ask_call.body["personalizations"][0]["to"] == [contact(connector)]
    assert ask_call.body["reply_to"] == contact(asker)
    assert re.fullmatch(r"<https?://\S+/a/\S+>", ask_call.body["headers"]["List-Unsubscribe"])
    assert ask_call.body["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_202_sends_429_and_500_retry_later_and_400_fails_for_good(
    world: World, mailroom: Mailroom, stub: SendGridStub, clock: FakeClock
) -> None:
    # An asker who opted out: only the four asks to the connector reach the stub.
    asker = await world.pid("Ada Asker", preferences={"never_contact": True})
    connector = await world.pid("Carl Connector")
    for topic in ("pricing", "hiring", "fundraising", "churn"):
        await world.ask(asker, connector, topic=topic)
    stub.replies.extend(
        [
            (202, {"X-Message-Id": "sg-accepted"}),
            (429, {"Retry-After": "120"}),
            (500, {}),
            (400, {}),
        ]
    )
    start = clock.now()
    await mailroom.run()

    assert [c.status for c in stub.calls] == [202, 429, 500, 400]
    row = {c.status: await mailroom.row(c.outbox_id) for c in stub.calls}
    assert row[202].status == "sent"
    assert row[202].provider_id == "sg-accepted"
    assert row[202].message_id == f"<{row[202].id}@localhost>"
    assert row[202].last_error is None

    assert row[429].status == "pending"
    assert row[429].available_at >= start + timedelta(seconds=120), "honours Retry-After"
    assert row[429].last_error and "429" in row[429].last_error
    assert row[500].status == "pending"
    assert start < row[500].available_at < start + timedelta(seconds=120)
    assert row[500].last_error and "500" in row[500].last_error
    assert row[400].status == "failed"
    assert row[400].last_error and "400" in row[400].last_error
    assert all(r.attempts == 1 for r in row.values())

    clock.advance(timedelta(seconds=60))
    await mailroom.run()
    assert (await mailroom.row(row[500].id)).status == "sent"
    assert (await mailroom.row(row[429].id)).status == "pending", "not before Retry-After"

    clock.advance(timedelta(seconds=61))
    await mailroom.run()
    clock.advance(timedelta(days=1))
    await mailroom.run()

    for status, expected_calls in ((202, 1), (429, 2), (500, 2), (400, 1)):
        calls = stub.for_row(row[status].id)
        assert len(calls) == expected_calls, status
        assert len({c.body["headers"]["Message-ID"] for c in calls}) == 1
    for status in (429, 500):
        retried = await mailroom.row(row[status].id)
        assert retried.status == "sent" and retried.attempts == 2
        assert retried.provider_id and retried.provider_id.startswith("sg-")
    assert (await mailroom.row(row[400].id)).status == "failed"


async def test_429_and_5xx_are_later_and_every_other_4xx_is_a_refusal(
    world: World, mailroom: Mailroom, stub: SendGridStub
) -> None:
    later, refusals = [408, 429, 502, 503, 504], [401, 403, 404, 409, 413, 422]
    asker = await world.pid("Ada Asker")
    for status in later + refusals:
        await world.ask(asker, await world.pid(f"Connector {status}"))
        stub.replies.append((status, {}))
    await mailroom.run()

    # Each ask also tells the asker it went out; those calls got the stub's 202.
    assert len(stub.calls) == 2 * len(later + refusals)
    settled = {(c.status, (await mailroom.row(c.outbox_id)).status) for c in stub.calls}
    assert settled == (
        {(s, "pending") for s in later} | {(s, "failed") for s in refusals} | {(202, "sent")}
    )
