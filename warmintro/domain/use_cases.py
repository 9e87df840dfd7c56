"""The one surface every driving adapter calls: the JSON API, the email pages, the
command line and the worker hand a command to `UseCases`, which runs its handler
with the ports bound once at start-up (`Env`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from warmintro.domain import commands as c
from warmintro.domain.access import Principal
from warmintro.domain.handlers import (
    action_links,
    api_keys,
    creation,
    decisions,
    deliverability,
    erasure,
    outbox,
    people,
    people_import,
    queries,
    retention,
    timers,
    warm_paths,
    webhooks,
    workspaces,
)
from warmintro.domain.handlers.env import Env

R = TypeVar("R")

CallerHandler = Callable[[Any, Env, Principal], Awaitable[Any]]
SystemHandler = Callable[[Any, Env], Awaitable[Any]]

FOR_CALLERS: dict[type[c.Command[Any]], CallerHandler] = {
    c.CreateIntroRequest: creation.create_intro_request,
    c.Decide: decisions.decide,
    c.GetIntroRequest: queries.get_intro_request,
    c.ListIntroRequests: queries.list_intro_requests,
    c.ListEvents: queries.list_events,
    c.SuggestExperts: queries.suggest_experts,
    c.FindWarmPaths: warm_paths.find_warm_paths,
    c.CreatePerson: people.create_person,
    c.GetPerson: people.get_person,
    c.ListPeople: people.list_people,
    c.UpdatePerson: people.update_person,
    c.AddConnection: people.add_connection,
    c.ImportPeople: people_import.import_people,
    c.ListConnections: people.list_connections,
    c.MintMemberToken: people.mint_member_token,
    c.ErasePerson: erasure.erase_person,
    c.ExportPerson: erasure.export_person,
    c.GetWorkspace: workspaces.get_workspace,
    c.UpdateWorkspace: workspaces.update_workspace,
    c.CreateEndpoint: webhooks.create_endpoint,
    c.GetEndpoint: webhooks.get_endpoint,
    c.ListEndpoints: webhooks.list_endpoints,
    c.DeleteEndpoint: webhooks.delete_endpoint,
    c.RotateSecret: webhooks.rotate_secret,
    c.EnableEndpoint: webhooks.enable_endpoint,
    c.ListDeliveries: webhooks.list_deliveries,
    c.RetryDelivery: webhooks.retry_delivery,
    c.CreateApiKey: api_keys.create_api_key,
    c.ListApiKeys: api_keys.list_api_keys,
    c.RevokeApiKey: api_keys.revoke_api_key,
}
FOR_THE_SYSTEM: dict[type[c.SystemCommand[Any]], SystemHandler] = {
    c.ShowActionLink: action_links.show_action_link,
    c.UseActionLink: action_links.use_action_link,
    c.CreateWorkspace: workspaces.create_workspace,
    c.ImportPeopleInto: people_import.import_people_into,
    c.FireDueTimers: timers.fire_due_timers,
    c.RecordProviderEvents: deliverability.record_provider_events,
    c.ListOutbox: outbox.list_outbox,
    c.RetryFailedEmails: outbox.retry_failed_emails,
    c.CreateWorkspaceApiKey: api_keys.create_workspace_api_key,
    c.ListWorkspaceApiKeys: api_keys.list_workspace_api_keys,
    c.RevokeWorkspaceApiKey: api_keys.revoke_workspace_api_key,
    c.PurgeExpired: retention.purge_expired,
}


class UseCases:
    """Runs a command's handler with the ports in `env`."""

    def __init__(self, env: Env) -> None:
        self.env = env

    @overload
    async def __call__(self, cmd: c.Command[R], principal: Principal) -> R: ...
    @overload
    async def __call__(self, cmd: c.SystemCommand[R]) -> R: ...

    async def __call__(
        self, cmd: c.Command[R] | c.SystemCommand[R], principal: Principal | None = None
    ) -> R:
        if isinstance(cmd, c.Command):
            assert principal is not None, "a caller's command needs the caller"
            result: R = await FOR_CALLERS[type(cmd)](cmd, self.env, principal)
        else:
            result = await FOR_THE_SYSTEM[type(cmd)](cmd, self.env)
        return result
