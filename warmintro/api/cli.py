"""The `warmintro` command line: serve, worker, migrate, workspace create, api-key
create|list|revoke, outbox list|retry, openapi."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from warmintro.infra.logging import configure_logging
from warmintro.infra.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, listening_address

if TYPE_CHECKING:
    from warmintro.api.container import Container

SPEC_PATH = Path("openapi/openapi.json")

T = TypeVar("T")


def _settings() -> Settings:
    """The configuration; every command that reads it logs in the format it names."""
    try:
        settings = Settings()
    except ValueError as exc:
        sys.exit(f"warmintro: configuration error: {exc}")
    configure_logging(settings.logs_as, settings.log_level)
    return settings


def _migrate(settings: Settings) -> None:
    from warmintro.infra.database import make_engine
    from warmintro.infra.migrate import upgrade

    async def run() -> None:
        engine = make_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    _migrate(settings)
    print(f"database is at the latest schema ({_safe_url(settings.database_url)})")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from warmintro.api.app import create_app

    settings = _settings().serving_at(args.host, args.port)
    if settings.is_sqlite:
        _migrate(settings)  # the embedded database migrates itself
    app = create_app(settings, migrate_on_start=False, run_worker=args.worker)
    here = listening_address(args.host, args.port)
    print(f"warmintro serving on {here} (docs at {here}/docs)", flush=True)
    print(f"links in emails point to {settings.public_base_url}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=args.access_log,
        log_config=None,  # uvicorn's lines go through configure_logging's formatter
    )


def cmd_worker(args: argparse.Namespace) -> None:
    import signal

    from warmintro.api.container import bootstrap

    settings = _settings()
    if settings.is_sqlite:
        _migrate(settings)

    async def run() -> None:
        container = bootstrap(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"warmintro worker running ({settings.email_backend} email)", flush=True)
        print(f"links in emails point to {settings.public_base_url}", flush=True)
        if not settings.public_base_url_given:
            print(
                "warning: PUBLIC_BASE_URL is not set, so links point to serve's default "
                "address; set it to where people reach the API",
                file=sys.stderr,
                flush=True,
            )
        beat = None
        if args.heartbeat:
            from warmintro.api.heartbeat import heartbeat

            alive = heartbeat(args.heartbeat, container.metrics, container.clock, stop)
            beat = asyncio.create_task(alive)
        try:
            await container.worker.run(stop)
        finally:
            if beat is not None:
                beat.cancel()
            await container.close()

    asyncio.run(run())


def cmd_workspace_create(args: argparse.Namespace) -> None:
    from warmintro.api.container import bootstrap
    from warmintro.domain.commands import CreateWorkspace
    from warmintro.domain.errors import InvalidInput

    settings = _settings()
    if settings.is_sqlite:
        _migrate(settings)

    async def run() -> tuple[str, str]:
        container = bootstrap(settings)
        try:
            created = await container.use_cases(CreateWorkspace(args.name))
        finally:
            await container.close()
        return str(created.workspace.id), created.api_key

    try:
        workspace_id, key = asyncio.run(run())
    except InvalidInput as exc:
        sys.exit(f"warmintro: {exc.detail}")
    if args.quiet:
        print(key)
        return
    print(f"workspace {args.name!r} created: {workspace_id}")
    print(f"API key (shown once, store it now): {key}")


def _use_case(settings: Settings, run: Callable[[Container], Awaitable[T]]) -> T:
    """Run `run(container)` against the configured database, and close it; a domain
    error ends the command with its message."""
    from warmintro.api.container import bootstrap
    from warmintro.domain.errors import DomainError

    if settings.is_sqlite:
        _migrate(settings)

    async def go() -> T:
        container = bootstrap(settings)
        try:
            return await run(container)
        finally:
            await container.close()

    try:
        return asyncio.run(go())
    except DomainError as exc:
        sys.exit(f"warmintro: {exc.detail}")


def cmd_outbox_list(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import ListOutbox
    from warmintro.domain.errors import DomainError

    try:
        query = ListOutbox(args.workspace, args.status, args.limit)
    except DomainError as exc:
        sys.exit(f"warmintro: {exc.detail}")
    entries = _use_case(_settings(), lambda c: c.use_cases(query))
    if not entries:
        print("no emails" + (f" {args.status}" if args.status else ""))
        return
    print("id\tworkspace\ttemplate\tstatus\tattempts\tcreated\tlast error")
    for e in entries:
        error = " ".join((e.last_error or "").split()) or "-"
        print(
            f"{e.id}\t{e.workspace_name}\t{e.template}\t{e.status}\t{e.attempts}\t"
            f"{e.created_at.isoformat(timespec='seconds')}\t{error}"
        )


def cmd_outbox_retry(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import RetryFailedEmails

    if bool(args.ids) == args.all_failed:
        sys.exit("warmintro: name the emails to retry by id, or give --all-failed")
    try:
        ids = tuple(uuid.UUID(i) for i in args.ids)
    except ValueError:
        sys.exit("warmintro: an email id is a UUID (see `warmintro outbox list`)")
    retry = RetryFailedEmails(ids, args.workspace)
    queued = _use_case(_settings(), lambda c: c.use_cases(retry))
    for outbox_id in queued:
        print(f"queued again: {outbox_id}")
    missing = set(ids) - set(queued)
    for outbox_id in sorted(missing, key=str):
        print(f"not failed, or no such email (left alone): {outbox_id}", file=sys.stderr)
    print(f"{len(queued)} email(s) queued again; the worker sends them now")
    if missing:
        sys.exit(1)


def cmd_api_key_create(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import CreateWorkspaceApiKey
    from warmintro.domain.errors import DomainError

    try:
        create = CreateWorkspaceApiKey(args.workspace, args.label)
    except DomainError as exc:
        sys.exit(f"warmintro: {exc.detail}")
    created = _use_case(_settings(), lambda c: c.use_cases(create))
    if args.quiet:
        print(created.plain)
        return
    print(f"API key {created.key.id} created")
    print(f"API key (shown once, store it now): {created.plain}")


def cmd_api_key_list(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import ListWorkspaceApiKeys

    keys = _use_case(_settings(), lambda c: c.use_cases(ListWorkspaceApiKeys(args.workspace)))
    print("id\tcreated\trevoked\tlabel")
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "-"
        label = " ".join(key.label.split()) or "-"
        print(f"{key.id}\t{key.created_at.isoformat(timespec='seconds')}\t{revoked}\t{label}")


def cmd_api_key_revoke(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import RevokeWorkspaceApiKey

    try:
        key_id = uuid.UUID(args.id)
    except ValueError:
        sys.exit("warmintro: a key id is a UUID (see `warmintro api-key list`)")
    revoke = RevokeWorkspaceApiKey(args.workspace, key_id)
    _use_case(_settings(), lambda c: c.use_cases(revoke))
    print(f"API key {key_id} revoked; running API processes refuse it within their key cache")
    print("time (API_KEY_CACHE_SECONDS, 30 s by default)")


def cmd_openapi(args: argparse.Namespace) -> None:
    from warmintro.api.app import create_app

    spec = (
        json.dumps(
            create_app(Settings(database_url="sqlite+aiosqlite://")).openapi(),
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    if args.check:
        if not args.out.exists() or args.out.read_text() != spec:
            sys.exit(f"{args.out} differs from the app's spec; run `warmintro openapi`")
        print(f"{args.out} is up to date")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(spec)
    print(f"wrote {args.out}")


def _safe_url(url: str) -> str:
    head, sep, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if sep else url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="warmintro", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (migrates an embedded SQLite database)")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="links in emails point here unless PUBLIC_BASE_URL is set",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--no-access-log", dest="access_log", action="store_false")
    serve.add_argument(
        "--no-worker",
        dest="worker",
        action="store_false",
        help="do not send mail or fire timers in this process (run `warmintro worker`)",
    )
    serve.set_defaults(func=cmd_serve)

    work = sub.add_parser("worker", help="send queued mail and fire timers (run many)")
    work.add_argument(
        "--heartbeat",
        type=Path,
        metavar="FILE",
        help="touch FILE every 10 s while every stage of the worker keeps completing "
        "its passes (for a container healthcheck: older than 60 s means unhealthy)",
    )
    work.set_defaults(func=cmd_worker)

    mig = sub.add_parser("migrate", help="bring the database to the latest schema")
    mig.set_defaults(func=cmd_migrate)

    ws = sub.add_parser("workspace", help="manage workspaces")
    ws_sub = ws.add_subparsers(dest="workspace_command", required=True)
    create = ws_sub.add_parser("create", help="create a workspace and print its API key once")
    create.add_argument("name")
    create.add_argument("--quiet", action="store_true", help="print only the API key")
    create.set_defaults(func=cmd_workspace_create)

    keys = sub.add_parser("api-key", help="create, list and revoke a workspace's API keys")
    keys_sub = keys.add_subparsers(dest="api_key_command", required=True)
    key_new = keys_sub.add_parser("create", help="another API key, printed once")
    key_new.add_argument("--workspace", metavar="NAME", required=True, help="name or id")
    key_new.add_argument("--label", default="", help="what the key is for")
    key_new.add_argument("--quiet", action="store_true", help="print only the API key")
    key_new.set_defaults(func=cmd_api_key_create)
    key_list = keys_sub.add_parser("list", help="the workspace's keys (never their values)")
    key_list.add_argument("--workspace", metavar="NAME", required=True, help="name or id")
    key_list.set_defaults(func=cmd_api_key_list)
    key_off = keys_sub.add_parser("revoke", help="revoke a key (not the last active one)")
    key_off.add_argument("id", metavar="ID", help="a key id from `api-key list`")
    key_off.add_argument("--workspace", metavar="NAME", required=True, help="name or id")
    key_off.set_defaults(func=cmd_api_key_revoke)

    box = sub.add_parser("outbox", help="see queued email and send failed email again")
    box_sub = box.add_subparsers(dest="outbox_command", required=True)
    listing = box_sub.add_parser("list", help="queued emails, newest first (no addresses)")
    listing.add_argument("--workspace", metavar="NAME", help="only this workspace (name or id)")
    listing.add_argument(
        "--status", choices=("pending", "sending", "sent", "failed", "skipped"), default=None
    )
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(func=cmd_outbox_list)
    again = box_sub.add_parser(
        "retry", help="queue failed emails again, due now, with a fresh retry window"
    )
    again.add_argument("ids", nargs="*", metavar="ID", help="outbox ids from `outbox list`")
    again.add_argument("--all-failed", action="store_true", help="every failed email")
    again.add_argument("--workspace", metavar="NAME", help="only this workspace (name or id)")
    again.set_defaults(func=cmd_outbox_retry)

    spec = sub.add_parser("openapi", help="write the OpenAPI spec")
    spec.add_argument("--out", type=Path, default=SPEC_PATH)
    spec.add_argument(
        "--check", action="store_true", help="fail if the file differs from what the app serves"
    )
    spec.set_defaults(func=cmd_openapi)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
