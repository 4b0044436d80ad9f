"""Alembic environment: runs migrations on the connection the store hands over."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext

from evidence_app.storage.models import Base, UTCDateTime

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run through evidence_app.storage.db.migrate(), which passes a connection")


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import model code: render our column types as plain SQLAlchemy ones.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


context.configure(
    render_item=_render_item,
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
