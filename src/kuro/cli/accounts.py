"""``kuro token`` and ``kuro user``: who may use the server. Run them where the server's
database is (they use Django directly, like ``kuro migrate``)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from kuro.cli.server import setup_django

__all__ = ["register"]


def register(commands: Any) -> None:
    token = commands.add_parser("token", help="create, list and revoke API tokens")
    tokens = token.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = tokens.add_parser("create", help="create a token and print it (only this once)")
    create.add_argument("name")
    create.add_argument("--read-only", action="store_true", help="may read and export only")
    create.set_defaults(run=_token_create)
    tokens.add_parser("list", help="list tokens (never their secrets)").set_defaults(
        run=_token_list
    )
    revoke = tokens.add_parser("revoke", help="revoke a token by name")
    revoke.add_argument("name")
    revoke.set_defaults(run=_token_revoke)

    user = commands.add_parser("user", help="people who log in to the dashboard and admin")
    users = user.add_subparsers(dest="action", metavar="ACTION", required=True)
    create_user = users.add_parser("create", help="create a login (asks for its password)")
    create_user.add_argument("name")
    create_user.add_argument("--admin", action="store_true", help="may also use /admin/")
    create_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create_user.set_defaults(run=_user_create)


def _token_create(args: argparse.Namespace) -> int:
    setup_django()
    from kuro.server.accounts.services import token_create

    row, token = token_create(name=args.name, read_only=args.read_only)
    print(token)
    print(
        f"kuro: token {row.name!r} ({row.scope}) created; it is shown only now. "
        "Clients use it as KURO_TOKEN.",
        file=sys.stderr,
    )
    return 0


def _token_list(args: argparse.Namespace) -> int:
    setup_django()
    from kuro.server.accounts.models import ApiToken

    rows = list(ApiToken.objects.order_by("name"))
    if not rows:
        print("no tokens (create one with: kuro token create NAME)")
        return 0
    print(f"{'NAME':<24} {'SCOPE':<6} {'PREFIX':<10} {'CREATED':<20} {'LAST USED':<20} STATE")
    for r in rows:
        used = f"{r.last_used_at:%Y-%m-%d %H:%M}" if r.last_used_at else "never"
        state = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        created = f"{r.created_at:%Y-%m-%d %H:%M}"
        print(f"{r.name:<24} {r.scope:<6} {r.prefix + '…':<10} {created:<20} {used:<20} {state}")
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    setup_django()
    from kuro.server.accounts.services import token_revoke

    token_revoke(name=args.name)
    print(f"kuro: token {args.name!r} revoked")
    return 0


def _user_create(args: argparse.Namespace) -> int:
    setup_django()
    from kuro.server.accounts.services import user_create

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if getpass.getpass("Again: ") != password:
            print("kuro: the passwords differ", file=sys.stderr)
            return 1
    user_create(username=args.name, password=password, admin=args.admin)
    print(f"kuro: user {args.name!r} created{' (admin)' if args.admin else ''}")
    return 0
