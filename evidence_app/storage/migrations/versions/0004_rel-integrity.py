"""Store integrity: content hashes in audit entries (own and imported), signed chain-head checkpoints.

Revision ID: rel_integrity
Revises: inputs
"""

import sqlalchemy as sa
from alembic import op

revision = "rel_integrity"  # alembic allows no "-" in revision ids
down_revision = "inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.Text(), nullable=True))
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.Text(), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(length=44), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_audit_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.drop_column("content")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_column("content")
