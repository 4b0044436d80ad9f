"""Free tags on incidents and evidence (Autopsy-style: "coal", "priority", "needs imagery").

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "evidence_tags",
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_evidence_tags_evidence_id_evidence"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_evidence_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("evidence_id", "tag_id", name=op.f("pk_evidence_tags")),
    )
    with op.batch_alter_table("evidence_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "incident_tags",
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("tag_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_tags_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tag_id"], ["tags.id"], name=op.f("fk_incident_tags_tag_id_tags"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("incident_id", "tag_id", name=op.f("pk_incident_tags")),
    )
    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_tags_tag_id"), ["tag_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_tags_tag_id"))

    op.drop_table("incident_tags")
    with op.batch_alter_table("evidence_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_tags_tag_id"))

    op.drop_table("evidence_tags")
    op.drop_table("tags")
