"""Administration on the configured database: `workspace create`, `api-key
create|list|revoke`, `outbox list|retry` and `import`. Each runs one use case."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from pathlib import Path

from warmintro.api.cli.configuration import migrate_database, run_use_case, settings_or_exit


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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

    load = sub.add_parser(
        "import", help="people (and their connections) in bulk from a CSV or JSON file"
    )
    load.add_argument("file", metavar="FILE", type=Path, help=".csv or .json (else by content)")
    load.add_argument("--workspace", metavar="NAME", required=True, help="name or id")
    load.set_defaults(func=cmd_import)


def cmd_workspace_create(args: argparse.Namespace) -> None:
    from warmintro.api.container import bootstrap
    from warmintro.domain.commands import CreateWorkspace
    from warmintro.domain.errors import InvalidInput

    settings = settings_or_exit()
    if settings.is_sqlite:
        migrate_database(settings)

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


def cmd_outbox_list(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import ListOutbox
    from warmintro.domain.errors import DomainError

    try:
        query = ListOutbox(args.workspace, args.status, args.limit)
    except DomainError as exc:
        sys.exit(f"warmintro: {exc.detail}")
    entries = run_use_case(settings_or_exit(), lambda c: c.use_cases(query))
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
    queued = run_use_case(settings_or_exit(), lambda c: c.use_cases(retry))
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
    created = run_use_case(settings_or_exit(), lambda c: c.use_cases(create))
    if args.quiet:
        print(created.plain)
        return
    print(f"API key {created.key.id} created")
    print(f"API key (shown once, store it now): {created.plain}")


def cmd_api_key_list(args: argparse.Namespace) -> None:
    from warmintro.domain.commands import ListWorkspaceApiKeys

    keys = run_use_case(
        settings_or_exit(), lambda c: c.use_cases(ListWorkspaceApiKeys(args.workspace))
    )
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
    run_use_case(settings_or_exit(), lambda c: c.use_cases(revoke))
    print(f"API key {key_id} revoked; running API processes refuse it within their key cache")
    print("time (API_KEY_CACHE_SECONDS, 30 s by default)")


def cmd_import(args: argparse.Namespace) -> None:
    """Prints the report `POST /v1/people/import` answers; exits 1 if a row was refused."""
    from warmintro.api.import_files import ImportReportOut, read_file
    from warmintro.domain.commands import ImportPeopleInto
    from warmintro.domain.errors import DomainError

    try:
        rows, rejected = read_file(args.file)
    except OSError as exc:
        sys.exit(f"warmintro: {args.file}: {exc.strerror}")
    except (DomainError, UnicodeDecodeError) as exc:
        sys.exit(f"warmintro: {getattr(exc, 'detail', exc)}")
    load = ImportPeopleInto(args.workspace, tuple(rows), tuple(rejected))
    report = run_use_case(settings_or_exit(), lambda c: c.use_cases(load))
    print(ImportReportOut.of(report).model_dump_json(indent=2))
    if report.errors:
        sys.exit(1)
