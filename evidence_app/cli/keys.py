"""Key commands: `keys show|export|trust FINGERPRINT`.

A reviewer's signing key signs every case file they export; these commands show it (to
read the fingerprint to a colleague), write the public half to share, and mark a
colleague's key as checked (optionally as a key of their store).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from evidence_app.cli.common import Output, table
from evidence_app.services import keys
from evidence_app.services.context import Context


def register(sub: Any) -> None:
    actions = sub.add_parser(
        "keys", help="signing keys: yours, and the colleagues' keys this store knows"
    ).add_subparsers(dest="keys_cmd", metavar="ACTION", required=True)
    p = actions.add_parser("show", help="your key's fingerprint (created on first use) and the keys this store has met")
    p.set_defaults(handler=show)
    p = actions.add_parser("export", help="write your public key (PEM) to give to colleagues")
    p.add_argument("out", nargs="?", metavar="OUT.pem", help="default: print it")
    p.set_defaults(handler=export)
    p = actions.add_parser("trust", help="mark a colleague's key as checked with them (compare the fingerprint first)")
    p.add_argument("fingerprint", metavar="FINGERPRINT", help="64 hex digits; spaces and colons allowed (quote them)")
    p.add_argument(
        "--store", metavar="STORE_ID", help="also accept this key for that store's case files and audit entries"
    )
    p.add_argument(
        "--key", metavar="FILE.pem", help="the colleague's public key file, before any file signed with it arrived"
    )
    p.set_defaults(handler=trust)


def show(args: argparse.Namespace, ctx: Context) -> Output:
    mine = keys.own_key(ctx)
    known = keys.known_keys(ctx)
    lines = [
        f"your key ({mine['reviewer']}): {mine['fingerprint']}" + ("  (just created)" if mine["created"] else ""),
        f"  kept in {mine['path']} (owner-only)",
        "",
    ]
    if known:
        rows = [[k["reviewer"], k["fingerprint"], k["status"], ", ".join(s[:8] for s in k["stores"])] for k in known]
        lines.append(table(rows, ["REVIEWER", "FINGERPRINT", "STATUS", "STORES"]))
    else:
        lines.append("this store has met no signing keys yet")
    return Output({"own": mine, "known": known}, "\n".join(lines))


def export(args: argparse.Namespace, ctx: Context) -> Output:
    if args.out:
        result = keys.export_public_key(ctx, args.out)
        return Output(
            result, f"wrote {result['path']}: key of {result['reviewer']}, fingerprint {result['fingerprint']}"
        )
    text = keys.public_key_file(ctx)
    if args.json:
        return Output({**keys.own_key(ctx), "pem": text})
    sys.stdout.write(text)
    return Output(None, "")


def trust(args: argparse.Namespace, ctx: Context) -> Output:
    result = keys.trust_key(ctx, args.fingerprint, store_id=args.store, key_file=args.key)
    text = f"trusted: {result['reviewer']} {result['fingerprint']}"
    if result["store_id"]:
        text += f"; accepted for store {result['store_id']}"
    return Output(result, text)
