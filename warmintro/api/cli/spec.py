"""`warmintro openapi`: write the app's OpenAPI spec, or check the committed one."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from warmintro.infra.settings import Settings

SPEC_PATH = Path("openapi/openapi.json")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = sub.add_parser("openapi", help="write the OpenAPI spec")
    spec.add_argument("--out", type=Path, default=SPEC_PATH)
    spec.add_argument(
        "--check", action="store_true", help="fail if the file differs from what the app serves"
    )
    spec.set_defaults(func=cmd_openapi)


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
