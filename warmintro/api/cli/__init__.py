"""The `warmintro` command line: serve, worker, migrate, workspace create, api-key
create|list|revoke, outbox list|retry, openapi."""

from __future__ import annotations

import argparse

from warmintro.api.cli import administration, processes, spec


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="warmintro", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (processes, administration, spec):
        group.register(sub)
    args = parser.parse_args(argv)
    args.func(args)
