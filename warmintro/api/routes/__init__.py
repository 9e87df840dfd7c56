"""HTTP routes: parse, call one handler, return a schema.

Every error is filed as problem+json in the spec by `warmintro.api.openapi`."""

from fastapi.routing import APIRoute

from warmintro.api.schemas import Problem

PROBLEMS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem, "description": text}
    for status, text in [
        (401, "Missing, malformed, forged or expired credentials"),
        (403, "The caller may see this but not do this"),
        (404, "Not found, or not visible to the caller"),
        (409, "Wrong state, duplicate, or a concurrent change; the body names the current state"),
        (422, "Invalid input"),
        (429, "Ask budget exceeded, or a rate limit reached (`rate_limited`); see Retry-After"),
    ]
}
PROBLEMS[429]["headers"] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def operation_id(route: APIRoute) -> str:
    """A route's OpenAPI operation id is its function's name in camelCase
    (`create_intro_request` → `createIntroRequest`). Generated clients name their
    methods after it, so every route function is named verb + noun
    (`accept_intro_request`, `list_intro_request_events`, `propose_expert`)."""
    first, *rest = route.name.split("_")
    return first + "".join(word.capitalize() for word in rest)
