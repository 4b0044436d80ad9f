"""Case-file merges: sync state per peer store, merge conflicts, audit entries imported from other stores.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("peer_store_id", sa.String(length=36), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("peer_store_id", "record_type", "record_id", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "merge_conflicts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("peer_store_id", sa.String(length=36), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=True),
        sa.Column("local_hash", sa.String(length=64), nullable=False),
        sa.Column("incoming", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_conflicts")),
    )
    with op.batch_alter_table("merge_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merge_conflicts_case_id"), ["case_id"], unique=False)
    op.create_table(
        "imported_audit_entries",
        sa.Column("origin_store_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.Column("ts", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("origin_store_id", "seq", name=op.f("pk_imported_audit_entries")),
    )
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_audit_entries_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_audit_entries_import_id"))
    op.drop_table("imported_audit_entries")
    with op.batch_alter_table("merge_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_merge_conflicts_case_id"))
    op.drop_table("merge_conflicts")
    op.drop_table("sync_state")
