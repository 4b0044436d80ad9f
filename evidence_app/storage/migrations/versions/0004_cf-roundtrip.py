"""Tombstones: deletions of case records, so that case files carry them like any change.

Revision ID: cf_roundtrip
Revises: cf_signing
"""

import sqlalchemy as sa
from alembic import op

revision = "cf_roundtrip"  # alembic allows no "-" in revision ids
down_revision = "cf_signing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tombstones",
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", name=op.f("pk_tombstones")),
    )
    op.create_index(op.f("ix_tombstones_case_id"), "tombstones", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tombstones_case_id"), table_name="tombstones")
    op.drop_table("tombstones")
