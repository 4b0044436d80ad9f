"""Team mode commands on a PostgreSQL store: `team init`, `team add-reviewer`, `team list`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from evidence_app.cli.common import Output, table
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    team = sub.add_parser("team", help="set up a PostgreSQL store for a team of reviewers")
    team_sub = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)

    p = team_sub.add_parser("init", help="create this database's reviewer roles, grants and review rules")
    p.add_argument(
        "--objects", metavar="FOLDER", help="the shared evidence folder every client uses (recorded in the database)"
    )
    p.set_defaults(handler=init)

    p = team_sub.add_parser("add-reviewer", help="create a reviewer's database login with one role")
    p.add_argument("name", help="the login name (lower-case letters, digits, _ . -)")
    p.add_argument("--role", required=True, choices=["analyst", "supervisor", "auditor"])
    p.add_argument(
        "--password-stdin", action="store_true", help="read the login's password from the first line of stdin"
    )
    p.set_defaults(handler=add_reviewer)

    p = team_sub.add_parser("list", help="the reviewers of this database and their roles")
    p.set_defaults(handler=list_reviewers)


def init(args: argparse.Namespace, ctx: Context) -> Output:
    from evidence_app.services import team

    setup = team.init_team(ctx, objects_dir=args.objects)
    lines = [f"team database {setup.database} is ready; roles:"]
    lines += [f"  {role:<10} {group}" for role, group in setup.roles.items()]
    lines.append("add reviewers with: evidence-app --db URL team add-reviewer NAME --role analyst|supervisor|auditor")
    return Output(
        {"database": setup.database, "roles": setup.roles, "objects_dir": setup.objects_dir}, "\n".join(lines)
    )


def add_reviewer(args: argparse.Namespace, ctx: Context) -> Output:
    from evidence_app.services import team

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    group = team.add_reviewer(ctx, args.name, args.role, password=password)
    return Output({"name": args.name, "role": args.role, "group": group}, f"{args.name} is now a {args.role}")


def list_reviewers(args: argparse.Namespace, ctx: Context) -> Output:
    from evidence_app.services import team

    rows = team.list_reviewers(ctx)
    return Output([{"name": n, "role": r} for n, r in rows], table([list(r) for r in rows], ["name", "role"]))
