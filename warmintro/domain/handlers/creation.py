"""Opening an ask."""

from __future__ import annotations

from warmintro.domain.access import Principal
from warmintro.domain.budgets import ensure_can_ask_given
from warmintro.domain.commands import CreateIntroRequest
from warmintro.domain.errors import DuplicateRequest, InvalidInput, NotPermitted
from warmintro.domain.handlers.effects import enqueue_effects
from warmintro.domain.handlers.env import Env
from warmintro.domain.handlers.lookups import require_known
from warmintro.domain.intro_request import IntroRequest, Role, topic_key
from warmintro.domain.views import RequestView, Viewer, project, viewer_of


async def create_intro_request(
    cmd: CreateIntroRequest, env: Env, principal: Principal
) -> RequestView:
    """Open an ask. Checks, in one transaction: the parties exist, the connector's
    budget, and that no open ask exists for the same asker, connector and topic."""
    asker_id = cmd.asker_id or principal.person_id
    if asker_id is None:
        raise InvalidInput("asker_id is required", field="asker_id")
    if not principal.operator and asker_id != principal.person_id:
        raise NotPermitted("a member token may only ask for its own person")
    workspace, now = principal.workspace, env.clock.now()
    request = IntroRequest.open_new(
        workspace_id=workspace.id,
        asker_id=asker_id,
        connector_id=cmd.connector_id,
        topic=cmd.topic,
        message=cmd.message,
        now=now,
        timing=workspace.timing,
        target_id=cmd.target_id,
        fallback_connector_ids=cmd.fallback_connector_ids,
    )
    async with env.uows() as uow:
        wanted = {asker_id, cmd.connector_id, *cmd.fallback_connector_ids}
        if cmd.target_id:
            wanted.add(cmd.target_id)
        # Locked: the connector's budget check below must be serial.
        people = await uow.people.get_many(workspace.id, wanted, lock=True)
        for name, ident in (
            ("asker_id", asker_id),
            ("connector_id", cmd.connector_id),
            ("target_id", cmd.target_id),
        ):
            require_known(people, ident, name)
        for ident in cmd.fallback_connector_ids:
            require_known(people, ident, "fallback_connector_ids")
        existing, load = await uow.requests.find_open_with_load(
            workspace.id, asker_id, cmd.connector_id, topic_key(request.topic)
        )
        if existing is not None:
            raise DuplicateRequest(
                "an open request for this topic to this connector exists", existing_id=str(existing)
            )
        ensure_can_ask_given(workspace, people[cmd.connector_id], Role.CONNECTOR, now, load)
        await uow.requests.add(request)
        await enqueue_effects(uow, request, now)
        await uow.commit()
    # An API key acting for nobody sees the operator's view; anyone else is the asker.
    viewer = viewer_of(request, principal.person_id) or Viewer(asker_id, Role.ASKER)
    return project(request, viewer)
