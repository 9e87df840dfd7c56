"""Reading the action pages as a person (and a careful reviewer) would."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import httpx

FRIENDLY_STATUSES = {200, 400, 404, 409, 410, 422, 429}


def assert_page(r: httpx.Response, status: int, *texts: str) -> str:
    """A friendly HTML page with this status, the security headers, and these texts.
    Returns the page's text with entities decoded."""
    assert r.status_code == status, f"{r.status_code} != {status}: {r.text[:2000]}"
    assert r.headers["content-type"].startswith("text/html"), r.headers
    csp = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, r.headers
    assert r.headers.get("referrer-policy") == "no-referrer", r.headers
    assert r.headers.get("x-frame-options") == "DENY", r.headers
    if r.request.method == "HEAD":
        return ""
    body = r.text
    assert body.lstrip().lower().startswith("<!doctype html>"), body[:300]
    assert "Traceback" not in body and 'File "' not in body, body
    try:
        json.loads(body)
    except ValueError:
        pass
    else:
        raise AssertionError(f"a JSON body where a page belongs: {body[:300]}")
    text = html.unescape(body)
    for wanted in texts:
        assert wanted in text, f"{wanted!r} not on the page:\n{text}"
    return text


def heading(page_html: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page_html, re.S)
    assert found, page_html
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


class _Options(HTMLParser):
    def __init__(self, select_id: str) -> None:
        super().__init__()
        self.select_id = select_id
        self.inside = False
        self.options: list[tuple[str, str]] = []
        self.selected: list[str] = []
        self._value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self.inside = a.get("id") == self.select_id
        elif tag == "option" and self.inside:
            self._value = a.get("value") or ""
            self.options.append((self._value, ""))
            if "selected" in a:
                self.selected.append(self._value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.inside = False
        if tag in ("select", "option"):
            self._value = None

    def handle_data(self, data: str) -> None:
        if self.inside and self.options and self._value is not None:
            value, text = self.options[-1]
            self.options[-1] = (value, text + data)


def options(page_html: str, select_id: str) -> list[tuple[str, str]]:
    """(value, label) of each option of the select with this id, in page order."""
    parser = _Options(select_id)
    parser.feed(page_html)
    return [(v, " ".join(t.split())) for v, t in parser.options]


def selected(page_html: str, select_id: str) -> str:
    """The value the select with this id starts on: the browser's choice, the first
    option, unless an option is marked selected."""
    parser = _Options(select_id)
    parser.feed(page_html)
    assert parser.options, f"no select {select_id!r} on the page"
    assert len(parser.selected) <= 1, parser.selected
    return parser.selected[0] if parser.selected else parser.options[0][0]
