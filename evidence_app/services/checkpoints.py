"""Signing the audit chain head: at each export and at the end of each desk session."""

from __future__ import annotations

import logging

from evidence_app.domain.errors import UserError
from evidence_app.services.context import Context
from evidence_app.storage import checkpoints, signing

log = logging.getLogger(__name__)


def signing_key(ctx: Context) -> signing.SigningKey:
    """The acting reviewer's key (created on first use): load it before work that ends in a checkpoint."""
    return signing.load_or_create_key(ctx.actor)


def sign_head(ctx: Context, reason: str, key: signing.SigningKey | None = None) -> checkpoints.Checkpoint | None:
    """Sign the chain head as it is now, in its own transaction (after the change it follows committed).

    Copies go to the database, beside the evidence folder and to the reviewer's config
    folder; ``verify`` checks the chain against every copy.
    """
    key = key or signing_key(ctx)
    with ctx.store.write() as session:
        return checkpoints.write_checkpoint(session, key, reason, ctx.store.objects.root)


def sign_head_quietly(ctx: Context, reason: str) -> bool:
    """``sign_head`` where a failure must not stop the user (closing the desk): logged instead."""
    try:
        sign_head(ctx, reason)
    except (UserError, OSError) as exc:
        log.warning("could not sign the audit chain head (%s): %s", reason, exc)
        return False
    except Exception:  # noqa: BLE001 (a bug must not keep the window from closing: logged with its traceback)
        log.exception("signing the audit chain head failed (%s)", reason)
        return False
    return True
