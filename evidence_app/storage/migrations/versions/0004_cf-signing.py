"""Signed case files: reviewers' public keys met (the trust table), the keys each store is
known under, audit attestations, and which attestation vouched for each imported entry.

Revision ID: cf_signing
Revises: rel_integrity
"""

import sqlalchemy as sa
from alembic import op

revision = "cf_signing"  # alembic allows no "-" in revision ids
down_revision = "rel_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signer_keys",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=44), nullable=False),
        sa.Column("reviewer", sa.String(length=120), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("first_seen_in", sa.String(length=300), nullable=False),
        sa.Column("trusted_at", sa.DateTime(), nullable=True),
        sa.Column("trusted_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_signer_keys")),
    )
    op.create_table(
        "store_keys",
        sa.Column("store_id", sa.String(length=36), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("bound_at", sa.DateTime(), nullable=False),
        sa.Column("how", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "fingerprint", name=op.f("pk_store_keys")),
    )
    op.create_table(
        "audit_attestations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("origin_store_id", sa.String(length=36), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=88), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("import_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_attestations")),
        sa.UniqueConstraint("signature", name=op.f("uq_audit_attestations_signature")),
    )
    with op.batch_alter_table("audit_attestations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_attestations_origin_store_id"), ["origin_store_id"], unique=False)
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attestation_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imported_audit_entries", schema=None) as batch_op:
        batch_op.drop_column("attestation_id")
    with op.batch_alter_table("audit_attestations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_attestations_origin_store_id"))
    op.drop_table("audit_attestations")
    op.drop_table("store_keys")
    op.drop_table("signer_keys")
