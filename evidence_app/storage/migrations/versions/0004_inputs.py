"""Imported event metrics on incidents; an MMSI kept exactly as a file gave it when it is not nine digits.

Revision ID: inputs
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "inputs"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metrics", sa.JSON(), nullable=True))
    with op.batch_alter_table("vessels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mmsi_as_given", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vessels", schema=None) as batch_op:
        batch_op.drop_column("mmsi_as_given")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("metrics")
